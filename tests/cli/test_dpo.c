/* test_dpo.c -- `truthsim dpo` end to end (issue 6, item 8): a preset
 * trained on a preference CSV writes the metrics and win-rate, beside the
 * provenance attributes of every truthsim file; bad input gives one
 * "truthsim dpo: FILE:LINE: ..." line, a non-zero status and no output
 * file. */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include "base/rng.h"
#include "cli/cli.h"
#include "dpo/dpo.h"

/* The command line main would hand over, for the provenance. */
#define CMDLINE "truthsim dpo (test_dpo.c)"

/* Run `truthsim dpo` on a NULL-terminated argument list, capturing
 * stderr. */
static int run(char *err, size_t errcap, ...)
{
    char *argv[64];
    int argc = 0;
    va_list ap;
    va_start(ap, errcap);
    char *a;
    while ((a = va_arg(ap, char *)) != NULL && argc < 63)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    fflush(stderr);
    int saved = dup(2);
    int fd = open("test_dpo_cli_err.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    ts_cli_env env = {NULL, CMDLINE, NULL};
    int rc = ts_cli_dpo_env(argc, argv, &env);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen("test_dpo_cli_err.txt", "r");
    size_t n = fread(err, 1, errcap - 1, f);
    err[n] = 0;
    fclose(f);
    remove("test_dpo_cli_err.txt");
    return rc;
}

/* Sensing-style prompts: busy bands read about -62 dB, idle ones -78. */
static void write_csv(const char *path, int n, int test, uint32_t point)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "prompt,chosen,rejected,label\n");
    ts_rng g;
    ts_rng_init(&g, 3, point, 0, TS_STREAM_AUX);
    for (int i = 0; i < n; i++) {
        int busy = ts_rng_u01(&g) < 0.5;
        fprintf(f, "\"Band %d energy readings:", 1 + (int)ts_rng_below(&g, 4));
        for (int k = 0; k < 3; k++)
            fprintf(f, "%s -%d dB", k ? "," : "",
                    (busy ? 60 : 76) + (int)ts_rng_below(&g, 5));
        double A = test ? busy : (busy ? 0.85 : 0.15);
        fprintf(f, ". Is the band busy or idle? Answer:\", BUSY, IDLE,%g\n", A);
    }
    fclose(f);
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static void test_cli_help_and_usage_errors(void **state)
{
    (void)state;
    char err[2048];
    assert_int_equal(run(err, sizeof err, "dpo", "--help", (char *)NULL), 0);
    assert_int_equal(run(err, sizeof err, "dpo", (char *)NULL), 64);
    assert_non_null(strstr(err, "truthsim dpo: --train and -o are required"));
    assert_int_equal(run(err, sizeof err, "dpo", "--train", "x.csv", "-o",
                         "x.h5", "--lr", "fast", (char *)NULL), 64);
    assert_string_equal(err, "truthsim dpo: --lr: 'fast' is not a number "
                             "(try --help)\n");
    assert_int_equal(run(err, sizeof err, "dpo", "--train", "x.csv", "-o",
                         "x.h5", "--adam-betas", "0.9", (char *)NULL), 64);
    assert_non_null(strstr(err, "'0.9' is not two numbers B1,B2"));
    assert_int_equal(run(err, sizeof err, "dpo", "--train", "x.csv", "-o",
                         "x.h5", "--lora-targets", "mlp", (char *)NULL), 64);
    assert_non_null(strstr(err, "'mlp' is not one of qkv, proj, all"));
}

static void test_cli_bad_input(void **state)
{
    (void)state;
    char err[2048];
    const char *bad = "prompt,chosen,rejected,label\n"
                      "\"Band 1, -70 dB\", BUSY, IDLE,0.9\n"
                      "\"Band 2, -71 dB\", BUSY, IDLE,1.7\n";
    FILE *f = fopen("test_dpo_cli_bad.csv", "w");
    fputs(bad, f);
    fclose(f);
    assert_int_equal(run(err, sizeof err, "dpo", "--train",
                         "test_dpo_cli_bad.csv", "-o", "test_dpo_cli_bad.h5",
                         (char *)NULL), 65);
    assert_string_equal(err, "truthsim dpo: test_dpo_cli_bad.csv:3: label 1.7 "
                             "is outside [0, 1] (it is P(chosen preferred))\n");
    assert_false(exists("test_dpo_cli_bad.h5"));
    assert_false(exists("test_dpo_cli_bad.h5.tmp"));
    /* unknown preset: the valid names are listed */
    write_csv("test_dpo_cli_train.csv", 4, 0, 1);
    assert_int_equal(run(err, sizeof err, "dpo", "--train",
                         "test_dpo_cli_train.csv", "--preset", "tiny", "-o",
                         "test_dpo_cli_bad.h5", (char *)NULL), 65);
    assert_string_equal(err, "truthsim dpo: unknown preset 'tiny' (valid: "
                             "small, medium, large, xl)\n");
    /* a flip rate robust DPO cannot use */
    assert_int_equal(run(err, sizeof err, "dpo", "--train",
                         "test_dpo_cli_train.csv", "--flip-rate", "0.5", "-o",
                         "test_dpo_cli_bad.h5", (char *)NULL), 65);
    assert_non_null(strstr(err, "flip rate 0.5 must be in [0, 1/2)"));
    assert_false(exists("test_dpo_cli_bad.h5"));
    remove("test_dpo_cli_bad.csv");
    remove("test_dpo_cli_train.csv");
}

/* A root attribute written by ts_provenance_write (a variable-length
 * UTF-8 string, which H5LTget_attribute_string does not read) into buf. */
static void vlen_attr(hid_t f, const char *name, char *buf, size_t len)
{
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    assert_true(a >= 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char *s = NULL;
    assert_true(H5Aread(a, t, &s) >= 0);
    assert_non_null(s);
    snprintf(buf, len, "%s", s);
    H5free_memory(s);
    H5Tclose(t);
    H5Aclose(a);
}

static void test_cli_train(void **state)
{
    (void)state;
    char err[4096];
    write_csv("test_dpo_cli_train.csv", 48, 0, 1);
    write_csv("test_dpo_cli_test.csv", 32, 1, 2);
    int rc = run(err, sizeof err, "dpo", "--train", "test_dpo_cli_train.csv",
                 "--test", "test_dpo_cli_test.csv", "--epochs", "4", "--lr",
                 "3e-3", "--beta", "0.1", "--seed", "7", "--adam-betas",
                 "0.9,0.99", "-q", "-o",
                 "test_dpo_cli.h5", "-s", "test_dpo_cli_model.bin",
                 (char *)NULL);
    if (rc)
        print_error("%s", err);
    assert_int_equal(rc, 0);
    hid_t f = H5Fopen("test_dpo_cli.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    static const char *const sets[5] = {"loss", "rewards_chosen",
                                        "rewards_rejected", "rewards_accuracy",
                                        "rewards_margin"};
    for (int i = 0; i < 5; i++) {
        double x[4] = {NAN, NAN, NAN, NAN};
        hsize_t dims[1];
        assert_true(H5LTget_dataset_info(f, sets[i], dims, NULL, NULL) >= 0);
        assert_int_equal(dims[0], 4);
        assert_true(H5LTread_dataset_double(f, sets[i], x) >= 0);
        for (int k = 0; k < 4; k++)
            assert_true(isfinite(x[k]));
    }
    double acc = NAN, ref = NAN, win = NAN, beta = NAN;
    assert_true(H5LTget_attribute_double(f, "/", "test_accuracy", &acc) >= 0);
    assert_true(H5LTget_attribute_double(f, "/", "reference_accuracy", &ref) >= 0);
    assert_true(H5LTget_attribute_double(f, "/", "win_rate", &win) >= 0);
    assert_true(H5LTget_attribute_double(f, "/", "beta", &beta) >= 0);
    assert_true(beta == 0.1);
    double b2 = NAN;
    assert_true(H5LTget_attribute_double(f, "/", "adam_beta2", &b2) >= 0);
    assert_true(b2 == 0.99);
    /* the provenance of every truthsim file (base/provenance.h), and the
     * version attribute the trainer has always written */
    char text[256] = "";
    vlen_attr(f, "command_line", text, sizeof text);
    assert_string_equal(text, CMDLINE);
    vlen_attr(f, "program", text, sizeof text);
    assert_string_equal(text, "truthsim");
    static const char *const prov[] = {"version", "git_commit", "compiler",
                                       "hdf5_version", "gsl_version",
                                       "truthsim_version"};
    for (size_t i = 0; i < sizeof prov / sizeof prov[0]; i++)
        assert_true(H5Aexists(f, prov[i]) > 0);
    assert_true(H5Aexists(f, "openmp") > 0);
    printf("test accuracy %.4f, reference %.4f, win-rate %.4f\n", acc, ref,
           win);
    /* 32 prompts: every rate is a multiple of 1/32, and a win needs the
     * policy right, so win <= accuracy and win >= accuracy - reference */
    assert_true(acc >= 0 && acc <= 1 && fabs(acc * 32 - round(acc * 32)) < 1e-9);
    assert_true(win <= acc + 1e-12 && win >= acc - ref - 1e-12);
    /* and DPO on the soft labels taught the random model the task (seed 7:
     * accuracy 0.81 against the reference's 0.50, win-rate 0.47) */
    assert_true(acc >= ref + 0.2 && win >= 0.2);
    H5Fclose(f);

    /* the saved policy is a small-preset checkpoint; starting from it,
     * the reference is that policy */
    ts_dpo_config cfg, small;
    ts_err e;
    assert_int_equal(ts_dpo_checkpoint_config("test_dpo_cli_model.bin", &cfg,
                                              &e), TS_OK);
    assert_int_equal(ts_dpo_preset_config("small", &small, &e), TS_OK);
    assert_memory_equal(&cfg, &small, sizeof cfg);
    rc = run(err, sizeof err, "dpo", "--train", "test_dpo_cli_train.csv",
             "--test", "test_dpo_cli_test.csv", "--epochs", "0", "--init",
             "test_dpo_cli_model.bin", "-q", "-o", "test_dpo_cli2.h5",
             (char *)NULL);
    assert_int_equal(rc, 0);
    f = H5Fopen("test_dpo_cli2.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    double ref2 = NAN, win2 = NAN;
    assert_true(H5LTget_attribute_double(f, "/", "reference_accuracy", &ref2) >= 0);
    assert_true(H5LTget_attribute_double(f, "/", "win_rate", &win2) >= 0);
    H5Fclose(f);
    /* no training: policy = reference = the saved policy, whose accuracy
     * is the first run's (up to a near-tie flipped by the fp32 rounding
     * of merging the adapters: one prompt in 32) */
    assert_true(win2 == 0);
    assert_true(fabs(ref2 - acc) <= 1.0 / 32 + 1e-12);
    /* --init and --preset together are refused */
    assert_int_equal(run(err, sizeof err, "dpo", "--train",
                         "test_dpo_cli_train.csv", "--init",
                         "test_dpo_cli_model.bin", "--preset", "small", "-o",
                         "test_dpo_cli3.h5", (char *)NULL), 65);
    assert_non_null(strstr(err, "give --preset or --init, not both"));
    assert_false(exists("test_dpo_cli3.h5"));
    remove("test_dpo_cli.h5");
    remove("test_dpo_cli2.h5");
    remove("test_dpo_cli_model.bin");
    remove("test_dpo_cli_train.csv");
    remove("test_dpo_cli_test.csv");
}

int main(void)
{
    /* As main does: the failures provoked here are reported by truthsim's
     * own one-line messages, not HDF5's stack dumps. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_help_and_usage_errors),
        cmocka_unit_test(test_cli_bad_input),
        cmocka_unit_test(test_cli_train),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

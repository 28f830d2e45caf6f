/* test_e2e.c -- the end-to-end loop (src/e2e; paper Sec. VII-B, SPEC §6)
 * at tiny sizes.  What is checked:
 *   - with truthful SUs, `ours` learns to trust the best SU (SPEC §3's
 *     spectrum defaults: SU 1 at -10 dB noise, the rest 0..9 dB and
 *     biased), so once its weights have moved its labels are closer to the
 *     truth than `average`'s: smaller mean squared label error (eq. 5's
 *     L_t) and more labels on the right side of 1/2 over rounds 10..29;
 *   - DPO on (near) perfect labels -- a 20 dB signal and SUs 40 dB below
 *     the floor, so every belief is within 1e-6 of the truth -- lifts the
 *     policy's test accuracy above the reference's and wins on some test
 *     prompts (win-rate > 0), and win-rate never exceeds accuracy;
 *   - the whole run is bitwise identical for 1 and 2 threads;
 *   - population deepsense on DeepSense files the test writes
 *     (tests/games/deepsense_files.h; tones 21 dB over the floor on the
 *     busy channels): the truths are the files' masks and the SUs hear
 *     them clearly, so every label of `average` is on the mask's side;
 *     rerun, the rounds are the same bits;
 *   - refusals: a population without prompt texts (bands), full
 *     fine-tuning, deepsense without a data set, a data set for spectrum.
 *   - an experiment file's cells (e2e_exp.h) as grid points: each cell run
 *     alone gives the bits of the whole run and touches no other cell's
 *     rows, cell_done sees each finished cell once with its rows complete,
 *     its failure fails the run with its message, a stop runs nothing, and
 *     the canonical text reloads to the same canonical text (merge).
 * The DeepSense reader's round trip (a file the test writes read back bit
 * for bit) is tests/games/test_spectrum.c's reader_roundtrip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e/e2e.h"
#include "e2e/e2e_exp.h"
#include "games/games.h"
#include "games/spectrum.h"
#include "strategies/strategies.h"

#include "../games/deepsense_files.h"

static void base_config(ts_e2e_config *c, const char *mech)
{
    ts_err e;
    memset(c, 0, sizeof *c);
    c->mech = ts_mechanism_find(mech, TS_FULL, &e);
    assert_non_null(c->mech);
    c->pop = &ts_pop_spectrum;
    c->strat = ts_strategy_find("truthful", &e);
    assert_non_null(c->strat);
    c->N = 5;
    c->m = 16;
    c->m_test = 16;
    c->T = 4;
    c->seed = 7;
    c->point = 11;
    c->replica = 0;
    assert_int_equal(ts_dpo_preset_config("small", &c->model, &e), 0);
    ts_dpo_options_default(&c->dpo);
    c->dpo.epochs = 1;
    c->nthreads = 1;
}

static ts_e2e_round *run_ok(const ts_e2e_config *c)
{
    ts_err e;
    ts_err_clear(&e);
    ts_e2e_round *out = calloc((size_t)c->T, sizeof *out);
    assert_non_null(out);
    int rc = ts_e2e_run(c, out, NULL, &e);
    if (rc)
        fail_msg("ts_e2e_run: %s", e.msg);
    return out;
}

static void labels_ours_beat_average(void **unused)
{
    (void)unused;
    double mse[2] = {0, 0}, acc[2] = {0, 0};
    const char *mech[2] = {"ours", "average"};
    for (int k = 0; k < 2; k++) {
        ts_e2e_config c;
        base_config(&c, mech[k]);
        c.T = 30;
        c.m_test = 4;
        ts_e2e_round *out = run_ok(&c);
        for (long t = 10; t < c.T; t++) {
            mse[k] += out[t].label_mse / 20;
            acc[k] += out[t].label_accuracy / 20;
        }
        free(out);
    }
    printf("label mse ours %.4f average %.4f; accuracy %.4f %.4f\n", mse[0],
           mse[1], acc[0], acc[1]);
    assert_true(mse[0] < 0.8 * mse[1]);
    assert_true(acc[0] > acc[1]);
}

static void dpo_perfect_labels(void **unused)
{
    (void)unused;
    ts_e2e_config c;
    base_config(&c, "average");
    static const double snr[4] = {20, 20, 20, 20};
    static const double noise[5] = {-40, -40, -40, -40, -40};
    static const double bias[5] = {0, 0, 0, 0, 0};
    ts_params pp;
    const ts_population_type *pt = &ts_pop_spectrum;
    ts_params_init(&pp, pt->n_params);
    const char *key[3] = {"snr_db", "su_noise_db", "su_bias_db"};
    const double *val[3] = {snr, noise, bias};
    const int len[3] = {4, 5, 5};
    for (int k = 0; k < 3; k++) {
        int i = ts_param_find(pt->params, pt->n_params, key[k]);
        assert_true(i >= 0);
        pp.vec[i] = val[k];
        pp.len[i] = len[k];
        pp.set[i] = 1;
    }
    c.pop_par = &pp;
    c.T = 6;
    c.m = 32;
    c.m_test = 64;
    c.dpo.epochs = 3;
    c.dpo.adamw.lr = 2e-3;
    c.dpo.beta = 0.1;
    ts_e2e_round *out = run_ok(&c);
    for (long t = 0; t < c.T; t++) {
        printf("round %ld: labels %.3f policy %.3f reference %.3f win %.3f "
               "loss %.4f\n", t, out[t].label_accuracy, out[t].test_accuracy,
               out[t].reference_accuracy, out[t].win_rate, out[t].dpo.loss);
        assert_true(out[t].label_accuracy == 1.0);
        assert_true(out[t].win_rate <= out[t].test_accuracy);
    }
    const ts_e2e_round *l = &out[c.T - 1];
    assert_true(l->test_accuracy > l->reference_accuracy + 0.1);
    assert_true(l->win_rate > 0);
    free(out);
}

static void threads_bitwise(void **unused)
{
    (void)unused;
    ts_e2e_round *out[2];
    for (int n = 0; n < 2; n++) {
        ts_e2e_config c;
        base_config(&c, "ours");
        c.T = 3;
        c.nthreads = n + 1;
        out[n] = run_ok(&c);
    }
    assert_memory_equal(out[0], out[1], 3 * sizeof *out[0]);
    free(out[0]);
    free(out[1]);
}

static const char *const DS_NAMES[4] = {"1010_day1.bin", "0101_day1.bin",
                                        "0000_day2.bin", "1101_day2.bin"};

static ts_spectrum_set *deepsense_set(char *dir)
{
    strcpy(dir, "/tmp/test_e2e_XXXXXX");
    assert_non_null(mkdtemp(dir));
    for (int k = 0; k < 4; k++)
        ds_write(dir, DS_NAMES[k], 3, 2.0, 40 + (uint64_t)k, NULL);
    ts_spectrum_set *s;
    ts_err e;
    if (ts_spectrum_set_load(&s, dir, 1 << 20, &e))
        fail_msg("%s", e.msg);
    return s;
}

static void deepsense_labels_from_masks(void **unused)
{
    (void)unused;
    char dir[64];
    ts_spectrum_set *s = deepsense_set(dir);
    ts_e2e_round *out[2];
    for (int k = 0; k < 2; k++) {
        ts_e2e_config c;
        base_config(&c, "average");
        c.pop = &ts_pop_deepsense;
        c.data = s;
        c.T = 3;
        out[k] = run_ok(&c);
    }
    for (long t = 0; t < 3; t++) {
        printf("deepsense round %ld: labels %.3f mse %.5f policy %.3f "
               "reference %.3f\n", t, out[0][t].label_accuracy,
               out[0][t].label_mse, out[0][t].test_accuracy,
               out[0][t].reference_accuracy);
        assert_true(out[0][t].label_accuracy == 1.0);
        assert_true(out[0][t].label_mse < 0.01);
        assert_true(out[0][t].test_accuracy >= 0 &&
                    out[0][t].test_accuracy <= 1);
    }
    assert_memory_equal(out[0], out[1], 3 * sizeof *out[0]);
    free(out[0]);
    free(out[1]);
    ts_spectrum_set_free(s);
    ds_rmdir(dir, DS_NAMES, 4);
}

static void refusals(void **unused)
{
    (void)unused;
    ts_e2e_config c;
    ts_err e;
    ts_e2e_round out[4];
    base_config(&c, "ours");
    c.pop = &ts_pop_bands;
    assert_int_equal(ts_e2e_run(&c, out, NULL, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "population bands has no prompt texts"));
    base_config(&c, "ours");
    c.dpo.full = 1;
    assert_int_equal(ts_e2e_run(&c, out, NULL, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "full fine-tuning"));
    base_config(&c, "ours");
    c.pop = &ts_pop_deepsense;
    assert_int_equal(ts_e2e_run(&c, out, NULL, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "population deepsense needs a data set"));
    char dir[64];
    ts_spectrum_set *s = deepsense_set(dir);
    base_config(&c, "ours");
    c.data = s;
    assert_int_equal(ts_e2e_run(&c, out, NULL, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "for population deepsense only"));
    ts_spectrum_set_free(s);
    ds_rmdir(dir, DS_NAMES, 4);
}

/* Four cells: (ours, median) x N (5, 6), two replicas each. */
static const char *const GRID =
    "kind: e2e\nname: cells\nmechanisms: [ours, median]\nN: [5, 6]\n"
    "m: 4\nm_test: 4\nrounds: 2\nreplicas: 2\nseed: 3\ndpo: {epochs: 1}\n";

typedef struct seen {
    const double *whole; /* the whole run's rows, or NULL                */
    double *out;         /* the buffer being filled                      */
    size_t per;          /* doubles a cell                               */
    int calls[4];
    long fail_at;        /* cell whose cell_done fails, or -1            */
} seen;

static int cell_seen(void *ctx, long c, ts_err *e)
{
    seen *s = ctx;
    s->calls[c]++;
    if (s->whole) /* the rows are complete when the cell is reported */
        assert_memory_equal(s->out + (size_t)c * s->per,
                            s->whole + (size_t)c * s->per,
                            s->per * sizeof(double));
    if (c == s->fail_at)
        return TS_ERROR(e, TS_EIO, "cells.h5.points: disk full");
    return TS_OK;
}

static void cells_alone(void **unused)
{
    (void)unused;
    ts_err e;
    ts_e2e_exp *x = NULL;
    assert_int_equal(ts_e2e_exp_load_text(&x, "cells.yaml", GRID, 0, NULL, &e), 0);
    assert_int_equal(ts_e2e_exp_cells(x), 4);
    const size_t per = (size_t)x->replicas * (size_t)x->rounds * TS_E2E_N_METRIC;
    double *whole = malloc(4 * per * sizeof *whole);
    double *out = malloc(4 * per * sizeof *out);
    assert_true(whole && out);
    seen s = {NULL, whole, per, {0}, -1};
    ts_e2e_run_opts o = {2, NULL, NULL, cell_seen, &s};
    assert_int_equal(ts_e2e_exp_run(x, &o, whole, NULL, &e), 0);
    for (int c = 0; c < 4; c++)
        assert_int_equal(s.calls[c], 1);
    /* Each cell alone, on one thread, into a buffer of NaNs. */
    unsigned char skip[4];
    for (int c = 0; c < 4; c++) {
        for (size_t k = 0; k < 4 * per; k++)
            out[k] = NAN;
        memset(skip, 1, sizeof skip);
        skip[c] = 0;
        seen t = {whole, out, per, {0}, -1};
        ts_e2e_run_opts oc = {1, NULL, skip, cell_seen, &t};
        assert_int_equal(ts_e2e_exp_run(x, &oc, out, NULL, &e), 0);
        for (int d = 0; d < 4; d++) {
            assert_int_equal(t.calls[d], d == c);
            for (size_t k = 0; d != c && k < per; k++)
                assert_true(isnan(out[(size_t)d * per + k]));
        }
        assert_memory_equal(out + (size_t)c * per, whole + (size_t)c * per,
                            per * sizeof *out);
    }
    /* cell_done failing fails the run with its message. */
    seen f = {NULL, out, per, {0}, 1};
    ts_e2e_run_opts of = {1, NULL, NULL, cell_seen, &f};
    assert_int_equal(ts_e2e_exp_run(x, &of, out, NULL, &e), TS_EIO);
    assert_non_null(strstr(e.msg, "disk full"));
    assert_int_equal(f.calls[2] + f.calls[3], 0); /* nothing started after */
    /* A stop before the start runs nothing. */
    volatile sig_atomic_t stop = 1;
    seen g = {NULL, out, per, {0}, -1};
    ts_e2e_run_opts og = {1, &stop, NULL, cell_seen, &g};
    assert_int_equal(ts_e2e_exp_run(x, &og, out, NULL, &e), TS_EINTR);
    assert_int_equal(g.calls[0] + g.calls[1] + g.calls[2] + g.calls[3], 0);
    free(whole);
    free(out);
    ts_e2e_exp_free(x);
}

static void canonical_reloads(void **unused)
{
    (void)unused;
    ts_err e;
    ts_e2e_exp *x = NULL, *y = NULL;
    char *set[1] = {"N=[7, 9]"};
    assert_int_equal(ts_e2e_exp_load_text(&x, "cells.yaml", GRID, 1, set, &e), 0);
    assert_int_equal(x->n_N, 2);
    assert_int_equal(x->Ns[1], 9);
    assert_non_null(strstr(x->canonical, "N: [7, 9]"));
    assert_int_equal(ts_e2e_exp_load_text(&y, "cells.yaml", x->canonical, 0,
                                          NULL, &e), 0);
    assert_string_equal(x->canonical, y->canonical);
    assert_int_equal(y->Ns[1], 9);
    assert_int_equal(y->dpo.epochs, 1);
    ts_e2e_exp_free(x);
    ts_e2e_exp_free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refusals),
        cmocka_unit_test(threads_bitwise),
        cmocka_unit_test(deepsense_labels_from_masks),
        cmocka_unit_test(labels_ours_beat_average),
        cmocka_unit_test(dpo_perfect_labels),
        cmocka_unit_test(cells_alone),
        cmocka_unit_test(canonical_reloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

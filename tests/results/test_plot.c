/* test_plot.c -- `truthsim plot` (src/results/plot*.c, src/cli/plot.c).
 *
 * Builds small result files with the HDF5 C API, laid out as
 * docs/results-format.md says (dimension scales, a vlen-string mechanism
 * axis, mechanism_label, _ci companions, NaN padding), plots them into a
 * fresh temporary directory and checks:
 *   - the TSV tables byte for byte: the values are typed in below and the
 *     expected text was written by hand from them (NaN-padded lines and rows
 *     left out, the shortest exact decimal of each double);
 *   - the scripts exist, and with gnuplot on PATH the PNG/SVG too, and a
 *     script redraws its picture when run alone in the output directory;
 *   - with gnuplot absent (a search path without it) the TSV and scripts are
 *     still written and the call succeeds;
 *   - every error (missing file, not HDF5, no dimension scales, no _ci,
 *     gnuplot failing) returns its code and a one-line "FILE: ..." message
 *     and leaves the output directory empty.
 * Usage: test_plot [CMOCKA-FILTER]  (meson runs one group per test). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "cli/cli.h"
#include "results/plot.h"

extern char **environ;

/* ------------------------------------------------------------------------ */
/* Helpers: temporary directories and files.                                 */

typedef struct fixture {
    char dir[64];   /* input files live here         */
    char out[128];  /* dir/out: the output directory */
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/ts_test_plot.XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->out, sizeof fx->out, "%s/out", fx->dir);
    if (mkdir(fx->out, 0777) != 0)
        return -1;
    *state = fx;
    return 0;
}

/* Remove a directory tree of plain files and directories. */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char sub[512];
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(sub);
        else
            unlink(sub);
    }
    closedir(d);
    rmdir(path);
}

static int teardown(void **state)
{
    fixture *fx = *state;
    remove_tree(fx->dir);
    free(fx);
    return 0;
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* No leftover temporary (hidden) file in dir. */
static void assert_no_hidden(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (de->d_name[0] == '.')
            fail_msg("temporary file left behind: %s/%s", dir, de->d_name);
    }
    closedir(d);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

static void assert_file_text(const char *path, const char *want)
{
    char *got = slurp(path);
    if (!got)
        fail_msg("%s: missing", path);
    if (strcmp(got, want) != 0)
        fail_msg("%s differs.\n--- got ---\n%s--- want ---\n%s", path, got, want);
    free(got);
}

static void assert_starts_with(const char *path, const char *magic)
{
    char *got = slurp(path);
    if (!got)
        fail_msg("%s: missing", path);
    assert_memory_equal(got, magic, strlen(magic));
    free(got);
}

/* Is gnuplot on this test's PATH? (tests may read the environment) */
static int have_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char *copy = strdup(path);
    assert_non_null(copy);
    int found = 0;
    for (char *tok = strtok(copy, ":"); tok && !found; tok = strtok(NULL, ":")) {
        char cand[1024];
        snprintf(cand, sizeof cand, "%s/gnuplot", tok);
        found = access(cand, X_OK) == 0;
    }
    free(copy);
    return found;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

/* ------------------------------------------------------------------------ */
/* Helpers: result files (docs/results-format.md).                           */

static hid_t coord_str(hid_t f, const char *name, const char *const *vals, hsize_t n)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(f, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals) >= 0);
    H5Sclose(sp);
    H5Tclose(t);
    return d;
}

static hid_t coord_i64(hid_t f, const char *name, const int64_t *vals, hsize_t n)
{
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(f, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals) >= 0);
    H5Sclose(sp);
    return d;
}

static void make_scale(hid_t d, const char *name)
{
    assert_true(H5DSset_scale(d, name) >= 0);
}

/* A float64 dataset over the given scales (NULL: no scales attached). */
static void data_f64(hid_t f, const char *name, int rank, const hsize_t *dims,
                     const hid_t *scales, const double *v)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(f, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    for (int k = 0; scales && k < rank; k++)
        assert_true(H5DSattach_scale(d, scales[k], (unsigned)k) >= 0);
    H5Dclose(d);
    H5Sclose(sp);
}

static void attr_str(hid_t f, const char *name, const char *val)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(H5Awrite(a, t, &val) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}

static void attr_i64(hid_t f, const char *name, int64_t val)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(H5Awrite(a, H5T_NATIVE_INT64, &val) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
}

static hid_t new_file(const char *path, const char *name)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    attr_str(f, "program", "truthsim");
    attr_str(f, "name", name);
    attr_str(f, "feedback", "full");
    attr_str(f, "population", "bands");
    attr_str(f, "strategy", "truthful");
    attr_i64(f, "replicas", 20);
    return f;
}

/* Fig. 6-like: time_avg_regret over mechanism x N x T.  omoe at N = 10 failed
 * everywhere (all NaN: its line is left out); omoe N = 5 lacks T = 10000 (a
 * NaN inside a kept line stays, as "NaN"). */
static const double regret_mean[2][2][3] = {
    {{0.385, 0.1217, 0.03849}, {0.4471, 0.14138, 0.044709}},
    {{0.2093, 0.20871, NAN}, {NAN, NAN, NAN}},
};
static const double regret_ci[2][2][3] = {
    {{0.0213, 0.00672, 0.002125}, {0.0251, 0.00794, 0.0025}},
    {{0.0117, 0.0119, NAN}, {NAN, NAN, NAN}},
};
static const char regret_tsv[] =
    "# T\tours N=5: mean\tours N=5: ci95\tours N=10: mean\tours N=10: ci95"
    "\tomoe (stand-in) N=5: mean\tomoe (stand-in) N=5: ci95\n"
    "100\t0.385\t0.0213\t0.4471\t0.0251\t0.2093\t0.0117\n"
    "1000\t0.1217\t0.00672\t0.14138\t0.00794\t0.20871\t0.0119\n"
    "10000\t0.03849\t0.002125\t0.044709\t0.0025\tNaN\tNaN\n";

static void write_regret_file(const char *path, int with_scales, int with_ci)
{
    hid_t f = new_file(path, "fig6t");
    const char *mech[] = {"ours", "omoe"};
    const char *label[] = {"ours", "omoe (stand-in)"};
    const int64_t N[] = {5, 10}, T[] = {100, 1000, 10000};
    hid_t cm = coord_str(f, "mechanism", mech, 2);
    hid_t cN = coord_i64(f, "N", N, 2);
    hid_t cT = coord_i64(f, "T", T, 3);
    make_scale(cm, "mechanism");
    make_scale(cN, "N");
    make_scale(cT, "T");
    hid_t lab = coord_str(f, "mechanism_label", label, 2);
    assert_true(H5DSattach_scale(lab, cm, 0) >= 0);
    H5Dclose(lab);
    const hsize_t dims[] = {2, 2, 3};
    const hid_t sc[] = {cm, cN, cT};
    data_f64(f, "time_avg_regret", 3, dims, with_scales ? sc : NULL, &regret_mean[0][0][0]);
    if (with_ci)
        data_f64(f, "time_avg_regret_ci", 3, dims, with_scales ? sc : NULL,
                 &regret_ci[0][0][0]);
    H5Dclose(cm);
    H5Dclose(cN);
    H5Dclose(cT);
    H5Fclose(f);
}

/* Figs. 2-3-like: trajectories over mechanism x N x slot x worker, T = 3
 * fixed.  At N = 2 worker 3 is NaN padding, and (as if that point had a
 * shorter horizon) slot 3 too. */
#define NM 2
#define NN 2
#define NS 4
#define NW 3
static const double share_mean[NM][NN][NS][NW] = {
    {   /* ours */
        {{0.5, 0.5, NAN}, {0.6125, 0.3875, NAN}, {0.7031, 0.2969, NAN}, {NAN, NAN, NAN}},
        {{0.3333, 0.3333, 0.3334}, {0.41, 0.3, 0.29}, {0.477, 0.281, 0.242},
         {0.5413, 0.2601, 0.1986}},
    },
    {   /* hedge */
        {{0.5, 0.5, NAN}, {0.6, 0.4, NAN}, {0.69, 0.31, NAN}, {NAN, NAN, NAN}},
        {{0.3333, 0.3333, 0.3334}, {0.4, 0.31, 0.29}, {0.46, 0.29, 0.25},
         {0.52, 0.27, 0.21}},
    },
};
static const double share_ci[NM][NN][NS][NW] = {
    {
        {{0, 0, NAN}, {0.0171, 0.0171, NAN}, {0.0254, 0.0254, NAN}, {NAN, NAN, NAN}},
        {{0, 0, 0}, {0.012, 0.011, 0.013}, {0.019, 0.017, 0.016}, {0.022, 0.02, 0.018}},
    },
    {
        {{0, 0, NAN}, {0.02, 0.02, NAN}, {0.03, 0.03, NAN}, {NAN, NAN, NAN}},
        {{0, 0, 0}, {0.01, 0.01, 0.01}, {0.02, 0.02, 0.02}, {0.03, 0.03, 0.03}},
    },
};
static const char share_ours_N2_tsv[] =
    "# slot\tworker 0: mean\tworker 0: ci95\tworker 1: mean\tworker 1: ci95\n"
    "0\t0.5\t0\t0.5\t0\n"
    "1\t0.6125\t0.0171\t0.3875\t0.0171\n"
    "2\t0.7031\t0.0254\t0.2969\t0.0254\n";
static const char share_hedge_N3_tsv[] =
    "# slot\tworker 0: mean\tworker 0: ci95\tworker 1: mean\tworker 1: ci95"
    "\tworker 2: mean\tworker 2: ci95\n"
    "0\t0.3333\t0\t0.3333\t0\t0.3334\t0\n"
    "1\t0.4\t0.01\t0.31\t0.01\t0.29\t0.01\n"
    "2\t0.46\t0.02\t0.29\t0.02\t0.25\t0.02\n"
    "3\t0.52\t0.03\t0.27\t0.03\t0.21\t0.03\n";

static const char *const traj_stems[] = {
    "fig2t_share_traj_ours_N2",   "fig2t_share_traj_ours_N3",
    "fig2t_share_traj_hedge_N2",  "fig2t_share_traj_hedge_N3",
    "fig2t_weight_traj_ours_N2",  "fig2t_weight_traj_ours_N3",
    "fig2t_weight_traj_hedge_N2", "fig2t_weight_traj_hedge_N3",
};
#define N_TRAJ_STEMS (sizeof traj_stems / sizeof traj_stems[0])

static void write_traj_file(const char *path)
{
    hid_t f = new_file(path, "fig2t");
    attr_i64(f, "T", 3);
    const char *mech[] = {"ours", "hedge"};
    const int64_t N[] = {2, 3}, slot[] = {0, 1, 2, 3}, worker[] = {0, 1, 2};
    hid_t cm = coord_str(f, "mechanism", mech, NM);
    hid_t cN = coord_i64(f, "N", N, NN);
    hid_t cs = coord_i64(f, "slot", slot, NS);
    hid_t cw = coord_i64(f, "worker", worker, NW);
    make_scale(cm, "mechanism");
    make_scale(cN, "N");
    make_scale(cs, "slot");
    make_scale(cw, "worker");
    const hsize_t dims[] = {NM, NN, NS, NW};
    const hid_t sc[] = {cm, cN, cs, cw};
    data_f64(f, "share_traj", 4, dims, sc, &share_mean[0][0][0][0]);
    data_f64(f, "share_traj_ci", 4, dims, sc, &share_ci[0][0][0][0]);
    /* weights: shares x 2.5, enough to tell the pictures apart */
    double w[NM * NN * NS * NW], wci[NM * NN * NS * NW];
    for (size_t k = 0; k < sizeof w / sizeof w[0]; k++) {
        w[k] = 2.5 * (&share_mean[0][0][0][0])[k];
        wci[k] = 2.5 * (&share_ci[0][0][0][0])[k];
    }
    data_f64(f, "weight_traj", 4, dims, sc, w);
    data_f64(f, "weight_traj_ci", 4, dims, sc, wci);
    /* T is not swept: time_avg_regret over mechanism x N makes no picture */
    const double tar[NM][NN] = {{0.0312, 0.0297}, {0.0325, 0.031}};
    data_f64(f, "time_avg_regret", 2, dims, sc, &tar[0][0]);
    data_f64(f, "time_avg_regret_ci", 2, dims, sc, &tar[0][0]);
    H5Dclose(cm);
    H5Dclose(cN);
    H5Dclose(cs);
    H5Dclose(cw);
    H5Fclose(f);
}

static void opts_real(ts_plot_opts *o, const char *out_dir)
{
    ts_plot_opts_init(o);
    o->out_dir = out_dir;
    o->path = getenv("PATH");
    o->envp = environ;
}

static void path_in(char *buf, size_t len, const char *dir, const char *stem,
                    const char *ext)
{
    snprintf(buf, len, "%s/%s.%s", dir, stem, ext);
}

/* ------------------------------------------------------------------------ */
/* Tests.                                                                    */

static void test_time_avg_regret(void **state)
{
    fixture *fx = *state;
    char h5[256], p[512];
    snprintf(h5, sizeof h5, "%s/fig6t.h5", fx->dir);
    write_regret_file(h5, 1, 1);

    ts_plot_opts o;
    opts_real(&o, fx->out);
    ts_plot_out out;
    ts_err e;
    ts_err_clear(&e);
    int rc = ts_plot_file(h5, &o, &out, &e);
    if (rc)
        fail_msg("ts_plot_file: %s", e.msg);
    assert_int_equal(out.n, 1);
    path_in(p, sizeof p, fx->out, "fig6t_time_avg_regret", "tsv");
    assert_string_equal(out.pic[0].tsv, p);
    assert_file_text(p, regret_tsv);
    path_in(p, sizeof p, fx->out, "fig6t_time_avg_regret", "gp");
    assert_string_equal(out.pic[0].gp, p);
    char *gp = slurp(p);
    assert_non_null(gp);
    /* the header sets what the template reads; the legend uses the labels */
    assert_non_null(strstr(gp, "if (!exists(\"datafile\")) { datafile = 'fig6t_time_avg_regret.tsv' }"));
    assert_non_null(strstr(gp, "nseries = 3\n"));
    assert_non_null(strstr(gp, "array stitle[3] = ['ours N=5', 'ours N=10', 'omoe (stand-in) N=5']"));
    /* every line its own colour, marker and dash */
    assert_non_null(strstr(gp, "array scolor[3] = [\"#0072b2\", \"#e69f00\", \"#009e73\"]"));
    assert_non_null(strstr(gp, "array spt[3] = [7, 4, 9]"));
    assert_non_null(strstr(gp, "array sdt[3] = [1, 4, 5]"));
    assert_non_null(strstr(gp, "set logscale x"));
    assert_non_null(strstr(gp, "width = 800\nheight = 560\n"));
    assert_non_null(strstr(gp, "pngcairo size width,height"));
    free(gp);
    if (have_gnuplot()) {
        assert_true(out.rendered);
        path_in(p, sizeof p, fx->out, "fig6t_time_avg_regret", "png");
        assert_string_equal(out.pic[0].png, p);
        assert_starts_with(p, "\x89PNG\r\n");
        path_in(p, sizeof p, fx->out, "fig6t_time_avg_regret", "svg");
        assert_string_equal(out.pic[0].svg, p);
        assert_starts_with(p, "<?xml");
        assert_int_equal(count_entries(fx->out), 4);
    } else {
        print_message("gnuplot not on PATH: pictures not checked\n");
        assert_true(out.gnuplot_missing);
        assert_int_equal(count_entries(fx->out), 2);
    }
    assert_no_hidden(fx->out);
    ts_plot_out_fini(&out);
}

static void test_trajectory(void **state)
{
    fixture *fx = *state;
    char h5[256], p[512];
    snprintf(h5, sizeof h5, "%s/fig2t.h5", fx->dir);
    write_traj_file(h5);

    ts_plot_opts o;
    opts_real(&o, fx->out);
    ts_plot_out out;
    ts_err e;
    ts_err_clear(&e);
    int rc = ts_plot_file(h5, &o, &out, &e);
    if (rc)
        fail_msg("ts_plot_file: %s", e.msg);
    /* share and weight pictures for each mechanism x N; no regret picture */
    assert_int_equal(out.n, N_TRAJ_STEMS);
    for (size_t k = 0; k < N_TRAJ_STEMS; k++) {
        path_in(p, sizeof p, fx->out, traj_stems[k], "tsv");
        assert_string_equal(out.pic[k].tsv, p);
        assert_true(file_exists(p));
        path_in(p, sizeof p, fx->out, traj_stems[k], "gp");
        assert_true(file_exists(p));
        if (out.rendered) {
            path_in(p, sizeof p, fx->out, traj_stems[k], "png");
            assert_starts_with(p, "\x89PNG\r\n");
            path_in(p, sizeof p, fx->out, traj_stems[k], "svg");
            assert_starts_with(p, "<?xml");
        }
    }
    assert_int_equal(out.rendered, have_gnuplot());
    assert_int_equal(count_entries(fx->out), N_TRAJ_STEMS * (out.rendered ? 4 : 2));
    path_in(p, sizeof p, fx->out, "fig2t_share_traj_ours_N2", "tsv");
    assert_file_text(p, share_ours_N2_tsv);
    path_in(p, sizeof p, fx->out, "fig2t_share_traj_hedge_N3", "tsv");
    assert_file_text(p, share_hedge_N3_tsv);
    /* weights = 2.5 x shares: 2.5 * 0.6125 = 1.53125 exactly in binary */
    path_in(p, sizeof p, fx->out, "fig2t_weight_traj_ours_N2", "tsv");
    char *w = slurp(p);
    assert_non_null(strstr(w, "\n1\t1.53125\t"));
    free(w);
    path_in(p, sizeof p, fx->out, "fig2t_share_traj_ours_N2", "gp");
    char *gp = slurp(p);
    /* workers named as the file's worker coordinate numbers them (0, 1) */
    assert_non_null(strstr(gp, "array stitle[2] = ['worker 0', 'worker 1']"));
    assert_non_null(strstr(gp, "y_min = 0\ny_max = 1\n"));
    free(gp);
    assert_no_hidden(fx->out);
    ts_plot_out_fini(&out);
}

/* The default output directory is the input's. */
static void test_default_dir(void **state)
{
    fixture *fx = *state;
    char h5[256], p[512];
    snprintf(h5, sizeof h5, "%s/fig6t.h5", fx->out);
    write_regret_file(h5, 1, 1);
    ts_plot_opts o;
    opts_real(&o, NULL);
    o.render = 0;
    ts_plot_out out;
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_plot_file(h5, &o, &out, &e), TS_OK);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.dir, fx->out);
    path_in(p, sizeof p, fx->out, "fig6t_time_avg_regret", "tsv");
    assert_file_text(p, regret_tsv);
    assert_false(out.rendered);
    assert_false(out.gnuplot_missing);
    assert_int_equal(count_entries(fx->out), 3); /* .h5, .tsv, .gp */
    ts_plot_out_fini(&out);
}

static void test_no_gnuplot(void **state)
{
    fixture *fx = *state;
    char h5[256], p[512];
    snprintf(h5, sizeof h5, "%s/fig6t.h5", fx->dir);
    write_regret_file(h5, 1, 1);
    ts_plot_opts o;
    opts_real(&o, fx->out);
    o.path = "/nonexistent/ts_test_plot/bin"; /* a PATH without gnuplot */
    ts_plot_out out;
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_plot_file(h5, &o, &out, &e), TS_OK);
    assert_int_equal(out.n, 1);
    assert_true(out.gnuplot_missing);
    assert_false(out.rendered);
    assert_null(out.pic[0].png);
    assert_null(out.pic[0].svg);
    path_in(p, sizeof p, fx->out, "fig6t_time_avg_regret", "tsv");
    assert_file_text(p, regret_tsv);
    path_in(p, sizeof p, fx->out, "fig6t_time_avg_regret", "gp");
    assert_true(file_exists(p));
    assert_int_equal(count_entries(fx->out), 2);
    ts_plot_out_fini(&out);
}

/* The written script is complete: run alone in the output directory, it
 * draws the picture again. */
static void test_standalone_script(void **state)
{
    fixture *fx = *state;
    if (!have_gnuplot()) {
        print_message("gnuplot not on PATH: skipped\n");
        skip();
    }
    char h5[256], png[512];
    snprintf(h5, sizeof h5, "%s/fig6t.h5", fx->dir);
    write_regret_file(h5, 1, 1);
    ts_plot_opts o;
    opts_real(&o, fx->out);
    o.render = 0;
    ts_plot_out out;
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_plot_file(h5, &o, &out, &e), TS_OK);
    ts_plot_out_fini(&out);
    path_in(png, sizeof png, fx->out, "fig6t_time_avg_regret", "png");
    assert_false(file_exists(png));

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (chdir(fx->out) == 0)
            execlp("gnuplot", "gnuplot", "fig6t_time_avg_regret.gp", (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_starts_with(png, "\x89PNG\r\n");
    path_in(png, sizeof png, fx->out, "fig6t_time_avg_regret", "svg");
    assert_starts_with(png, "<?xml");
}

static void test_nothing_to_plot(void **state)
{
    fixture *fx = *state;
    char h5[256];
    snprintf(h5, sizeof h5, "%s/flat.h5", fx->dir);
    hid_t f = new_file(h5, "flat");
    const char *mech[] = {"ours", "hedge"};
    hid_t cm = coord_str(f, "mechanism", mech, 2);
    make_scale(cm, "mechanism");
    const hsize_t dims[] = {2};
    const double v[] = {0.0412, 0.0437};
    data_f64(f, "time_avg_regret", 1, dims, &cm, v);
    data_f64(f, "time_avg_regret_ci", 1, dims, &cm, v);
    H5Dclose(cm);
    H5Fclose(f);
    ts_plot_opts o;
    opts_real(&o, fx->out);
    ts_plot_out out;
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_plot_file(h5, &o, &out, &e), TS_OK);
    assert_int_equal(out.n, 0);
    assert_int_equal(count_entries(fx->out), 0);
    ts_plot_out_fini(&out);
    char kinds[512];
    ts_plot_kinds_describe(kinds, sizeof kinds);
    assert_non_null(strstr(kinds, "time_avg_regret over T"));
}

/* Each error: its code, a one-line "FILE: ..." message, nothing written. */
static void expect_error(const fixture *fx, const char *h5, const ts_plot_opts *o,
                         int code, const char *what)
{
    ts_plot_out out;
    ts_err e;
    ts_err_clear(&e);
    int rc = ts_plot_file(h5, o, &out, &e);
    if (rc != code)
        fail_msg("%s: got code %d (%s), want %d", h5, rc, e.msg, code);
    assert_int_equal(e.code, code);
    assert_null(strchr(e.msg, '\n'));
    if (strstr(e.msg, what) == NULL)
        fail_msg("message '%s' lacks '%s'", e.msg, what);
    assert_int_equal(out.n, 0);
    assert_null(out.pic);
    assert_int_equal(count_entries(fx->out), 0);
}

static void test_errors(void **state)
{
    fixture *fx = *state;
    char h5[256], msg[400];
    ts_plot_opts o;
    opts_real(&o, fx->out);

    snprintf(h5, sizeof h5, "%s/missing.h5", fx->dir);
    snprintf(msg, sizeof msg, "%s: No such file or directory", h5);
    expect_error(fx, h5, &o, TS_ENOINPUT, msg);

    snprintf(h5, sizeof h5, "%s/text.h5", fx->dir);
    write_text(h5, "slot,prompt,worker,report,truth\n0,0,0,0.385,1\n", 0644);
    snprintf(msg, sizeof msg, "%s: not an HDF5 file", h5);
    expect_error(fx, h5, &o, TS_EINPUT, msg);

    snprintf(h5, sizeof h5, "%s/noscales.h5", fx->dir);
    write_regret_file(h5, 0, 1);
    expect_error(fx, h5, &o, TS_EINPUT, "has no dimension scale");

    snprintf(h5, sizeof h5, "%s/noci.h5", fx->dir);
    write_regret_file(h5, 1, 0);
    expect_error(fx, h5, &o, TS_EINPUT, "no companion time_avg_regret_ci");

    /* a file cut short is not an HDF5 file any more */
    snprintf(h5, sizeof h5, "%s/fig6t.h5", fx->dir);
    write_regret_file(h5, 1, 1);
    assert_int_equal(truncate(h5, 1000), 0);
    expect_error(fx, h5, &o, TS_EINPUT, h5);
}

/* gnuplot failing (a stand-in that exits 3) or drawing nothing: an error,
 * and the TSV and script written before it are removed again. */
static void test_gnuplot_failure(void **state)
{
    fixture *fx = *state;
    char h5[256], bin[256], prog[320];
    snprintf(h5, sizeof h5, "%s/fig2t.h5", fx->dir);
    write_traj_file(h5);
    snprintf(bin, sizeof bin, "%s/bin", fx->dir);
    assert_int_equal(mkdir(bin, 0777), 0);
    snprintf(prog, sizeof prog, "%s/gnuplot", bin);
    write_text(prog, "#!/bin/sh\nexit 3\n", 0755);
    ts_plot_opts o;
    opts_real(&o, fx->out);
    o.path = bin;
    expect_error(fx, h5, &o, TS_EIO, "gnuplot failed (exit status 3)");

    write_text(prog, "#!/bin/sh\nexit 0\n", 0755);
    expect_error(fx, h5, &o, TS_EIO, "gnuplot wrote no picture");

    /* an output directory made for this call goes again */
    char sub[256];
    snprintf(sub, sizeof sub, "%s/new", fx->out);
    o.out_dir = sub;
    expect_error(fx, h5, &o, TS_EIO, "gnuplot wrote no picture");
    struct stat st;
    assert_int_not_equal(stat(sub, &st), 0);
}

/* The CLI: exit 0 and pictures on success, 1 and nothing on a bad file. */
static void test_cli(void **state)
{
    fixture *fx = *state;
    char h5[256];
    snprintf(h5, sizeof h5, "%s/fig6t.h5", fx->dir);
    write_regret_file(h5, 1, 1);
    char *ok[] = {(char *)"plot", h5, (char *)"-o", fx->out, NULL};
    assert_int_equal(ts_cli_plot(4, ok), 0);
    assert_int_equal(count_entries(fx->out), have_gnuplot() ? 4 : 2);

    char bad_path[256];
    snprintf(bad_path, sizeof bad_path, "%s/none.h5", fx->dir);
    char sub[256];
    snprintf(sub, sizeof sub, "%s/sub", fx->dir);
    char *bad[] = {(char *)"plot", bad_path, (char *)"-o", sub, NULL};
    assert_int_not_equal(ts_cli_plot(4, bad), 0);
    struct stat st;
    assert_int_not_equal(stat(sub, &st), 0); /* not even the directory */
}

static void test_templates_embedded(void **state)
{
    (void)state;
    const char *t = ts_plot_template_text("time_avg_regret");
    assert_non_null(t);
    assert_non_null(strstr(t, "filledcurves"));
    t = ts_plot_template_text("trajectory");
    assert_non_null(t);
    assert_non_null(strstr(t, "svg"));
    assert_null(ts_plot_template_text("no_such_template"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_templates_embedded),
        cmocka_unit_test_setup_teardown(test_time_avg_regret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trajectory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_gnuplot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_standalone_script, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_to_plot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gnuplot_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    /* The test files are built with the HDF5 API, and some are broken on
     * purpose: keep its error stack quiet, as truthsim's main does. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return cmocka_run_group_tests_name("plot", tests, NULL, NULL);
}

/* test_replay.c -- src/replay/: REPORTS.csv and SELECTED.csv readers
 * (reports.c), the replay of a mechanism on recorded reports (replay.c),
 * and the HDF5 writer (replay_write.c) (SPEC §7.1).
 *
 * Files are written into a fresh mkdtemp directory; every malformed input
 * is refused with its exact "FILE:LINE: reason" message (STYLE §4).
 *
 * Known answer (replay_ours_known_answer): N = 3 workers, two slots of
 * m = 2 prompts, ours (Def. 4) with alpha = 0.3, computed by this Python
 * with plain (not log) weights:
 *   def replay(slots, alpha, N):
 *       w = [1.0]*N; cum = 0.0; cw = [0.0]*N
 *       for rep, truth in slots:             # rep[i][j], truth[j]
 *           m = len(truth)
 *           share = [x/sum(w) for x in w]
 *           A = [sum(w[i]*rep[i][j] for i in range(N))/sum(w) for j in range(m)]
 *           L = sum((A[j]-truth[j])**2 for j in range(m))/m
 *           l = [sum((rep[i][j]-truth[j])**2 for j in range(m))/m for i in range(N)]
 *           cum += L; cw = [cw[i] + l[i] for i in range(N)]
 *           regret = cum - min(cw)
 *           w = [w[i]*(1 - alpha*l[i]) for i in range(N)]
 * Slot 0 by hand: A = (0.385 + 0.71 + 0.64)/3 = 0.578333...,
 * (0.82 + 0.23 + 0.455)/3 = 0.501666...; l = 0.5253125, 0.0685, 0.1683125;
 * L = ((1 - 0.578333)^2 + 0.501667^2)/2 = 0.214736...; regret = L - 0.0685.
 *
 * The data-driven test reads ../shared/data/flusight_2024_25/reports.csv
 * (path in TS_FLUSIGHT_CSV, set by meson; skipped if absent) and checks the
 * numbers its README states: T = 27, N = 9, M = 51, 1374 items, 374 of them
 * positive, the file's SHA-256, and under `average` the Brier score 0.1431
 * (per-item: the per-slot mean losses weighted by m_t) and worker 6
 * (PSI-PROF, Brier 0.1202) as the best worker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "games/games.h"
#include "replay/replay.h"
#include "base/sha256.h"

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ts_test_replay_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *de;
    char p[512];
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (rmdir(p) != 0)
            remove(p);
    }
    closedir(d);
    rmdir(dir);
    return 0;
}

/* Write text (len bytes; -1 for strlen) to dir/name; path into out. */
static void write_file(const char *name, const char *text, long len,
                       char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s", dir, name);
    FILE *f = fopen(out, "wb");
    assert_non_null(f);
    size_t n = len < 0 ? strlen(text) : (size_t)len;
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
}

static void sha_of(const char *text, size_t len, char hex[65])
{
    ts_sha256 s;
    ts_sha256_init(&s);
    ts_sha256_update(&s, text, len);
    ts_sha256_hex(&s, hex);
}

static void close_to(double x, double want, double tol, const char *what)
{
    if (!(fabs(x - want) <= tol))
        fail_msg("%s = %.17g, want %.17g", what, x, want);
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */

/* Slot 0 has two prompts, slot 1 one; columns in another order with two
 * extra ones, rows shuffled, CRLF line ends, quoted and padded fields, and
 * blank lines at the end. */
static const char happy_csv[] =
    "truth,note,worker,report,prompt,slot,extra\r\n"
    "0,x,2,0.58,0,1,9\r\n"
    "1,y,0,0.385,0,0,9\r\n"
    "0,\"quoted\",1,0.23,1,0,9\r\n"
    "0,z,2, 0.455 ,1,0,9\r\n"
    "0,z,0,0.82,1,0,9\r\n"
    "1,z,1,\"0.71\",0,0,9\r\n"
    "0,z,0,0.91,0,1,9\r\n"
    "1,z,2,0.64,0,0,9\r\n"
    "0,z,1,0.335,0,1,9\r\n"
    "\r\n\r\n";

static void read_happy_path(void **unused)
{
    (void)unused;
    const char *text = happy_csv;
    char path[256];
    write_file("r.csv", text, -1, path, sizeof path);
    ts_reports rp;
    memset(&rp, 0xca, sizeof rp);
    ts_err e;
    ts_err_clear(&e);
    int rc = ts_reports_read_csv(&rp, path, &e);
    if (rc)
        fail_msg("%s", e.msg);
    assert_int_equal(rp.T, 2);
    assert_int_equal(rp.N, 3);
    assert_int_equal(rp.M, 2);
    assert_int_equal(rp.m[0], 2);
    assert_int_equal(rp.m[1], 1);
    /* r[(t*N + i)*M + j] */
    const double r0[3][2] = {{0.385, 0.82}, {0.71, 0.23}, {0.64, 0.455}};
    const double r1[3] = {0.91, 0.335, 0.58};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 2; j++)
            assert_true(rp.r[(0 * 3 + i) * 2 + j] == r0[i][j]);
        assert_true(rp.r[(1 * 3 + i) * 2 + 0] == r1[i]);
        assert_true(isnan(rp.r[(1 * 3 + i) * 2 + 1])); /* past m_1 */
    }
    assert_true(rp.truth[0] == 1 && rp.truth[1] == 0 && rp.truth[2] == 0);
    assert_true(isnan(rp.truth[3]));
    /* The hash is of the file's bytes, CRs and all. */
    char hex[65];
    sha_of(text, strlen(text), hex);
    assert_string_equal(rp.sha256, hex);
    ts_reports_free(&rp);
    assert_null(rp.r);
    ts_reports_free(&rp); /* twice is harmless */
    ts_reports_free(NULL);
}

/* LF line ends, no trailing newline, -0 read as +0, 0 and 1 exactly. */
static void read_edge_values(void **unused)
{
    (void)unused;
    const char text[] =
        "slot,prompt,worker,report,truth\n"
        "0,0,0,-0,1\n"
        "0,0,1,1,1\n"
        "0,0,2,0.000000,1";
    char path[256];
    write_file("edge.csv", text, -1, path, sizeof path);
    ts_reports rp;
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_reports_read_csv(&rp, path, &e), TS_OK);
    assert_int_equal(rp.T, 1);
    assert_int_equal(rp.N, 3);
    assert_true(rp.r[0] == 0.0 && !signbit(rp.r[0]));
    assert_true(rp.r[1] == 1.0 && rp.r[2] == 0.0);
    ts_reports_free(&rp);
}

typedef struct bad_csv {
    const char *text;
    long len;          /* -1: strlen                                      */
    const char *msg;   /* after "PATH", e.g. ":3: report 1.25 is ..."     */
} bad_csv;

#define H "slot,prompt,worker,report,truth\n"

static const bad_csv bad[] = {
    {"slot,prompt,worker,report\n0,0,0,0.5\n", -1,
     ":1: bad header: no column 'truth' (need slot,prompt,worker,report,truth)"},
    {"slot,prompt,worker,rep,truth\n0,0,0,0.5,1\n", -1,
     ":1: bad header: no column 'report' (need slot,prompt,worker,report,truth)"},
    {"slot,prompt,worker,report,truth,slot\n", -1, ":1: column 'slot' appears twice"},
    {H "0,0,0,0.5,1\n0,0,1,abc,1\n", -1, ":3: report 'abc' is not a number"},
    {H "0,0,0,0.5,1\n0,0,1,nan,1\n", -1, ":3: report 'nan' is not a number"},
    {H "0,0,0,0.5,1\n0,0,1,inf,1\n", -1, ":3: report 'inf' is not a number"},
    {H "0,0,0,0.5,1\n0,0,1,,1\n", -1, ":3: report '' is not a number"},
    {H "0,0,0,0.5,1\n0,0,1,1.25,1\n", -1, ":3: report 1.25 is outside [0,1]"},
    {H "0,0,0,-0.5,1\n", -1, ":2: report -0.5 is outside [0,1]"},
    {H "0,0,0,0.5,1\n0,0,1,0.5,2\n", -1, ":3: truth '2' must be 0 or 1"},
    {H "0,0,0,0.5,0.5\n", -1, ":2: truth '0.5' must be 0 or 1"},
    {H "-1,0,0,0.5,1\n", -1, ":2: slot '-1' is not a non-negative integer"},
    {H "1.5,0,0,0.5,1\n", -1, ":2: slot '1.5' is not a non-negative integer"},
    {H "0,x,0,0.5,1\n", -1, ":2: prompt 'x' is not a non-negative integer"},
    {H "0,0,,0.5,1\n", -1, ":2: worker '' is not a non-negative integer"},
    {H "100000001,0,0,0.5,1\n", -1,
     ":2: index too large (slot 100000001, prompt 0, worker 0)"},
    /* The duplicate is reported where it repeats, naming the first line. */
    {H "0,0,0,0.5,1\n0,0,1,0.5,1\n0,0,2,0.5,1\n0,0,1,0.25,1\n", -1,
     ":5: duplicate (slot 0, prompt 0, worker 1), first given at line 3"},
    {H "0,0,0,0.5,1\n0,0,1,0.5,1\n0,1,0,0.5,0\n", -1,
     ": missing row (slot 0, prompt 1, worker 1): every worker reports on "
     "every prompt of a slot"},
    /* Prompt 1 absent while prompt 2 is there. */
    {H "0,0,0,0.5,1\n0,0,1,0.5,1\n0,2,0,0.5,1\n0,2,1,0.5,1\n", -1,
     ": missing row (slot 0, prompt 1, worker 0): every worker reports on "
     "every prompt of a slot"},
    {H "0,0,0,0.5,1\n0,0,1,0.5,0\n", -1,
     ":3: truth 0 of slot 0, prompt 0 differs from truth 1 at line 2"},
    {H "0,0,0,0.5,1\n0,0,1,0.5,1\n2,0,0,0.5,1\n2,0,1,0.5,1\n", -1,
     ": slot 1 has no rows (slots must be 0..2)"},
    {H "0,0,0,0.5,1\n0,0,1,0.5\n", -1, ":3: 4 fields, but the header has 5"},
    {H "0,0,0,0.5,1\n0,0,1,0.5,1,7\n", -1, ":3: 6 fields, but the header has 5"},
    {"", -1, ": empty file: expected a header slot,prompt,worker,report,truth"},
    {"\n\r\n  \n", -1, ": empty file: expected a header slot,prompt,worker,report,truth"},
    {H, -1, ": no rows after the header"},
    {H "\n\n", -1, ": no rows after the header"},
    {H "0,0,0,0.5,1\n0,1,0,0.5,0\n", -1, ": only 1 worker(s); a game needs at least 2"},
    {H "0,0,0,0.5,1\n0,0,1,0.5\0,1\n",
     (long)sizeof(H "0,0,0,0.5,1\n0,0,1,0.5\0,1\n") - 1,
     ": not a text file (contains NUL bytes)"},
};

static void read_errors(void **unused)
{
    (void)unused;
    char path[256], want[512];
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char name[32];
        snprintf(name, sizeof name, "bad%02zu.csv", k);
        write_file(name, bad[k].text, bad[k].len, path, sizeof path);
        ts_reports rp;
        memset(&rp, 0xca, sizeof rp);
        ts_err e;
        ts_err_clear(&e);
        int rc = ts_reports_read_csv(&rp, path, &e);
        if (rc != TS_EINPUT)
            fail_msg("case %zu: rc %d (%s), want TS_EINPUT", k, rc, e.msg);
        snprintf(want, sizeof want, "%s%s", path, bad[k].msg);
        if (strcmp(e.msg, want))
            fail_msg("case %zu:\n  got  %s\n  want %s", k, e.msg, want);
        /* Nothing is handed back. */
        assert_null(rp.r);
        assert_null(rp.m);
        assert_null(rp.truth);
        assert_int_equal(rp.T, 0);
        ts_reports_free(&rp);
    }
    /* A file that is not there. */
    snprintf(path, sizeof path, "%s/absent.csv", dir);
    ts_reports rp;
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_reports_read_csv(&rp, path, &e), TS_ENOINPUT);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    assert_string_equal(e.msg, want);
}

static void selected_reader(void **unused)
{
    (void)unused;
    char path[256], want[512];
    int32_t sel[8];
    ts_err e;
    /* k = 1: one worker per slot, rows in any order, extra columns. */
    write_file("s1.csv", "worker,slot,note\r\n2,1,a\r\n0,0,b\r\n1,2,c\r\n", -1,
               path, sizeof path);
    for (int k = 0; k < 8; k++)
        sel[k] = -7;
    ts_err_clear(&e);
    assert_int_equal(ts_selected_read_csv(sel, 3, 3, 1, path, &e), TS_OK);
    assert_int_equal(sel[0], 0);
    assert_int_equal(sel[1], 2);
    assert_int_equal(sel[2], 1);
    assert_int_equal(sel[3], -7);
    /* k = 2: each slot's workers come back in increasing order. */
    write_file("s2.csv", "slot,worker\n0,2\n1,1\n0,0\n1,0\n", -1, path, sizeof path);
    ts_err_clear(&e);
    assert_int_equal(ts_selected_read_csv(sel, 2, 3, 2, path, &e), TS_OK);
    assert_int_equal(sel[0], 0);
    assert_int_equal(sel[1], 2);
    assert_int_equal(sel[2], 0);
    assert_int_equal(sel[3], 1);

    const struct { const char *text; long T; int N, k; const char *msg; } c[] = {
        {"slot,who\n0,1\n", 1, 2, 1, ":1: bad header: need columns slot,worker"},
        {"slot,worker\n0,1,2\n", 1, 2, 1, ":2: 3 fields, but the header has 2"},
        {"slot,worker\n3,1\n", 3, 2, 1, ":2: slot '3' is not in 0..2"},
        {"slot,worker\n-1,1\n", 3, 2, 1, ":2: slot '-1' is not in 0..2"},
        {"slot,worker\n0,2\n", 1, 2, 1, ":2: worker '2' is not in 0..1"},
        {"slot,worker\n0,x\n", 1, 2, 1, ":2: worker 'x' is not in 0..1"},
        {"slot,worker\n0,1\n0,0\n", 1, 2, 1,
         ":3: slot 0 already has 1 heard worker (first at line 2); this "
         "mechanism hears 1 per slot"},
        {"slot,worker\n0,1\n0,1\n", 1, 3, 2, ":3: worker 1 is listed twice for slot 0"},
        {"slot,worker\n0,1\n", 2, 2, 1, ": slot 1 has 0 heard workers, expected 1"},
        {"slot,worker\n0,1\n1,0\n", 2, 3, 2, ": slot 0 has 1 heard worker, expected 2"},
        {"", 1, 2, 1, ": empty file: expected a header slot,worker"},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        write_file("sbad.csv", c[k].text, -1, path, sizeof path);
        ts_err_clear(&e);
        int rc = ts_selected_read_csv(sel, c[k].T, c[k].N, c[k].k, path, &e);
        if (rc != TS_EINPUT)
            fail_msg("case %zu: rc %d (%s)", k, rc, e.msg);
        snprintf(want, sizeof want, "%s%s", path, c[k].msg);
        if (strcmp(e.msg, want))
            fail_msg("case %zu:\n  got  %s\n  want %s", k, e.msg, want);
    }
}

/* ------------------------------------------------------------------ */
/* Replay                                                              */

/* The known-answer game: rows (slot, prompt, worker, report, truth). */
static const char game_csv[] =
    "slot,prompt,worker,report,truth\n"
    "0,0,0,0.385,1\n0,1,0,0.82,0\n0,0,1,0.71,1\n0,1,1,0.23,0\n"
    "0,0,2,0.64,1\n0,1,2,0.455,0\n"
    "1,0,0,0.91,0\n1,1,0,0.27,1\n1,0,1,0.335,0\n1,1,1,0.6,1\n"
    "1,0,2,0.58,0\n1,1,2,0.145,1\n";

static void read_game(ts_reports *rp, const char *name, const char *text,
                      char *path)
{
    write_file(name, text, -1, path, 256);
    ts_err e;
    ts_err_clear(&e);
    if (ts_reports_read_csv(rp, path, &e))
        fail_msg("%s", e.msg);
}

static void run_ours(const ts_reports *rp, double alpha, ts_replay_out *o)
{
    ts_params par;
    ts_params_init(&par, ts_mech_ours.n_params);
    ts_err e;
    ts_err_clear(&e);
    if (alpha > 0)
        assert_int_equal(ts_params_set(&par, ts_mech_ours.params,
                                       ts_mech_ours.n_params, "alpha", alpha, &e),
                         TS_OK);
    int rc = ts_replay_run(rp, &ts_mech_ours, &par, NULL, 1, o, &e);
    if (rc)
        fail_msg("replay: %s", e.msg);
}

static void replay_ours_known_answer(void **unused)
{
    (void)unused;
    char path[256];
    ts_reports rp;
    read_game(&rp, "game.csv", game_csv, path);
    ts_replay_out o;
    run_ours(&rp, 0.3, &o);
    /* The Python of the header comment. */
    const double share[3][3] = {
        {0.3333333333333333, 0.3333333333333333, 0.3333333333333333},
        {0.30396826470734156, 0.35341821937765266, 0.34261351591500566},
        {0.2784911924173999, 0.39024273189775205, 0.331266075684848}};
    const double label[2][2] = {{0.5783333333333333, 0.5016666666666667},
                                {0.5937220636058977, 0.3438013229052496}};
    const double wl[2][3] = {{0.5253125, 0.0685, 0.1683125},
                             {0.6805, 0.13611250000000003, 0.5337124999999999}};
    const double loss[2] = {0.21473611111111118, 0.39155129631667307};
    const double regret[2] = {0.14623611111111118, 0.40167490742778417};
    assert_int_equal(o.T, 2);
    assert_int_equal(o.N, 3);
    assert_int_equal(o.M, 2);
    assert_int_equal(o.status, TS_OK);
    assert_null(o.selected);
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < 3; i++)
            close_to(o.share[t * 3 + i], share[t][i], 1e-12, "share");
    for (int t = 0; t < 2; t++) {
        for (int j = 0; j < 2; j++)
            close_to(o.label[t * 2 + j], label[t][j], 1e-12, "label");
        for (int i = 0; i < 3; i++)
            close_to(o.worker_loss[t * 3 + i], wl[t][i], 1e-12, "worker_loss");
        close_to(o.loss[t], loss[t], 1e-12, "loss");
        close_to(o.regret[t], regret[t], 1e-12, "regret");
    }
    /* The parameter used is reported, as set by the user. */
    assert_true(o.par.v[0] == 0.3);
    assert_int_equal(o.par.set[0], 1);
    ts_replay_out_free(&o);
    ts_replay_out_free(&o);

    /* Unset, alpha defaults from the file's N = 3 and T = 2. */
    run_ours(&rp, 0, &o);
    close_to(o.par.v[0], (2.0 / 3.0) * sqrt(2.0 * log(3.0) / 2.0), 1e-16, "alpha");
    assert_int_equal(o.par.set[0], 0);
    ts_replay_out_free(&o);
    ts_reports_free(&rp);
}

/* Slot 1 with one prompt: the label row is NaN past m_1, and the losses
 * use m_1 = 1 (same Python, slot 1 = reports (0.91, 0.335, 0.58), truth 0). */
static void replay_varying_m(void **unused)
{
    (void)unused;
    char path[256];
    ts_reports rp;
    read_game(&rp, "vary.csv",
              "slot,prompt,worker,report,truth\n"
              "0,0,0,0.385,1\n0,1,0,0.82,0\n0,0,1,0.71,1\n0,1,1,0.23,0\n"
              "0,0,2,0.64,1\n0,1,2,0.455,0\n"
              "1,0,0,0.91,0\n1,0,1,0.335,0\n1,0,2,0.58,0\n", path);
    ts_replay_out o;
    run_ours(&rp, 0.3, &o);
    close_to(o.label[2], 0.5937220636058977, 1e-12, "label[1][0]");
    assert_true(isnan(o.label[3]));
    close_to(o.worker_loss[3], 0.8281000000000001, 1e-12, "worker_loss[1][0]");
    close_to(o.worker_loss[4], 0.11222500000000002, 1e-12, "worker_loss[1][1]");
    close_to(o.worker_loss[5], 0.3364, 1e-12, "worker_loss[1][2]");
    close_to(o.loss[1], 0.3525058888124457, 1e-12, "loss[1]");
    close_to(o.regret[1], 0.3865169999235569, 1e-12, "regret[1]");
    close_to(o.share[6], 0.2601945931218278, 1e-12, "share[2][0]");
    close_to(o.share[7], 0.3889700007355958, 1e-12, "share[2][1]");
    close_to(o.share[8], 0.35083540614257647, 1e-12, "share[2][2]");
    ts_replay_out_free(&o);
    ts_reports_free(&rp);
}

static void replay_errors(void **unused)
{
    (void)unused;
    char path[256];
    ts_reports rp;
    read_game(&rp, "game.csv", game_csv, path);
    ts_params par;
    ts_params_init(&par, ts_mech_ours.n_params);
    ts_err e;
    ts_err_clear(&e);
    ts_params_set(&par, ts_mech_ours.params, ts_mech_ours.n_params, "alpha", 1.5, &e);
    ts_replay_out o;
    memset(&o, 0xca, sizeof o);
    assert_int_equal(ts_replay_run(&rp, &ts_mech_ours, &par, NULL, 1, &o, &e),
                     TS_EINPUT);
    assert_string_equal(e.msg, "ours: alpha = 1.5 is outside (0, 1]");
    assert_null(o.share);
    assert_null(o.regret);
    /* --selected belongs to limited feedback. */
    ts_params_init(&par, ts_mech_ours.n_params);
    ts_err_clear(&e);
    assert_int_equal(ts_replay_run(&rp, &ts_mech_ours, &par, path, 1, &o, &e),
                     TS_EINPUT);
    assert_string_equal(e.msg, "--selected needs a limited-feedback mechanism");
    assert_null(o.share);
    ts_reports_free(&rp);
}

/* Two paths, one answer (STYLE §6): a limited-feedback replay whose heard
 * workers are drawn, and the same replay given those workers back as
 * SELECTED.csv, agree bit for bit -- theta-draw mechanisms (Def. 5, exp3)
 * and a uniform k-subset (median) alike.  The drawn path is the one slot
 * step's own draw; the given path bypasses it. */
static void replay_selected_equals_draw(void **unused)
{
    (void)unused;
    const ts_mechanism_type *const mts[] = {&ts_mech_ours_limited, &ts_mech_exp3,
                                            &ts_mech_median_limited};
    char path[256], sel_path[256], text[4096];
    ts_reports rp;
    read_game(&rp, "game.csv", game_csv, path);
    for (size_t q = 0; q < sizeof mts / sizeof mts[0]; q++) {
        const ts_mechanism_type *mt = mts[q];
        ts_params par;
        ts_params_init(&par, mt->n_params);
        ts_err e;
        ts_err_clear(&e);
        ts_replay_out a, b;
        if (ts_replay_run(&rp, mt, &par, NULL, 7, &a, &e))
            fail_msg("%s drawn: %s", mt->name, e.msg);
        assert_non_null(a.selected);
        size_t len = (size_t)snprintf(text, sizeof text, "slot,worker\n");
        for (long t = 0; t < a.T; t++)
            for (int h = 0; h < a.k; h++)
                len += (size_t)snprintf(text + len, sizeof text - len, "%ld,%d\n",
                                        t, (int)a.selected[t * a.k + h]);
        write_file("sel.csv", text, -1, sel_path, sizeof sel_path);
        if (ts_replay_run(&rp, mt, &par, sel_path, 7, &b, &e))
            fail_msg("%s given: %s", mt->name, e.msg);
        const size_t T = (size_t)a.T, N = (size_t)a.N, M = (size_t)a.M;
        assert_int_equal(a.k, b.k);
        assert_memory_equal(a.selected, b.selected, T * (size_t)a.k * sizeof *a.selected);
        assert_memory_equal(a.share, b.share, (T + 1) * N * sizeof(double));
        assert_memory_equal(a.label, b.label, T * M * sizeof(double));
        assert_memory_equal(a.loss, b.loss, T * sizeof(double));
        assert_memory_equal(a.regret, b.regret, T * sizeof(double));
        assert_memory_equal(a.theta, b.theta, T * N * sizeof(double));
        for (size_t k = 0; k < T * N; k++)
            assert_true(a.theta[k] > 0 && a.theta[k] <= 1);
        ts_replay_out_free(&a);
        ts_replay_out_free(&b);
    }
    ts_reports_free(&rp);
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

static void read_ds(hid_t f, const char *name, int rank, const hsize_t *dims,
                    double *out)
{
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    if (ds < 0)
        fail_msg("no dataset '%s'", name);
    hid_t sp = H5Dget_space(ds);
    assert_int_equal(H5Sget_simple_extent_ndims(sp), rank);
    hsize_t d[4];
    H5Sget_simple_extent_dims(sp, d, NULL);
    for (int k = 0; k < rank; k++)
        if (d[k] != dims[k])
            fail_msg("%s: dimension %d is %llu, want %llu", name, k,
                     (unsigned long long)d[k], (unsigned long long)dims[k]);
    hid_t t = H5Dget_type(ds);
    assert_true(H5Tget_class(t) == H5T_FLOAT && H5Tget_size(t) == 8);
    H5Tclose(t);
    assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
    H5Sclose(sp);
    H5Dclose(ds);
}

static void read_attr_str(hid_t f, const char *name, char *out, size_t len)
{
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0)
        fail_msg("no attribute '%s'", name);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char *s = NULL;
    assert_true(H5Aread(a, t, &s) >= 0);
    snprintf(out, len, "%s", s);
    H5free_memory(s);
    H5Tclose(t);
    H5Aclose(a);
}

static double read_attr_double(hid_t f, const char *name)
{
    double v = NAN;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0)
        fail_msg("no attribute '%s'", name);
    assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0);
    H5Aclose(a);
    return v;
}

static int count_entries(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    closedir(d);
    return n;
}

static void write_and_read_back(void **unused)
{
    (void)unused;
    char path[256], out[300];
    ts_reports rp;
    read_game(&rp, "game.csv", game_csv, path);
    /* The file's SHA-256, by Python: hashlib.sha256(game_csv).hexdigest(). */
    static const char game_sha[] =
        "77758e2f8557d9c6b9134fcf3431e14f9137968cb13745a8fd0d50caf9e0fdc8";
    char hex[65];
    sha_of(game_csv, strlen(game_csv), hex);
    assert_string_equal(rp.sha256, hex);
    if (strcmp(hex, game_sha))
        fail_msg("sha256 of the game file: %s", hex);
    ts_replay_out o;
    run_ours(&rp, 0.3, &o);
    snprintf(out, sizeof out, "%s/out.h5", dir);
    ts_err e;
    ts_err_clear(&e);
    int before = count_entries();
    int rc = ts_replay_write(&o, &rp, &ts_mech_ours, 42, path,
                             "truthsim replay --mechanism ours", out, NULL, &e);
    if (rc)
        fail_msg("write: %s", e.msg);
    assert_int_equal(count_entries(), before + 1); /* no temporary left */

    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    double buf[16];
    const hsize_t d_share[2] = {3, 3}, d_label[2] = {2, 2}, d_wl[2] = {2, 3},
                  d_t[1] = {2};
    read_ds(f, "share", 2, d_share, buf);
    assert_memory_equal(buf, o.share, 9 * sizeof(double));
    read_ds(f, "label", 2, d_label, buf);
    assert_memory_equal(buf, o.label, 4 * sizeof(double));
    read_ds(f, "worker_loss", 2, d_wl, buf);
    assert_memory_equal(buf, o.worker_loss, 6 * sizeof(double));
    read_ds(f, "loss", 1, d_t, buf);
    assert_memory_equal(buf, o.loss, 2 * sizeof(double));
    read_ds(f, "regret", 1, d_t, buf);
    assert_memory_equal(buf, o.regret, 2 * sizeof(double));
    close_to(buf[1], 0.40167490742778417, 1e-12, "regret read back");
    /* Full feedback writes no `selected`. */
    assert_true(H5Lexists(f, "selected", H5P_DEFAULT) == 0);
    char s[256];
    read_attr_str(f, "input_sha256", s, sizeof s);
    assert_string_equal(s, game_sha);
    read_attr_str(f, "mechanism", s, sizeof s);
    assert_string_equal(s, "ours");
    read_attr_str(f, "feedback", s, sizeof s);
    assert_string_equal(s, "full");
    read_attr_str(f, "input_path", s, sizeof s);
    assert_string_equal(s, path);
    read_attr_str(f, "command_line", s, sizeof s);
    assert_string_equal(s, "truthsim replay --mechanism ours");
    assert_true(read_attr_double(f, "alpha") == 0.3);
    assert_true(read_attr_double(f, "seed") == 42);
    assert_true(read_attr_double(f, "N") == 3 && read_attr_double(f, "T") == 2 &&
                read_attr_double(f, "M") == 2);
    H5Fclose(f);

    /* An impossible path (a missing directory) fails and leaves nothing. */
    before = count_entries();
    snprintf(out, sizeof out, "%s/no/such/dir/out.h5", dir);
    ts_err_clear(&e);
    assert_int_equal(ts_replay_write(&o, &rp, &ts_mech_ours, 42, path, NULL, out, NULL, &e),
                     TS_ECREATE);
    assert_true(strstr(e.msg, out) == e.msg);
    assert_int_equal(count_entries(), before);
    /* A path that is a directory: refused before anything is
     * written (not a regular file). */
    snprintf(out, sizeof out, "%s/adir", dir);
    assert_int_equal(mkdir(out, 0700), 0);
    before = count_entries();
    ts_err_clear(&e);
    assert_int_equal(ts_replay_write(&o, &rp, &ts_mech_ours, 42, path, NULL, out, NULL, &e),
                     TS_ECREATE);
    assert_true(strstr(e.msg, out) == e.msg);
    assert_int_equal(count_entries(), before);
    struct stat stt;
    assert_int_equal(stat(out, &stt), 0);
    assert_true(S_ISDIR(stt.st_mode));
    ts_replay_out_free(&o);
    ts_reports_free(&rp);
}

/* ------------------------------------------------------------------ */
/* The real data set                                                   */

static void flusight(void **unused)
{
    (void)unused;
    const char *path = getenv("TS_FLUSIGHT_CSV");
    if (!path || access(path, R_OK) != 0) {
        print_message("flusight reports.csv not found (TS_FLUSIGHT_CSV=%s)\n",
                      path ? path : "(unset)");
        skip();
    }
    ts_reports rp;
    ts_err e;
    ts_err_clear(&e);
    if (ts_reports_read_csv(&rp, path, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(rp.T, 27);
    assert_int_equal(rp.N, 9);
    assert_int_equal(rp.M, 51);
    assert_string_equal(rp.sha256,
                        "f5404dbabf6a5a0aeaee54b1fb45c994b7f47256790e2b51f2e04630b58121ff");
    long items = 0, positive = 0;
    for (long t = 0; t < rp.T; t++) {
        items += rp.m[t];
        for (int j = 0; j < rp.m[t]; j++)
            positive += rp.truth[t * rp.M + j] == 1.0;
    }
    assert_int_equal(items, 1374);
    assert_int_equal(positive, 374); /* base rate 374/1374 = 0.272 */

    ts_params par;
    ts_params_init(&par, 0);
    ts_replay_out o;
    ts_err_clear(&e);
    if (ts_replay_run(&rp, &ts_mech_average, &par, NULL, 1, &o, &e))
        fail_msg("replay: %s", e.msg);
    /* README: the unweighted mean of the 9 reports scores 0.1431 (Brier
     * over all items: per-slot mean losses weighted by m_t). */
    double brier = 0;
    for (long t = 0; t < rp.T; t++)
        brier += o.loss[t] * rp.m[t];
    brier /= (double)items;
    if (!(fabs(brier - 0.1431) < 5e-5))
        fail_msg("Brier score of average: %.6f, README says 0.1431", brier);
    /* Worker 6 (PSI-PROF) has the smallest cumulative loss; the README's
     * per-item Brier of every worker, to 4 decimals. */
    const double readme[9] = {0.1664, 0.2141, 0.1294, 0.1256, 0.2144,
                              0.1378, 0.1202, 0.2247, 0.1793};
    double cum[9] = {0}, wb[9] = {0};
    for (long t = 0; t < rp.T; t++)
        for (int i = 0; i < 9; i++) {
            cum[i] += o.worker_loss[t * 9 + i];
            wb[i] += o.worker_loss[t * 9 + i] * rp.m[t];
        }
    for (int i = 0; i < 9; i++) {
        if (i != 6)
            assert_true(cum[6] < cum[i]);
        wb[i] /= (double)items;
        if (!(fabs(wb[i] - readme[i]) < 5e-5))
            fail_msg("worker %d: Brier %.6f, README says %.4f", i, wb[i], readme[i]);
    }
    /* Regret against the best worker in hindsight ends at
     * sum_t loss_t - cum[6]. */
    double L = 0;
    for (long t = 0; t < rp.T; t++)
        L += o.loss[t];
    close_to(o.regret[rp.T - 1], L - cum[6], 1e-12, "final regret");
    ts_replay_out_free(&o);
    ts_reports_free(&rp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_happy_path),
        cmocka_unit_test(read_edge_values),
        cmocka_unit_test(read_errors),
        cmocka_unit_test(selected_reader),
        cmocka_unit_test(replay_ours_known_answer),
        cmocka_unit_test(replay_varying_m),
        cmocka_unit_test(replay_errors),
        cmocka_unit_test(replay_selected_equals_draw),
        cmocka_unit_test(write_and_read_back),
        cmocka_unit_test(flusight),
    };
    /* Writes into missing directories fail on purpose: keep HDF5's error
     * stack quiet, as truthsim's main does. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}

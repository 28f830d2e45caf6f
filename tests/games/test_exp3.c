/* test_exp3.c -- games/exp3.c (benchmark 4, eq. (13), limited feedback).
 *
 * The test picks the heard worker itself: theta(), then a ts_slot with
 * n_heard = 1, sel = &i.  Known answers come from
 * tests/games/known_answers.py ("exp3", "defaults", "exp3 Lemma 4"), which
 * applies eq. (13) with plain linear weights, w_i *= exp(-eta l_i /
 * theta_i), in Python floats; exp3.c keeps log weights, so agreement is
 * also the "log domain = plain product" check of SPEC §1.  The Lemma 4
 * maximiser is found there by bisection on F'(r) and here by a grid search
 * over the mechanism's own update: two methods, one answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mech_test.h"

static const ts_mechanism_type *const X3 = &ts_mech_exp3;

/* known_answers.py: N = 3, m = 2, three slots (rows are workers). */
static const double R[3][6] = {
    {0.385, 0.82, 0.71, 0.23, 0.64, 0.455},
    {0.91, 0.27, 0.335, 0.6, 0.58, 0.145},
    {0.27, 0.545, 0.865, 0.12, 0.43, 0.775},
};
static const double PV[3][2] = {{1, 0}, {0, 1}, {1, 1}};
static const int PICKS[3] = {2, 0, 2};

static void hear(mt_mech *M, long t, int i, const double *r, const double *pv,
                 double *A)
{
    ts_slot s = mt_slot(t, M->g.N, M->g.m, r, 1, &i);
    assert_int_equal(mt_step(M, &s, pv, A), TS_OK);
}

/* known_answers.py "exp3 eta=0.45 beta=0.215 picks [2, 0, 2]".  By hand
 * for slot 0: theta = 1/3 for all (0.785/3 + 0.215/3), l_2 = 0.1683125,
 * log w_2 = -0.45 * 0.1683125 * 3 = -0.227221875. */
static void known_answer_three_slots(void **unused)
{
    (void)unused;
    static const double theta_want[4][3] = {
        {1.0 / 3, 1.0 / 3, 1.0 / 3},
        {0.35235020587532356, 0.35235020587532356, 0.29529958824935293},
        {0.22020647843488983, 0.42589642533444005, 0.35389709623067012},
        {0.23248668375624448, 0.45518159888886589, 0.31233171735488963},
    };
    static const double lw_want[3][3] = {
        {0, 0, -0.22722187499999999},
        {-0.86909272335817911, 0, -0.22722187499999999},
        {-0.86909272335817911, 0, -0.46597242113312631},
    };
    mt_mech M;
    mt_open(&M, X3, 3, 2, 100);
    mt_set(&M, "eta", 0.45);
    mt_set(&M, "beta", 0.215);
    mt_start(&M);
    double th[3], A[2], lw[3], lw_before[3];
    for (int t = 0; t < 3; t++) {
        th[0] = th[1] = th[2] = NAN;
        M.t->theta(M.st, th);
        for (int i = 0; i < 3; i++)
            MT_CLOSE(th[i], theta_want[t][i], 1e-15);
        M.t->log_weights(M.st, lw_before);
        const int i = PICKS[t];
        hear(&M, t, i, &R[t][2 * i], PV[t], A);
        assert_true(A[0] == R[t][2 * i] && A[1] == R[t][2 * i + 1]);
        M.t->log_weights(M.st, lw);
        for (int k = 0; k < 3; k++) {
            MT_CLOSE(lw[k], lw_want[t][k], 1e-15);
            if (k != i && lw[k] != lw_before[k])
                fail_msg("slot %d: worker %d not heard but reweighed", t, k);
        }
    }
    M.t->theta(M.st, th);
    for (int i = 0; i < 3; i++)
        MT_CLOSE(th[i], theta_want[3][i], 1e-15);
    /* share = w / sum w (SPEC §2), i.e. theta without the beta/N floor */
    double sh[3];
    mt_shares(3, lw, sh);
    for (int i = 0; i < 3; i++)
        MT_CLOSE(th[i], 0.785 * sh[i] + 0.215 / 3, 1e-15);
    mt_close(&M);
}

/* Defaults (Fig. 9): eta = alpha of limited ours, beta as limited ours;
 * known_answers.py "defaults N=5 T=2500". */
static void defaults_fig9(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, X3, 5, 20, 2500);
    mt_start(&M);
    MT_CLOSE(M.p.v[0], 0.0042887732677426545, 1e-18);
    MT_CLOSE(M.p.v[1], 0.042887732677426543, 1e-17);
    assert_int_equal(M.t->n_heard(&M.g, &M.p), 1);
    mt_close(&M);
}

/* The beta/N floor: a worker heard again and again with loss 1 sinks to
 * theta_i -> beta/N, never below (N = 4, beta = 0.2: floor 0.05). */
static void theta_floor(void **unused)
{
    (void)unused;
    enum { N = 4 };
    mt_mech M;
    mt_open(&M, X3, N, 1, 100);
    mt_set(&M, "eta", 0.45);
    mt_set(&M, "beta", 0.2);
    mt_start(&M);
    const double r[1] = {1.0}, pv[1] = {0.0};
    double A[1], th[N];
    for (long t = 0; t < 200; t++) {
        hear(&M, t, 3, r, pv, A);
        M.t->theta(M.st, th);
        assert_true(th[3] >= 0.2 / N);
        double sum = 0.0;
        for (int i = 0; i < N; i++)
            sum += th[i];
        MT_CLOSE(sum, 1.0, 1e-15);
    }
    /* each slot takes log w_3 down by at least eta l / 1 = 0.45 */
    MT_CLOSE(th[3], 0.05, 1e-12);
    for (int i = 0; i < 3; i++)
        MT_CLOSE(th[i], (1 - 0.2) / 3 + 0.05, 1e-12);
    mt_close(&M);
}

/* SPEC §1 "Weights underflow": 10^5 slots, N = 3, m = 1, fixed reports
 * 0.9, 0.6, 0.3 on p = 1 (losses 0.01, 0.16, 0.49), eta = 0.05, beta =
 * 0.1, the heard worker drawn by mt_draw.  For the first 300 slots a plain
 * linear-weight copy kept here must agree (theta to 1e-13, w to 1e-12
 * relative).  Then: everything finite; l/theta is unbiased, so log w_i
 * is about -eta l_i T (-50, -800, -2450; within 10 %, several standard
 * deviations of the draw); worker 2's plain weight (e^-2450) would be 0;
 * the ranking holds, and theta favours worker 0. */
static void long_run_log_domain(void **unused)
{
    (void)unused;
    enum { N = 3 };
    const long T = 100000;
    const double eta = 0.05, beta = 0.1, r[N] = {0.9, 0.6, 0.3},
                 pv[1] = {1.0};
    mt_mech M;
    mt_open(&M, X3, N, 1, T);
    mt_set(&M, "eta", eta);
    mt_set(&M, "beta", beta);
    mt_start(&M);
    double w[N] = {1, 1, 1}, th[N], lw[N], A[1];
    ts_err e;
    for (long t = 0; t < T; t++) {
        M.t->theta(M.st, th);
        const int i = mt_draw(th, N, mt_u(t));
        if (t < 300) {
            double W = w[0] + w[1] + w[2], th_plain[N];
            for (int k = 0; k < N; k++) {
                th_plain[k] = (1 - beta) * w[k] / W + beta / N;
                MT_CLOSE(th[k], th_plain[k], 1e-13);
            }
            const double l = (1 - r[i]) * (1 - r[i]);
            w[i] *= exp(-eta * l / th_plain[i]);
        }
        ts_slot s = mt_slot(t, N, 1, &r[i], 1, &i);
        if (M.t->aggregate(M.st, &s, A, &e) || M.t->update(M.st, &s, pv, &e))
            fail_msg("slot %ld: %s", t, e.msg);
        if (t < 300) {
            M.t->log_weights(M.st, lw);
            for (int k = 0; k < N; k++)
                if (!(fabs(exp(lw[k]) / w[k] - 1.0) <= 1e-12))
                    fail_msg("slot %ld worker %d: exp(log w) %.17g, plain "
                             "%.17g", t, k, exp(lw[k]), w[k]);
        }
    }
    M.t->log_weights(M.st, lw);
    M.t->theta(M.st, th);
    for (int k = 0; k < N; k++) {
        const double l = (1 - r[k]) * (1 - r[k]);
        assert_true(isfinite(lw[k]) && isfinite(th[k]) && th[k] > 0.0);
        const double expect = -eta * l * (double)T;
        if (!(fabs(lw[k] / expect - 1.0) < 0.1))
            fail_msg("worker %d: log w = %g, unbiased estimate says %g", k,
                     lw[k], expect);
    }
    assert_true(lw[0] > lw[1] && lw[1] > lw[2]);
    assert_true(lw[2] < -1000.0 && exp(lw[2]) == 0.0);
    MT_CLOSE(th[0] + th[1] + th[2], 1.0, 1e-15);
    assert_true(th[0] > th[1] && th[1] >= th[2]);
    MT_CLOSE(th[0], 1 - beta + beta / N, 1e-12);
    mt_close(&M);
}

/* Lemma 4 (App. E), m = 1, on a state where theta is not uniform:
 * N = 3, eta = 0.45, beta = 0.215; slot 0 hears worker 1 (0.385 on p = 1).
 * Worker 0 believes q = 0.8; E(r) = theta_0 [q w_0'(r, 1) + (1-q)
 * w_0'(r, 0)] + (1 - theta_0) w_0 over a grid of step 1e-5, w_0' from the
 * mechanism's update on clones.  known_answers.py "exp3 Lemma 4":
 * theta_0 = 0.37357428371012663, maximiser r* = 0.91593433702387816 (by
 * bisection), E(r*) = 0.94994900866494247 > E(q) = 0.94578831952640674.
 * So truth is not a best response (|r* - q| = 0.116 > 1e-3), and by the
 * symmetry p <-> 1 - p a worker with q = 0.2 exaggerates to 1 - r*. */
static void lemma4_not_truthful(void **unused)
{
    (void)unused;
    enum { N = 3, GRID = 100000 };
    mt_mech M;
    mt_open(&M, X3, N, 1, 100);
    mt_set(&M, "eta", 0.45);
    mt_set(&M, "beta", 0.215);
    mt_start(&M);
    double A[1], th[N], lw[N];
    hear(&M, 0, 1, (const double[]){0.385}, (const double[]){1}, A);
    M.t->theta(M.st, th);
    MT_CLOSE(th[0], 0.37357428371012663, 1e-15);
    M.t->log_weights(M.st, lw);
    const double w0 = exp(lw[0]);
    assert_true(w0 == 1.0);

    const size_t size = M.t->state_size(&M.g);
    void *clone = malloc(size);
    assert_non_null(clone);
    const int who = 0;
    static const struct {
        double q, rstar, Estar, Eq;
    } cases[2] = {
        {0.8, 0.91593433702387816, 0.94994900866494247, 0.94578831952640674},
        {0.2, 1 - 0.91593433702387816, 0.94994900866494247,
         0.94578831952640674},
    };
    for (int c = 0; c < 2; c++) {
        const double q = cases[c].q;
        double best = -INFINITY, Eq = NAN;
        int kbest = -1;
        for (int k = 0; k <= GRID; k++) {
            const double r[1] = {k / (double)GRID};
            double wp[2];
            for (int p = 0; p < 2; p++) {
                memcpy(clone, M.st, size);
                ts_slot s = mt_slot(1, N, 1, r, 1, &who);
                ts_err e;
                const double pv[1] = {(double)p};
                if (M.t->update(clone, &s, pv, &e))
                    fail_msg("update: %s", e.msg);
                M.t->log_weights(clone, lw);
                wp[p] = exp(lw[who]);
            }
            const double E = th[who] * (q * wp[1] + (1 - q) * wp[0]) +
                             (1 - th[who]) * w0;
            if (E > best) {
                best = E;
                kbest = k;
            }
            if (k == (int)lround(q * GRID))
                Eq = E;
        }
        const double rstar = kbest / (double)GRID;
        if (!(fabs(rstar - cases[c].rstar) <= 1.0 / GRID))
            fail_msg("q = %g: grid maximiser %.6f, bisection %.6f", q, rstar,
                     cases[c].rstar);
        if (!(fabs(rstar - q) > 1e-3))
            fail_msg("q = %g: exp3 looks truthful here (r* = %g)", q, rstar);
        MT_CLOSE(Eq, cases[c].Eq, 1e-14);
        MT_CLOSE(best, cases[c].Estar, 1e-9); /* grid point next to r* */
        assert_true(best > Eq + 4e-3);
    }
    free(clone);
    mt_close(&M);
}

/* Refusals: ranges, the default beta at tiny T (naming T), a slot with two
 * workers heard; and there is no full-feedback exp3. */
static void refusals(void **unused)
{
    (void)unused;
    ts_err e;
    mt_mech M;
    static const struct {
        const char *name;
        double v;
    } bad[] = {{"eta", 0.0},  {"eta", -0.5},  {"eta", INFINITY},
               {"eta", NAN},  {"beta", 0.0},  {"beta", 1.5},
               {"beta", NAN}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        mt_open(&M, X3, 3, 2, 100);
        mt_set(&M, bad[k].name, bad[k].v);
        assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
        if (!strstr(e.msg, bad[k].name))
            fail_msg("%s = %g: message '%s'", bad[k].name, bad[k].v, e.msg);
        void *st = calloc(1, M.t->state_size(&M.g));
        assert_int_equal(M.t->init(st, &M.g, &M.p, &e), TS_EINPUT);
        free(st);
    }
    /* N = 20: the default beta = 2 sqrt(20 ln 20 / (7 T)) is at most 1
     * from T = 4 N ln N / 7 = 34.24 on: T = 30 gives 1.068 (refused, the
     * message naming T), T = 35 gives 0.989. */
    mt_open(&M, X3, 20, 2, 30);
    M.t->defaults(&M.g, &M.p);
    assert_true(M.p.v[1] > 1.0);
    assert_int_equal(M.t->check(&M.g, &M.p, &e), TS_EINPUT);
    if (!strstr(e.msg, "T = 30") || !strstr(e.msg, "default beta") ||
        !strstr(e.msg, "34.2"))
        fail_msg("message: %s", e.msg);
    mt_open(&M, X3, 20, 2, 35);
    assert_int_equal(mt_try_start(&M, &e), TS_OK);
    mt_close(&M);

    mt_open(&M, X3, 3, 2, 100);
    mt_start(&M);
    const int two[2] = {0, 1};
    const double r[4] = {0.385, 0.6, 0.5, 0.455}, pv[2] = {1, 0};
    double A[2], lw[3];
    ts_slot s = mt_slot(0, 3, 2, r, 2, two);
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_EINVAL);
    assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL);
    const int one = 2;
    const double pvbad[2] = {1, 0.5};
    s = mt_slot(0, 3, 2, r, 1, &one);
    assert_int_equal(M.t->update(M.st, &s, pvbad, &e), TS_EINVAL);
    M.t->log_weights(M.st, lw);
    for (int i = 0; i < 3; i++)
        assert_true(lw[i] == 0.0);
    mt_close(&M);

    ts_err_clear(&e);
    assert_null(ts_mechanism_find("exp3", TS_FULL, &e));
    assert_int_equal(e.code, TS_EINPUT);
    assert_ptr_equal(ts_mechanism_find("exp3", TS_LIMITED, &e), X3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answer_three_slots),
        cmocka_unit_test(defaults_fig9),
        cmocka_unit_test(theta_floor),
        cmocka_unit_test(long_run_log_domain),
        cmocka_unit_test(lemma4_not_truthful),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

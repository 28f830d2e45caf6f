/* test_ours_limited.c -- games/ours.c, limited feedback (Def. 5, Sec. VI).
 *
 * The test drives the mechanism as the engine would, but picks the heard
 * worker itself: theta(), then a ts_slot with n_heard = 1, sel = &i.
 *
 * Known answers come from tests/games/known_answers.py ("ours limited"),
 * which applies eqs. (14)-(15) literally with theta = w / sum w in Python
 * floats; ours.c writes the factor as 1 - l x (1 - x), x = alpha/theta, so
 * the two agree to rounding (1e-15 asserted).  Thm. 2's defaults are
 * pinned from the same script.  The Prop. 4 test computes the expected
 * next weight exactly (two outcomes of p, the mechanism's own update on
 * clones) and compares it with App. F's closed form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "mech_test.h"

static const ts_mechanism_type *const OL = &ts_mech_ours_limited;

/* known_answers.py: N = 3, m = 2, three slots (rows are workers). */
static const double R[3][6] = {
    {0.385, 0.82, 0.71, 0.23, 0.64, 0.455},
    {0.91, 0.27, 0.335, 0.6, 0.58, 0.145},
    {0.27, 0.545, 0.865, 0.12, 0.43, 0.775},
};
static const double PV[3][2] = {{1, 0}, {0, 1}, {1, 1}};
static const int PICKS[3] = {2, 0, 2};

/* One slot hearing worker i, whose report row is r[m]; fails on error. */
static void hear(mt_mech *M, long t, int i, const double *r, const double *pv,
                 double *A)
{
    ts_slot s = mt_slot(t, M->g.N, M->g.m, r, 1, &i);
    assert_int_equal(mt_step(M, &s, pv, A), TS_OK);
}

static void weights(const mt_mech *M, double *w)
{
    double lw[16];
    M->t->log_weights(M->st, lw);
    for (int i = 0; i < M->g.N; i++)
        w[i] = exp(lw[i]);
}

/* known_answers.py "ours limited alpha=0.0875 beta=0.385 picks [2, 0, 2]".
 * By hand for slot 0: theta = 1/3, x = alpha/theta = 0.2625,
 * x (1 - x) = 0.19359375, l_2 = (0.36^2 + 0.455^2)/2 = 0.1683125, so
 * gamma_2 = 1 - 0.1683125 * 0.19359375 = 0.96741575195..., w_2 =
 * 0.615 gamma_2 + 0.385 = 0.97996068745...; workers 0, 1 keep 1. */
static void known_answer_three_slots(void **unused)
{
    (void)unused;
    static const double theta_want[4][3] = {
        {1.0 / 3, 1.0 / 3, 1.0 / 3},
        {0.33557489674648117, 0.33557489674648117, 0.32885020650703772},
        {0.31708776457291887, 0.34491201757455225, 0.33800021785252893},
        {0.31944927333336465, 0.34748074725159411, 0.33306997941504113},
    };
    static const double gamma_want[3][3] = {
        {1, 1, 0.96741575195312501},
        {0.86882832287003531, 1, 0.96741575195312501},
        {0.86882832287003531, 1, 0.93256563706334694},
    };
    static const double w_want[3][3] = {
        {1, 1, 0.97996068745117193},
        {0.91932941856507167, 1, 0.97996068745117193},
        {0.91932941856507167, 1, 0.95852786679395841},
    };
    const double beta = 0.385;
    mt_mech M;
    mt_open(&M, OL, 3, 2, 100);
    mt_set(&M, "alpha", 0.0875);
    mt_set(&M, "beta", beta);
    mt_start(&M);
    double th[3], A[2], w[3], w_before[3];
    for (int t = 0; t < 3; t++) {
        th[0] = th[1] = th[2] = NAN;
        M.t->theta(M.st, th);
        for (int i = 0; i < 3; i++)
            MT_CLOSE(th[i], theta_want[t][i], 1e-15);
        weights(&M, w_before);
        const int i = PICKS[t];
        hear(&M, t, i, &R[t][2 * i], PV[t], A);
        /* The label is the heard report itself. */
        assert_true(A[0] == R[t][2 * i] && A[1] == R[t][2 * i + 1]);
        weights(&M, w);
        for (int k = 0; k < 3; k++) {
            MT_CLOSE(w[k], w_want[t][k], 1e-15);
            /* gamma_k = (w_k - beta)/(1 - beta), eq. (14) inverted */
            MT_CLOSE((w[k] - beta) / (1 - beta), gamma_want[t][k], 1e-14);
            if (k != i && w[k] != w_before[k])
                fail_msg("slot %d: worker %d was not heard but his weight "
                         "changed", t, k);
        }
    }
    M.t->theta(M.st, th);
    for (int i = 0; i < 3; i++)
        MT_CLOSE(th[i], theta_want[3][i], 1e-15);
    mt_close(&M);
}

/* Thm. 2 at N = 5, T = 2500 (known_answers.py "defaults"):
 * alpha = sqrt(ln 5 / (7 * 5 * 2500)) = 0.0042887732677426545,
 * beta = 2 sqrt(5 ln 5 / (7 * 2500)) = 0.042887732677426543 = 2 N alpha;
 * only unset entries are filled. */
static void defaults_thm2(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, OL, 5, 20, 2500);
    mt_start(&M);
    MT_CLOSE(M.p.v[0], 0.0042887732677426545, 1e-18);
    MT_CLOSE(M.p.v[1], 0.042887732677426543, 1e-17);
    MT_CLOSE(M.p.v[1], 2.0 * 5.0 * M.p.v[0], 1e-17);
    assert_int_equal(M.t->n_heard(&M.g, &M.p), 1);
    mt_close(&M);

    mt_open(&M, OL, 5, 20, 2500);
    mt_set(&M, "beta", 0.3125);
    mt_start(&M);
    assert_true(M.p.v[1] == 0.3125);
    MT_CLOSE(M.p.v[0], 0.0042887732677426545, 1e-18);
    mt_close(&M);
}

/* Start-up precondition (STYLE §4, refuse, never clamp).  Def. 5 needs
 * alpha < theta_i at every slot; w_i in (beta, 1] guarantees exactly
 * theta_i > theta_min = beta / (beta + N - 1), so that is the bound: at
 * beta = 0.385, N = 3 it is 0.385/2.385 = 0.16142557651991614. */
static void start_up_check(void **unused)
{
    (void)unused;
    const double beta = 0.385, theta_min = beta / (beta + 2.0);
    ts_err e;
    mt_mech M;

    /* alpha = 0.3: refused, naming the bound, its value and the gap. */
    mt_open(&M, OL, 3, 2, 100);
    mt_set(&M, "alpha", 0.3);
    mt_set(&M, "beta", beta);
    assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
    char want[64];
    snprintf(want, sizeof want, "theta_min = beta/(beta + N - 1) = %.6g",
             theta_min);
    if (!strstr(e.msg, want) || !strstr(e.msg, "alpha = 0.3") ||
        !strstr(e.msg, "Def. 5"))
        fail_msg("message: %s", e.msg);
    snprintf(want, sizeof want, "%.3g too large", 0.3 - theta_min);
    assert_non_null(strstr(e.msg, want));
    /* beta needed: alpha (N - 1)/(1 - alpha) = 0.6/0.7 */
    snprintf(want, sizeof want, "raise beta above %.6g", 0.6 / 0.7);
    assert_non_null(strstr(e.msg, want));
    /* init refuses on its own too, should a caller skip check */
    void *st = calloc(1, M.t->state_size(&M.g));
    assert_int_equal(M.t->init(st, &M.g, &M.p, &e), TS_EINPUT);
    free(st);

    /* The bound itself is refused (strict), the double below it accepted,
     * and so is alpha between beta/N and theta_min: the check uses the
     * exact bound, not the looser beta/N of App. F. */
    mt_open(&M, OL, 3, 2, 100);
    mt_set(&M, "alpha", theta_min);
    mt_set(&M, "beta", beta);
    assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
    mt_open(&M, OL, 3, 2, 100);
    mt_set(&M, "alpha", nextafter(theta_min, 0.0));
    mt_set(&M, "beta", beta);
    assert_int_equal(mt_try_start(&M, &e), TS_OK);
    mt_close(&M);
    const double between = 0.5 * (beta / 3.0 + theta_min); /* 0.1448 */
    assert_true(between > beta / 3.0 && between < theta_min);
    mt_open(&M, OL, 3, 2, 100);
    mt_set(&M, "alpha", between);
    mt_set(&M, "beta", beta);
    assert_int_equal(mt_try_start(&M, &e), TS_OK);
    mt_close(&M);

    /* alpha = 0.6 at N = 3 would need beta > 3: no beta helps. */
    mt_open(&M, OL, 3, 2, 100);
    mt_set(&M, "alpha", 0.6);
    mt_set(&M, "beta", 0.5);
    assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "no beta <= 1 suffices"));

    /* A small explicit beta makes the default alpha too large: said so. */
    mt_open(&M, OL, 5, 2, 2500);
    mt_set(&M, "beta", 0.01); /* theta_min = 0.01/4.01 = 0.00249 < 0.00429 */
    assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "(default)"));
    assert_non_null(strstr(e.msg, "theta_min"));

    /* Tiny T: default beta = 2 sqrt(50 ln 50 / 700) = 1.057 > 1 at N = 50,
     * T = 100 (it needs T >= 4 N ln N / 7 = 111.8).  check names T; the
     * generic range check that the engine runs first refuses it too. */
    mt_open(&M, OL, 50, 2, 100);
    M.t->defaults(&M.g, &M.p);
    assert_true(M.p.v[1] > 1.0);
    ts_err_clear(&e);
    assert_int_equal(M.t->check(&M.g, &M.p, &e), TS_EINPUT);
    if (!strstr(e.msg, "T = 100") || !strstr(e.msg, "default beta") ||
        !strstr(e.msg, "111.8"))
        fail_msg("message: %s", e.msg);
    mt_open(&M, OL, 50, 2, 100);
    assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
    /* ... and at T = 112 the defaults are fine. */
    mt_open(&M, OL, 50, 2, 112);
    assert_int_equal(mt_try_start(&M, &e), TS_OK);
    mt_close(&M);

    /* Ranges: alpha in (0, 1), beta in (0, 1]. */
    static const struct {
        const char *name;
        double v;
    } bad[] = {{"alpha", 0.0}, {"alpha", 1.0}, {"alpha", -0.1},
               {"alpha", NAN}, {"beta", 0.0},  {"beta", 1.25},
               {"beta", NAN}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        mt_open(&M, OL, 3, 2, 100);
        mt_set(&M, bad[k].name, bad[k].v);
        assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
        if (!strstr(e.msg, bad[k].name))
            fail_msg("%s = %g: message '%s'", bad[k].name, bad[k].v, e.msg);
        st = calloc(1, M.t->state_size(&M.g));
        assert_int_equal(M.t->init(st, &M.g, &M.p, &e), TS_EINPUT);
        free(st);
    }
    /* beta = 1 is allowed: w stays 1 and theta uniform (pure exploration). */
    mt_open(&M, OL, 3, 1, 100);
    mt_set(&M, "alpha", 0.25);
    mt_set(&M, "beta", 1.0);
    mt_start(&M);
    const double r[1] = {0.0}, pv[1] = {1.0};
    double A[1], th[3];
    hear(&M, 0, 1, r, pv, A);
    M.t->theta(M.st, th);
    for (int i = 0; i < 3; i++)
        assert_true(th[i] == 1.0 / 3.0);
    mt_close(&M);
}

/* The worker values w_i; his share, softmax of log_weights, is w_i/sum w,
 * which for Def. 5 is theta_i itself.  Ten slots drawn by mt_draw. */
static void shares_equal_theta(void **unused)
{
    (void)unused;
    enum { N = 4, m = 2 };
    mt_mech M;
    mt_open(&M, OL, N, m, 50);
    mt_set(&M, "alpha", 0.0375);
    mt_set(&M, "beta", 0.215);
    mt_start(&M);
    double th[N], lw[N], sh[N], A[m], r[m], pv[m];
    int heard[N] = {0};
    for (long t = 0; t < 10; t++) {
        M.t->theta(M.st, th);
        const int i = mt_draw(th, N, mt_u(t));
        heard[i]++;
        for (int j = 0; j < m; j++) {
            r[j] = fmod(0.385 + 0.618 * i + 0.263 * j + 0.137 * t, 1.0);
            pv[j] = (double)((j + t) % 2);
        }
        hear(&M, t, i, r, pv, A);
        M.t->theta(M.st, th);
        M.t->log_weights(M.st, lw);
        mt_shares(N, lw, sh);
        double sum = 0.0;
        for (int k = 0; k < N; k++) {
            MT_CLOSE(sh[k], th[k], 1e-15);
            sum += th[k];
        }
        MT_CLOSE(sum, 1.0, 1e-15);
    }
    /* the draw did move around */
    int distinct = 0;
    for (int k = 0; k < N; k++)
        distinct += heard[k] > 0;
    assert_true(distinct >= 3);
    mt_close(&M);
}

/* Prop. 4 (App. F), one prompt.  Worker i, heard with probability theta_i,
 * believes p ~ Bernoulli(q) and reports r; his expected next weight is
 *   E(r) = theta_i [q w_i'(r, p=1) + (1-q) w_i'(r, p=0)] + (1 - theta_i) w_i
 * with w_i' from the mechanism's own update on clones.  App. F's algebra
 * gives E(q) - E(r) = theta_i (1-beta) gamma_i x (1-x) (r-q)^2,
 * x = alpha/theta_i, positive whenever alpha < theta_i: the grid maximum
 * (step 1e-4, q on the grid) must be r = q, and the gap must have that
 * size.  Run from a state where theta is not uniform and gamma_2 < 1. */
static void prop4_truthful_on_grid(void **unused)
{
    (void)unused;
    enum { N = 3, GRID = 10000 };
    const double alpha = 0.0875, beta = 0.385;
    mt_mech M;
    mt_open(&M, OL, N, 1, 100);
    mt_set(&M, "alpha", alpha);
    mt_set(&M, "beta", beta);
    mt_start(&M);
    double A[1];
    hear(&M, 0, 2, (const double[]){0.64}, (const double[]){1}, A);
    hear(&M, 1, 0, (const double[]){0.27}, (const double[]){0}, A);
    const size_t size = M.t->state_size(&M.g);
    void *clone = malloc(size);
    assert_non_null(clone);
    double th[N], w[N], lw[N];
    M.t->theta(M.st, th);
    weights(&M, w);
    assert_true(th[0] < th[1] && th[2] < th[1]); /* not uniform */

    static const double qs[2] = {0.3, 0.7};
    for (int who = 1; who <= 2; who++)
        for (int qq = 0; qq < 2; qq++) {
            const double q = qs[qq];
            double best = -INFINITY, Eq = NAN, E2 = NAN;
            int kbest = -1;
            for (int k = 0; k <= GRID; k++) {
                const double r[1] = {k / (double)GRID};
                double wp[2];
                for (int p = 0; p < 2; p++) {
                    memcpy(clone, M.st, size);
                    ts_slot s = mt_slot(2, N, 1, r, 1, &who);
                    ts_err e;
                    const double pv[1] = {(double)p};
                    if (M.t->update(clone, &s, pv, &e))
                        fail_msg("update: %s", e.msg);
                    M.t->log_weights(clone, lw);
                    wp[p] = exp(lw[who]);
                }
                const double E = th[who] * (q * wp[1] + (1 - q) * wp[0]) +
                                 (1 - th[who]) * w[who];
                if (E > best) {
                    best = E;
                    kbest = k;
                }
                if (k == (int)lround(q * GRID))
                    Eq = E;
                if (k == (int)lround((q + 0.2) * GRID))
                    E2 = E;
            }
            if (kbest != (int)lround(q * GRID))
                fail_msg("worker %d, q = %g: E[w] is largest at r = %g, not "
                         "at q", who, q, kbest / (double)GRID);
            const double gamma = (w[who] - beta) / (1 - beta);
            const double x = alpha / th[who];
            MT_CLOSE(Eq - E2, th[who] * (1 - beta) * gamma * x * (1 - x) * 0.04,
                     1e-14);
            assert_true(Eq - E2 > 1e-3); /* a real gap, not rounding */
        }
    free(clone);
    mt_close(&M);
}

/* Over a long horizon gamma underflows to 0, but w never falls below its
 * floor beta, so theta and the log weights stay finite.  N = 2, worker 0
 * heard every slot with loss 1 (r = 0, p = 1), alpha = theta_min / 2 with
 * theta_min = beta/(beta + 1): as theta_0 falls to theta_min, x =
 * alpha/theta_0 rises to 1/2 and the factor 1 - x (1 - x) falls to 3/4,
 * so 5000 slots take gamma_0 below 0.78^5000 ~ 1e-540: 0 in double.  Then
 * w_0 = beta exactly and theta_0 = theta_min, never below. */
static void gamma_underflow_keeps_floor(void **unused)
{
    (void)unused;
    const double beta = 0.215, theta_min = beta / (beta + 1.0);
    mt_mech M;
    mt_open(&M, OL, 2, 1, 5000);
    mt_set(&M, "alpha", 0.5 * theta_min);
    mt_set(&M, "beta", beta);
    mt_start(&M);
    const double r[1] = {0.0}, pv[1] = {1.0};
    double A[1], th[2], lw[2];
    for (long t = 0; t < 5000; t++) {
        hear(&M, t, 0, r, pv, A);
        M.t->theta(M.st, th);
        assert_true(th[0] >= theta_min);
    }
    M.t->log_weights(M.st, lw);
    assert_true(lw[0] == log(beta)); /* gamma_0 == 0, w_0 == beta */
    assert_true(lw[1] == 0.0);
    assert_true(th[0] == theta_min);
    MT_CLOSE(th[0] + th[1], 1.0, 1e-15);
    mt_close(&M);
}

/* Error paths: a slot that hears two workers, a report outside [0,1], a
 * verified state that is not 0 or 1 -- refused (TS_EINVAL) before any
 * weight changes. */
static void error_paths(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, OL, 3, 2, 100);
    mt_start(&M);
    ts_err e;
    double A[2], lw[3];
    const int two[2] = {0, 2};
    const double r2[4] = {0.385, 0.6, 0.5, 0.455}, pv[2] = {1, 0};
    ts_slot s = mt_slot(0, 3, 2, r2, 2, two);
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_EINVAL);
    assert_non_null(strstr(e.msg, "exactly one"));
    assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL);

    const int one = 1;
    const double rbad[2] = {0.385, 1.25};
    s = mt_slot(0, 3, 2, rbad, 1, &one);
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_EINVAL);
    assert_non_null(strstr(e.msg, "report"));
    assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL);
    const double pvbad[2] = {1, 0.5};
    s = mt_slot(0, 3, 2, r2, 1, &one);
    assert_int_equal(M.t->update(M.st, &s, pvbad, &e), TS_EINVAL);
    assert_non_null(strstr(e.msg, "verified state"));
    const int out_of_range = 3;
    s = mt_slot(0, 3, 2, r2, 1, &out_of_range);
    assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL);
    M.t->log_weights(M.st, lw);
    for (int i = 0; i < 3; i++)
        assert_true(lw[i] == 0.0);
    mt_close(&M);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answer_three_slots),
        cmocka_unit_test(defaults_thm2),
        cmocka_unit_test(start_up_check),
        cmocka_unit_test(shares_equal_theta),
        cmocka_unit_test(prop4_truthful_on_grid),
        cmocka_unit_test(gamma_underflow_keeps_floor),
        cmocka_unit_test(error_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

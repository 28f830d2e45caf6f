/* test_omoe.c -- games/omoe.c, benchmark 5 (a stand-in; SPEC §2).
 *
 * Known answers come from tests/games/ref_mechanisms.py ("omoe
 * delta=1e-3", "omoe delta=0.05", "omoe limited delta=1e-3"), an
 * independent script that writes SPEC §2's rules literally (bonus
 * sqrt(ln(t^2) / (2 n)); omoe.c uses sqrt(ln t / n)).  The zero-weight,
 * tie and long-run cases are worked by hand below.  logit(0.999) =
 * ln 999 = 6.906754778648554 is the vote weight of a worker with no votes
 * yet or with every vote right (c~ at its cap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mech_test.h"

static const ts_mechanism_type *const OF = &ts_mech_omoe;
static const ts_mechanism_type *const OL = &ts_mech_omoe_limited;

static const double R[3][6] = {
    {0.385, 0.82, 0.71, 0.23, 0.64, 0.455},
    {0.91, 0.27, 0.335, 0.6, 0.58, 0.145},
    {0.27, 0.545, 0.865, 0.12, 0.43, 0.775},
};
static const double PV[3][2] = {{1, 0}, {0, 1}, {1, 1}};
static const int PICKS[3] = {2, 0, 2};
static const double LOG_LOGIT_CAP = 1.9324998861681311; /* log ln 999 */

/* ref_mechanisms.py "omoe delta=1e-3".  By hand: slot 0 every v_i =
 * ln 999 (no votes yet); prompt 0's votes are -, +, + (0.385 < 1/2), so
 * A_0 = sigma(ln 999) = 0.999.  Worker 0 votes (0, 1) on pv = (1, 0): no
 * vote right, so at t = 2 c~_0 = 0 + sqrt(ln 4 / 4) = 0.58870501...,
 * v_0 = logit c~_0 = 0.35867 (log: -1.02550718); workers 1 and 2 are
 * right twice (c~ capped).  Slot 1, prompt 0: votes +, -, + give
 * sigma(v_0) = c~_0 = 0.58870501... */
static void known_answer_full(void **unused)
{
    (void)unused;
    static const struct {
        double delta;
        double A[2][2];
        double lw[2][3];
    } c[] = {
        {1e-3,
         {{0.99899999999999989, 0.0010000000000000002},
          {0.58870501125773744, 0.41129498874226261}},
         {{-1.0255071798793023, 1.9324998861681311, 1.9324998861681311},
          {-2.3395742402227797, 1.9324998861681311, 1.9324998861681311}}},
        {0.05,
         {{0.94999999999999984, 0.050000000000000051},
          {0.58870501125773744, 0.41129498874226261}},
         {{-1.0255071798793023, 1.079918299522082, 1.079918299522082},
          {-2.3395742402227797, 1.079918299522082, 1.079918299522082}}},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        mt_mech M;
        mt_open(&M, OF, 3, 2, 100);
        mt_set(&M, "delta", c[k].delta);
        mt_start(&M);
        double A[2], lw[3];
        for (int t = 0; t < 2; t++) {
            ts_slot s = mt_slot(t, 3, 2, R[t], 3, NULL);
            assert_int_equal(mt_step(&M, &s, PV[t], A), TS_OK);
            for (int j = 0; j < 2; j++)
                MT_CLOSE(A[j], c[k].A[t][j], 1e-15);
            M.t->log_weights(M.st, lw);
            for (int i = 0; i < 3; i++)
                MT_CLOSE(lw[i], c[k].lw[t][i], 1e-14);
        }
        mt_close(&M);
    }
}

/* ref_mechanisms.py "omoe limited delta=1e-3 picks [2, 0, 2]": theta_i =
 * v_i / sum v, the label the heard report, only he counts votes. */
static void known_answer_limited(void **unused)
{
    (void)unused;
    static const double th_want[4][3] = {
        {1.0 / 3, 1.0 / 3, 1.0 / 3},
        {1.0 / 3, 1.0 / 3, 1.0 / 3},
        {0.070765602885810949, 0.46461719855709455, 0.46461719855709455},
        {0.10402834737456125, 0.44798582631271933, 0.44798582631271933},
    };
    static const double lw0_want[3] = {LOG_LOGIT_CAP, 0.050659096226716369,
                                       0.47240172485836512};
    mt_mech M;
    mt_open(&M, OL, 3, 2, 100);
    mt_start(&M);
    double th[3], A[2], lw[3];
    for (int t = 0; t < 3; t++) {
        th[0] = th[1] = th[2] = NAN;
        M.t->theta(M.st, th);
        for (int i = 0; i < 3; i++)
            MT_CLOSE(th[i], th_want[t][i], 1e-15);
        const int i = PICKS[t];
        ts_slot s = mt_slot(t, 3, 2, &R[t][2 * i], 1, &i);
        assert_int_equal(mt_step(&M, &s, PV[t], A), TS_OK);
        assert_true(A[0] == R[t][2 * i] && A[1] == R[t][2 * i + 1]);
        M.t->log_weights(M.st, lw);
        MT_CLOSE(lw[0], lw0_want[t], 1e-14);
        MT_CLOSE(lw[1], LOG_LOGIT_CAP, 1e-15); /* never heard */
        MT_CLOSE(lw[2], LOG_LOGIT_CAP, 1e-15); /* always right */
    }
    M.t->theta(M.st, th);
    for (int i = 0; i < 3; i++)
        MT_CLOSE(th[i], th_want[3][i], 1e-15);
    mt_close(&M);
}

/* A vote weight of 0 and the "every v_i = 0" rule, by hand.  N = 2, m = 1,
 * both workers always wrong (report 0.2 on pv = 1): after s slots n = s,
 * k = 0 and at t = s + 1, c~ = sqrt(ln t / s), which is at most 1/2 first
 * at t = 11 (sqrt(ln 11 / 10) = 0.48968; at t = 10: sqrt(ln 10 / 9) =
 * 0.50582).  Then every v = 0: the label is 1/2 and the shares uniform.
 * Full feedback. */
static void zero_weights_full(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, OF, 2, 1, 100);
    mt_start(&M);
    const double r[2] = {0.2, 0.2}, pv[1] = {1};
    double A[1], lw[2], sh[2];
    for (int t = 0; t < 9; t++) {
        ts_slot s = mt_slot(t, 2, 1, r, 2, NULL);
        mt_step(&M, &s, pv, A);
    }
    M.t->log_weights(M.st, lw);
    const double c9 = sqrt(log(10.0) / 9.0);
    MT_CLOSE(lw[0], log(log(c9 / (1 - c9))), 1e-14);
    ts_slot s = mt_slot(9, 2, 1, r, 2, NULL);
    ts_err e;
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_OK);
    /* two votes of -logit c9: sigma(-2 logit c9) = (1-c9)^2 / (c9^2 +
     * (1-c9)^2) */
    MT_CLOSE(A[0], (1 - c9) * (1 - c9) / (c9 * c9 + (1 - c9) * (1 - c9)),
             1e-15);
    mt_step(&M, &s, pv, A);
    M.t->log_weights(M.st, lw);
    assert_true(lw[0] == -INFINITY && lw[1] == -INFINITY);
    mt_shares(2, lw, sh);
    MT_CLOSE(sh[0], 0.5, 0);
    s = mt_slot(10, 2, 1, r, 2, NULL);
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_OK);
    assert_true(A[0] == 0.5);
    mt_close(&M);
}

/* Limited feedback, by hand: N = 2, m = 4, worker t mod 2 heard, every
 * vote wrong (reports 0.3 on pv = 1).  At t = 4 (three slots played)
 * worker 0 has n = 8: c~ = sqrt(ln 4 / 8) = 0.41628 -> v_0 = 0, theta =
 * (0, 1); worker 1 has n = 4: c~ = sqrt(ln 4 / 4) = 0.58871.  At t = 5
 * both have n = 8: c~ = sqrt(ln 5 / 8) = 0.44850, every v = 0, theta
 * uniform. */
static void zero_weights_limited(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, OL, 2, 4, 100);
    mt_start(&M);
    const double r[4] = {0.3, 0.3, 0.3, 0.3}, pv[4] = {1, 1, 1, 1};
    double A[4], th[2], lw[2];
    for (int t = 0; t < 4; t++) {
        if (t == 3) {
            M.t->theta(M.st, th);
            assert_true(th[0] == 0.0 && th[1] == 1.0);
            M.t->log_weights(M.st, lw);
            const double c = sqrt(log(4.0) / 4.0);
            assert_true(lw[0] == -INFINITY);
            MT_CLOSE(lw[1], log(log(c / (1 - c))), 1e-14);
        }
        const int i = t % 2;
        ts_slot s = mt_slot(t, 2, 4, r, 1, &i);
        mt_step(&M, &s, pv, A);
    }
    M.t->theta(M.st, th);
    assert_true(th[0] == 0.5 && th[1] == 0.5);
    M.t->log_weights(M.st, lw);
    assert_true(lw[0] == -INFINITY && lw[1] == -INFINITY);
    mt_close(&M);
}

/* A report of exactly 1/2 votes 1 (SPEC §2: 1{r >= 1/2}).  N = 3, m = 2,
 * every report 0.5 on pv = (0, 0): every vote is wrong, so at t = 2
 * v = logit(sqrt(ln 4 / 4)) (log -1.02550718); had 1/2 voted 0, every
 * vote would be right and v at its cap.  The slot's label: three votes
 * of +ln 999: sigma(3 ln 999) = 999^3 / (999^3 + 1). */
static void half_votes_one(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, OF, 3, 2, 100);
    mt_start(&M);
    const double r[6] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5}, pv[2] = {0, 0};
    double A[2], lw[3];
    ts_slot s = mt_slot(0, 3, 2, r, 3, NULL);
    mt_step(&M, &s, pv, A);
    MT_CLOSE(A[0], 997002999.0 / 997003000.0, 1e-15);
    M.t->log_weights(M.st, lw);
    for (int i = 0; i < 3; i++)
        MT_CLOSE(lw[i], -1.0255071798793023, 1e-14);
    mt_close(&M);
}

/* T = 10^6, N = 3, m = 1, reports 0.9, 0.6, 0.3 on p = 1: workers 0 and
 * 1 always vote right (c~ capped, v = ln 999), worker 2 always wrong: at
 * t = T + 1, c~_2 = sqrt(ln(T + 1) / T) = 0.0037, v_2 = 0.  Shares 1/2,
 * 1/2, 0; the label sigma(2 ln 999) = 999^2 / (999^2 + 1).  Counts are
 * doubles, exact far beyond 10^6 votes. */
static void long_run(void **unused)
{
    (void)unused;
    const long T = 1000000;
    const double r[3] = {0.9, 0.6, 0.3}, pv[1] = {1};
    for (int lim = 0; lim < 2; lim++) {
        mt_mech M;
        mt_open(&M, lim ? OL : OF, 3, 1, T);
        mt_start(&M);
        double A[1], lw[3], sh[3], th[3];
        ts_err e;
        for (long t = 0; t < T; t++) {
            int i = 0;
            ts_slot s = mt_slot(t, 3, 1, r, 3, NULL);
            if (lim) {
                M.t->theta(M.st, th);
                i = mt_draw(th, 3, mt_u(t));
                s = mt_slot(t, 3, 1, &r[i], 1, &i);
            }
            if (M.t->aggregate(M.st, &s, A, &e) ||
                M.t->update(M.st, &s, pv, &e))
                fail_msg("slot %ld: %s", t, e.msg);
        }
        M.t->log_weights(M.st, lw);
        MT_CLOSE(lw[0], LOG_LOGIT_CAP, 1e-15);
        MT_CLOSE(lw[1], LOG_LOGIT_CAP, 1e-15);
        if (!lim)
            assert_true(lw[2] == -INFINITY);
        else /* heard rarely once v_2 = 0: drawn only while the bonus lifts it */
            assert_true(lw[2] == -INFINITY || lw[2] < -1.0);
        mt_shares(3, lw, sh);
        MT_CLOSE(sh[0] + sh[1] + sh[2], 1.0, 1e-15);
        if (!lim) {
            MT_CLOSE(sh[0], 0.5, 1e-15);
            ts_slot s = mt_slot(T, 3, 1, r, 3, NULL);
            assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_OK);
            MT_CLOSE(A[0], 998001.0 / 998002.0, 1e-15);
        }
        mt_close(&M);
    }
}

/* Refuse, never clamp: delta outside (0, 0.5), reports outside [0,1]
 * (aggregate and update; no count changes), a verified state other than 0
 * or 1, a limited slot that hears two.  The label says "stand-in". */
static void refusals(void **unused)
{
    (void)unused;
    ts_err e;
    mt_mech M;
    static const double bad[] = {0.0, 0.5, -1.0, NAN};
    for (int lim = 0; lim < 2; lim++)
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            mt_open(&M, lim ? OL : OF, 3, 2, 100);
            mt_set(&M, "delta", bad[k]);
            assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
            assert_non_null(strstr(e.msg, "delta"));
            void *st = calloc(1, M.t->state_size(&M.g));
            assert_int_equal(M.t->init(st, &M.g, &M.p, &e), TS_EINPUT);
            free(st);
        }
    for (int lim = 0; lim < 2; lim++) {
        mt_open(&M, lim ? OL : OF, 3, 2, 100);
        mt_start(&M);
        const double r[6] = {0.385, 0.6, 0.5, 0.455, -0.25, 0.5};
        const double pv[2] = {1, 0}, pvbad[2] = {1, 0.5};
        double A[2], lw[3];
        const int two = 2, pair[2] = {0, 1};
        ts_slot s = lim ? mt_slot(0, 3, 2, &r[4], 1, &two)
                        : mt_slot(0, 3, 2, r, 3, NULL);
        assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_EINVAL);
        assert_non_null(strstr(e.msg, "outside [0,1]"));
        assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL);
        s = lim ? mt_slot(0, 3, 2, r, 1, &two) : mt_slot(0, 3, 2, r, 3, NULL);
        assert_int_equal(M.t->update(M.st, &s, pvbad, &e), TS_EINVAL);
        if (lim) {
            s = mt_slot(0, 3, 2, r, 2, pair);
            assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_EINVAL);
            assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL);
        }
        M.t->log_weights(M.st, lw);
        for (int i = 0; i < 3; i++)
            MT_CLOSE(lw[i], LOG_LOGIT_CAP, 1e-15);
        assert_string_equal(M.t->label, "omoe (stand-in)");
        assert_null(M.t->set_log_weights);
        mt_close(&M);
    }
    assert_ptr_equal(ts_mechanism_find("omoe", TS_FULL, &e), OF);
    assert_ptr_equal(ts_mechanism_find("omoe", TS_LIMITED, &e), OL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answer_full),
        cmocka_unit_test(known_answer_limited),
        cmocka_unit_test(zero_weights_full),
        cmocka_unit_test(zero_weights_limited),
        cmocka_unit_test(half_votes_one),
        cmocka_unit_test(long_run),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_hedge.c -- games/hedge.c (benchmark 2, w_i <- w_i exp(-eta l_i)).
 *
 * Known answers come from tests/games/known_answers.py ("hedge eta=0.7"),
 * which multiplies plain weights by exp(-eta l) in Python floats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mech_test.h"

static const double R0[6] = {0.385, 0.82, 0.71, 0.23, 0.64, 0.455};
static const double R1[6] = {0.91, 0.27, 0.335, 0.6, 0.58, 0.145};
static const double PV0[2] = {1, 0}, PV1[2] = {0, 1};

/* Slot 0 by hand: losses 0.5253125, 0.0685, 0.1683125 (see test_ours.c),
 * so log w = -0.7 l = -0.36771875, -0.04795, -0.11781875; slot 1 from
 * known_answers.py. */
static void known_answer_n3(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, &ts_mech_hedge, 3, 2, 100);
    mt_set(&M, "eta", 0.7);
    mt_start(&M);
    double A[2], lw[3];
    ts_slot s = mt_slot(0, 3, 2, R0, 3, NULL);
    assert_int_equal(mt_step(&M, &s, PV0, A), TS_OK);
    MT_CLOSE(A[0], 0.57833333333333325, 1e-15);
    MT_CLOSE(A[1], 0.50166666666666671, 1e-15);
    M.t->log_weights(M.st, lw);
    MT_CLOSE(lw[0], -0.36771875, 1e-15);
    MT_CLOSE(lw[1], -0.04795, 1e-15);
    MT_CLOSE(lw[2], -0.11781875, 1e-15);

    s = mt_slot(1, 3, 2, R1, 3, NULL);
    assert_int_equal(mt_step(&M, &s, PV1, A), TS_OK);
    MT_CLOSE(A[0], 0.57800085347838104, 1e-12);
    MT_CLOSE(A[1], 0.35027411263700231, 1e-12);
    M.t->log_weights(M.st, lw);
    MT_CLOSE(lw[0], -0.84406874999999981, 1e-12);
    MT_CLOSE(lw[1], -0.14322875000000002, 1e-12);
    MT_CLOSE(lw[2], -0.49141749999999995, 1e-12);
    mt_close(&M);
}

/* N = 2 and a subset: only the heard worker is reweighed; with one heard
 * worker the label is his report.  By hand: worker 1 reports (0.385, 0.62)
 * on pv = (1, 0): l = (0.615^2 + 0.62^2)/2 = 0.3813125, log w1 = -2.5 l. */
static void n2_and_single_heard(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, &ts_mech_hedge, 2, 2, 10);
    mt_set(&M, "eta", 2.5);
    mt_start(&M);
    const int sel[1] = {1};
    const double r[2] = {0.385, 0.62}, pv[2] = {1, 0};
    double A[2], lw[2];
    ts_slot s = mt_slot(0, 2, 2, r, 1, sel);
    mt_step(&M, &s, pv, A);
    MT_CLOSE(A[0], 0.385, 0.0);
    MT_CLOSE(A[1], 0.62, 0.0);
    M.t->log_weights(M.st, lw);
    assert_true(lw[0] == 0.0);
    MT_CLOSE(lw[1], -2.5 * 0.3813125, 1e-15);
    mt_close(&M);
}

/* Log domain vs plain product exp(-eta sum l) while representable, and a
 * long run (10^5 slots at eta = 3) whose plain product would underflow:
 * log w_i = -eta T l_i up to the rounding of the sums, ranking kept. */
static void log_domain_and_long_run(void **unused)
{
    (void)unused;
    const long T = 100000;
    const double eta = 3.0, r[3] = {0.9, 0.6, 0.3}, pv[1] = {1.0};
    mt_mech M;
    mt_open(&M, &ts_mech_hedge, 3, 1, T);
    mt_set(&M, "eta", eta);
    mt_start(&M);
    double A[1], lw[3], sh[3], w[3] = {1, 1, 1};
    ts_err e;
    for (long t = 0; t < T; t++) {
        ts_slot s = mt_slot(t, 3, 1, r, 3, NULL);
        if (M.t->aggregate(M.st, &s, A, &e) || M.t->update(M.st, &s, pv, &e))
            fail_msg("slot %ld: %s", t, e.msg);
        if (t < 200) {
            for (int i = 0; i < 3; i++)
                w[i] *= exp(-eta * (1.0 - r[i]) * (1.0 - r[i]));
            M.t->log_weights(M.st, lw);
            for (int i = 0; i < 3; i++)
                if (!(fabs(exp(lw[i]) / w[i] - 1.0) <= 1e-12))
                    fail_msg("slot %ld worker %d: %.17g vs plain %.17g", t, i,
                             exp(lw[i]), w[i]);
        }
    }
    M.t->log_weights(M.st, lw);
    for (int i = 0; i < 3; i++) {
        double expect = -eta * (double)T * (1.0 - r[i]) * (1.0 - r[i]);
        assert_true(isfinite(lw[i]));
        MT_CLOSE(lw[i] / expect, 1.0, 1e-9);
    }
    assert_true(lw[0] > lw[1] && lw[1] > lw[2]);
    mt_shares(3, lw, sh);
    MT_CLOSE(sh[0] + sh[1] + sh[2], 1.0, 1e-12);
    MT_CLOSE(A[0], 0.9, 1e-12);
    mt_close(&M);
}

/* Default eta = alpha of ours (Fig. 7); eta <= 0 or NaN refused by name. */
static void defaults_and_refusals(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, &ts_mech_hedge, 50, 20, 5000);
    mt_start(&M);
    MT_CLOSE(M.p.v[0], (2.0 / 3.0) * sqrt(2.0 * log(50.0) / 5000.0), 1e-16);
    mt_close(&M);

    static const double bad[] = {0.0, -1.0, NAN, INFINITY};
    ts_err e;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        mt_open(&M, &ts_mech_hedge, 3, 2, 100);
        mt_set(&M, "eta", bad[k]);
        assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
        assert_non_null(strstr(e.msg, "eta"));
        void *st = calloc(1, M.t->state_size(&M.g));
        assert_int_equal(M.t->init(st, &M.g, &M.p, &e), TS_EINPUT);
        free(st);
    }
    /* A verified state other than 0/1 is refused before any weight moves. */
    mt_open(&M, &ts_mech_hedge, 2, 1, 10);
    mt_start(&M);
    const double r[2] = {0.385, 0.7}, pv[1] = {0.5};
    ts_slot s = mt_slot(0, 2, 1, r, 2, NULL);
    assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL);
    double lw[2];
    M.t->log_weights(M.st, lw);
    assert_true(lw[0] == 0.0 && lw[1] == 0.0);
    mt_close(&M);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answer_n3),
        cmocka_unit_test(n2_and_single_heard),
        cmocka_unit_test(log_domain_and_long_run),
        cmocka_unit_test(defaults_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

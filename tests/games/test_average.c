/* test_average.c -- games/average.c (unweighted mean, no update).
 *
 * Known answers: known_answers.py ("average") and plain arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mech_test.h"

static void known_answer_n3(void **unused)
{
    (void)unused;
    const double R0[6] = {0.385, 0.82, 0.71, 0.23, 0.64, 0.455};
    const double R1[6] = {0.91, 0.27, 0.335, 0.6, 0.58, 0.145};
    const double PV0[2] = {1, 0}, PV1[2] = {0, 1};
    mt_mech M;
    mt_open(&M, &ts_mech_average, 3, 2, 10);
    mt_start(&M);
    double A[2], lw[3];
    ts_slot s = mt_slot(0, 3, 2, R0, 3, NULL);
    mt_step(&M, &s, PV0, A);
    /* (0.385 + 0.71 + 0.64)/3, (0.82 + 0.23 + 0.455)/3 */
    MT_CLOSE(A[0], 0.57833333333333325, 1e-15);
    MT_CLOSE(A[1], 0.50166666666666671, 1e-15);
    s = mt_slot(1, 3, 2, R1, 3, NULL);
    mt_step(&M, &s, PV1, A);
    /* (0.91 + 0.335 + 0.58)/3, (0.27 + 0.6 + 0.145)/3: no memory of slot 0 */
    MT_CLOSE(A[0], 0.60833333333333339, 1e-15);
    MT_CLOSE(A[1], 0.33833333333333332, 1e-15);
    M.t->log_weights(M.st, lw);
    for (int i = 0; i < 3; i++)
        assert_true(lw[i] == 0.0);
    mt_close(&M);
}

/* N = 2, and a subset of 2 of 4 workers (sel = {0, 3}). */
static void n2_and_subset(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, &ts_mech_average, 2, 1, 10);
    mt_start(&M);
    const double r[2] = {0.385, 0.7}, pv[1] = {0};
    double A[2];
    ts_slot s = mt_slot(0, 2, 1, r, 2, NULL);
    mt_step(&M, &s, pv, A);
    MT_CLOSE(A[0], (0.385 + 0.7) / 2.0, 1e-16);
    mt_close(&M);

    mt_open(&M, &ts_mech_average, 4, 2, 10);
    mt_start(&M);
    const int sel[2] = {0, 3};
    const double r2[4] = {0.385, 0.12, 0.7, 0.455}, pv2[2] = {0, 1};
    s = mt_slot(0, 4, 2, r2, 2, sel);
    mt_step(&M, &s, pv2, A);
    MT_CLOSE(A[0], (0.385 + 0.7) / 2.0, 1e-16);
    MT_CLOSE(A[1], (0.12 + 0.455) / 2.0, 1e-16);
    /* sel must increase and stay below N */
    const int bad_sel[2] = {3, 0};
    s = mt_slot(1, 4, 2, r2, 2, bad_sel);
    ts_err e;
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_EINVAL);
    assert_non_null(strstr(e.msg, "sel"));
    mt_close(&M);
}

/* Limited feedback (SPEC §2): k = 2 of N = 4 heard, sel = {1, 3}; the
 * label is the mean of those two rows, by hand; weights stay 1, theta is
 * NULL, n_heard = k; k defaults to min(10, N) and must not exceed N. */
static void limited_subset(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, &ts_mech_average_limited, 4, 2, 10);
    mt_set(&M, "k", 2);
    mt_start(&M);
    assert_null(M.t->theta);
    assert_int_equal(M.t->n_heard(&M.g, &M.p), 2);
    const int sel[2] = {1, 3};
    const double r[4] = {0.385, 0.12, 0.71, 0.455}, pv[2] = {1, 0};
    double A[2], lw[4];
    ts_slot s = mt_slot(0, 4, 2, r, 2, sel);
    mt_step(&M, &s, pv, A);
    MT_CLOSE(A[0], (0.385 + 0.71) / 2.0, 1e-16);
    MT_CLOSE(A[1], (0.12 + 0.455) / 2.0, 1e-16);
    M.t->log_weights(M.st, lw);
    for (int i = 0; i < 4; i++)
        assert_true(lw[i] == 0.0);
    mt_close(&M);

    mt_open(&M, &ts_mech_average_limited, 4, 2, 10);
    mt_start(&M);
    assert_true(M.p.v[0] == 4.0); /* min(10, N) */
    mt_close(&M);
    mt_open(&M, &ts_mech_average_limited, 30, 2, 10);
    mt_start(&M);
    assert_true(M.p.v[0] == 10.0);
    mt_close(&M);

    ts_err e;
    mt_open(&M, &ts_mech_average_limited, 4, 2, 10);
    mt_set(&M, "k", 5);
    assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
    assert_string_equal(e.msg, "average: k = 5 exceeds N = 4 workers");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answer_n3),
        cmocka_unit_test(n2_and_subset),
        cmocka_unit_test(limited_subset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

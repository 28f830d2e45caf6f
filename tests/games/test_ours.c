/* test_ours.c -- games/ours.c (Def. 4, full feedback).
 *
 * Known answers come from tests/games/known_answers.py, which applies
 * SPEC §1-2 with plain (linear) weights, w_i *= 1 - alpha l_i, in Python
 * floats; the C code keeps log weights, so agreement to 1e-12 is also the
 * "log domain = plain product" check of SPEC §1 on a small case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mech_test.h"

/* N = 3, m = 2, two slots (rows are workers), as in known_answers.py. */
static const double R0[6] = {0.385, 0.82, 0.71, 0.23, 0.64, 0.455};
static const double R1[6] = {0.91, 0.27, 0.335, 0.6, 0.58, 0.145};
static const double PV0[2] = {1, 0}, PV1[2] = {0, 1};

/* known_answers.py, "ours alpha=0.3".  By hand for slot 0: the labels are
 * plain means, (0.385 + 0.71 + 0.64)/3 = 0.578333..., (0.82 + 0.23 +
 * 0.455)/3 = 0.501666...; l = ((1-0.385)^2 + 0.82^2)/2 = 0.5253125,
 * (0.29^2 + 0.23^2)/2 = 0.0685, (0.36^2 + 0.455^2)/2 = 0.1683125, so
 * w = 1 - 0.3 l = 0.84240625, 0.97945, 0.94950625. */
static void known_answer_n3(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, &ts_mech_ours, 3, 2, 100);
    mt_set(&M, "alpha", 0.3);
    mt_start(&M);
    double A[2], lw[3];

    ts_slot s = mt_slot(0, 3, 2, R0, 3, NULL);
    assert_int_equal(mt_step(&M, &s, PV0, A), TS_OK);
    MT_CLOSE(A[0], 0.57833333333333325, 1e-15);
    MT_CLOSE(A[1], 0.50166666666666671, 1e-15);
    M.t->log_weights(M.st, lw);
    MT_CLOSE(lw[0], log(0.84240625), 1e-15);
    MT_CLOSE(lw[1], log(0.97945), 1e-15);
    MT_CLOSE(lw[2], log(0.94950625), 1e-15);

    s = mt_slot(1, 3, 2, R1, 3, NULL);
    assert_int_equal(mt_step(&M, &s, PV1, A), TS_OK);
    MT_CLOSE(A[0], 0.59372206360589774, 1e-12);
    MT_CLOSE(A[1], 0.34380132290524962, 1e-12);
    M.t->log_weights(M.st, lw);
    MT_CLOSE(lw[0], -0.39983745201791504, 1e-12);
    MT_CLOSE(lw[1], -0.062454950811896358, 1e-12);
    MT_CLOSE(lw[2], -0.22630197932077373, 1e-12);
    mt_close(&M);
}

/* known_answers.py, "ours alpha=0.3 heard {0,2} then {1,2}": the subset
 * baseline's rows are the heard workers in sel order, and only they are
 * reweighed (worker 1 keeps log w = 0 after slot 0). */
static void subset_rows_follow_sel(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, &ts_mech_ours, 3, 2, 100);
    mt_set(&M, "alpha", 0.3);
    mt_start(&M);
    double A[2], lw[3];
    const int sel0[2] = {0, 2}, sel1[2] = {1, 2};
    const double r0[4] = {R0[0], R0[1], R0[4], R0[5]};
    const double r1[4] = {R1[2], R1[3], R1[4], R1[5]};

    ts_slot s = mt_slot(0, 3, 2, r0, 2, sel0);
    mt_step(&M, &s, PV0, A);
    MT_CLOSE(A[0], 0.51249999999999996, 1e-15);
    MT_CLOSE(A[1], 0.63749999999999996, 1e-15);
    M.t->log_weights(M.st, lw);
    assert_true(lw[1] == 0.0);

    s = mt_slot(1, 3, 2, r1, 2, sel1);
    mt_step(&M, &s, PV1, A);
    MT_CLOSE(A[0], 0.45432715334972634, 1e-12);
    MT_CLOSE(A[1], 0.37839242949336527, 1e-12);
    M.t->log_weights(M.st, lw);
    MT_CLOSE(lw[0], -0.17149289891164138, 1e-12);
    MT_CLOSE(lw[1], -0.041690861459168727, 1e-12);
    MT_CLOSE(lw[2], -0.22630197932077373, 1e-12);
    mt_close(&M);
}

/* Non-round reports r_ij = frac(0.385 + 0.618 i + 0.263 j + 0.137 t) and
 * states alternating with (i + j + t): a cheap deterministic sequence. */
static double seq_report(int i, int j, long t)
{
    double x = 0.385 + 0.618 * i + 0.263 * j + 0.137 * (double)t;
    return x - floor(x);
}

/* SPEC §1: log-domain weights agree with the plain product (1 - alpha l)
 * while it is representable.  The test keeps the plain product itself and
 * the plain weighted mean; 400 slots at alpha = 0.9 take the smallest
 * weight to about 1e-60, still far from underflow. */
static void log_domain_matches_plain_product(void **unused)
{
    (void)unused;
    enum { N = 4, m = 3, T = 400 };
    const double alpha = 0.9;
    mt_mech M;
    mt_open(&M, &ts_mech_ours, N, m, T);
    mt_set(&M, "alpha", alpha);
    mt_start(&M);
    double w[N] = {1, 1, 1, 1}, r[N * m], pv[m], A[m], lw[N];
    double wmin = 1.0;
    for (long t = 0; t < T; t++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < m; j++)
                r[i * m + j] = seq_report(i, j, t);
        for (int j = 0; j < m; j++)
            pv[j] = (double)((j + t) % 2);
        ts_slot s = mt_slot(t, N, m, r, N, NULL);
        mt_step(&M, &s, pv, A);
        double W = 0.0;
        for (int i = 0; i < N; i++)
            W += w[i];
        for (int j = 0; j < m; j++) {
            double a = 0.0;
            for (int i = 0; i < N; i++)
                a += w[i] * r[i * m + j];
            MT_CLOSE(A[j], a / W, 1e-12);
        }
        for (int i = 0; i < N; i++) {
            double l = 0.0;
            for (int j = 0; j < m; j++)
                l += (r[i * m + j] - pv[j]) * (r[i * m + j] - pv[j]);
            w[i] *= 1.0 - alpha * l / m;
            if (w[i] < wmin)
                wmin = w[i];
        }
        M.t->log_weights(M.st, lw);
        for (int i = 0; i < N; i++)
            if (!(fabs(exp(lw[i]) / w[i] - 1.0) <= 1e-12))
                fail_msg("slot %ld worker %d: exp(log w) = %.17g, plain "
                         "product %.17g", t, i, exp(lw[i]), w[i]);
    }
    assert_true(wmin < 1e-40 && wmin > 1e-300);
    mt_close(&M);
}

/* SPEC §1 "Weights underflow": T = 10^6 slots, N = 3, m = 1, fixed reports
 * 0.9, 0.6, 0.3 on p = 1 (losses 0.01, 0.16, 0.49), alpha = 0.02.  The plain
 * product of worker 2 would be about e^-9850, far below DBL_MIN; in the log
 * domain log w_i = T log1p(-alpha l_i) up to the rounding of 10^6
 * additions (relative 1e-9 is generous), the ranking holds, the shares are
 * finite and sum to 1, and the label is worker 0's report. */
static void long_run_keeps_ranking(void **unused)
{
    (void)unused;
    const long T = 1000000;
    const double alpha = 0.02, r[3] = {0.9, 0.6, 0.3}, pv[1] = {1.0};
    mt_mech M;
    mt_open(&M, &ts_mech_ours, 3, 1, T);
    mt_set(&M, "alpha", alpha);
    mt_start(&M);
    double A[1], lw[3], sh[3];
    ts_err e;
    for (long t = 0; t < T; t++) {
        ts_slot s = mt_slot(t, 3, 1, r, 3, NULL);
        if (M.t->aggregate(M.st, &s, A, &e) || M.t->update(M.st, &s, pv, &e))
            fail_msg("slot %ld: %s", t, e.msg);
    }
    M.t->log_weights(M.st, lw);
    for (int i = 0; i < 3; i++) {
        double l = (1.0 - r[i]) * (1.0 - r[i]);
        double expect = (double)T * log1p(-alpha * l);
        assert_true(isfinite(lw[i]));
        if (!(fabs(lw[i] / expect - 1.0) <= 1e-9))
            fail_msg("worker %d: log w = %.17g, expected %.17g", i, lw[i],
                     expect);
    }
    assert_true(lw[0] > lw[1] && lw[1] > lw[2]);
    assert_true(lw[2] < -9000.0); /* the plain product would be 0 */
    mt_shares(3, lw, sh);
    MT_CLOSE(sh[0] + sh[1] + sh[2], 1.0, 1e-12);
    assert_true(sh[0] > sh[1] && sh[1] >= sh[2]);
    ts_slot s = mt_slot(T, 3, 1, r, 3, NULL);
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_OK);
    MT_CLOSE(A[0], 0.9, 1e-12);
    mt_close(&M);
}

/* alpha = 1 and l = 1 gives weight 0 (log w = -inf): that worker drops out
 * of the mean; once every worker has weight 0 the label is the unweighted
 * mean and the shares are uniform.  Worked by hand: slot 0 worker 0
 * reports (0, 1) on pv = (1, 0), l = 1; workers 1, 2 report 0.385 and
 * 0.62 on both prompts, l = (0.385^2 + 0.615^2)/2 and (0.62^2 + 0.38^2)/2.
 * Slot 1's label is then (w1 r1 + w2 r2)/(w1 + w2) without worker 0. */
static void zero_weight_drops_out(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, &ts_mech_ours, 3, 2, 10);
    mt_set(&M, "alpha", 1.0);
    mt_start(&M);
    const double r0[6] = {0, 1, 0.385, 0.385, 0.62, 0.62};
    const double pv0[2] = {1, 0};
    double A[2], lw[3], sh[3];
    ts_slot s = mt_slot(0, 3, 2, r0, 3, NULL);
    mt_step(&M, &s, pv0, A);
    M.t->log_weights(M.st, lw);
    assert_true(isinf(lw[0]) && lw[0] < 0);
    double w1 = 1.0 - (0.385 * 0.385 + 0.615 * 0.615) / 2.0;
    double w2 = 1.0 - (0.62 * 0.62 + 0.38 * 0.38) / 2.0;
    MT_CLOSE(lw[1], log(w1), 1e-15);
    MT_CLOSE(lw[2], log(w2), 1e-15);

    const double r1[6] = {0.9, 0.9, 0.41, 0.17, 0.73, 0.555};
    s = mt_slot(1, 3, 2, r1, 3, NULL);
    ts_err e;
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_OK);
    MT_CLOSE(A[0], (w1 * 0.41 + w2 * 0.73) / (w1 + w2), 1e-15);
    MT_CLOSE(A[1], (w1 * 0.17 + w2 * 0.555) / (w1 + w2), 1e-15);

    /* Now give workers 1 and 2 loss 1 as well: all weights 0. */
    const double r2[6] = {0.5, 0.5, 0, 1, 0, 1};
    s = mt_slot(1, 3, 2, r2, 3, NULL);
    assert_int_equal(M.t->update(M.st, &s, pv0, &e), TS_OK);
    M.t->log_weights(M.st, lw);
    for (int i = 0; i < 3; i++)
        assert_true(isinf(lw[i]) && lw[i] < 0);
    mt_shares(3, lw, sh);
    for (int i = 0; i < 3; i++)
        MT_CLOSE(sh[i], 1.0 / 3.0, 1e-15);
    s = mt_slot(2, 3, 2, r1, 3, NULL);
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_OK);
    MT_CLOSE(A[0], (0.9 + 0.41 + 0.73) / 3.0, 1e-15);
    MT_CLOSE(A[1], (0.9 + 0.17 + 0.555) / 3.0, 1e-15);
    mt_close(&M);
}

/* Default alpha = (2/3) sqrt(2 ln N / T) (Thm. 1), only where unset. */
static void default_alpha(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, &ts_mech_ours, 5, 20, 500);
    mt_start(&M);
    MT_CLOSE(M.p.v[0], (2.0 / 3.0) * sqrt(2.0 * log(5.0) / 500.0), 1e-16);
    mt_close(&M);

    mt_open(&M, &ts_mech_ours, 5, 20, 500);
    mt_set(&M, "alpha", 0.125);
    mt_start(&M);
    assert_true(M.p.v[0] == 0.125);
    mt_close(&M);
}

/* Refuse, never clamp (STYLE §4): out-of-range alpha, a default alpha that
 * leaves (0, 1] at tiny T, reports outside [0, 1]. */
static void refuses_bad_input(void **unused)
{
    (void)unused;
    static const double bad[] = {0.0, -0.1, 1.5, NAN};
    ts_err e;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        mt_mech M;
        mt_open(&M, &ts_mech_ours, 3, 2, 100);
        mt_set(&M, "alpha", bad[k]);
        assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
        assert_non_null(strstr(e.msg, "alpha"));
        /* init refuses on its own too, should a caller skip the checks */
        void *st = calloc(1, M.t->state_size(&M.g));
        assert_int_equal(M.t->init(st, &M.g, &M.p, &e), TS_EINPUT);
        assert_non_null(strstr(e.msg, "alpha"));
        free(st);
    }
    /* N = 50, T = 3: default alpha = (2/3) sqrt(2 ln 50 / 3) = 1.14 > 1. */
    mt_mech M;
    mt_open(&M, &ts_mech_ours, 50, 2, 3);
    M.t->defaults(&M.g, &M.p);
    assert_int_equal(M.t->check(&M.g, &M.p, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "default alpha"));

    mt_open(&M, &ts_mech_ours, 3, 2, 100);
    mt_start(&M);
    const double r[6] = {0.385, 0.6, 0.5, 0.5, 1.25, 0.5};
    const double pv[2] = {1, 0};
    ts_slot s = mt_slot(0, 3, 2, r, 3, NULL);
    double lw[3];
    assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL);
    M.t->log_weights(M.st, lw);
    for (int i = 0; i < 3; i++)
        assert_true(lw[i] == 0.0); /* refused before any weight changed */
    s = mt_slot(0, 3, 5, r, 3, NULL); /* m above the shape's */
    double A[5];
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_EINVAL);
    mt_close(&M);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answer_n3),
        cmocka_unit_test(subset_rows_follow_sel),
        cmocka_unit_test(log_domain_matches_plain_product),
        cmocka_unit_test(long_run_keeps_ranking),
        cmocka_unit_test(zero_weight_drops_out),
        cmocka_unit_test(default_alpha),
        cmocka_unit_test(refuses_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

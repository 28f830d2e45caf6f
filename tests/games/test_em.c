/* test_em.c -- games/em.c (benchmark 1, one-coin Dawid-Skene, SPEC §2).
 *
 * Known answers come from tests/data/em_reference.py, an independent
 * Python EM written from the SPEC's formulas (it uses the M-step literally,
 * a = (A + c)/(A + B + m), and B += m - c, where em.c sums the
 * disagreements on their own); its printed output is pinned below, case by
 * case.  Both stop at tol = 1e-12 after the same number of iterations, so
 * they agree far below the 1e-12 asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mech_test.h"

enum { D_ITER_MAX, D_SLOTS_CAPPED, D_MAJORITY_AGREE, D_LABEL_WRONG };

static void check_vec(const char *what, int n, const double *got,
                      const double *want, double tol)
{
    for (int k = 0; k < n; k++)
        if (!(fabs(got[k] - want[k]) <= tol))
            fail_msg("%s[%d] = %.17g, reference %.17g", what, k, got[k],
                     want[k]);
}

/* em_reference.py "case1 N=3 m=2": two slots, everyone heard; 15 E-M
 * iterations in each.  fast = 1 runs em.c's vectorised loop on the same
 * case: same fixed point to the same 1e-12 (issue 15). */
static void case1(int fast)
{
    const double r0[6] = {0.385, 0.82, 0.71, 0.23, 0.64, 0.455};
    const double r1[6] = {0.91, 0.27, 0.335, 0.6, 0.58, 0.145};
    const double pv[2] = {1, 0}; /* EM ignores pv */
    const double A0[2] = {0.55105665712428553, 0.49620304329982484};
    const double L0[3] = {-0.51556117997593642, -0.50302474568522881,
                          -0.50595829176910745};
    const double A1[2] = {0.55752687552503188, 0.41729260090472037};
    const double L1[3] = {-0.54201058347797615, -0.56262811948682445,
                          -0.5391848914878532};
    mt_mech M;
    mt_open(&M, &ts_mech_em, 3, 2, 10);
    mt_set(&M, "fast", fast);
    mt_start(&M);
    double A[2], lw[3], dg[4];
    ts_slot s = mt_slot(0, 3, 2, r0, 3, NULL);
    assert_int_equal(mt_step(&M, &s, pv, A), TS_OK);
    check_vec("label slot 0", 2, A, A0, 1e-12);
    M.t->log_weights(M.st, lw);
    check_vec("log a slot 0", 3, lw, L0, 1e-12);
    s = mt_slot(1, 3, 2, r1, 3, NULL);
    assert_int_equal(mt_step(&M, &s, pv, A), TS_OK);
    check_vec("label slot 1", 2, A, A1, 1e-12);
    M.t->log_weights(M.st, lw);
    check_vec("log a slot 1", 3, lw, L1, 1e-12);

    M.t->diag(M.st, dg);
    assert_true(dg[D_ITER_MAX] == 15.0);
    assert_true(dg[D_SLOTS_CAPPED] == 0.0);
    /* Rounded labels (1, 0), (1, 0); rounded majorities: slot 0 prompt 0
     * (0, 1, 1) -> 1, prompt 1 (1, 0, 0) -> 0; slot 1 (1, 0, 1) -> 1,
     * (0, 1, 0) -> 0: agreement 4/4.  pv = (1, 0): no label wrong. */
    MT_CLOSE(dg[D_MAJORITY_AGREE], 1.0, 0.0);
    MT_CLOSE(dg[D_LABEL_WRONG], 0.0, 0.0);
    mt_close(&M);
}

static void reference_case1(void **unused)
{
    (void)unused;
    case1(0);
}

static void fast_reference_case1(void **unused)
{
    (void)unused;
    case1(1);
}

/* The fast loop against the reference loop at the figures' shape (N = 50,
 * m = 20), 300 slots of bands-like reports (worker 0 accurate, the others
 * leaning wrong, so EM sits at App. A's majority point) and 300 of
 * informative ones: labels and log weights agree within 1e-9 every slot
 * (measured: largest difference 2.2e-16 labels, 8.9e-16 log weights; the
 * iterations stop at |delta a| <= 1e-12, so differences of that order are
 * what "the same fixed point to tol" allows). */
static void fast_matches_reference(void **unused)
{
    (void)unused;
    enum { N = 50, m = 20, T = 600 };
    mt_mech R, F;
    mt_open(&R, &ts_mech_em, N, m, T);
    mt_open(&F, &ts_mech_em, N, m, T);
    mt_set(&F, "fast", 1);
    mt_start(&R);
    mt_start(&F);
    static double r[N * m];
    double p[m], AR[m], AF[m], lr[N], lf[N];
    double worst_a = 0, worst_w = 0;
    for (long t = 0; t < T; t++) {
        for (int j = 0; j < m; j++)
            p[j] = mt_u(t * 1000 + j) < 0.5 ? 0.0 : 1.0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < m; j++) {
                const double c = i == 0 ? 0.05
                               : t < T / 2 ? 0.5 + 0.3 * (i - 1) / (N - 2.0)
                                           : 0.1 + 0.3 * (i - 1) / (N - 2.0);
                const double u = c - 0.05 + 0.1 * mt_u(t * 1000 + 50 + i * m + j);
                r[i * m + j] = p[j] + (1 - 2 * p[j]) * u;
            }
        ts_slot s = mt_slot(t, N, m, r, N, NULL);
        assert_int_equal(mt_step(&R, &s, p, AR), TS_OK);
        assert_int_equal(mt_step(&F, &s, p, AF), TS_OK);
        R.t->log_weights(R.st, lr);
        F.t->log_weights(F.st, lf);
        for (int j = 0; j < m; j++)
            worst_a = fmax(worst_a, fabs(AR[j] - AF[j]));
        for (int i = 0; i < N; i++)
            worst_w = fmax(worst_w, fabs(lr[i] - lf[i]));
    }
    print_message("em fast vs reference loop: max |label diff| %.3g, "
                  "max |log weight diff| %.3g\n", worst_a, worst_w);
    assert_true(worst_a <= 1e-9);
    assert_true(worst_w <= 1e-9);
    mt_close(&R);
    mt_close(&F);
}

/* em_reference.py "case2 N=3 subsets": heard {0, 2} then {1, 2}; rows in
 * sel order; worker 1 keeps the prior 2/3 (log 2/3) after slot 0. */
static void reference_subsets(void **unused)
{
    (void)unused;
    const double r0[6] = {0.385, 0.82, 0.615, 0.64, 0.455, 0.27};
    const double r1[6] = {0.71, 0.23, 0.905, 0.58, 0.145, 0.66};
    const int sel0[2] = {0, 2}, sel1[2] = {1, 2};
    const double pv[3] = {0, 1, 1};
    const double A0[3] = {0.50341864254086088, 0.54890856883331129,
                          0.48128945357972197};
    const double L0[3] = {-0.53153532733034881, -0.40546510810816444,
                          -0.53752264451547871};
    const double A1[3] = {0.55913071761880617, 0.38996936347127842,
                          0.61337278374222215};
    const double L1[3] = {-0.53153532733034881, -0.48991157729975415,
                          -0.5623091394371168};
    mt_mech M;
    mt_open(&M, &ts_mech_em, 3, 3, 10);
    mt_start(&M);
    double A[3], lw[3];
    ts_slot s = mt_slot(0, 3, 3, r0, 2, sel0);
    assert_int_equal(mt_step(&M, &s, pv, A), TS_OK);
    check_vec("label slot 0", 3, A, A0, 1e-12);
    M.t->log_weights(M.st, lw);
    check_vec("log a slot 0", 3, lw, L0, 1e-12);
    MT_CLOSE(lw[1], log(2.0 / 3.0), 1e-16);
    s = mt_slot(1, 3, 3, r1, 2, sel1);
    assert_int_equal(mt_step(&M, &s, pv, A), TS_OK);
    check_vec("label slot 1", 3, A, A1, 1e-12);
    M.t->log_weights(M.st, lw);
    check_vec("log a slot 1", 3, lw, L1, 1e-12);
    mt_close(&M);
}

/* em_reference.py "case3 N=2 m=1 a0=3.5 b0=1.25": N = 2, prior counts set. */
static void reference_n2_prior(void **unused)
{
    (void)unused;
    const double r0[2] = {0.385, 0.7}, r1[2] = {0.2, 0.45}, pv[1] = {1};
    mt_mech M;
    mt_open(&M, &ts_mech_em, 2, 1, 10);
    mt_set(&M, "a0", 3.5);
    mt_set(&M, "b0", 1.25);
    mt_start(&M);
    double A[1], lw[2];
    M.t->log_weights(M.st, lw);
    MT_CLOSE(lw[0], log(3.5 / 4.75), 1e-15);
    ts_slot s = mt_slot(0, 2, 1, r0, 2, NULL);
    mt_step(&M, &s, pv, A);
    MT_CLOSE(A[0], 0.53667357349911882, 1e-12);
    M.t->log_weights(M.st, lw);
    check_vec("log a slot 0", 2, lw,
              (const double[]){-0.36501645066829186, -0.35924484469812618},
              1e-12);
    s = mt_slot(1, 2, 1, r1, 2, NULL);
    mt_step(&M, &s, pv, A);
    MT_CLOSE(A[0], 0.37424759412563918, 1e-12);
    M.t->log_weights(M.st, lw);
    check_vec("log a slot 1", 2, lw,
              (const double[]){-0.39068235307922605, -0.39942899106381674},
              1e-12);
    mt_close(&M);
}

/* em_reference.py "case4 max_iter=1": one E-step and one M-step, then the
 * cap; aggregate says TS_ENOCONV, the labels (first E-step) and the counts
 * are still the reference's, and the diagnostics count the capped slot. */
static void max_iter_one_is_enoconv(void **unused)
{
    (void)unused;
    const double r0[6] = {0.385, 0.82, 0.71, 0.23, 0.64, 0.455};
    const double pv[2] = {1, 0};
    mt_mech M;
    mt_open(&M, &ts_mech_em, 3, 2, 10);
    mt_set(&M, "max_iter", 1);
    mt_start(&M);
    double A[2] = {NAN, NAN}, lw[3], dg[4];
    ts_err e;
    ts_err_clear(&e);
    ts_slot s = mt_slot(0, 3, 2, r0, 3, NULL);
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_ENOCONV);
    assert_int_equal(e.code, TS_ENOCONV);
    assert_non_null(strstr(e.msg, "max_iter"));
    check_vec("label", 2, A,
              (const double[]){0.58073203206390822, 0.50173286101341963},
              1e-15);
    assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_OK);
    M.t->log_weights(M.st, lw);
    check_vec("log a", 3, lw,
              (const double[]){-0.51666240344695369, -0.49989501165787575,
                               -0.50337047871832274},
              1e-15);
    M.t->diag(M.st, dg);
    assert_true(dg[D_ITER_MAX] == 1.0 && dg[D_SLOTS_CAPPED] == 1.0);
    mt_close(&M);
}

/* App. A's majority flip (Lemma 1): N = 3, m = 4, p = (1, 0, 0, 1); worker 0
 * reports p exactly, workers 1 and 2 report 1 - p.  From the prior 2/3 for
 * everyone, EM follows the two who agree with each other: it reaches the
 * flipped stationary point, labels near 1 - p (em_reference.py "case5",
 * three slots: 17, 9 and 7 iterations), the perfect worker's reliability
 * falls and the liars' rises.  Diagnostics: EM agrees with the majority on
 * every prompt and is wrong on every prompt. */
static void majority_flip_app_a(void **unused)
{
    (void)unused;
    const double p[4] = {1, 0, 0, 1};
    double r[12];
    for (int j = 0; j < 4; j++) {
        r[j] = p[j];
        r[4 + j] = r[8 + j] = 1.0 - p[j];
    }
    const double gam[3] = {0.012773232641266223, 0.0026247173654119754,
                           0.0009323826805925716};
    const double L[3][2] = {{-1.2275373611109537, -0.16270263217933387},
                            {-1.6744168699305146, -0.1014884058015602},
                            {-1.9827643786839644, -0.073669599691367271}};
    mt_mech M;
    mt_open(&M, &ts_mech_em, 3, 4, 3);
    mt_start(&M);
    double A[4], lw[3], dg[4];
    for (long t = 0; t < 3; t++) {
        ts_slot s = mt_slot(t, 3, 4, r, 3, NULL);
        assert_int_equal(mt_step(&M, &s, p, A), TS_OK);
        for (int j = 0; j < 4; j++)
            MT_CLOSE(A[j], p[j] ? gam[t] : 1.0 - gam[t], 1e-12);
        M.t->log_weights(M.st, lw);
        MT_CLOSE(lw[0], L[t][0], 1e-12);
        MT_CLOSE(lw[1], L[t][1], 1e-12);
        MT_CLOSE(lw[2], L[t][1], 1e-12);
        assert_true(lw[0] < lw[1]);
    }
    M.t->diag(M.st, dg);
    assert_true(dg[D_ITER_MAX] == 17.0);
    assert_true(dg[D_SLOTS_CAPPED] == 0.0);
    MT_CLOSE(dg[D_MAJORITY_AGREE], 1.0, 0.0);
    MT_CLOSE(dg[D_LABEL_WRONG], 1.0, 0.0);
    mt_close(&M);
}

/* A prior count so small that a = A/(A+B) rounds to 1.0 after one slot of
 * perfect agreement (b0 = 1e-300): the logit is formed from the counts,
 * so it stays finite and nothing turns into NaN; no clipping involved. */
static void extreme_prior_stays_finite(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, &ts_mech_em, 3, 2, 10);
    mt_set(&M, "b0", 1e-300);
    mt_start(&M);
    const double r[6] = {1, 0, 1, 0, 1, 0}, pv[2] = {1, 0};
    double A[2], lw[3], dg[4];
    for (long t = 0; t < 3; t++) {
        ts_slot s = mt_slot(t, 3, 2, r, 3, NULL);
        mt_step(&M, &s, pv, A);
        assert_true(isfinite(A[0]) && isfinite(A[1]) && A[0] > 0.5);
        M.t->log_weights(M.st, lw);
        for (int i = 0; i < 3; i++)
            assert_true(isfinite(lw[i]) && lw[i] <= 0.0);
    }
    M.t->diag(M.st, dg);
    for (int k = 0; k < 4; k++)
        assert_true(isfinite(dg[k]));
    mt_close(&M);
}

/* Error paths: update without the matching aggregate, a report outside
 * [0,1], bad parameters (each refused by name). */
static void error_paths(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, &ts_mech_em, 2, 1, 10);
    mt_start(&M);
    const double r[2] = {0.385, 0.7}, pv[1] = {1};
    double A[1];
    ts_err e;
    ts_slot s = mt_slot(0, 2, 1, r, 2, NULL);
    assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL);
    assert_non_null(strstr(e.msg, "aggregate"));
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_OK);
    ts_slot s1 = mt_slot(1, 2, 1, r, 2, NULL); /* a different slot */
    assert_int_equal(M.t->update(M.st, &s1, pv, &e), TS_EINVAL);
    assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_OK);
    assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL); /* twice */
    const double rbad[2] = {0.385, -0.25};
    s = mt_slot(1, 2, 1, rbad, 2, NULL);
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_EINVAL);
    assert_non_null(strstr(e.msg, "report"));
    mt_close(&M);

    static const struct {
        const char *name;
        double v;
    } bad[] = {{"max_iter", 0},  {"max_iter", 2.5}, {"tol", -1e-3},
               {"tol", NAN},     {"a0", 0},         {"b0", -1},
               {"a0", INFINITY}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        mt_open(&M, &ts_mech_em, 3, 2, 10);
        mt_set(&M, bad[k].name, bad[k].v);
        assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
        if (!strstr(e.msg, bad[k].name))
            fail_msg("message '%s' does not name %s", e.msg, bad[k].name);
        void *st = calloc(1, M.t->state_size(&M.g));
        assert_int_equal(M.t->init(st, &M.g, &M.p, &e), TS_EINPUT);
        free(st);
    }
}

/* Limited feedback (SPEC §2): em_limited with k = 2 of N = 3 on
 * em_reference.py "case2 N=3 subsets" (heard {0, 2} then {1, 2}) gives the
 * full vtable's pinned numbers: only heard workers' counts change (worker
 * 1 keeps log 2/3 through slot 0, worker 0 keeps his slot-0 value, bit
 * for bit, through slot 1).  The EM parameters keep their defaults, k
 * defaults to min(10, N), and k > N is refused. */
static void limited_heard_counts_only(void **unused)
{
    (void)unused;
    const double r0[6] = {0.385, 0.82, 0.615, 0.64, 0.455, 0.27};
    const double r1[6] = {0.71, 0.23, 0.905, 0.58, 0.145, 0.66};
    const int sel0[2] = {0, 2}, sel1[2] = {1, 2};
    const double pv[3] = {0, 1, 1};
    const double A0[3] = {0.50341864254086088, 0.54890856883331129,
                          0.48128945357972197};
    const double L0[3] = {-0.53153532733034881, -0.40546510810816444,
                          -0.53752264451547871};
    const double A1[3] = {0.55913071761880617, 0.38996936347127842,
                          0.61337278374222215};
    const double L1[3] = {-0.53153532733034881, -0.48991157729975415,
                          -0.5623091394371168};
    mt_mech M;
    mt_open(&M, &ts_mech_em_limited, 3, 3, 10);
    mt_set(&M, "k", 2);
    mt_start(&M);
    assert_null(M.t->theta);
    assert_int_equal(M.t->n_heard(&M.g, &M.p), 2);
    assert_true(M.p.v[0] == 1e-12 && M.p.v[1] == 10000 && M.p.v[2] == 2 &&
                M.p.v[3] == 1);
    double A[3], lw[3], lw0[3], dg[4];
    ts_slot s = mt_slot(0, 3, 3, r0, 2, sel0);
    assert_int_equal(mt_step(&M, &s, pv, A), TS_OK);
    check_vec("label slot 0", 3, A, A0, 1e-12);
    M.t->log_weights(M.st, lw0);
    check_vec("log a slot 0", 3, lw0, L0, 1e-12);
    MT_CLOSE(lw0[1], log(2.0 / 3.0), 1e-16);
    s = mt_slot(1, 3, 3, r1, 2, sel1);
    assert_int_equal(mt_step(&M, &s, pv, A), TS_OK);
    check_vec("label slot 1", 3, A, A1, 1e-12);
    M.t->log_weights(M.st, lw);
    check_vec("log a slot 1", 3, lw, L1, 1e-12);
    assert_true(lw[0] == lw0[0]); /* not heard in slot 1: untouched */
    M.t->diag(M.st, dg);
    assert_true(isfinite(dg[D_MAJORITY_AGREE]));
    mt_close(&M);

    mt_open(&M, &ts_mech_em_limited, 50, 2, 10);
    mt_start(&M);
    assert_true(M.p.v[4] == 10.0);
    mt_close(&M);
    ts_err e;
    mt_open(&M, &ts_mech_em_limited, 3, 2, 10);
    mt_set(&M, "k", 4);
    assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
    assert_string_equal(e.msg, "em: k = 4 exceeds N = 3 workers");
    void *st = calloc(1, M.t->state_size(&M.g));
    assert_int_equal(M.t->init(st, &M.g, &M.p, &e), TS_EINPUT);
    free(st);
    /* the full vtable has no k */
    assert_int_equal(ts_param_find(ts_mech_em.params, ts_mech_em.n_params,
                                   "k"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_case1),
        cmocka_unit_test(fast_reference_case1),
        cmocka_unit_test(fast_matches_reference),
        cmocka_unit_test(reference_subsets),
        cmocka_unit_test(reference_n2_prior),
        cmocka_unit_test(max_iter_one_is_enoconv),
        cmocka_unit_test(majority_flip_app_a),
        cmocka_unit_test(extreme_prior_stays_finite),
        cmocka_unit_test(error_paths),
        cmocka_unit_test(limited_heard_counts_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_dynamics.c -- src/analysis/overtake.c and drift.c: Prop. 2's exact
 * recursion and Monte Carlo, the set_log_weights hook, the drift analysis,
 * each on a population known only through its hooks.
 *
 * Known answers (python, math module; an independent formula, not the
 * vtable):
 *   - ours, alpha = 0.1, newcomer band [0, 0.1] (l_i = 0.01/3), gap 0.05:
 *     g_i = log1p(-0.1 l_i) = -0.0003333889012376552,
 *     g_k = log1p(-0.1 (l_i + 0.05)) = -0.005347606326595275; ratio 10:
 *     ln 10 / (g_i - g_k) = 459.21, so tau = 460 <= Prop. 2's
 *     ceil(ln 10 / (0.1 * 0.05)) = 461;
 *   - hedge, eta = 0.5, same bands: E[e^{-eta u^2}] over u ~ U[a, b] is
 *     sqrt(pi/(4 eta)) (erf(b sqrt eta) - erf(a sqrt eta)) / (b - a):
 *     g_i = -0.0016655559084653667, g_k = -0.02664472961414435 (incumbent
 *     band [0.179128..., 0.279128...]); ratio 3: ln 3/(g_i - g_k) = 43.98,
 *     tau = 44;
 *   - degenerate newcomer band [0.2, 0.2], hedge eta = 0.5: g_i = -0.02,
 *     g_k = -0.5 (0.04 + 0.05) = -0.045, ratio 2: ln 2 / 0.025 = 27.7,
 *     tau = 28.
 * Also: average/median/em have no hook (not applicable); set_log_weights
 * round-trips through log_weights for ours, hedge, exp3 and ours(limited)
 * (Def. 5 shifted to a largest weight of 1) and refuses a weight under
 * Def. 5's floor beta; the Monte Carlo's expectation crossing lands within
 * a few slots of the exact one; drift: ours tracks both switches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/drift.h"
#include "analysis/overtake.h"
#include "games/games.h"

#define CLOSE(x, y, tol)                                                      \
    do {                                                                      \
        double x_ = (x), y_ = (y);                                            \
        if (!(fabs(x_ - y_) <= (tol)))                                        \
            fail_msg("%s = %.17g, expected %.17g (line %d)", #x, x_, y_,     \
                     __LINE__);                                               \
    } while (0)

static void mech_params(const ts_mechanism_type *mt, const char *key,
                        double v, const ts_shape *g, ts_params *p)
{
    ts_err e = {0};
    ts_params_init(p, mt->n_params);
    if (key)
        assert_int_equal(ts_params_set(p, mt->params, mt->n_params, key, v, &e), TS_OK);
    mt->defaults(g, p);
}

/* The newcomer population's parameters with gap set (and the newcomer's
 * band, if given). */
static void newcomer_params(double gap, const double *band, ts_params *p)
{
    const ts_population_type *P = &ts_pop_newcomer;
    ts_err e = {0};
    ts_params_init(p, P->n_params);
    assert_int_equal(ts_params_set(p, P->params, P->n_params, "gap", gap, &e), TS_OK);
    if (band) {
        int k = ts_param_find(P->params, P->n_params, "band");
        p->vec[k] = band;
        p->len[k] = 2;
        p->set[k] = 1;
    }
}

/* Bands of the incumbent (0) and the newcomer (1), through the band hook. */
static void bands_for(double gap, const double *band, double lo[2], double hi[2])
{
    ts_params p;
    ts_err e = {0};
    ts_pop pop;
    const ts_shape g = {5, 1, 100, TS_FULL};
    newcomer_params(gap, band, &p);
    assert_int_equal(ts_pop_alloc(&pop, &ts_pop_newcomer, &g, &p, &e), TS_OK);
    for (int k = 0; k < 2; k++)
        pop.type->band(pop.st, 0, k, &lo[k], &hi[k]);
    ts_pop_free(&pop);
}

static void test_exact_ours(void **unused)
{
    (void)unused;
    const ts_mechanism_type *mt = &ts_mech_ours;
    ts_shape g = {3, 1, 100, TS_FULL};
    ts_params p;
    mech_params(mt, "alpha", 0.1, &g, &p);
    double lo[2], hi[2], gg[2];
    long tau;
    ts_err e = {0};
    bands_for(0.05, NULL, lo, hi);
    assert_int_equal(ts_overtake_exact(mt, 3, 100, &p, lo, hi, 10, gg, &tau, &e), TS_OK);
    CLOSE(gg[1], -0.0003333889012376552, 1e-15);
    CLOSE(gg[0], -0.005347606326595275, 1e-15);
    assert_int_equal(tau, 460);
    assert_int_equal(ts_overtake_bound(10, 0.1, 0.05), 461);
    assert_int_equal(ts_overtake_bound(10, 0, 0.05), -1);
}

static void test_exact_hedge(void **unused)
{
    (void)unused;
    const ts_mechanism_type *mt = &ts_mech_hedge;
    ts_shape g = {4, 1, 100, TS_FULL};
    ts_params p;
    mech_params(mt, "eta", 0.5, &g, &p);
    double lo[2], hi[2], gg[2];
    long tau;
    ts_err e = {0};
    bands_for(0.05, NULL, lo, hi);
    assert_int_equal(ts_overtake_exact(mt, 4, 100, &p, lo, hi, 3, gg, &tau, &e), TS_OK);
    CLOSE(gg[1], -0.0016655559084653667, 1e-13);
    CLOSE(gg[0], -0.02664472961414435, 1e-13);
    assert_int_equal(tau, 44);
    static const double deg[2] = {0.2, 0.2};
    bands_for(0.05, deg, lo, hi);
    assert_int_equal(ts_overtake_exact(mt, 4, 100, &p, lo, hi, 2, gg, &tau, &e), TS_OK);
    CLOSE(gg[1], -0.02, 1e-15);
    CLOSE(gg[0], -0.045, 1e-15);
    assert_int_equal(tau, 28);
}

static void test_not_applicable(void **unused)
{
    (void)unused;
    ts_err e = {0};
    assert_null(ts_mech_average.set_log_weights);
    assert_null(ts_mech_median.set_log_weights);
    assert_null(ts_mech_em.set_log_weights);
    ts_params pp;
    newcomer_params(0.1, NULL, &pp);
    ts_overtake_cfg c = {5, 200, 10, 0.1, 50, 4, 1, &pp};
    ts_overtake r;
    assert_int_equal(ts_overtake_run(&ts_mech_median, &ts_pop_newcomer, &c, &r, &e),
                     TS_OK);
    assert_int_equal(r.applicable, 0);
    ts_shape g = {3, 1, 100, TS_LIMITED};
    ts_params p;
    mech_params(&ts_mech_exp3, NULL, 0, &g, &p);
    double lo[2] = {0.2, 0}, hi[2] = {0.3, 0.1}, gg[2];
    long tau;
    assert_int_equal(ts_overtake_exact(&ts_mech_exp3, 3, 100, &p, lo, hi, 2, gg,
                                       &tau, &e), TS_EINVAL);
}

static void test_set_log_weights(void **unused)
{
    (void)unused;
    const ts_mechanism_type *ms[] = {&ts_mech_ours, &ts_mech_hedge, &ts_mech_exp3,
                                     &ts_mech_ours_limited};
    for (size_t k = 0; k < 4; k++) {
        const ts_mechanism_type *mt = ms[k];
        ts_shape g = {4, 2, 400, mt->feedback};
        ts_params p;
        ts_err e = {0};
        mech_params(mt, NULL, 0, &g, &p);
        void *st = malloc(mt->state_size(&g));
        assert_int_equal(mt->init(st, &g, &p, &e), TS_OK);
        double in[4] = {0, -0.385, -1.1, -0.05}, out[4];
        assert_int_equal(mt->set_log_weights(st, in, &e), TS_OK);
        mt->log_weights(st, out);
        for (int i = 0; i < 4; i++)
            CLOSE(out[i], in[i], 1e-14);
        double nan_in[4] = {0, NAN, 0, 0};
        assert_int_equal(mt->set_log_weights(st, nan_in, &e), TS_EINVAL);
        mt->log_weights(st, out);
        CLOSE(out[1], -0.385, 1e-14); /* unchanged */
        if (mt == &ts_mech_ours_limited) {
            double low[4] = {0, -5, 0, 0}; /* e^-5 < beta */
            assert_int_equal(mt->set_log_weights(st, low, &e), TS_EINVAL);
            assert_non_null(strstr(e.msg, "floor beta"));
        }
        free(st);
    }
}

static void test_mc_matches_exact(void **unused)
{
    (void)unused;
    ts_err e = {0};
    ts_params pp;
    newcomer_params(0.2, NULL, &pp);
    ts_overtake_cfg c = {5, 200, 10, 0.2, 300, 200, 7, &pp};
    ts_overtake r;
    assert_int_equal(ts_overtake_run(&ts_mech_ours, &ts_pop_newcomer, &c, &r, &e),
                     TS_OK);
    assert_int_equal(r.applicable, 1);
    assert_int_equal(r.exact, 1);
    assert_true(r.tau_exact <= r.bound);
    assert_true(labs(r.tau_mc - r.tau_exact) <= 5);
    assert_true(r.frac_overtaken == 1.0);
    CLOSE(r.tau_path, (double)r.tau_exact, 5);
    /* a gap the population's bands do not have, and a population without
     * the band hook, are refused */
    c.gap = 0.1;
    assert_int_equal(ts_overtake_run(&ts_mech_ours, &ts_pop_newcomer, &c, &r, &e),
                     TS_EINVAL);
    assert_int_equal(ts_overtake_run(&ts_mech_ours, &ts_pop_signals, &c, &r, &e),
                     TS_EINVAL);
}

static void test_drift_tracks(void **unused)
{
    (void)unused;
    ts_err e = {0};
    static const double sw[2] = {300, 600};
    const ts_population_type *P = &ts_pop_drift;
    ts_params pp;
    ts_params_init(&pp, P->n_params);
    const int k = ts_param_find(P->params, P->n_params, "switch_at");
    pp.vec[k] = sw;
    pp.len[k] = 2;
    pp.set[k] = 1;
    ts_drift_cfg c = {4, 5, 900, &pp, 6, 3};
    ts_drift_out d;
    assert_int_equal(ts_drift_run(&ts_mech_ours, P, &c, &d, &e), TS_OK);
    assert_int_equal(d.n_switch, 2);
    assert_true(d.worst_regret_over_bound <= 1);
    for (int s = 0; s < 2; s++) {
        assert_true(d.tracked[s] == 1.0);
        assert_true(d.delay[s] > 0 && d.delay[s] < 300);
    }
    assert_true(d.seg_regret >= d.regret);
    assert_int_equal(ts_drift_run(&ts_mech_median_limited, P, &c, &d, &e), TS_EINVAL);
    /* bands has no segment hook: refused */
    assert_int_equal(ts_drift_run(&ts_mech_ours, &ts_pop_bands, &c, &d, &e), TS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_ours),
        cmocka_unit_test(test_exact_hedge),
        cmocka_unit_test(test_not_applicable),
        cmocka_unit_test(test_set_log_weights),
        cmocka_unit_test(test_mc_matches_exact),
        cmocka_unit_test(test_drift_tracks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

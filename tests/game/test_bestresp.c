/* test_bestresp.c -- src/game/bestresp*.c (set-up, exact enumeration,
 * Monte Carlo, searches): single-slot best responses against the paper's
 * known answers (SPEC §5).
 *
 * Provenance of every expected value:
 *   - Prop. 1 (App. D): `ours`, E[w'] = w (1/m) sum_j [1 - alpha (r_j -
 *     q_j)^2 - alpha q_j (1 - q_j)], maximised at r = q, every m.
 *   - Prop. 3(a) (App. I): with flip rate epsilon, pv ~ Bernoulli(q_eps),
 *     q_eps = (1 - 2 epsilon) q + epsilon, so r* = q_eps.
 *   - Lemma 2 (App. B): `hedge`, m = 1, fresh state: E[w'] = F(r) =
 *     q e^{-eta (r-1)^2} + (1-q) e^{-eta r^2}; r* is the root of
 *     F'(r) = -2 eta [q (r-1) e^{-eta (r-1)^2} + (1-q) r e^{-eta r^2}],
 *     found here independently by bisection to 1e-14 on a bracket where
 *     F' changes sign.  At eta = 3, q = 1/2, F''(1/2) > 0 (4 eta^2 / 4 -
 *     2 eta = 3 > 0 up to the positive factor), so 1/2 is a minimum and
 *     the two maximisers are x and 1 - x.
 *   - Prop. 4 (App. F): limited `ours` with alpha < theta_i: r* = q.
 *   - Lemma 4 (App. E): `exp3`, m = 1, fresh state: theta_i = 1/N and
 *     E[w'] = theta_i F_c(r) + (1 - theta_i), c = eta / theta_i = eta N, so
 *     r* is the root of F_c' (bisection as above), r* != q.
 *   - share utility, `ours`, N = 2, m = 1, fresh state: shares
 *     w_0'/(w_0' + w_1') with w_k' = 1 - alpha (r_k - p)^2, averaged over p
 *     with weights q, 1 - q: written out below.
 *   - Monte Carlo: for `ours` m = 1 the sample utility 1 - alpha mean_s
 *     (r - pv_s)^2 is maximised at the sample mean of pv, which is within
 *     a few binomial standard deviations of q. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "game/bestresp.h"
#include "games/games.h"

#define MAXN 8
#define MAXM 24

typedef struct fx {
    const ts_mechanism_type *mt;
    ts_shape g;
    ts_params par;
    void *state;
    ts_br_work *w;
    ts_br_options o;
    double q[MAXM], r[MAXN * MAXM], rstar[MAXM];
    ts_br_problem pb;
} fx;

/* A fresh mechanism, worker 0 deviating, others reporting 0.5, 0.4, 0.3,
 * ... on every prompt; key = value sets one parameter (key NULL: none). */
static void fx_init(fx *f, const char *name, ts_feedback fb, int N, int m,
                    const char *key, double value)
{
    ts_err e;
    ts_err_clear(&e);
    memset(f, 0, sizeof *f);
    f->mt = ts_mechanism_find(name, fb, &e);
    assert_non_null(f->mt);
    f->g = (ts_shape){.N = N, .m = m, .T = 500, .feedback = fb};
    ts_params_init(&f->par, f->mt->n_params);
    if (key)
        assert_int_equal(ts_params_set(&f->par, f->mt->params,
                                       f->mt->n_params, key, value, &e),
                         TS_OK);
    f->mt->defaults(&f->g, &f->par);
    f->state = malloc(f->mt->state_size(&f->g));
    assert_non_null(f->state);
    if (f->mt->init(f->state, &f->g, &f->par, &e))
        fail_msg("init: %s", e.msg);
    ts_br_options_default(&f->o);
    if (ts_br_work_alloc(&f->w, f->mt, &f->g, &f->o, &e))
        fail_msg("alloc: %s", e.msg);
    for (int k = 0; k < N; k++)
        for (int j = 0; j < m; j++)
            f->r[k * m + j] = k == 0 ? NAN : 0.6 - 0.1 * k;
    f->pb = (ts_br_problem){.mt = f->mt, .g = f->g, .par = &f->par,
                            .state = f->state, .t = 0, .i = 0, .m = m,
                            .q = f->q, .r_others = f->r, .epsilon = 0.0,
                            .utility = TS_BR_WEIGHT, .exchangeable = 0};
}

static void fx_fini(fx *f)
{
    ts_br_work_free(f->w);
    free(f->state);
}

/* Best response at a common belief q (all prompts); asserts success. */
static void br(fx *f, double q, ts_br_result *res)
{
    ts_err e;
    ts_err_clear(&e);
    for (int j = 0; j < f->pb.m; j++) {
        f->q[j] = q;
        f->rstar[j] = NAN;
    }
    int rc = ts_best_response(&f->pb, &f->o, f->w, f->rstar, res, &e);
    if (rc)
        fail_msg("q = %g: %s", q, e.msg);
    assert_true(res->gain >= 0.0);
}

static void close_to(double x, double want, double tol, const char *what)
{
    if (!(fabs(x - want) <= tol))
        fail_msg("%s: %.17g, want %.17g (tol %g, off by %g)", what, x, want,
                 tol, x - want);
}

/* dF/dr of Lemma 2's F at step c (hedge: c = eta; exp3: c = eta/theta). */
static double dF(double r, double q, double c)
{
    return -2.0 * c *
           (q * (r - 1.0) * exp(-c * (r - 1.0) * (r - 1.0)) +
            (1.0 - q) * r * exp(-c * r * r));
}

/* Root of dF on [a, b] by bisection (dF(a) > 0 > dF(b)). */
static double root_dF(double q, double c, double a, double b)
{
    assert_true(dF(a, q, c) > 0.0 && dF(b, q, c) < 0.0);
    while (b - a > 1e-14) {
        const double mid = 0.5 * (a + b);
        if (dF(mid, q, c) > 0.0)
            a = mid;
        else
            b = mid;
    }
    return 0.5 * (a + b);
}

/* ------------------------------------------------------------------ */

/* Prop. 1: ours, full feedback, r* = q on the grid, m = 1 and 3 (exact,
 * 2^m outcomes) and m = 20 (exact by exchangeable prompts, 21 outcomes). */
static void prop1_ours_full(void **unused)
{
    (void)unused;
    const int ms[] = {1, 3, 20};
    for (int k = 0; k < 3; k++) {
        fx f;
        fx_init(&f, "ours", TS_FULL, 5, ms[k], NULL, 0);
        f.pb.exchangeable = ms[k] == 20;
        double worst = 0.0;
        for (int h = 1; h <= 19; h++) {
            ts_br_result res;
            br(&f, 0.05 * h, &res);
            assert_int_equal(res.exact, 1);
            assert_true(res.gain_ci == 0.0);
            assert_true(res.common);
            assert_true(res.gain < 1e-15);
            for (int j = 0; j < ms[k]; j++)
                worst = fmax(worst, fabs(f.rstar[j] - 0.05 * h));
        }
        if (!(worst <= 1e-6))
            fail_msg("m = %d: max |r* - q| = %g", ms[k], worst);
        fx_fini(&f);
    }
}

/* Prop. 1 with different beliefs per prompt: the Nelder-Mead path. */
static void prop1_ours_distinct_q(void **unused)
{
    (void)unused;
    fx f;
    fx_init(&f, "ours", TS_FULL, 5, 3, NULL, 0);
    const double q[3] = {0.215, 0.55, 0.905};
    memcpy(f.q, q, sizeof q);
    ts_br_result res;
    ts_err e;
    int rc = ts_best_response(&f.pb, &f.o, f.w, f.rstar, &res, &e);
    if (rc)
        fail_msg("%s", e.msg);
    assert_false(res.common);
    assert_true(res.exact);
    for (int j = 0; j < 3; j++)
        close_to(f.rstar[j], q[j], 1e-6, "r*_j");
    fx_fini(&f);
}

/* Prop. 3(a): r* = (1 - 2 eps) q + eps. */
static void prop3a_noisy(void **unused)
{
    (void)unused;
    const double eps[3] = {0.05, 0.1, 0.2};
    fx f;
    fx_init(&f, "ours", TS_FULL, 5, 1, NULL, 0);
    for (int k = 0; k < 3; k++) {
        f.pb.epsilon = eps[k];
        for (int h = 1; h <= 19; h++) {
            ts_br_result res;
            const double q = 0.05 * h;
            br(&f, q, &res);
            close_to(f.rstar[0], (1.0 - 2.0 * eps[k]) * q + eps[k], 1e-6,
                     "Prop. 3(a) r*");
            if (h != 10)
                assert_true(res.gain > 0.0);
        }
    }
    fx_fini(&f);
}

/* Lemma 2: hedge, m = 1, r* = root of F', r* > q for q > 1/2. */
static void lemma2_hedge(void **unused)
{
    (void)unused;
    const double etas[3] = {0.0536, 0.5, 3.0};
    const double qs[4] = {0.615, 0.8, 0.95, 0.3};
    for (int k = 0; k < 3; k++) {
        fx f;
        fx_init(&f, "hedge", TS_FULL, 5, 1, "eta", etas[k]);
        for (int h = 0; h < 4; h++) {
            const double q = qs[h];
            ts_br_result res;
            br(&f, q, &res);
            const double want = q > 0.5 ? root_dF(q, etas[k], q, 1.0)
                                        : root_dF(q, etas[k], 0.0, q);
            close_to(f.rstar[0], want, 1e-9, "Lemma 2 r*");
            if (q > 0.5)
                assert_true(f.rstar[0] > q);
            else
                assert_true(f.rstar[0] < q);
            assert_true(res.gain > 0.0);
            assert_true(res.exact && res.gain_ci == 0.0);
            /* The gain is F(r*) - F(q). */
            const double e = etas[k], r = f.rstar[0];
            const double F_r = q * exp(-e * (r - 1) * (r - 1)) +
                               (1 - q) * exp(-e * r * r);
            const double F_q = q * exp(-e * (q - 1) * (q - 1)) +
                               (1 - q) * exp(-e * q * q);
            close_to(res.gain, F_r - F_q, 1e-14, "Lemma 2 gain");
        }
        fx_fini(&f);
    }
}

/* Lemma 2 at eta = 3, q = 1/2: two maximisers, x and 1 - x. */
static void lemma2_hedge_bimodal(void **unused)
{
    (void)unused;
    fx f;
    fx_init(&f, "hedge", TS_FULL, 5, 1, "eta", 3.0);
    ts_br_result res;
    br(&f, 0.5, &res);
    assert_true(res.n_local >= 2);
    const double x = root_dF(0.5, 3.0, 0.0, 0.499);
    const double lo = fmin(res.local_r[0], res.local_r[1]);
    const double hi = fmax(res.local_r[0], res.local_r[1]);
    close_to(lo, x, 1e-9, "left maximiser");
    close_to(hi, 1.0 - x, 1e-9, "right maximiser");
    close_to(res.local_u[0], res.local_u[1], 1e-14, "equal maxima");
    assert_true(f.rstar[0] == res.local_r[0]);
    assert_true(res.gain > 0.0);
    fx_fini(&f);
}

/* Prop. 4: ours, limited feedback (alpha < theta_i by the defaults). */
static void prop4_ours_limited(void **unused)
{
    (void)unused;
    fx f;
    fx_init(&f, "ours", TS_LIMITED, 5, 1, NULL, 0);
    double worst = 0.0;
    for (int h = 1; h <= 19; h++) {
        ts_br_result res;
        br(&f, 0.05 * h, &res);
        assert_true(res.exact);
        assert_int_equal(res.outcomes, 2 * 5); /* pv x who is heard */
        worst = fmax(worst, fabs(f.rstar[0] - 0.05 * h));
    }
    if (!(worst <= 1e-6))
        fail_msg("max |r* - q| = %g", worst);
    /* Three prompts, exact: 8 x 5 outcomes. */
    fx f3;
    fx_init(&f3, "ours", TS_LIMITED, 5, 3, NULL, 0);
    ts_br_result res;
    br(&f3, 0.385, &res);
    for (int j = 0; j < 3; j++)
        close_to(f3.rstar[j], 0.385, 1e-6, "Prop. 4, m = 3");
    fx_fini(&f3);
    fx_fini(&f);
}

/* Lemma 4: exp3, r* != q with a gain; r* = root of F_c', c = eta N. */
static void lemma4_exp3(void **unused)
{
    (void)unused;
    fx f;
    fx_init(&f, "exp3", TS_LIMITED, 5, 1, NULL, 0);
    const double eta = f.par.v[0];
    ts_br_result res;
    br(&f, 0.8, &res);
    assert_true(fabs(f.rstar[0] - 0.8) > 1e-4);
    assert_true(res.gain > 0.0);
    close_to(f.rstar[0], root_dF(0.8, eta * 5, 0.8, 1.0), 1e-9,
             "Lemma 4 r*");
    fx_fini(&f);
}

/* Monte Carlo (budget 0) against exact, hedge eta = 3, q = 0.8. */
static void mc_vs_exact(void **unused)
{
    (void)unused;
    fx f;
    fx_init(&f, "hedge", TS_FULL, 5, 1, "eta", 3.0);
    ts_br_result ex, mc;
    br(&f, 0.8, &ex);
    const double r_exact = f.rstar[0];
    assert_true(ex.exact && ex.gain_ci == 0.0);
    f.o.exact_budget = 0;
    br(&f, 0.8, &mc);
    const double r_mc = f.rstar[0];
    assert_false(mc.exact);
    assert_int_equal(mc.outcomes, f.o.samples);
    assert_true(mc.gain_ci > 0.0);
    if (!(fabs(mc.gain - ex.gain) <= mc.gain_ci))
        fail_msg("MC gain %g +- %g, exact %g", mc.gain, mc.gain_ci, ex.gain);
    /* The MC maximiser is near-optimal for the exact U, within the CI. */
    f.o.exact_budget = 16384;
    double u_mc;
    int exact;
    ts_err e;
    assert_int_equal(ts_br_expected_utility(&f.pb, &f.o, f.w, &r_mc, &u_mc,
                                            &exact, &e), TS_OK);
    assert_true(exact);
    assert_true(ex.u_star - u_mc <= mc.gain_ci);
    assert_true(fabs(r_mc - r_exact) < 0.05);
    fx_fini(&f);

    /* ours: the MC maximiser is the sample mean of pv, near q. */
    fx g;
    fx_init(&g, "ours", TS_FULL, 5, 1, NULL, 0);
    g.o.exact_budget = 0;
    br(&g, 0.3, &mc);
    assert_false(mc.exact);
    assert_true(fabs(g.rstar[0] - 0.3) <= 4.0 * sqrt(0.21 / 4096));
    assert_true(mc.gain_ci > 0.0);
    fx_fini(&g);
}

/* Exact vs Monte Carlo for U itself, with subsets heard (em, k = 3 of 5:
 * C(5,3) = 10 heard sets) and with theta draws (exp3). */
static void mc_utility_paths(void **unused)
{
    (void)unused;
    const char *names[2] = {"em", "exp3"};
    for (int k = 0; k < 2; k++) {
        fx f;
        fx_init(&f, names[k], TS_LIMITED, 5, 2, k == 0 ? "k" : NULL, 3);
        f.q[0] = 0.385;
        f.q[1] = 0.82;
        const double r[2] = {0.2, 0.9};
        double ue, um;
        int exact;
        ts_err e;
        assert_int_equal(ts_br_expected_utility(&f.pb, &f.o, f.w, r, &ue,
                                                &exact, &e), TS_OK);
        assert_true(exact);
        f.o.exact_budget = 0;
        f.o.samples = 20000;
        ts_br_work_free(f.w);
        assert_int_equal(ts_br_work_alloc(&f.w, f.mt, &f.g, &f.o, &e),
                         TS_OK);
        assert_int_equal(ts_br_expected_utility(&f.pb, &f.o, f.w, r, &um,
                                                &exact, &e), TS_OK);
        assert_false(exact);
        if (!(fabs(ue - um) <= 0.01 * fabs(ue)))
            fail_msg("%s: exact %g, MC %g", names[k], ue, um);
        fx_fini(&f);
    }
}

/* share utility, ours, N = 2, m = 1, by hand. */
static void share_known(void **unused)
{
    (void)unused;
    fx f;
    fx_init(&f, "ours", TS_FULL, 2, 1, "alpha", 0.3);
    f.pb.utility = TS_BR_SHARE;
    f.q[0] = 0.615;
    const double r0 = 0.7, r1 = f.r[1]; /* 0.5 */
    double want = 0.0;
    for (int p = 0; p <= 1; p++) {
        const double w0 = 1 - 0.3 * (r0 - p) * (r0 - p);
        const double w1 = 1 - 0.3 * (r1 - p) * (r1 - p);
        want += (p ? 0.615 : 0.385) * w0 / (w0 + w1);
    }
    double u;
    int exact;
    ts_err e;
    assert_int_equal(ts_br_expected_utility(&f.pb, &f.o, f.w, &r0, &u,
                                            &exact, &e), TS_OK);
    close_to(u, want, 1e-15, "share utility");
    /* average: weights never move, the share is 1/2 whatever r: r* = q. */
    fx a;
    fx_init(&a, "average", TS_FULL, 2, 1, NULL, 0);
    a.pb.utility = TS_BR_SHARE;
    ts_br_result res;
    br(&a, 0.615, &res);
    assert_true(a.rstar[0] == 0.615 && res.gain == 0.0);
    close_to(res.u_star, 0.5, 1e-16, "average share");
    fx_fini(&a);
    fx_fini(&f);
}

static void errors(void **unused)
{
    (void)unused;
    fx f;
    fx_init(&f, "ours", TS_FULL, 5, 2, NULL, 0);
    ts_br_result res;
    ts_err e;
    f.q[0] = 0.4;
    f.q[1] = 1.2;
    assert_int_equal(ts_best_response(&f.pb, &f.o, f.w, f.rstar, &res, &e),
                     TS_EINPUT);
    assert_non_null(strstr(e.msg, "outside [0,1]"));
    f.q[1] = NAN;
    assert_int_equal(ts_best_response(&f.pb, &f.o, f.w, f.rstar, &res, &e),
                     TS_EINPUT);
    f.q[1] = 0.6;
    f.pb.epsilon = 0.7;
    assert_int_equal(ts_best_response(&f.pb, &f.o, f.w, f.rstar, &res, &e),
                     TS_EINPUT);
    f.pb.epsilon = 0.0;
    f.pb.exchangeable = 1; /* q differs across prompts */
    assert_int_equal(ts_best_response(&f.pb, &f.o, f.w, f.rstar, &res, &e),
                     TS_EINVAL);
    f.pb.exchangeable = 0;
    f.r[1 * 2 + 1] = -0.1;
    assert_int_equal(ts_best_response(&f.pb, &f.o, f.w, f.rstar, &res, &e),
                     TS_EINPUT);
    f.r[1 * 2 + 1] = 0.5;
    f.pb.i = 5;
    assert_int_equal(ts_best_response(&f.pb, &f.o, f.w, f.rstar, &res, &e),
                     TS_EINVAL);
    f.pb.i = 0;
    ts_br_utility u;
    assert_int_equal(ts_br_parse_utility("wealth", &u, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "weight, share"));
    assert_int_equal(ts_br_parse_utility("share", &u, &e), TS_OK);
    assert_int_equal(u, TS_BR_SHARE);
    assert_null(ts_mechanism_find("no-such", TS_FULL, &e));
    assert_int_equal(e.code, TS_EINPUT);
    ts_br_options bad = f.o;
    bad.grid = 2;
    ts_br_work *w2 = NULL;
    assert_int_equal(ts_br_work_alloc(&w2, f.mt, &f.g, &bad, &e), TS_EINPUT);
    assert_null(w2);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prop1_ours_full),
        cmocka_unit_test(prop1_ours_distinct_q),
        cmocka_unit_test(prop3a_noisy),
        cmocka_unit_test(lemma2_hedge),
        cmocka_unit_test(lemma2_hedge_bimodal),
        cmocka_unit_test(prop4_ours_limited),
        cmocka_unit_test(lemma4_exp3),
        cmocka_unit_test(mc_vs_exact),
        cmocka_unit_test(mc_utility_paths),
        cmocka_unit_test(share_known),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

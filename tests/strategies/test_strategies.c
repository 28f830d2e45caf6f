/* test_strategies.c -- strategies/ (SPEC §4): exaggerate, extreme,
 * constant, flip, herd, and the contract every registered strategy keeps.
 *
 * Known answers are worked by hand on the non-round beliefs 0.385, 0.5,
 * 0.9, 0.05 (the arithmetic is written beside each), compared within 1e-15
 * where floating point rounds and exactly where the strategy returns a
 * constant.
 *
 * The contract (a loop over ts_strategy_types[], STYLE §6): defaults make
 * every parameter pass ts_params_check; reports on a grid of beliefs
 * (0, -0.0, 1 and non-round values) are in [0,1], never NaN and never
 * -0.0 (mechanisms test the sign bit); report() writes r[0..m-1] and
 * nothing past it (pre-filled NaN, a sentinel after); identity strategies
 * return r = q; lookup by name finds each and an unknown name lists them
 * all.  Bad parameters are refused by ts_params_check with a message
 * naming the parameter and its range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "games/games.h"
#include "strategies/strategies.h"

#define CLOSE(x, y, tol)                                                      \
    do {                                                                      \
        double x_ = (x), y_ = (y);                                            \
        if (!(fabs(x_ - y_) <= (tol)))                                        \
            fail_msg("%s = %.17g, expected %.17g", #x, x_, y_);              \
    } while (0)

static const double Q4[4] = {0.385, 0.5, 0.9, 0.05};

/* Parameters for strategy S: defaults, after setting name = v if name is
 * not NULL; must pass the range check. */
static ts_params params_for(const ts_strategy_type *S, const char *name,
                            double v)
{
    const ts_shape g = {.N = 3, .m = 4, .T = 10, .feedback = TS_FULL};
    ts_params p;
    ts_err e;
    ts_err_clear(&e);
    ts_params_init(&p, S->n_params);
    if (name)
        assert_int_equal(ts_params_set(&p, S->params, S->n_params, name, v, &e),
                         TS_OK);
    if (S->defaults)
        S->defaults(&g, &p);
    if (ts_params_check(&p, S->params, S->n_params, S->name, &e))
        fail_msg("%s: %s", S->name, e.msg);
    return p;
}

/* Reports of S (parameters p) on q[m] into r[m]; r pre-filled with NaN.
 * The context carries a mechanism as the engine's does: `ours` (Def. 4)
 * at N = 3 in its initial state, its per-thread work if S has one. */
static void run(const ts_strategy_type *S, const ts_params *p, int m,
                const double *q, double *r)
{
    ts_shape g = {.N = 3, .m = m, .T = 10, .feedback = TS_FULL};
    ts_err e;
    ts_err_clear(&e);
    const ts_mechanism_type *mt = &ts_mech_ours;
    ts_params mp;
    ts_params_init(&mp, mt->n_params);
    mt->defaults(&g, &mp);
    void *mst = calloc(1, mt->state_size(&g));
    assert_non_null(mst);
    assert_int_equal(mt->init(mst, &g, &mp, &e), TS_OK);
    void *work = NULL;
    if (S->work_alloc)
        assert_int_equal(S->work_alloc(&work, mt, &g, p, &e), TS_OK);
    ts_strategy_ctx c = {.mech = mt, .mech_state = mst, .mech_params = &mp,
                         .shape = &g, .t = 0, .i = 1, .share = 1.0 / 3,
                         .theta = 1.0, .epsilon = 0.0, .work = work};
    ts_rng rng;
    ts_rng_init(&rng, 7, 0, 0, TS_STREAM_STRATEGY);
    for (int j = 0; j < m; j++)
        r[j] = NAN;
    /* A strategy with state gets it set up as the engine does. */
    void *st = NULL;
    if (S->state_size) {
        st = calloc(1, S->state_size(&g));
        assert_non_null(st);
    }
    if (S->init)
        assert_int_equal(S->init(st, &g, p, c.i, &e), TS_OK);
    if (S->report(st, p, &c, m, q, r, &rng, &e))
        fail_msg("%s: %s", S->name, e.msg);
    free(st);
    if (S->work_free)
        S->work_free(work);
    free(mst);
}

/* x is +0.0 exactly (not -0.0). */
static void assert_pos_zero(double x, const char *what)
{
    if (!(x == 0.0 && !signbit(x)))
        fail_msg("%s = %g (signbit %d), expected +0.0", what, x,
                 signbit(x) != 0);
}

static void exaggerate_known(void **unused)
{
    (void)unused;
    double r[4];
    /* default kappa = 0.5: r = q + 0.5 (q - 1/2)
     *   0.385 -> 0.385 - 0.0575 = 0.3275;  0.5 -> 0.5;
     *   0.9   -> 0.9 + 0.2 = 1.1, clipped to 1;
     *   0.05  -> 0.05 - 0.225 = -0.175, clipped to +0. */
    ts_params p = params_for(&ts_strat_exaggerate, NULL, 0);
    assert_true(p.v[0] == 0.5);
    run(&ts_strat_exaggerate, &p, 4, Q4, r);
    CLOSE(r[0], 0.3275, 1e-15);
    assert_true(r[1] == 0.5);
    assert_true(r[2] == 1.0);
    assert_pos_zero(r[3], "exaggerate(0.5)(0.05)");

    /* kappa = -0.4 shrinks toward 1/2: r = 0.6 q + 0.2
     *   0.385 -> 0.431;  0.5 -> 0.5;  0.9 -> 0.74;  0.05 -> 0.23. */
    p = params_for(&ts_strat_exaggerate, "kappa", -0.4);
    assert_true(p.v[0] == -0.4); /* defaults left the set value alone */
    run(&ts_strat_exaggerate, &p, 4, Q4, r);
    CLOSE(r[0], 0.431, 1e-15);
    assert_true(r[1] == 0.5);
    CLOSE(r[2], 0.74, 1e-15);
    CLOSE(r[3], 0.23, 1e-15);

    /* kappa = 0.3: 0.385 -> 0.3505; 0.9 -> 1.02 -> 1; 0.05 -> -0.085 -> 0 */
    p = params_for(&ts_strat_exaggerate, "kappa", 0.3);
    run(&ts_strat_exaggerate, &p, 4, Q4, r);
    CLOSE(r[0], 0.3505, 1e-15);
    assert_true(r[1] == 0.5);
    assert_true(r[2] == 1.0);
    assert_pos_zero(r[3], "exaggerate(0.3)(0.05)");

    /* kappa = 0 is truthful, bit for bit on these beliefs. */
    p = params_for(&ts_strat_exaggerate, "kappa", 0.0);
    run(&ts_strat_exaggerate, &p, 4, Q4, r);
    for (int j = 0; j < 4; j++)
        assert_true(r[j] == Q4[j]);
}

/* The clip's edges: exactly 0 and 1 reached without clipping, the ends
 * q = 0, 1 and -0.0, and a huge kappa. */
static void exaggerate_clip_edges(void **unused)
{
    (void)unused;
    double r[5];
    /* kappa = 1: r = 2q - 1/2, so 0.25 -> 0 and 0.75 -> 1 exactly (both
     * products exact in binary); 0 -> -1/2 -> 0; 1 -> 3/2 -> 1. */
    const double q[5] = {0.25, 0.75, 0.0, 1.0, 0.625};
    ts_params p = params_for(&ts_strat_exaggerate, "kappa", 1.0);
    run(&ts_strat_exaggerate, &p, 5, q, r);
    assert_pos_zero(r[0], "exaggerate(1)(0.25)");
    assert_true(r[1] == 1.0);
    assert_pos_zero(r[2], "exaggerate(1)(0)");
    assert_true(r[3] == 1.0);
    assert_true(r[4] == 0.75);

    /* kappa = 0 on q = -0.0: -0 + 0 (-1/2) = -0 + -0 = -0 before the clip;
     * the report must still be +0.  Same for q = +0. */
    const double z[2] = {-0.0, 0.0};
    p = params_for(&ts_strat_exaggerate, "kappa", 0.0);
    run(&ts_strat_exaggerate, &p, 2, z, r);
    assert_pos_zero(r[0], "exaggerate(0)(-0.0)");
    assert_pos_zero(r[1], "exaggerate(0)(+0.0)");

    /* kappa just above -1 maps everything near 1/2 and keeps the order. */
    p = params_for(&ts_strat_exaggerate, "kappa", -0.999);
    run(&ts_strat_exaggerate, &p, 4, Q4, r);
    CLOSE(r[0], 0.5 - 0.001 * 0.115, 1e-15);
    CLOSE(r[2], 0.5 + 0.001 * 0.4, 1e-15);
    assert_true(r[0] < r[1] && r[1] < r[2] && r[3] < r[0]);

    /* a huge kappa is `extreme` except at q = 1/2 */
    p = params_for(&ts_strat_exaggerate, "kappa", 1e300);
    run(&ts_strat_exaggerate, &p, 4, Q4, r);
    assert_pos_zero(r[0], "exaggerate(1e300)(0.385)");
    assert_true(r[1] == 0.5 && r[2] == 1.0);
    assert_pos_zero(r[3], "exaggerate(1e300)(0.05)");
}

static void extreme_known(void **unused)
{
    (void)unused;
    double r[4];
    ts_params p = params_for(&ts_strat_extreme, NULL, 0);
    run(&ts_strat_extreme, &p, 4, Q4, r);
    assert_pos_zero(r[0], "extreme(0.385)");
    assert_true(r[1] == 0.5); /* no lean, no side */
    assert_true(r[2] == 1.0);
    assert_pos_zero(r[3], "extreme(0.05)");
    /* just either side of 1/2, and -0.0 */
    const double q[3] = {nextafter(0.5, 0.0), nextafter(0.5, 1.0), -0.0};
    run(&ts_strat_extreme, &p, 3, q, r);
    assert_pos_zero(r[0], "extreme(0.5-)");
    assert_true(r[1] == 1.0);
    assert_pos_zero(r[2], "extreme(-0.0)");
}

static void constant_known(void **unused)
{
    (void)unused;
    double r[4];
    ts_params p = params_for(&ts_strat_constant, NULL, 0);
    assert_true(p.v[0] == 1.0); /* default c = 1 */
    run(&ts_strat_constant, &p, 4, Q4, r);
    for (int j = 0; j < 4; j++)
        assert_true(r[j] == 1.0);
    p = params_for(&ts_strat_constant, "c", 0.385);
    run(&ts_strat_constant, &p, 4, Q4, r);
    for (int j = 0; j < 4; j++)
        assert_true(r[j] == 0.385);
    /* c = -0.0 passes [0, 1]; the report is +0.0 */
    p = params_for(&ts_strat_constant, "c", -0.0);
    run(&ts_strat_constant, &p, 4, Q4, r);
    for (int j = 0; j < 4; j++)
        assert_pos_zero(r[j], "constant(-0.0)");
}

static void flip_known(void **unused)
{
    (void)unused;
    double r[4];
    ts_params p = params_for(&ts_strat_flip, NULL, 0);
    /* 1 - 0.385 = 0.615, 0.5, 0.1, 0.95 (within rounding of 1 - q) */
    run(&ts_strat_flip, &p, 4, Q4, r);
    CLOSE(r[0], 0.615, 1e-15);
    assert_true(r[1] == 0.5);
    CLOSE(r[2], 0.1, 1e-15);
    CLOSE(r[3], 0.95, 1e-15);
    const double q[2] = {1.0, -0.0};
    run(&ts_strat_flip, &p, 2, q, r);
    assert_pos_zero(r[0], "flip(1)");
    assert_true(r[1] == 1.0);
}

static void herd_known(void **unused)
{
    (void)unused;
    double r[4];
    ts_params p = params_for(&ts_strat_herd, NULL, 0);
    assert_true(p.v[0] == 1.0); /* App. A: "always high" */
    run(&ts_strat_herd, &p, 4, Q4, r);
    for (int j = 0; j < 4; j++)
        assert_true(r[j] == 1.0);
    p = params_for(&ts_strat_herd, "side", 0.0);
    run(&ts_strat_herd, &p, 4, Q4, r);
    for (int j = 0; j < 4; j++)
        assert_pos_zero(r[j], "herd(side 0)");
    p = params_for(&ts_strat_herd, "side", -0.0);
    run(&ts_strat_herd, &p, 4, Q4, r);
    for (int j = 0; j < 4; j++)
        assert_pos_zero(r[j], "herd(side -0.0)");
}

/* Expect S to refuse name = v, with a message naming the parameter and
 * the range (or integrality) it breaks. */
static void expect_refused(const ts_strategy_type *S, const char *name,
                           double v, const char *range)
{
    const ts_shape g = {.N = 3, .m = 4, .T = 10, .feedback = TS_FULL};
    ts_params p;
    ts_err e;
    ts_err_clear(&e);
    ts_params_init(&p, S->n_params);
    assert_int_equal(ts_params_set(&p, S->params, S->n_params, name, v, &e),
                     TS_OK);
    if (S->defaults)
        S->defaults(&g, &p);
    int rc = ts_params_check(&p, S->params, S->n_params, S->name, &e);
    if (rc == TS_OK)
        fail_msg("%s accepted %s = %g", S->name, name, v);
    assert_int_equal(rc, TS_EINPUT);
    if (!strstr(e.msg, S->name) || !strstr(e.msg, name) ||
        !strstr(e.msg, range))
        fail_msg("%s: refusing %s = %g, the message '%s' should name %s, %s "
                 "and %s", S->name, name, v, e.msg, S->name, name, range);
}

static void bad_parameters_refused(void **unused)
{
    (void)unused;
    expect_refused(&ts_strat_exaggerate, "kappa", -1.0, "(-1, inf)");
    expect_refused(&ts_strat_exaggerate, "kappa", -1.5, "(-1, inf)");
    expect_refused(&ts_strat_exaggerate, "kappa", INFINITY, "(-1, inf)");
    expect_refused(&ts_strat_exaggerate, "kappa", NAN, "(-1, inf)");
    expect_refused(&ts_strat_constant, "c", -0.01, "[0, 1]");
    expect_refused(&ts_strat_constant, "c", 1.01, "[0, 1]");
    expect_refused(&ts_strat_constant, "c", NAN, "[0, 1]");
    expect_refused(&ts_strat_herd, "side", 0.5, "not an integer");
    expect_refused(&ts_strat_herd, "side", 2.0, "[0, 1]");
    expect_refused(&ts_strat_herd, "side", -1.0, "[0, 1]");
    /* a name not in the spec */
    ts_params p;
    ts_err e;
    ts_err_clear(&e);
    ts_params_init(&p, ts_strat_flip.n_params);
    assert_int_equal(ts_params_set(&p, ts_strat_flip.params,
                                   ts_strat_flip.n_params, "kappa", 1.0, &e),
                     TS_EINPUT);
    assert_non_null(strstr(e.msg, "kappa"));
}

/* Every registered strategy, on a grid of beliefs. */
static void registry_contract(void **unused)
{
    (void)unused;
    enum { M = 12 };
    const double q[M] = {0.0, -0.0, 1.0, 0.5, 0.385, 0.9, 0.05, 0.615,
                         1e-300, 1.0 - 1e-16, 0.25, 0.75};
    double r[M + 1];
    int count = 0;
    char names[512] = "";
    for (int k = 0; ts_strategy_types[k]; k++, count++) {
        const ts_strategy_type *S = ts_strategy_types[k];
        assert_non_null(S->name);
        assert_non_null(S->report);
        assert_true(S->n_params >= 0 && S->n_params <= TS_MAX_PARAMS);
        assert_true(S->n_params == 0 || S->params != NULL);
        /* identity is r = q; of the ones here only truthful has it */
        assert_int_equal(S->identity, strcmp(S->name, "truthful") == 0);
        ts_err e;
        ts_err_clear(&e);
        assert_ptr_equal(ts_strategy_find(S->name, &e), S);
        strcat(names, S->name);
        strcat(names, " ");

        ts_params p = params_for(S, NULL, 0);
        r[M] = 12345.0; /* sentinel: nothing is written past m */
        run(S, &p, M, q, r);
        assert_true(r[M] == 12345.0);
        for (int j = 0; j < M; j++) {
            if (!(r[j] >= 0.0 && r[j] <= 1.0))
                fail_msg("%s: report %g on belief %g", S->name, r[j], q[j]);
            if (r[j] == 0.0 && signbit(r[j]) && strcmp(S->name, "truthful"))
                fail_msg("%s: report -0.0 on belief %g", S->name, q[j]);
            if (S->identity && memcmp(&r[j], &q[j], sizeof r[j]))
                fail_msg("%s: identity but r %g != q %g", S->name, r[j],
                         q[j]);
        }
    }
    assert_true(count >= 6);
    ts_err e;
    ts_err_clear(&e);
    assert_null(ts_strategy_find("no-such-strategy", &e));
    assert_int_equal(e.code, TS_EINPUT);
    for (int k = 0; ts_strategy_types[k]; k++)
        if (!strstr(e.msg, ts_strategy_types[k]->name))
            fail_msg("'%s' does not list %s", e.msg,
                     ts_strategy_types[k]->name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exaggerate_known),
        cmocka_unit_test(exaggerate_clip_edges),
        cmocka_unit_test(extreme_known),
        cmocka_unit_test(constant_known),
        cmocka_unit_test(flip_known),
        cmocka_unit_test(herd_known),
        cmocka_unit_test(bad_parameters_refused),
        cmocka_unit_test(registry_contract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

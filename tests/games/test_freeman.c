/* test_freeman.c -- games/freeman.c, population `freeman` (Freeman et al.,
 * ICML 2020, Sec. 6).
 *
 * Exact checks: the population must take p_j from the `state` stream
 * (p_j = 1 exactly when its j-th uniform is below the slot's rate) and q
 * from the `belief` stream, row-major, mapped affinely onto the worker's
 * group range; the test redraws the same uniforms from fresh streams at
 * the same position (ts_rng_u01 one at a time, the population's vectorised
 * fill must equal them) and rebuilds p and q independently.  Group bounds
 * floor(N/3), floor(2N/3) by hand: N = 50 -> 16, 33 (16, 17, 17 workers),
 * N = 4 -> 1, 2, N = 5 -> 1, 3, N = 2 -> 0, 1, N = 1 -> 0, 0.
 * Statistical checks (N = 3, m = 1, 20000 slots): the rate of p = 1 before
 * and after the switch (0.4, 0.6, within 4 standard deviations, 0.02) and
 * each group's range and mean. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "games/games.h"

#define CLOSE(x, y, tol)                                                      \
    do {                                                                      \
        double x_ = (x), y_ = (y);                                            \
        if (!(fabs(x_ - y_) <= (tol)))                                        \
            fail_msg("%s = %.17g, expected %.17g (line %d)", #x, x_, y_,     \
                     __LINE__);                                               \
    } while (0)

static const ts_population_type *const P = &ts_pop_freeman;

/* Set up as the engine does (defaults, range check, check, init); names
 * and values of up to two parameters to set first. */
static int open_pop(const ts_shape *g, ts_params *p, void **st,
                    const char *k1, double v1, const char *k2, double v2,
                    ts_err *e)
{
    ts_params_init(p, P->n_params);
    int rc = TS_OK;
    if (k1)
        rc = ts_params_set(p, P->params, P->n_params, k1, v1, e);
    if (!rc && k2)
        rc = ts_params_set(p, P->params, P->n_params, k2, v2, e);
    if (rc)
        return rc;
    P->defaults(g, p);
    rc = ts_params_check(p, P->params, P->n_params, P->name, e);
    if (!rc)
        rc = P->check(g, p, e);
    if (rc)
        return rc;
    *st = malloc(P->state_size(g));
    assert_non_null(*st);
    return P->init(*st, g, p, e);
}

/* Slot t of replica 7, point 3, seed 11. */
static void draw_slot(void *st, long t, int m, double *p, double *q)
{
    ts_rng rs, rb;
    ts_rng_init(&rs, 11, 3, 7, TS_STREAM_STATE);
    ts_rng_init(&rb, 11, 3, 7, TS_STREAM_BELIEF);
    ts_rng_seek(&rs, (uint64_t)t);
    ts_rng_seek(&rb, (uint64_t)t);
    assert_int_equal(P->draw(st, t, m, &rs, &rb, p, q), TS_OK);
}

static void defaults(void **unused)
{
    (void)unused;
    static const long Ts[2] = {2500, 101};
    for (int k = 0; k < 2; k++) {
        ts_shape g = {50, 1, Ts[k], TS_FULL};
        ts_params p;
        ts_params_init(&p, P->n_params);
        P->defaults(&g, &p);
        CLOSE(p.v[ts_param_find(P->params, P->n_params, "rate_before")], 0.4,
              0);
        CLOSE(p.v[ts_param_find(P->params, P->n_params, "rate_after")], 0.6,
              0);
        CLOSE(p.v[ts_param_find(P->params, P->n_params, "switch_slot")],
              (double)(Ts[k] / 2), 0);
    }
}

/* Every p and q rebuilt from the streams' uniforms, for several N (the
 * group bounds) and slots on both sides of the switch (T = 10: slot 5). */
static void exact_from_streams(void **unused)
{
    (void)unused;
    static const struct {
        int N, b1, b2;
    } c[] = {{50, 16, 33}, {3, 1, 2}, {4, 1, 2}, {5, 1, 3}, {2, 0, 1},
             {1, 0, 0}};
    static const double lo[3] = {0.0, 0.3, 0.0}, hi[3] = {0.7, 1.0, 1.0};
    enum { M = 3 };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        const int N = c[k].N;
        ts_shape g = {N, M, 10, TS_FULL};
        ts_params par;
        ts_err e;
        void *st = NULL;
        assert_int_equal(open_pop(&g, &par, &st, NULL, 0, NULL, 0, &e), TS_OK);
        double p[M], *q = malloc((size_t)N * M * sizeof *q);
        assert_non_null(q);
        static const long slots[3] = {0, 4, 5};
        for (int s = 0; s < 3; s++) {
            const long t = slots[s];
            draw_slot(st, t, M, p, q);
            ts_rng rs, rb;
            ts_rng_init(&rs, 11, 3, 7, TS_STREAM_STATE);
            ts_rng_init(&rb, 11, 3, 7, TS_STREAM_BELIEF);
            ts_rng_seek(&rs, (uint64_t)t);
            ts_rng_seek(&rb, (uint64_t)t);
            const double rate = t < 5 ? 0.4 : 0.6;
            for (int j = 0; j < M; j++)
                assert_true(p[j] == (ts_rng_u01(&rs) < rate ? 1.0 : 0.0));
            for (int i = 0; i < N; i++) {
                const int grp = i < c[k].b1 ? 0 : i < c[k].b2 ? 1 : 2;
                for (int j = 0; j < M; j++) {
                    const double want =
                        lo[grp] + (hi[grp] - lo[grp]) * ts_rng_u01(&rb);
                    if (q[i * M + j] != want)
                        fail_msg("N=%d t=%ld worker %d prompt %d: q = %.17g, "
                                 "group %d gives %.17g", N, t, i, j,
                                 q[i * M + j], grp, want);
                }
            }
        }
        free(q);
        free(st);
    }
}

/* N = 3, m = 1, T = 20000: the rate of p = 1 on each side of the switch,
 * each worker's range and mean (0.35, 0.65, 0.5; standard deviation of a
 * mean of 20000 uniforms on a width-0.7 range: 0.0014, so 0.01 is ~7 sd). */
static void statistics(void **unused)
{
    (void)unused;
    const long T = 20000;
    ts_shape g = {3, 1, T, TS_FULL};
    ts_params par;
    ts_err e;
    void *st = NULL;
    assert_int_equal(open_pop(&g, &par, &st, NULL, 0, NULL, 0, &e), TS_OK);
    double ones[2] = {0, 0}, sum[3] = {0, 0, 0}, mn[3], mx[3];
    for (int i = 0; i < 3; i++) {
        mn[i] = INFINITY;
        mx[i] = -INFINITY;
    }
    for (long t = 0; t < T; t++) {
        double p, q[3];
        draw_slot(st, t, 1, &p, q);
        ones[t >= T / 2] += p;
        for (int i = 0; i < 3; i++) {
            sum[i] += q[i];
            mn[i] = fmin(mn[i], q[i]);
            mx[i] = fmax(mx[i], q[i]);
        }
    }
    CLOSE(ones[0] / (T / 2), 0.4, 0.02);
    CLOSE(ones[1] / (T / 2), 0.6, 0.02);
    static const double lo[3] = {0.0, 0.3, 0.0}, hi[3] = {0.7, 1.0, 1.0};
    for (int i = 0; i < 3; i++) {
        assert_true(mn[i] > lo[i] && mx[i] < hi[i]);
        CLOSE(mn[i], lo[i], 1e-3);
        CLOSE(mx[i], hi[i], 1e-3);
        CLOSE(sum[i] / T, (lo[i] + hi[i]) / 2, 0.01);
    }
    free(st);
}

/* Parameters set explicitly: rate_before = 1 makes every state before the
 * switch 1, switch_slot = 0 applies rate_after from the start. */
static void parameters(void **unused)
{
    (void)unused;
    ts_shape g = {3, 4, 100, TS_FULL};
    ts_params par;
    ts_err e;
    void *st = NULL;
    double p[4], q[12];
    assert_int_equal(open_pop(&g, &par, &st, "rate_before", 1.0,
                              "switch_slot", 30, &e), TS_OK);
    for (long t = 0; t < 30; t++) {
        draw_slot(st, t, 4, p, q);
        for (int j = 0; j < 4; j++)
            assert_true(p[j] == 1.0);
    }
    free(st);
    assert_int_equal(open_pop(&g, &par, &st, "rate_after", 0.0,
                              "switch_slot", 0, &e), TS_OK);
    for (long t = 0; t < 30; t++) {
        draw_slot(st, t, 4, p, q);
        for (int j = 0; j < 4; j++)
            assert_true(p[j] == 0.0);
    }
    free(st);
}

static void refusals(void **unused)
{
    (void)unused;
    ts_shape g = {3, 1, 100, TS_FULL};
    ts_params par;
    ts_err e;
    void *st = NULL;
    static const struct {
        const char *name;
        double v;
    } bad[] = {{"rate_before", -0.1}, {"rate_before", NAN},
               {"rate_after", 1.5},   {"switch_slot", -1},
               {"switch_slot", 2.5}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int rc = open_pop(&g, &par, &st, bad[k].name, bad[k].v, NULL, 0, &e);
        assert_int_equal(rc, TS_EINPUT);
        if (!strstr(e.msg, bad[k].name))
            fail_msg("%s = %g: message '%s'", bad[k].name, bad[k].v, e.msg);
    }
    ts_shape g0 = {0, 1, 100, TS_FULL};
    ts_params_init(&par, P->n_params);
    P->defaults(&g0, &par);
    assert_int_equal(P->check(&g0, &par, &e), TS_EINPUT);
    ts_err_clear(&e);
    assert_ptr_equal(ts_population_find("freeman", &e), P);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(exact_from_streams),
        cmocka_unit_test(statistics),
        cmocka_unit_test(parameters),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

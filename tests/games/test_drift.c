/* test_drift.c -- games/drift.c, population `drift`.
 *
 * Known answers: with degenerate bands (lo = hi: 0.05, 0.3, 0.5, 0.7 for
 * N = 4, best first) every belief is exactly p + (1 - 2p) u with u the
 * worker's band, so |q - p| shows which band a worker holds.  Mode 0 with
 * switch_at [3, 6]: slots 0-2 worker i holds band i, slots 3-5 band
 * (i - 1) mod 4, slots 6.. band (i - 2) mod 4 (so worker 1, then worker 2,
 * is best).  Mode 1 with period 8: at t = 2 (a quarter turn) it equals
 * mode 0's segment 1; at t = 1 worker 0's u is halfway between bands 0 and
 * 3: (0.05 + 0.7)/2 = 0.375.  The band and segment hooks (for the
 * analyses) say the same as the draws.  Refusals: decreasing or fractional switch
 * slots, wrong-length bands. */
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

static const ts_population_type *P = &ts_pop_drift;
static const double bands[8] = {0.05, 0.05, 0.3, 0.3, 0.5, 0.5, 0.7, 0.7};
static const double u_of[4] = {0.05, 0.3, 0.5, 0.7};

static int open_pop(ts_shape *g, ts_params *p, void **st, const double *sw,
                    int nsw, double mode, double period, ts_err *e)
{
    ts_params_init(p, P->n_params);
    int kb = ts_param_find(P->params, P->n_params, "bands");
    p->vec[kb] = bands;
    p->len[kb] = 8; /* N = 5 below: the wrong length, refused */
    p->set[kb] = 1;
    if (sw) {
        int k = ts_param_find(P->params, P->n_params, "switch_at");
        p->vec[k] = sw;
        p->len[k] = nsw;
        p->set[k] = 1;
    }
    ts_params_set(p, P->params, P->n_params, "mode", mode, e);
    if (period > 0)
        ts_params_set(p, P->params, P->n_params, "period", period, e);
    P->defaults(g, p);
    int rc = ts_params_check(p, P->params, P->n_params, P->name, e);
    if (!rc)
        rc = P->check(g, p, e);
    if (rc)
        return rc;
    *st = malloc(P->state_size(g));
    return P->init(*st, g, p, e);
}

/* |q_i - p| of worker i at slot t (m = 1). */
static double dist(void *st, long t, int i)
{
    ts_rng rs, rb;
    ts_rng_init(&rs, 3, 4, 5, TS_STREAM_STATE);
    ts_rng_init(&rb, 3, 4, 5, TS_STREAM_BELIEF);
    ts_rng_seek(&rs, (uint64_t)t);
    ts_rng_seek(&rb, (uint64_t)t);
    double p, q[4];
    P->draw(st, t, 1, &rs, &rb, &p, q);
    return fabs(q[i] - p);
}

static void test_switch_slots(void **unused)
{
    (void)unused;
    ts_shape g = {4, 1, 9, TS_FULL};
    ts_params p;
    ts_err e = {0};
    void *st = NULL;
    static const double sw[2] = {3, 6};
    assert_int_equal(open_pop(&g, &p, &st, sw, 2, 0, -1, &e), TS_OK);
    for (long t = 0; t < 9; t++) {
        int k = t < 3 ? 0 : t < 6 ? 1 : 2;
        assert_int_equal(P->segment(st, t), k);
        for (int i = 0; i < 4; i++) {
            double lo, hi;
            P->band(st, t, i, &lo, &hi);
            CLOSE(dist(st, t, i), u_of[((i - k) % 4 + 4) % 4], 1e-15);
            CLOSE(lo, u_of[((i - k) % 4 + 4) % 4], 0);
            CLOSE(hi, lo, 0);
        }
    }
    free(st);
}

static void test_smooth(void **unused)
{
    (void)unused;
    ts_shape g = {4, 1, 9, TS_FULL};
    ts_params p;
    ts_err e = {0};
    void *st = NULL;
    assert_int_equal(open_pop(&g, &p, &st, NULL, 0, 1, 8, &e), TS_OK);
    for (int i = 0; i < 4; i++) {
        CLOSE(dist(st, 0, i), u_of[i], 1e-15);
        CLOSE(dist(st, 2, i), u_of[(i + 3) % 4], 1e-15);
    }
    CLOSE(dist(st, 1, 0), 0.375, 1e-15);
    /* mode 1's segment: the mode-0 segment the ring has last passed,
     * floor(N t / period) */
    assert_int_equal(P->segment(st, 1), 0);
    assert_int_equal(P->segment(st, 2), 1);
    assert_int_equal(P->segment(st, 7), 3);
    double lo, hi;
    P->band(st, 1, 0, &lo, &hi);
    CLOSE(lo, 0.375, 1e-15);
    free(st);
}

static void test_default_switches(void **unused)
{
    (void)unused;
    ts_shape g = {4, 1, 30, TS_FULL};
    ts_params p;
    ts_err e = {0};
    void *st = NULL;
    assert_int_equal(open_pop(&g, &p, &st, NULL, 0, 0, -1, &e), TS_OK);
    assert_int_equal(P->segment(st, 9), 0);
    assert_int_equal(P->segment(st, 10), 1);
    assert_int_equal(P->segment(st, 20), 2);
    free(st);
}

static void test_refusals(void **unused)
{
    (void)unused;
    ts_shape g = {4, 1, 30, TS_FULL};
    ts_params p;
    ts_err e = {0};
    void *st = NULL;
    static const double dec[2] = {6, 3}, frac[1] = {2.5};
    assert_int_equal(open_pop(&g, &p, &st, dec, 2, 0, -1, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "must increase"));
    assert_int_equal(open_pop(&g, &p, &st, frac, 1, 0, -1, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "whole slot"));
    ts_shape g5 = {5, 1, 30, TS_FULL};
    assert_int_equal(open_pop(&g5, &p, &st, NULL, 0, 0, -1, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "'bands'"));
    assert_null(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switch_slots),
        cmocka_unit_test(test_smooth),
        cmocka_unit_test(test_default_switches),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_newcomer.c -- games/newcomer.c, population `newcomer` (Prop. 2).
 *
 * Known answers, and how they were obtained:
 *   - bands: newcomer [0, 0.1] has E[u^2] = (0 + 0 + 0.01)/3; the
 *     incumbent's band has the same width 0.1 and centre
 *     c = sqrt(0.01/3 + gap - 0.05^2/3) (python: gap 0.05 gives
 *     [0.17912878474779204, 0.27912878474779204]), so the expected losses
 *     differ by exactly gap (E[u^2] = (lo^2 + lo hi + hi^2)/3), read through
 *     the band hook;
 *   - degenerate bands [0.2, 0.2]: the newcomer's belief is exactly
 *     p + (1 - 2p) 0.2, his loss 0.04 on every prompt; the incumbent's
 *     belief distance sqrt(0.04 + gap) (no randomness in u);
 *   - before t0 the newcomer reports 1/2 (loss exactly 1/4), after it his
 *     band; the others' beliefs do not depend on t0;
 *   - the realised losses over 20000 slots average to the intended gap
 *     within 4 standard errors;
 *   - refusals: a gap no band inside [0, 1] can meet, a band with lo > hi,
 *     wrong-length 'others', N = 1. */
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

static const ts_population_type *P = &ts_pop_newcomer;

static int setup_pop(ts_shape *g, ts_params *p, void **st, double gap,
                     const double *band, double t0, ts_err *e)
{
    ts_params_init(p, P->n_params);
    if (gap > 0)
        ts_params_set(p, P->params, P->n_params, "gap", gap, e);
    if (t0 >= 0)
        ts_params_set(p, P->params, P->n_params, "t0", t0, e);
    if (band) {
        int k = ts_param_find(P->params, P->n_params, "band");
        p->vec[k] = band;
        p->len[k] = 2;
        p->set[k] = 1;
    }
    P->defaults(g, p);
    int rc = ts_params_check(p, P->params, P->n_params, P->name, e);
    if (!rc)
        rc = P->check(g, p, e);
    if (rc)
        return rc;
    *st = malloc(P->state_size(g));
    return P->init(*st, g, p, e);
}

/* E[u^2] for u ~ Uniform[lo, hi]. */
static double sq_loss(double lo, double hi)
{
    return (lo * lo + lo * hi + hi * hi) / 3.0;
}

static void test_bands_have_the_gap(void **unused)
{
    (void)unused;
    ts_shape g = {5, 3, 100, TS_FULL};
    ts_params p;
    ts_err e = {0};
    void *st = NULL;
    assert_int_equal(setup_pop(&g, &p, &st, 0.05, NULL, -1, &e), TS_OK);
    double lo[2], hi[2];
    for (int k = 0; k < 2; k++)
        P->band(st, 0, k, &lo[k], &hi[k]);
    assert_int_equal(P->segment(st, 0), 0);
    assert_int_equal(P->segment(st, 99), 0); /* t0 = 0: no change */
    CLOSE(lo[1], 0.0, 0);
    CLOSE(hi[1], 0.1, 0);
    CLOSE(lo[0], 0.17912878474779204, 1e-15);
    CLOSE(hi[0], 0.27912878474779204, 1e-15);
    CLOSE(sq_loss(lo[0], hi[0]) - sq_loss(lo[1], hi[1]), 0.05, 1e-15);
    free(st);
}

static void test_degenerate_bands(void **unused)
{
    (void)unused;
    ts_shape g = {3, 4, 10, TS_FULL};
    ts_params p;
    ts_err e = {0};
    void *st = NULL;
    static const double band[2] = {0.2, 0.2};
    assert_int_equal(setup_pop(&g, &p, &st, 0.05, band, -1, &e), TS_OK);
    ts_rng rs, rb;
    ts_rng_init(&rs, 5, 1, 0, TS_STREAM_STATE);
    ts_rng_init(&rb, 5, 1, 0, TS_STREAM_BELIEF);
    double pst[4], q[12];
    assert_int_equal(P->draw(st, 0, 4, &rs, &rb, pst, q), TS_OK);
    for (int j = 0; j < 4; j++) {
        CLOSE(fabs(q[4 + j] - pst[j]), 0.2, 1e-15);      /* newcomer      */
        CLOSE(fabs(q[j] - pst[j]), sqrt(0.09), 1e-15);   /* incumbent     */
    }
    free(st);
}

static void test_arrival(void **unused)
{
    (void)unused;
    ts_shape g = {4, 3, 10, TS_FULL};
    ts_params p, p0;
    ts_err e = {0};
    void *st = NULL, *st0 = NULL;
    assert_int_equal(setup_pop(&g, &p, &st, 0.1, NULL, 5, &e), TS_OK);
    assert_int_equal(setup_pop(&g, &p0, &st0, 0.1, NULL, 0, &e), TS_OK);
    for (long t = 0; t < 8; t++) {
        ts_rng rs, rb;
        double pa[3], qa[12], pb[3], qb[12];
        ts_rng_init(&rs, 9, 2, 1, TS_STREAM_STATE);
        ts_rng_init(&rb, 9, 2, 1, TS_STREAM_BELIEF);
        ts_rng_seek(&rs, (uint64_t)t);
        ts_rng_seek(&rb, (uint64_t)t);
        assert_int_equal(P->draw(st, t, 3, &rs, &rb, pa, qa), TS_OK);
        ts_rng_seek(&rs, (uint64_t)t);
        ts_rng_seek(&rb, (uint64_t)t);
        assert_int_equal(P->draw(st0, t, 3, &rs, &rb, pb, qb), TS_OK);
        for (int k = 0; k < 12; k++) {
            if (k >= 3 && k < 6 && t < 5)
                CLOSE(qa[k], 0.5, 0);
            else
                CLOSE(qa[k], qb[k], 0);
        }
    }
    /* The hooks: before arrival the newcomer's band is [1/2, 1/2] and the
     * segment 0; from t0 his band as at t0 = 0, segment 1. */
    for (long t = 0; t < 8; t++) {
        double lo, hi, lo0, hi0;
        P->band(st, t, 1, &lo, &hi);
        P->band(st0, t, 1, &lo0, &hi0);
        CLOSE(lo, t < 5 ? 0.5 : lo0, 0);
        CLOSE(hi, t < 5 ? 0.5 : hi0, 0);
        assert_int_equal(P->segment(st, t), t >= 5);
    }
    free(st);
    free(st0);
}

static void test_realised_gap(void **unused)
{
    (void)unused;
    ts_shape g = {5, 4, 100, TS_FULL};
    ts_params p;
    ts_err e = {0};
    void *st = NULL;
    assert_int_equal(setup_pop(&g, &p, &st, 0.1, NULL, -1, &e), TS_OK);
    const long n = 20000;
    double s = 0, s2 = 0, pst[4], q[20];
    ts_rng rs, rb;
    ts_rng_init(&rs, 77, 3, 0, TS_STREAM_STATE);
    ts_rng_init(&rb, 77, 3, 0, TS_STREAM_BELIEF);
    for (long t = 0; t < n; t++) {
        ts_rng_seek(&rs, (uint64_t)t);
        ts_rng_seek(&rb, (uint64_t)t);
        P->draw(st, t, 4, &rs, &rb, pst, q);
        double l[5];
        ts_sq_loss_rows(q, 5, 4, pst, l, NULL);
        s += l[0] - l[1];
        s2 += (l[0] - l[1]) * (l[0] - l[1]);
    }
    double mean = s / n, se = sqrt((s2 / n - mean * mean) / n);
    CLOSE(mean, 0.1, 4 * se);
    free(st);
}

static void test_refusals(void **unused)
{
    (void)unused;
    ts_shape g = {5, 3, 100, TS_FULL};
    ts_params p;
    ts_err e = {0};
    void *st = NULL;
    assert_int_equal(setup_pop(&g, &p, &st, 0.95, NULL, -1, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "largest gap"));
    static const double bad[2] = {0.3, 0.2};
    assert_int_equal(setup_pop(&g, &p, &st, 0.05, bad, -1, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "lo must not exceed hi"));
    ts_params_init(&p, P->n_params);
    static const double others[3] = {0.5, 0.6, 0.7};
    int k = ts_param_find(P->params, P->n_params, "others");
    p.vec[k] = others;
    p.len[k] = 3;
    p.set[k] = 1;
    P->defaults(&g, &p);
    assert_int_equal(P->check(&g, &p, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "'others'"));
    ts_shape g1 = {1, 3, 100, TS_FULL};
    ts_params_init(&p, P->n_params);
    P->defaults(&g1, &p);
    assert_int_equal(P->check(&g1, &p, &e), TS_EINPUT);
    assert_null(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bands_have_the_gap),
        cmocka_unit_test(test_degenerate_bands),
        cmocka_unit_test(test_arrival),
        cmocka_unit_test(test_realised_gap),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

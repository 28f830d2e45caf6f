/* mech_test.h -- small helpers the mechanism tests share: set a mechanism
 * up through its vtable exactly as the engine would (defaults, range
 * check, check, init), run a slot, and turn log weights into shares.
 *
 * Header-only (static inline), included after <cmocka.h>. */
#ifndef TS_TEST_MECH_TEST_H
#define TS_TEST_MECH_TEST_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "games/games.h"

typedef struct mt_mech {
    const ts_mechanism_type *t;
    ts_shape g;
    ts_params p;
    void *st; /* state_size(g) bytes, calloc'ed */
} mt_mech;

/* Shape and defaults; parameters may then be set with mt_set. */
static inline void mt_open(mt_mech *M, const ts_mechanism_type *t, int N,
                           int m, long T)
{
    M->t = t;
    M->g = (ts_shape){.N = N, .m = m, .T = T, .feedback = t->feedback};
    ts_params_init(&M->p, t->n_params);
    M->st = NULL;
}

static inline void mt_set(mt_mech *M, const char *name, double v)
{
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_params_set(&M->p, M->t->params, M->t->n_params, name,
                                   v, &e),
                     TS_OK);
}

/* Defaults, checks and init, as the engine does them; returns the first
 * failing status (e filled) or TS_OK with M->st ready. */
static inline int mt_try_start(mt_mech *M, ts_err *e)
{
    ts_err_clear(e);
    if (M->t->defaults)
        M->t->defaults(&M->g, &M->p);
    int rc = ts_params_check(&M->p, M->t->params, M->t->n_params, M->t->name,
                             e);
    if (!rc && M->t->check)
        rc = M->t->check(&M->g, &M->p, e);
    if (rc)
        return rc;
    M->st = calloc(1, M->t->state_size(&M->g));
    assert_non_null(M->st);
    rc = M->t->init(M->st, &M->g, &M->p, e);
    if (rc) {
        free(M->st);
        M->st = NULL;
    }
    return rc;
}

static inline void mt_start(mt_mech *M)
{
    ts_err e;
    int rc = mt_try_start(M, &e);
    if (rc)
        fail_msg("%s: start failed: %s", M->t->name, e.msg);
}

static inline void mt_close(mt_mech *M)
{
    free(M->st);
    M->st = NULL;
}

static inline ts_slot mt_slot(long t, int N, int m, const double *r,
                              int n_heard, const int *sel)
{
    return (ts_slot){.t = t, .N = N, .m = m, .r = r, .n_heard = n_heard,
                     .sel = sel};
}

/* Aggregate then update one slot; labels into A (pre-filled with NaN so an
 * unwritten label fails).  Returns aggregate's status (TS_OK or
 * TS_ENOCONV); any other failure fails the test. */
static inline int mt_step(mt_mech *M, const ts_slot *s, const double *pv,
                          double *A)
{
    ts_err e;
    ts_err_clear(&e);
    for (int j = 0; j < s->m; j++)
        A[j] = NAN;
    int rc = M->t->aggregate(M->st, s, A, &e);
    if (rc != TS_OK && rc != TS_ENOCONV)
        fail_msg("%s: aggregate: %s", M->t->name, e.msg);
    for (int j = 0; j < s->m; j++)
        assert_true(A[j] >= 0.0 && A[j] <= 1.0);
    ts_err e2;
    ts_err_clear(&e2);
    int rc2 = M->t->update(M->st, s, pv, &e2);
    if (rc2)
        fail_msg("%s: update: %s", M->t->name, e2.msg);
    return rc;
}

/* share_i = exp(logw_i - max) / sum, uniform when every logw is -inf;
 * written here independently of the library's ts_shares_from_log. */
static inline void mt_shares(int N, const double *logw, double *share)
{
    double M = -INFINITY;
    for (int i = 0; i < N; i++)
        if (logw[i] > M)
            M = logw[i];
    if (M == -INFINITY) {
        for (int i = 0; i < N; i++)
            share[i] = 1.0 / N;
        return;
    }
    double s = 0.0;
    for (int i = 0; i < N; i++)
        s += share[i] = exp(logw[i] - M);
    for (int i = 0; i < N; i++)
        share[i] /= s;
}

/* Limited feedback: the test, not the engine, picks who is heard.  mt_u(t)
 * is a fixed low-discrepancy sequence in (0,1) (frac(0.385 + t phi), phi
 * the golden ratio's fractional part), and mt_draw(theta, N, u) the first
 * i with u sum(theta) < theta_0 + ... + theta_i: a deterministic stand-in
 * for the engine's draw, written here independently of it. */
static inline double mt_u(long t)
{
    double x = 0.385 + 0.6180339887498949 * (double)t;
    return x - floor(x);
}

static inline int mt_draw(const double *theta, int N, double u)
{
    double total = 0.0, cum = 0.0;
    for (int i = 0; i < N; i++)
        total += theta[i];
    for (int i = 0; i < N; i++) {
        cum += theta[i];
        if (u * total < cum)
            return i;
    }
    return N - 1;
}

/* |x - y| <= tol, with a message giving both values. */
#define MT_CLOSE(x, y, tol)                                                    \
    do {                                                                       \
        double x_ = (x), y_ = (y);                                             \
        if (!(fabs(x_ - y_) <= (tol)))                                         \
            fail_msg("%s = %.17g, expected %.17g (|diff| %.3g > %.3g)", #x,   \
                     x_, y_, fabs(x_ - y_), (double)(tol));                    \
    } while (0)

#endif

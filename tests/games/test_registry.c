/* test_registry.c -- the contract every mechanism in ts_mechanism_types[]
 * keeps (STYLE §6: contract tests loop over the registry, as GSL's
 * rng/test.c does for every generator type).  A new mechanism is tested
 * here as soon as it is registered.
 *
 * For each mechanism and a few shapes (N = 2 included), with defaults:
 *   - the vtable is complete (feedback mode and its hooks agree);
 *   - a few slots on fixed non-round reports give labels in [0,1] (the
 *     label buffer is pre-filled with NaN, so an unwritten label fails),
 *     log weights finite or -inf and never NaN or +inf, shares (softmax
 *     of the log weights) in [0,1] summing to 1 within 1e-12, and
 *     diagnostics that are numbers once a slot has been played;
 *   - a memcpy clone evolves exactly like the original on the same input,
 *     and feeding the clone something else leaves the original's bytes
 *     and later course untouched (the state is flat and pointer-free);
 *   - every parameter outside its range (below, above, NaN, a fraction
 *     where an integer is due) is refused by ts_params_check or check
 *     with a message naming the parameter, and so are the named cases of
 *     the brief (alpha = 0 or 1.5, eta = -1, max_iter = 0, tol < 0; for
 *     limited feedback alpha above theta_min, k > N, beta > 1).
 *
 * Limited-feedback mechanisms (Sec. VI) keep the same contract, and
 * besides: n_heard is in [1, N]; a mechanism with theta gives draw
 * probabilities (pre-filled with NaN) that are finite, positive (every
 * worker can be drawn under Def. 5 and exp3) and sum to 1 within 1e-12,
 * before any slot and after each; it hears one worker, whom the test
 * draws from theta with mt_draw (so the clone test covers the draw too);
 * every limited mechanism but exp3 has a full-feedback sibling of the
 * same name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mech_test.h"

enum { MAX_N = 5, MAX_M = 4, N_SLOTS = 6, CLONE_AT = 2 };

static const struct {
    int N, m;
    long T;
} shapes[] = {{2, 1, 10}, {2, 3, 50}, {3, 2, 100}, {5, 4, 1000}};

/* Non-round reports r_ij = frac(0.385 + 0.618 i + 0.263 j + 0.137 t + 0.29
 * variant) and states alternating with j + t. */
static double report(int i, int j, long t, int variant)
{
    double x = 0.385 + 0.618 * i + 0.263 * j + 0.137 * (double)t +
               0.29 * variant;
    return x - floor(x);
}

/* theta of a limited mechanism that has one, checked: finite, positive,
 * summing to 1 within 1e-12.  theta[] is pre-filled with NaN. */
static void check_theta(const ts_mechanism_type *T, const void *st, int N,
                        long t, double *theta)
{
    for (int i = 0; i < MAX_N; i++)
        theta[i] = NAN;
    T->theta(st, theta);
    double sum = 0.0;
    for (int i = 0; i < N; i++) {
        if (!(theta[i] > 0.0 && theta[i] <= 1.0))
            fail_msg("%s N=%d slot %ld: theta_%d = %g", T->name, N, t, i,
                     theta[i]);
        sum += theta[i];
    }
    if (!(fabs(sum - 1.0) <= 1e-12))
        fail_msg("%s N=%d slot %ld: theta sums to %.17g", T->name, N, t, sum);
}

/* Who is heard in slot t: everyone under full feedback; one worker drawn
 * from theta (mt_draw, u depending on t and the input variant) for a
 * mechanism with theta; otherwise n_heard workers from a rotating start,
 * in increasing order (what the engine would draw is not the point
 * here). */
static int heard_set(const mt_mech *M, const void *st, long t, int variant,
                     int *sel)
{
    int N = M->g.N;
    int n = M->t->n_heard ? M->t->n_heard(&M->g, &M->p) : N;
    assert_true(n >= 1 && n <= N);
    if (M->t->theta) {
        assert_int_equal(n, 1);
        double theta[MAX_N];
        check_theta(M->t, st, N, t, theta);
        sel[0] = mt_draw(theta, N, mt_u(3 * t + variant));
        return 1;
    }
    int k = 0;
    for (int i = 0; i < N; i++)
        if (((i - (int)(t % N) + N) % N) < n)
            sel[k++] = i;
    assert_int_equal(k, n);
    return n;
}

typedef struct slot_out {
    double A[MAX_M];
    double logw[MAX_N];
    double theta[MAX_N]; /* after the slot; limited with theta only */
    double diag[16];
} slot_out;

/* One slot on state st (of mechanism M->t) with input `variant`; checks
 * the per-slot contract and records the outputs. */
static void play(const mt_mech *M, void *st, long t, int variant,
                 slot_out *out)
{
    const ts_mechanism_type *T = M->t;
    const int N = M->g.N, m = M->g.m;
    int sel[MAX_N];
    int n = heard_set(M, st, t, variant, sel);
    double r[MAX_N * MAX_M], pv[MAX_M];
    for (int h = 0; h < n; h++)
        for (int j = 0; j < m; j++)
            r[h * m + j] = report(sel[h], j, t, variant);
    for (int j = 0; j < m; j++)
        pv[j] = (double)((j + t + variant) % 2);
    ts_slot s = mt_slot(t, N, m, r, n, n == N ? NULL : sel);

    ts_err e;
    ts_err_clear(&e);
    for (int j = 0; j < MAX_M; j++)
        out->A[j] = NAN;
    int rc = T->aggregate(st, &s, out->A, &e);
    if (rc != TS_OK && rc != TS_ENOCONV)
        fail_msg("%s N=%d slot %ld: aggregate: %s", T->name, N, t, e.msg);
    for (int j = 0; j < m; j++)
        if (!(out->A[j] >= 0.0 && out->A[j] <= 1.0))
            fail_msg("%s N=%d slot %ld: label %d = %g", T->name, N, t, j,
                     out->A[j]);
    ts_err_clear(&e);
    rc = T->update(st, &s, pv, &e);
    if (rc)
        fail_msg("%s N=%d slot %ld: update: %s", T->name, N, t, e.msg);

    for (int i = 0; i < MAX_N; i++)
        out->logw[i] = NAN;
    T->log_weights(st, out->logw);
    double share[MAX_N], sum = 0.0;
    for (int i = 0; i < N; i++)
        if (isnan(out->logw[i]) || out->logw[i] == INFINITY)
            fail_msg("%s N=%d slot %ld: log w_%d = %g", T->name, N, t, i,
                     out->logw[i]);
    /* the engine's shares (game.c), checked against the test's own */
    double mine[MAX_N];
    ts_shares_from_log(N, out->logw, share);
    mt_shares(N, out->logw, mine);
    for (int i = 0; i < N; i++) {
        assert_true(share[i] >= 0.0 && share[i] <= 1.0);
        MT_CLOSE(share[i], mine[i], 1e-15);
        sum += share[i];
    }
    if (!(fabs(sum - 1.0) <= 1e-12))
        fail_msg("%s N=%d slot %ld: shares sum to %.17g", T->name, N, t, sum);

    if (T->theta)
        check_theta(T, st, N, t, out->theta);

    assert_true(T->n_diag <= 16);
    if (T->n_diag > 0) {
        for (int k = 0; k < T->n_diag; k++)
            out->diag[k] = NAN;
        T->diag(st, out->diag);
        for (int k = 0; k < T->n_diag; k++)
            if (!isfinite(out->diag[k]))
                fail_msg("%s: diag %s = %g after slot %ld", T->name,
                         T->diag_names[k], out->diag[k], t);
    }
}

static void same_out(const ts_mechanism_type *T, const slot_out *a,
                     const slot_out *b, int N, int m, const char *what)
{
    if (memcmp(a->A, b->A, (size_t)m * sizeof(double)) ||
        memcmp(a->logw, b->logw, (size_t)N * sizeof(double)) ||
        (T->theta &&
         memcmp(a->theta, b->theta, (size_t)N * sizeof(double))) ||
        memcmp(a->diag, b->diag, (size_t)T->n_diag * sizeof(double)))
        fail_msg("%s N=%d: %s", T->name, N, what);
}

static void vtable_complete(void **unused)
{
    (void)unused;
    int count = 0;
    for (int k = 0; ts_mechanism_types[k]; k++, count++) {
        const ts_mechanism_type *T = ts_mechanism_types[k];
        assert_non_null(T->name);
        assert_non_null(T->label);
        assert_non_null(T->state_size);
        assert_non_null(T->init);
        assert_non_null(T->aggregate);
        assert_non_null(T->update);
        assert_non_null(T->log_weights);
        assert_true(T->n_params >= 0 && T->n_params <= TS_MAX_PARAMS);
        assert_true(T->n_params == 0 || T->params != NULL);
        if (T->n_diag > 0) {
            assert_non_null(T->diag_names);
            assert_non_null(T->diag);
        }
        if (T->feedback == TS_FULL) {
            assert_null(T->theta);
            assert_null(T->n_heard);
        } else {
            assert_int_equal(T->feedback, TS_LIMITED);
            assert_non_null(T->n_heard);
            /* a sibling under full feedback, except exp3 (SPEC §2) */
            ts_err e;
            const ts_mechanism_type *full =
                ts_mechanism_find(T->name, TS_FULL, &e);
            if (strcmp(T->name, "exp3") == 0)
                assert_null(full);
            else if (!full)
                fail_msg("limited %s has no full-feedback sibling", T->name);
        }
        /* lookup by name and mode finds this very vtable */
        ts_err e;
        assert_ptr_equal(ts_mechanism_find(T->name, T->feedback, &e), T);
    }
    assert_true(count >= 10);
    ts_err e;
    ts_err_clear(&e);
    assert_null(ts_mechanism_find("no-such-mechanism", TS_FULL, &e));
    assert_int_equal(e.code, TS_EINPUT);
    assert_non_null(strstr(e.msg, "ours"));
    assert_null(strstr(e.msg, "exp3")); /* only the full-feedback names */
    ts_err_clear(&e);
    assert_null(ts_mechanism_find("hedge", TS_LIMITED, &e));
    assert_non_null(strstr(e.msg, "limited"));
    assert_non_null(strstr(e.msg, "exp3"));
}

static void slots_shares_and_clones(void **unused)
{
    (void)unused;
    for (int k = 0; ts_mechanism_types[k]; k++) {
        const ts_mechanism_type *T = ts_mechanism_types[k];
        for (size_t g = 0; g < sizeof shapes / sizeof shapes[0]; g++) {
            const int N = shapes[g].N, m = shapes[g].m;
            mt_mech M, ref;
            mt_open(&M, T, N, m, shapes[g].T);
            mt_start(&M);
            mt_open(&ref, T, N, m, shapes[g].T);
            mt_start(&ref);
            const size_t size = T->state_size(&M.g);

            /* Fresh states, before any slot: shares and theta sum to 1. */
            double lw[MAX_N], sh[MAX_N], sum = 0.0;
            T->log_weights(M.st, lw);
            mt_shares(N, lw, sh);
            for (int i = 0; i < N; i++)
                sum += sh[i];
            MT_CLOSE(sum, 1.0, 1e-12);
            if (T->theta)
                check_theta(T, M.st, N, -1, sh);

            slot_out o, o_ref, o_clone;
            void *clone = NULL, *snap = NULL;
            for (long t = 0; t < N_SLOTS; t++) {
                if (t == CLONE_AT) {
                    /* Feeding a clone other input (two slots) leaves the
                     * original's bytes alone ... */
                    snap = malloc(size);
                    clone = malloc(size);
                    assert_non_null(snap);
                    assert_non_null(clone);
                    memcpy(snap, M.st, size);
                    memcpy(clone, M.st, size);
                    play(&M, clone, t, 1, &o_clone);
                    play(&M, clone, t + 1, 1, &o_clone);
                    if (memcmp(snap, M.st, size))
                        fail_msg("%s N=%d: advancing a clone changed the "
                                 "original", T->name, N);
                    /* ... and a fresh clone on the same input gives the
                     * original's outputs, bit for bit. */
                    memcpy(clone, M.st, size);
                    play(&M, clone, t, 0, &o_clone);
                }
                play(&M, M.st, t, 0, &o);
                play(&ref, ref.st, t, 0, &o_ref);
                same_out(T, &o, &o_ref, N, m,
                         "two states on the same input differ");
                if (t == CLONE_AT)
                    same_out(T, &o, &o_clone, N, m,
                             "a memcpy clone evolved differently");
            }
            free(clone);
            free(snap);
            mt_close(&M);
            mt_close(&ref);
        }
    }
}

/* Expect the mechanism to refuse `value` for parameter `name`. */
static void expect_refused(const ts_mechanism_type *T, const char *name,
                           double value)
{
    mt_mech M;
    mt_open(&M, T, 3, 2, 100);
    mt_set(&M, name, value);
    ts_err e;
    int rc = mt_try_start(&M, &e);
    if (rc == TS_OK)
        fail_msg("%s accepted %s = %g", T->name, name, value);
    assert_int_equal(rc, TS_EINPUT);
    if (!strstr(e.msg, name))
        fail_msg("%s: refusing %s = %g, the message '%s' does not name it",
                 T->name, name, value, e.msg);
    mt_close(&M);
}

static void bad_parameters_refused(void **unused)
{
    (void)unused;
    for (int k = 0; ts_mechanism_types[k]; k++) {
        const ts_mechanism_type *T = ts_mechanism_types[k];
        for (int q = 0; q < T->n_params; q++) {
            const ts_param_spec *s = &T->params[q];
            if (s->flags & TS_PARAM_VEC)
                continue;
            expect_refused(T, s->name, NAN);
            if (isfinite(s->lo))
                expect_refused(T, s->name,
                               (s->flags & TS_PARAM_LO_OPEN) ? s->lo
                                                             : s->lo - 1.0);
            if (isfinite(s->hi))
                expect_refused(T, s->name,
                               (s->flags & TS_PARAM_HI_OPEN) ? s->hi
                                                             : s->hi + 1.0);
            else if (s->flags & TS_PARAM_HI_OPEN)
                expect_refused(T, s->name, INFINITY);
            if ((s->flags & TS_PARAM_INT) && isfinite(s->lo))
                expect_refused(T, s->name, s->lo + 1.5);
        }
    }
    /* The brief's named cases, found through the registry.  At N = 3,
     * T = 100 limited ours has beta = 2 sqrt(3 ln 3 / 700) = 0.137 and
     * theta_min = beta/(beta + 2) = 0.064, so alpha = 0.3 breaks Def. 5. */
    static const struct {
        const char *mech;
        ts_feedback fb;
        const char *param;
        double v;
    } named[] = {{"ours", TS_FULL, "alpha", 0.0},
                 {"ours", TS_FULL, "alpha", 1.5},
                 {"hedge", TS_FULL, "eta", -1.0},
                 {"em", TS_FULL, "max_iter", 0.0},
                 {"em", TS_FULL, "tol", -1e-12},
                 {"ours", TS_LIMITED, "alpha", 0.3},
                 {"ours", TS_LIMITED, "beta", 1.5},
                 {"exp3", TS_LIMITED, "beta", 1.5},
                 {"exp3", TS_LIMITED, "eta", 0.0},
                 {"median", TS_LIMITED, "k", 4.0},
                 {"em", TS_LIMITED, "k", 4.0},
                 {"average", TS_LIMITED, "k", 7.0},
                 {"em", TS_LIMITED, "max_iter", 0.0}};
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
        ts_err e;
        const ts_mechanism_type *T =
            ts_mechanism_find(named[k].mech, named[k].fb, &e);
        assert_non_null(T);
        assert_true(ts_param_find(T->params, T->n_params, named[k].param) >=
                    0);
        expect_refused(T, named[k].param, named[k].v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vtable_complete),
        cmocka_unit_test(slots_shares_and_clones),
        cmocka_unit_test(bad_parameters_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_signals.c -- games/signals.c, population `signals` (SPEC §3).
 *
 * What is checked, and how the expected values were obtained:
 *   - binary model: every belief is one of the two closed-form posteriors
 *     of its worker, pinned for pi = 0.385 with exact rational arithmetic
 *     (Python fractions: a = 0.9 gives 0.3465/0.408 and 0.0385/0.592;
 *     a = 0.7 gives 0.5936123348017621 and 0.21153846153846154; a = 0.615
 *     gives exactly 1/2, since pi a = (1 - pi)(1 - a)); and it is the one
 *     the signal calls for: the test redraws p and s itself from the same
 *     streams with scalar ts_rng_u01 calls (the population uses the bulk
 *     fill, which rng.h promises equal value for value);
 *   - Gaussian model: the test redraws s = 2p - 1 + sigma z with its own
 *     scalar Box-Muller (the construction documented in signals.c) and
 *     compares q with direct Bayes on the normal densities,
 *     pi f1 / (pi f1 + (1 - pi) f0), f_k the N(+-1, sigma^2) density at s
 *     -- a different formula from the population's log-odds one;
 *   - calibration by simulation, both models: among draws with belief q
 *     (binary: each exact posterior value; Gaussian: bins of width 0.1),
 *     the frequency of p = 1 equals the bins' mean q within 4.5 standard
 *     errors (sqrt(sum q (1 - q)) / n, the Poisson-binomial spread).  This
 *     is what makes a simulated gain a real one.  The same check rejects
 *     `bands`, whose beliefs are not calibrated, so it has power;
 *   - the default rules for N = 2 and 5 (accuracy 0.9, 0.7 and 0.9, 0.8,
 *     0.7333, 0.6667, 0.6; sigma 0.5, 1.5 and 0.5, 1, 1.3333, 1.6667, 2);
 *   - refusals: wrong-length vectors (check), out-of-range prior, noise,
 *     accuracy and sigma entries (ts_params_check), each message naming
 *     the parameter;
 *   - a contract over every registered population: p in {0, 1}, q in
 *     [0, 1] and written (pre-filled NaN), the same streams give the same
 *     bits, a slot with fewer prompts than the shape's m works. */
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

#define PI 3.14159265358979323846 /* <math.h> gives M_PI only beyond C11 */

enum { SEED = 20240611, POINT = 77, REPLICA = 3 };

typedef struct pop {
    const ts_population_type *t;
    ts_shape g;
    ts_params p;
    void *st;
} pop;

static int param_index(const ts_population_type *t, const char *name)
{
    int k = ts_param_find(t->params, t->n_params, name);
    assert_true(k >= 0);
    return k;
}

static void pop_open(pop *P, const ts_population_type *t, int N, int m)
{
    P->t = t;
    P->g = (ts_shape){.N = N, .m = m, .T = 100, .feedback = TS_FULL};
    ts_params_init(&P->p, t->n_params);
    P->st = NULL;
}

static void pop_set(pop *P, const char *name, double v)
{
    ts_err e;
    assert_int_equal(
        ts_params_set(&P->p, P->t->params, P->t->n_params, name, v, &e), TS_OK);
}

static void pop_set_vec(pop *P, const char *name, const double *v, int n)
{
    int k = param_index(P->t, name);
    P->p.vec[k] = v;
    P->p.len[k] = n;
    P->p.set[k] = 1;
}

/* Defaults, range check, check and init, as the experiment and engine do. */
static int pop_try_start(pop *P, ts_err *e)
{
    ts_err_clear(e);
    if (P->t->defaults)
        P->t->defaults(&P->g, &P->p);
    int rc = ts_params_check(&P->p, P->t->params, P->t->n_params, P->t->name, e);
    if (!rc && P->t->check)
        rc = P->t->check(&P->g, &P->p, e);
    if (rc)
        return rc;
    P->st = calloc(1, P->t->state_size(&P->g));
    assert_non_null(P->st);
    return P->t->init(P->st, &P->g, &P->p, e);
}

static void pop_start(pop *P)
{
    ts_err e;
    if (pop_try_start(P, &e))
        fail_msg("%s: start failed: %s", P->t->name, e.msg);
}

static void pop_close(pop *P)
{
    free(P->st);
    P->st = NULL;
}

/* The engine's streams for slot t. */
static void streams(long t, ts_rng *rs, ts_rng *rb)
{
    ts_rng_init(rs, SEED, POINT, REPLICA, TS_STREAM_STATE);
    ts_rng_init(rb, SEED, POINT, REPLICA, TS_STREAM_BELIEF);
    ts_rng_seek(rs, (uint64_t)t);
    ts_rng_seek(rb, (uint64_t)t);
}

/* Draw slot t with m prompts; p and q pre-filled with NaN. */
static void pop_draw(pop *P, long t, int m, double *p, double *q)
{
    ts_rng rs, rb;
    streams(t, &rs, &rb);
    for (int j = 0; j < m; j++)
        p[j] = NAN;
    for (int k = 0; k < P->g.N * m; k++)
        q[k] = NAN;
    assert_int_equal(P->t->draw(P->st, t, m, &rs, &rb, p, q), TS_OK);
    assert_false(rs.overflow || rb.overflow);
}

/* ------------------------------------------------------------------ */
/* The test's own model: p, then the binary signal or the Gaussian one. */

static void redraw_p(ts_rng *rs, double prior, int m, double *p)
{
    for (int j = 0; j < m; j++)
        p[j] = ts_rng_u01(rs) < prior ? 1.0 : 0.0;
}

/* z[n] by Box-Muller, pair k from three scalar uniforms (h, l, v):
 * u1 = (x_h + l) 2^-32 with x_h the first 32-bit word. */
static void redraw_normals(ts_rng *rb, int n, double *z)
{
    for (int k = 0; 2 * k < n; k++) {
        double h = ts_rng_u01(rb), l = ts_rng_u01(rb), v = ts_rng_u01(rb);
        double xh = ldexp(h, 32) - 0.5;
        assert_true(xh == floor(xh)); /* the word itself */
        double u1 = ldexp(xh + l, -32);
        double R = sqrt(-2.0 * log(u1));
        z[2 * k] = R * cos(2.0 * PI * v);
        if (2 * k + 1 < n)
            z[2 * k + 1] = R * sin(2.0 * PI * v);
    }
}

/* Posterior P(p = 1 | s) from the normal densities, directly. */
static double direct_bayes(double prior, double sigma, double s)
{
    double c = 1.0 / (sigma * sqrt(2.0 * PI));
    double f1 = c * exp(-(s - 1.0) * (s - 1.0) / (2.0 * sigma * sigma));
    double f0 = c * exp(-(s + 1.0) * (s + 1.0) / (2.0 * sigma * sigma));
    return prior * f1 / (prior * f1 + (1.0 - prior) * f0);
}

/* Binary posteriors by odds, not the population's formula. */
static double q_given(double prior, double a, int s)
{
    double lr = s ? a / (1.0 - a) : (1.0 - a) / a;
    double odds = prior / (1.0 - prior) * lr;
    return odds / (1.0 + odds);
}

/* ------------------------------------------------------------------ */

static void binary_closed_form(void **unused)
{
    (void)unused;
    enum { N = 3, m = 4, SLOTS = 5 };
    const double acc[N] = {0.9, 0.7, 0.615};
    const double pin1[N] = {0.8492647058823529, 0.5936123348017621, 0.5};
    const double pin0[N] = {0.06503378378378379, 0.21153846153846154,
                            0.2815557032956596};
    pop P;
    pop_open(&P, &ts_pop_signals, N, m);
    pop_set(&P, "prior", 0.385);
    pop_set(&P, "noise", 0);
    pop_set_vec(&P, "accuracy", acc, N);
    pop_start(&P);
    for (int i = 0; i < N; i++) {
        CLOSE(q_given(0.385, acc[i], 1), pin1[i], 1e-15);
        CLOSE(q_given(0.385, acc[i], 0), pin0[i], 1e-15);
    }
    for (long t = 0; t < SLOTS; t++) {
        double p[m], q[N * m], pe[m];
        pop_draw(&P, t, m, p, q);
        ts_rng rs, rb;
        streams(t, &rs, &rb);
        redraw_p(&rs, 0.385, m, pe);
        for (int j = 0; j < m; j++)
            assert_true(p[j] == pe[j]);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < m; j++) {
                int honest = ts_rng_u01(&rb) < acc[i];
                int s = honest ? (int)pe[j] : 1 - (int)pe[j];
                CLOSE(q[i * m + j], s ? pin1[i] : pin0[i], 1e-15);
            }
    }
    pop_close(&P);
}

static void gaussian_direct_bayes(void **unused)
{
    (void)unused;
    enum { N = 3, m = 5, SLOTS = 40 }; /* N m odd: the last pair is half used */
    const double sig[N] = {0.5, 1.3, 2.2};
    pop P;
    pop_open(&P, &ts_pop_signals, N, m);
    pop_set(&P, "prior", 0.385);
    pop_set(&P, "noise", 1);
    pop_set_vec(&P, "sigma", sig, N);
    pop_start(&P);
    double worst = 0.0;
    for (long t = 0; t < SLOTS; t++) {
        double p[m], q[N * m], pe[m], z[N * m];
        pop_draw(&P, t, m, p, q);
        ts_rng rs, rb;
        streams(t, &rs, &rb);
        redraw_p(&rs, 0.385, m, pe);
        redraw_normals(&rb, N * m, z);
        for (int j = 0; j < m; j++)
            assert_true(p[j] == pe[j]);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < m; j++) {
                double s = (2.0 * pe[j] - 1.0) + sig[i] * z[i * m + j];
                double d = fabs(q[i * m + j] - direct_bayes(0.385, sig[i], s));
                if (!(d <= 1e-13))
                    fail_msg("slot %ld worker %d prompt %d: q = %.17g, direct "
                             "Bayes %.17g", t, i, j, q[i * m + j],
                             direct_bayes(0.385, sig[i], s));
                worst = fmax(worst, d);
            }
    }
    pop_close(&P);
}

/* Calibration: bins of q; in each, the frequency of p = 1 against the mean
 * q.  Returns the largest |freq - mean q| / SE over bins with >= 200
 * draws, and counts those bins. */
enum { NBIN = 10 };

typedef struct calib {
    double n[NBIN], sum_q[NBIN], sum_var[NBIN], sum_p[NBIN];
} calib;

static void calib_add(calib *C, double q, double p)
{
    int b = (int)(q * NBIN);
    if (b >= NBIN)
        b = NBIN - 1;
    C->n[b] += 1;
    C->sum_q[b] += q;
    C->sum_var[b] += q * (1.0 - q);
    C->sum_p[b] += p;
}

static double calib_worst(const calib *C, int *bins)
{
    double worst = 0.0;
    *bins = 0;
    for (int b = 0; b < NBIN; b++) {
        if (C->n[b] < 200)
            continue;
        double se = sqrt(C->sum_var[b]) / C->n[b];
        double z = fabs(C->sum_p[b] / C->n[b] - C->sum_q[b] / C->n[b]) / se;
        worst = fmax(worst, z);
        ++*bins;
    }
    return worst;
}

static void simulate(pop *P, long slots, calib *C)
{
    const int N = P->g.N, m = P->g.m;
    double *p = malloc((size_t)m * sizeof *p);
    double *q = malloc((size_t)N * m * sizeof *q);
    assert_non_null(p);
    assert_non_null(q);
    for (long t = 0; t < slots; t++) {
        pop_draw(P, t, m, p, q);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < m; j++)
                calib_add(C, q[i * m + j], p[j]);
    }
    free(p);
    free(q);
}

static void calibration(void **unused)
{
    (void)unused;
    enum { N = 4, m = 25, SLOTS = 1000 }; /* 10^5 beliefs each run */
    /* binary, non-default accuracies: per worker and signal an exact value
     * of q; 10 bins hold them apart (0.385 prior: q1 in 0.59..0.85, q0 in
     * 0.06..0.28) except where two workers share a bin, whose mean is
     * then a mixture and the check still holds. */
    const double acc[N] = {0.9, 0.7, 0.615, 0.55};
    const double sig[N] = {0.5, 1.0, 1.7, 3.0};
    for (int noise = 0; noise <= 1; noise++) {
        pop P;
        pop_open(&P, &ts_pop_signals, N, m);
        pop_set(&P, "prior", 0.385);
        pop_set(&P, "noise", noise);
        pop_set_vec(&P, "accuracy", acc, N);
        pop_set_vec(&P, "sigma", sig, N);
        pop_start(&P);
        calib C;
        memset(&C, 0, sizeof C);
        simulate(&P, SLOTS, &C);
        int bins;
        double z = calib_worst(&C, &bins);
        if (!(z < 4.5))
            fail_msg("signals noise=%d: a belief bin is off by %.2f SE", noise, z);
        assert_true(bins >= (noise ? 8 : 4));
        pop_close(&P);
    }
    /* The same check has power: `bands` is not calibrated (SPEC §3). */
    pop B;
    pop_open(&B, &ts_pop_bands, 5, 20);
    pop_start(&B);
    calib C;
    memset(&C, 0, sizeof C);
    simulate(&B, 500, &C);
    int bins;
    double z = calib_worst(&C, &bins);
    if (!(z > 20))
        fail_msg("bands looks calibrated (worst bin %.2f SE)", z);
    pop_close(&B);
}

/* The default rules, seen through the beliefs: with prior 1/2 a binary
 * worker's q is a_i or 1 - a_i; a Gaussian worker's q is direct Bayes
 * with the rule's sigma_i on the redrawn signal. */
static void default_rules(void **unused)
{
    (void)unused;
    static const struct {
        int N;
        double a[5], s[5];
    } cases[] = {
        {2, {0.9, 0.7}, {0.5, 1.5}},
        {5, {0.9, 0.8, 0.8 - 0.2 / 3, 0.8 - 0.4 / 3, 0.6},
         {0.5, 1.0, 4.0 / 3, 5.0 / 3, 2.0}},
    };
    enum { m = 8, SLOTS = 6 };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const int N = cases[c].N;
        for (int noise = 0; noise <= 1; noise++) {
            pop P;
            pop_open(&P, &ts_pop_signals, N, m);
            if (noise)
                pop_set(&P, "noise", 1);
            pop_start(&P);
            assert_true(P.p.v[param_index(P.t, "prior")] == 0.5);
            assert_true(P.p.v[param_index(P.t, "noise")] == noise);
            int seen[5][2] = {{0}};
            for (long t = 0; t < SLOTS; t++) {
                double p[m], q[5 * m], pe[m], z[5 * m];
                pop_draw(&P, t, m, p, q);
                ts_rng rs, rb;
                streams(t, &rs, &rb);
                redraw_p(&rs, 0.5, m, pe);
                if (noise)
                    redraw_normals(&rb, N * m, z);
                for (int i = 0; i < N; i++)
                    for (int j = 0; j < m; j++) {
                        double qq = q[i * m + j];
                        if (noise) {
                            double s = (2.0 * pe[j] - 1.0) +
                                       cases[c].s[i] * z[i * m + j];
                            CLOSE(qq, direct_bayes(0.5, cases[c].s[i], s), 1e-13);
                        } else if (fabs(qq - cases[c].a[i]) <= 1e-15) {
                            seen[i][1] = 1;
                        } else {
                            CLOSE(qq, 1.0 - cases[c].a[i], 1e-15);
                            seen[i][0] = 1;
                        }
                    }
            }
            for (int i = 0; !noise && i < N; i++)
                assert_true(seen[i][0] && seen[i][1]);
            pop_close(&P);
        }
    }
}

static void expect_refused(pop *P, const char *name, const char *also)
{
    ts_err e;
    int rc = pop_try_start(P, &e);
    if (rc == TS_OK)
        fail_msg("signals accepted a bad %s", name);
    assert_int_equal(rc, TS_EINPUT);
    if (!strstr(e.msg, name) || (also && !strstr(e.msg, also)))
        fail_msg("refusing %s: the message '%s' should name it%s%s", name,
                 e.msg, also ? " and " : "", also ? also : "");
    pop_close(P);
}

static void refusals(void **unused)
{
    (void)unused;
    const double v4[4] = {0.9, 0.8, 0.7, 0.6};
    pop P;
    /* wrong lengths, either vector, either model */
    for (int noise = 0; noise <= 1; noise++) {
        for (int len = 2; len <= 4; len += 2) {
            pop_open(&P, &ts_pop_signals, 3, 2);
            pop_set(&P, "noise", noise);
            pop_set_vec(&P, "accuracy", v4, len);
            expect_refused(&P, "accuracy", "N = 3");
            pop_open(&P, &ts_pop_signals, 3, 2);
            pop_set(&P, "noise", noise);
            pop_set_vec(&P, "sigma", v4, len);
            expect_refused(&P, "sigma", "N = 3");
        }
    }
    /* entries out of range */
    const double bad_a[3][3] = {{0.9, 0.5, 0.7}, {0.9, 1.0, 0.7},
                                {0.9, NAN, 0.7}};
    for (int k = 0; k < 3; k++) {
        pop_open(&P, &ts_pop_signals, 3, 2);
        pop_set_vec(&P, "accuracy", bad_a[k], 3);
        expect_refused(&P, "accuracy", "(0.5, 1)");
    }
    const double bad_s[3][3] = {{0.5, 0.0, 1.0}, {0.5, -1.0, 1.0},
                                {0.5, INFINITY, 1.0}};
    for (int k = 0; k < 3; k++) {
        pop_open(&P, &ts_pop_signals, 3, 2);
        pop_set(&P, "noise", 1);
        pop_set_vec(&P, "sigma", bad_s[k], 3);
        expect_refused(&P, "sigma", "(0, inf)");
    }
    const double bad_prior[4] = {0.0, 1.0, -0.1, NAN};
    for (int k = 0; k < 4; k++) {
        pop_open(&P, &ts_pop_signals, 3, 2);
        pop_set(&P, "prior", bad_prior[k]);
        expect_refused(&P, "prior", "(0, 1)");
    }
    const double bad_noise[3] = {0.5, 2.0, -1.0};
    for (int k = 0; k < 3; k++) {
        pop_open(&P, &ts_pop_signals, 3, 2);
        pop_set(&P, "noise", bad_noise[k]);
        expect_refused(&P, "noise", NULL);
    }
    /* found by name; an unknown name lists it */
    ts_err e;
    ts_err_clear(&e);
    assert_ptr_equal(ts_population_find("signals", &e), &ts_pop_signals);
    assert_null(ts_population_find("signal", &e));
    assert_non_null(strstr(e.msg, "signals"));
    assert_non_null(strstr(e.msg, "bands"));
}

/* Every registered population, defaults, both signal models for signals. */
static void population_contract(void **unused)
{
    (void)unused;
    enum { N = 5, M = 6 };
    int count = 0;
    for (int k = 0; ts_population_types[k]; k++, count++) {
        const ts_population_type *T = ts_population_types[k];
        assert_non_null(T->name);
        assert_non_null(T->state_size);
        assert_non_null(T->init);
        assert_non_null(T->draw);
        assert_true(T->n_params >= 0 && T->n_params <= TS_MAX_PARAMS);
        int variants = T == &ts_pop_signals ? 2 : 1;
        for (int v = 0; v < variants; v++) {
            pop P, Q;
            pop_open(&P, T, N, M);
            pop_open(&Q, T, N, M);
            if (v) {
                pop_set(&P, "noise", 1);
                pop_set(&Q, "noise", 1);
            }
            pop_start(&P);
            pop_start(&Q);
            for (long t = 0; t < 4; t++) {
                const int m = t == 2 ? 3 : M; /* a short slot */
                double p[M], q[N * M], p2[M], q2[N * M];
                pop_draw(&P, t, m, p, q);
                pop_draw(&Q, t, m, p2, q2);
                for (int j = 0; j < m; j++)
                    if (!(p[j] == 0.0 || p[j] == 1.0))
                        fail_msg("%s: p[%d] = %g", T->name, j, p[j]);
                for (int x = 0; x < N * m; x++)
                    if (!(q[x] >= 0.0 && q[x] <= 1.0))
                        fail_msg("%s: q[%d] = %g", T->name, x, q[x]);
                if (memcmp(p, p2, (size_t)m * sizeof *p) ||
                    memcmp(q, q2, (size_t)N * m * sizeof *q))
                    fail_msg("%s: the same streams gave different draws",
                             T->name);
            }
            pop_close(&P);
            pop_close(&Q);
        }
    }
    assert_true(count >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(binary_closed_form),
        cmocka_unit_test(gaussian_direct_bayes),
        cmocka_unit_test(calibration),
        cmocka_unit_test(default_rules),
        cmocka_unit_test(refusals),
        cmocka_unit_test(population_contract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

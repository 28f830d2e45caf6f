/* test_spectrum.c -- games/spectrum.c (population `spectrum`) and
 * games/spectrum_data.c (the DeepSense reader); paper Sec. VII-B, SPEC §6.
 *
 * What is checked, and how the expected values were obtained:
 *   - the model, two ways: the test redraws every slot from the same
 *     streams with scalar ts_rng_u01 calls (the population fills in bulk,
 *     which rng.h promises equal value for value), its own Box-Muller, a
 *     naive O(32^2) DFT of the receiver noise instead of GSL's IDFT and
 *     FFT, and direct Bayes on the Gamma(8, v) densities, pi f1 / (pi f1 +
 *     (1 - pi) f0), instead of the population's log-odds -- with explicit
 *     non-round parameters (a partial last window, both bias models) and
 *     with the defaults at N = 5 (whose lists the test writes out: noise
 *     -10, 0, 3, 6, 9 dB, bias 0, 0.5, 1, 1.5, 2 dB, snr 3 dB);
 *   - the features of the slot drawn last (ts_spectrum_prompt_db) are the
 *     reference spectrum's, and the prompt text is pinned;
 *   - determinism: the same streams give the same bits, on another
 *     instance and on the same one drawn again (nothing is carried from
 *     slot to slot);
 *   - beliefs in [0, 1] at extreme parameters (30 dB signal, SUs 40 dB
 *     below the floor, large biases);
 *   - calibration by simulation: with bias_aware = 1 every SU's beliefs
 *     are calibrated (in bins of width 0.1 the frequency of p = 1 equals
 *     the bin's mean q within 4.5 standard errors, sqrt(sum q (1 - q)) /
 *     n), windows made independent (p_on + p_off = 1) so the errors are;
 *     with the defaults (bias unknown) SU 1, who has none, stays
 *     calibrated and the most biased SU is refused by the same check,
 *     which shows it has power; the occupancy chain's frequencies match
 *     pi, p_on and p_off;
 *   - the more precise SU has the smaller squared loss: with the defaults
 *     the losses are ordered SU 1 < ... < SU 5, and SU 1's is 0.056 within
 *     0.005 (a numpy simulation of the model, 200 000 prompts: 0.056);
 *   - refusals: list lengths (check) and ranges (ts_params_check), each
 *     message naming the parameter;
 *   - the reader: a file the test writes (a pure tone in sub-band 3, one
 *     in sub-band 1, silence) reads back bit for bit, in one go and in
 *     steps, the energy lands in the right sub-band (a tone of amplitude
 *     A at one bin has E = (32 A)^2 / 8 there and nothing elsewhere), the
 *     mask and day come from the name; bad names, sizes, non-finite
 *     samples, a size over the cap, a missing file and a directory are
 *     refused with "FILE: ..." messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "games/games.h"
#include "games/spectrum.h"

#define CLOSE(x, y, tol)                                                      \
    do {                                                                      \
        double x_ = (x), y_ = (y);                                            \
        if (!(fabs(x_ - y_) <= (tol)))                                        \
            fail_msg("%s = %.17g, expected %.17g (line %d)", #x, x_, y_,     \
                     __LINE__);                                               \
    } while (0)

#define PI 3.14159265358979323846

enum { SEED = 20240611, POINT = 91, REPLICA = 2, NMAX = 8, MMAX = 16 };

typedef struct pop {
    const ts_population_type *t;
    ts_shape g;
    ts_params p;
    void *st;
} pop;

static void pop_open(pop *P, int N, int m)
{
    P->t = &ts_pop_spectrum;
    P->g = (ts_shape){.N = N, .m = m, .T = 100, .feedback = TS_FULL};
    ts_params_init(&P->p, P->t->n_params);
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
    int k = ts_param_find(P->t->params, P->t->n_params, name);
    assert_true(k >= 0);
    P->p.vec[k] = v;
    P->p.len[k] = n;
    P->p.set[k] = 1;
}

static int pop_try_start(pop *P, ts_err *e)
{
    ts_err_clear(e);
    int rc = ts_owner_resolve(&P->t->owner, &P->g, &P->p, e);
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
        fail_msg("spectrum: start failed: %s", e.msg);
}

static void pop_close(pop *P)
{
    free(P->st);
    P->st = NULL;
}

static void streams(long t, ts_rng *rs, ts_rng *rb)
{
    ts_rng_init(rs, SEED, POINT, REPLICA, TS_STREAM_STATE);
    ts_rng_init(rb, SEED, POINT, REPLICA, TS_STREAM_BELIEF);
    ts_rng_seek(rs, (uint64_t)t);
    ts_rng_seek(rb, (uint64_t)t);
}

/* Draw slot t, p and q pre-filled with NaN. */
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
/* The test's own model (the header comment of games/spectrum.c).      */

typedef struct model {
    int N;
    double p_on, p_off, snr[4];   /* snr linear                           */
    double rho[NMAX], g[NMAX];    /* SU noise and gain, linear            */
    int aware;
} model;

static double lin(double db) { return pow(10.0, db / 10.0); }

static void redraw_normals(ts_rng *rb, int n, double *z)
{
    for (int k = 0; 2 * k < n; k++) {
        double h = ts_rng_u01(rb), l = ts_rng_u01(rb), v = ts_rng_u01(rb);
        double xh = ldexp(h, 32) - 0.5;
        double u1 = ldexp(xh + l, -32);
        double R = sqrt(-2.0 * log(u1));
        z[2 * k] = R * cos(2.0 * PI * v);
        z[2 * k + 1] = R * sin(2.0 * PI * v);
    }
}

/* Gamma(K = 8, scale v) density at x. */
static double gamma8(double x, double v)
{
    return exp(7.0 * log(x) - x / v - lgamma(8.0) - 8.0 * log(v));
}

/* Reference slot: p[m], q[N][m] and the shifted spectra Y[n_win][64]. */
static void reference(const model *M, long t, int m, double *p, double *q,
                      double *Yall)
{
    ts_rng rs, rb;
    streams(t, &rs, &rb);
    const int N = M->N, n_win = (m + 3) / 4, nn = 128 + 64 * N;
    const double pi = M->p_on / (M->p_on + M->p_off);
    double s[4 * 4];
    assert_true(n_win <= 4);
    for (int w = 0; w < n_win; w++)
        for (int c = 0; c < 4; c++) {
            double u = ts_rng_u01(&rs);
            if (w == 0)
                s[c] = u < pi;
            else if (s[4 * (w - 1) + c] == 1.0)
                s[4 * w + c] = u >= M->p_off;
            else
                s[4 * w + c] = u < M->p_on;
        }
    for (int j = 0; j < m; j++)
        p[j] = s[j];
    double *z = malloc((size_t)nn * sizeof *z);
    assert_non_null(z);
    for (int w = 0; w < n_win; w++) {
        redraw_normals(&rb, nn, z);
        double *Y = Yall + 64 * w;
        for (int ks = 0; ks < 32; ks++) {
            const int c = ks / 8, k = (ks + 16) % 32;
            const double amp = s[4 * w + c] ? sqrt(M->snr[c] * 32.0 / 2.0) : 0;
            double wr = 0, wi = 0; /* naive DFT of the noise at bin k */
            for (int n = 0; n < 32; n++) {
                const double a = -2.0 * PI * (double)(k * n % 32) / 32.0;
                const double xr = sqrt(0.5) * z[64 + 2 * n];
                const double xi = sqrt(0.5) * z[64 + 2 * n + 1];
                wr += xr * cos(a) - xi * sin(a);
                wi += xr * sin(a) + xi * cos(a);
            }
            Y[2 * ks] = amp * z[2 * ks] + wr;
            Y[2 * ks + 1] = amp * z[2 * ks + 1] + wi;
        }
        for (int i = 0; i < N; i++) {
            const double *zi = z + 128 + 64 * i;
            const double nu = sqrt(32.0 * M->rho[i] / 2.0);
            for (int c = 0; c < 4 && 4 * w + c < m; c++) {
                double x = 0;
                for (int b = 0; b < 8; b++) {
                    const int k = 8 * c + b;
                    const double re = Y[2 * k] + nu * zi[2 * k];
                    const double im = Y[2 * k + 1] + nu * zi[2 * k + 1];
                    x += re * re + im * im;
                }
                const double reading = M->g[i] * x / 32.0;
                const double xm = reading / (M->aware ? M->g[i] : 1.0);
                const double v0 = 1.0 + M->rho[i], v1 = v0 + M->snr[c];
                const double f1 = gamma8(xm, v1), f0 = gamma8(xm, v0);
                q[i * m + 4 * w + c] = pi * f1 / (pi * f1 + (1.0 - pi) * f0);
            }
        }
    }
    free(z);
}

/* Draw slots 0..slots-1 with the population and the reference; compare
 * p (exactly), q and the features. */
static void compare_with_reference(pop *P, const model *M, int m, long slots)
{
    const int N = M->N;
    for (long t = 0; t < slots; t++) {
        double p[MMAX], q[NMAX * MMAX], pr[MMAX], qr[NMAX * MMAX];
        double Y[4 * 64];
        pop_draw(P, t, m, p, q);
        reference(M, t, m, pr, qr, Y);
        assert_int_equal(ts_spectrum_last_m(P->st), m);
        for (int j = 0; j < m; j++) {
            if (p[j] != pr[j])
                fail_msg("slot %ld prompt %d: p = %g, reference %g", t, j,
                         p[j], pr[j]);
            int c;
            double db[8];
            ts_err e;
            assert_int_equal(ts_spectrum_prompt_db(P->st, j, &c, db, &e),
                             TS_OK);
            assert_int_equal(c, j % 4);
            for (int b = 0; b < 8; b++) {
                const double *y = Y + 64 * (j / 4) + 2 * (8 * c + b);
                CLOSE(db[b], 10.0 * log10((y[0] * y[0] + y[1] * y[1]) / 32.0),
                      1e-9);
            }
        }
        for (int i = 0; i < N; i++)
            for (int j = 0; j < m; j++)
                if (!(fabs(q[i * m + j] - qr[i * m + j]) <= 1e-11))
                    fail_msg("slot %ld SU %d prompt %d: q = %.17g, reference "
                             "%.17g", t, i, j, q[i * m + j], qr[i * m + j]);
    }
}

static void model_explicit(void **unused)
{
    (void)unused;
    enum { N = 3, m = 7 }; /* two windows, the second with 3 prompts */
    const double snr_db[4] = {2.5, -1.0, 4.0, 0.7};
    const double noise_db[N] = {-7.5, 1.3, 5.9};
    const double bias_db[N] = {0.0, 0.85, -1.4};
    for (int aware = 0; aware <= 1; aware++) {
        pop P;
        pop_open(&P, N, m);
        pop_set(&P, "p_on", 0.385);
        pop_set(&P, "p_off", 0.27);
        pop_set(&P, "bias_aware", aware);
        pop_set_vec(&P, "snr_db", snr_db, 4);
        pop_set_vec(&P, "su_noise_db", noise_db, N);
        pop_set_vec(&P, "su_bias_db", bias_db, N);
        pop_start(&P);
        model M = {.N = N, .p_on = 0.385, .p_off = 0.27, .aware = aware};
        for (int c = 0; c < 4; c++)
            M.snr[c] = lin(snr_db[c]);
        for (int i = 0; i < N; i++) {
            M.rho[i] = lin(noise_db[i]);
            M.g[i] = lin(bias_db[i]);
        }
        compare_with_reference(&P, &M, m, 60);
        pop_close(&P);
    }
}

static void model_defaults(void **unused)
{
    (void)unused;
    enum { N = 5, m = 8 };
    const double noise_db[N] = {-10, 0, 3, 6, 9};
    const double bias_db[N] = {0, 0.5, 1, 1.5, 2};
    pop P;
    pop_open(&P, N, m);
    pop_start(&P);
    model M = {.N = N, .p_on = 0.2, .p_off = 0.2, .aware = 0};
    for (int c = 0; c < 4; c++)
        M.snr[c] = lin(3.0);
    for (int i = 0; i < N; i++) {
        M.rho[i] = lin(noise_db[i]);
        M.g[i] = lin(bias_db[i]);
    }
    compare_with_reference(&P, &M, m, 40);
    pop_close(&P);
}

/* ------------------------------------------------------------------ */

static void features_text(void **unused)
{
    (void)unused;
    const double db[8] = {12.4, 9.0, 13.6, -0.3, 10.5, -INFINITY, 8.0, 7.49};
    char buf[200];
    int n = ts_spectrum_format(2, db, buf, sizeof buf);
    const char *want = "sub-band 3 (0 to 5 MHz), bin power in dB over the "
                       "noise floor: 12 9 14 0 11 -inf 8 7";
    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
    char small[10];
    n = ts_spectrum_format(0, db, small, sizeof small);
    assert_int_equal(strlen(small), 9); /* cut, NUL-terminated */
    assert_true(n > 9);

    pop P;
    pop_open(&P, 5, 6);
    pop_start(&P);
    ts_err e;
    int c;
    double d[8];
    assert_int_equal(ts_spectrum_last_m(P.st), 0);
    assert_int_equal(ts_spectrum_prompt_db(P.st, 0, &c, d, &e), TS_EINVAL);
    double p[6], q[30];
    pop_draw(&P, 4, 6, p, q);
    assert_int_equal(ts_spectrum_prompt_db(P.st, 6, &c, d, &e), TS_EINVAL);
    assert_non_null(strstr(e.msg, "prompt 6"));
    assert_int_equal(ts_spectrum_prompt_text(P.st, 5, buf, sizeof buf, &e),
                     TS_OK);
    assert_non_null(strstr(buf, "sub-band 2 (-5 to 0 MHz)"));
    pop_close(&P);
}

static void determinism(void **unused)
{
    (void)unused;
    enum { N = 5, m = 11 };
    pop P, Q;
    pop_open(&P, N, m);
    pop_open(&Q, N, m);
    pop_start(&P);
    pop_start(&Q);
    double p[m], q[N * m], p2[m], q2[N * m], p3[m], q3[N * m];
    for (long t = 0; t < 6; t++) {
        pop_draw(&P, t, m, p, q);
        pop_draw(&Q, 5 - t, m, p2, q2); /* another order */
        pop_draw(&Q, t, m, p2, q2);
        pop_draw(&P, t + 1, m, p3, q3);
        pop_draw(&P, t, m, p3, q3);     /* the same instance again */
        assert_memory_equal(p, p2, sizeof p);
        assert_memory_equal(q, q2, sizeof q);
        assert_memory_equal(p, p3, sizeof p);
        assert_memory_equal(q, q3, sizeof q);
        pop_draw(&P, t + 1, m, p3, q3);
        assert_true(memcmp(q, q3, sizeof q) != 0);
    }
    pop_close(&P);
    pop_close(&Q);
}

static void beliefs_in_unit(void **unused)
{
    (void)unused;
    enum { N = 4, m = 16 };
    const double snr_db[4] = {30, -30, 0, 15};
    const double noise_db[N] = {-40, 40, 0, -20};
    const double bias_db[N] = {20, -20, 0, 5};
    for (int aware = 0; aware <= 1; aware++) {
        pop P;
        pop_open(&P, N, m);
        pop_set(&P, "bias_aware", aware);
        pop_set(&P, "p_on", 1);
        pop_set(&P, "p_off", 0.01);
        pop_set_vec(&P, "snr_db", snr_db, 4);
        pop_set_vec(&P, "su_noise_db", noise_db, N);
        pop_set_vec(&P, "su_bias_db", bias_db, N);
        pop_start(&P);
        for (long t = 0; t < 200; t++) {
            double p[m], q[N * m];
            pop_draw(&P, t, m, p, q);
            for (int j = 0; j < m; j++)
                assert_true(p[j] == 0.0 || p[j] == 1.0);
            for (int k = 0; k < N * m; k++)
                if (!(q[k] >= 0.0 && q[k] <= 1.0))
                    fail_msg("q[%d] = %g at slot %ld", k, q[k], t);
        }
        pop_close(&P);
    }
}

/* ------------------------------------------------------------------ */
/* Calibration and losses by simulation.                               */

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

/* Largest |freq - mean q| / SE over bins with >= 200 draws. */
static double calib_worst(const calib *C)
{
    double worst = 0.0;
    for (int b = 0; b < NBIN; b++) {
        if (C->n[b] < 200)
            continue;
        double se = sqrt(C->sum_var[b]) / C->n[b];
        worst = fmax(worst, fabs(C->sum_p[b] - C->sum_q[b]) / C->n[b] / se);
    }
    return worst;
}

typedef struct sim {
    calib cal[NMAX];
    double loss[NMAX];   /* mean (q - p)^2 per SU                         */
    double busy, n;      /* prompts busy, prompts                         */
    double on, off, from_off, from_on; /* window-to-window transitions   */
} sim;

static void simulate(pop *P, long slots, sim *S)
{
    const int N = P->g.N, m = P->g.m;
    memset(S, 0, sizeof *S);
    double p[MMAX], q[NMAX * MMAX];
    for (long t = 0; t < slots; t++) {
        pop_draw(P, t, m, p, q);
        for (int j = 0; j < m; j++) {
            S->busy += p[j];
            S->n += 1;
            if (j >= 4) { /* the previous window's state of the channel */
                if (p[j - 4] == 1.0) {
                    S->from_on += 1;
                    S->off += p[j] == 0.0;
                } else {
                    S->from_off += 1;
                    S->on += p[j] == 1.0;
                }
            }
            for (int i = 0; i < N; i++) {
                const double x = q[i * m + j];
                calib_add(&S->cal[i], x, p[j]);
                S->loss[i] += (x - p[j]) * (x - p[j]);
            }
        }
    }
    for (int i = 0; i < N; i++)
        S->loss[i] /= S->n;
}

static void calibration(void **unused)
{
    (void)unused;
    enum { N = 5, m = 8 };
    /* Bias known, windows independent (p_on + p_off = 1): all calibrated. */
    pop P;
    pop_open(&P, N, m);
    pop_set(&P, "bias_aware", 1);
    pop_set(&P, "p_on", 0.385);
    pop_set(&P, "p_off", 0.615);
    pop_start(&P);
    sim S;
    simulate(&P, 20000, &S);
    for (int i = 0; i < N; i++) {
        double z = calib_worst(&S.cal[i]);
        if (!(z <= 4.5))
            fail_msg("bias_aware: SU %d is off calibration by %.2f SE", i + 1,
                     z);
    }
    /* Occupancy: P(busy) = p_on / (p_on + p_off) = 0.385, and transitions. */
    CLOSE(S.busy / S.n, 0.385, 4.5 * sqrt(0.385 * 0.615 / S.n));
    CLOSE(S.on / S.from_off, 0.385, 4.5 * sqrt(0.385 * 0.615 / S.from_off));
    CLOSE(S.off / S.from_on, 0.615, 4.5 * sqrt(0.385 * 0.615 / S.from_on));
    pop_close(&P);

    /* Defaults: a sticky chain, bias unknown.  SU 1 (no bias) calibrated,
     * SU 5 (2 dB) refused by the same check. */
    pop_open(&P, N, m);
    pop_start(&P);
    simulate(&P, 20000, &S);
    CLOSE(S.off / S.from_on, 0.2, 4.5 * sqrt(0.2 * 0.8 / S.from_on));
    CLOSE(S.on / S.from_off, 0.2, 4.5 * sqrt(0.2 * 0.8 / S.from_off));
    double z1 = calib_worst(&S.cal[0]), z5 = calib_worst(&S.cal[4]);
    if (!(z1 <= 4.5))
        fail_msg("SU 1 is off calibration by %.2f SE", z1);
    if (!(z5 > 10.0))
        fail_msg("SU 5's bias went unnoticed (%.2f SE)", z5);
    /* The more precise SU has the smaller loss. */
    for (int i = 1; i < N; i++)
        if (!(S.loss[i - 1] < S.loss[i]))
            fail_msg("loss of SU %d = %g is not below SU %d's %g", i,
                     S.loss[i - 1], i + 1, S.loss[i]);
    CLOSE(S.loss[0], 0.056, 0.005);
    pop_close(&P);
}

/* ------------------------------------------------------------------ */

static void expect_refusal(pop *P, const char *needle)
{
    ts_err e;
    int rc = pop_try_start(P, &e);
    if (rc != TS_EINPUT)
        fail_msg("expected a refusal naming '%s', got rc %d", needle, rc);
    if (!strstr(e.msg, needle))
        fail_msg("message '%s' does not name '%s'", e.msg, needle);
    pop_close(P);
}

static void refusals(void **unused)
{
    (void)unused;
    const double three[3] = {1, 2, 3}, five[5] = {0, 1, 2, 3, 4};
    const double bad_snr[4] = {0, 0, 31, 0};
    pop P;
    pop_open(&P, 5, 8);
    pop_set_vec(&P, "snr_db", three, 3);
    expect_refusal(&P, "'snr_db' has 3 numbers but needs 4");
    pop_open(&P, 4, 8);
    pop_set_vec(&P, "su_noise_db", five, 5);
    expect_refusal(&P, "'su_noise_db' has 5 numbers but needs 4");
    pop_open(&P, 6, 8);
    pop_set_vec(&P, "su_bias_db", five, 5);
    expect_refusal(&P, "'su_bias_db' has 5 numbers but needs 6");
    pop_open(&P, 5, 8);
    pop_set_vec(&P, "snr_db", bad_snr, 4);
    expect_refusal(&P, "snr_db[2] = 31");
    pop_open(&P, 5, 8);
    pop_set(&P, "p_on", 0);
    expect_refusal(&P, "p_on = 0");
    pop_open(&P, 5, 8);
    pop_set(&P, "p_off", 1.5);
    expect_refusal(&P, "p_off = 1.5");
    pop_open(&P, 5, 8);
    pop_set(&P, "bias_aware", 0.5);
    expect_refusal(&P, "bias_aware");
}

/* ------------------------------------------------------------------ */
/* The reader.                                                          */

typedef struct tmpdir {
    char dir[64];
    char path[8][128];
    int n;
} tmpdir;

static const char *tmp_path(tmpdir *D, const char *name)
{
    assert_true(D->n < 8);
    char *out = D->path[D->n++];
    const size_t ld = strlen(D->dir), ln = strlen(name);
    assert_true(ld + 1 + ln < sizeof D->path[0]);
    memcpy(out, D->dir, ld);
    out[ld] = '/';
    memcpy(out + ld + 1, name, ln + 1);
    return out;
}

/* Write n floats little-endian, byte by byte (any host order). */
static void write_floats(const char *path, const float *v, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    for (size_t k = 0; k < n; k++) {
        uint32_t u;
        memcpy(&u, &v[k], 4);
        for (int b = 0; b < 4; b++)
            assert_int_equal(fputc((int)((u >> (8 * b)) & 0xFFu), fp) != EOF,
                             1);
    }
    assert_int_equal(fclose(fp), 0);
}

/* Three windows: a tone of amplitude A at shifted bin 19 (sub-band 3,
 * unshifted bin 3, 1.875 MHz), one at shifted bin 2 (sub-band 1, -8.75
 * MHz), then silence.  Non-round amplitudes and phases. */
enum { NW = 3 };
static const double TONE_A[2] = {0.385, 1.27};

static void tone_windows(float *iq)
{
    const int bin[2] = {3, (2 + 16) % 32}; /* unshifted */
    const double phase[2] = {0.7, -2.1};
    for (int w = 0; w < 2; w++)
        for (int n = 0; n < 32; n++) {
            double a = 2.0 * PI * bin[w] * n / 32.0 + phase[w];
            iq[64 * w + 2 * n] = (float)(TONE_A[w] * cos(a));
            iq[64 * w + 2 * n + 1] = (float)(TONE_A[w] * sin(a));
        }
    for (int k = 0; k < 64; k++)
        iq[128 + k] = 0.0f;
}

static void reader_roundtrip(void **unused)
{
    (void)unused;
    tmpdir D = {.dir = "/tmp/test_spectrum_XXXXXX"};
    assert_non_null(mkdtemp(D.dir));
    float iq[NW * 64];
    tone_windows(iq);
    const char *path = tmp_path(&D, "0010_day1.bin");
    write_floats(path, iq, NW * 64);

    ts_spectrum_file f;
    ts_err e;
    if (ts_spectrum_file_read(&f, path, 1 << 20, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(f.n_win, NW);
    assert_int_equal(f.day, 1);
    const int busy[4] = {0, 0, 1, 0};
    assert_memory_equal(f.busy, busy, sizeof busy);
    assert_memory_equal(f.iq, iq, sizeof iq); /* bit for bit */
    const int band[2] = {2, 0};
    for (int w = 0; w < 2; w++) {
        const double E = 32.0 * 32.0 * TONE_A[w] * TONE_A[w] / 8.0;
        for (int c = 0; c < 4; c++) {
            if (c == band[w])
                CLOSE(f.energy[4 * w + c], E, 1e-5 * E);
            else if (!(f.energy[4 * w + c] < 1e-9 * E))
                fail_msg("window %d: sub-band %d holds %g of %g", w, c + 1,
                         f.energy[4 * w + c], E);
        }
    }
    for (int c = 0; c < 4; c++)
        assert_true(f.energy[8 + c] == 0.0);
    ts_spectrum_file_free(&f);

    /* In steps of two windows: 2, 1, then 0. */
    ts_spectrum_reader r;
    if (ts_spectrum_reader_open(&r, path, 768, &e)) /* cap = the size */
        fail_msg("%s", e.msg);
    float buf[2 * 64];
    long got, at = 0;
    const long want[3] = {2, 1, 0};
    for (int step = 0; step < 3; step++) {
        assert_int_equal(ts_spectrum_reader_next(&r, buf, 2, &got, &e), TS_OK);
        assert_int_equal(got, want[step]);
        assert_memory_equal(buf, iq + 64 * at, (size_t)got * 64 * sizeof *buf);
        at += got;
    }
    ts_spectrum_reader_close(&r);

    for (int k = 0; k < D.n; k++)
        remove(D.path[k]);
    rmdir(D.dir);
}

static void expect_bad_file(const char *path, size_t cap, int code,
                            const char *needle)
{
    ts_spectrum_file f;
    ts_err e;
    ts_err_clear(&e);
    int rc = ts_spectrum_file_read(&f, path, cap, &e);
    if (rc != code)
        fail_msg("%s: rc %d, expected %d (%s)", path, rc, code, e.msg);
    if (strncmp(e.msg, path, strlen(path)) != 0 || !strstr(e.msg, needle))
        fail_msg("message '%s' should start with '%s' and name '%s'", e.msg,
                 path, needle);
    assert_null(f.iq);
    assert_null(f.energy);
}

static void reader_refusals(void **unused)
{
    (void)unused;
    int busy[4], day;
    ts_err e;
    const char *bad[] = {"1201_day1.bin", "110_day1.bin", "11011_day1.bin",
                         "1101_day.bin",  "1101_day0.bin", "1101_day2.dat",
                         "1101_Day2.bin", "1101_day2.bin.gz", "x",
                         "1101_day-2.bin", "1101_day1234567.bin"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        if (ts_spectrum_parse_name(bad[k], busy, &day, &e) != TS_EINPUT)
            fail_msg("name '%s' was accepted", bad[k]);
        assert_non_null(strstr(e.msg, "MASK_dayD.bin"));
    }
    assert_int_equal(ts_spectrum_parse_name("/data/x_1/1101_day12.bin", busy,
                                            &day, &e), TS_OK);
    const int want[4] = {1, 1, 0, 1};
    assert_memory_equal(busy, want, sizeof want);
    assert_int_equal(day, 12);

    tmpdir D = {.dir = "/tmp/test_spectrum_XXXXXX"};
    assert_non_null(mkdtemp(D.dir));
    float iq[NW * 64];
    tone_windows(iq);

    expect_bad_file(tmp_path(&D, "1111_day1.bin"), 1 << 20, TS_EIO,
                    "cannot open"); /* missing */
    const char *odd = tmp_path(&D, "0001_day1.bin");
    write_floats(odd, iq, 75); /* 300 bytes */
    expect_bad_file(odd, 1 << 20, TS_EINPUT, "300 bytes is not a whole number");
    const char *empty = tmp_path(&D, "0000_day1.bin");
    write_floats(empty, iq, 0);
    expect_bad_file(empty, 1 << 20, TS_EINPUT, "empty");
    const char *big = tmp_path(&D, "0011_day2.bin");
    write_floats(big, iq, NW * 64);
    expect_bad_file(big, 767, TS_EINPUT, "768 bytes is over the cap of 767");
    iq[64 + 2 * 5 + 1] = NAN; /* window 1, sample 37, Q */
    const char *nan = tmp_path(&D, "0100_day3.bin");
    write_floats(nan, iq, NW * 64);
    expect_bad_file(nan, 1 << 20, TS_ENONFINITE, "sample 37 (window 1) has Q");
    tone_windows(iq);
    iq[130] = -INFINITY; /* window 2, sample 65, I */
    const char *inf = tmp_path(&D, "0101_day3.bin");
    write_floats(inf, iq, NW * 64);
    expect_bad_file(inf, 1 << 20, TS_ENONFINITE, "sample 65 (window 2) has I");
    const char *dir = tmp_path(&D, "0110_day4.bin");
    assert_int_equal(mkdir(dir, 0700), 0);
    expect_bad_file(dir, 1 << 20, TS_EIO, "not a regular file");
    expect_bad_file("/nonexistent/1101_dayX.bin", 1 << 20, TS_EINPUT,
                    "MASK_dayD.bin");

    rmdir(dir);
    for (int k = 0; k < D.n; k++)
        remove(D.path[k]);
    rmdir(D.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_explicit),
        cmocka_unit_test(model_defaults),
        cmocka_unit_test(features_text),
        cmocka_unit_test(determinism),
        cmocka_unit_test(beliefs_in_unit),
        cmocka_unit_test(calibration),
        cmocka_unit_test(refusals),
        cmocka_unit_test(reader_roundtrip),
        cmocka_unit_test(reader_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

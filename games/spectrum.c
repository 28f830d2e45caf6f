/* spectrum.c -- population `spectrum` (paper Sec. VII-B; SPEC §3, §6): a
 * synthetic wideband sensing scene with the layout of DeepSense's "SDR
 * 802.11 a/g" set, whose secondary users (SUs) are the workers.
 *
 * Scene (games/spectrum.h has the layout).  Four channels c = 0..3, one
 * primary user (PU) each.  A slot of m prompts covers n_win = ceil(m/4)
 * consecutive windows of 32 complex samples; prompt j is window j / 4,
 * channel j mod 4, and its true state p_j = s_{w,c} is 1 when the PU of
 * channel c transmits in window w.
 *
 * Occupancy.  A two-state Markov chain per channel over the windows of a
 * slot: P(idle -> busy) = p_on, P(busy -> idle) = p_off; the first window
 * of every slot is drawn from the stationary law P(busy) = pi =
 * p_on / (p_on + p_off), so each window is Bernoulli(pi) on its own and the
 * slot's windows are correlated (mean busy run 1/p_off windows).  The
 * chain restarts every slot so that slot t, like every population's, is a
 * pure function of the streams the engine positions at t (game.h): the
 * analyses draw slots on their own and replicas are rerun alone, so
 * nothing may be carried from one slot to the next.
 * p_on + p_off = 1 makes the windows independent with base rate p_on.
 *
 * Window.  Units: receiver noise power 1 per complex sample, so the noise
 * power per FFT bin is n0 = 32.  A busy channel emits an OFDM-like signal:
 * independent complex Gaussians X_k ~ CN(0, snr_c n0) on the 8 bins of its
 * sub-band (many sub-carriers make an OFDM symbol's spectrum near
 * Gaussian; the tones are bin-aligned, so nothing leaks into other
 * sub-bands); the time series is x = IDFT(X) (GSL, normalised 1/32), the
 * receiver adds white noise w_n ~ CN(0, 1), and the features are
 * Y = fftshift(DFT(x + w)) (ts_spectrum_fft).  Hence, up to rounding,
 * Y_k = X_k + W_k with W_k ~ CN(0, n0) independent over k: given s_{w,c},
 * Y_k ~ CN(0, n0 (1 + snr_c s_{w,c})).
 *
 * Secondary users.  SU i measures every bin through its own front end,
 * Y_ik = Y_k + nu_ik with nu_ik ~ CN(0, n0 rho_i) (rho_i = su_noise_db in
 * linear units), sums the sub-band's energy
 *     x_ic = (1/n0) sum_{k in c} |Y_ik|^2 ~ Gamma(K = 8, scale v_s),
 *     v_0 = 1 + rho_i,  v_1 = 1 + rho_i + snr_c                   (exact),
 * and reads it through a gain error g_i = 10^(b_i / 10) (b_i = su_bias_db):
 * the reading is e_ic = g_i x_ic.  Its belief is the posterior under the
 * model it holds, which is the true one with gain g'_i = g_i if it knows
 * its bias (bias_aware = 1) or g'_i = 1 if it does not (bias_aware = 0):
 *     LLR = log Gamma(x'; K, v_1) - log Gamma(x'; K, v_0)
 *         = K ln(v_0 / v_1) + x' (1/v_0 - 1/v_1),   x' = e_ic / g'_i,
 *     q_ij = logistic(logit pi + LLR).
 * With bias_aware = 1 (or b_i = 0) the belief is P(p_j = 1 | e_ic) exactly,
 * hence calibrated, as in `signals`; an SU unaware of a bias b_i > 0 sees
 * busy channels too often.  Each SU uses its current reading only (the
 * Bayesian posterior given that reading; the chain's memory is not used).
 * SUs share the receiver's Y, so their errors are correlated, as in a
 * data set where every SU senses the same recorded signal.
 *
 * Defaults (N SUs, best first, as `signals`): su_noise_db -10 for SU 1,
 * then evenly 0 .. 9 dB for SUs 2..N (4.5 at N = 2); su_bias_db 0 for SU
 * 1, then evenly 0.5 .. 2 dB (1.25 at N = 2); snr_db 3 dB on every channel;
 * p_on = p_off = 0.2 (pi = 1/2); bias_aware 0.  At N = 5 the expected
 * squared losses are about 0.056, 0.13, 0.19, 0.24, 0.27 (Monte Carlo).
 *
 * Randomness (game.h): the `state` stream gives 4 uniforms per window
 * (window 0: s < pi; later windows: the chain's step); the `belief` stream
 * gives, window after window, 2 (64 + 32 N) standard normals by
 * Box-Muller from 3 (64 + 32 N) uniforms: the 32 signal bins (re, im;
 * idle channels' normals are drawn and unused, so the layout is fixed),
 * the 32 noise samples, then the 32 bins of SU 1, ..., SU N.  Slot t is a
 * pure function of (seed, point, replica, t).
 *
 * After draw() the state holds the slot's shifted spectra, read by
 * ts_spectrum_prompt_db/_text (the DPO loop's prompt features).
 *
 * The population that plays the DeepSense files' windows instead of
 * drawing them is `deepsense` (games/deepsense.c).  Left out: replica
 * lanes.
 *
 * Symbols: N SUs (workers), m prompts, p[m] true states, q[N][m] beliefs,
 * s[n_win][4] occupancy, pi stationary P(busy), K bins per sub-band, n0
 * noise per bin, rho_i, g_i SU noise and gain, v_0, v_1 energy scales. */
#include "games/spectrum.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fft_complex.h>
#include <math.h>
#include <stdio.h>

#include "games/games.h"
#include "games/pop_util.h"

enum {
    P_P_ON,
    P_P_OFF,
    P_SNR_DB,
    P_SU_NOISE_DB,
    P_SU_BIAS_DB,
    P_BIAS_AWARE,
    P_COUNT
};

static const ts_param_spec params[P_COUNT] = {
    [P_P_ON] = {"p_on", 0, 1, TS_PARAM_LO_OPEN,
                "P(idle -> busy) from one window to the next, per channel "
                "[0.2]"},
    [P_P_OFF] = {"p_off", 0, 1, TS_PARAM_LO_OPEN,
                 "P(busy -> idle) from one window to the next, per channel "
                 "[0.2]"},
    [P_SNR_DB] = {"snr_db", -30, 30, TS_PARAM_VEC,
                  "busy channel's signal power per FFT bin over the "
                  "receiver noise, dB, 4 numbers [3, 3, 3, 3]"},
    [P_SU_NOISE_DB] = {"su_noise_db", -40, 40, TS_PARAM_VEC,
                       "each SU's own noise per bin over the receiver "
                       "noise, dB, N numbers [-10, then 0 up to 9]"},
    [P_SU_BIAS_DB] = {"su_bias_db", -20, 20, TS_PARAM_VEC,
                      "each SU's gain error on its energy reading, dB, N "
                      "numbers [0, then 0.5 up to 2]"},
    [P_BIAS_AWARE] = {"bias_aware", 0, 1, TS_PARAM_INT,
                      "1: each SU knows its bias (every belief calibrated); "
                      "0: it believes it has none [0]"},
};

#define N0 32.0 /* noise power per bin: 32 samples of power 1 (header) */

enum {
    C = TS_SPEC_CHANNELS,
    W = TS_SPEC_WINDOW,
    K = TS_SPEC_BINS,
    N_SHARED = 4 * TS_SPEC_WINDOW, /* normals of signal and noise, a window */
};

typedef struct spectrum_state {
    int N, n_win_max, m_last;
    double pi, logit_pi, p_on, p_off;
    double snr[C];            /* linear, per channel                        */
    size_t nn;                /* normals per window, N_SHARED + 2 W N       */
    /* Offsets into w[] (the state is flat and pointer-free):
     * A[N][4], B[N][4] belief coefficients, q = logistic(A + B x);
     * nu[N] SU noise amplitude sqrt(n0 rho / 2); s[n_win_max][4] the
     * slot's occupancy; Y[n_win_max][64] its shifted spectra; then one
     * window's scratch, u[3 nn / 2] uniforms and z[nn] normals. */
    size_t oA, oB, onu, os, oY, ou, oz;
    double w[];
} spectrum_state;

/* ------------------------------------------------------------------ */
/* Features (spectrum.h).                                               */

int ts_spectrum_fft(const double *iq, double *Y)
{
    if (Y != iq)
        for (int k = 0; k < 2 * W; k++)
            Y[k] = iq[k];
    if (gsl_fft_complex_radix2_forward(Y, 1, W) != GSL_SUCCESS)
        return TS_EINVAL;
    /* fftshift for an even length swaps the halves: DC to bin 16. */
    for (int k = 0; k < W; k++) {
        double tmp = Y[k];
        Y[k] = Y[k + W];
        Y[k + W] = tmp;
    }
    return TS_OK;
}

void ts_spectrum_subband_db(const double *Y, int c, double n0,
                            double db[TS_SPEC_BINS])
{
    for (int b = 0; b < K; b++) {
        const int k = K * c + b;
        const double P = Y[2 * k] * Y[2 * k] + Y[2 * k + 1] * Y[2 * k + 1];
        db[b] = 10.0 * log10(P / n0);
    }
}

int ts_spectrum_format(int c, const double db[TS_SPEC_BINS], char *buf,
                       size_t len)
{
    char tmp[256];
    int n = snprintf(tmp, sizeof tmp,
                     "sub-band %d (%d to %d MHz), bin power in dB over the "
                     "noise floor:",
                     c + 1, -10 + 5 * c, -5 + 5 * c);
    for (int b = 0; b < K && n > 0 && (size_t)n < sizeof tmp; b++) {
        if (isfinite(db[b]))
            n += snprintf(tmp + n, sizeof tmp - (size_t)n, " %.0f",
                          round(db[b]) + 0.0); /* halves away from 0; no "-0" */
        else
            n += snprintf(tmp + n, sizeof tmp - (size_t)n, " %s",
                          db[b] > 0 ? "inf" : "-inf");
    }
    return snprintf(buf, len, "%s", tmp);
}

int ts_spectrum_last_m(const void *vst)
{
    return ((const spectrum_state *)vst)->m_last;
}

int ts_spectrum_prompt_db(const void *vst, int j, int *c,
                          double db[TS_SPEC_BINS], ts_err *e)
{
    const spectrum_state *st = vst;
    if (j < 0 || j >= st->m_last)
        return TS_ERROR(e, TS_EINVAL,
                        "spectrum: prompt %d is not one of the %d of the slot "
                        "drawn last",
                        j, st->m_last);
    *c = j % C;
    ts_spectrum_subband_db(st->w + st->oY + (size_t)(j / C) * 2 * W, *c, N0,
                           db);
    return TS_OK;
}

int ts_spectrum_prompt_text(const void *st, int j, char *buf, size_t len,
                            ts_err *e)
{
    int c;
    double db[K];
    int rc = ts_spectrum_prompt_db(st, j, &c, db, e);
    if (rc)
        return rc;
    ts_spectrum_format(c, db, buf, len);
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Parameters.                                                          */

static void defaults(const ts_shape *g, ts_params *p)
{
    (void)g;
    if (!p->set[P_P_ON])
        p->v[P_P_ON] = 0.2;
    if (!p->set[P_P_OFF])
        p->v[P_P_OFF] = 0.2;
    if (!p->set[P_BIAS_AWARE])
        p->v[P_BIAS_AWARE] = 0;
    /* The vectors' defaults are applied in init (a ts_params cannot own a
     * vector): see ts_spectrum_default_noise_db and _bias_db. */
}

int ts_spectrum_check_len(const char *pop, const ts_param_spec *spec,
                          const ts_params *p, int k, int want,
                          const char *what, ts_err *e)
{
    if ((p->set[k] || p->len[k] > 0) && p->len[k] != want)
        return TS_ERROR(e, TS_EINPUT,
                        "%s: '%s' has %d numbers but needs %d (%s)", pop,
                        spec[k].name, p->len[k], want, what);
    return TS_OK;
}

static int check_len(const ts_params *p, int k, int want, const char *what,
                     ts_err *e)
{
    return ts_spectrum_check_len("spectrum", params, p, k, want, what, e);
}

static int check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    int rc = check_len(p, P_SNR_DB, C, "one per channel", e);
    if (!rc)
        rc = check_len(p, P_SU_NOISE_DB, g->N, "one per SU, N", e);
    if (!rc)
        rc = check_len(p, P_SU_BIAS_DB, g->N, "one per SU, N", e);
    return rc;
}

static double from_db(double db) { return pow(10.0, db / 10.0); }

/* The documented default rules, SU i 0-based (spectrum.h). */
static double default_noise_db(int N, int i)
{
    if (i == 0)
        return -10.0;
    return N > 2 ? 9.0 * (double)(i - 1) / (double)(N - 2) : 4.5;
}

static double default_bias_db(int N, int i)
{
    if (i == 0)
        return 0.0;
    return N > 2 ? 0.5 + 1.5 * (double)(i - 1) / (double)(N - 2) : 1.25;
}

void ts_spectrum_su_noise_gain(const ts_params *p, int k_noise, int k_bias,
                               int N, int i, double *rho, double *g)
{
    *rho = from_db(p->len[k_noise] == N ? p->vec[k_noise][i]
                                        : default_noise_db(N, i));
    *g = from_db(p->len[k_bias] == N ? p->vec[k_bias][i]
                                     : default_bias_db(N, i));
}

/* ------------------------------------------------------------------ */
/* State.                                                               */

static size_t normals_per_window(int N)
{
    return N_SHARED + 2 * (size_t)W * (size_t)N;
}

static size_t state_size(const ts_shape *g)
{
    const size_t N = (size_t)g->N, nw = ((size_t)g->m + C - 1) / C;
    const size_t nn = normals_per_window(g->N);
    return sizeof(spectrum_state) +
           (2 * C * N + N + C * nw + 2 * W * nw + 3 * nn / 2 + nn) *
               sizeof(double);
}

static void carve(spectrum_state *st)
{
    const size_t N = (size_t)st->N, nw = (size_t)st->n_win_max;
    st->nn = normals_per_window(st->N);
    st->oA = 0;
    st->oB = st->oA + C * N;
    st->onu = st->oB + C * N;
    st->os = st->onu + N;
    st->oY = st->os + C * nw;
    st->ou = st->oY + 2 * W * nw;
    st->oz = st->ou + 3 * st->nn / 2;
}

static int init(void *vst, const ts_shape *g, const ts_params *p, ts_err *e)
{
    spectrum_state *st = vst;
    const int N = g->N;
    st->N = N;
    st->n_win_max = (g->m + C - 1) / C;
    st->m_last = 0;
    st->p_on = p->v[P_P_ON];
    st->p_off = p->v[P_P_OFF];
    st->pi = st->p_on / (st->p_on + st->p_off);
    st->logit_pi = log(st->p_on) - log(st->p_off);
    carve(st);
    for (int c = 0; c < C; c++)
        st->snr[c] = from_db(p->len[P_SNR_DB] == C ? p->vec[P_SNR_DB][c] : 3.0);
    const int aware = (int)p->v[P_BIAS_AWARE];
    double *A = st->w + st->oA, *B = st->w + st->oB, *nu = st->w + st->onu;
    for (int i = 0; i < N; i++) {
        double rho, g_i;
        ts_spectrum_su_noise_gain(p, P_SU_NOISE_DB, P_SU_BIAS_DB, N, i, &rho,
                                  &g_i);
        /* The reading e = g_i x is divided by the gain the SU believes in. */
        const double gain = aware ? 1.0 : g_i;
        const double v0 = 1.0 + rho;
        nu[i] = sqrt(N0 * rho / 2.0);
        for (int c = 0; c < C; c++) {
            const double v1 = v0 + st->snr[c];
            /* K ln(v0/v1) = -K log1p(snr/v0); 1/v0 - 1/v1 = snr/(v0 v1). */
            A[C * i + c] = st->logit_pi - K * log1p(st->snr[c] / v0);
            B[C * i + c] = gain * st->snr[c] / (v0 * v1);
        }
    }
    (void)e;
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* One slot.                                                            */

/* n (even) standard normals into z from 3n/2 uniforms of the stream
 * (pop_box_muller: 53-bit uniforms for the tails, SPEC §1). */
static void draw_normals(ts_rng *g, double *u, size_t n, double *z)
{
    ts_rng_fill_u01(g, u, 3 * n / 2);
    pop_box_muller(u, n, z);
}

/* s[n_win][4]: the occupancy chain of the slot, 4 uniforms per window. */
static void draw_occupancy(const spectrum_state *st, int n_win, ts_rng *g,
                           double *s)
{
    ts_rng_fill_u01(g, s, (size_t)C * (size_t)n_win);
    for (int c = 0; c < C; c++)
        s[c] = s[c] < st->pi ? 1.0 : 0.0;
    for (int w = 1; w < n_win; w++)
        for (int c = 0; c < C; c++) {
            const double u = s[C * w + c];
            s[C * w + c] = s[C * (w - 1) + c] == 1.0
                               ? (u < st->p_off ? 0.0 : 1.0)
                               : (u < st->p_on ? 1.0 : 0.0);
        }
}

/* One window: the PUs' signal on the busy channels' bins from z[0..63]
 * (shifted bin k' takes z[2k'], z[2k'+1]), its time series, the receiver
 * noise from z[64..127], and the shifted spectrum Y[64]. */
static int draw_window(const spectrum_state *st, const double *busy,
                       const double *z, double *Y)
{
    double x[2 * W];
    for (int c = 0; c < C; c++) {
        const double amp = busy[c] == 1.0 ? sqrt(st->snr[c] * N0 / 2.0) : 0.0;
        for (int b = 0; b < K; b++) {
            const int ks = K * c + b, k = (ks + W / 2) % W; /* unshifted */
            x[2 * k] = amp * z[2 * ks];
            x[2 * k + 1] = amp * z[2 * ks + 1];
        }
    }
    if (gsl_fft_complex_radix2_inverse(x, 1, W) != GSL_SUCCESS)
        return TS_EINVAL;
    const double a = sqrt(0.5); /* CN(0, 1): variance 1/2 per component */
    for (int k = 0; k < 2 * W; k++)
        x[k] += a * z[2 * W + k];
    return ts_spectrum_fft(x, Y);
}

void ts_spectrum_su_beliefs(const ts_spectrum_sus *su, int w, int m,
                            const double *Y, const double *zs, double *q)
{
    for (int i = 0; i < su->N; i++) {
        const double *zi = zs + (size_t)i * 2 * W;
        for (int c = 0; c < C && C * w + c < m; c++) {
            double x = 0.0;
            for (int b = 0; b < K; b++) {
                const int k = K * c + b;
                const double re = Y[2 * k] + su->nu[i] * zi[2 * k];
                const double im = Y[2 * k + 1] + su->nu[i] * zi[2 * k + 1];
                x += re * re + im * im;
            }
            q[(size_t)i * (size_t)m + (size_t)(C * w + c)] =
                su->fixed && su->fixed[c] >= 0
                    ? su->fixed[c]
                    : pop_logistic(su->A[C * i + c] +
                                   su->B[C * i + c] * (x / su->n0));
        }
    }
}

static int draw(void *vst, long t, int m, ts_rng *state, ts_rng *belief,
                double *p, double *q)
{
    (void)t;
    spectrum_state *st = vst;
    const int n_win = (m + C - 1) / C;
    double *s = st->w + st->os, *z = st->w + st->oz;
    st->m_last = 0; /* until the slot is complete */
    draw_occupancy(st, n_win, state, s);
    for (int j = 0; j < m; j++)
        p[j] = s[j];
    for (int w = 0; w < n_win; w++) {
        double *Y = st->w + st->oY + (size_t)w * 2 * W;
        draw_normals(belief, st->w + st->ou, st->nn, z);
        int rc = draw_window(st, s + C * w, z, Y);
        if (rc)
            return rc;
        const ts_spectrum_sus su = {st->N, st->w + st->oA, st->w + st->oB,
                                    st->w + st->onu, N0, NULL};
        ts_spectrum_su_beliefs(&su, w, m, Y, z + N_SHARED, q);
    }
    st->m_last = m;
    return TS_OK;
}

const ts_population_type ts_pop_spectrum = {
    .name = "spectrum",
    .params = params,
    .n_params = P_COUNT,
    .defaults = defaults,
    .check = check,
    .state_size = state_size,
    .init = init,
    .draw = draw,
    .prompt_text = ts_spectrum_prompt_text,
};

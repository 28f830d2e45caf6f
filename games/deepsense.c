/* deepsense.c -- population `deepsense` (paper Sec. VII-B; SPEC §3, §6):
 * the secondary users (SUs) of `spectrum` sensing the real windows of
 * DeepSense's "SDR 802.11 a/g" files instead of a synthetic scene.
 *
 * Windows.  The files of a directory (games/spectrum.h, ts_spectrum_set,
 * read once by the caller and attached after init) give n_win windows of
 * 32 complex samples, each with its file's 4-bit mask.  A slot of m
 * prompts covers ceil(m/4) windows drawn uniformly, with replacement,
 * from all of them; prompt j is window j / 4, channel j mod 4, and its
 * true state p_j is the mask bit of channel j mod 4 -- the data set's own
 * label: the file's transmitters were on or off for the whole recording.
 * The paper (Sec. VII-B) takes its rounds in time order; drawing windows
 * makes slot t a pure function of the streams positioned at t (game.h),
 * like every population's, and mixes the files' masks within a slot
 * (each file has one mask).
 *
 * Features.  Y = fftshift(DFT(iq)) of the window's samples as stored
 * (ts_spectrum_fft), bin powers in dB over the set's noise floor n0 (the
 * mean bin power of the sub-bands the masks call idle) -- the code and
 * text of `spectrum`'s prompts, so the policy reads both alike.
 *
 * Secondary users.  As in `spectrum` (games/spectrum.c): SU i measures
 * every bin through its own front end, Y_ik = Y_k + nu_ik with nu_ik ~
 * CN(0, n0 rho_i), sums the sub-band's energy x_ic = (1/n0) sum_{k in c}
 * |Y_ik|^2 and reads e_ic = g_i x_ic.  Its model of x_ic is the synthetic
 * scene's Gamma(K = 8, scale v_s), with the scale the data set shows:
 *     v_s = V_{s,c} + rho_i,
 * V_{s,c} the mean bin power over n0 of sub-band c in the windows where
 * channel c is idle (s = 0) or busy (s = 1) -- what an SU calibrated on
 * the labelled files believes (SPEC §6: beliefs from its own noisy energy
 * measurement).  Its belief is the posterior under that model and the
 * prior pi_c, the fraction of windows with channel c busy:
 *     q_ij = logistic(logit pi_c + K ln(v_0/v_1) + x' (1/v_0 - 1/v_1)),
 * x' = e_ic / g'_i, g'_i = g_i if it knows its bias (bias_aware = 1), 1
 * if not.  Real bins are not exactly complex Gaussian, so the beliefs are
 * calibrated only as far as the Gamma model fits (OFDM bins nearly are).
 * A channel busy in no window or in every one has pi_c = 0 or 1 and no
 * scale for the other state: every SU then believes pi_c, which is right.
 *
 * Parameters and defaults: su_noise_db, su_bias_db and bias_aware as
 * `spectrum`'s (spectrum.h, ts_spectrum_su_noise_gain); the
 * scene's snr_db, p_on and p_off are the data's.
 *
 * Randomness (game.h): the `state` stream gives one ts_rng_below per
 * window (its index); the `belief` stream gives, window after window,
 * 2 W N standard normals by Box-Muller from 3 W N uniforms: the 32 bins
 * (re, im) of SU 1, ..., SU N.  Slot t is a pure function of (seed,
 * point, replica, t) and the set.
 *
 * Symbols: N SUs, m prompts, p[m] true states, q[N][m] beliefs, n0 noise
 * floor, K bins per sub-band, rho_i, g_i SU noise and gain, V the set's
 * scales, pi_c its busy fractions. */
#include <math.h>
#include <stdint.h>

#include "games/games.h"
#include "games/pop_util.h"
#include "games/spectrum.h"

enum { P_SU_NOISE_DB, P_SU_BIAS_DB, P_BIAS_AWARE, P_COUNT };

static const ts_param_spec params[P_COUNT] = {
    [P_SU_NOISE_DB] = {"su_noise_db", -40, 40, TS_PARAM_VEC,
                       "each SU's own noise per bin over the data's noise "
                       "floor, dB, N numbers [-10, then 0 up to 9]"},
    [P_SU_BIAS_DB] = {"su_bias_db", -20, 20, TS_PARAM_VEC,
                      "each SU's gain error on its energy reading, dB, N "
                      "numbers [0, then 0.5 up to 2]"},
    [P_BIAS_AWARE] = {"bias_aware", 0, 1, TS_PARAM_INT,
                      "1: each SU knows its bias; 0: it believes it has "
                      "none [0]"},
};

enum {
    C = TS_SPEC_CHANNELS,
    W = TS_SPEC_WINDOW,
    K = TS_SPEC_BINS,
};

typedef struct deepsense_state {
    int N, n_win_max, m_last;
    const ts_spectrum_set *set; /* the caller's, read only; NULL: detached */
    double n0;
    double fixed[C];  /* < 0: beliefs from the model; else every SU's q    */
    size_t nn;        /* normals per window, 2 W N                         */
    /* Offsets into w[]: rho[N] linear SU noise; gain[N] the factor g_i /
     * g'_i on x; nu[N] noise amplitude sqrt(n0 rho / 2); A[N][4], B[N][4]
     * belief coefficients, q = logistic(A + B x); idx[n_win_max] the
     * slot's window indices (exact in a double below 2^53);
     * Y[n_win_max][64] their shifted spectra; u[3 nn / 2], z[nn]. */
    size_t orho, ogain, onu, oA, oB, oidx, oY, ou, oz;
    double w[];
} deepsense_state;

static int check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    int rc = ts_spectrum_check_len("deepsense", params, p, P_SU_NOISE_DB,
                                   g->N, "one per SU, N", e);
    if (!rc)
        rc = ts_spectrum_check_len("deepsense", params, p, P_SU_BIAS_DB,
                                   g->N, "one per SU, N", e);
    return rc;
}

static void defaults(const ts_shape *g, ts_params *p)
{
    (void)g;
    if (!p->set[P_BIAS_AWARE])
        p->v[P_BIAS_AWARE] = 0;
}

static size_t normals_per_window(int N) { return 2 * (size_t)W * (size_t)N; }

static size_t state_size(const ts_shape *g)
{
    const size_t N = (size_t)g->N, nw = ((size_t)g->m + C - 1) / C;
    const size_t nn = normals_per_window(g->N);
    return sizeof(deepsense_state) +
           (3 * N + 2 * C * N + nw + 2 * W * nw + 3 * nn / 2 + nn) *
               sizeof(double);
}

static int init(void *vst, const ts_shape *g, const ts_params *p, ts_err *e)
{
    deepsense_state *st = vst;
    const int N = g->N;
    const size_t n = (size_t)N, nw = ((size_t)g->m + C - 1) / C;
    st->N = N;
    st->n_win_max = (int)nw;
    st->m_last = 0;
    st->set = NULL;
    st->nn = normals_per_window(N);
    st->orho = 0;
    st->ogain = st->orho + n;
    st->onu = st->ogain + n;
    st->oA = st->onu + n;
    st->oB = st->oA + C * n;
    st->oidx = st->oB + C * n;
    st->oY = st->oidx + nw;
    st->ou = st->oY + 2 * W * nw;
    st->oz = st->ou + 3 * st->nn / 2;
    const int aware = (int)p->v[P_BIAS_AWARE];
    for (int i = 0; i < N; i++) {
        double g_i;
        ts_spectrum_su_noise_gain(p, P_SU_NOISE_DB, P_SU_BIAS_DB, N, i,
                                  &st->w[st->orho + (size_t)i], &g_i);
        /* The reading g_i x divided by the gain the SU believes in. */
        st->w[st->ogain + (size_t)i] = aware ? 1.0 : g_i;
    }
    (void)e;
    return TS_OK;
}

int ts_deepsense_attach(void *vst, const ts_spectrum_set *set, ts_err *e)
{
    deepsense_state *st = vst;
    if (!set || set->n_win < 1)
        return TS_ERROR(e, TS_EINVAL, "deepsense: no data set to attach (an "
                        "e2e experiment's `data: DIR` gives one)");
    st->set = set;
    st->n0 = set->n0;
    const double *rho = st->w + st->orho, *gain = st->w + st->ogain;
    double *nu = st->w + st->onu, *A = st->w + st->oA, *B = st->w + st->oB;
    for (int c = 0; c < C; c++)
        st->fixed[c] = isnan(set->v[0][c]) || isnan(set->v[1][c])
                           ? set->pi[c] : -1.0;
    for (int i = 0; i < st->N; i++) {
        nu[i] = sqrt(st->n0 * rho[i] / 2.0);
        for (int c = 0; c < C; c++) {
            if (st->fixed[c] >= 0) {
                A[C * i + c] = B[C * i + c] = 0.0;
                continue;
            }
            const double v0 = set->v[0][c] + rho[i], v1 = set->v[1][c] + rho[i];
            const double pi = set->pi[c];
            A[C * i + c] = log(pi) - log1p(-pi) + K * log(v0 / v1);
            B[C * i + c] = gain[i] * (1.0 / v0 - 1.0 / v1);
        }
    }
    return TS_OK;
}

long ts_deepsense_window(const void *vst, int w)
{
    const deepsense_state *st = vst;
    if (w < 0 || C * w >= st->m_last)
        return -1;
    return (long)st->w[st->oidx + (size_t)w];
}

int ts_deepsense_prompt_db(const void *vst, int j, int *c,
                           double db[TS_SPEC_BINS], ts_err *e)
{
    const deepsense_state *st = vst;
    if (j < 0 || j >= st->m_last)
        return TS_ERROR(e, TS_EINVAL,
                        "deepsense: prompt %d is not one of the %d of the "
                        "slot drawn last",
                        j, st->m_last);
    *c = j % C;
    ts_spectrum_subband_db(st->w + st->oY + (size_t)(j / C) * 2 * W, *c,
                           st->n0, db);
    return TS_OK;
}

static int prompt_text(const void *st, int j, char *buf, size_t len,
                       ts_err *e)
{
    int c;
    double db[K];
    int rc = ts_deepsense_prompt_db(st, j, &c, db, e);
    if (!rc)
        ts_spectrum_format(c, db, buf, len);
    return rc;
}

static int draw(void *vst, long t, int m, ts_rng *state, ts_rng *belief,
                double *p, double *q)
{
    (void)t;
    deepsense_state *st = vst;
    st->m_last = 0; /* until the slot is complete */
    if (!st->set)
        return TS_EINVAL;
    const int n_win = (m + C - 1) / C;
    double *idx = st->w + st->oidx, *u = st->w + st->ou, *z = st->w + st->oz;
    for (int w = 0; w < n_win; w++)
        idx[w] = (double)ts_rng_below(state, (uint32_t)st->set->n_win);
    for (int j = 0; j < m; j++)
        p[j] = (st->set->mask[(long)idx[j / C]] >> (j % C)) & 1 ? 1.0 : 0.0;
    for (int w = 0; w < n_win; w++) {
        const float *iq = st->set->iq + (size_t)idx[w] * 2 * W;
        double *Y = st->w + st->oY + (size_t)w * 2 * W;
        for (int k = 0; k < 2 * W; k++)
            Y[k] = iq[k];
        int rc = ts_spectrum_fft(Y, Y);
        if (rc)
            return rc;
        ts_rng_fill_u01(belief, u, 3 * st->nn / 2);
        pop_box_muller(u, st->nn, z);
        const ts_spectrum_sus su = {st->N, st->w + st->oA, st->w + st->oB,
                                    st->w + st->onu, st->n0, st->fixed};
        ts_spectrum_su_beliefs(&su, w, m, Y, z, q);
    }
    st->m_last = m;
    return TS_OK;
}

const ts_population_type ts_pop_deepsense = {
    .name = "deepsense",
    .params = params,
    .n_params = P_COUNT,
    .defaults = defaults,
    .check = check,
    .state_size = state_size,
    .init = init,
    .draw = draw,
    .prompt_text = prompt_text,
};

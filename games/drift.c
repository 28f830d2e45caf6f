/* drift.c -- population `drift`: accuracies that change over time, so the
 * best worker changes (SPEC §3; the "by symmetry" remark after Prop. 2).
 *
 * Beliefs as in `bands`: q_ij = p_j + (1 - 2 p_j) u, u ~ Uniform(band),
 * p_j ~ Bernoulli(base_rate), with the same N bands (the `bands` rule or
 * a `bands` list, best first).  What changes is which worker holds which
 * band:
 *
 *   mode 0 (switches): `switch_at` lists slots s_1 < s_2 < ... (0-based);
 *     in segment k (s_k <= t < s_{k+1}, s_0 = 0) worker i holds band
 *     (i - k) mod N, so the bands rotate by one at every switch and the
 *     best worker of segment k is worker k mod N (0-based); the previous
 *     best drops to the worst band.
 *   mode 1 (smooth): the rotation runs continuously: at slot t worker i
 *     sits at position x = (i - N t / period) mod N on the ring of bands
 *     and his band's ends interpolate linearly between bands floor(x) and
 *     floor(x) + 1 (mod N); at t = k period / N it is mode 0's segment k.
 *
 * The `band` hook gives worker i's band at slot t and `segment` the
 * regime (mode 0: the switches at or before t; mode 1: floor(N t /
 * period), the mode-0 segment the ring has last passed); the drift
 * analysis (src/analysis/drift.c) uses them for the best worker of each
 * segment and nothing else of this file.
 *
 * Symbols: N workers, m prompts, p[m] true states, q[N][m] beliefs,
 * t slot (0-based). */
#include "games/games.h"

#include <math.h>

enum { P_BASE_RATE, P_BANDS, P_SWITCH_AT, P_MODE, P_PERIOD, P_COUNT };

static const ts_param_spec params[P_COUNT] = {
    [P_BASE_RATE] = {"base_rate", 0, 1, 0,
                     "P(p_j = 1): the base rate of the true state [0.5]"},
    [P_BANDS] = {"bands", 0, 1, TS_PARAM_VEC,
                 "belief-error bands, best first [lo1, hi1, ...] (2N numbers) "
                 "[as `bands`]"},
    [P_SWITCH_AT] = {"switch_at", 1, INFINITY, TS_PARAM_VEC | TS_PARAM_HI_OPEN,
                     "mode 0: slots (0-based, increasing) at which the bands "
                     "rotate by one [T/3, 2T/3]"},
    [P_MODE] = {"mode", 0, 1, TS_PARAM_INT,
                "0: the bands rotate at the slots switch_at; 1: they rotate "
                "smoothly, once around every `period` slots [0]"},
    [P_PERIOD] = {"period", 1, INFINITY, TS_PARAM_HI_OPEN,
                  "mode 1: slots per full turn of the bands [T]"},
};

enum { MAX_SWITCH = 64 };

typedef struct drift_state {
    int N, mode, n_switch;
    double base_rate, period;
    long sw[MAX_SWITCH]; /* switch slots, increasing */
    double lo[];         /* [N] band lower ends (best first), then [N] widths */
} drift_state;

static void defaults(const ts_shape *g, ts_params *p)
{
    if (!p->set[P_BASE_RATE])
        p->v[P_BASE_RATE] = 0.5;
    if (!p->set[P_MODE])
        p->v[P_MODE] = 0;
    if (!p->set[P_PERIOD])
        p->v[P_PERIOD] = (double)(g->T > 0 ? g->T : 1);
}

static int check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    if (g->N < 2)
        return TS_ERROR(e, TS_EINPUT, "drift: N = %d; needs N >= 2", g->N);
    if (p->len[P_BANDS] > 0) {
        int rc = ts_pop_check_bands("drift", "bands", p->vec[P_BANDS],
                                    p->len[P_BANDS], g->N, 1, e);
        if (rc)
            return rc;
    }
    const int n = p->len[P_SWITCH_AT];
    if (n > MAX_SWITCH)
        return TS_ERROR(e, TS_EINPUT, "drift: 'switch_at' has %d slots; at most %d",
                        n, MAX_SWITCH);
    for (int k = 0; k < n; k++) {
        double s = p->vec[P_SWITCH_AT][k];
        if (s != floor(s))
            return TS_ERROR(e, TS_EINPUT, "drift: switch_at entry %d = %g is "
                            "not a whole slot", k + 1, s);
        if (k > 0 && !(s > p->vec[P_SWITCH_AT][k - 1]))
            return TS_ERROR(e, TS_EINPUT, "drift: switch_at must increase "
                            "(entry %d = %g follows %g)", k + 1, s,
                            p->vec[P_SWITCH_AT][k - 1]);
    }
    return TS_OK;
}

static size_t state_size(const ts_shape *g)
{
    return sizeof(drift_state) + 2 * (size_t)g->N * sizeof(double);
}

static int init(void *vst, const ts_shape *g, const ts_params *p, ts_err *e)
{
    int rc = check(g, p, e);
    if (rc)
        return rc;
    drift_state *st = vst;
    const int N = g->N;
    st->N = N;
    st->mode = (int)p->v[P_MODE];
    st->base_rate = p->v[P_BASE_RATE];
    st->period = p->v[P_PERIOD];
    if (p->len[P_SWITCH_AT] > 0) {
        st->n_switch = p->len[P_SWITCH_AT];
        for (int k = 0; k < st->n_switch; k++)
            st->sw[k] = (long)p->vec[P_SWITCH_AT][k];
    } else if (g->T >= 3) { /* default: thirds of the horizon */
        st->n_switch = 2;
        st->sw[0] = g->T / 3;
        st->sw[1] = 2 * g->T / 3;
    } else {
        st->n_switch = 0;
    }
    double *width = st->lo + N;
    for (int i = 0; i < N; i++) {
        double lo, hi;
        if (p->len[P_BANDS] == 2 * N) {
            lo = p->vec[P_BANDS][2 * i];
            hi = p->vec[P_BANDS][2 * i + 1];
        } else if (i == 0) {
            lo = 0.0;
            hi = 0.1;
        } else { /* the `bands` rule */
            ts_pop_band_rule(N - 1, i - 1, &lo, &hi);
        }
        st->lo[i] = lo;
        width[i] = hi - lo;
    }
    return TS_OK;
}

/* Mode 0: the number of switches at or before slot t. */
static int switches_before(const drift_state *st, long t)
{
    int k = 0;
    while (k < st->n_switch && st->sw[k] <= t)
        k++;
    return k;
}

static int segment(const void *vst, long t)
{
    const drift_state *st = vst;
    if (st->mode == 0)
        return switches_before(st, t);
    return (int)floor((double)st->N * (double)t / st->period);
}

static void band(const void *vst, long t, int i, double *lo, double *hi)
{
    const drift_state *st = vst;
    const int N = st->N;
    const double *width = st->lo + N;
    if (st->mode == 0) {
        int k = switches_before(st, t) % N;
        int b = ((i - k) % N + N) % N;
        *lo = st->lo[b];
        *hi = st->lo[b] + width[b];
        return;
    }
    double x = fmod((double)i - (double)N * (double)t / st->period, (double)N);
    if (x < 0)
        x += N;
    int b0 = (int)floor(x);
    if (b0 >= N) /* x rounded up to N */
        b0 = 0;
    double f = x - floor(x);
    int b1 = (b0 + 1) % N;
    *lo = (1 - f) * st->lo[b0] + f * st->lo[b1];
    *hi = (1 - f) * (st->lo[b0] + width[b0]) + f * (st->lo[b1] + width[b1]);
}

static int draw(void *vst, long t, int m, ts_rng *state, ts_rng *belief,
                double *p, double *q)
{
    const drift_state *st = vst;
    const int N = st->N;
    ts_pop_states(state, m, st->base_rate, p);
    ts_rng_fill_u01(belief, q, (size_t)N * (size_t)m);
    for (int i = 0; i < N; i++) {
        double lo, hi;
        band(st, t, i, &lo, &hi);
        ts_pop_band_row(p, m, lo, hi - lo, q + (size_t)i * m);
    }
    return TS_OK;
}

const ts_population_type ts_pop_drift = {
    .name = "drift",
    .params = params,
    .n_params = P_COUNT,
    .defaults = defaults,
    .check = check,
    .state_size = state_size,
    .init = init,
    .draw = draw,
    .band = band,
    .segment = segment,
};

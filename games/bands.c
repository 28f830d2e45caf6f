/* bands.c -- population `bands` (paper Sec. VII-A, Figs. 2-9; SPEC §3).
 *
 * p_j ~ Bernoulli(base_rate); worker i's belief is
 *     q_ij = p_j + (1 - 2 p_j) u,   u ~ Uniform(band_i),
 * drawn afresh for every (i, j, t): u is the distance of the belief from
 * the truth, so a band near 0 is an accurate worker.
 *
 * Bands, best first.  N = 5 (the paper): [0,0.1], [0.45,0.55], [0.55,0.65],
 * [0.65,0.75], [0.75,0.85].  Other N: worker 1 keeps [0, 0.1]; workers
 * i = 2..N get width-0.1 bands centred at 0.5 + 0.3 (i-2)/(N-2), which is
 * exactly the paper's bands at N = 5 (N = 2: the single other band is
 * centred at 0.5).  A `bands` list in the experiment ([lo1, hi1, lo2, hi2,
 * ...], 2N numbers) overrides the rule.
 *
 * These beliefs are not calibrated (worker 5 is wrong more often than not):
 * `bands` is for regret experiments, not incentive checks (SPEC §3).
 *
 * Symbols: N workers, m prompts, p[m] true states, q[N][m] beliefs. */
#include "games/games.h"

#include <math.h>
#include <string.h>

enum { P_BASE_RATE, P_BANDS, P_COUNT };

static const ts_param_spec params[P_COUNT] = {
    [P_BASE_RATE] = {"base_rate", 0, 1, 0,
                     "P(p_j = 1): the base rate of the true state"},
    [P_BANDS] = {"bands", 0, 1, TS_PARAM_VEC,
                 "per-worker belief-error bands [lo1, hi1, lo2, hi2, ...] (2N numbers)"},
};

typedef struct bands_state {
    int N;
    double base_rate;
    double lo[]; /* [N] band lower ends, then [N] widths */
} bands_state;

static void defaults(const ts_shape *g, ts_params *p)
{
    (void)g;
    if (!p->set[P_BASE_RATE])
        p->v[P_BASE_RATE] = 0.5;
}

static int check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    if (p->set[P_BANDS] || p->len[P_BANDS] > 0)
        return ts_pop_check_bands("bands", "bands", p->vec[P_BANDS],
                                  p->len[P_BANDS], g->N, 1, e);
    return TS_OK;
}

static size_t state_size(const ts_shape *g)
{
    return sizeof(bands_state) + 2 * (size_t)g->N * sizeof(double);
}

/* The documented rule for band i (0-based), used when no list is given. */
static void default_band(int N, int i, double *lo, double *hi)
{
    if (i == 0) {
        *lo = 0.0;
        *hi = 0.1;
        return;
    }
    ts_pop_band_rule(N - 1, i - 1, lo, hi);
}

static int init(void *vst, const ts_shape *g, const ts_params *p, ts_err *e)
{
    bands_state *st = vst;
    st->N = g->N;
    st->base_rate = p->v[P_BASE_RATE];
    double *width = st->lo + g->N;
    for (int i = 0; i < g->N; i++) {
        double lo, hi;
        if (p->len[P_BANDS] == 2 * g->N) {
            lo = p->vec[P_BANDS][2 * i];
            hi = p->vec[P_BANDS][2 * i + 1];
        } else {
            default_band(g->N, i, &lo, &hi);
        }
        st->lo[i] = lo;
        width[i] = hi - lo;
    }
    (void)e;
    return TS_OK;
}

static int draw(void *vst, long t, int m, ts_rng *state, ts_rng *belief,
                double *p, double *q)
{
    (void)t;
    const bands_state *st = vst;
    const int N = st->N;
    const double *width = st->lo + N;
    ts_pop_states(state, m, st->base_rate, p);
    /* One batch of N*m uniforms, then an affine map per worker: the
     * vectorised Philox fill is what makes the slot loop fast. */
    ts_rng_fill_u01(belief, q, (size_t)N * (size_t)m);
    for (int i = 0; i < N; i++)
        ts_pop_band_row(p, m, st->lo[i], width[i], q + (size_t)i * m);
    return TS_OK;
}

/* Replica lanes (game.h): the same words of the same streams, the same
 * arithmetic per lane as ts_pop_states and ts_pop_band_row. */
TS_LANES_CLONES static void states_lanes(const void *vst, long t, int m,
                                         const ts_rng_lanes *state, double *p)
{
    (void)t;
    const bands_state *st = vst;
    ts_rng_lanes_u01(state, 0, (size_t)m, p);
    for (size_t k = 0; k < (size_t)m * TS_LANES; k++)
        p[k] = p[k] < st->base_rate ? 1.0 : 0.0;
}

TS_LANES_CLONES static void beliefs_lanes(const void *vst, long t, int m,
                                          int i0, int i1, const double *p,
                                          const ts_rng_lanes *belief,
                                          double *q)
{
    (void)t;
    const bands_state *st = vst;
    const double *width = st->lo + st->N;
    ts_rng_lanes_u01(belief, (size_t)i0 * (size_t)m,
                     (size_t)(i1 - i0) * (size_t)m, q);
    for (int i = i0; i < i1; i++) {
        const double lo = st->lo[i], wd = width[i];
        double *row = q + (size_t)(i - i0) * (size_t)m * TS_LANES;
        for (size_t k = 0; k < (size_t)m * TS_LANES; k++) {
            double u = lo + wd * row[k];
            row[k] = p[k] + (1.0 - 2.0 * p[k]) * u;
        }
    }
}

const ts_population_type ts_pop_bands = {
    .name = "bands",
    .params = params,
    .n_params = P_COUNT,
    .defaults = defaults,
    .check = check,
    .state_size = state_size,
    .init = init,
    .draw = draw,
    .states_lanes = states_lanes,
    .beliefs_lanes = beliefs_lanes,
};

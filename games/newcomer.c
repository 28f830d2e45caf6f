/* newcomer.c -- population `newcomer` (Prop. 2, App. H; SPEC §3).
 *
 * An incumbent k (worker 1, index 0) and a newcomer i (worker 2, index 1)
 * among N workers.  p_j ~ Bernoulli(base_rate); as in `bands`, a belief is
 *     q_ij = p_j + (1 - 2 p_j) u,   u ~ Uniform(band),
 * so (q - p)^2 = u^2 and a worker's expected per-slot loss is
 *     l(band [a, b]) = E[u^2] = (a^2 + a b + b^2) / 3
 * whatever m is.  The newcomer's band is `band` [0, 0.1]; the incumbent's
 * has the same width and is centred at c with c^2 + h^2/3 = l_i + gap
 * (h the half width), so l_k - l_i = gap = Delta exactly (Prop. 2's gap,
 * here the same at every slot).  Workers 3..N are `others` (2(N-2)
 * numbers, lo/hi pairs) or, by default, width-0.1 bands centred evenly
 * from 0.5 to 0.8 as in `bands`.
 *
 * Arrival.  The engine has no notion of a worker joining, so before slot
 * `t0` the newcomer is absent in the one way a report can say so: his
 * belief is 1/2 on every prompt (no information; his loss is exactly 1/4
 * whatever p is).  Under Def. 4 he thus arrives at t0 with the weight
 * disadvantage that accrues from the incumbent's better record, which is
 * what an engine run (`trajectory: true`) shows.  Prop. 2's own setting,
 * a given ratio w_k/w_i at arrival, is set exactly by the overtaking
 * analysis (src/analysis/overtake.c) through the mechanisms'
 * set_log_weights hook; it reads the bands through the `band` hook for
 * the exact expectation recursion, and `segment` says whether the
 * newcomer has arrived (regime 0 before t0, 1 from t0 when t0 > 0).
 *
 * Symbols: N workers, m prompts, p[m] true states, q[N][m] beliefs,
 * gap = Delta = l_k - l_i, t0 arrival slot (0-based). */
#include "games/games.h"

#include <math.h>

enum { P_BASE_RATE, P_GAP, P_T0, P_BAND, P_OTHERS, P_COUNT };

static const ts_param_spec params[P_COUNT] = {
    [P_BASE_RATE] = {"base_rate", 0, 1, 0,
                     "P(p_j = 1): the base rate of the true state [0.5]"},
    [P_GAP] = {"gap", 0, 1, TS_PARAM_LO_OPEN,
               "Prop. 2's Delta: incumbent's minus newcomer's expected loss [0.05]"},
    [P_T0] = {"t0", 0, INFINITY, TS_PARAM_INT | TS_PARAM_HI_OPEN,
              "arrival slot (0-based); before it the newcomer reports 1/2 [0]"},
    [P_BAND] = {"band", 0, 1, TS_PARAM_VEC,
                "the newcomer's belief-error band [lo, hi] [[0, 0.1]]"},
    [P_OTHERS] = {"others", 0, 1, TS_PARAM_VEC,
                  "bands of workers 3..N [lo3, hi3, ...] (2(N-2) numbers) "
                  "[width 0.1, centres 0.5..0.8]"},
};

typedef struct newcomer_state {
    int N;
    long t0;
    double base_rate;
    /* [N] band lower ends, then [N] widths, then [N] upper ends (kept as
     * given: lo + width need not round back to hi) */
    double lo[];
} newcomer_state;

static void defaults(const ts_shape *g, ts_params *p)
{
    (void)g;
    if (!p->set[P_BASE_RATE])
        p->v[P_BASE_RATE] = 0.5;
    if (!p->set[P_GAP])
        p->v[P_GAP] = 0.05;
    if (!p->set[P_T0])
        p->v[P_T0] = 0;
}

/* Band of worker 3 + k (k = 0..N-3) by the default rule. */
static void other_band(int N, int k, double *lo, double *hi)
{
    ts_pop_band_rule(N - 2, k, lo, hi);
}

/* The incumbent's (index 0) and the newcomer's (index 1) bands from the
 * parameters (defaults filled), so that their expected losses differ by
 * `gap`; TS_EINPUT when no band inside [0, 1] can. */
static int pair_bands(const ts_params *p, double lo[2], double hi[2],
                      ts_err *e)
{
    double a = 0.0, b = 0.1;
    if (p->len[P_BAND] > 0) {
        if (p->len[P_BAND] != 2)
            return TS_ERROR(e, TS_EINPUT,
                            "newcomer: 'band' has %d numbers; it is [lo, hi]",
                            p->len[P_BAND]);
        a = p->vec[P_BAND][0];
        b = p->vec[P_BAND][1];
        if (!(a <= b))
            return TS_ERROR(e, TS_EINPUT,
                            "newcomer: band [%g, %g]: lo must not exceed hi", a, b);
    }
    const double h = 0.5 * (b - a), li = (a * a + a * b + b * b) / 3.0;
    const double gap = p->v[P_GAP];
    /* c^2 + h^2/3 = li + gap; c - h >= 0 and c + h <= 1 keep u in [0, 1]. */
    const double c = sqrt(li + gap - h * h / 3.0);
    if (!(c - h >= 0.0) || !(c + h <= 1.0)) {
        const double gmax = (1 - h) * (1 - h) + h * h / 3.0 - li;
        return TS_ERROR(e, TS_EINPUT,
                        "newcomer: gap = %g cannot be met with a band of width "
                        "%g inside [0, 1] (the newcomer's expected loss is %g); "
                        "the largest gap is %g", gap, b - a, li, gmax);
    }
    lo[1] = a;
    hi[1] = b;
    lo[0] = c - h;
    hi[0] = c + h;
    return TS_OK;
}

static int check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    if (g->N < 2)
        return TS_ERROR(e, TS_EINPUT, "newcomer: N = %d; needs an incumbent "
                        "and a newcomer (N >= 2)", g->N);
    double lo[2], hi[2];
    int rc = pair_bands(p, lo, hi, e);
    if (rc)
        return rc;
    if (p->len[P_OTHERS] > 0)
        return ts_pop_check_bands("newcomer", "others", p->vec[P_OTHERS],
                                  p->len[P_OTHERS], g->N, 3, e);
    return TS_OK;
}

static size_t state_size(const ts_shape *g)
{
    return sizeof(newcomer_state) + 3 * (size_t)g->N * sizeof(double);
}

static int init(void *vst, const ts_shape *g, const ts_params *p, ts_err *e)
{
    int rc = check(g, p, e);
    if (rc)
        return rc;
    newcomer_state *st = vst;
    const int N = g->N;
    st->N = N;
    st->t0 = (long)p->v[P_T0];
    st->base_rate = p->v[P_BASE_RATE];
    double *width = st->lo + N, *upper = width + N, lo2[2], hi2[2];
    (void)pair_bands(p, lo2, hi2, e);
    for (int i = 0; i < N; i++) {
        double lo, hi;
        if (i < 2) {
            lo = lo2[i];
            hi = hi2[i];
        } else if (p->len[P_OTHERS] == 2 * (N - 2)) {
            lo = p->vec[P_OTHERS][2 * (i - 2)];
            hi = p->vec[P_OTHERS][2 * (i - 2) + 1];
        } else {
            other_band(N, i - 2, &lo, &hi);
        }
        st->lo[i] = lo;
        width[i] = hi - lo;
        upper[i] = hi;
    }
    return TS_OK;
}

static int draw(void *vst, long t, int m, ts_rng *state, ts_rng *belief,
                double *p, double *q)
{
    const newcomer_state *st = vst;
    const int N = st->N;
    const double *width = st->lo + N;
    ts_pop_states(state, m, st->base_rate, p);
    /* The newcomer's uniforms are drawn before t0 too, so his beliefs
     * after arrival do not depend on t0. */
    ts_rng_fill_u01(belief, q, (size_t)N * (size_t)m);
    for (int i = 0; i < N; i++) {
        double *qi = q + (size_t)i * m;
        if (i == 1 && t < st->t0) {
            for (int j = 0; j < m; j++)
                qi[j] = 0.5;
            continue;
        }
        ts_pop_band_row(p, m, st->lo[i], width[i], qi);
    }
    return TS_OK;
}

/* Before arrival the newcomer's belief is 1/2: |q - p| = 1/2 exactly. */
static void band(const void *vst, long t, int i, double *lo, double *hi)
{
    const newcomer_state *st = vst;
    if (i == 1 && t < st->t0) {
        *lo = *hi = 0.5;
        return;
    }
    *lo = st->lo[i];
    *hi = st->lo[2 * st->N + i];
}

static int segment(const void *vst, long t)
{
    const newcomer_state *st = vst;
    return st->t0 > 0 && t >= st->t0;
}

const ts_population_type ts_pop_newcomer = {
    .name = "newcomer",
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

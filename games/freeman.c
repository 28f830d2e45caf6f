/* freeman.c -- population `freeman`: the synthetic setting of Freeman,
 * Pennock, Podimata and Wortman Vaughan (ICML 2020, Sec. 6), in which the
 * best expert changes half-way.
 *
 * One binary event per prompt (their setting has m = 1; any m is allowed,
 * each prompt drawn alike and independently):
 *   p_j ~ Bernoulli(rate_before)  for slots t < switch_slot,
 *   p_j ~ Bernoulli(rate_after)   for t >= switch_slot         (t 0-based)
 * with rate_before = 0.4, rate_after = 0.6, switch_slot = floor(T/2).
 * The N experts (their K) fall into three groups whose beliefs ignore p:
 *   workers i <  floor(N/3):             q_ij ~ Uniform(0, 0.7)
 *   floor(N/3) <= i < floor(2N/3):       q_ij ~ Uniform(0.3, 1)
 *   floor(2N/3) <= i:                    q_ij ~ Uniform(0, 1)
 * drawn afresh for every (i, j, t).  When 3 does not divide N the last
 * group gets the first extra worker and the middle group the second (at
 * N = 50: 16, 17, 17 workers, as the authors' simulation splits them); at
 * N = 2 the low group is empty, at N = 1 the one worker is vague.  Workers are honest in their
 * setting: beliefs are these draws and the strategy (truthful) reports
 * them.  Before the switch p = 0 is the likelier state, so the low group
 * has the smallest expected loss; after it the high group does.
 *
 * Randomness as in every population (bands.c): p from the `state` stream,
 * the N m uniforms of q from the `belief` stream, both positioned at slot t
 * by the engine.  Unlike the authors' code, which draws one sequence of
 * events and reports and reuses it for every repetition, each replica here
 * draws its own.
 *
 * Symbols: N workers, m prompts, T slots, p[m] true states, q[N][m]
 * beliefs, t slot (0-based). */
#include "games/games.h"

#include <math.h>

enum { P_RATE_BEFORE, P_RATE_AFTER, P_SWITCH, P_COUNT };

static const ts_param_spec params[P_COUNT] = {
    [P_RATE_BEFORE] = {"rate_before", 0, 1, 0,
                       "P(p_j = 1) in slots t < switch_slot [0.4]"},
    [P_RATE_AFTER] = {"rate_after", 0, 1, 0,
                      "P(p_j = 1) in slots t >= switch_slot [0.6]"},
    [P_SWITCH] = {"switch_slot", 0, INFINITY,
                  TS_PARAM_INT | TS_PARAM_HI_OPEN,
                  "first slot (0-based) with rate_after [floor(T/2)]"},
};

/* The three belief ranges, low, high, vague (Sec. 6). */
static const double group_lo[3] = {0.0, 0.3, 0.0};
static const double group_hi[3] = {0.7, 1.0, 1.0};

typedef struct freeman_state {
    int N;
    int first[3]; /* first worker of each group; group 2 runs to N - 1 */
    double rate_before, rate_after;
    long switch_slot;
} freeman_state;

static void defaults(const ts_shape *g, ts_params *p)
{
    if (!p->set[P_RATE_BEFORE])
        p->v[P_RATE_BEFORE] = 0.4;
    if (!p->set[P_RATE_AFTER])
        p->v[P_RATE_AFTER] = 0.6;
    if (!p->set[P_SWITCH])
        p->v[P_SWITCH] = (double)(g->T > 0 ? g->T / 2 : 0);
}

static int check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    (void)p;
    if (g->N < 1)
        return TS_ERROR(e, TS_EINPUT, "freeman: N = %d; needs N >= 1", g->N);
    return TS_OK;
}

static size_t state_size(const ts_shape *g)
{
    (void)g;
    return sizeof(freeman_state);
}

static int init(void *vst, const ts_shape *g, const ts_params *p, ts_err *e)
{
    (void)e;
    freeman_state *st = vst;
    st->N = g->N;
    st->first[0] = 0;
    st->first[1] = g->N / 3;
    st->first[2] = 2 * g->N / 3;
    st->rate_before = p->v[P_RATE_BEFORE];
    st->rate_after = p->v[P_RATE_AFTER];
    st->switch_slot = (long)p->v[P_SWITCH];
    return TS_OK;
}

static int draw(void *vst, long t, int m, ts_rng *state, ts_rng *belief,
                double *p, double *q)
{
    const freeman_state *st = vst;
    ts_pop_states(state, m,
                  t < st->switch_slot ? st->rate_before : st->rate_after, p);
    /* One batch of N m uniforms, then an affine map per group. */
    ts_rng_fill_u01(belief, q, (size_t)st->N * (size_t)m);
    for (int c = 0; c < 3; c++) {
        const int end = c < 2 ? st->first[c + 1] : st->N;
        const double lo = group_lo[c], width = group_hi[c] - group_lo[c];
        for (size_t k = (size_t)st->first[c] * (size_t)m;
             k < (size_t)end * (size_t)m; k++)
            q[k] = lo + width * q[k];
    }
    return TS_OK;
}

const ts_population_type ts_pop_freeman = {
    .name = "freeman",
    .params = params,
    .n_params = P_COUNT,
    .defaults = defaults,
    .check = check,
    .state_size = state_size,
    .init = init,
    .draw = draw,
};

/* plugin_fixture.c -- plugins for test_registry_plugins.c, one source
 * built four ways (tests/meson.build):
 *   (none)        a mechanism `uniform`, a population `oracle` and a
 *                 strategy `halfway`, each the simplest of its kind;
 *   -DFIX_DUP     a new mechanism `dup_mech` beside a population named
 *                 `bands`, a taken name: neither may be registered;
 *   -DFIX_BROKEN  a mechanism without aggregate();
 *   -DFIX_NOSYM   no `ts_plugin` symbol at all;
 *   -DFIX_OLDAPI  everything, but built for API version 1 (before
 *                 populations had prompt_text): refused. */
#include <stdio.h>
#include <string.h>

#include "game/registry.h"

/* uniform: A_j = the plain mean of the reports; weights never move. */
typedef struct uni {
    int N;
} uni;

static size_t uni_size(const ts_shape *g)
{
    (void)g;
    return sizeof(uni);
}

static int uni_init(void *st, const ts_shape *g, const ts_params *p, ts_err *e)
{
    (void)p;
    (void)e;
    ((uni *)st)->N = g->N;
    return TS_OK;
}

#if defined(FIX_BROKEN)
__attribute__((unused))
#endif
static int uni_aggregate(void *st, const ts_slot *s, double *A, ts_err *e)
{
    (void)st;
    (void)e;
    for (int j = 0; j < s->m; j++) {
        A[j] = 0;
        for (int h = 0; h < s->n_heard; h++)
            A[j] += s->r[h * s->m + j];
        A[j] /= s->n_heard;
    }
    return TS_OK;
}

static int uni_update(void *st, const ts_slot *s, const double *pv, ts_err *e)
{
    (void)st;
    (void)s;
    (void)pv;
    (void)e;
    return TS_OK;
}

static void uni_logw(const void *st, double *logw)
{
    for (int i = 0; i < ((const uni *)st)->N; i++)
        logw[i] = 0;
}

static const ts_mechanism_type mech = {
#if defined(FIX_DUP)
    .name = "dup_mech",
#else
    .name = "uniform",
#endif
    .feedback = TS_FULL,
    .state_size = uni_size,
    .init = uni_init,
#if defined(FIX_BROKEN)
    .aggregate = NULL, /* uni_aggregate left out on purpose */
#else
    .aggregate = uni_aggregate,
#endif
    .update = uni_update,
    .log_weights = uni_logw,
};

/* oracle: p_j ~ Bernoulli(1/2), every worker's belief q_ij = p_j; its
 * state is {N, prompts of the slot drawn last}.  Prompt texts "oracle
 * prompt J" let it drive the end-to-end loop (game.h, prompt_text). */
static int pop_init(void *st, const ts_shape *g, const ts_params *p, ts_err *e)
{
    (void)p;
    (void)e;
    const int s[2] = {g->N, 0};
    memcpy(st, s, sizeof s);
    return TS_OK;
}

static size_t pop_size(const ts_shape *g)
{
    (void)g;
    return 2 * sizeof(int);
}

static int pop_text(const void *st, int j, char *buf, size_t len, ts_err *e)
{
    int s[2];
    memcpy(s, st, sizeof s);
    if (j < 0 || j >= s[1])
        return TS_ERROR(e, TS_EINVAL, "oracle: no prompt %d", j);
    snprintf(buf, len, "oracle prompt %d", j);
    return TS_OK;
}

static int pop_draw(void *st, long t, int m, ts_rng *state, ts_rng *belief,
                    double *p, double *q)
{
    (void)t;
    (void)belief;
    int N;
    memcpy(&N, st, sizeof N);
    ts_pop_states(state, m, 0.5, p);
    for (int i = 0; i < N; i++)
        memcpy(q + (size_t)i * (size_t)m, p, (size_t)m * sizeof *p);
    memcpy((int *)st + 1, &m, sizeof m);
    return TS_OK;
}

static const ts_population_type pop = {
#if defined(FIX_DUP)
    .name = "bands",
#else
    .name = "oracle",
#endif
    .state_size = pop_size,
    .init = pop_init,
    .draw = pop_draw,
    .prompt_text = pop_text,
};

/* halfway: r = (q + 1/2) / 2, halfway between the belief and 1/2. */
static int half_report(void *st, const ts_params *p, const ts_strategy_ctx *c,
                       int m, const double *q, double *r, ts_rng *rng, ts_err *e)
{
    (void)st;
    (void)p;
    (void)c;
    (void)rng;
    (void)e;
    for (int j = 0; j < m; j++)
        r[j] = 0.5 * (q[j] + 0.5);
    return TS_OK;
}

static const ts_strategy_type strat = {
    .name = "halfway",
    .report = half_report,
};

static const ts_mechanism_type *const mechs[] = {&mech, NULL};
static const ts_population_type *const pops[] = {&pop, NULL};
static const ts_strategy_type *const strats[] = {&strat, NULL};

#if !defined(FIX_NOSYM)
const ts_plugin_info ts_plugin = {
#if defined(FIX_OLDAPI)
    .api_version = 1,
#else
    .api_version = TS_PLUGIN_API_VERSION,
#endif
    .name = "fixture",
    .mechanisms = mechs,
    .populations = pops,
    .strategies = strats,
};
#else
/* Something exported, so the object is a plausible library. */
const ts_population_type *const *fixture_pops(void);
const ts_population_type *const *fixture_pops(void)
{
    (void)strats;
    (void)mechs;
    return pops;
}
#endif

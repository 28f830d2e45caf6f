/* constant.c -- strategy `constant(c)` (SPEC §4): r = c on every prompt,
 * whatever the belief.  An uninformative worker: with c = 1/2 he says
 * nothing, with c = 1 he is App. A's "always high" (see also `herd`).
 *
 * Symbols: r report, c the constant. */
#include "strategies/strategies.h"

enum { P_C, P_COUNT };

static const ts_param_spec params[P_COUNT] = {
    [P_C] = {"c", 0.0, 1.0, 0, "the report on every prompt, r = c"},
};

static void defaults(const ts_shape *g, ts_params *p)
{
    (void)g;
    if (!p->set[P_C])
        p->v[P_C] = 1.0;
}

static int report(void *st, const ts_params *p, const ts_strategy_ctx *ctx,
                  int m, const double *q, double *r, ts_rng *rng, ts_err *e)
{
    (void)st; (void)ctx; (void)q; (void)rng; (void)e;
    /* c = -0.0 passes the range check; + 0.0 makes it +0.0 (mechanisms
     * test the sign bit). */
    const double c = p->v[P_C] + 0.0;
    for (int j = 0; j < m; j++)
        r[j] = c;
    return TS_OK;
}

const ts_strategy_type ts_strat_constant = {
    .name = "constant",
    .params = params,
    .n_params = P_COUNT,
    .defaults = defaults,
    .identity = 0,
    .report = report,
};

/* exaggerate.c -- strategy `exaggerate(kappa)` (SPEC §4).
 *
 *     r = clip(q + kappa (q - 1/2), 0, 1)
 *
 * kappa > 0 pushes the belief away from 1/2 (the deviation of Lemma 2,
 * App. B: under Hedge a confident worker gains by exaggerating); kappa < 0
 * shrinks it toward 1/2; kappa = 0 is truthful.  The clip belongs to the
 * strategy's definition (a report must lie in [0,1]); it is not the
 * clamping of bad input that STYLE §4 forbids.  kappa > -1 keeps the map
 * increasing, so the report still orders beliefs as the worker does.
 *
 * A clipped report at 0 is +0.0, never -0.0: mechanisms test the sign bit.
 *
 * Symbols: q belief, r report, kappa the exaggeration factor. */
#include "strategies/strategies.h"

#include <math.h>

enum { P_KAPPA, P_COUNT };

static const ts_param_spec params[P_COUNT] = {
    [P_KAPPA] = {"kappa", -1.0, INFINITY, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,
                 "exaggeration: r = clip(q + kappa (q - 1/2), 0, 1); "
                 "kappa < 0 shrinks toward 1/2"},
};

static void defaults(const ts_shape *g, ts_params *p)
{
    (void)g;
    if (!p->set[P_KAPPA])
        p->v[P_KAPPA] = 0.5;
}

static int report(void *st, const ts_params *p, const ts_strategy_ctx *c,
                  int m, const double *q, double *r, ts_rng *rng, ts_err *e)
{
    (void)st; (void)c; (void)rng; (void)e;
    const double kappa = p->v[P_KAPPA];
    for (int j = 0; j < m; j++) {
        double x = q[j] + kappa * (q[j] - 0.5);
        /* `<=` also turns a -0.0 into +0.0 */
        r[j] = x <= 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
    }
    return TS_OK;
}

const ts_strategy_type ts_strat_exaggerate = {
    .name = "exaggerate",
    .params = params,
    .n_params = P_COUNT,
    .defaults = defaults,
    .identity = 0,
    .report = report,
};

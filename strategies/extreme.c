/* extreme.c -- strategy `extreme` (SPEC §4): report the side the belief
 * leans to with full confidence,
 *
 *     r = 1 if q > 1/2,   0 if q < 1/2,   1/2 if q = 1/2,
 *
 * the limit of exaggerate(kappa) as kappa -> inf (at q = 1/2 a worker with
 * no lean keeps 1/2, as every exaggerate(kappa) does).  No parameters.
 *
 * Symbols: q belief, r report. */
#include "strategies/strategies.h"

static int report(void *st, const ts_params *p, const ts_strategy_ctx *c,
                  int m, const double *q, double *r, ts_rng *rng, ts_err *e)
{
    (void)st; (void)p; (void)c; (void)rng; (void)e;
    for (int j = 0; j < m; j++)
        r[j] = q[j] > 0.5 ? 1.0 : q[j] < 0.5 ? 0.0 : 0.5;
    return TS_OK;
}

const ts_strategy_type ts_strat_extreme = {
    .name = "extreme",
    .identity = 0,
    .report = report,
};

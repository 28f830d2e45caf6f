/* flip.c -- strategy `flip` (SPEC §4): r = 1 - q, the adversarial worker
 * who reports the opposite of what he believes.  1 - 1 is +0.0 in
 * round-to-nearest, so no -0.0 arises.  No parameters.
 *
 * Symbols: q belief, r report. */
#include "strategies/strategies.h"

static int report(void *st, const ts_params *p, const ts_strategy_ctx *c,
                  int m, const double *q, double *r, ts_rng *rng, ts_err *e)
{
    (void)st; (void)p; (void)c; (void)rng; (void)e;
    for (int j = 0; j < m; j++)
        r[j] = 1.0 - q[j];
    return TS_OK;
}

const ts_strategy_type ts_strat_flip = {
    .name = "flip",
    .identity = 0,
    .report = report,
};

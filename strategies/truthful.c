/* truthful.c -- r = q: the worker reports his belief (SPEC §4).
 * Marked identity, so the engine hands q to the mechanism without copying. */
#include "strategies/strategies.h"

#include <string.h>

static int report(void *st, const ts_params *p, const ts_strategy_ctx *c,
                  int m, const double *q, double *r, ts_rng *rng, ts_err *e)
{
    (void)st; (void)p; (void)c; (void)rng; (void)e;
    memcpy(r, q, (size_t)m * sizeof *r);
    return TS_OK;
}

const ts_strategy_type ts_strat_truthful = {
    .name = "truthful",
    .identity = 1,
    .report = report,
};

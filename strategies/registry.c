/* registry.c -- every strategy, one line each. */
#include "strategies/strategies.h"

#include "base/registry_util.h"

const ts_strategy_type *const ts_strategy_types[] = {
    &ts_strat_truthful,
    &ts_strat_exaggerate,
    &ts_strat_extreme,
    &ts_strat_constant,
    &ts_strat_flip,
    &ts_strat_herd,
    &ts_strat_best_response,
    NULL,
};

const ts_strategy_type *ts_strategy_find(const char *name, ts_err *e)
{
    TS_REGISTRY_FIND(ts_strategy_types, name, "strategy", e);
}

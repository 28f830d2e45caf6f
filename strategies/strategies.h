/* strategies.h -- the strategy registry (STYLE §1: names are resolved here
 * and nowhere else). */
#ifndef TS_STRATEGIES_H
#define TS_STRATEGIES_H

#include "game/strategy.h"

extern const ts_strategy_type ts_strat_truthful;
extern const ts_strategy_type ts_strat_exaggerate;
extern const ts_strategy_type ts_strat_extreme;
extern const ts_strategy_type ts_strat_constant;
extern const ts_strategy_type ts_strat_flip;
extern const ts_strategy_type ts_strat_herd;
extern const ts_strategy_type ts_strat_best_response;

/* NULL-terminated, one line per strategy. */
extern const ts_strategy_type *const ts_strategy_types[];

/* Look a strategy up by name; NULL and a message listing the valid names
 * ("unknown strategy 'x' (valid: truthful, ...)") if there is none. */
const ts_strategy_type *ts_strategy_find(const char *name, ts_err *e);

#endif

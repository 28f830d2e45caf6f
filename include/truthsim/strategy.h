/* <truthsim/strategy.h> -- short name of <truthsim/game/strategy.h> (see that header). */
#ifndef TRUTHSIM_STRATEGY_H
#define TRUTHSIM_STRATEGY_H
#include "truthsim/game/strategy.h"
#endif

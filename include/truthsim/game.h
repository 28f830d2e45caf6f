/* <truthsim/game.h> -- short name of <truthsim/game/game.h> (see that header). */
#ifndef TRUTHSIM_GAME_H
#define TRUTHSIM_GAME_H
#include "truthsim/game/game.h"
#endif

/* <truthsim/engine.h> -- short name of <truthsim/engine/engine.h> (see that header). */
#ifndef TRUTHSIM_ENGINE_H
#define TRUTHSIM_ENGINE_H
#include "truthsim/engine/engine.h"
#endif

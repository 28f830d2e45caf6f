/* <truthsim/registry.h> -- short name of <truthsim/game/registry.h> (see that header). */
#ifndef TRUTHSIM_REGISTRY_H
#define TRUTHSIM_REGISTRY_H
#include "truthsim/game/registry.h"
#endif

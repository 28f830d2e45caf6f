/* <truthsim/truthsim.h> -- the whole public API of libtruthsim:
 *   game.h, strategy.h  the vtables a mechanism, population or strategy
 *                       implements (also what a plugin registers);
 *   registry.h          names, and plugins that add to them;
 *   experiment.h        an experiment (YAML) loaded, checked, its points;
 *   engine.h            running a grid point's replicas;
 *   results.h           a sweep of points reduced and written as HDF5.
 * examples/run_experiment.c runs an experiment from C with these. */
#ifndef TRUTHSIM_TRUTHSIM_H
#define TRUTHSIM_TRUTHSIM_H
#include "truthsim/game/game.h"
#include "truthsim/game/strategy.h"
#include "truthsim/game/registry.h"
#include "truthsim/experiment/experiment.h"
#include "truthsim/engine/engine.h"
#include "truthsim/results/results.h"
#endif

/* <truthsim/experiment.h> -- short name of <truthsim/experiment/experiment.h> (see that header). */
#ifndef TRUTHSIM_EXPERIMENT_H
#define TRUTHSIM_EXPERIMENT_H
#include "truthsim/experiment/experiment.h"
#endif

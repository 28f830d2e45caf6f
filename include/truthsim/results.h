/* <truthsim/results.h> -- short name of <truthsim/results/results.h> (see that header). */
#ifndef TRUTHSIM_RESULTS_H
#define TRUTHSIM_RESULTS_H
#include "truthsim/results/results.h"
#endif

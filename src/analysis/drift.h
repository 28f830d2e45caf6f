/* drift.h -- tracking the best worker when the workers' accuracies change
 * (the `drift` population's switches): regret against the best fixed
 * worker (eq. 5; eq. 12 under limited feedback) and against the best
 * worker of each segment, how long the new best worker needs to hold half
 * the share after a change, and whether he overtakes the previous best
 * within Prop. 2's bound (App. H's "by symmetry" remark).
 *
 * The population is a parameter: any population with the `band` and
 * `segment` hooks (game.h) -- the registered `drift`, resolved by the
 * caller.  Nothing here prints; the claim `drift` formats the results. */
#ifndef TS_DRIFT_H
#define TS_DRIFT_H

#include <stdint.h>

#include "game/game.h"

typedef struct ts_drift_cfg {
    int N, m;
    long T;
    /* The population's parameters as a user sets them (ts_params_init,
     * then e.g. drift's switch_at), or NULL for its defaults. */
    const ts_params *pop;
    long R;
    uint64_t seed;
} ts_drift_cfg;

enum { TS_DRIFT_MAX_SWITCH = 8 };

typedef struct ts_drift_out {
    int n_switch;                     /* changes within the horizon: the
                                         segment hook's value at T - 1     */
    double regret, regret_ci;         /* R(T)/T against the best fixed worker
                                         (eq. 5; eq. 12 under limited)      */
    double worst_regret_over_bound;   /* max over paths of R(T) / (3 sqrt(T ln N / 2)) */
    double seg_regret, seg_regret_ci; /* against the best worker of each
                                         segment (in hindsight, per path)   */
    /* Per change k: slots after it until the new best worker's share
     * exceeds 1/2 (mean and CI over the paths where it did before the
     * segment ended), the fraction of such paths, and the slots until the
     * new best's weight overtakes the previous best's, with Prop. 2's
     * bound from the weight ratio at the change (mean over paths), and the
     * fraction of paths that overtook within their own bound. */
    double delay[TS_DRIFT_MAX_SWITCH], delay_ci[TS_DRIFT_MAX_SWITCH];
    double tracked[TS_DRIFT_MAX_SWITCH];
    double overtake[TS_DRIFT_MAX_SWITCH], overtake_bound[TS_DRIFT_MAX_SWITCH];
    double within_bound[TS_DRIFT_MAX_SWITCH];
} ts_drift_out;

/* Run a mechanism (full feedback, or limited with a theta hook) on
 * population pt with truthful workers and exact verification, R replicas
 * keyed by the population's name.  TS_EINVAL for a limited-feedback
 * mechanism without theta (the subset baselines), a population without
 * the band or segment hook, or more than TS_DRIFT_MAX_SWITCH changes. */
int ts_drift_run(const ts_mechanism_type *mt, const ts_population_type *pt,
                 const ts_drift_cfg *c, ts_drift_out *out, ts_err *e);

#endif

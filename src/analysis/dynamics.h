/* dynamics.h -- how the mechanisms respond to change: a better newcomer
 * (Prop. 2, App. H), noisy verification (Prop. 3(b), App. I) and drifting
 * accuracies (population `drift`), as analyses and as the claims `prop2`,
 * `prop3b` and `drift` of `truthsim check` (src/check.c dispatches to
 * them).  Nothing here prints. */
#ifndef TS_DYNAMICS_H
#define TS_DYNAMICS_H

#include <stdint.h>

#include "analysis/check.h"
#include "game/game.h"

/* ------------------------------------------------------------------ */
/* Prop. 2: overtaking.                                                */

typedef struct ts_overtake_cfg {
    int N;          /* workers: incumbent 0, newcomer 1, others 2..N-1     */
    long T;         /* the horizon the step sizes are set for (defaults)   */
    double ratio;   /* w_k / w_i at arrival, > 1                           */
    double gap;     /* Delta = l_k - l_i                                    */
    long horizon;   /* slots simulated after arrival                        */
    long R;         /* Monte Carlo replicas                                 */
    uint64_t seed;
} ts_overtake_cfg;

typedef struct ts_overtake {
    int applicable;     /* 0: the mechanism's weights cannot be set (no
                           set_log_weights, or refused); nothing else valid */
    char why[128];      /* when not applicable                              */
    long bound;         /* Prop. 2: ceil(ln ratio / (alpha Delta)), alpha of
                           `ours` at (N, T)                                  */
    int exact;          /* 1: the expected factor depends on the worker's own
                           loss only, so E[w^{s+1}] = E[w^s] E[f(L)] exactly */
    double g_i, g_k;    /* ln E[f(L)] of newcomer and incumbent (exact)     */
    long tau_exact;     /* first tau with E[w_i] >= E[w_k]; -1: never       */
    long tau_mc;        /* the same from the Monte Carlo means; -1: not
                           within the horizon                               */
    double diff_at_bound, diff_at_bound_ci; /* mean and 95 % CI of
                           w_i - w_k at tau = bound (w_k = 1 at arrival)   */
    double tau_path, tau_path_ci; /* mean first tau with w_i >= w_k on a
                           path, over the paths that overtook             */
    double frac_overtaken;  /* paths that overtook within the horizon       */
    double p_ahead_at_bound; /* P(w_i >= w_k at tau = bound)                */
} ts_overtake;

/* Prop. 2's bound ceil(ln ratio / (alpha gap)), -1 if alpha gap <= 0. */
long ts_overtake_bound(double ratio, double alpha, double gap);

/* The exact recursion of App. H, Step 1, for a full-feedback mechanism
 * whose update multiplies w_i by a factor f(l_i) of the worker's own loss
 * only (ours: 1 - alpha l; hedge: e^{-eta l}): E[w^{s+1}] = E[w^s] E[f(L)].
 * With one prompt per slot L = u^2, u ~ Uniform[lo, hi], and E[f(L)] is
 * an integral over u (16-point Gauss-Legendre on the vtable's own factor;
 * exact for ours, whose factor is a quadratic in u).  g[k] = ln E[f(L)] for
 * band k (k = 0 incumbent, 1 newcomer); *tau the first tau >= 0 with
 * ln(1/ratio) + tau g[1] >= tau g[0], -1 if never.  TS_EINVAL with a reason
 * when the factor is not of that form (it depends on others' reports or
 * on the weights) or the weights cannot be set. */
int ts_overtake_exact(const ts_mechanism_type *mt, int N, long T,
                      const ts_params *par, const double lo[2],
                      const double hi[2], double ratio, double g[2],
                      long *tau, ts_err *e);

/* The whole analysis of one mechanism at one (ratio, gap): exact recursion
 * where it applies, Monte Carlo on the `newcomer` population (m = 1,
 * truthful reports, exact verification) with the newcomer set to
 * w_i = w_k / ratio at arrival through set_log_weights. */
int ts_overtake_run(const ts_mechanism_type *mt, const ts_overtake_cfg *c,
                    ts_overtake *out, ts_err *e);

/* ------------------------------------------------------------------ */
/* Drift: tracking the best worker.                                    */

typedef struct ts_drift_cfg {
    int N, m;
    long T;
    const double *switch_at; /* [n_switch] slots, increasing                */
    int n_switch;
    long R;
    uint64_t seed;
} ts_drift_cfg;

enum { TS_DRIFT_MAX_SWITCH = 8 };

typedef struct ts_drift_out {
    int n_switch;
    double regret, regret_ci;         /* R(T)/T against the best fixed worker
                                         (eq. 5; eq. 12 under limited)      */
    double worst_regret_over_bound;   /* max over paths of R(T) / (3 sqrt(T ln N / 2)) */
    double seg_regret, seg_regret_ci; /* against the best worker of each
                                         segment (in hindsight, per path)   */
    /* Per switch k: slots after the switch until the new best worker's
     * share exceeds 1/2 (mean and CI over the paths where it did before
     * the segment ended), the fraction of such paths, and the slots until
     * the new best's weight overtakes the previous best's, with Prop. 2's
     * bound from the weight ratio at the switch (mean over paths), and the
     * fraction of paths that overtook within their own bound. */
    double delay[TS_DRIFT_MAX_SWITCH], delay_ci[TS_DRIFT_MAX_SWITCH];
    double tracked[TS_DRIFT_MAX_SWITCH];
    double overtake[TS_DRIFT_MAX_SWITCH], overtake_bound[TS_DRIFT_MAX_SWITCH];
    double within_bound[TS_DRIFT_MAX_SWITCH];
} ts_drift_out;

/* Run a mechanism (full feedback, or limited with a theta hook) on the
 * `drift` population (mode 0) with truthful workers.  TS_EINVAL for a
 * limited-feedback mechanism without theta (the subset baselines). */
int ts_drift_run(const ts_mechanism_type *mt, const ts_drift_cfg *c,
                 ts_drift_out *out, ts_err *e);

/* ------------------------------------------------------------------ */
/* The claims. */

int ts_claim_prop2(const ts_check_opts *o, ts_claim_list *out, ts_err *e);
int ts_claim_prop3b(const ts_check_opts *o, ts_claim_list *out, ts_err *e);
int ts_claim_drift(const ts_check_opts *o, ts_claim_list *out, ts_err *e);

#endif

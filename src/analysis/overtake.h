/* overtake.h -- Prop. 2 (App. H): how fast a better newcomer overtakes an
 * incumbent, as an exact recursion where it applies and by Monte Carlo.
 * The population is a parameter: any population with the `band` hook
 * (game.h) whose workers 0 (incumbent) and 1 (newcomer) hold bands whose
 * expected losses differ by the gap -- the registered `newcomer`, resolved
 * by the caller.  Nothing here prints; the claim `prop2` and `truthsim
 * overtake` format the results. */
#ifndef TS_OVERTAKE_H
#define TS_OVERTAKE_H

#include <stdint.h>

#include "game/game.h"

typedef struct ts_overtake_cfg {
    int N;          /* workers: incumbent 0, newcomer 1, others 2..N-1     */
    long T;         /* the horizon the step sizes are set for (defaults)   */
    double ratio;   /* w_k / w_i at arrival, > 1                           */
    double gap;     /* Delta = l_k - l_i: the bound's, and the point id's  */
    long horizon;   /* slots simulated after arrival                        */
    long R;         /* Monte Carlo replicas                                 */
    uint64_t seed;
    /* The population's parameters as a user sets them (ts_params_init,
     * then the entries wanted, e.g. newcomer's gap = Delta), or NULL for
     * its defaults.  Its bands at slot 0 must differ in expected loss by
     * gap; arrival is slot 0. */
    const ts_params *pop;
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

/* Def. 4's default step at (N, T), (2/3) sqrt(2 ln N / T): the alpha of
 * Prop. 2's bound, whichever mechanism runs. */
double ts_overtake_alpha(int N, long T);

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
 * where it applies, Monte Carlo on population pt (m = 1, truthful reports,
 * exact verification) with the newcomer set to w_i = w_k / ratio at
 * arrival through set_log_weights.  TS_EINVAL when pt has no band hook or
 * its bands do not differ by c->gap. */
int ts_overtake_run(const ts_mechanism_type *mt, const ts_population_type *pt,
                    const ts_overtake_cfg *c, ts_overtake *out, ts_err *e);

#endif

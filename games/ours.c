/* ours.c -- the paper's mechanism: Def. 4 (full feedback) and Def. 5
 * (limited feedback), two vtables in one file (STYLE §1).
 *
 * Full feedback, Def. 4 (Sec. IV) as SPEC §2 states it:
 *   Stage II   A_j = sum_i w_i r_ij / sum_i w_i                        (1)
 *   Stage III  w_i <- w_i (1 - alpha l_i),
 *              l_i = (1/m) sum_j (r_ij - pv_j)^2                       (6)
 * with w_i = 1 at the start and alpha = (2/3) sqrt(2 ln N / T) (Thm. 1).
 * Truthful by Prop. 1: the factor is affine in the squared loss, so a
 * worker's expected next weight is maximised at r = q.
 *
 * Limited feedback, Def. 5 (Sec. VI-D), the online mixed selection
 * mechanism: one worker I_t = i is heard per slot, drawn with
 *   theta_i = w_i / sum_k w_k;
 * the label is his report, A_j = r_ij, and only he is reweighed:
 *   gamma_i <- gamma_i (1 - alpha l_i (1 - alpha/theta_i) / theta_i)  (15)
 *   w_i     <- (1 - beta) gamma_i + beta                              (14)
 * with gamma = w = 1 at the start, alpha = sqrt(ln N / (7 N T)) and
 * beta = 2 sqrt(N ln N / (7 T)) (Thm. 2).  Truthful by Prop. 4 (App. F):
 * E[w_i'] is affine in l_i, so again maximised at r = q -- provided
 * alpha < theta_i, without which the factor's slope changes sign.
 *
 * Legend: N workers, m prompts in the slot, T slots, r reports [n_heard][m],
 * pv verified states [m], A labels [m], w weights (Def. 4: kept as
 * logw = log w), alpha step size, l per-worker loss; Def. 5 adds gamma,
 * beta (exploration share) and theta (draw probabilities).
 *
 * Numerics (Def. 4): the weights are kept as logarithms (log w_i +=
 * log1p(-alpha l_i)), because over 10^6 slots the product is
 * e^(-thousands) and would underflow (SPEC §1); mech_mean shifts by the
 * largest log weight before exp.  alpha is limited to (0, 1] so that
 * 1 - alpha l >= 0.  alpha = 1 and l = 1 gives a weight of exactly 0
 * (log w = -inf): that worker drops out of the mean for good; if every
 * heard worker has weight 0 the label is the unweighted mean (mech_mean)
 * and the shares are uniform (ts_shares_from_log).
 *
 * Numerics (Def. 5): gamma and w are kept linear.  gamma only shrinks and
 * may underflow to 0 over a long horizon, which is harmless: w_i =
 * (1 - beta) gamma_i + beta is then beta, its floor, and w never
 * underflows (w_i in [beta, 1]), so theta needs no log domain.
 *
 * Only the heard rows (ts_slot.sel) are aggregated and reweighed, so the
 * Def. 4 functions serve a subset of workers.  Left out: noisy
 * verification, which the engine applies to pv before calling update
 * (Prop. 3), and drawing I_t, which the engine does from theta. */
#include <math.h>

#include "games/games.h"
#include "games/mech_util.h"
#include "base/tsmath.h"

static const char name[] = "ours";

/* ------------------------------------------------------------------ */
/* Full feedback, Def. 4.                                              */

static const ts_param_spec params[] = {
    {"alpha", 0.0, 1.0, TS_PARAM_LO_OPEN,
     "step size of Def. 4 [(2/3) sqrt(2 ln N / T)]; alpha <= 1 keeps "
     "1 - alpha l >= 0"},
};
enum { P_ALPHA, N_PARAMS };

/* The range (0, 1] is generic; what is specific is that the *default*
 * leaves it when T is short for N (T < (8/9) ln N), so say so. */
static int check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    double a = p->v[P_ALPHA];
    if (a > 0.0 && a <= 1.0)
        return TS_OK;
    if (!p->set[P_ALPHA])
        return TS_ERROR(e, TS_EINPUT,
                        "%s: default alpha = (2/3) sqrt(2 ln N / T) = %g at "
                        "N = %d, T = %ld is outside (0, 1]; set alpha "
                        "explicitly (Def. 4 needs 1 - alpha l >= 0)",
                        name, a, g->N, g->T);
    return TS_ERROR(e, TS_EINPUT,
                    "%s: alpha = %g is outside (0, 1] (Def. 4 needs "
                    "1 - alpha l >= 0)", name, a);
}

/* Def. 4, eq. (6): log(1 - alpha l); -inf when alpha l = 1 (weight 0).
 * ts_log1p rather than libm's: the replica lanes compute it eight at a
 * time and must agree bit for bit (tsmath.h). */
static inline double log_factor(double alpha, double l)
{
    return ts_log1p(-alpha * l);
}

MECH_LW_TYPE(ts_mech_ours);

/* ------------------------------------------------------------------ */
/* Limited feedback, Def. 5.                                           */

static const ts_param_spec lim_params[] = {
    {"alpha", 0.0, 1.0, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,
     "step size of Def. 5 [sqrt(ln N / (7 N T))]; must be below "
     "theta_min = beta / (beta + N - 1)"},
    {"beta", 0.0, 1.0, TS_PARAM_LO_OPEN,
     "exploration share of Def. 5, w_i = (1 - beta) gamma_i + beta "
     "[2 sqrt(N ln N / (7 T))]"},
};
enum { L_ALPHA, L_BETA, L_N_PARAMS };

typedef struct lim_state {
    int N, m;
    double alpha, beta;
    /* data = gamma[N] (gamma_i, 1 at the start), then w[N] (w_i =
     * (1 - beta) gamma_i + beta, 1 at the start), by worker id. */
    double data[];
} lim_state;

static void lim_defaults(const ts_shape *g, ts_params *p)
{
    mech_limited_defaults(g, p, L_ALPHA, L_BETA);
}

/* Def. 5 needs alpha < theta_i for every worker at every slot.  gamma_i
 * starts at 1 and is only ever multiplied by factors in (0, 1] (see
 * lim_update), so w_i = (1 - beta) gamma_i + beta lies in (beta, 1], and
 *   theta_i = w_i / (w_i + sum_{k != i} w_k) > beta / (beta + N - 1),
 * the bound being approached when gamma_i -> 0 while every other worker
 * keeps w_k = 1 (never heard, or heard with zero loss).  So
 *   theta_min = beta / (beta + N - 1)  (>= beta/N, since beta <= 1)
 * is the infimum of theta_i over all report sequences: any alpha at or
 * above it can be broken by some sequence, any alpha below it by none.
 * We ask alpha < theta_min strictly (once gamma_i underflows to 0,
 * theta_i is theta_min itself).  With Thm. 2's defaults alpha = beta / (2N) <
 * beta/N <= theta_min (App. F), so only explicit settings can fail. */
static int lim_check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    const double a = p->v[L_ALPHA], b = p->v[L_BETA];
    const char *a_how = p->set[L_ALPHA] ? "" : " (default)";
    int rc = mech_limited_check_beta_range(g, p, L_BETA, name, e);
    if (rc)
        return rc;
    if (!(a > 0.0 && a < 1.0))
        return TS_ERROR(e, TS_EINPUT, "%s: alpha = %g%s is outside (0, 1)",
                        name, a, a_how);
    const double theta_min = b / (b + (double)(g->N - 1));
    if (a < theta_min)
        return TS_OK;
    /* alpha < b / (b + N - 1)  <=>  b > alpha (N - 1) / (1 - alpha). */
    const double b_need = a * (double)(g->N - 1) / (1.0 - a);
    if (b_need < 1.0)
        return TS_ERROR(e, TS_EINPUT,
                        "%s: alpha = %.6g%s must be below theta_min = "
                        "beta/(beta + N - 1) = %.6g at beta = %.6g, N = %d "
                        "(Def. 5 needs alpha < theta_i; w_i in (beta, 1] "
                        "guarantees only theta_i > theta_min); it is %.3g "
                        "too large: lower alpha or raise beta above %.6g",
                        name, a, a_how, theta_min, b, g->N, a - theta_min,
                        b_need);
    return TS_ERROR(e, TS_EINPUT,
                    "%s: alpha = %.6g%s must be below theta_min = "
                    "beta/(beta + N - 1) = %.6g at beta = %.6g, N = %d "
                    "(Def. 5 needs alpha < theta_i; w_i in (beta, 1] "
                    "guarantees only theta_i > theta_min); it is %.3g too "
                    "large: lower alpha (no beta <= 1 suffices at N = %d)",
                    name, a, a_how, theta_min, b, g->N, a - theta_min, g->N);
}

static size_t lim_state_size(const ts_shape *g)
{
    return sizeof(lim_state) + 2 * (size_t)g->N * sizeof(double);
}

static int lim_init(void *st, const ts_shape *g, const ts_params *p,
                    ts_err *e)
{
    int rc = mech_check_shape_params(g, p, lim_check, name, e);
    if (rc)
        return rc;
    lim_state *s = st;
    s->N = g->N;
    s->m = g->m;
    s->alpha = p->v[L_ALPHA];
    s->beta = p->v[L_BETA];
    for (int i = 0; i < 2 * g->N; i++)
        s->data[i] = 1.0; /* gamma = w = 1, exactly (not (1-beta) + beta) */
    return TS_OK;
}

/* sum_k w_k in index order, so theta() and update() agree bit for bit. */
static double lim_wsum(const lim_state *s)
{
    const double *w = s->data + s->N;
    double W = 0.0;
    for (int i = 0; i < s->N; i++)
        W += w[i];
    return W;
}

static void lim_theta(const void *st, double *theta)
{
    const lim_state *s = st;
    const double *w = s->data + s->N;
    const double W = lim_wsum(s); /* >= N beta > 0 */
    for (int i = 0; i < s->N; i++)
        theta[i] = w[i] / W;
}

/* Stage II: I_t's report is the label (mech_one_label). */
MECH_ONE_LABEL_AGGREGATE(lim_aggregate, lim_state);

/* Stage III, eqs. (14)-(15) for the heard worker only.  With x =
 * alpha/theta_i the factor of (15) is 1 - l x (1 - x): alpha (1 -
 * alpha/theta)/theta = x (1 - x).  For 0 < x < 1 (Def. 5's alpha <
 * theta_i) x (1 - x) <= 1/4 and l in [0, 1], so the factor lies in
 * [3/4, 1]: gamma stays positive and never grows.  lim_check makes x < 1
 * certain; the test below is the invariant's guard, not input checking. */
static int lim_update(void *st, const ts_slot *sl, const double *pv,
                      ts_err *e)
{
    lim_state *s = st;
    int i;
    int rc = mech_check_heard_one_pv(sl, pv, s->N, s->m, name, &i, e);
    if (rc)
        return rc;
    double *gamma = s->data, *w = s->data + s->N;
    const double l = mech_sq_loss(sl->r, pv, sl->m);
    const double theta = w[i] / lim_wsum(s);
    const double x = s->alpha / theta;
    const double f = 1.0 - l * x * (1.0 - x);
    if (!(x < 1.0) || !(f > 0.0 && f <= 1.0))
        return TS_ERROR(e, TS_ENONFINITE,
                        "%s: slot %ld: worker %d's factor %g is outside "
                        "(0, 1] (alpha = %g, theta_i = %g, loss %g; Def. 5 "
                        "needs alpha < theta_i)", name, sl->t, i, f,
                        s->alpha, theta, l);
    gamma[i] *= f;
    w[i] = (1.0 - s->beta) * gamma[i] + s->beta;
    return TS_OK;
}

/* What the worker values is w_i; its share w_i / sum w is theta_i. */
static void lim_log_weights(const void *st, double *logw)
{
    const lim_state *s = st;
    const double *w = s->data + s->N;
    for (int i = 0; i < s->N; i++)
        logw[i] = log(w[i]);
}

/* Def. 5 keeps w_i = (1 - beta) gamma_i + beta in (beta, 1].  Shares are
 * what the mechanism uses, so the given weights are shifted to a largest
 * weight of 1; each must then exceed the floor beta (gamma_i > 0). */
static int lim_set_log_weights(void *st, const double *logw, ts_err *e)
{
    lim_state *s = st;
    double M = -INFINITY;
    for (int i = 0; i < s->N; i++) {
        if (isnan(logw[i]) || logw[i] == INFINITY)
            return TS_ERROR(e, TS_EINVAL,
                            "%s: set_log_weights: log w_%d = %g is not a log weight",
                            name, i + 1, logw[i]);
        if (logw[i] > M)
            M = logw[i];
    }
    for (int i = 0; i < s->N; i++)
        if (!(ts_exp(logw[i] - M) > s->beta))
            return TS_ERROR(e, TS_EINVAL,
                            "%s: worker %d's weight %g (relative to the largest) "
                            "is not above Def. 5's floor beta = %g",
                            name, i + 1, ts_exp(logw[i] - M), s->beta);
    double *gamma = s->data, *w = s->data + s->N;
    for (int i = 0; i < s->N; i++) {
        w[i] = ts_exp(logw[i] - M);
        gamma[i] = (w[i] - s->beta) / (1.0 - s->beta);
    }
    return TS_OK;
}

const ts_mechanism_type ts_mech_ours_limited = {
    .name = name,
    .label = name,
    .feedback = TS_LIMITED,
    .params = lim_params,
    .n_params = L_N_PARAMS,
    .defaults = lim_defaults,
    .check = lim_check,
    .state_size = lim_state_size,
    .init = lim_init,
    .aggregate = lim_aggregate,
    .update = lim_update,
    .log_weights = lim_log_weights,
    .set_log_weights = lim_set_log_weights,
    .theta = lim_theta,
    .n_heard = mech_one_heard,
};

/* ours.c -- the paper's online weighted aggregation mechanism, full feedback.
 *
 * Implements Def. 4 (Sec. IV) as SPEC §2 states it:
 *   Stage II   A_j = sum_i w_i r_ij / sum_i w_i                        (1)
 *   Stage III  w_i <- w_i (1 - alpha l_i),
 *              l_i = (1/m) sum_j (r_ij - pv_j)^2                       (6)
 * with w_i = 1 at the start and alpha = (2/3) sqrt(2 ln N / T) (Thm. 1).
 * Truthful by Prop. 1: the factor is affine in the squared loss, so a
 * worker's expected next weight is maximised at r = q.
 *
 * Legend: N workers, m prompts in the slot, T slots, r reports [n_heard][m],
 * pv verified states [m], A labels [m], w weights (kept as logw = log w),
 * alpha step size, l per-worker loss.
 *
 * Numerics: the weights are kept as logarithms (log w_i += log1p(-alpha
 * l_i)), because over 10^6 slots the product is e^(-thousands) and would
 * underflow (SPEC §1); mech_mean shifts by the largest log weight before
 * exp.  alpha is limited to (0, 1] so that 1 - alpha l >= 0.  alpha = 1 and
 * l = 1 gives a weight of exactly 0 (log w = -inf): that worker drops out
 * of the mean for good; if every heard worker has weight 0 the label is the
 * unweighted mean (mech_mean) and the shares are uniform
 * (ts_shares_from_log).
 *
 * Only the heard rows (ts_slot.sel) are aggregated and reweighed, so the
 * same functions serve a subset of workers.  Left out: Def. 5 (limited
 * feedback, its own vtable) and noisy verification, which the engine
 * applies to pv before calling update (Prop. 3). */
#include <math.h>

#include "games.h"
#include "mech_util.h"

static const char name[] = "ours";

static const ts_param_spec params[] = {
    {"alpha", 0.0, 1.0, TS_PARAM_LO_OPEN,
     "step size of Def. 4 [(2/3) sqrt(2 ln N / T)]; alpha <= 1 keeps "
     "1 - alpha l >= 0"},
};
enum { P_ALPHA, N_PARAMS };

static void defaults(const ts_shape *g, ts_params *p)
{
    if (!p->set[P_ALPHA])
        p->v[P_ALPHA] = mech_alpha_default(g);
}

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

static int init(void *st, const ts_shape *g, const ts_params *p, ts_err *e)
{
    int rc = mech_check_shape(g, name, e);
    if (!rc)
        rc = check(g, p, e);
    if (rc)
        return rc;
    mech_lw_init(st, g, p->v[P_ALPHA]);
    return TS_OK;
}

static int aggregate(void *st, const ts_slot *s, double *A, ts_err *e)
{
    return mech_lw_aggregate(st, s, A, name, e);
}

/* Def. 4, eq. (6): log(1 - alpha l); -inf when alpha l = 1 (weight 0). */
static double log_factor(double alpha, double l)
{
    return log1p(-alpha * l);
}

static int update(void *st, const ts_slot *s, const double *pv, ts_err *e)
{
    return mech_lw_update(st, s, pv, log_factor, name, e);
}

const ts_mechanism_type ts_mech_ours = {
    .name = name,
    .label = name,
    .feedback = TS_FULL,
    .params = params,
    .n_params = N_PARAMS,
    .defaults = defaults,
    .check = check,
    .state_size = mech_lw_state_size,
    .init = init,
    .aggregate = aggregate,
    .update = update,
    .log_weights = mech_lw_log_weights,
    .theta = NULL,
    .n_heard = NULL,
    .n_diag = 0,
    .diag_names = NULL,
    .diag = NULL,
};

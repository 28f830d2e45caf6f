/* hedge.c -- benchmark 2: Hedge (exponential weights), full feedback.
 *
 * SPEC §2 (paper Sec. VII, benchmark 2; Lemma 2, App. B):
 *   Stage II   A_j = sum_i w_i r_ij / sum_i w_i
 *   Stage III  w_i <- w_i exp(-eta l_i),  l_i = (1/m) sum_j (r_ij - pv_j)^2
 * with w_i = 1 at the start and eta = alpha of `ours`,
 * (2/3) sqrt(2 ln N / T), as in Fig. 7.  Not truthful (Lemma 2): with one
 * prompt, q e^{-eta (r-1)^2} + (1-q) e^{-eta r^2} has a positive slope at
 * r = q for q > 1/2, so a worker gains by exaggerating.
 *
 * Legend: N workers, m prompts in the slot, T slots, r reports [n_heard][m],
 * pv verified states [m], A labels [m], w weights (kept as logw = log w),
 * eta step size, l per-worker loss.
 *
 * Numerics: log w_i -= eta l_i exactly, with no exp in the update; the
 * mean shifts by the largest log weight (mech_mean), so long horizons
 * neither underflow nor lose the ranking (SPEC §1).  Only heard rows
 * (ts_slot.sel) are aggregated and reweighed.  Left out: the bandit form
 * (exp3, eq. 13), which has its own vtable. */
#include <math.h>

#include "games/games.h"
#include "games/mech_util.h"

static const char name[] = "hedge";

static const ts_param_spec params[] = {
    {"eta", 0.0, INFINITY, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,
     "step size of the exponential update [alpha of ours, "
     "(2/3) sqrt(2 ln N / T), as in Fig. 7]"},
};
enum { P_ETA, N_PARAMS };

static int check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    double eta = p->v[P_ETA];
    if (eta > 0.0 && eta < INFINITY)
        return TS_OK;
    if (!p->set[P_ETA])
        return TS_ERROR(e, TS_EINPUT,
                        "%s: default eta = (2/3) sqrt(2 ln N / T) = %g at "
                        "N = %d, T = %ld is outside (0, inf); set eta "
                        "explicitly", name, eta, g->N, g->T);
    return TS_ERROR(e, TS_EINPUT, "%s: eta = %g is outside (0, inf)", name,
                    eta);
}

/* log of exp(-eta l): exact, no rounding through exp and log. */
static inline double log_factor(double eta, double l)
{
    return -eta * l;
}

MECH_LW_TYPE(ts_mech_hedge);

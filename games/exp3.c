/* exp3.c -- benchmark 4: EXP3 (exponential weights with an importance-
 * weighted loss), limited feedback only.
 *
 * Paper Sec. VI-C, eq. (13), as SPEC §2 (second table) states it.  One
 * worker I_t = i is heard per slot, drawn with
 *   theta_i = (1 - beta) w_i / sum_k w_k + beta / N;
 * the label is his report, A_j = r_ij, and only he is reweighed:
 *   w_i <- w_i exp(-eta l_i / theta_i),  l_i = (1/m) sum_j (r_ij - pv_j)^2
 * (l_i / theta_i is the unbiased loss estimate of (13)); w_i = 1 at the
 * start, eta = alpha of limited `ours` = sqrt(ln N / (7 N T)) and beta as
 * limited `ours`, 2 sqrt(N ln N / (7 T)) (Fig. 9).  Not truthful (Lemma 4,
 * App. E): with one prompt, E[w_i'] = theta_i w_i F(r) + (1 - theta_i) w_i,
 * F(r) = q e^{-c (1-r)^2} + (1-q) e^{-c r^2}, c = eta / theta_i, has a
 * positive slope at r = q for q > 1/2, so a worker gains by exaggerating.
 * There is no full-feedback exp3 (that is `hedge`).
 *
 * Legend: N workers, m prompts in the slot, T slots, r reports [1][m],
 * pv verified states [m], A labels [m], w weights (kept as logw = log w),
 * eta step size, beta exploration share, theta draw probabilities, l loss.
 *
 * Numerics: log w_i -= eta l_i / theta_i, with no exp in the update.  The
 * step is at most eta N / beta (theta_i >= beta/N), so log weights stay
 * finite; over a long horizon they fall far below -745, where w itself
 * would underflow, and theta is formed from them shifted by their maximum
 * (the largest becomes exp(0) = 1), so the ranking survives any horizon.
 * The worker values w_i, and his share w_i / sum w is the (1 - beta) part
 * of theta without the floor (SPEC §2: "share is w_i/Σw in both").
 *
 * Left out: drawing I_t (the engine does it from theta) and noisy
 * verification (applied to pv before update, Prop. 3). */
#include <math.h>

#include "games/games.h"
#include "games/mech_util.h"
#include "base/tsmath.h"

static const char name[] = "exp3";

static const ts_param_spec params[] = {
    {"eta", 0.0, INFINITY, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,
     "step size of eq. (13) [alpha of limited ours, sqrt(ln N / (7 N T)), "
     "as in Fig. 9]"},
    {"beta", 0.0, 1.0, TS_PARAM_LO_OPEN,
     "uniform exploration share, theta_i >= beta/N [as limited ours, "
     "2 sqrt(N ln N / (7 T))]"},
};
enum { P_ETA, P_BETA, N_PARAMS };

typedef struct exp3_state {
    int N, m;
    double eta, beta;
    double logw[]; /* [N] log w_i, 0 at the start, by worker id */
} exp3_state;

static void defaults(const ts_shape *g, ts_params *p)
{
    mech_limited_defaults(g, p, P_ETA, P_BETA);
}

/* The ranges are the spec's; what is specific is that the default beta
 * leaves (0, 1] when T is short for N, so say so, naming T. */
static int check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    const double eta = p->v[P_ETA];
    int rc = mech_limited_check_beta_range(g, p, P_BETA, name, e);
    if (rc)
        return rc;
    if (!(eta > 0.0 && eta < INFINITY))
        return TS_ERROR(e, TS_EINPUT, "%s: eta = %g%s is outside (0, inf)",
                        name, eta, p->set[P_ETA] ? "" : " (default)");
    return TS_OK;
}

static size_t state_size(const ts_shape *g)
{
    return sizeof(exp3_state) + (size_t)g->N * sizeof(double);
}

static int init(void *st, const ts_shape *g, const ts_params *p, ts_err *e)
{
    int rc = mech_check_shape_params(g, p, check, name, e);
    if (rc)
        return rc;
    exp3_state *s = st;
    s->N = g->N;
    s->m = g->m;
    s->eta = p->v[P_ETA];
    s->beta = p->v[P_BETA];
    for (int i = 0; i < g->N; i++)
        s->logw[i] = 0.0;
    return TS_OK;
}

/* theta_i of eq. (13) for worker i, and for every worker into out[N] when
 * out is not NULL; from the log weights shifted by their maximum, summed in
 * index order, so theta() and update() agree bit for bit. */
static double theta_of(const exp3_state *s, int i, double *out)
{
    const int N = s->N;
    double M = s->logw[0];
    for (int k = 1; k < N; k++)
        if (s->logw[k] > M)
            M = s->logw[k];
    double S = 0.0; /* >= 1: the maximum contributes exp(0) */
    for (int k = 0; k < N; k++)
        S += ts_exp(s->logw[k] - M);
    const double keep = 1.0 - s->beta, explore = s->beta / N;
    if (out)
        for (int k = 0; k < N; k++)
            out[k] = keep * (ts_exp(s->logw[k] - M) / S) + explore;
    return keep * (ts_exp(s->logw[i] - M) / S) + explore;
}

static void theta(const void *st, double *th)
{
    (void)theta_of(st, 0, th);
}

/* Stage II: I_t's report is the label (mech_one_label). */
MECH_ONE_LABEL_AGGREGATE(aggregate, exp3_state);

/* Stage III, eq. (13): log w_i -= eta l_i / theta_i for the heard worker. */
static int update(void *st, const ts_slot *sl, const double *pv, ts_err *e)
{
    exp3_state *s = st;
    int i;
    int rc = mech_check_heard_one_pv(sl, pv, s->N, s->m, name, &i, e);
    if (rc)
        return rc;
    const double l = mech_sq_loss(sl->r, pv, sl->m);
    const double th = theta_of(s, i, NULL);
    const double lw = s->logw[i] - s->eta * l / th;
    if (!isfinite(lw))
        return TS_ERROR(e, TS_ENONFINITE,
                        "%s: slot %ld: worker %d's log weight became %g "
                        "(eta = %g, theta_i = %g, loss %g)", name, sl->t, i,
                        lw, s->eta, th, l);
    s->logw[i] = lw;
    return TS_OK;
}

static void log_weights(const void *st, double *logw)
{
    const exp3_state *s = st;
    for (int i = 0; i < s->N; i++)
        logw[i] = s->logw[i];
}

/* theta uses only the ratios of the weights, so any finite logs will do. */
static int set_log_weights(void *st, const double *logw, ts_err *e)
{
    exp3_state *s = st;
    for (int i = 0; i < s->N; i++)
        if (!isfinite(logw[i]))
            return TS_ERROR(e, TS_EINVAL,
                            "%s: set_log_weights: log w_%d = %g is not finite",
                            name, i + 1, logw[i]);
    for (int i = 0; i < s->N; i++)
        s->logw[i] = logw[i];
    return TS_OK;
}

const ts_mechanism_type ts_mech_exp3 = {
    .name = name,
    .label = name,
    .feedback = TS_LIMITED,
    .params = params,
    .n_params = N_PARAMS,
    .defaults = defaults,
    .check = check,
    .state_size = state_size,
    .init = init,
    .aggregate = aggregate,
    .update = update,
    .log_weights = log_weights,
    .set_log_weights = set_log_weights,
    .theta = theta,
    .n_heard = mech_one_heard,
};

/* wsu.c -- Weighted-Score Update (Freeman, Pennock, Podimata and Wortman
 * Vaughan, "No-Regret and Incentive-Compatible Online Learning", ICML
 * 2020): WSU under full feedback and WSU-UX under limited feedback, two
 * vtables in one file (STYLE §1).  Beyond the paper (Hao & Duan); SPEC §2
 * states both rows.
 *
 * Full feedback, WSU (SPEC §2, first table):
 *   Stage II   A_j = sum_i pi_i r_ij                                  (W1)
 *   Stage III  pi_i <- pi_i (1 - eta (l_i - Lbar)),
 *              Lbar = sum_k pi_k l_k,  l_i = (1/m) sum_j (r_ij - pv_j)^2 (W2)
 * with pi_i = 1/N at the start and eta = sqrt(ln N / T).  Summing (W2) over
 * i gives sum_i pi_i' = 1 - eta Lbar + eta Lbar = 1: the update moves
 * share from workers worse than the weighted average to better ones, and
 * is the weighted-score wagering mechanism (score 1 - l) mixed with the
 * identity at rate eta.  A worker's next share is affine and decreasing in
 * his own loss, E[pi_i'] = pi_i (1 - eta ((1 - pi_i) E[l_i] - sum_{k != i}
 * pi_k l_k)), so reporting r = q maximises it: truthful when workers value
 * their *share* pi_i (not only their weight, as `ours` under Prop. 1).
 *
 * Limited feedback, WSU-UX (SPEC §2, second table).  One worker I_t = I is
 * heard per slot, drawn with
 *   theta_i = (1 - beta) pi_i + beta / N;                             (U1)
 * the label is his report, A_j = r_Ij; his loss is importance-weighted,
 *   lh_I = l_I / theta_I,  lh_k = 0 for k != I,                       (U2)
 * and (W2) runs on lh for *every* worker:
 *   pi_I <- pi_I (1 - eta lh_I (1 - pi_I)),
 *   pi_k <- pi_k (1 + eta pi_I lh_I)         (k != I).                (U3)
 * Defaults eta = (ln N / (4 sqrt(N) T))^(2/3), beta = sqrt(eta N).  The
 * heard worker's factor is positive for every loss and state only when
 * eta N / beta < 1: with l_I = 1 it is 1 - eta (1 - pi_I) / ((1 - beta)
 * pi_I + beta / N), whose infimum (pi_I -> 0) is 1 - eta N / beta.  The
 * check refuses eta N / beta >= 1 (pi could turn negative).  With the
 * defaults eta N / beta = beta.
 *
 * Legend: N workers, m prompts in the slot, T slots, r reports [n_heard][m],
 * pv verified states [m], A labels [m], pi shares (kept as lp = log pi),
 * eta step size, l per-worker loss, Lbar the pi-weighted mean loss; WSU-UX
 * adds beta (exploration share), theta (draw probabilities) and lh (the
 * importance-weighted loss).
 *
 * Numerics: pi is kept as lp_i = log pi_i.  A poor worker's share shrinks
 * geometrically and over 10^6 slots falls far below DBL_MIN (SPEC §1,
 * "Weights underflow"), so (W2) and (U3) add log1p(-eta (l_i - Lbar)) to
 * lp_i and then renormalise, lp_i -= log sum_k exp(lp_k) (summed from the
 * largest, so no exp overflows or all underflow).  Renormalising changes
 * nothing mathematically (sum pi stays 1) and keeps rounding drift out of
 * log_weights, which returns log pi_i itself.  eta is kept below 1 under
 * full feedback, so every factor of (W2) lies in [1 - eta, 1 + eta] and is
 * positive.  Worker i's share is pi_i for both vtables (SPEC §2: "share is
 * pi_i for wsu"); theta adds the beta/N floor to it.
 *
 * Left out: drawing I_t (the engine does it from theta), noisy
 * verification (applied to pv before update, Prop. 3), and Freeman et
 * al.'s forward-looking variant (ELF-X). */
#include <math.h>
#include <string.h>

#include "games/games.h"
#include "games/mech_util.h"
#include "base/tsmath.h"

static const char name[] = "wsu";

typedef struct wsu_state {
    int N, m;
    double eta;    /* step size                                            */
    double beta;   /* WSU-UX exploration share; 0 under full feedback      */
    /* data = lp[N] (log pi_i, -log N at the start), then scratch pi[N]
     * and loss[N], by worker id. */
    double data[];
} wsu_state;

static size_t state_size(const ts_shape *g)
{
    return sizeof(wsu_state) + 3 * (size_t)g->N * sizeof(double);
}

static void start(wsu_state *s, const ts_shape *g, double eta, double beta)
{
    s->N = g->N;
    s->m = g->m;
    s->eta = eta;
    s->beta = beta;
    const double lp0 = -log((double)g->N); /* pi_i = 1/N */
    for (int i = 0; i < g->N; i++)
        s->data[i] = lp0;
    memset(s->data + g->N, 0, 2 * (size_t)g->N * sizeof(double));
}

/* pi[N] from lp, shifted by the largest and summed in index order.  Every
 * user of pi takes it from here, so theta, the label and the update agree
 * bit for bit. */
static void shares(const wsu_state *s, const double *lp, double *pi)
{
    double M = -INFINITY;
    for (int i = 0; i < s->N; i++)
        if (lp[i] > M)
            M = lp[i];
    double S = 0.0; /* >= 1: the largest contributes exp(0) */
    for (int i = 0; i < s->N; i++)
        S += pi[i] = ts_exp(lp[i] - M);
    for (int i = 0; i < s->N; i++)
        pi[i] /= S;
}

/* lp_i -= log sum_k exp(lp_k): back to log pi with sum pi = 1. */
static void renormalise(int N, double *lp)
{
    double M = -INFINITY;
    for (int i = 0; i < N; i++)
        if (lp[i] > M)
            M = lp[i];
    double S = 0.0;
    for (int i = 0; i < N; i++)
        S += ts_exp(lp[i] - M);
    const double lse = M + log(S);
    for (int i = 0; i < N; i++)
        lp[i] -= lse;
}

/* What a worker values is pi_i; log_weights returns log pi_i. */
static void log_weights(const void *st, double *logw)
{
    const wsu_state *s = st;
    memcpy(logw, s->data, (size_t)s->N * sizeof *logw);
}

/* Any log weights name a share vector after normalisation; -inf (a share
 * of 0, which (W2) and (U3) keep at 0) is allowed as long as one is
 * finite. */
static int set_log_weights(void *st, const double *logw, ts_err *e)
{
    wsu_state *s = st;
    int finite = 0;
    for (int i = 0; i < s->N; i++) {
        if (isnan(logw[i]) || logw[i] == INFINITY)
            return TS_ERROR(e, TS_EINVAL,
                            "%s: set_log_weights: log w_%d = %g is not a log "
                            "weight", name, i + 1, logw[i]);
        finite += isfinite(logw[i]) != 0;
    }
    if (!finite)
        return TS_ERROR(e, TS_EINVAL,
                        "%s: set_log_weights: every weight is 0; shares "
                        "need one positive weight", name);
    memcpy(s->data, logw, (size_t)s->N * sizeof *logw);
    renormalise(s->N, s->data);
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Full feedback, WSU.                                                 */

static const ts_param_spec params[] = {
    {"eta", 0.0, 1.0, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,
     "step size of WSU, pi_i *= 1 - eta (l_i - sum_k pi_k l_k) "
     "[sqrt(ln N / T)]; below 1 keeps every factor positive"},
};
enum { P_ETA, N_PARAMS };

static void defaults(const ts_shape *g, ts_params *p)
{
    if (!p->set[P_ETA])
        p->v[P_ETA] = g->N >= 2 && g->T >= 1
                          ? sqrt(log((double)g->N) / (double)g->T)
                          : NAN;
}

static int check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    const double eta = p->v[P_ETA];
    if (eta > 0.0 && eta < 1.0)
        return TS_OK;
    if (!p->set[P_ETA])
        return TS_ERROR(e, TS_EINPUT,
                        "%s: default eta = sqrt(ln N / T) = %g at N = %d, "
                        "T = %ld is outside (0, 1) (it needs N >= 2 and "
                        "T > ln N); set eta explicitly", name, eta, g->N,
                        g->T);
    return TS_ERROR(e, TS_EINPUT,
                    "%s: eta = %g is outside (0, 1) (WSU needs 1 - eta (l_i "
                    "- Lbar) > 0)", name, eta);
}

static int init(void *st, const ts_shape *g, const ts_params *p, ts_err *e)
{
    int rc = mech_check_shape_params(g, p, check, name, e);
    if (rc)
        return rc;
    start(st, g, p->v[P_ETA], 0.0);
    return TS_OK;
}

/* WSU reweighs everyone against the pi-weighted mean loss, so it needs
 * every worker's report (no subset form).  reports: also check that they
 * lie in [0,1] (update finds that out inside its loss loop instead). */
static int check_all_heard(const wsu_state *s, const ts_slot *sl,
                           int reports, ts_err *e)
{
    int rc = reports ? mech_check_slot(sl, s->N, s->m, name, e)
                     : mech_check_slot_shape(sl, s->N, s->m, name, e);
    if (!rc && sl->n_heard != s->N)
        rc = TS_ERROR(e, TS_EINVAL,
                      "%s: slot %ld hears %d of %d workers; full-feedback "
                      "WSU needs all", name, sl->t, sl->n_heard, s->N);
    return rc;
}

/* Stage II, (W1): the pi-weighted mean (mech_mean normalises by the sum
 * of the shifted weights, which is sum pi = 1 up to rounding). */
static int aggregate(void *st, const ts_slot *sl, double *A, ts_err *e)
{
    const wsu_state *s = st;
    int rc = check_all_heard(s, sl, 1, e);
    if (rc)
        return rc;
    mech_mean(sl, s->data, A);
    return TS_OK;
}

/* Stage III, (W2) in the log domain, then renormalised. */
static int update(void *st, const ts_slot *sl, const double *pv, ts_err *e)
{
    wsu_state *s = st;
    int rc = check_all_heard(s, sl, 0, e);
    if (!rc)
        rc = mech_check_pv(sl, pv, name, e);
    if (rc)
        return rc;
    const int N = s->N;
    double *lp = s->data, *pi = s->data + N, *loss = pi + N;
    rc = mech_slot_losses(sl, pv, N, s->m, name, loss, e);
    if (rc) /* no share has changed */
        return rc;
    shares(s, lp, pi);
    double Lbar = 0.0;
    for (int i = 0; i < N; i++)
        Lbar += pi[i] * loss[i];
    /* l_i - Lbar is in [-1, 1] and eta < 1: every factor is positive. */
    for (int i = 0; i < N; i++)
        lp[i] += ts_log1p(-s->eta * (loss[i] - Lbar));
    renormalise(N, lp);
    return TS_OK;
}

const ts_mechanism_type ts_mech_wsu = {
    .name = name,
    .label = name,
    .feedback = TS_FULL,
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
};

/* ------------------------------------------------------------------ */
/* Limited feedback, WSU-UX.                                           */

static const ts_param_spec lim_params[] = {
    {"eta", 0.0, 1.0, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,
     "step size of WSU-UX [(ln N / (4 sqrt(N) T))^(2/3)]; eta N / beta "
     "must be below 1"},
    {"beta", 0.0, 1.0, TS_PARAM_LO_OPEN,
     "uniform exploration share, theta_i = (1 - beta) pi_i + beta/N "
     "[sqrt(eta N)]"},
};
enum { L_ETA, L_BETA, L_N_PARAMS };

/* eta first, then beta from the eta in use (the user's, if set). */
static void lim_defaults(const ts_shape *g, ts_params *p)
{
    const double N = (double)g->N, T = (double)g->T;
    if (!p->set[L_ETA])
        p->v[L_ETA] = g->N >= 2 && g->T >= 1
                          ? pow(log(N) / (4.0 * sqrt(N) * T), 2.0 / 3.0)
                          : NAN;
    if (!p->set[L_BETA])
        p->v[L_BETA] = sqrt(p->v[L_ETA] * N);
}

static int lim_check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    const double eta = p->v[L_ETA], beta = p->v[L_BETA];
    const char *how = p->set[L_ETA] ? "" : " (default)";
    if (!(eta > 0.0 && eta < 1.0))
        return TS_ERROR(e, TS_EINPUT,
                        "%s: eta = %g%s is outside (0, 1)%s", name, eta, how,
                        p->set[L_ETA] ? ""
                                      : "; the default needs N >= 2 and T "
                                        ">= 1, else set eta explicitly");
    if (!(beta > 0.0 && beta <= 1.0)) {
        if (!p->set[L_BETA])
            /* beta = sqrt(eta N) > 1 <=> eta N > 1; with the default eta
             * that is T < N ln N / 4. */
            return TS_ERROR(e, TS_EINPUT,
                            "%s: default beta = sqrt(eta N) = %g at eta = "
                            "%g, N = %d is outside (0, 1]%s; set beta in "
                            "(0, 1] (and eta N / beta < 1) explicitly",
                            name, beta, eta, g->N,
                            p->set[L_ETA] ? ""
                                          : " (with the default eta it "
                                            "needs T >= N ln N / 4)");
        return TS_ERROR(e, TS_EINPUT, "%s: beta = %g is outside (0, 1]",
                        name, beta);
    }
    const double ratio = eta * (double)g->N / beta;
    if (!(ratio < 1.0))
        return TS_ERROR(e, TS_EINPUT,
                        "%s: eta N / beta = %.3g must be below 1 (WSU-UX: pi "
                        "could turn negative; eta = %g%s, N = %d, beta = %g): "
                        "lower eta or raise beta", name, ratio, eta, how,
                        g->N, beta);
    return TS_OK;
}

static int lim_init(void *st, const ts_shape *g, const ts_params *p,
                    ts_err *e)
{
    int rc = mech_check_shape_params(g, p, lim_check, name, e);
    if (rc)
        return rc;
    start(st, g, p->v[L_ETA], p->v[L_BETA]);
    return TS_OK;
}

/* (U1) into theta[N] from the shares pi[N]. */
static void theta_from(const wsu_state *s, const double *pi, double *theta)
{
    const double keep = 1.0 - s->beta, explore = s->beta / s->N;
    for (int i = 0; i < s->N; i++)
        theta[i] = keep * pi[i] + explore;
}

static void lim_theta(const void *st, double *theta)
{
    const wsu_state *s = st;
    shares(s, s->data, theta); /* pi, then the floor, in place */
    theta_from(s, theta, theta);
}

/* Stage II: I_t's report is the label (mech_one_label). */
MECH_ONE_LABEL_AGGREGATE(lim_aggregate, wsu_state);

/* Stage III, (U2)-(U3) in the log domain, then renormalised.  1 - pi_I is
 * summed from the others' shares, which keeps its digits when pi_I is
 * near 1. */
static int lim_update(void *st, const ts_slot *sl, const double *pv,
                      ts_err *e)
{
    wsu_state *s = st;
    int I;
    int rc = mech_check_heard_one_pv(sl, pv, s->N, s->m, name, &I, e);
    if (rc)
        return rc;
    const int N = s->N;
    double *lp = s->data, *pi = s->data + N, *theta = pi + N;
    shares(s, lp, pi);
    theta_from(s, pi, theta);
    const double lh = mech_sq_loss(sl->r, pv, sl->m) / theta[I]; /* (U2) */
    double rest = 0.0;
    for (int k = 0; k < N; k++)
        if (k != I)
            rest += pi[k];
    const double x = s->eta * lh * rest;
    /* lim_check keeps x < eta N / beta < 1; this guards the invariant. */
    if (!(x < 1.0))
        return TS_ERROR(e, TS_ENONFINITE,
                        "%s: slot %ld: worker %d's factor 1 - %g is not "
                        "positive (eta = %g, theta_I = %g; WSU-UX needs "
                        "eta N / beta < 1)", name, sl->t, I, x, s->eta,
                        theta[I]);
    const double up = ts_log1p(s->eta * pi[I] * lh);
    for (int k = 0; k < N; k++)
        lp[k] += k == I ? ts_log1p(-x) : up;
    renormalise(N, lp);
    return TS_OK;
}

const ts_mechanism_type ts_mech_wsu_limited = {
    .name = name,
    .label = name,
    .feedback = TS_LIMITED,
    .params = lim_params,
    .n_params = L_N_PARAMS,
    .defaults = lim_defaults,
    .check = lim_check,
    .state_size = state_size,
    .init = lim_init,
    .aggregate = lim_aggregate,
    .update = lim_update,
    .log_weights = log_weights,
    .set_log_weights = set_log_weights,
    .theta = lim_theta,
    .n_heard = mech_one_heard,
};

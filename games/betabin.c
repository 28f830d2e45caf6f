/* betabin.c -- benchmark 6, `betabin`: Beta-binomial reliabilities with a
 * log-odds (naive-Bayes) vote.  Full feedback and limited feedback, two
 * vtables in one file (STYLE §1); SPEC §2 states both rows.
 *
 * Worker i's reliability is the mean of a Beta(a_i, b_i) whose counts grow
 * with his soft agreement with the verified states:
 *   a^_i = a_i / (a_i + b_i),  a_i = b_i = 1 at the start (a0, b0)     (B1)
 * Full feedback:
 *   Stage II   A_j = sigma(sum_i (2 r_ij - 1) logit a^_i)              (B2)
 *   Stage III  a_i += sum_j (1 - |r_ij - pv_j|),
 *              b_i += sum_j |r_ij - pv_j|                              (B3)
 * (a report r is read as a soft vote: 2r - 1 in [-1, 1], weighted by the
 * log-odds of the worker being right).  The worker values a^_i (his
 * weight), and his share is a^_i / sum_k a^_k (SPEC §7.1).  Not truthful:
 * (B3) scores the absolute error, and E[1 - |r - p|] = q r + (1 - q)(1 - r)
 * is linear in r, so a worker with q > 1/2 raises a^_i most by reporting 1.
 *
 * Limited feedback (SPEC §2, second table): one worker I_t = i is heard per
 * slot, drawn with theta_i = a^_i / sum_k a^_k; the label is his report,
 * A_j = r_ij (SPEC §1, Sec. VI), and (B3) runs on him alone.
 *
 * Legend: N workers, m prompts in the slot, T slots, r reports [n_heard][m],
 * pv verified states [m], A labels [m], a / b agreement / disagreement
 * counts, a^ reliability, a0 / b0 their prior values, theta draw
 * probabilities.
 *
 * Numerics: logit a^_i = log a_i - log b_i and log a^_i = log a_i -
 * log(a_i + b_i) come from the counts, which never fall below the prior
 * (a0, b0 > 0), so both are finite with no clipping, even where a^_i would
 * round to 1; sigma is evaluated on the side where exp cannot overflow.
 *
 * Left out: a learnt prior, a two-coin (per-class) reliability, drawing I_t
 * (the engine does it from theta) and noisy verification (applied to pv
 * before update, Prop. 3). */
#include <math.h>

#include "games/games.h"
#include "games/mech_util.h"
#include "base/tsmath.h"

static const char name[] = "betabin";

static const ts_param_spec params[] = {
    {"a0", 0.0, INFINITY, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,
     "prior agreement count a_i at the start [1]"},
    {"b0", 0.0, INFINITY, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,
     "prior disagreement count b_i at the start [1]"},
};
enum { P_A0, P_B0, N_PARAMS };

typedef struct betabin_state {
    int N, m;
    double data[]; /* a[N], then b[N], by worker id */
} betabin_state;

static void defaults(const ts_shape *g, ts_params *p)
{
    (void)g;
    if (!p->set[P_A0])
        p->v[P_A0] = 1.0;
    if (!p->set[P_B0])
        p->v[P_B0] = 1.0;
}

static int check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    (void)g;
    static const char *const key[N_PARAMS] = {"a0", "b0"};
    for (int k = 0; k < N_PARAMS; k++)
        if (!(p->v[k] > 0.0 && p->v[k] < INFINITY))
            return TS_ERROR(e, TS_EINPUT,
                            "%s: %s = %g is outside (0, inf) (a Beta prior "
                            "needs positive counts)", name, key[k], p->v[k]);
    return TS_OK;
}

static size_t state_size(const ts_shape *g)
{
    return sizeof(betabin_state) + 2 * (size_t)g->N * sizeof(double);
}

static int init(void *st, const ts_shape *g, const ts_params *p, ts_err *e)
{
    int rc = mech_check_shape_params(g, p, check, name, e);
    if (rc)
        return rc;
    betabin_state *s = st;
    s->N = g->N;
    s->m = g->m;
    for (int i = 0; i < g->N; i++) {
        s->data[i] = p->v[P_A0];
        s->data[g->N + i] = p->v[P_B0];
    }
    return TS_OK;
}

/* sigma(x) = 1 / (1 + e^-x), with exp of a non-positive number only. */
static double sigmoid(double x)
{
    if (x >= 0.0)
        return 1.0 / (1.0 + ts_exp(-x));
    const double z = ts_exp(x);
    return z / (1.0 + z);
}

/* Stage II, (B2) over the heard rows, summed in row order. */
static int aggregate(void *st, const ts_slot *sl, double *A, ts_err *e)
{
    const betabin_state *s = st;
    int rc = mech_check_slot(sl, s->N, s->m, name, e);
    if (rc)
        return rc;
    const double *a = s->data, *b = s->data + s->N;
    for (int j = 0; j < sl->m; j++)
        A[j] = 0.0;
    for (int h = 0; h < sl->n_heard; h++) {
        const int i = mech_worker(sl, h);
        const double lo = log(a[i]) - log(b[i]); /* logit a^_i */
        const double *r = sl->r + (size_t)h * (size_t)sl->m;
        for (int j = 0; j < sl->m; j++)
            A[j] += (2.0 * r[j] - 1.0) * lo;
    }
    for (int j = 0; j < sl->m; j++)
        A[j] = sigmoid(A[j]);
    return TS_OK;
}

/* Stage III, (B3) for the heard rows; both sums as SPEC §2 writes them
 * (the agreement is not formed as m minus the disagreement). */
static int update(void *st, const ts_slot *sl, const double *pv, ts_err *e)
{
    betabin_state *s = st;
    int rc = mech_check_slot_pv(sl, pv, s->N, s->m, name, e);
    if (rc)
        return rc;
    double *a = s->data, *b = s->data + s->N;
    for (int h = 0; h < sl->n_heard; h++) {
        const int i = mech_worker(sl, h);
        const double *r = sl->r + (size_t)h * (size_t)sl->m;
        double agree = 0.0, miss = 0.0;
        for (int j = 0; j < sl->m; j++) {
            const double d = fabs(r[j] - pv[j]);
            agree += 1.0 - d;
            miss += d;
        }
        a[i] += agree;
        b[i] += miss;
    }
    return TS_OK;
}

/* log a^_i = log a_i - log(a_i + b_i). */
static void log_weights(const void *st, double *logw)
{
    const betabin_state *s = st;
    const double *a = s->data, *b = s->data + s->N;
    for (int i = 0; i < s->N; i++)
        logw[i] = log(a[i]) - log(a[i] + b[i]);
}

const ts_mechanism_type ts_mech_betabin = {
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
    .set_log_weights = NULL, /* a^_i comes from counts, not a weight */
};

/* ------------------------------------------------------------------ */
/* Limited feedback: theta_i = a^_i / sum a^, (B3) on the heard worker. */

static void lim_theta(const void *st, double *theta)
{
    const betabin_state *s = st;
    const double *a = s->data, *b = s->data + s->N;
    for (int i = 0; i < s->N; i++)
        theta[i] = a[i] / (a[i] + b[i]);
    mech_theta_shares(s->N, theta); /* the sum is > 0: every a^_i is */
}

MECH_ONE_HEARD_LIMITED(ts_mech_betabin_limited, betabin_state, name);

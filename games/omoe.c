/* omoe.c -- benchmark 5, `omoe`: a STAND-IN for Liu & Etesami's online
 * mixture-of-experts aggregation (NeurIPS 2025), whose exact rules are not
 * public.  Outputs and plots label it "omoe (stand-in)" (.label).  Full
 * feedback and limited feedback, two vtables in one file (STYLE §1); SPEC
 * §2 states both rows.
 *
 * Each report casts a vote, 1{r_ij >= 1/2}, and worker i's votes are
 * weighed by an optimistic estimate of how often his votes are right:
 *   n_i  votes so far, k_i of them correct (the vote equals pv_j);
 *   c^_i = k_i / n_i;
 *   c~_i = min(1 - delta, c^_i + sqrt(ln(t^2) / (2 n_i))),  t the slot,
 *          1-based (a UCB bonus); c~_i = 1 - delta while n_i = 0;      (O1)
 *   v_i  = max(0, logit c~_i)                                          (O2)
 * Full feedback:
 *   Stage II   A_j = sigma(sum_i v_i (2 1{r_ij >= 1/2} - 1))           (O3)
 *   Stage III  n_i += m, k_i += #{j : 1{r_ij >= 1/2} = pv_j}           (O4)
 * (the weighted majority vote of a naive-Bayes ensemble whose members are
 * right with probability c~_i, read as a probability).  A worker with
 * c~_i <= 1/2 has v_i = 0 and no say; if every v_i = 0 the label is
 * sigma(0) = 1/2 and the shares are uniform.  The worker values v_i: his
 * share is v_i / sum_k v_k (SPEC §7.1).  Only the side of 1/2 a report
 * falls on moves the counts, so r = q is a best response but not the only
 * one: any report on the same side of 1/2 (e.g. `extreme`) earns as much.
 *
 * Limited feedback (SPEC §2, second table): one worker I_t = i is heard per
 * slot, drawn with theta_i = v_i / sum_k v_k (uniform when every v_k = 0);
 * the label is his report, A_j = r_ij (SPEC §1, Sec. VI), and (O4) runs on
 * him alone.  A worker with v_i = 0 is not drawn until the bonus of (O1),
 * which grows with t while n_i stands still, lifts c~_i above 1/2 again.
 *
 * Legend: N workers, m prompts in the slot, T slots, r reports [n_heard][m],
 * pv verified states [m], A labels [m], n / k votes / correct votes,
 * c~ optimistic accuracy, v vote weight, delta the cap's margin, t1 the
 * coming slot's 1-based index, theta draw probabilities.
 *
 * Numerics: c~ <= 1 - delta keeps logit c~ <= logit(1 - delta) (6.9 at the
 * default), so every v_i is finite; sigma is evaluated on the side where
 * exp cannot overflow.  The counts are doubles (exact up to 2^53 votes).
 * t in (O1) is the state's own slot count (t1 = slots updated + 1), so
 * theta, the shares and the label of a slot all use one t.
 *
 * Left out: whatever Liu & Etesami do beyond this (the stand-in's rules are
 * SPEC §2's), drawing I_t (the engine does it from theta) and noisy
 * verification (applied to pv before update, Prop. 3). */
#include <math.h>
#include <string.h>

#include "games/games.h"
#include "games/mech_util.h"
#include "base/tsmath.h"

static const char name[] = "omoe";
static const char label[] = "omoe (stand-in)";

static const ts_param_spec params[] = {
    {"delta", 0.0, 0.5, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,
     "cap margin of the optimistic accuracy, c~_i <= 1 - delta, so the "
     "vote weight v_i stays finite [1e-3]"},
};
enum { P_DELTA, N_PARAMS };

typedef struct omoe_state {
    int N, m;
    double delta;
    double t1;     /* the coming slot, 1-based: slots updated + 1          */
    double data[]; /* n[N] votes, then k[N] correct votes, by worker id    */
} omoe_state;

static void defaults(const ts_shape *g, ts_params *p)
{
    (void)g;
    if (!p->set[P_DELTA])
        p->v[P_DELTA] = 1e-3;
}

static int check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    (void)g;
    const double d = p->v[P_DELTA];
    if (d > 0.0 && d < 0.5)
        return TS_OK;
    return TS_ERROR(e, TS_EINPUT,
                    "%s: delta = %g is outside (0, 0.5) (the cap 1 - delta "
                    "must lie above 1/2 and below 1)", name, d);
}

static size_t state_size(const ts_shape *g)
{
    return sizeof(omoe_state) + 2 * (size_t)g->N * sizeof(double);
}

static int init(void *st, const ts_shape *g, const ts_params *p, ts_err *e)
{
    int rc = mech_check_shape_params(g, p, check, name, e);
    if (rc)
        return rc;
    omoe_state *s = st;
    s->N = g->N;
    s->m = g->m;
    s->delta = p->v[P_DELTA];
    s->t1 = 1.0;
    memset(s->data, 0, 2 * (size_t)g->N * sizeof(double));
    return TS_OK;
}

/* v_i of (O1)-(O2) at the coming slot.  ln(t^2) / (2 n) = ln t / n.
 * logit c > 0 exactly when c > 1/2, so the max(0, .) is a comparison. */
static double vote_weight(const omoe_state *s, int i)
{
    const double n = s->data[i], k = s->data[s->N + i];
    const double cap = 1.0 - s->delta;
    double c = cap;
    if (n > 0.0) {
        c = k / n + sqrt(log(s->t1) / n);
        if (c > cap)
            c = cap;
    }
    return c > 0.5 ? log(c / (1.0 - c)) : 0.0;
}

/* sigma(x) = 1 / (1 + e^-x), with exp of a non-positive number only. */
static double sigmoid(double x)
{
    if (x >= 0.0)
        return 1.0 / (1.0 + ts_exp(-x));
    const double z = ts_exp(x);
    return z / (1.0 + z);
}

/* Stage II, (O3) over the heard rows, summed in row order. */
static int aggregate(void *st, const ts_slot *sl, double *A, ts_err *e)
{
    const omoe_state *s = st;
    int rc = mech_check_slot(sl, s->N, s->m, name, e);
    if (rc)
        return rc;
    for (int j = 0; j < sl->m; j++)
        A[j] = 0.0;
    for (int h = 0; h < sl->n_heard; h++) {
        const double v = vote_weight(s, mech_worker(sl, h));
        const double *r = sl->r + (size_t)h * (size_t)sl->m;
        for (int j = 0; j < sl->m; j++)
            A[j] += r[j] >= 0.5 ? v : -v;
    }
    for (int j = 0; j < sl->m; j++)
        A[j] = sigmoid(A[j]);
    return TS_OK;
}

/* Stage III, (O4) for the heard rows; then the slot count moves on. */
static int update(void *st, const ts_slot *sl, const double *pv, ts_err *e)
{
    omoe_state *s = st;
    int rc = mech_check_slot_pv(sl, pv, s->N, s->m, name, e);
    if (rc)
        return rc;
    double *n = s->data, *k = s->data + s->N;
    for (int h = 0; h < sl->n_heard; h++) {
        const int i = mech_worker(sl, h);
        const double *r = sl->r + (size_t)h * (size_t)sl->m;
        int right = 0;
        for (int j = 0; j < sl->m; j++)
            right += (r[j] >= 0.5) == (pv[j] == 1.0);
        n[i] += sl->m;
        k[i] += right;
    }
    s->t1 += 1.0;
    return TS_OK;
}

/* log v_i; -inf where v_i = 0 (ts_shares_from_log makes all -inf
 * uniform, as (O3)'s "every v_i = 0" rule asks). */
static void log_weights(const void *st, double *logw)
{
    const omoe_state *s = st;
    for (int i = 0; i < s->N; i++)
        logw[i] = log(vote_weight(s, i));
}

const ts_mechanism_type ts_mech_omoe = {
    .name = name,
    .label = label,
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
    .set_log_weights = NULL, /* v_i comes from counts, not a weight */
};

/* ------------------------------------------------------------------ */
/* Limited feedback: theta_i = v_i / sum v, (O4) on the heard worker.   */

static void lim_theta(const void *st, double *theta)
{
    const omoe_state *s = st;
    for (int i = 0; i < s->N; i++)
        theta[i] = vote_weight(s, i);
    mech_theta_shares(s->N, theta);
}

MECH_ONE_HEARD_LIMITED(ts_mech_omoe_limited, omoe_state, label);

/* mech_util.c -- see mech_util.h. */
#include "games/mech_util.h"
#include "base/tsmath.h"

#include <assert.h>
#include <math.h>
#include <string.h>

int mech_check_slot_shape(const ts_slot *s, int N, int m_max,
                          const char *who, ts_err *e)
{
    if (s->N != N)
        return TS_ERROR(e, TS_EINVAL, "%s: slot %ld has N = %d, state has %d",
                        who, s->t, s->N, N);
    if (s->m < 1 || s->m > m_max)
        return TS_ERROR(e, TS_EINVAL,
                        "%s: slot %ld has m = %d prompts, state holds 1..%d",
                        who, s->t, s->m, m_max);
    if (s->n_heard < 1 || s->n_heard > N)
        return TS_ERROR(e, TS_EINVAL,
                        "%s: slot %ld hears %d workers, expected 1..%d", who,
                        s->t, s->n_heard, N);
    if (!s->sel && s->n_heard != N)
        return TS_ERROR(e, TS_EINVAL,
                        "%s: slot %ld hears %d of %d workers but gives no sel",
                        who, s->t, s->n_heard, N);
    if (s->sel)
        for (int h = 0; h < s->n_heard; h++)
            if (s->sel[h] < 0 || s->sel[h] >= N ||
                (h > 0 && s->sel[h] <= s->sel[h - 1]))
                return TS_ERROR(e, TS_EINVAL,
                                "%s: slot %ld: sel[%d] = %d is not an "
                                "increasing worker id in [0, %d)",
                                who, s->t, h, s->sel[h], N);
    return TS_OK;
}

int mech_check_slot(const ts_slot *s, int N, int m_max, const char *who,
                    ts_err *e)
{
    int rc = mech_check_slot_shape(s, N, m_max, who, e);
    if (rc)
        return rc;
    /* Reports are probabilities (SPEC §1); the engine and replay check user
     * input, so one outside [0,1] here is a caller's bug, caught before it
     * can turn a weight factor negative or a logit into NaN. */
    const size_t nm = (size_t)s->n_heard * (size_t)s->m;
    /* One branch-free pass (ts_unit_flag vectorises: this runs twice per
     * slot on the hot path); the culprit is searched for only when there
     * is one. */
    uint64_t flag = 0;
    for (size_t k = 0; k < nm; k++)
        flag |= ts_unit_flag(s->r[k]);
    const int bad = (int)(flag >> 63);
    for (size_t k = 0; bad && k < nm; k++)
        if (!(s->r[k] >= 0.0 && s->r[k] <= 1.0))
            return TS_ERROR(e, TS_EINVAL,
                            "%s: slot %ld: worker %d's report %g on prompt "
                            "%zu is outside [0,1]", who, s->t,
                            mech_worker(s, (int)(k / (size_t)s->m)), s->r[k],
                            k % (size_t)s->m);
    return TS_OK;
}

int mech_check_pv(const ts_slot *s, const double *pv, const char *who,
                  ts_err *e)
{
    for (int j = 0; j < s->m; j++)
        if (!(pv[j] == 0.0 || pv[j] == 1.0))
            return TS_ERROR(e, TS_EINVAL,
                            "%s: slot %ld: verified state %g on prompt %d is "
                            "not 0 or 1", who, s->t, pv[j], j);
    return TS_OK;
}

TS_LANES_CLONES void mech_mean(const ts_slot *s, const double *logw, double *A)
{
    const int m = s->m, n = s->n_heard;
    /* The shift M = max logw cancels in the ratio; it only keeps exp() in
     * range (SPEC §1, "Weights underflow"). */
    double M = -INFINITY;
    if (logw)
        for (int h = 0; h < n; h++) {
            double lw = logw[mech_worker(s, h)];
            if (lw > M)
                M = lw;
        }
    const int unweighted = !logw || M == -INFINITY;

    for (int j = 0; j < m; j++)
        A[j] = 0.0;
    double W = 0.0;
    /* The weights a block at a time, so their exps run as one vector loop;
     * ts_exp, not libm's exp: the replica lanes compute the same weights
     * eight at a time and must get the same bits (tsmath.h). */
    enum { BLOCK = 64 };
    double wb[BLOCK];
    for (int h0 = 0; h0 < n; h0 += BLOCK) {
        const int nb = n - h0 < BLOCK ? n - h0 : BLOCK;
        if (unweighted)
            for (int b = 0; b < nb; b++)
                wb[b] = 1.0;
        else
            for (int b = 0; b < nb; b++)
                wb[b] = ts_exp(logw[mech_worker(s, h0 + b)] - M);
        for (int b = 0; b < nb; b++) {
            const double w = wb[b];
            if (w == 0.0)
                continue; /* weight 0: the worker has dropped out */
            const double *r = s->r + (size_t)(h0 + b) * (size_t)m;
            W += w;
            for (int j = 0; j < m; j++)
                A[j] += w * r[j];
        }
    }
    /* W >= 1: the row holding the maximum contributes exp(0). */
    for (int j = 0; j < m; j++)
        A[j] /= W;
}

double mech_sq_loss(const double *r_row, const double *pv, int m)
{
    double sum = 0.0;
    for (int j = 0; j < m; j++) {
        double d = r_row[j] - pv[j];
        sum += d * d;
    }
    return sum / m;
}

double mech_alpha_default(const ts_shape *g)
{
    if (g->N < 2 || g->T < 1)
        return NAN;
    return (2.0 / 3.0) * sqrt(2.0 * log((double)g->N) / (double)g->T);
}

void mech_logw_uniform(int N, double *logw)
{
    for (int i = 0; i < N; i++)
        logw[i] = 0.0;
}

void mech_defaults_none(const ts_shape *g, ts_params *p)
{
    (void)g;
    (void)p;
}

int mech_check_shape(const ts_shape *g, const char *who, ts_err *e)
{
    if (g->N < 1 || g->m < 1)
        return TS_ERROR(e, TS_EINVAL, "%s: shape N = %d, m = %d: need N >= 1 "
                        "and m >= 1", who, g->N, g->m);
    return TS_OK;
}

size_t mech_lw_state_size(const ts_shape *g)
{
    return sizeof(mech_lw_state) + 3 * (size_t)g->N * sizeof(double);
}

void mech_lw_init(mech_lw_state *st, const ts_shape *g, double step)
{
    st->N = g->N;
    st->m = g->m;
    st->step = step;
    for (int i = 0; i < 3 * g->N; i++)
        st->data[i] = 0.0;
}

int mech_lw_aggregate(const mech_lw_state *st, const ts_slot *s, double *A,
                      const char *who, ts_err *e)
{
    /* Structure only: the reports' range is checked in update, inside the
     * loss loop (a label from a bad report never reweighs anyone). */
    int rc = mech_check_slot_shape(s, st->N, st->m, who, e);
    if (rc)
        return rc;
    mech_mean(s, st->data, A);
    return TS_OK;
}

int mech_slot_losses(const ts_slot *s, const double *pv, int N, int m_max,
                     const char *who, double *loss, ts_err *e)
{
    int bad = 0;
    if (s->loss) /* the caller's, identical to what the next line computes */
        memcpy(loss, s->loss, (size_t)s->n_heard * sizeof *loss);
    else
        ts_sq_loss_rows(s->r, s->n_heard, s->m, pv, loss, &bad);
    return bad ? mech_check_slot(s, N, m_max, who, e) : TS_OK; /* name it */
}

int mech_lw_update(mech_lw_state *st, const ts_slot *s, const double *pv,
                   mech_log_factors factors, const char *who, ts_err *e)
{
    int rc = mech_check_slot_shape(s, st->N, st->m, who, e);
    if (!rc)
        rc = mech_check_pv(s, pv, who, e);
    if (rc)
        return rc;
    double *logw = st->data, *loss = st->data + st->N, *f = loss + st->N;
    const int n = s->n_heard;

    rc = mech_slot_losses(s, pv, st->N, st->m, who, loss, e);
    if (rc) /* no weight has changed */
        return rc;
    for (int h = 0; h < n; h++) {
        /* Reports and states were checked to lie in [0,1], so l is in
         * [0,1] (mech_sq_loss) and Def. 4's factor 1 - alpha l >= 0. */
        assert(loss[h] >= 0.0 && loss[h] <= 1.0);
    }
    factors(st->step, loss, f, (size_t)n);
    for (int h = 0; h < n; h++)
        if (isnan(f[h]))
            return TS_ERROR(e, TS_ENONFINITE,
                            "%s: slot %ld: worker %d's weight factor is NaN "
                            "(step %g, loss %g)",
                            who, s->t, mech_worker(s, h), st->step, loss[h]);
    /* Only now, with every factor known to be a number, touch the weights;
     * -inf (a weight of 0 under Def. 4 with alpha l = 1) stays -inf. */
    for (int h = 0; h < n; h++)
        logw[mech_worker(s, h)] += f[h];
    return TS_OK;
}

/* Replica lanes.  Work area, lane-major: logw[N][L], w[N][L] (this slot's
 * weights exp(logw - M)), A[m][L] (label sums), W[L] (weight sums).  Each
 * lane repeats mech_mean's and mech_lw_update's arithmetic in their order;
 * a weight of 0 is added rather than skipped, which changes no bit (the
 * reports are finite, so 0 r = 0 and x + 0 = x). */
typedef struct lw_lanes {
    double *logw, *w, *A, *W;
} lw_lanes;

static lw_lanes lw_lanes_of(void *const *st, void *work)
{
    const mech_lw_state *s0 = st[0];
    const size_t NL = (size_t)s0->N * TS_LANES;
    double *d = work;
    lw_lanes v = {d, d + NL, d + 2 * NL, d + 2 * NL + (size_t)s0->m * TS_LANES};
    return v;
}

size_t mech_lw_lanes_work_size(const ts_shape *g)
{
    return (2 * (size_t)g->N + (size_t)g->m + 1) * TS_LANES * sizeof(double);
}

TS_LANES_CLONES void mech_lw_lanes_begin(void *const *st, void *work, int m)
{
    const int N = ((const mech_lw_state *)st[0])->N;
    lw_lanes v = lw_lanes_of(st, work);
    double M[TS_LANES];
    for (int l = 0; l < TS_LANES; l++) {
        const mech_lw_state *sl = st[l];
        M[l] = -INFINITY;
        for (int i = 0; i < N; i++) {
            v.logw[(size_t)i * TS_LANES + l] = sl->data[i];
            if (sl->data[i] > M[l])
                M[l] = sl->data[i];
        }
    }
    for (int i = 0; i < N; i++) {
        const double *lw = v.logw + (size_t)i * TS_LANES;
        double *w = v.w + (size_t)i * TS_LANES;
        for (int l = 0; l < TS_LANES; l++)
            w[l] = ts_exp(lw[l] - M[l]);
    }
    /* Every weight 0 (M = -inf): the unweighted mean, as mech_mean. */
    for (int l = 0; l < TS_LANES; l++)
        if (M[l] == -INFINITY)
            for (int i = 0; i < N; i++)
                v.w[(size_t)i * TS_LANES + l] = 1.0;
    for (size_t k = 0; k < (size_t)m * TS_LANES; k++)
        v.A[k] = 0.0;
    for (int l = 0; l < TS_LANES; l++)
        v.W[l] = 0.0;
}

TS_LANES_CLONES void mech_lw_lanes_rows(void *const *st, void *work, int i0,
                                        int i1, int m, const double *r)
{
    lw_lanes v = lw_lanes_of(st, work);
    ts_lv *A = (ts_lv *)v.A, W = *(ts_lv *)v.W;
    for (int i = i0; i < i1; i++) {
        const ts_lv w = ((const ts_lv *)v.w)[i];
        const ts_lv *ri = (const ts_lv *)(r + (size_t)(i - i0) * (size_t)m * TS_LANES);
        W += w;
        for (int j = 0; j < m; j++)
            A[j] += w * ri[j];
    }
    *(ts_lv *)v.W = W;
}

TS_LANES_CLONES void mech_lw_lanes_labels(void *const *st, void *work, int m,
                                          double *A)
{
    lw_lanes v = lw_lanes_of(st, work);
    const ts_lv W = *(const ts_lv *)v.W;
    for (int j = 0; j < m; j++)
        ((ts_lv *)A)[j] = ((const ts_lv *)v.A)[j] / W;
}

unsigned mech_lw_lanes_update(void *const *st, void *work, const double *loss,
                              mech_log_factors factors)
{
    const mech_lw_state *s0 = st[0];
    const size_t NL = (size_t)s0->N * TS_LANES;
    lw_lanes v = lw_lanes_of(st, work);
    factors(s0->step, loss, v.w, NL); /* this slot's weights are spent */
    unsigned bad = 0;
    for (size_t k = 0; k < NL; k++)
        if (isnan(v.w[k]))
            bad |= 1u << (k % TS_LANES);
    for (int l = 0; l < TS_LANES; l++) {
        mech_lw_state *sl = st[l];
        for (int i = 0; i < s0->N; i++)
            sl->data[i] = v.logw[(size_t)i * TS_LANES + l] +
                          v.w[(size_t)i * TS_LANES + l];
    }
    return bad;
}

void mech_lw_log_weights(const void *st, double *logw)
{
    const mech_lw_state *lw = st;
    for (int i = 0; i < lw->N; i++)
        logw[i] = lw->data[i];
}

int mech_lw_set_log_weights(void *st, const double *logw, ts_err *e)
{
    mech_lw_state *lw = st;
    for (int i = 0; i < lw->N; i++)
        if (isnan(logw[i]) || logw[i] == INFINITY)
            return TS_ERROR(e, TS_EINVAL,
                            "set_log_weights: log w_%d = %g is not a log weight",
                            i + 1, logw[i]);
    for (int i = 0; i < lw->N; i++)
        lw->data[i] = logw[i];
    return TS_OK;
}

double mech_limited_alpha_default(const ts_shape *g)
{
    if (g->N < 2 || g->T < 1)
        return NAN;
    const double N = (double)g->N, T = (double)g->T;
    return sqrt(log(N) / (7.0 * N * T));
}

double mech_limited_beta_default(const ts_shape *g)
{
    if (g->N < 2 || g->T < 1)
        return NAN;
    const double N = (double)g->N, T = (double)g->T;
    return 2.0 * sqrt(N * log(N) / (7.0 * T));
}

double mech_limited_beta_min_T(int N)
{
    return 4.0 * (double)N * log((double)N) / 7.0;
}

int mech_limited_check_beta(const ts_shape *g, const ts_params *p, int k,
                            const char *who, ts_err *e)
{
    const double beta = p->v[k];
    if (p->set[k] || (beta > 0.0 && beta <= 1.0))
        return TS_OK;
    if (g->N < 2 || g->T < 1)
        return TS_ERROR(e, TS_EINPUT,
                        "%s: default beta = 2 sqrt(N ln N / (7 T)) needs "
                        "N >= 2 and T >= 1 (N = %d, T = %ld); set beta "
                        "explicitly", who, g->N, g->T);
    return TS_ERROR(e, TS_EINPUT,
                    "%s: T = %ld is too short for N = %d: default beta = "
                    "2 sqrt(N ln N / (7 T)) = %g exceeds 1 (it needs "
                    "T >= 4 N ln N / 7 = %.1f); raise T or set beta in "
                    "(0, 1] explicitly", who, g->T, g->N, beta,
                    mech_limited_beta_min_T(g->N));
}

int mech_check_heard_one(const ts_slot *s, int N, int m_max, const char *who,
                         int *i, ts_err *e)
{
    int rc = mech_check_slot(s, N, m_max, who, e); /* m reports: cheap */
    if (rc)
        return rc;
    if (s->n_heard != 1)
        return TS_ERROR(e, TS_EINVAL,
                        "%s: slot %ld hears %d workers; limited feedback "
                        "hears exactly one (Sec. VI)", who, s->t, s->n_heard);
    *i = mech_worker(s, 0);
    return TS_OK;
}

int mech_check_shape_params(const ts_shape *g, const ts_params *p,
                            int (*check)(const ts_shape *, const ts_params *,
                                         ts_err *),
                            const char *who, ts_err *e)
{
    int rc = mech_check_shape(g, who, e);
    return rc ? rc : check(g, p, e);
}

int mech_check_slot_pv(const ts_slot *s, const double *pv, int N, int m_max,
                       const char *who, ts_err *e)
{
    int rc = mech_check_slot(s, N, m_max, who, e);
    return rc ? rc : mech_check_pv(s, pv, who, e);
}

int mech_check_heard_one_pv(const ts_slot *s, const double *pv, int N,
                            int m_max, const char *who, int *i, ts_err *e)
{
    int rc = mech_check_heard_one(s, N, m_max, who, i, e);
    return rc ? rc : mech_check_pv(s, pv, who, e);
}

int mech_one_label(const ts_slot *s, int N, int m_max, const char *who,
                   double *A, ts_err *e)
{
    int i;
    int rc = mech_check_heard_one(s, N, m_max, who, &i, e);
    if (rc)
        return rc;
    for (int j = 0; j < s->m; j++)
        A[j] = s->r[j];
    return TS_OK;
}

void mech_theta_shares(int N, double *theta)
{
    double V = 0.0;
    for (int i = 0; i < N; i++)
        V += theta[i];
    for (int i = 0; i < N; i++)
        theta[i] = V > 0.0 ? theta[i] / V : 1.0 / N;
}

int mech_limited_check_beta_range(const ts_shape *g, const ts_params *p,
                                  int k, const char *who, ts_err *e)
{
    const double beta = p->v[k];
    int rc = mech_limited_check_beta(g, p, k, who, e);
    if (rc)
        return rc;
    if (!(beta > 0.0 && beta <= 1.0))
        return TS_ERROR(e, TS_EINPUT, "%s: beta = %g is outside (0, 1]",
                        who, beta);
    return TS_OK;
}

double mech_subset_k_default(const ts_shape *g)
{
    return g->N < 10 ? (double)g->N : 10.0;
}

int mech_subset_check_k(const ts_shape *g, const ts_params *p, int k,
                        const char *who, ts_err *e)
{
    const double kv = p->v[k];
    /* The range [1, inf) and integrality are the spec's (ts_params_check);
     * repeat them here so that init alone refuses too, then the bound. */
    if (!(kv >= 1.0 && kv < INFINITY && kv == floor(kv)))
        return TS_ERROR(e, TS_EINPUT,
                        "%s: k = %g must be a whole number of workers >= 1",
                        who, kv);
    if (kv > (double)g->N)
        return TS_ERROR(e, TS_EINPUT, "%s: k = %g exceeds N = %d workers",
                        who, kv, g->N);
    return TS_OK;
}

void mech_subset_defaults(const ts_shape *g, ts_params *p)
{
    if (!p->set[0])
        p->v[0] = mech_subset_k_default(g);
}

int mech_subset_n_heard(const ts_shape *g, const ts_params *p)
{
    (void)g;
    return (int)p->v[0];
}

int mech_one_heard(const ts_shape *g, const ts_params *p)
{
    (void)g;
    (void)p;
    return 1;
}

void mech_limited_defaults(const ts_shape *g, ts_params *p, int ia, int ib)
{
    if (!p->set[ia])
        p->v[ia] = mech_limited_alpha_default(g);
    if (!p->set[ib])
        p->v[ib] = mech_limited_beta_default(g);
}

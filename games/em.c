/* em.c -- benchmark 1: EM-based weight estimation (one-coin Dawid-Skene).
 *
 * SPEC §2 (paper benchmark 1; Lemma 1, App. A), with soft reports.  The
 * true state p_j is latent.  Given p = 1 a report r of worker i has
 * likelihood a_i^r (1 - a_i)^(1-r); given p = 0, a_i^(1-r) (1 - a_i)^r; the
 * prior P(p = 1) is pi = 1/2.  Per slot, over the heard workers h:
 *
 *   start    a_i = A_i / (A_i + B_i)       (counts carried across slots)
 *   E-step   gamma_j = sigma(logit pi + sum_h (2 r_hj - 1) logit a_h)
 *   M-step   a_i = (A_i + c_i) / (A_i + B_i + m),
 *            c_i = sum_j [gamma_j r_ij + (1 - gamma_j)(1 - r_ij)]
 *   repeat E, M until max_i |delta a_i| <= tol or max_iter iterations;
 *   labels   A_j = gamma_j of the final E-step;
 *   update   A_i += c_i, B_i += d_i = m - c_i   (c_i of the final E-step)
 *
 * so after the update a_i = A_i / (A_i + B_i) equals the last M-step's a_i,
 * and a worker's weight (what he values) is that a_i.  The counts start at
 * A = a0 = 2, B = b0 = 1, a prior reliability 2/3 > 1/2: App. A's "standard
 * reliability assumption".  One E-M pair is one iteration.
 *
 * EM runs in aggregate (Stage II, before verification) because its labels
 * need it; it never looks at pv.  aggregate leaves c_i, d_i and gamma in
 * the state, and update (Stage III) adds the counts, so a clone taken
 * between the two carries the pending slot with it.  Hitting max_iter
 * returns TS_ENOCONV with a usable result (STYLE §4).
 *
 * Legend: N workers, m prompts in the slot, n = n_heard heard rows, r
 * reports [n][m] (rows in ts_slot.sel order), pv verified states [m],
 * A labels [m] (in the code `label`; A_i, B_i below are the counts),
 * a_i reliability, lo_i = logit a_i, gamma_j posterior P(p_j = 1),
 * c_i / d_i expected agreements / disagreements in this slot.
 *
 * Numerics.  logit a_i is computed from the counts as log(A_i + c_i) -
 * log(B_i + d_i), with d_i = sum_j [gamma_j (1 - r_ij) + (1 - gamma_j)
 * r_ij] summed on its own rather than as m - c_i: both arguments are then
 * at least the (positive) prior counts, so logit a_i is finite and a_i
 * stays strictly inside (0,1) without any clipping, even where the ratio
 * a_i would round to 1.0.  Mathematically c_i + d_i = m, so this is the
 * M-step above.  gamma and 1 - gamma are each computed directly from the
 * log-odds (logistic_pair), so neither loses digits near 0 or 1.
 *
 * Diagnostics (which stationary point EM reached, App. A):
 *   em_iter_max        most E-M iterations any slot took
 *   em_slots_capped    slots that stopped at max_iter (TS_ENOCONV)
 *   em_majority_agree  fraction of prompts on which EM's rounded label
 *                      (gamma >= 1/2 -> 1) equals the unweighted majority
 *                      of the rounded reports (r >= 1/2 -> 1, a tie -> 1,
 *                      the same "1/2 rounds up" rule); 1 on App. A's
 *                      majority-flip construction
 *   em_label_wrong     fraction of prompts on which EM's rounded label
 *                      differs from the verified state pv; 1 when EM sits
 *                      at App. A's flipped point (label = 1 - p)
 * The two fractions are NaN before the first update.
 *
 * Only heard rows (ts_slot.sel) take part and have their counts updated,
 * so the same functions serve the limited-feedback subset baseline (SPEC
 * §2, second table): a uniform random subset of k workers per slot (the
 * engine draws it, since theta is NULL, and passes it in ts_slot.sel), its
 * own vtable with the parameters above plus k [min(10, N)], at most N.
 * Workers not heard keep their counts, hence their weights.  Left
 * out: the two-coin (confusion-matrix) model, a learnt prior pi, and
 * random restarts; EM starts from the carried counts every slot, which is
 * what makes it follow a majority (App. A). */
#include <assert.h>
#include <math.h>

#include "games/games.h"
#include "games/mech_util.h"

static const char name[] = "em";

#define EM_COMMON_PARAMS                                                    \
    {"tol", 0.0, INFINITY, TS_PARAM_HI_OPEN,                               \
     "EM stops when max_i |delta a_i| <= tol [1e-12]"},                    \
    {"max_iter", 1.0, 1e9, TS_PARAM_INT,                                   \
     "EM iteration cap per slot; reaching it is TS_ENOCONV [10000]"},      \
    {"a0", 0.0, INFINITY, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,             \
     "prior agreement count A_i at the start [2]"},                        \
    {"b0", 0.0, INFINITY, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,             \
     "prior disagreement count B_i at the start [1]"}
#define EM_FAST_PARAM                                                       \
    {"fast", 0.0, 1.0, TS_PARAM_INT,                                       \
     "1: the vectorised E-M loop (same fixed point to tol, other rounding; "\
     "see em.c) [0: the reference loop, bit for bit as before]"}

/* fast comes last in both lists, so the full list's first four and the
 * limited list's first five (k) keep their places. */
static const ts_param_spec params[] = {EM_COMMON_PARAMS, EM_FAST_PARAM};
static const ts_param_spec lim_params[] = {EM_COMMON_PARAMS, MECH_PARAM_K,
                                           EM_FAST_PARAM};
enum { P_TOL, P_MAX_ITER, P_A0, P_B0 };
enum { P_FAST = 4, N_PARAMS_FULL = 5 };             /* the full vtable    */
enum { P_K = 4, P_FAST_LIM = 5, N_PARAMS_LIM = 6 }; /* the limited one    */

static const char *const diag_names[] = {
    "em_iter_max",
    "em_slots_capped",
    "em_majority_agree",
    "em_label_wrong",
};
enum { D_ITER_MAX, D_SLOTS_CAPPED, D_MAJORITY_AGREE, D_LABEL_WRONG, N_DIAG };

typedef struct em_state {
    int N, m;
    double tol;
    long max_iter;
    int fast;           /* 1: em_iterate_fast, 0: em_iterate_ref          */

    /* The slot aggregate() last ran EM on, for update(). */
    int pend_valid;
    long pend_t;
    int pend_n, pend_m;
    long pend_iter;     /* E-M iterations it took                         */
    int pend_capped;    /* 1 if it stopped at max_iter                    */
    long pend_agree;    /* prompts where EM agreed with the majority vote */

    /* Diagnostics, summed over updated slots. */
    long iter_max;
    long slots_capped;
    double prompts, agree, wrong;

    /* data = A[N] B[N] (counts, by worker id), then per heard row h:
     * lo[N] a[N] c[N] d[N], then gamma1[m] gamma0[m] (gamma, 1 - gamma). */
    double data[];
} em_state;

static double *cnt_a(em_state *s) { return s->data; }
static double *cnt_b(em_state *s) { return s->data + s->N; }
static double *row_lo(em_state *s) { return s->data + 2 * (size_t)s->N; }
static double *row_a(em_state *s) { return s->data + 3 * (size_t)s->N; }
static double *row_c(em_state *s) { return s->data + 4 * (size_t)s->N; }
static double *row_d(em_state *s) { return s->data + 5 * (size_t)s->N; }
static double *gamma1(em_state *s) { return s->data + 6 * (size_t)s->N; }
static double *gamma0(em_state *s)
{
    return s->data + 6 * (size_t)s->N + (size_t)s->m;
}

static void defaults_n(ts_params *p, int fast_idx)
{
    static const double dflt[4] = {
        [P_TOL] = 1e-12, [P_MAX_ITER] = 10000, [P_A0] = 2, [P_B0] = 1,
    };
    for (int k = 0; k < 4; k++)
        if (!p->set[k])
            p->v[k] = dflt[k];
    if (!p->set[fast_idx])
        p->v[fast_idx] = 0;
}

static void defaults(const ts_shape *g, ts_params *p)
{
    (void)g;
    defaults_n(p, P_FAST);
}

static size_t state_size(const ts_shape *g)
{
    return sizeof(em_state) +
           (6 * (size_t)g->N + 2 * (size_t)g->m) * sizeof(double);
}

/* Both vtables: n_params tells how much of the spec to check. */
static int init_n(void *st, const ts_shape *g, const ts_params *p,
                  const ts_param_spec *spec, int n_params, int fast_idx,
                  ts_err *e)
{
    int rc = mech_check_shape(g, name, e);
    if (!rc)
        rc = ts_params_check(p, spec, n_params, name, e);
    if (rc)
        return rc;
    em_state *s = st;
    *s = (em_state){
        .N = g->N,
        .m = g->m,
        .tol = p->v[P_TOL],
        .max_iter = (long)p->v[P_MAX_ITER],
        .fast = p->v[fast_idx] > 0,
    };
    for (size_t k = 0; k < 6 * (size_t)g->N + 2 * (size_t)g->m; k++)
        s->data[k] = 0.0;
    for (int i = 0; i < g->N; i++) {
        cnt_a(s)[i] = p->v[P_A0];
        cnt_b(s)[i] = p->v[P_B0];
    }
    return TS_OK;
}

static int init(void *st, const ts_shape *g, const ts_params *p, ts_err *e)
{
    return init_n(st, g, p, params, N_PARAMS_FULL, P_FAST, e);
}

/* gamma = sigma(x) and 1 - gamma = sigma(-x), each to full relative
 * precision and with one exp: with z = e^-|x| in (0, 1], the larger is
 * 1/(1 + z) and the smaller z/(1 + z); nothing overflows for any x. */
static void logistic_pair(double x, double *g1, double *g0)
{
    double z = exp(-fabs(x));
    double big = 1.0 / (1.0 + z), small = z * big;
    *g1 = x >= 0.0 ? big : small;
    *g0 = x >= 0.0 ? small : big;
}

/* The reference E-M loop (the default): E-step prompt by prompt, M-step
 * with c_i and d_i summed term by term (header).  Returns the iterations;
 * *delta_out the last max |delta a_i|.  Pinned bit for bit by the tests. */
static long em_iterate_ref(em_state *s, const ts_slot *sl, double *delta_out)
{
    const int n = sl->n_heard, m = sl->m;
    const double *r = sl->r;
    const double *A = cnt_a(s), *B = cnt_b(s);
    double *lo = row_lo(s), *a = row_a(s);
    double *c = row_c(s), *d = row_d(s), *g1 = gamma1(s), *g0 = gamma0(s);
    long iter = 0;
    double delta = INFINITY;
    while (iter < s->max_iter) {
        iter++;
        /* E-step: log-odds of p_j = 1; logit pi = 0 at pi = 1/2. */
        for (int j = 0; j < m; j++) {
            double x = 0.0;
            for (int h = 0; h < n; h++)
                x += (2.0 * r[(size_t)h * (size_t)m + (size_t)j] - 1.0) * lo[h];
            logistic_pair(x, &g1[j], &g0[j]);
        }
        /* M-step. */
        delta = 0.0;
        for (int h = 0; h < n; h++) {
            int i = mech_worker(sl, h);
            const double *rh = r + (size_t)h * (size_t)m;
            double ch = 0.0, dh = 0.0;
            for (int j = 0; j < m; j++) {
                ch += g1[j] * rh[j] + g0[j] * (1.0 - rh[j]);
                dh += g1[j] * (1.0 - rh[j]) + g0[j] * rh[j];
            }
            double num = A[i] + ch, den = B[i] + dh;
            double a_new = num / (num + den);
            double da = fabs(a_new - a[h]);
            if (da > delta)
                delta = da;
            a[h] = a_new;
            lo[h] = log(num) - log(den);
            assert(isfinite(lo[h]));
            c[h] = ch;
            d[h] = dh;
        }
        if (delta <= s->tol)
            break;
    }
    *delta_out = delta;
    return iter;
}

/* The fast loop (fast = 1), the same E-M map in another order:
 *   E-step  x_j = sum_h (2 r_hj - 1) lo_h as n contiguous axpys over j;
 *   M-step  with D_j = gamma_j - (1 - gamma_j), S0 = sum (1 - gamma_j),
 *           S1 = sum gamma_j:  c_h = S0 + sum_j D_j r_hj,
 *           d_h = S1 - sum_j D_j r_hj   (one contiguous dot product per
 *           row instead of two four-term sums), lo_h = log(num/den) (one
 *           log instead of two).
 * Algebraically identical; the rounding differs (d_h by cancellation is
 * off by ~m ulp absolutely, harmless next to B_i >= b0 > 0), so it reaches
 * the same fixed point to tol, not the same bits: tests/games/test_em.c
 * compares it with the reference loop and em_reference.py.  On return
 * gamma0 holds D, not 1 - gamma (only gamma1 is read after aggregate). */
static long em_iterate_fast(em_state *s, const ts_slot *sl, double *delta_out)
{
    const int n = sl->n_heard, m = sl->m;
    const double *r = sl->r;
    const double *A = cnt_a(s), *B = cnt_b(s);
    double *lo = row_lo(s), *a = row_a(s);
    double *c = row_c(s), *d = row_d(s), *g1 = gamma1(s), *g0 = gamma0(s);
    long iter = 0;
    double delta = INFINITY;
    while (iter < s->max_iter) {
        iter++;
        for (int j = 0; j < m; j++)
            g1[j] = 0.0;
        for (int h = 0; h < n; h++) {
            const double *rh = r + (size_t)h * (size_t)m;
            const double l2 = 2.0 * lo[h], l1 = lo[h];
#pragma omp simd
            for (int j = 0; j < m; j++)
                g1[j] += rh[j] * l2 - l1;
        }
        double S0 = 0.0, S1 = 0.0;
        for (int j = 0; j < m; j++) {
            logistic_pair(g1[j], &g1[j], &g0[j]);
            S0 += g0[j];
            S1 += g1[j];
            g0[j] = g1[j] - g0[j];
        }
        delta = 0.0;
        for (int h = 0; h < n; h++) {
            const int i = mech_worker(sl, h);
            const double *rh = r + (size_t)h * (size_t)m;
            double dot = 0.0;
#pragma omp simd reduction(+ : dot)
            for (int j = 0; j < m; j++)
                dot += g0[j] * rh[j];
            const double num = A[i] + (S0 + dot), den = B[i] + (S1 - dot);
            const double a_new = num / (num + den);
            const double da = fabs(a_new - a[h]);
            if (da > delta) /* not fmax: a libm call in the hot loop */
                delta = da;
            a[h] = a_new;
            lo[h] = log(num / den);
            c[h] = S0 + dot;
            d[h] = S1 - dot;
        }
        if (delta <= s->tol)
            break;
    }
    *delta_out = delta;
    return iter;
}

static int aggregate(void *st, const ts_slot *sl, double *label, ts_err *e)
{
    em_state *s = st;
    int rc = mech_check_slot(sl, s->N, s->m, name, e);
    if (rc)
        return rc;
    const int n = sl->n_heard, m = sl->m;
    const double *r = sl->r;

    const double *A = cnt_a(s), *B = cnt_b(s), *g1 = gamma1(s);
    double *lo = row_lo(s), *a = row_a(s);

    for (int h = 0; h < n; h++) {
        int i = mech_worker(sl, h);
        /* Positive prior counts plus non-negative expected counts: a_i is
         * strictly inside (0,1) and its logit finite (see the header). */
        assert(A[i] > 0.0 && B[i] > 0.0 && isfinite(A[i]) && isfinite(B[i]));
        a[h] = A[i] / (A[i] + B[i]);
        /* fast: one log (perf: logs were a third of a best response's
         * time against em) */
        lo[h] = s->fast ? log(A[i] / B[i]) : log(A[i]) - log(B[i]);
    }

    double delta = INFINITY;
    const long iter = s->fast ? em_iterate_fast(s, sl, &delta)
                              : em_iterate_ref(s, sl, &delta);
    const int capped = !(delta <= s->tol);

    long agree = 0;
    for (int j = 0; j < m; j++) {
        label[j] = g1[j];
        int ones = 0;
        for (int h = 0; h < n; h++)
            ones += r[(size_t)h * (size_t)m + (size_t)j] >= 0.5;
        int majority = 2 * ones >= n; /* a tie rounds up, like r = 1/2 */
        agree += (g1[j] >= 0.5) == majority;
    }

    s->pend_valid = 1;
    s->pend_t = sl->t;
    s->pend_n = n;
    s->pend_m = m;
    s->pend_iter = iter;
    s->pend_capped = capped;
    s->pend_agree = agree;

    if (capped)
        return TS_ERROR(e, TS_ENOCONV,
                        "%s: slot %ld: EM stopped at max_iter = %ld with "
                        "max |delta a| = %g > tol = %g; labels are those of "
                        "the last E-step", name, sl->t, s->max_iter, delta,
                        s->tol);
    return TS_OK;
}

static int update(void *st, const ts_slot *sl, const double *pv, ts_err *e)
{
    em_state *s = st;
    int rc = mech_check_slot_pv(sl, pv, s->N, s->m, name, e);
    if (rc)
        return rc;
    if (!s->pend_valid || s->pend_t != sl->t || s->pend_n != sl->n_heard ||
        s->pend_m != sl->m)
        return TS_ERROR(e, TS_EINVAL,
                        "%s: update for slot %ld without a matching aggregate "
                        "(EM runs in aggregate, SPEC §2)", name, sl->t);

    double *A = cnt_a(s), *B = cnt_b(s), *c = row_c(s), *d = row_d(s);
    const double *g1 = gamma1(s);
    for (int h = 0; h < sl->n_heard; h++) {
        int i = mech_worker(sl, h);
        A[i] += c[h];
        B[i] += d[h];
    }

    long wrong = 0;
    for (int j = 0; j < sl->m; j++)
        wrong += (g1[j] >= 0.5) != (pv[j] == 1.0);
    if (s->pend_iter > s->iter_max)
        s->iter_max = s->pend_iter;
    s->slots_capped += s->pend_capped;
    s->prompts += sl->m;
    s->agree += (double)s->pend_agree;
    s->wrong += (double)wrong;
    s->pend_valid = 0;
    return TS_OK;
}

/* The weight is a_i = A_i / (A_i + B_i); log a_i = -log(1 + B_i/A_i). */
static void log_weights(const void *st, double *logw)
{
    const em_state *s = st;
    const double *A = s->data, *B = s->data + s->N;
    for (int i = 0; i < s->N; i++)
        logw[i] = -log1p(B[i] / A[i]);
}

static void diag(const void *st, double *out)
{
    const em_state *s = st;
    out[D_ITER_MAX] = (double)s->iter_max;
    out[D_SLOTS_CAPPED] = (double)s->slots_capped;
    out[D_MAJORITY_AGREE] = s->prompts > 0 ? s->agree / s->prompts : NAN;
    out[D_LABEL_WRONG] = s->prompts > 0 ? s->wrong / s->prompts : NAN;
}

const ts_mechanism_type ts_mech_em = {
    .name = name,
    .label = name,
    .feedback = TS_FULL,
    .params = params,
    .n_params = N_PARAMS_FULL,
    .defaults = defaults,
    .check = NULL,
    .state_size = state_size,
    .init = init,
    .aggregate = aggregate,
    .update = update,
    .log_weights = log_weights,
    .n_diag = N_DIAG,
    .diag_names = diag_names,
    .diag = diag,
};

/* ------------------------------------------------------------------ */
/* Limited feedback: a uniform random subset of k workers.             */

static void lim_defaults(const ts_shape *g, ts_params *p)
{
    defaults_n(p, P_FAST_LIM);
    if (!p->set[P_K])
        p->v[P_K] = mech_subset_k_default(g);
}

static int lim_check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    return mech_subset_check_k(g, p, P_K, name, e);
}

static int lim_init(void *st, const ts_shape *g, const ts_params *p,
                    ts_err *e)
{
    int rc = lim_check(g, p, e);
    return rc ? rc : init_n(st, g, p, lim_params, N_PARAMS_LIM, P_FAST_LIM, e);
}

static int lim_n_heard(const ts_shape *g, const ts_params *p)
{
    (void)g;
    return (int)p->v[P_K];
}

const ts_mechanism_type ts_mech_em_limited = {
    .name = name,
    .label = name,
    .feedback = TS_LIMITED,
    .params = lim_params,
    .n_params = N_PARAMS_LIM,
    .defaults = lim_defaults,
    .check = lim_check,
    .state_size = state_size,
    .init = lim_init,
    .aggregate = aggregate,
    .update = update,
    .log_weights = log_weights,
    .theta = NULL, /* the engine draws a uniform k-subset */
    .n_heard = lim_n_heard,
    .n_diag = N_DIAG,
    .diag_names = diag_names,
    .diag = diag,
};

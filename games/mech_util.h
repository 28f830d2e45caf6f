/* mech_util.h -- pieces the mechanisms of SPEC §2 share.
 *
 * One copy of the logic that is the same across games/ours.c, hedge.c,
 * median.c, average.c, em.c and exp3.c: which worker a heard row belongs
 * to, the slot sanity check, the (weighted) mean of the heard reports with
 * weights kept as logarithms, the per-worker squared loss of SPEC §1, the
 * default step size of Def. 4 that `hedge` borrows (Fig. 7), and for
 * limited feedback (Sec. VI) the defaults of Thm. 2 that `exp3` borrows
 * (Fig. 9), the one-heard-worker slot, and the subset size k of the
 * subset baselines.
 *
 * Symbols: N workers, m prompts in the slot, n_heard rows of reports
 * (r[h*m + j], row h belongs to worker sel[h], or to worker h when sel is
 * NULL), logw log weights [N], A labels [m], pv verified states [m].
 *
 * Internal to games/: nothing here is exported under the ts_ prefix, and
 * nothing here allocates, prints or keeps state. */
#ifndef TS_MECH_UTIL_H
#define TS_MECH_UTIL_H

#include <math.h> /* INFINITY in MECH_PARAM_K */

#include "game/game.h"

/* Worker id of heard row h (ts_slot: rows are in sel order, sel == NULL
 * means all N workers in order). */
static inline int mech_worker(const ts_slot *s, int h)
{
    return s->sel ? s->sel[h] : h;
}

/* Refuse a slot the state was not sized for, or bad data: TS_EINVAL (a
 * programmer error in the caller) unless 1 <= m <= m_max,
 * 1 <= n_heard <= N == s->N, every sel entry lies in [0, N) and increases,
 * and every report lies in [0,1].  `who` names the mechanism in the
 * message. */
int mech_check_slot(const ts_slot *s, int N, int m_max, const char *who,
                    ts_err *e);
/* The structural half of mech_check_slot (shape and sel, not the reports),
 * for hot paths that check the reports' range inside a loop they run
 * anyway (ts_sq_loss_rows). */
int mech_check_slot_shape(const ts_slot *s, int N, int m_max,
                          const char *who, ts_err *e);

/* TS_EINVAL unless every verified state pv[j], j < s->m, is 0 or 1. */
int mech_check_pv(const ts_slot *s, const double *pv, const char *who,
                  ts_err *e);
/* mech_check_slot, then mech_check_pv: the checks before every Stage III
 * update that reads all heard rows. */
int mech_check_slot_pv(const ts_slot *s, const double *pv, int N, int m_max,
                       const char *who, ts_err *e);

/* Labels A[m] as the mean of the heard reports weighted by w = exp(logw)
 * (SPEC §1 Stage II: A_j = sum_i w_i r_ij / sum_i w_i, over the heard rows).
 * logw == NULL means every weight is 1 (`average`).  The weights are
 * shifted by their maximum before exp, so log weights of -10^6 keep their
 * ratios; a weight of 0 (logw = -inf) drops its worker out, and if every
 * heard worker has weight 0 the label is the unweighted mean.  Sums run in
 * heard-row order. */
void mech_mean(const ts_slot *s, const double *logw, double *A);

/* Worker loss of SPEC §1, l = (1/m) sum_j (r_j - pv_j)^2, for one row of
 * reports.  Summed in prompt order and divided (not multiplied by 1/m), so
 * reports and states in [0,1] give l in [0,1] exactly, which Def. 4 relies
 * on (alpha l <= 1). */
double mech_sq_loss(const double *r_row, const double *pv, int m);

/* The heard rows' losses loss[n_heard] (SPEC §1) for a Stage III update:
 * the slot's own s->loss when the caller computed them (the engine does,
 * for the regret), else ts_sq_loss_rows.  A report outside [0,1] gives
 * mech_check_slot's message naming it (TS_EINVAL); the caller has checked
 * the slot's shape and pv, and changes no state before this returns. */
int mech_slot_losses(const ts_slot *s, const double *pv, int N, int m_max,
                     const char *who, double *loss, ts_err *e);

/* Def. 4's step size (2/3) sqrt(2 ln N / T) (Thm. 1), also hedge's default
 * eta (SPEC §2: eta = alpha of `ours`, as in Fig. 7).  NaN when T < 1 or
 * N < 2, so the range check refuses it rather than a mechanism running on
 * a meaningless step. */
double mech_alpha_default(const ts_shape *g);

/* The log weights of a mechanism whose weights never change: all 0. */
void mech_logw_uniform(int N, double *logw);

/* mech_check_shape, then the type's own check(g, p, e): the first half of
 * every init() that takes parameters. */
int mech_check_shape_params(const ts_shape *g, const ts_params *p,
                            int (*check)(const ts_shape *, const ts_params *,
                                         ts_err *),
                            const char *who, ts_err *e);

/* defaults() for a mechanism without parameters: nothing to fill. */
void mech_defaults_none(const ts_shape *g, ts_params *p);

/* Refuse a shape no mechanism can be sized for (N < 1 or m < 1). */
int mech_check_shape(const ts_shape *g, const char *who, ts_err *e);

/* ------------------------------------------------------------------ */
/* Limited feedback (Sec. VI, SPEC §2 second table). */

/* Thm. 2's step size alpha = sqrt(ln N / (7 N T)) and exploration share
 * beta = 2 sqrt(N ln N / (7 T)) (so beta = 2 N alpha); exp3 uses the same
 * pair as eta and beta (Fig. 9).  NaN when N < 2 or T < 1, as
 * mech_alpha_default.  beta exceeds 1 when T < 4 N ln N / 7
 * (mech_limited_beta_min_T). */
double mech_limited_alpha_default(const ts_shape *g);
double mech_limited_beta_default(const ts_shape *g);
/* The shortest horizon at which the default beta is at most 1:
 * T = 4 N ln N / 7 (a real number; the check names it). */
double mech_limited_beta_min_T(int N);
/* Refuse a default beta outside (0, 1], naming N and T (SPEC §2: the
 * defaults depend on the shape; STYLE §4: say what to do).  TS_OK when beta
 * was set by the user (the generic range check covers that) or is in
 * range. */
int mech_limited_check_beta(const ts_shape *g, const ts_params *p, int k,
                            const char *who, ts_err *e);

/* A slot of a mechanism that hears exactly one worker (Def. 5, exp3):
 * mech_check_slot (shape, sel, reports in [0,1]) plus n_heard == 1.  On TS_OK, *i is
 * the heard worker I_t. */
int mech_check_heard_one(const ts_slot *s, int N, int m_max, const char *who,
                         int *i, ts_err *e);
/* mech_check_heard_one, then mech_check_pv: the checks before the update
 * of a one-heard-worker slot (limited ours, exp3, WSU-UX). */
int mech_check_heard_one_pv(const ts_slot *s, const double *pv, int N,
                            int m_max, const char *who, int *i, ts_err *e);
/* Stage II of a mechanism that hears one worker (Sec. VI): the platform
 * hears only I_t, so his report is the label, A[j] = r[j]. */
int mech_one_label(const ts_slot *s, int N, int m_max, const char *who,
                   double *A, ts_err *e);
/* theta[N] holds nonnegative scores on entry (omoe's v_i, betabin's a^_i):
 * each becomes its share of their sum (summed in index order), or 1/N
 * each if every score is 0. */
void mech_theta_shares(int N, double *theta);
/* mech_limited_check_beta, then beta in (0, 1] whoever set it: limited
 * ours and exp3 (Thm. 2's beta, Fig. 9). */
int mech_limited_check_beta_range(const ts_shape *g, const ts_params *p,
                                  int k, const char *who, ts_err *e);

/* The subset size k of the subset baselines (median, em, average under
 * limited feedback): a uniform random k-subset is heard each slot (the
 * engine draws it; theta is NULL).  The spec entry, the default
 * min(10, N) (Fig. 9 hears 10 of N = 50; Fig. 13 uses k = 3, set it), and
 * the check k <= N, whose message names both ("median: k = 12 exceeds
 * N = 10 workers"). */
#define MECH_PARAM_K                                                           \
    {"k", 1.0, INFINITY, TS_PARAM_INT | TS_PARAM_HI_OPEN,                      \
     "workers heard per slot, a uniform random subset [min(10, N); "          \
     "Fig. 9: 10 of 50, Fig. 13: 3]"}
double mech_subset_k_default(const ts_shape *g);

/* defaults() and n_heard() of a subset baseline whose only parameter is k
 * (at index 0): `average` and `median` under limited feedback. */
void mech_subset_defaults(const ts_shape *g, ts_params *p);
int mech_subset_n_heard(const ts_shape *g, const ts_params *p);

/* n_heard() of the mechanisms that hear one worker per slot (Def. 5, exp3). */
int mech_one_heard(const ts_shape *g, const ts_params *p);

/* Thm. 2's defaults (Fig. 9) into the unset entries ia (alpha, or exp3's
 * eta) and ib (beta) of p. */
void mech_limited_defaults(const ts_shape *g, ts_params *p, int ia, int ib);
int mech_subset_check_k(const ts_shape *g, const ts_params *p, int k,
                        const char *who, ts_err *e);

/* The full-feedback vtable of a mechanism without parameters whose
 * weights never change (`average`, `median`, SPEC §2): Stage III only
 * checks the slot and pv.  Defines `static update`, `static log_weights`
 * (all 0) and `const ts_mechanism_type var` from the including file's
 * name[], state_size, init and aggregate; state_t starts with `int N, m`.
 * update and log_weights then serve MECH_SUBSET_LIMITED too. */
#define MECH_UNWEIGHTED(var, state_t)                                         \
    static int update(void *st, const ts_slot *s, const double *pv,           \
                      ts_err *e)                                              \
    {                                                                         \
        const state_t *x = st;                                                \
        return mech_check_slot_pv(s, pv, x->N, x->m, name, e);                \
    }                                                                         \
    static void log_weights(const void *st, double *logw)                     \
    {                                                                         \
        const state_t *x = st;                                                \
        mech_logw_uniform(x->N, logw);                                        \
    }                                                                         \
    const ts_mechanism_type var = {                                           \
        .name = name,                                                         \
        .label = name,                                                        \
        .feedback = TS_FULL,                                                  \
        .params = NULL,                                                       \
        .n_params = 0,                                                        \
        .defaults = mech_defaults_none,                                       \
        .check = NULL,                                                        \
        .state_size = state_size,                                             \
        .init = init,                                                         \
        .aggregate = aggregate,                                               \
        .update = update,                                                     \
        .log_weights = log_weights,                                           \
        .theta = NULL,                                                        \
        .n_heard = NULL,                                                      \
        .n_diag = 0,                                                          \
        .diag_names = NULL,                                                   \
        .diag = NULL,                                                         \
    }

/* The limited-feedback form of a full-feedback mechanism without
 * parameters (`average`, `median`): it hears a uniform random k-subset per
 * slot (the engine draws it; theta is NULL) and runs its full-feedback
 * functions on those rows.  Defines `const ts_mechanism_type var` from the
 * including file's name[], state_size, init, aggregate, update and
 * log_weights; its one parameter is k. */
#define MECH_SUBSET_LIMITED(var)                                              \
    static const ts_param_spec var##_params[] = {MECH_PARAM_K};               \
    static int var##_check(const ts_shape *g, const ts_params *p, ts_err *e)  \
    {                                                                         \
        return mech_subset_check_k(g, p, 0, name, e);                         \
    }                                                                         \
    static int var##_init(void *st, const ts_shape *g, const ts_params *p,    \
                          ts_err *e)                                          \
    {                                                                         \
        int rc = mech_check_shape_params(g, p, var##_check, name, e);         \
        return rc ? rc : init(st, g, p, e);                                   \
    }                                                                         \
    const ts_mechanism_type var = {                                           \
        .name = name,                                                         \
        .label = name,                                                        \
        .feedback = TS_LIMITED,                                               \
        .params = var##_params,                                               \
        .n_params = 1,                                                        \
        .defaults = mech_subset_defaults,                                     \
        .check = var##_check,                                                 \
        .state_size = state_size,                                             \
        .init = var##_init,                                                   \
        .aggregate = aggregate,                                               \
        .update = update,                                                     \
        .log_weights = log_weights,                                           \
        .n_heard = mech_subset_n_heard,                                       \
    }

/* Stage II of a mechanism that hears one worker (Sec. VI): defines
 * `static int fn(void *st, const ts_slot *, double *A, ts_err *)` that
 * calls mech_one_label with the shape of a state_t starting `int N, m`
 * (the closing redeclaration takes the caller's semicolon). */
#define MECH_ONE_LABEL_AGGREGATE(fn, state_t)                                 \
    static int fn(void *st, const ts_slot *sl, double *A, ts_err *e)          \
    {                                                                         \
        const state_t *x = st;                                                \
        return mech_one_label(sl, x->N, x->m, name, A, e);                    \
    }                                                                         \
    static int fn(void *st, const ts_slot *sl, double *A, ts_err *e)

/* The limited-feedback form of a count-based benchmark (`omoe` O4,
 * `betabin` B3, SPEC §2 second table): the platform hears one worker I_t,
 * drawn from theta (the including file's lim_theta), takes his report as
 * the label (mech_one_label) and runs the full-feedback update on his row
 * alone.  Defines `const ts_mechanism_type var` from the including file's
 * name[], label_, params, N_PARAMS, defaults, check, state_size, init,
 * update, log_weights and lim_theta; state_t starts with `int N, m`. */
#define MECH_ONE_HEARD_LIMITED(var, state_t, label_)                          \
    MECH_ONE_LABEL_AGGREGATE(var##_aggregate, state_t);                       \
    static int var##_update(void *st, const ts_slot *sl, const double *pv,    \
                            ts_err *e)                                        \
    {                                                                         \
        const state_t *x = st;                                                \
        int i;                                                                \
        int rc = mech_check_heard_one(sl, x->N, x->m, name, &i, e);           \
        return rc ? rc : update(st, sl, pv, e);                               \
    }                                                                         \
    const ts_mechanism_type var = {                                           \
        .name = name,                                                         \
        .label = label_,                                                      \
        .feedback = TS_LIMITED,                                               \
        .params = params,                                                     \
        .n_params = N_PARAMS,                                                 \
        .defaults = defaults,                                                 \
        .check = check,                                                       \
        .state_size = state_size,                                             \
        .init = init,                                                         \
        .aggregate = var##_aggregate,                                         \
        .update = var##_update,                                               \
        .log_weights = log_weights,                                           \
        .theta = lim_theta,                                                   \
        .n_heard = mech_one_heard,                                            \
    }

/* ------------------------------------------------------------------ */
/* Multiplicative-weights mechanisms kept in the log domain: `ours`
 * (Def. 4, log w += log1p(-alpha l)) and `hedge` (log w -= eta l).  They
 * share state, aggregation and bookkeeping and differ only in the factor,
 * which each file passes in.  Log weights never underflow: after 10^7
 * slots they are about -10^4, and mech_mean shifts them before exp. */

typedef struct mech_lw_state {
    int N, m;      /* shape the state was sized for                        */
    double step;   /* alpha (ours) or eta (hedge)                          */
    double data[]; /* logw[N] (log w_i, 0 at start), then loss[N] and f[N]
                      scratch                                              */
} mech_lw_state;

/* The log of the factor each w_i is multiplied by, given the step and l_i,
 * for n workers at once: f[k] = log_factor(step, loss[k]).  In array form
 * so that it is vectorised in the file that defines it (MECH_LW_FACTORS). */
typedef void (*mech_log_factors)(double step, const double *loss, double *f,
                                 size_t n);
/* Defines `static void name(double step, const double *loss, double *f,
 * size_t n)` from a static inline log_factor(step, l) of the including
 * file, compiled with the lanes' clones (game.h). */
#define MECH_LW_FACTORS(name, log_factor)                                     \
    TS_LANES_CLONES static void name(double step, const double *l, double *f, \
                                     size_t n)                                \
    {                                                                         \
        for (size_t k = 0; k < n; k++)                                        \
            f[k] = log_factor(step, l[k]);                                    \
    }

size_t mech_lw_state_size(const ts_shape *g);
/* Weights start at w_i = 1 (SPEC §2). */
void mech_lw_init(mech_lw_state *st, const ts_shape *g, double step);
/* Weighted mean of the heard reports (SPEC §1 Stage II). */
int mech_lw_aggregate(const mech_lw_state *st, const ts_slot *s, double *A,
                      const char *who, ts_err *e);
/* log w_i += log_factor(step, l_i) for every heard worker i; the others
 * keep their weights (subset baselines).  All losses are checked before
 * any weight changes: a report outside [0,1] or a state other than 0 or
 * 1 gives TS_EINVAL, a NaN factor TS_ENONFINITE, and the state is left as
 * it was. */
int mech_lw_update(mech_lw_state *st, const ts_slot *s, const double *pv,
                   mech_log_factors factors, const char *who, ts_err *e);
/* Vtable-compatible: copies logw[N]. */
void mech_lw_log_weights(const void *st, double *logw);
/* Vtable-compatible set_log_weights: copies logw[N]; TS_EINVAL (state
 * unchanged) if an entry is NaN or +inf (-inf, a zero weight, is allowed). */
int mech_lw_set_log_weights(void *st, const double *logw, ts_err *e);

/* Replica lanes (game.h, ts_mech_lanes) of these mechanisms: the same
 * weighted mean and the same update, TS_LANES replicas at a time.  Every
 * lane has the same step (one point, one parameter set). */
size_t mech_lw_lanes_work_size(const ts_shape *g);
void mech_lw_lanes_begin(void *const *st, void *work, int m);
void mech_lw_lanes_rows(void *const *st, void *work, int i0, int i1, int m,
                        const double *r);
void mech_lw_lanes_labels(void *const *st, void *work, int m, double *A);
unsigned mech_lw_lanes_update(void *const *st, void *work,
                              const double *loss, mech_log_factors factors);
/* Defines `static const ts_mech_lanes table` for a log-weight mechanism
 * whose array factor (MECH_LW_FACTORS) is `factors`. */
#define MECH_LW_LANES(table, factors)                                         \
    static unsigned table##_update(void *const *st, void *work, int m,        \
                                   const double *loss)                        \
    {                                                                         \
        (void)m;                                                              \
        return mech_lw_lanes_update(st, work, loss, factors);                 \
    }                                                                         \
    static const ts_mech_lanes table = {                                      \
        mech_lw_lanes_work_size, mech_lw_lanes_begin, mech_lw_lanes_rows,     \
        mech_lw_lanes_labels, table##_update}


/* The full-feedback vtable of a log-weight mechanism (`ours`, `hedge`):
 * its one parameter, the step, is at index 0 with Def. 4's default
 * (mech_alpha_default; hedge's eta borrows it, Fig. 7).  Defines
 * `const ts_mechanism_type var` from the including file's name[], params[],
 * N_PARAMS, check() and static inline log_factor(step, l). */
#define MECH_LW_TYPE(var)                                                     \
    static void var##_defaults(const ts_shape *g, ts_params *p)               \
    {                                                                         \
        if (!p->set[0])                                                       \
            p->v[0] = mech_alpha_default(g);                                  \
    }                                                                         \
    static int var##_init(void *st, const ts_shape *g, const ts_params *p,    \
                          ts_err *e)                                          \
    {                                                                         \
        int rc = mech_check_shape_params(g, p, check, name, e);               \
        if (rc)                                                               \
            return rc;                                                        \
        mech_lw_init(st, g, p->v[0]);                                         \
        return TS_OK;                                                         \
    }                                                                         \
    static int var##_aggregate(void *st, const ts_slot *s, double *A,         \
                               ts_err *e)                                     \
    {                                                                         \
        return mech_lw_aggregate(st, s, A, name, e);                          \
    }                                                                         \
    MECH_LW_FACTORS(var##_factors, log_factor)                                \
    static int var##_update(void *st, const ts_slot *s, const double *pv,     \
                            ts_err *e)                                        \
    {                                                                         \
        return mech_lw_update(st, s, pv, var##_factors, name, e);             \
    }                                                                         \
    MECH_LW_LANES(var##_lanes, var##_factors);                                \
    const ts_mechanism_type var = {                                           \
        .name = name,                                                         \
        .label = name,                                                        \
        .feedback = TS_FULL,                                                  \
        .params = params,                                                     \
        .n_params = N_PARAMS,                                                 \
        .defaults = var##_defaults,                                           \
        .check = check,                                                       \
        .state_size = mech_lw_state_size,                                     \
        .init = var##_init,                                                   \
        .aggregate = var##_aggregate,                                         \
        .update = var##_update,                                               \
        .log_weights = mech_lw_log_weights,                                   \
        .set_log_weights = mech_lw_set_log_weights,                           \
        .theta = NULL,                                                        \
        .n_heard = NULL,                                                      \
        .n_diag = 0,                                                          \
        .diag_names = NULL,                                                   \
        .diag = NULL,                                                         \
        .lanes = &var##_lanes,                                                \
    }

#endif

/* engine.c -- the slot loop of SPEC §1 (paper Sec. III), full feedback.
 *
 * Per replica r and slot t (0-based here, the paper's t+1):
 *   Stage I    population draws true states p[m] and beliefs q[N][m];
 *              each worker's strategy turns q into reports r.
 *   Stage II   the mechanism aggregates r into labels A[m];
 *              platform loss L_t = (1/m) sum_j (A_j - p_j)^2.
 *   Stage III  verification gives pv = p, each entry flipped with
 *              probability epsilon (Prop. 3); the mechanism reweighs on pv.
 * Regret, eq. (5): R(T) = sum_t L_t - min_i sum_t (1/m) sum_j (q_ij - p_j)^2,
 * the comparator on true beliefs and true p, never on pv (SPEC §1).
 *
 * Symbols: N workers, m prompts this slot, T slots, p true states, pv
 * verified states, q beliefs, r reports, A labels, w weights. */
#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "base/tsmath.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "ts_config.h"

void *ts_ws_carve(const size_t *sizes, void **const *ptrs, size_t n)
{
    size_t total = 0;
    for (size_t k = 0; k < n; k++)
        total += sizes[k];
    unsigned char *c = aligned_alloc(TS_WS_ALIGN, ts_ws_round(total));
    if (!c)
        return NULL;
    void *block = c;
    for (size_t k = 0; k < n; k++) {
        *ptrs[k] = c;
        c += sizes[k];
    }
    return block;
}


/* ------------------------------------------------------------------ */
/* Results                                                             */

void ts_point_result_free(ts_point_result *res)
{
    if (!res)
        return;
    free(res->regret);
    free(res->loss);
    free(res->best);
    free(res->share);
    free(res->status);
    free(res->diag);
    free(res->share_traj);
    free(res->weight_traj);
    free(res->regret_traj);
    free(res->errmsg);
    free(res->sel_frac);
    free(res->drawn_loss);
    free(res->theta_traj);
    free(res->util_weight);
    free(res->util_share);
    memset(res, 0, sizeof *res);
}

static double *nan_array(size_t n)
{
    double *a = malloc((n ? n : 1) * sizeof *a);
    if (a)
        for (size_t k = 0; k < n; k++)
            a[k] = NAN; /* an unwritten value fails loudly (STYLE §6) */
    return a;
}

int ts_point_result_alloc(ts_point_result *res, const ts_experiment *x,
                          const ts_point *pt, ts_err *e)
{
    memset(res, 0, sizeof *res);
    res->n_cell = x->n_mech * x->n_prof;
    res->R = x->replicas;
    res->N = pt->shape.N;
    res->T = pt->shape.T;
    res->traj = x->trajectory;
    for (int k = 0; k < x->n_mech; k++)
        if (x->mech[k]->n_diag > res->n_diag)
            res->n_diag = x->mech[k]->n_diag;
    size_t cr = (size_t)res->n_cell * (size_t)res->R;
    size_t rows = (size_t)res->T + 1;
    if (res->traj) {
        double bytes = (double)cr * (double)rows * (2.0 * res->N + 1) * 8.0;
        if (bytes > 8e9)
            return TS_ERROR(e, TS_EINPUT,
                            "%s: trajectories would need %.1f GB at N = %d, T = %ld "
                            "(%ld replicas): drop 'trajectory' or reduce T or replicas",
                            x->path, bytes / 1e9, res->N, res->T, res->R);
    }
    res->regret = nan_array(cr);
    res->loss = nan_array(cr);
    res->best = nan_array(cr);
    res->share = nan_array(cr * (size_t)res->N);
    res->status = calloc(cr ? cr : 1, sizeof *res->status);
    res->diag = nan_array(cr * (size_t)res->n_diag);
    res->errmsg = calloc(cr ? cr : 1, sizeof *res->errmsg);
    int ok = res->regret && res->loss && res->best && res->share &&
             res->status && res->diag && res->errmsg;
    if (ok && res->traj) {
        res->share_traj = nan_array(cr * rows * (size_t)res->N);
        res->weight_traj = nan_array(cr * rows * (size_t)res->N);
        res->regret_traj = nan_array(cr * rows);
        ok = res->share_traj && res->weight_traj && res->regret_traj;
    }
    if (ok && x->utility) {
        res->util_weight = nan_array(cr * (size_t)res->N);
        res->util_share = nan_array(cr * (size_t)res->N);
        ok = res->util_weight && res->util_share;
    }
    res->limited = x->feedback == TS_LIMITED;
    if (ok && res->limited) {
        res->sel_frac = nan_array(cr * (size_t)res->N);
        res->drawn_loss = nan_array(cr);
        ok = res->sel_frac && res->drawn_loss;
        if (ok && res->traj) {
            res->theta_traj = nan_array(cr * rows * (size_t)res->N);
            ok = res->theta_traj != NULL;
        }
    }
    if (!ok) {
        ts_point_result_free(res);
        return TS_ERROR(e, TS_ENOMEM, "out of memory for the results of a point");
    }
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Per-thread workspace: one block, carved into named arrays.           */

typedef struct workspace {
    void *block;
    double *p;        /* [m]     true states                               */
    double *pv;       /* [m]     verified states                           */
    double *q;        /* [N][m]  beliefs                                   */
    double *r;        /* [N][m]  reports of the current cell               */
    double *A;        /* [m]     labels                                    */
    double *logw;     /* [N]                                               */
    double *share;    /* [N]                                               */
    double *bl;       /* [N]     belief loss before this slot, eq. (5)     */
    double *blt;      /* [N]     belief loss of this slot                  */
    double *u;        /* [m]     verification uniforms                     */
    double *cum_loss; /* [cell]  sum_t L_t                                 */
    int *failed;      /* [cell]                                            */
    double *theta;    /* [N]     draw probabilities (limited)              */
    double *rl;       /* [N]     report losses against true p (eq. 12)     */
    double *rh;       /* [N][m]  reports of the heard workers              */
    int *sel;         /* [N]     heard workers, increasing                 */
    double *cnt;      /* [cell][N] slots each worker was heard             */
    double *dl;       /* [cell]  sum of the drawn workers' realised losses */
    double *uw, *us;  /* [cell][N] horizon utilities being summed (eq. 4)  */
    unsigned char *mst; /* [cell] mechanism states, mst_stride bytes each  */
    unsigned char *sst; /* [cell][N] strategy states, sst_stride each      */
    unsigned char *pop; /* population state                                */
    size_t mst_stride, sst_stride;
    /* [n_mech][n_strat] strategies' per-thread scratch (work_alloc), NULL
     * where a strategy has none; its own allocation, freed one by one. */
    void *swork[TS_MAX_MECH][TS_MAX_STRAT];
    const ts_experiment *x;
} workspace;

static void workspace_free(workspace *w)
{
    if (w->x)
        for (int k = 0; k < w->x->n_mech; k++)
            for (int s = 0; s < w->x->n_strat; s++)
                if (w->swork[k][s] && w->x->strat[s]->work_free)
                    w->x->strat[s]->work_free(w->swork[k][s]);
    free(w->block);
    memset(w, 0, sizeof *w);
}

static int workspace_alloc(workspace *w, const ts_experiment *x,
                           const ts_point *pt, ts_err *e)
{
    const size_t N = (size_t)pt->shape.N, m = (size_t)pt->shape.m;
    const size_t n_cell = (size_t)x->n_mech * (size_t)x->n_prof;
    memset(w, 0, sizeof *w);
    w->mst_stride = 0;
    for (int k = 0; k < x->n_mech; k++) {
        size_t s = ts_ws_round(x->mech[k]->state_size(&pt->shape));
        if (s > w->mst_stride)
            w->mst_stride = s;
    }
    w->sst_stride = TS_WS_ALIGN;
    for (int s = 0; s < x->n_strat; s++)
        if (x->strat[s]->state_size) {
            size_t z = ts_ws_round(x->strat[s]->state_size(&pt->shape));
            if (z > w->sst_stride)
                w->sst_stride = z;
        }
    /* The size table (llm.c's fill_in_parameter_sizes, in bytes). */
    size_t sizes[] = {
        ts_ws_round(m * sizeof(double)),     ts_ws_round(m * sizeof(double)),
        ts_ws_round(N * m * sizeof(double)), ts_ws_round(N * m * sizeof(double)),
        ts_ws_round(m * sizeof(double)),     ts_ws_round(N * sizeof(double)),
        ts_ws_round(N * sizeof(double)),     ts_ws_round(N * sizeof(double)),
        ts_ws_round(N * sizeof(double)),
        ts_ws_round(m * sizeof(double)),     ts_ws_round(n_cell * sizeof(double)),
        ts_ws_round(n_cell * sizeof(int)),   n_cell * w->mst_stride,
        n_cell * N * w->sst_stride,
        ts_ws_round(x->pop->state_size(&pt->shape)),
        ts_ws_round(N * sizeof(double)),     ts_ws_round(N * sizeof(double)),
        ts_ws_round(N * m * sizeof(double)), ts_ws_round(N * sizeof(int)),
        ts_ws_round(n_cell * N * sizeof(double)),
        ts_ws_round(n_cell * sizeof(double)),
        ts_ws_round(n_cell * N * sizeof(double)),
        ts_ws_round(n_cell * N * sizeof(double)),
    };
    void **ptrs[] = {
        (void **)&w->p,  (void **)&w->pv,    (void **)&w->q,
        (void **)&w->r,  (void **)&w->A,     (void **)&w->logw,
        (void **)&w->share, (void **)&w->bl, (void **)&w->blt,
        (void **)&w->u, (void **)&w->cum_loss, (void **)&w->failed,
        (void **)&w->mst, (void **)&w->sst, (void **)&w->pop,
        (void **)&w->theta, (void **)&w->rl, (void **)&w->rh,
        (void **)&w->sel, (void **)&w->cnt, (void **)&w->dl,
        (void **)&w->uw, (void **)&w->us,
    };
    _Static_assert(sizeof sizes / sizeof sizes[0] == sizeof ptrs / sizeof ptrs[0],
                   "one size per array");
    w->block = ts_ws_carve(sizes, ptrs, sizeof ptrs / sizeof ptrs[0]);
    if (!w->block)
        return TS_ERROR(e, TS_ENOMEM, "out of memory for a worker workspace");
    w->x = x;
    for (int k = 0; k < x->n_mech; k++)
        for (int s = 0; s < x->n_strat; s++) {
            if (!x->strat[s]->work_alloc)
                continue;
            int rc = x->strat[s]->work_alloc(&w->swork[k][s], x->mech[k],
                                             &pt->shape, &pt->strat_par[s], e);
            if (rc) {
                workspace_free(w);
                return rc;
            }
        }
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* One replica                                                         */

static void fail(ts_point_result *res, size_t idx, int code, const char *msg)
{
    if (res->status[idx] == TS_OK || res->status[idx] == TS_ENOCONV) {
        res->status[idx] = code;
        /* Keep the head of the message: the slot holds 256 bytes. */
        size_t n = strlen(msg);
        if (n >= sizeof res->errmsg[idx])
            n = sizeof res->errmsg[idx] - 1;
        memcpy(res->errmsg[idx], msg, n);
        res->errmsg[idx][n] = '\0';
    }
}

int ts_engine_store_cell(ts_point_result *res, size_t idx,
                         const ts_mechanism_type *mt, const void *mst,
                         double cum_loss, double best, double *logw,
                         double *share)
{
    const int N = res->N;
    mt->log_weights(mst, logw);
    ts_shares_from_log(N, logw, share);
    for (int i = 0; i < N; i++)
        if (isnan(logw[i]) || logw[i] == INFINITY) {
            fail(res, idx, TS_ENONFINITE, "a weight became NaN or infinite");
            return TS_ENONFINITE;
        }
    res->regret[idx] = cum_loss - best;
    res->loss[idx] = cum_loss;
    res->best[idx] = best;
    memcpy(res->share + idx * (size_t)N, share, (size_t)N * sizeof *share);
    if (mt->diag && res->n_diag)
        mt->diag(mst, res->diag + idx * (size_t)res->n_diag);
    return TS_OK;
}

static void record_traj(const ts_point_result *res, size_t cr, long t,
                        const double *logw, const double *share,
                        const double *theta, double R_t)
{
    const size_t N = (size_t)res->N, rows = (size_t)res->T + 1;
    double *sh = res->share_traj + (cr * rows + (size_t)t) * N;
    double *wt = res->weight_traj + (cr * rows + (size_t)t) * N;
    for (size_t i = 0; i < N; i++) {
        sh[i] = share[i];
        wt[i] = ts_exp(logw[i]);
    }
    if (res->theta_traj && theta)
        memcpy(res->theta_traj + (cr * rows + (size_t)t) * N, theta,
               N * sizeof *theta);
    res->regret_traj[cr * rows + (size_t)t] = R_t;
}

/* Limited feedback: the probability that each worker is heard this slot --
 * the mechanism's theta, or k/N for a uniform k-subset. */
static void heard_probabilities(const ts_mechanism_type *mt, const void *st,
                                int N, int k, double *theta)
{
    if (mt->theta) {
        mt->theta(st, theta);
        return;
    }
    for (int i = 0; i < N; i++)
        theta[i] = (double)k / N;
}

static double min_of(const double *a, int n)
{
    double mn = a[0];
    for (int i = 1; i < n; i++)
        if (a[i] < mn)
            mn = a[i];
    return mn;
}

/* The strategy (index into x->strat) worker i plays in profile pf. */
static int worker_strategy(const ts_experiment *x, int pf, int i)
{
    int len = x->prof_len[pf];
    return x->prof[pf][i < len ? i : len - 1];
}

static void fail_all(ts_point_result *res, workspace *w, int n_cell, long rep,
                     int code, const char *msg)
{
    for (int c = 0; c < n_cell; c++) {
        fail(res, (size_t)c * (size_t)res->R + (size_t)rep, code, msg);
        w->failed[c] = 1;
    }
}

static int run_replica(const ts_experiment *x, const ts_point *pt, long rep,
                       workspace *w, ts_point_result *res,
                       volatile sig_atomic_t *stop)
{
    const ts_shape *g = &pt->shape;
    const int N = g->N, n_prof = x->n_prof, n_cell = x->n_mech * x->n_prof;
    const long T = g->T;
    const int limited = x->feedback == TS_LIMITED;
    ts_err err;
    int k_heard[TS_MAX_MECH];

    ts_err_clear(&err);
    int rc = x->pop->init(w->pop, g, &pt->pop_par, &err);
    for (int c = 0; c < n_cell; c++) {
        size_t idx = (size_t)c * (size_t)res->R + (size_t)rep;
        res->status[idx] = TS_OK;
        res->errmsg[idx][0] = '\0';
        w->failed[c] = 0;
        w->cum_loss[c] = 0;
        w->dl[c] = 0;
        for (int i = 0; i < N; i++) {
            w->cnt[(size_t)c * N + (size_t)i] = 0;
            w->uw[(size_t)c * N + (size_t)i] = 0;
            w->us[(size_t)c * N + (size_t)i] = 0;
        }
    }
    if (rc) {
        fail_all(res, w, n_cell, rep, rc, err.msg);
        return rc;
    }
    for (int k = 0; k < x->n_mech; k++)
        k_heard[k] = limited && x->mech[k]->n_heard
                         ? x->mech[k]->n_heard(g, &pt->mech_par[k]) : N;
    for (int c = 0; c < n_cell; c++) {
        int k = c / n_prof, pf = c % n_prof;
        size_t idx = (size_t)c * (size_t)res->R + (size_t)rep;
        ts_err_clear(&err);
        rc = x->mech[k]->init(w->mst + (size_t)c * w->mst_stride, g,
                              &pt->mech_par[k], &err);
        for (int i = 0; !rc && i < N; i++) {
            int si = worker_strategy(x, pf, i);
            if (x->strat[si]->init)
                rc = x->strat[si]->init(
                    w->sst + ((size_t)c * N + (size_t)i) * w->sst_stride, g,
                    &pt->strat_par[si], i, &err);
        }
        if (!rc && (k_heard[k] < 1 || k_heard[k] > N))
            rc = TS_ERROR(&err, TS_EINVAL, "%s hears %d of %d workers",
                          x->mech[k]->name, k_heard[k], N);
        if (rc) {
            fail(res, idx, rc, err.msg);
            w->failed[c] = 1;
        }
    }
    for (int i = 0; i < N; i++)
        w->bl[i] = 0;

    ts_rng rs, rb, rv, rx, rsel[TS_MAX_MECH];
    ts_rng_init(&rs, x->seed, pt->env_id, (uint32_t)rep, TS_STREAM_STATE);
    ts_rng_init(&rb, x->seed, pt->env_id, (uint32_t)rep, TS_STREAM_BELIEF);
    ts_rng_init(&rv, x->seed, pt->env_id, (uint32_t)rep, TS_STREAM_VERIFY);
    ts_rng_init(&rx, x->seed, pt->env_id, (uint32_t)rep, TS_STREAM_AUX);
    /* A mechanism's draws depend on its name, not on which other mechanisms
     * run beside it; its strategies (cells) share them. */
    for (int k = 0; limited && k < x->n_mech; k++)
        ts_rng_init(&rsel[k], x->seed, ts_mech_stream_id(pt->env_id, x->mech[k]->name),
                    (uint32_t)rep, TS_STREAM_SELECT);

    for (long t = 0; t < T; t++) {
        if (stop && *stop)
            return TS_EINTR;
        ts_rng_seek(&rs, (uint64_t)t);
        ts_rng_seek(&rb, (uint64_t)t);
        ts_rng_seek(&rv, (uint64_t)t);
        ts_rng_seek(&rx, (uint64_t)t);
        int m = g->m;
        if (pt->m_min < g->m)
            m = pt->m_min + (int)ts_rng_below(&rx, (uint32_t)(g->m - pt->m_min + 1));

        ts_err_clear(&err);
        rc = x->pop->draw(w->pop, t, m, &rs, &rb, w->p, w->q);
        if (rc) {
            fail_all(res, w, n_cell, rep, rc, "the population failed to draw a slot");
            return rc;
        }
        if (rs.overflow || rb.overflow) {
            /* More than 2^26 words from one stream in one slot would repeat
             * draws (rng.h): refuse rather than simulate with them. */
            fail_all(res, w, n_cell, rep, TS_EINVAL,
                     "a slot needs more random numbers than one stream holds "
                     "(2^26 per slot): reduce N * m");
            return TS_EINVAL;
        }
        /* Prop. 3: each verified state is flipped with probability epsilon,
         * independently.  Points differing only in epsilon share these
         * uniforms, so their flips are coupled. */
        if (pt->epsilon > 0) {
            ts_rng_fill_u01(&rv, w->u, (size_t)m);
            for (int j = 0; j < m; j++)
                w->pv[j] = w->u[j] < pt->epsilon ? 1.0 - w->p[j] : w->p[j];
        } else {
            memcpy(w->pv, w->p, (size_t)m * sizeof *w->pv);
        }
        /* The comparator of eqs. (5) and (12): true beliefs against true p.
         * A belief outside [0,1] is a population's bug: stop. */
        int bad = 0;
        ts_sq_loss_rows(w->q, N, m, w->p, w->blt, &bad);
        if (bad) {
            fail_all(res, w, n_cell, rep, TS_EINVAL,
                     "the population drew a belief outside [0,1]");
            return TS_EINVAL;
        }

        for (int c = 0; c < n_cell; c++) {
            if (w->failed[c])
                continue;
            const int k = c / n_prof, pf = c % n_prof;
            const ts_mechanism_type *mt = x->mech[k];
            const int identity = x->prof_identity[pf];
            void *mst = w->mst + (size_t)c * w->mst_stride;
            size_t idx = (size_t)c * (size_t)res->R + (size_t)rep;
            if (limited)
                heard_probabilities(mt, mst, N, k_heard[k], w->theta);
            if (res->traj || !identity || x->utility) {
                mt->log_weights(mst, w->logw);
                ts_shares_from_log(N, w->logw, w->share);
            }
            if (x->utility) /* eq. (4): u_i = sum_{t=1..T} w_i^t */
                for (int i = 0; i < N; i++) {
                    w->uw[(size_t)c * N + (size_t)i] += ts_exp(w->logw[i]);
                    w->us[(size_t)c * N + (size_t)i] += w->share[i];
                }
            if (res->traj) /* row t: before slot t; R(0) = 0 */
                record_traj(res, idx, t, w->logw, w->share,
                            limited ? w->theta : NULL,
                            w->cum_loss[c] - min_of(w->bl, N));

            /* Stage I: reports.  Truthful workers report q itself. */
            const double *r = w->q;
            if (!identity) {
                for (int i = 0; i < N && !rc; i++) {
                    const int si = worker_strategy(x, pf, i);
                    const ts_strategy_type *stt = x->strat[si];
                    ts_strategy_ctx ctx = {
                        .mech = mt, .mech_state = mst,
                        .mech_params = &pt->mech_par[k], .shape = g, .t = t,
                        .i = i, .share = w->share[i],
                        .theta = limited ? w->theta[i] : 1.0,
                        .epsilon = pt->epsilon, .work = w->swork[k][si],
                    };
                    /* Worker i's own stream for this mechanism and
                     * strategy, positioned at slot t (the slot has a
                     * counter word of its own, so no two slots share). */
                    ts_rng sr;
                    const uint32_t sid =
                        ts_strategy_stream_id(pt->env_id, mt->name, stt->name, i);
                    ts_rng_init(&sr, x->seed, sid, (uint32_t)rep, TS_STREAM_STRATEGY);
                    ts_rng_seek(&sr, (uint64_t)t);
                    ts_err_clear(&err);
                    rc = stt->report(
                        w->sst + ((size_t)c * N + (size_t)i) * w->sst_stride,
                        &pt->strat_par[si], &ctx, m, w->q + (size_t)i * m,
                        w->r + (size_t)i * m, &sr, &err);
                }
                /* A strategy's reports must be probabilities: one outside
                 * [0,1] is refused here, once, not inside every mechanism. */
                int badr = 0;
                if (!rc) {
                    ts_sq_loss_rows(w->r, N, m, w->p, w->rl, &badr);
                    if (badr)
                        rc = TS_ERROR(&err, TS_EINVAL,
                                      "a strategy reported outside [0,1] in slot %ld", t);
                }
                if (rc) {
                    fail(res, idx, rc, err.msg);
                    w->failed[c] = 1;
                    rc = TS_OK;
                    continue;
                }
                r = w->r;
            }

            /* Who is heard (Sec. VI), and the reports the platform sees. */
            ts_slot slot = {.t = t, .N = N, .m = m, .r = r, .n_heard = N,
                            .sel = NULL, .loss = NULL};
            /* Truthful reports verified against the true states: the
             * update's losses are the comparator's, computed once. */
            if (identity && !limited && !(pt->epsilon > 0))
                slot.loss = w->blt;
            if (limited) {
                ts_rng_seek(&rsel[k], (uint64_t)t);
                if (mt->theta) {
                    w->sel[0] = ts_draw_index(w->theta, N, ts_rng_u01_53(&rsel[k]));
                    slot.n_heard = 1;
                } else {
                    ts_draw_subset(&rsel[k], N, k_heard[k], w->sel);
                    slot.n_heard = k_heard[k];
                }
                for (int h = 0; h < slot.n_heard; h++)
                    memcpy(w->rh + (size_t)h * m, r + (size_t)w->sel[h] * m,
                           (size_t)m * sizeof *w->rh);
                slot.r = w->rh;
                slot.sel = w->sel;
            }

            /* Stage II. */
            ts_err_clear(&err);
            rc = mt->aggregate(mst, &slot, w->A, &err);
            if (rc == TS_ENOCONV) {
                fail(res, idx, rc, err.msg); /* noted; the label is usable */
                rc = TS_OK;
            } else if (rc) {
                fail(res, idx, rc, err.msg);
                w->failed[c] = 1;
                rc = TS_OK;
                continue;
            }
            double L;
            if (limited && mt->theta) {
                /* Eq. (12): the expected loss of the draw, sum_i theta_i l^_i,
                 * with l^ on reports against true p. */
                /* Truthful: reports are beliefs; otherwise the report losses
                 * were computed with the range check above. */
                const double *rl = identity ? w->blt : w->rl;
                L = 0;
                for (int i = 0; i < N; i++)
                    L += w->theta[i] * rl[i];
                double d = 0;
                for (int h = 0; h < slot.n_heard; h++)
                    d += rl[w->sel[h]];
                w->dl[c] += d / slot.n_heard;
            } else {
                L = 0;
                for (int j = 0; j < m; j++) {
                    double d = w->A[j] - w->p[j];
                    L += d * d;
                }
                L /= m;
                if (limited) {
                    ts_sq_loss_rows(w->rh, slot.n_heard, m, w->p, w->rl, NULL);
                    double d = 0;
                    for (int h = 0; h < slot.n_heard; h++)
                        d += w->rl[h];
                    w->dl[c] += d / slot.n_heard;
                }
            }
            if (!isfinite(L)) {
                fail(res, idx, TS_ENONFINITE, "a label or loss became non-finite");
                w->failed[c] = 1;
                continue;
            }
            w->cum_loss[c] += L;
            if (limited)
                for (int h = 0; h < slot.n_heard; h++)
                    w->cnt[(size_t)c * N + (size_t)w->sel[h]] += 1;

            /* Stage III. */
            ts_err_clear(&err);
            rc = mt->update(mst, &slot, w->pv, &err);
            if (rc) {
                fail(res, idx, rc, err.msg);
                w->failed[c] = 1;
                rc = TS_OK;
            }
        }
        for (int i = 0; i < N; i++)
            w->bl[i] += w->blt[i];
    }

    const double best = min_of(w->bl, N);
    for (int c = 0; c < n_cell; c++) {
        const int k = c / n_prof;
        const ts_mechanism_type *mt = x->mech[k];
        void *mst = w->mst + (size_t)c * w->mst_stride;
        size_t idx = (size_t)c * (size_t)res->R + (size_t)rep;
        if (w->failed[c])
            continue;
        if (ts_engine_store_cell(res, idx, mt, mst, w->cum_loss[c], best,
                                 w->logw, w->share))
            continue;
        if (x->utility)
            for (int i = 0; i < N; i++) {
                res->util_weight[idx * (size_t)N + (size_t)i] = w->uw[(size_t)c * N + (size_t)i];
                res->util_share[idx * (size_t)N + (size_t)i] = w->us[(size_t)c * N + (size_t)i];
            }
        if (limited) {
            for (int i = 0; i < N; i++)
                res->sel_frac[idx * (size_t)N + (size_t)i] =
                    w->cnt[(size_t)c * N + (size_t)i] / (double)T;
            res->drawn_loss[idx] = w->dl[c] / (double)T;
            heard_probabilities(mt, mst, N, k_heard[k], w->theta);
        }
        if (res->traj)
            record_traj(res, idx, T, w->logw, w->share,
                        limited ? w->theta : NULL, w->cum_loss[c] - best);
    }
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* A point: replicas in parallel                                       */

static int check_supported(const ts_experiment *x, ts_err *e)
{
    for (int k = 0; k < x->n_mech; k++) {
        const ts_mechanism_type *mt = x->mech[k];
        if (mt->feedback != x->feedback)
            return TS_ERROR(e, TS_EINVAL, "%s: mechanism %s is not a %s-feedback one",
                            x->path, mt->name,
                            x->feedback == TS_FULL ? "full" : "limited");
        if (x->feedback == TS_LIMITED && !mt->n_heard)
            return TS_ERROR(e, TS_EINVAL, "%s: limited mechanism %s has no n_heard",
                            x->path, mt->name);
    }
    return TS_OK;
}

int ts_engine_run_replica(const ts_experiment *x, const ts_point *pt, long r,
                          ts_point_result *res, ts_err *e)
{
    int rc = check_supported(x, e);
    if (rc)
        return rc;
    workspace w;
    rc = workspace_alloc(&w, x, pt, e);
    if (rc)
        return rc;
    rc = run_replica(x, pt, r, &w, res, NULL);
    workspace_free(&w);
    return rc == TS_EINTR ? TS_ERROR(e, TS_EINTR, "interrupted") : TS_OK;
}

int ts_engine_run_point(const ts_experiment *x, const ts_point *pt,
                        const ts_run_opts *o, ts_point_result *res, ts_err *e)
{
    int rc = check_supported(x, e);
    if (rc)
        return rc;
    const long R = x->replicas;
    /* Jobs: lane groups of TS_LANES replicas where the experiment allows
     * (engine_lanes.c), single replicas otherwise. */
    const int lanes = !(o && o->generic) && ts_lanes_eligible(x, pt);
    long n_groups = 0;
    if (lanes) {
        /* A part-filled group computes its empty lanes for nothing: below
         * three replicas left over, one at a time is cheaper (a group
         * costs about as much as 2.7 single replicas, Engine speed). */
        n_groups = R / TS_LANES + (R % TS_LANES >= 3);
    }
    const long first_single = n_groups * TS_LANES < R ? n_groups * TS_LANES : R;
    const long n_jobs = n_groups + (R - first_single);
    int nt = 1;
#ifdef _OPENMP
    nt = o && o->threads > 0 ? o->threads : omp_get_max_threads();
#endif
    if (nt > n_jobs)
        nt = (int)n_jobs;
    if (nt < 1)
        nt = 1;
    workspace *ws = calloc((size_t)nt, sizeof *ws);
    ts_lanes_ws *lws = calloc((size_t)nt, sizeof *lws);
    if (!ws || !lws) {
        free(ws);
        free(lws);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    for (int k = 0; k < nt && !rc; k++) {
        rc = workspace_alloc(&ws[k], x, pt, e);
        if (!rc && lanes)
            rc = ts_lanes_ws_alloc(&lws[k], x, pt, e);
    }
    if (rc) {
        for (int k = 0; k < nt; k++) {
            workspace_free(&ws[k]);
            ts_lanes_ws_free(&lws[k]);
        }
        free(ws);
        free(lws);
        return rc;
    }
    volatile sig_atomic_t *stop = o ? o->stop : NULL;
    long done = 0;
    int interrupted = 0;
    /* Each replica writes only its own result slots; the schedule decides
     * who computes a replica, never what it computes. */
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
#endif
    for (long job = 0; job < n_jobs; job++) {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        if (stop && *stop) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            interrupted = 1;
            continue;
        }
        long r0 = first_single + (job - n_groups), n_rep = 1;
        unsigned redo = 1; /* a single replica, run the ordinary way */
        int rrc = TS_OK;
        if (job < n_groups) {
            r0 = job * TS_LANES;
            n_rep = R - r0 < TS_LANES ? R - r0 : TS_LANES;
            rrc = ts_lanes_run_group(x, pt, r0, &lws[tid], res, stop, &redo);
        }
        for (int l = 0; l < n_rep && rrc != TS_EINTR; l++)
            if (redo >> l & 1u)
                rrc = run_replica(x, pt, r0 + l, &ws[tid], res, stop);
        if (rrc == TS_EINTR) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            interrupted = 1;
        }
#ifdef _OPENMP
#pragma omp critical(ts_progress)
#endif
        {
            done += n_rep;
            if (o && o->progress)
                o->progress(o->progress_ctx, done);
        }
    }
    for (int k = 0; k < nt; k++) {
        workspace_free(&ws[k]);
        ts_lanes_ws_free(&lws[k]);
    }
    free(ws);
    free(lws);
    if (interrupted)
        return TS_ERROR(e, TS_EINTR, "interrupted");
    return TS_OK;
}

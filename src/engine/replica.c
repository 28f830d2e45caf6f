/* replica.c -- one replica of the repeated game, SPEC §1 (paper Sec. III;
 * Sec. VI for limited feedback), the ordinary way: any feedback mode,
 * strategy, population and mechanism (lanes.c runs eight at once where it
 * can, with the same bits).
 *
 * Per replica r and slot t (0-based here, the paper's t+1):
 *   Stage I    population draws true states p[m] and beliefs q[N][m];
 *              each worker's strategy turns q into reports r.
 *   Stage II   the mechanism aggregates the reports heard into labels A[m];
 *              platform loss L_t of eq. (5), or eq. (12) under a theta draw.
 *   Stage III  verification gives pv = p, each entry flipped with
 *              probability epsilon (Prop. 3); the mechanism reweighs on pv.
 * Who is heard, Stage II, the loss and Stage III are the one slot step,
 * ts_slot_step (game/slot.h).  Here: the draws every cell shares, the
 * strategies, the comparator, and the bookkeeping -- trajectories,
 * utilities (eq. 4), counts of who was heard, the drawn loss.
 * Regret, eq. (5): R(T) = sum_t L_t - min_i sum_t (1/m) sum_j (q_ij - p_j)^2,
 * the comparator on true beliefs and true p, never on pv (SPEC §1).
 *
 * Symbols: N workers, m prompts this slot, T slots, p true states, pv
 * verified states, q beliefs, r reports, A labels, w weights, theta draw
 * probabilities. */
#include "engine/replica.h"
#include "game/slot.h"
#include "base/tsmath.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void ts_replica_ws_free(ts_replica_ws *w)
{
    if (w->x)
        for (int k = 0; k < w->x->n_mech; k++)
            for (int s = 0; s < w->x->n_strat; s++)
                if (w->swork[k][s] && w->x->strat[s]->work_free)
                    w->x->strat[s]->work_free(w->swork[k][s]);
    free(w->block);
    memset(w, 0, sizeof *w);
}

/* The widest mechanism state and strategy state, each a whole number of
 * cache lines. */
static void state_strides(ts_replica_ws *w, const ts_experiment *x,
                          const ts_point *pt)
{
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
}

int ts_replica_ws_alloc(ts_replica_ws *w, const ts_experiment *x,
                        const ts_point *pt, ts_err *e)
{
    const size_t N = (size_t)pt->shape.N, m = (size_t)pt->shape.m;
    const size_t n_cell = (size_t)x->n_mech * (size_t)x->n_prof;
    memset(w, 0, sizeof *w);
    state_strides(w, x, pt);
    const size_t dm = ts_ws_round(m * sizeof(double));
    const size_t dn = ts_ws_round(N * sizeof(double));
    const size_t dnm = ts_ws_round(N * m * sizeof(double));
    const size_t dc = ts_ws_round(n_cell * sizeof(double));
    const size_t dcn = ts_ws_round(n_cell * N * sizeof(double));
    /* The size table (llm.c's fill_in_parameter_sizes, in bytes). */
    size_t sizes[] = {
        dm, dm, dnm, dnm, dm,           /* p, pv, q, r, A          */
        dn, dn, dn, dn, dm,             /* logw, share, bl, blt, u */
        dc, ts_ws_round(n_cell * sizeof(int)), /* cum_loss, failed */
        n_cell * w->mst_stride, n_cell * N * w->sst_stride,
        ts_ws_round(x->pop->state_size(&pt->shape)),
        dn, dn, dnm, ts_ws_round(N * sizeof(int)), dn, /* theta .. hl */
        dcn, dc, dcn, dcn,              /* cnt, dl, uw, us         */
    };
    void **ptrs[] = {
        (void **)&w->p,  (void **)&w->pv,    (void **)&w->q,
        (void **)&w->r,  (void **)&w->A,     (void **)&w->logw,
        (void **)&w->share, (void **)&w->bl, (void **)&w->blt,
        (void **)&w->u, (void **)&w->cum_loss, (void **)&w->failed,
        (void **)&w->mst, (void **)&w->sst, (void **)&w->pop,
        (void **)&w->theta, (void **)&w->rl, (void **)&w->rh,
        (void **)&w->sel, (void **)&w->hl, (void **)&w->cnt,
        (void **)&w->dl, (void **)&w->uw, (void **)&w->us,
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
                ts_replica_ws_free(w);
                return rc;
            }
        }
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* One replica                                                         */

/* What the steps of one replica share. */
typedef struct replica {
    const ts_experiment *x;
    const ts_point *pt;
    long rep;
    ts_replica_ws *w;
    ts_point_result *res;
    int limited;
    int k_heard[TS_MAX_MECH];     /* workers each mechanism hears (ts_step_k) */
    ts_rng rs, rb, rv, rx;        /* states, beliefs, verification, m draws  */
    ts_rng rsel[TS_MAX_MECH];     /* who each mechanism hears (limited)       */
} replica;

static size_t cell_idx(const replica *z, int c)
{
    return (size_t)c * (size_t)z->res->R + (size_t)z->rep;
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

static void fail_all(replica *z, int code, const char *msg)
{
    const int n_cell = z->x->n_mech * z->x->n_prof;
    for (int c = 0; c < n_cell; c++) {
        ts_cell_fail(z->res, cell_idx(z, c), code, msg);
        z->w->failed[c] = 1;
    }
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

/* Every cell's result slot and sums start empty. */
static void reset_cells(replica *z)
{
    ts_replica_ws *w = z->w;
    const int N = z->pt->shape.N, n_cell = z->x->n_mech * z->x->n_prof;
    for (int c = 0; c < n_cell; c++) {
        size_t idx = cell_idx(z, c);
        z->res->status[idx] = TS_OK;
        z->res->errmsg[idx][0] = '\0';
        w->failed[c] = 0;
        w->cum_loss[c] = 0;
        w->dl[c] = 0;
        for (int i = 0; i < N; i++) {
            w->cnt[(size_t)c * N + (size_t)i] = 0;
            w->uw[(size_t)c * N + (size_t)i] = 0;
            w->us[(size_t)c * N + (size_t)i] = 0;
        }
    }
}

/* Each cell's mechanism and its workers' strategies start (w_i = 1, SPEC
 * §2); a cell that cannot start is failed, the others play on. */
static void init_cells(replica *z)
{
    const ts_experiment *x = z->x;
    const ts_shape *g = &z->pt->shape;
    ts_replica_ws *w = z->w;
    const int N = g->N, n_prof = x->n_prof, n_cell = x->n_mech * n_prof;
    ts_err err;
    for (int c = 0; c < n_cell; c++) {
        int k = c / n_prof, pf = c % n_prof;
        ts_err_clear(&err);
        int rc = x->mech[k]->init(w->mst + (size_t)c * w->mst_stride, g,
                                  &z->pt->mech_par[k], &err);
        for (int i = 0; !rc && i < N; i++) {
            int si = worker_strategy(x, pf, i);
            if (x->strat[si]->init)
                rc = x->strat[si]->init(
                    w->sst + ((size_t)c * N + (size_t)i) * w->sst_stride, g,
                    &z->pt->strat_par[si], i, &err);
        }
        if (!rc && (z->k_heard[k] < 1 || z->k_heard[k] > N))
            rc = TS_ERROR(&err, TS_EINVAL, "%s hears %d of %d workers",
                          x->mech[k]->name, z->k_heard[k], N);
        if (rc) {
            ts_cell_fail(z->res, cell_idx(z, c), rc, err.msg);
            w->failed[c] = 1;
        }
    }
}

static void init_streams(replica *z)
{
    const ts_experiment *x = z->x;
    const uint32_t pid = z->pt->env_id, rep = (uint32_t)z->rep;
    ts_rng_init(&z->rs, x->seed, pid, rep, TS_STREAM_STATE);
    ts_rng_init(&z->rb, x->seed, pid, rep, TS_STREAM_BELIEF);
    ts_rng_init(&z->rv, x->seed, pid, rep, TS_STREAM_VERIFY);
    ts_rng_init(&z->rx, x->seed, pid, rep, TS_STREAM_AUX);
    /* A mechanism's draws depend on its name, not on which other mechanisms
     * run beside it; its strategies (cells) share them. */
    for (int k = 0; z->limited && k < x->n_mech; k++)
        ts_rng_init(&z->rsel[k], x->seed, ts_mech_stream_id(pid, x->mech[k]->name),
                    rep, TS_STREAM_SELECT);
}

/* Set-up: the population, every cell, the comparator's sums, the streams.
 * Nonzero (every cell failed) when the population cannot start. */
static int begin_replica(replica *z)
{
    const ts_experiment *x = z->x;
    const ts_shape *g = &z->pt->shape;
    ts_err err;
    ts_err_clear(&err);
    int rc = x->pop->init(z->w->pop, g, &z->pt->pop_par, &err);
    reset_cells(z);
    if (rc) {
        fail_all(z, rc, err.msg);
        return rc;
    }
    for (int k = 0; k < x->n_mech; k++)
        z->k_heard[k] = ts_step_k(x->mech[k], g, &z->pt->mech_par[k]);
    init_cells(z);
    for (int i = 0; i < g->N; i++)
        z->w->bl[i] = 0;
    init_streams(z);
    return TS_OK;
}

/* Stage I's draws of slot t, which every cell plays on (common random
 * numbers): m, p, q, pv and the comparator's row losses blt.  Nonzero
 * (every cell failed) when the replica cannot go on. */
static int draw_slot(replica *z, long t, int *m_out)
{
    const ts_experiment *x = z->x;
    const ts_point *pt = z->pt;
    ts_replica_ws *w = z->w;
    const ts_shape *g = &pt->shape;
    ts_rng_seek(&z->rs, (uint64_t)t);
    ts_rng_seek(&z->rb, (uint64_t)t);
    ts_rng_seek(&z->rv, (uint64_t)t);
    ts_rng_seek(&z->rx, (uint64_t)t);
    int m = g->m;
    if (pt->m_min < g->m)
        m = pt->m_min + (int)ts_rng_below(&z->rx, (uint32_t)(g->m - pt->m_min + 1));
    *m_out = m;

    int rc = x->pop->draw(w->pop, t, m, &z->rs, &z->rb, w->p, w->q);
    if (rc) {
        fail_all(z, rc, "the population failed to draw a slot");
        return rc;
    }
    if (z->rs.overflow || z->rb.overflow) {
        /* More than 2^26 words from one stream in one slot would repeat
         * draws (rng.h): refuse rather than simulate with them. */
        fail_all(z, TS_EINVAL,
                 "a slot needs more random numbers than one stream holds "
                 "(2^26 per slot): reduce N * m");
        return TS_EINVAL;
    }
    /* Prop. 3: each verified state is flipped with probability epsilon,
     * independently.  Points differing only in epsilon share these
     * uniforms, so their flips are coupled. */
    if (pt->epsilon > 0) {
        ts_rng_fill_u01(&z->rv, w->u, (size_t)m);
        for (int j = 0; j < m; j++)
            w->pv[j] = w->u[j] < pt->epsilon ? 1.0 - w->p[j] : w->p[j];
    } else {
        memcpy(w->pv, w->p, (size_t)m * sizeof *w->pv);
    }
    /* The comparator of eqs. (5) and (12): true beliefs against true p.
     * A belief outside [0,1] is a population's bug: stop. */
    int bad = 0;
    ts_sq_loss_rows(w->q, g->N, m, w->p, w->blt, &bad);
    if (bad) {
        fail_all(z, TS_EINVAL, "the population drew a belief outside [0,1]");
        return TS_EINVAL;
    }
    return TS_OK;
}

/* What cell c records before slot t: theta (limited), the weights and
 * shares its strategies and records need, the utilities of eq. (4), and
 * trajectory row t (before slot t; R(0) = 0). */
static void before_slot(replica *z, long t, int c, const void *mst)
{
    const ts_experiment *x = z->x;
    ts_replica_ws *w = z->w;
    const ts_point_result *res = z->res;
    const int N = z->pt->shape.N, k = c / x->n_prof;
    const ts_mechanism_type *mt = x->mech[k];
    if (z->limited)
        ts_step_theta(mt, mst, N, z->k_heard[k], w->theta);
    if (res->traj || !x->prof_identity[c % x->n_prof] || x->utility) {
        mt->log_weights(mst, w->logw);
        ts_shares_from_log(N, w->logw, w->share);
    }
    if (x->utility) /* eq. (4): u_i = sum_{t=1..T} w_i^t */
        for (int i = 0; i < N; i++) {
            w->uw[(size_t)c * N + (size_t)i] += ts_exp(w->logw[i]);
            w->us[(size_t)c * N + (size_t)i] += w->share[i];
        }
    if (res->traj)
        record_traj(res, cell_idx(z, c), t, w->logw, w->share,
                    z->limited ? w->theta : NULL,
                    w->cum_loss[c] - min_of(w->bl, N));
}

/* Stage I of cell c: every worker's strategy turns its beliefs into
 * reports w->r, and their losses against true p into w->rl (eq. 12). */
static int reports(replica *z, long t, int m, int c, void *mst, ts_err *err)
{
    const ts_experiment *x = z->x;
    const ts_point *pt = z->pt;
    ts_replica_ws *w = z->w;
    const int N = pt->shape.N, k = c / x->n_prof, pf = c % x->n_prof;
    const ts_mechanism_type *mt = x->mech[k];
    int rc = TS_OK;
    for (int i = 0; i < N && !rc; i++) {
        const int si = worker_strategy(x, pf, i);
        const ts_strategy_type *stt = x->strat[si];
        ts_strategy_ctx ctx = {
            .mech = mt, .mech_state = mst,
            .mech_params = &pt->mech_par[k], .shape = &pt->shape, .t = t,
            .i = i, .share = w->share[i],
            .theta = z->limited ? w->theta[i] : 1.0,
            .epsilon = pt->epsilon, .work = w->swork[k][si],
        };
        /* Worker i's own stream for this mechanism and strategy,
         * positioned at slot t (the slot has a counter word of its own, so
         * no two slots share). */
        ts_rng sr;
        const uint32_t sid =
            ts_strategy_stream_id(pt->env_id, mt->name, stt->name, i);
        ts_rng_init(&sr, x->seed, sid, (uint32_t)z->rep, TS_STREAM_STRATEGY);
        ts_rng_seek(&sr, (uint64_t)t);
        ts_err_clear(err);
        rc = stt->report(w->sst + ((size_t)c * N + (size_t)i) * w->sst_stride,
                         &pt->strat_par[si], &ctx, m, w->q + (size_t)i * m,
                         w->r + (size_t)i * m, &sr, err);
    }
    /* A strategy's reports must be probabilities: one outside [0,1] is
     * refused here, once, not inside every mechanism. */
    int badr = 0;
    if (!rc) {
        ts_sq_loss_rows(w->r, N, m, w->p, w->rl, &badr);
        if (badr)
            rc = TS_ERROR(err, TS_EINVAL,
                          "a strategy reported outside [0,1] in slot %ld", t);
    }
    return rc;
}

/* Slot t of cell c: reports, then the one slot step (who is heard, Stage
 * II, L_t, Stage III), then its sums.  A failure fails the cell alone;
 * TS_ENOCONV is noted and the cell plays on. */
static void play_cell(replica *z, long t, int m, int c)
{
    const ts_experiment *x = z->x;
    ts_replica_ws *w = z->w;
    const int N = z->pt->shape.N, k = c / x->n_prof;
    const int identity = x->prof_identity[c % x->n_prof];
    const ts_mechanism_type *mt = x->mech[k];
    void *mst = w->mst + (size_t)c * w->mst_stride;
    const size_t idx = cell_idx(z, c);
    ts_err err;

    before_slot(z, t, c, mst);
    /* Truthful workers report q itself. */
    int rc = identity ? TS_OK : reports(z, t, m, c, mst, &err);
    if (rc) {
        ts_cell_fail(z->res, idx, rc, err.msg);
        w->failed[c] = 1;
        return;
    }
    ts_step s = {
        .t = t, .N = N, .m = m, .r = identity ? w->q : w->r,
        .p = w->p, .pv = w->pv,
        /* Truthful: the reports' losses are the comparator's. */
        .rl = identity ? w->blt : w->rl,
        /* Truthful reports verified against the true states: the update's
         * losses are the comparator's, computed once. */
        .loss = identity && !z->limited && !(z->pt->epsilon > 0) ? w->blt : NULL,
        .theta = z->limited ? w->theta : NULL, .k = z->k_heard[k],
        .draw = z->limited ? &z->rsel[k] : NULL, .given = NULL,
        .rh = w->rh, .sel = w->sel, .hl = w->hl, .A = w->A,
    };
    rc = ts_slot_step(mt, mst, &s, &err);
    if (rc && rc != TS_ENOCONV) {
        ts_cell_fail(z->res, idx, rc, err.msg);
        w->failed[c] = 1;
        return;
    }
    if (rc == TS_ENOCONV)
        ts_cell_fail(z->res, idx, rc, err.msg); /* noted; the labels are usable */
    w->cum_loss[c] += s.L;
    if (z->limited) {
        w->dl[c] += s.drawn;
        for (int h = 0; h < s.n_heard; h++)
            w->cnt[(size_t)c * N + (size_t)s.heard[h]] += 1;
    }
}

/* The end of the replica: each cell's results (ts_engine_store_cell) and
 * what only this path records. */
static void end_replica(replica *z)
{
    const ts_experiment *x = z->x;
    ts_replica_ws *w = z->w;
    ts_point_result *res = z->res;
    const int N = z->pt->shape.N, n_cell = x->n_mech * x->n_prof;
    const long T = z->pt->shape.T;
    const double best = min_of(w->bl, N);
    for (int c = 0; c < n_cell; c++) {
        const int k = c / x->n_prof;
        const ts_mechanism_type *mt = x->mech[k];
        void *mst = w->mst + (size_t)c * w->mst_stride;
        const size_t idx = cell_idx(z, c);
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
        if (z->limited) {
            for (int i = 0; i < N; i++)
                res->sel_frac[idx * (size_t)N + (size_t)i] =
                    w->cnt[(size_t)c * N + (size_t)i] / (double)T;
            res->drawn_loss[idx] = w->dl[c] / (double)T;
            ts_step_theta(mt, mst, N, z->k_heard[k], w->theta);
        }
        if (res->traj)
            record_traj(res, idx, T, w->logw, w->share,
                        z->limited ? w->theta : NULL, w->cum_loss[c] - best);
    }
}

int ts_replica_run(const ts_experiment *x, const ts_point *pt, long rep,
                   ts_replica_ws *w, ts_point_result *res,
                   volatile sig_atomic_t *stop)
{
    replica z = {.x = x, .pt = pt, .rep = rep, .w = w, .res = res,
                 .limited = x->feedback == TS_LIMITED};
    const int N = pt->shape.N, n_cell = x->n_mech * x->n_prof;
    int rc = begin_replica(&z);
    if (rc)
        return rc;
    for (long t = 0; t < pt->shape.T; t++) {
        if (stop && *stop)
            return TS_EINTR;
        int m;
        rc = draw_slot(&z, t, &m);
        if (rc)
            return rc;
        for (int c = 0; c < n_cell; c++)
            if (!w->failed[c])
                play_cell(&z, t, m, c);
        for (int i = 0; i < N; i++)
            w->bl[i] += w->blt[i];
    }
    end_replica(&z);
    return TS_OK;
}

/* engine.h -- runs the repeated game of SPEC §1 for one grid point.
 *
 * All mechanisms and strategies of the experiment play on the same draws
 * (common random numbers): per replica and slot the population draws p and
 * q once, verification flips p into pv once, and every (mechanism,
 * strategy) cell aggregates and reweighs on them.  Replicas run in parallel
 * with OpenMP; each writes only its own slots of ts_point_result, so the
 * thread count never changes a bit.  Per-thread workspaces are allocated
 * before the parallel region; slot loops never allocate.  Where the
 * experiment allows (full feedback, truthful workers, a population and
 * mechanisms with lanes forms; lanes.c), eight replicas run at once,
 * one per SIMD lane, with the same bits as one at a time.
 *
 * Cells are indexed c = k * n_prof + pf (mechanism k, strategy profile pf).
 *
 * Limited feedback (Sec. VI): each slot a cell hears one worker drawn from
 * the mechanism's theta (Def. 5, exp3) or a uniform random k-subset (the
 * subset baselines), from its own stream keyed by the mechanism's name;
 * regret follows eq. (12). */
#ifndef TS_ENGINE_H
#define TS_ENGINE_H

#include <signal.h>

#include "experiment/experiment.h"

typedef struct ts_run_opts {
    int threads;                 /* 0: OpenMP's default                    */
    volatile sig_atomic_t *stop; /* set by main's signal handler, or NULL  */
    /* Called with the number of replicas finished so far, from one thread
     * at a time; may be NULL. */
    void (*progress)(void *ctx, long done);
    void *progress_ctx;
    /* 1: one replica at a time, never the replica lanes of
     * lanes.c (the results are the same bits either way; for
     * checks and benchmarks). */
    int generic;
} ts_run_opts;

typedef struct ts_point_result {
    int n_cell;
    long R;            /* replicas                                          */
    int N;
    long T;
    int traj;          /* trajectories recorded                             */
    int n_diag;        /* largest n_diag of the experiment's mechanisms     */
    double *regret;    /* [cell][R]  R(T), eq. (5)                          */
    double *loss;      /* [cell][R]  sum_t L_t                              */
    double *best;      /* [cell][R]  min_i sum_t l_i on beliefs, true p     */
    double *share;     /* [cell][R][N]  w^{T+1} / sum w                     */
    int *status;       /* [cell][R]  first non-OK code, TS_OK otherwise     */
    double *diag;      /* [cell][R][n_diag]                                 */
    double *share_traj;  /* [cell][R][T+1][N]  (traj only)                  */
    double *weight_traj; /* [cell][R][T+1][N]  (traj only)                  */
    double *regret_traj; /* [cell][R][T+1]     (traj only)                  */
    char (*errmsg)[256]; /* [cell][R]  message of the first failure         */
    /* Limited feedback only (Sec. VI), NULL otherwise: */
    int limited;
    double *sel_frac;    /* [cell][R][N]  fraction of slots worker i was heard */
    double *drawn_loss;  /* [cell][R]     sum_t mean_{i heard} l^_i / T: the
                            realised loss of the drawn worker(s)             */
    double *theta_traj;  /* [cell][R][T+1][N]  draw probabilities (traj only) */
    /* With `utility: true`: each worker's horizon utility, eq. (4), under
     * the two models (SPEC §4): sum_{t=1..T} w_i^t (weights before each
     * slot, w^1 = 1) and sum_{t=1..T} w_i^t / sum_k w_k^t.  NULL otherwise. */
    double *util_weight; /* [cell][R][N] */
    double *util_share;  /* [cell][R][N] */
} ts_point_result;

int ts_point_result_alloc(ts_point_result *res, const ts_experiment *x,
                          const ts_point *pt, ts_err *e);
void ts_point_result_free(ts_point_result *res);

/* Run every replica of the point.  Returns TS_OK when the loop ran (failed
 * replicas are recorded in res->status), TS_EINTR when stopped, or an
 * error that prevented running at all. */
int ts_engine_run_point(const ts_experiment *x, const ts_point *pt,
                        const ts_run_opts *o, ts_point_result *res, ts_err *e);

/* Run replica r alone (single thread), into the same result slots: a
 * replica can be rerun by index and compared bit for bit. */
int ts_engine_run_replica(const ts_experiment *x, const ts_point *pt, long r,
                          ts_point_result *res, ts_err *e);


#endif

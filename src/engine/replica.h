/* replica.h -- one replica of a point, the ordinary way (replica.c): every
 * feedback mode, strategy, population and mechanism.  Private to
 * src/engine (not installed). */
#ifndef TS_ENGINE_REPLICA_H
#define TS_ENGINE_REPLICA_H

#include "engine/cell.h"

/* Per-thread workspace: one block, carved into named arrays. */
typedef struct ts_replica_ws {
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
    double *hl;       /* [N]     the heard rows' losses (ts_step.hl)       */
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
} ts_replica_ws;

int ts_replica_ws_alloc(ts_replica_ws *w, const ts_experiment *x,
                        const ts_point *pt, ts_err *e);
/* Fine on a zeroed or freed workspace. */
void ts_replica_ws_free(ts_replica_ws *w);

/* Replica rep of the point into its result slots.  TS_EINTR when stopped;
 * otherwise every failure is recorded in res (status, errmsg) and the
 * return value only says whether the replica ran to its end (TS_OK) or
 * stopped early for all cells (that failure's code). */
int ts_replica_run(const ts_experiment *x, const ts_point *pt, long rep,
                   ts_replica_ws *w, ts_point_result *res,
                   volatile sig_atomic_t *stop);

#endif

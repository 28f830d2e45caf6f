/* engine_impl.h -- what engine.c and engine_lanes.c share; not installed.
 *
 * engine_lanes.c runs TS_LANES replicas of a point at once where the
 * experiment allows it (ts_lanes_eligible); engine.c decides, hands out
 * lane groups to threads, and reruns the ordinary way any replica a group
 * could not finish. */
#ifndef TS_ENGINE_IMPL_H
#define TS_ENGINE_IMPL_H

#include "engine/engine.h"

/* Workspaces are one block carved into arrays, each starting on a cache
 * line (llm.c's pattern: a size table, then pointers into one block). */
#define TS_WS_ALIGN 64
static inline size_t ts_ws_round(size_t n)
{
    return (n + TS_WS_ALIGN - 1) / TS_WS_ALIGN * TS_WS_ALIGN;
}
/* One aligned block of sizes[0] + ... + sizes[n-1] bytes (each a multiple
 * of TS_WS_ALIGN), *ptrs[k] pointing at the k-th piece; NULL (and the
 * pointers untouched) when out of memory.  Free the block with free(). */
void *ts_ws_carve(const size_t *sizes, void **const *ptrs, size_t n);

/* Per-thread workspace of the lanes path: one block, lane-major arrays. */
typedef struct ts_lanes_ws {
    void *block;
    double *p, *pv, *u;   /* [m][L] states, verified states, flip uniforms */
    double *q;            /* [rows][m][L] a chunk of beliefs               */
    double *blt, *lv;     /* [N][L] row losses vs p (eq. 5) and vs pv      */
    double *bl;           /* [N][L] the comparator's sums                  */
    double *A;            /* [m][L] labels                                 */
    double *cum;          /* [cell][L] sum_t L_t                           */
    unsigned char *mst;   /* [cell][L] mechanism states, mst_stride each   */
    unsigned char *work;  /* [cell] mechanisms' lanes work, work_stride    */
    unsigned char *pop;   /* population state                              */
    double *logw, *share; /* [N] scratch for storing a result              */
    size_t mst_stride, work_stride;
    int rows;             /* beliefs drawn per chunk, in rows              */
} ts_lanes_ws;

/* 1 if every replica of the point can run in lanes. */
int ts_lanes_eligible(const ts_experiment *x, const ts_point *pt);
int ts_lanes_ws_alloc(ts_lanes_ws *w, const ts_experiment *x,
                      const ts_point *pt, ts_err *e);
void ts_lanes_ws_free(ts_lanes_ws *w);
/* Replicas rep0 .. rep0+TS_LANES-1 (those below res->R are stored).
 * *redo gets the lanes whose replicas must be rerun the ordinary way
 * (their results are not written).  TS_EINTR when stopped. */
int ts_lanes_run_group(const ts_experiment *x, const ts_point *pt, long rep0,
                       ts_lanes_ws *w, ts_point_result *res,
                       volatile sig_atomic_t *stop, unsigned *redo);

/* The end of a replica for one cell, shared by both paths: final weights
 * and shares, regret = cum_loss - best, loss, best, diagnostics, into
 * result slot idx; logw and share ([N]) are left holding the cell's final
 * log weights and shares.  Returns TS_ENONFINITE (recorded in the slot)
 * if a weight is NaN or +inf, TS_OK otherwise. */
int ts_engine_store_cell(ts_point_result *res, size_t idx,
                         const ts_mechanism_type *mt, const void *mst,
                         double cum_loss, double best, double *logw,
                         double *share);

#endif

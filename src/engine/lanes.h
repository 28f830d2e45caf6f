/* lanes.h -- TS_LANES replicas of a point at once, one per SIMD lane
 * (lanes.c), where the experiment allows it (ts_lanes_eligible); any
 * replica a group cannot finish is rerun by replica.c.  Private to
 * src/engine (not installed). */
#ifndef TS_ENGINE_LANES_H
#define TS_ENGINE_LANES_H

#include "engine/cell.h"

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
/* Fine on a zeroed or freed workspace. */
void ts_lanes_ws_free(ts_lanes_ws *w);
/* Replicas rep0 .. rep0+TS_LANES-1 (those below res->R are stored).
 * *redo gets the lanes whose replicas must be rerun the ordinary way
 * (their results are not written).  TS_EINTR when stopped. */
int ts_lanes_run_group(const ts_experiment *x, const ts_point *pt, long rep0,
                       ts_lanes_ws *w, ts_point_result *res,
                       volatile sig_atomic_t *stop, unsigned *redo);

#endif

/* strategy.h -- how a worker turns his belief into a report (SPEC §4).
 *
 * A strategy sees the worker's beliefs for the slot and what a worker may
 * know: the mechanism and its parameters, its current state (his own weight,
 * theta_i), the slot, the verification noise, and whatever history his own
 * state keeps.  It returns his reports.  Strategies never print and never
 * allocate in report(): state that must be memcpy-able lives in the flat
 * state (state_size/init), scratch holding pointers in the per-thread work
 * (work_alloc/work_free). */
#ifndef TS_STRATEGY_H
#define TS_STRATEGY_H

#include "game/game.h"

typedef struct ts_strategy_ctx {
    const ts_mechanism_type *mech; /* the mechanism he plays against       */
    const void *mech_state;        /* its state before this slot (read-only) */
    const ts_params *mech_params;
    const ts_shape *shape;
    long t;          /* slot, 0-based                                        */
    int i;           /* this worker                                          */
    double share;    /* w_i / sum_k w_k before this slot                     */
    double theta;    /* his draw probability (limited feedback), else 1      */
    double epsilon;  /* verification flip rate (Prop. 3), known to workers   */
    /* Scratch from the strategy's work_alloc for this mechanism (one per
     * thread, reused slot after slot), or NULL when it has none. */
    void *work;
} ts_strategy_ctx;

typedef struct ts_strategy_type {
    TS_OWNER_MEMBERS; /* name, parameters, defaults, check (plugin.h) */
    /* 1 if r = q always: the engine then uses q as r without a call. */
    int identity;
    size_t (*state_size)(const ts_shape *g);               /* may be NULL */
    int (*init)(void *st, const ts_shape *g, const ts_params *p, int i,
                ts_err *e);                                /* may be NULL */
    /* Per-thread scratch that cannot live in the flat state (a best
     * response's GSL solvers and state clones): allocated for one
     * mechanism and shape before the parallel region (engine.c's
     * workspace_alloc), handed to report() in ctx->work, freed with
     * work_free.  Both NULL when report() needs no scratch. */
    int (*work_alloc)(void **work, const ts_mechanism_type *mt,
                      const ts_shape *g, const ts_params *p, ts_err *e);
    void (*work_free)(void *work);
    /* Reports r[m] of worker c->i from his beliefs q[m]. */
    int (*report)(void *st, const ts_params *p, const ts_strategy_ctx *c,
                  int m, const double *q, double *r, ts_rng *rng, ts_err *e);
} ts_strategy_type;

#endif

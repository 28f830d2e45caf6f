/* strategy.h -- how a worker turns his belief into a report (SPEC §4).
 *
 * A strategy sees the worker's beliefs for the slot and what a worker may
 * know: the mechanism and its parameters, its current state (his own weight,
 * theta_i), the slot, the verification noise, and whatever history his own
 * state keeps.  It returns his reports.  Only `truthful` exists in the engine
 * issue; the strategic-workers issue adds the rest behind this interface.
 * Strategies never print and never allocate in report(). */
#ifndef TS_STRATEGY_H
#define TS_STRATEGY_H

#include "game.h"

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
} ts_strategy_ctx;

typedef struct ts_strategy_type {
    const char *name;
    const ts_param_spec *params;
    int n_params;
    void (*defaults)(const ts_shape *g, ts_params *p);     /* may be NULL */
    /* 1 if r = q always: the engine then uses q as r without a call. */
    int identity;
    size_t (*state_size)(const ts_shape *g);               /* may be NULL */
    int (*init)(void *st, const ts_shape *g, const ts_params *p, int i,
                ts_err *e);                                /* may be NULL */
    /* Reports r[m] of worker c->i from his beliefs q[m]. */
    int (*report)(void *st, const ts_params *p, const ts_strategy_ctx *c,
                  int m, const double *q, double *r, ts_rng *rng, ts_err *e);
} ts_strategy_type;

#endif

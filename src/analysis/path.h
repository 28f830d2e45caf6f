/* path.h -- one simulated path for the dynamics analyses (overtake.c,
 * drift.c): truthful workers, exact verification (pv = p), one mechanism
 * instance on one population instance, slot by slot through the one slot
 * step (game/slot.h).  The analyses differ only in what they watch between
 * slots; the draws are the engine's (SPEC §1): the population's streams
 * TS_STREAM_STATE and TS_STREAM_BELIEF under the analysis's point id, who
 * is heard from TS_STREAM_SELECT under the mechanism's id, each positioned
 * at the slot.  Strategies and verification noise are left out: the
 * engine has them.  Nothing here prints.
 *
 * Symbols: N workers, m prompts, p true states, q beliefs (= reports),
 * lt each worker's squared loss, theta draw probabilities (eq. 12). */
#ifndef TS_PATH_H
#define TS_PATH_H

#include <stdint.h>

#include "game/game.h"
#include "game/slot.h"

typedef struct ts_path {
    ts_mech *mech;
    ts_pop *pop;
    int N, m;
    ts_rng state, belief, draw;
    double *p;      /* [m] true states of the last slot                     */
    double *q;      /* [N][m] beliefs, reported as they are                 */
    double *lt;     /* [N] each row's squared loss against p (SPEC §1)     */
    double *theta;  /* [N] limited feedback: the chance each is heard       */
    double *A;      /* [m] labels                                           */
    double *rh, *hl; /* step scratch: [N][m] heard rows, [N] their losses   */
    int *sel;       /* [N] heard workers                                    */
    int k;          /* workers heard per slot (ts_step_k)                   */
    double L;       /* the platform's loss of the last slot (eq. 5/eq. 12)  */
} ts_path;

/* Scratch for mech on pop (both allocated by the caller, same N and m). */
int ts_path_alloc(ts_path *w, ts_mech *mech, ts_pop *pop, ts_err *e);
void ts_path_free(ts_path *w);

/* Replica rep of point pid: the mechanism back at its start (w_i = 1) and
 * the streams keyed as the engine keys them. */
int ts_path_start(ts_path *w, uint64_t seed, uint32_t pid, long rep,
                  ts_err *e);

/* Slot t: draw p and q, the rows' losses lt, then the slot step with
 * pv = p.  A capped aggregation (TS_ENOCONV) counts as done, as the
 * engine counts it. */
int ts_path_slot(ts_path *w, long t, ts_err *e);

/* E[u^2] for u ~ Uniform[lo, hi]: the expected squared loss of a worker
 * whose belief error has that band (the population's band hook). */
double ts_band_sq_loss(double lo, double hi);

#endif

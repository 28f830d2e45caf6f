/* slot.h -- one slot of the game for one mechanism: the step that the
 * engine, replay and the dynamics analyses share (SPEC §1; paper Sec. III,
 * and Sec. VI for limited feedback).
 *
 * Given every worker's reports r[N][m] for the slot, the step
 *   1. decides who is heard: everyone (full feedback); one worker drawn
 *      with the mechanism's theta (Def. 5, exp3; eq. 12); or a uniform
 *      random k-subset (the subset baselines) -- from the caller's draw
 *      stream positioned at slot t, or as the caller gives (replay's
 *      --selected);
 *   2. gathers the heard rows;
 *   3. Stage II: the mechanism's labels A[m];
 *   4. the platform's loss L_t: (1/m) sum_j (A_j - p_j)^2 (eq. 5), or
 *      under a theta draw the expected loss of the draw, sum_i theta_i
 *      l^_i with l^ the reports' losses against the true states (eq. 12);
 *   5. Stage III: the update on the verified states pv.
 * Strategies (Stage I), verification noise and the comparator's sums stay
 * with the caller: they differ between a simulation and a replay.
 *
 * Symbols: N workers, m prompts, r reports, p true states, pv verified
 * states, A labels, theta draw probabilities, k workers heard. */
#ifndef TS_SLOT_H
#define TS_SLOT_H

#include "game/game.h"

typedef struct ts_step {
    /* In. */
    long t;              /* slot, 0-based                                   */
    int N, m;            /* workers; prompts in this slot                   */
    const double *r;     /* [N][m] every worker's reports, r[i*m + j]       */
    const double *p;     /* [m] true states: the platform's loss            */
    const double *pv;    /* [m] verified states: the update                 */
    /* [N] each report row's squared loss against p, reports in [0,1]
     * (ts_sq_loss_rows), or NULL.  Needed under a theta draw (eq. 12). */
    const double *rl;
    /* Passed on as ts_slot.loss (full feedback only): the rows' losses
     * against pv when the caller has them, else NULL. */
    const double *loss;
    /* Limited feedback: theta[N], the chance each worker is heard before
     * this slot (ts_step_theta); k, the workers heard (ts_step_k); and
     * either draw, the stream of who is heard (seeked to slot t here), or
     * given[k], the heard workers in increasing order. */
    const double *theta;
    int k;
    ts_rng *draw;
    const int *given;
    /* Scratch sized for (N, m): rh[N*m] heard rows, sel[N] heard workers,
     * hl[N] their losses. */
    double *rh;
    int *sel;
    double *hl;
    /* Out. */
    double *A;           /* [m] labels (caller's array)                     */
    double L;            /* the platform's loss L_t                         */
    double drawn;        /* limited: mean realised loss of the heard        */
    int n_heard;         /* N, 1 or k                                       */
    const int *heard;    /* [n_heard] heard workers; NULL under full        */
} ts_step;

/* Workers a mechanism hears per slot: N under full feedback, the type's
 * n_heard under limited (1 for Def. 5 and exp3, k for a subset). */
int ts_step_k(const ts_mechanism_type *mt, const ts_shape *g,
              const ts_params *par);

/* Limited feedback: the chance each worker is heard this slot -- the
 * mechanism's theta, or k/N for a uniform k-subset. */
void ts_step_theta(const ts_mechanism_type *mt, const void *st, int N, int k,
                   double *theta);

/* One slot (steps 1-5 above) on the mechanism state st.  Returns TS_OK;
 * TS_ENOCONV when the labels came from a capped iteration (the slot is
 * complete and e holds the aggregation's message); TS_ENONFINITE when a
 * label or the loss is not finite (no update); or the error of aggregate
 * or update.  s->L and s->A are set whenever aggregation succeeded. */
int ts_slot_step(const ts_mechanism_type *mt, void *st, ts_step *s, ts_err *e);

#endif

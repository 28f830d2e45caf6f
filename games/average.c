/* average.c -- the ICASSP benchmark: unweighted mean, full feedback.
 *
 * SPEC §2: A_j = (1/n) sum_h r_hj over the n heard workers; no update, so
 * every weight stays w_i = 1 and the shares stay 1/N.  It has no memory of
 * who was right, which is why its regret does not vanish when a minority
 * is accurate.
 *
 * Legend: N workers, m prompts in the slot, n = n_heard rows of reports
 * r [n][m] (rows in ts_slot.sel order), A labels [m].
 *
 * Limited feedback (SPEC §2, second table): the subset baseline hears a
 * uniform random subset of k workers per slot (the engine draws it, since
 * theta is NULL, and passes it in ts_slot.sel, increasing); its label is
 * the mean of those k reports, by the same functions.  Parameter k
 * [min(10, N)], at most N.  Left out: nothing; pv is only checked, never
 * used. */
#include "games/games.h"
#include "games/mech_util.h"

static const char name[] = "average";

/* Pointer-free, as game.h asks; N is kept because log_weights gets no
 * shape. */
typedef struct average_state {
    int N, m;
} average_state;

static size_t state_size(const ts_shape *g)
{
    (void)g;
    return sizeof(average_state);
}

static int init(void *st, const ts_shape *g, const ts_params *p, ts_err *e)
{
    (void)p;
    int rc = mech_check_shape(g, name, e);
    if (rc)
        return rc;
    average_state *a = st;
    a->N = g->N;
    a->m = g->m;
    return TS_OK;
}

static int aggregate(void *st, const ts_slot *s, double *A, ts_err *e)
{
    const average_state *a = st;
    int rc = mech_check_slot(s, a->N, a->m, name, e);
    if (rc)
        return rc;
    mech_mean(s, NULL, A);
    return TS_OK;
}

MECH_UNWEIGHTED(ts_mech_average, average_state);

/* ------------------------------------------------------------------ */
/* Limited feedback: a uniform random subset of k workers.             */

MECH_SUBSET_LIMITED(ts_mech_average_limited);

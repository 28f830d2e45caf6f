/* bestresp_slot.c -- the bottom of the best-response search: one slot of
 * the mechanism on a memcpy clone of its state (game.h: states are flat),
 * with the deviating worker's candidate report, and his utility after it
 * (bestresp.h: E[w_i'] or E[w_i' / sum_k w_k']).  The exact sum and the
 * Monte Carlo mean (bestresp_exact.c, bestresp_mc.c) call it per outcome. */
#include "game/bestresp_impl.h"

#include <math.h>
#include <string.h>

/* Clone the state, run the slot with the heard rows sel[nh] (sel NULL:
 * everyone, in order), and read worker i's utility. */
int ts_br_run_slot(ts_br_ctx *c, const int *sel, int nh, double *u)
{
    const ts_br_problem *pb = c->pb;
    ts_br_work *w = c->w;
    const ts_mechanism_type *mt = pb->mt;
    const int N = pb->g.N, m = pb->m;
    memcpy(w->clone, pb->state, w->st_size);
    ts_slot s = {.t = pb->t, .N = N, .m = m, .r = w->R, .n_heard = N,
                 .sel = NULL};
    if (sel) {
        for (int h = 0; h < nh; h++)
            memcpy(w->rows + (size_t)h * m, w->R + (size_t)sel[h] * m,
                   (size_t)m * sizeof(double));
        s.r = w->rows;
        s.n_heard = nh;
        s.sel = sel;
    }
    int rc = mt->aggregate(w->clone, &s, w->A, c->e);
    if (rc == TS_ENOCONV)
        c->noconv = 1;
    else if (rc)
        return rc;
    rc = mt->update(w->clone, &s, w->pv, c->e);
    if (rc == TS_ENOCONV)
        c->noconv = 1;
    else if (rc)
        return rc;
    mt->log_weights(w->clone, w->logw);
    if (pb->utility == TS_BR_WEIGHT) {
        *u = exp(w->logw[pb->i]);
    } else {
        ts_shares_from_log(N, w->logw, w->share);
        *u = w->share[pb->i];
    }
    if (!isfinite(*u))
        return TS_ERROR(c->e, TS_ENONFINITE,
                        "best response: %s: worker %d's utility is %g after "
                        "the slot", mt->name, pb->i, *u);
    return TS_OK;
}


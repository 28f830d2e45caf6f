/* path.c -- one truthful path through the slot step (path.h). */
#include "analysis/path.h"

#include <stdlib.h>
#include <string.h>

#include "base/streams.h"

int ts_path_alloc(ts_path *w, ts_mech *mech, ts_pop *pop, ts_err *e)
{
    memset(w, 0, sizeof *w);
    const int N = mech->g.N, m = mech->g.m;
    const size_t nq = (size_t)N * (size_t)m;
    w->mech = mech;
    w->pop = pop;
    w->N = N;
    w->m = m;
    w->k = ts_step_k(mech->type, &mech->g, &mech->par);
    w->p = malloc((2 * nq + 2 * (size_t)m + 3 * (size_t)N) * sizeof *w->p);
    w->sel = malloc((size_t)N * sizeof *w->sel);
    if (!w->p || !w->sel) {
        ts_path_free(w);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    w->q = w->p + m;
    w->rh = w->q + nq;
    w->A = w->rh + nq;
    w->lt = w->A + m;
    w->theta = w->lt + N;
    w->hl = w->theta + N;
    return TS_OK;
}

void ts_path_free(ts_path *w)
{
    free(w->p);
    free(w->sel);
    memset(w, 0, sizeof *w);
}

int ts_path_start(ts_path *w, uint64_t seed, uint32_t pid, long rep,
                  ts_err *e)
{
    ts_rng_init(&w->state, seed, pid, (uint32_t)rep, TS_STREAM_STATE);
    ts_rng_init(&w->belief, seed, pid, (uint32_t)rep, TS_STREAM_BELIEF);
    ts_rng_init(&w->draw, seed, ts_mech_stream_id(pid, w->mech->type->name),
                (uint32_t)rep, TS_STREAM_SELECT);
    return ts_mech_init(w->mech, e);
}

int ts_path_slot(ts_path *w, long t, ts_err *e)
{
    const ts_mechanism_type *mt = w->mech->type;
    ts_rng_seek(&w->state, (uint64_t)t);
    ts_rng_seek(&w->belief, (uint64_t)t);
    int rc = w->pop->type->draw(w->pop->st, t, w->m, &w->state, &w->belief,
                                w->p, w->q);
    if (rc)
        return rc;
    ts_sq_loss_rows(w->q, w->N, w->m, w->p, w->lt, NULL);
    if (mt->feedback == TS_LIMITED)
        ts_step_theta(mt, w->mech->st, w->N, w->k, w->theta);
    /* Truthful reports, so eq. (12)'s l^ is the rows' own loss lt. */
    ts_step s = {.t = t, .N = w->N, .m = w->m, .r = w->q, .p = w->p,
                 .pv = w->p, .rl = w->lt, .loss = NULL, .theta = w->theta,
                 .k = w->k, .draw = &w->draw, .given = NULL, .rh = w->rh,
                 .sel = w->sel, .hl = w->hl, .A = w->A};
    rc = ts_slot_step(mt, w->mech->st, &s, e);
    w->L = s.L;
    return rc == TS_ENOCONV ? TS_OK : rc;
}

double ts_band_sq_loss(double lo, double hi)
{
    return (lo * lo + lo * hi + hi * hi) / 3.0;
}

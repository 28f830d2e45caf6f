/* lanes.c -- replica.c's full-feedback slot loop for TS_LANES
 * replicas at once, one per SIMD lane (issue 3's speed goal).
 *
 * Why: per worker-prompt-slot update the game does about a dozen flops
 * and draws one uniform.  One replica at a time, the loops over workers
 * and prompts are too short and too entangled with the scalar weight
 * arithmetic to keep vector units busy, and Philox pays its full latency;
 * eight replicas side by side turn every step into one 8-wide vector
 * operation on independent data, and their streams differ only in the
 * replica word, so one Philox call serves all eight (rng.h).
 *
 * What: exactly the arithmetic of replica.c's ts_replica_run, in the same
 * order per lane, for the case it covers -- full feedback, truthful
 * workers, a fixed m, no trajectories or utilities, a population and
 * mechanisms that offer lanes forms (game.h).  Anything else runs the
 * ordinary way.  The slot, per lane group:
 *   Stage I    p (states_lanes), pv (flips as replica.c), then the beliefs
 *              a few rows at a time (kept in L1): the comparator's row
 *              losses of eq. (5) and, when epsilon > 0, the losses
 *              against pv; every mechanism takes the rows (Stage II sums).
 *   Stage II   labels; the platform loss L_t.
 *   Stage III  update on the losses (ts_slot.loss's values).
 * A lane that meets anything but the happy path -- a belief outside
 * [0,1], a non-finite label or weight factor, an init that fails -- is
 * marked, and its replica is rerun by replica.c's ts_replica_run, which finds
 * the same problem and records it the ordinary way (the lanes path never
 * writes a failed replica's results).  tests/engine/test_engine.c compares
 * every result of both paths bit for bit. */
#include "engine/lanes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define L TS_LANES

/* Words of one stream in one slot before the overflow flag of rng.h. */
#define SLOT_WORDS (((size_t)1 << 26) - 4)

int ts_lanes_eligible(const ts_experiment *x, const ts_point *pt)
{
    const size_t N = (size_t)pt->shape.N, m = (size_t)pt->shape.m;
    if (x->feedback != TS_FULL || x->trajectory || x->utility ||
        pt->m_min < pt->shape.m)
        return 0;
    if (!x->pop->states_lanes || !x->pop->beliefs_lanes)
        return 0;
    for (int k = 0; k < x->n_mech; k++)
        if (!x->mech[k]->lanes)
            return 0;
    for (int pf = 0; pf < x->n_prof; pf++)
        if (!x->prof_identity[pf])
            return 0;
    return N * m <= SLOT_WORDS;
}

void ts_lanes_ws_free(ts_lanes_ws *w)
{
    free(w->block);
    memset(w, 0, sizeof *w);
}

int ts_lanes_ws_alloc(ts_lanes_ws *w, const ts_experiment *x,
                      const ts_point *pt, ts_err *e)
{
    const size_t N = (size_t)pt->shape.N, m = (size_t)pt->shape.m;
    const size_t n_cell = (size_t)x->n_mech * (size_t)x->n_prof;
    memset(w, 0, sizeof *w);
    /* Rows per chunk: about 256 beliefs per lane (16 KB), so a chunk
     * stays in L1 while the comparator and every mechanism read it. */
    w->rows = (int)(m >= 256 ? 1 : 256 / m);
    if ((size_t)w->rows > N)
        w->rows = (int)N;
    for (int k = 0; k < x->n_mech; k++) {
        size_t s = ts_ws_round(x->mech[k]->state_size(&pt->shape));
        size_t z = ts_ws_round(x->mech[k]->lanes->work_size(&pt->shape));
        if (s > w->mst_stride)
            w->mst_stride = s;
        if (z > w->work_stride)
            w->work_stride = z;
    }
    const size_t dm = ts_ws_round(m * L * sizeof(double));
    const size_t dn = ts_ws_round(N * L * sizeof(double));
    size_t sizes[] = {
        dm, dm, dm,                                          /* p, pv, u   */
        ts_ws_round((size_t)w->rows * m * L * sizeof(double)), /* q        */
        dn, dn, dn,                                          /* blt, lv, bl */
        dm,                                                  /* A          */
        ts_ws_round(n_cell * L * sizeof(double)),            /* cum        */
        n_cell * L * w->mst_stride,                          /* mst        */
        n_cell * w->work_stride,                             /* work       */
        ts_ws_round(x->pop->state_size(&pt->shape)),         /* pop        */
        ts_ws_round(N * sizeof(double)), ts_ws_round(N * sizeof(double)),
    };
    void **ptrs[] = {
        (void **)&w->p,    (void **)&w->pv,  (void **)&w->u,
        (void **)&w->q,    (void **)&w->blt, (void **)&w->lv,
        (void **)&w->bl,   (void **)&w->A,   (void **)&w->cum,
        (void **)&w->mst,  (void **)&w->work, (void **)&w->pop,
        (void **)&w->logw, (void **)&w->share,
    };
    _Static_assert(sizeof sizes / sizeof sizes[0] == sizeof ptrs / sizeof ptrs[0],
                   "one size per array");
    w->block = ts_ws_carve(sizes, ptrs, sizeof ptrs / sizeof ptrs[0]);
    if (!w->block)
        return TS_ERROR(e, TS_ENOMEM, "out of memory for a replica-lanes "
                        "workspace");
    return TS_OK;
}

/* Row losses (1/m) sum_j (q_ij - x_j)^2 of rows i0..i1-1 into out[i][l],
 * summed in prompt order as ts_sq_loss_rows; returns the lanes with an
 * entry of q outside [0,1] or NaN, by ts_unit_flag's test (game.h) in
 * vector form.  (Vector compares would be shorter to write, but GCC 12
 * turns their AVX-512 masks back into vectors through scalar code: five
 * times slower.) */
#define ONE_BITS 0x3FF0000000000000ull
TS_LANES_CLONES static unsigned row_losses(const double *q, int i0, int i1,
                                           int m, const double *x,
                                           double *out)
{
    const ts_lv *xv = (const ts_lv *)x;
    const unsigned long long shift = 0x7FFFFFFFFFFFFFFFull - ONE_BITS;
    ts_lvu flag = {0};
    for (int i = i0; i < i1; i++) {
        const ts_lv *qi = (const ts_lv *)(q + (size_t)(i - i0) * (size_t)m * L);
        ts_lv s = {0};
        for (int j = 0; j < m; j++) {
            const ts_lv d = qi[j] - xv[j];
            const ts_lvu b = (ts_lvu)(qi[j] + 0.0);
            flag |= b | (b + shift);
            s += d * d;
        }
        ((ts_lv *)out)[i] = s / (double)m;
    }
    unsigned mask = 0;
    for (int l = 0; l < L; l++)
        mask |= (unsigned)(flag[l] >> 63) << l;
    return mask;
}

/* Platform loss of eq. (5), L_t = (1/m) sum_j (A_j - p_j)^2, per lane. */
TS_LANES_CLONES static void platform_loss(const double *A, const double *p,
                                          int m, ts_lv *Lt)
{
    const ts_lv *a = (const ts_lv *)A, *pv = (const ts_lv *)p;
    ts_lv s = {0};
    for (int j = 0; j < m; j++) {
        const ts_lv d = a[j] - pv[j];
        s += d * d;
    }
    *Lt = s / (double)m;
}

/* The end of the replicas of the lanes in mask: each cell's results,
 * through ts_engine_store_cell as replica.c's. */
static void store_group(const ts_experiment *x, ts_point_result *res,
                        long rep0, ts_lanes_ws *w,
                        void *st[][L], unsigned mask)
{
    const int N = res->N, n_prof = x->n_prof;
    const int n_cell = x->n_mech * x->n_prof;
    for (int l = 0; l < L; l++) {
        if (!(mask >> l & 1u))
            continue;
        double best = w->bl[l];
        for (int i = 1; i < N; i++)
            if (w->bl[(size_t)i * L + l] < best)
                best = w->bl[(size_t)i * L + l];
        for (int c = 0; c < n_cell; c++) {
            const size_t idx = (size_t)c * (size_t)res->R + (size_t)(rep0 + l);
            res->status[idx] = TS_OK;
            res->errmsg[idx][0] = '\0';
            ts_engine_store_cell(res, idx, x->mech[c / n_prof], st[c][l],
                                 w->cum[(size_t)c * L + (size_t)l], best,
                                 w->logw, w->share);
        }
    }
}

int ts_lanes_run_group(const ts_experiment *x, const ts_point *pt, long rep0,
                       ts_lanes_ws *w, ts_point_result *res,
                       volatile sig_atomic_t *stop, unsigned *redo)
{
    const ts_shape *g = &pt->shape;
    const int N = g->N, m = g->m, n_prof = x->n_prof;
    const int n_cell = x->n_mech * x->n_prof;
    const long T = g->T;
    const size_t mL = (size_t)m * L;
    ts_err err;
    unsigned bad = 0; /* lanes to rerun the ordinary way */
    /* Lanes past the last replica compute padding nobody stores. */
    unsigned live = 0;
    uint32_t reps[L];
    for (int l = 0; l < L; l++) {
        reps[l] = (uint32_t)(rep0 + l);
        if (rep0 + l < res->R)
            live |= 1u << l;
    }

    ts_err_clear(&err);
    if (x->pop->init(w->pop, g, &pt->pop_par, &err)) {
        *redo = live;
        return TS_OK;
    }
    void *st[TS_MAX_MECH * TS_MAX_STRAT][L];
    for (int c = 0; c < n_cell; c++) {
        const int k = c / n_prof;
        for (int l = 0; l < L; l++) {
            st[c][l] = w->mst + ((size_t)c * L + (size_t)l) * w->mst_stride;
            ts_err_clear(&err);
            if (x->mech[k]->init(st[c][l], g, &pt->mech_par[k], &err))
                bad |= 1u << l;
            w->cum[(size_t)c * L + (size_t)l] = 0.0;
        }
    }
    for (size_t k = 0; k < (size_t)N * L; k++)
        w->bl[k] = 0.0;

    ts_rng_lanes rs, rb, rv;
    ts_rng_lanes_init(&rs, x->seed, pt->env_id, reps, TS_STREAM_STATE);
    ts_rng_lanes_init(&rb, x->seed, pt->env_id, reps, TS_STREAM_BELIEF);
    ts_rng_lanes_init(&rv, x->seed, pt->env_id, reps, TS_STREAM_VERIFY);
    const int noisy = pt->epsilon > 0;
    const double *vloss = noisy ? w->lv : w->blt;

    for (long t = 0; t < T && (bad & live) != live; t++) {
        if (stop && *stop)
            return TS_EINTR;
        ts_rng_lanes_seek(&rs, (uint64_t)t);
        ts_rng_lanes_seek(&rb, (uint64_t)t);
        ts_rng_lanes_seek(&rv, (uint64_t)t);
        x->pop->states_lanes(w->pop, t, m, &rs, w->p);
        if (noisy) { /* Prop. 3, as replica.c */
            ts_rng_lanes_u01(&rv, 0, (size_t)m, w->u);
            for (size_t k = 0; k < mL; k++)
                w->pv[k] = w->u[k] < pt->epsilon ? 1.0 - w->p[k] : w->p[k];
        }
        for (int c = 0; c < n_cell; c++)
            x->mech[c / n_prof]->lanes->begin(st[c], w->work + (size_t)c * w->work_stride, m);
        for (int i0 = 0; i0 < N; i0 += w->rows) {
            const int i1 = i0 + w->rows < N ? i0 + w->rows : N;
            x->pop->beliefs_lanes(w->pop, t, m, i0, i1, w->p, &rb, w->q);
            bad |= row_losses(w->q, i0, i1, m, w->p, w->blt);
            if (noisy)
                (void)row_losses(w->q, i0, i1, m, w->pv, w->lv);
            for (int c = 0; c < n_cell; c++)
                x->mech[c / n_prof]->lanes->rows(
                    st[c], w->work + (size_t)c * w->work_stride, i0, i1, m, w->q);
        }
        for (int c = 0; c < n_cell; c++) {
            const ts_mech_lanes *ml = x->mech[c / n_prof]->lanes;
            void *work = w->work + (size_t)c * w->work_stride;
            ml->labels(st[c], work, m, w->A);
            ts_lv Lt;
            platform_loss(w->A, w->p, m, &Lt);
            for (int l = 0; l < L; l++) {
                if (!isfinite(Lt[l]))
                    bad |= 1u << l;
                w->cum[(size_t)c * L + (size_t)l] += Lt[l];
            }
            bad |= ml->update(st[c], work, m, vloss);
        }
        for (size_t k = 0; k < (size_t)N * L; k++)
            w->bl[k] += w->blt[k];
    }

    store_group(x, res, rep0, w, st, live & ~bad);
    *redo = bad & live;
    return TS_OK;
}

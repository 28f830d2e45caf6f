/* scheduler.c -- runs every replica of a grid point (engine.h): which jobs
 * there are (lane groups of TS_LANES replicas where lanes.c applies,
 * single replicas otherwise), the per-thread workspaces allocated before
 * the parallel region, and the OpenMP loop over jobs.  The schedule
 * decides who computes a replica, never what it computes: each replica
 * writes only its own result slots, so the thread count never changes a
 * bit (SPEC §1).  The slot loops are in replica.c and lanes.c. */
#include "engine/engine.h"
#include "engine/engine_impl.h"

#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "ts_config.h"

static int check_supported(const ts_experiment *x, ts_err *e)
{
    for (int k = 0; k < x->n_mech; k++) {
        const ts_mechanism_type *mt = x->mech[k];
        if (mt->feedback != x->feedback)
            return TS_ERROR(e, TS_EINVAL, "%s: mechanism %s is not a %s-feedback one",
                            x->path, mt->name,
                            x->feedback == TS_FULL ? "full" : "limited");
        if (x->feedback == TS_LIMITED && !mt->n_heard)
            return TS_ERROR(e, TS_EINVAL, "%s: limited mechanism %s has no n_heard",
                            x->path, mt->name);
    }
    return TS_OK;
}

int ts_engine_run_replica(const ts_experiment *x, const ts_point *pt, long r,
                          ts_point_result *res, ts_err *e)
{
    int rc = check_supported(x, e);
    if (rc)
        return rc;
    ts_replica_ws w;
    rc = ts_replica_ws_alloc(&w, x, pt, e);
    if (rc)
        return rc;
    rc = ts_replica_run(x, pt, r, &w, res, NULL);
    ts_replica_ws_free(&w);
    return rc == TS_EINTR ? TS_ERROR(e, TS_EINTR, "interrupted") : TS_OK;
}

/* The jobs of a point: n_groups lane groups (replicas 0 ..
 * n_groups*TS_LANES-1, or fewer in the last), then one job per replica
 * from first_single on; and the threads that run them. */
typedef struct plan {
    int lanes;
    long n_groups, first_single, n_jobs;
    int nt;
} plan;

static plan plan_jobs(const ts_experiment *x, const ts_point *pt,
                      const ts_run_opts *o)
{
    const long R = x->replicas;
    plan p = {0};
    p.lanes = !(o && o->generic) && ts_lanes_eligible(x, pt);
    /* A part-filled group computes its empty lanes for nothing: below
     * three replicas left over, one at a time is cheaper (a group costs
     * about as much as 2.7 single replicas, Engine speed). */
    if (p.lanes)
        p.n_groups = R / TS_LANES + (R % TS_LANES >= 3);
    p.first_single = p.n_groups * TS_LANES < R ? p.n_groups * TS_LANES : R;
    p.n_jobs = p.n_groups + (R - p.first_single);
    p.nt = 1;
#ifdef _OPENMP
    p.nt = o && o->threads > 0 ? o->threads : omp_get_max_threads();
#endif
    if (p.nt > p.n_jobs)
        p.nt = (int)p.n_jobs;
    if (p.nt < 1)
        p.nt = 1;
    return p;
}

/* Per-thread workspaces of both paths, allocated before the parallel
 * region (STYLE §3). */
typedef struct thread_ws {
    ts_replica_ws *ws;
    ts_lanes_ws *lws;
    int nt;
} thread_ws;

static void thread_ws_free(thread_ws *t)
{
    for (int k = 0; t->ws && k < t->nt; k++) {
        ts_replica_ws_free(&t->ws[k]);
        ts_lanes_ws_free(&t->lws[k]);
    }
    free(t->ws);
    free(t->lws);
}

static int thread_ws_alloc(thread_ws *t, const plan *p, const ts_experiment *x,
                           const ts_point *pt, ts_err *e)
{
    t->nt = p->nt;
    t->ws = calloc((size_t)p->nt, sizeof *t->ws);
    t->lws = calloc((size_t)p->nt, sizeof *t->lws);
    if (!t->ws || !t->lws) {
        free(t->ws);
        free(t->lws);
        t->ws = NULL;
        t->lws = NULL;
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    int rc = TS_OK;
    for (int k = 0; k < p->nt && !rc; k++) {
        rc = ts_replica_ws_alloc(&t->ws[k], x, pt, e);
        if (!rc && p->lanes)
            rc = ts_lanes_ws_alloc(&t->lws[k], x, pt, e);
    }
    if (rc)
        thread_ws_free(t);
    return rc;
}

/* One job: a lane group, then the ordinary replicas it could not finish;
 * or a single replica.  Returns TS_EINTR when stopped; *n_rep gets the
 * replicas the job covers. */
static int run_job(const ts_experiment *x, const ts_point *pt, const plan *p,
                   long job, ts_replica_ws *ws, ts_lanes_ws *lws,
                   ts_point_result *res, volatile sig_atomic_t *stop,
                   long *n_rep)
{
    const long R = x->replicas;
    long r0 = p->first_single + (job - p->n_groups);
    unsigned redo = 1; /* a single replica, run the ordinary way */
    int rrc = TS_OK;
    *n_rep = 1;
    if (job < p->n_groups) {
        r0 = job * TS_LANES;
        *n_rep = R - r0 < TS_LANES ? R - r0 : TS_LANES;
        rrc = ts_lanes_run_group(x, pt, r0, lws, res, stop, &redo);
    }
    for (int l = 0; l < *n_rep && rrc != TS_EINTR; l++)
        if (redo >> l & 1u)
            rrc = ts_replica_run(x, pt, r0 + l, ws, res, stop);
    return rrc;
}

int ts_engine_run_point(const ts_experiment *x, const ts_point *pt,
                        const ts_run_opts *o, ts_point_result *res, ts_err *e)
{
    int rc = check_supported(x, e);
    if (rc)
        return rc;
    const plan p = plan_jobs(x, pt, o);
    thread_ws t;
    rc = thread_ws_alloc(&t, &p, x, pt, e);
    if (rc)
        return rc;
    volatile sig_atomic_t *stop = o ? o->stop : NULL;
    long done = 0;
    int interrupted = 0;
#ifdef _OPENMP
#pragma omp parallel for num_threads(p.nt) schedule(dynamic, 1)
#endif
    for (long job = 0; job < p.n_jobs; job++) {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        if (stop && *stop) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            interrupted = 1;
            continue;
        }
        long n_rep;
        if (run_job(x, pt, &p, job, &t.ws[tid], &t.lws[tid], res, stop,
                    &n_rep) == TS_EINTR) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            interrupted = 1;
        }
#ifdef _OPENMP
#pragma omp critical(ts_progress)
#endif
        {
            done += n_rep;
            if (o && o->progress)
                o->progress(o->progress_ctx, done);
        }
    }
    thread_ws_free(&t);
    if (interrupted)
        return TS_ERROR(e, TS_EINTR, "interrupted");
    return TS_OK;
}

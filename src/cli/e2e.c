/* e2e.c -- `truthsim run` (and truthsim-mpi's) on an end-to-end experiment
 * (`kind: e2e`; src/e2e/e2e_exp.h), and its results for `truthsim merge`
 * (e2e.h).  run.c hands such a file over after parsing its options; they
 * mean the same (-o, -j, --set, -q, -t, --force).
 *
 * The grid points are the cells: each is written to
 * OUT.h5.points/point-NNNNNN.h5 once its replicas have finished
 * (results/points.h: the hash of the canonical experiment, a temporary
 * name then a rename), a rerun of the same command skips them, a point
 * file of another experiment is refused unless --force, truthsim-mpi
 * hands the cells to its ranks with the hook ordinary runs use (cli.h),
 * and merge rebuilds OUT.h5 from them.  The result file needs every cell
 * -- a mean over replicas of a cell not run is no number -- so an
 * interrupted run keeps its point files, writes no OUT.h5 and exits 130;
 * rerunning it finishes the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/outfile.h"
#include "cli/cli.h"
#include "cli/e2e.h"
#include "dpo/dpo_model.h"

int ts_cli_e2e_init(ts_cli_e2e *r, ts_e2e_exp *x, ts_err *e)
{
    memset(r, 0, sizeof *r);
    r->x = x;
    const long C = ts_e2e_exp_cells(x);
    const size_t per = (size_t)x->replicas * (size_t)x->rounds * TS_E2E_N_METRIC;
    r->res = calloc((size_t)C * per, sizeof *r->res);
    r->done = calloc((size_t)C, 1);
    if (!r->res || !r->done)
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    /* A cell's rows are contiguous: the sweep layout with one row. */
    r->ps.n_points = C;
    r->ps.nf = 1;
    r->ps.f[0] = (ts_sweep_field){"replica_metrics", r->res, NULL, 1, per};
    r->ps.completed = r->done;
    r->ps.canon = x->canonical;
    r->ps.source = x->source;
    r->ps.path = x->path;
    ts_text_hash(x->canonical, r->hash);
    return TS_OK;
}

int ts_cli_e2e_from_text(ts_cli_e2e *r, const char *path, const char *canon,
                         const char *source, ts_err *e)
{
    memset(r, 0, sizeof *r);
    ts_e2e_exp *x = NULL;
    int rc = ts_e2e_exp_load_text(&x, path, canon, 0, NULL, e);
    if (rc)
        return rc;
    /* The text as given, so the merged file stores what the run did. */
    char *s = strdup(source ? source : canon);
    if (!s) {
        ts_e2e_exp_free(x);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    free(x->source);
    x->source = s;
    return ts_cli_e2e_init(r, x, e);
}

void ts_cli_e2e_free(ts_cli_e2e *r)
{
    ts_e2e_exp_free(r->x);
    free(r->res);
    free(r->done);
    memset(r, 0, sizeof *r);
}

int ts_cli_e2e_write(const ts_cli_e2e *r, const char *out, const char *dir,
                     const char *command_line,
                     const volatile sig_atomic_t *stop, ts_err *e)
{
    long missing = 0, C = r->ps.n_points;
    for (long c = 0; c < C; c++)
        missing += !r->done[c];
    if (missing)
        return TS_ERROR(e, TS_EINPUT, "%s: %ld of %ld points missing: rerun the "
                        "same truthsim run to finish them", dir, missing, C);
    return ts_e2e_exp_write(r->x, r->res, out, command_line, stop, e);
}

/* Everything one run holds. */
typedef struct e2e_run {
    const ts_cli_e2e_args *a;
    const ts_cli_env *env;
    ts_cli_e2e r;
    const char *out;
    char out_buf[512], dir[4096];
    unsigned char *skip;  /* [cell]: a worker's mask (all but its cell)   */
    long resumed;
    int interrupted, failed;
    ts_e2e_timing tm;
    ts_err e;
} e2e_run;

/* Load, refuse a doomed output, allocate, and find the cells an earlier
 * run of the same experiment finished. */
static int prepare(e2e_run *s)
{
    const ts_cli_e2e_args *a = s->a;
    ts_e2e_exp *x = NULL;
    int rc = ts_e2e_exp_load(&x, a->path, a->n_set, a->set, &s->e);
    if (rc)
        return rc;
    rc = ts_cli_e2e_init(&s->r, x, &s->e);
    s->out = a->out;
    if (!s->out) {
        snprintf(s->out_buf, sizeof s->out_buf, "%s.h5", x->name);
        s->out = s->out_buf;
    }
    ts_points_dir(s->out, s->dir, sizeof s->dir);
    if (!rc) /* a doomed output is refused before any work */
        rc = ts_out_probe(s->out, &s->e);
    if (!rc)
        rc = ts_points_resume(&s->r.ps, s->dir, s->r.hash, a->force,
                              s->env->stop, &s->resumed, &s->e);
    s->skip = rc ? NULL : malloc((size_t)s->r.ps.n_points);
    if (!rc && !s->skip)
        rc = TS_ERROR(&s->e, TS_ENOMEM, "out of memory");
    return rc;
}

/* A finished cell into its point file (one call at a time). */
static int cell_done(void *ctx, long c, ts_err *e)
{
    e2e_run *s = ctx;
    char path[4200];
    ts_point_path(s->dir, c, path, sizeof path);
    int rc = ts_points_write_one(&s->r.ps, c, path, s->r.hash,
                                 s->env->command_line, e);
    if (!rc)
        s->r.done[c] = 1;
    return rc;
}

/* Run the cells skip does not mark. */
static int run_cells(e2e_run *s, const unsigned char *skip, ts_err *e)
{
    const ts_e2e_run_opts o = {s->a->threads, s->env->stop, skip, cell_done, s};
    return ts_e2e_exp_run(s->r.x, &o, s->r.res, &s->tm, e);
}

/* The distribution hook's view: run cell p alone. */
static int run_point_cb(void *ctx, long p, ts_err *e)
{
    e2e_run *s = ctx;
    memset(s->skip, 1, (size_t)s->r.ps.n_points);
    s->skip[p] = 0;
    return run_cells(s, s->skip, e);
}

/* A cell's work for handing out: the model's size times the prompts the
 * policy trains and is scored on. */
static double cell_cost(const void *ctx, long c)
{
    const ts_e2e_exp *x = ctx;
    const int p = (int)(c / x->n_N % x->n_preset);
    ts_dpo_config cfg;
    size_t sz[TS_DPO_NUM_PARAM_TENSORS];
    ts_err e;
    if (ts_dpo_preset_config(x->preset[p], &cfg, &e))
        return 0;
    return (double)ts_dpo_param_sizes(&cfg, sz) * (double)(x->m + x->m_test) *
           (double)x->rounds;
}

/* Every cell not yet done: here, or handed out to the ranks (rank 0). */
static int run_all(e2e_run *s)
{
    const ts_cli_dist *d = s->env->dist;
    if (!d || d->size < 2) {
        int rc = run_cells(s, s->r.done, &s->e);
        s->interrupted = rc == TS_EINTR;
        return rc;
    }
    const ts_cli_grid g = {s->r.ps.n_points, s->r.done, cell_cost, s->r.x};
    int rc = d->master(&g, s->env->stop, &s->interrupted, &s->failed, &s->e);
    long n = 0;
    if (!rc) /* the point files the workers wrote */
        rc = ts_points_load_all(&s->r.ps, s->dir, s->r.hash, 0, NULL, &n,
                                &s->e);
    if (!rc && s->interrupted)
        rc = TS_ERROR(&s->e, TS_EINTR, "stopped");
    return rc;
}

static void say_start(const e2e_run *s)
{
    const ts_e2e_exp *x = s->r.x;
    if (s->a->quiet)
        return;
    fprintf(stderr, "truthsim run: %s: %ld cells x %ld replicas x %ld rounds "
            "of DPO\n", x->name, ts_e2e_exp_cells(x), x->replicas, x->rounds);
    if (s->resumed)
        fprintf(stderr, "truthsim run: resuming: %ld of %ld grid points already "
                "finished in %s\n", s->resumed, ts_e2e_exp_cells(x), s->dir);
}

/* After the cells: the result file, or why there is none; the status. */
static int finish(e2e_run *s, int rc)
{
    long done = 0;
    for (long c = 0; c < s->r.ps.n_points; c++)
        done += s->r.done[c];
    if (rc == TS_EINTR) {
        fprintf(stderr, "truthsim run: interrupted: %ld of %ld grid points "
                "finished and kept in %s; rerun to finish\n", done,
                s->r.ps.n_points, s->dir);
        return TS_EXIT_INTR;
    }
    if (!rc)
        rc = ts_cli_e2e_write(&s->r, s->out, s->dir, s->env->command_line,
                              s->env->stop, &s->e);
    if (!rc && s->a->timing)
        fprintf(stderr, "truthsim run: thread-seconds: simulation %.3f, "
                "aggregation %.3f, DPO %.3f\n", s->tm.simulation,
                s->tm.aggregation, s->tm.dpo);
    if (rc)
        fprintf(stderr, "truthsim run: %s\n", s->e.msg);
    else if (!s->a->quiet)
        fprintf(stderr, "truthsim run: wrote %s\n", s->out);
    return ts_cli_exit_code(rc);
}

int ts_cli_run_e2e(const ts_cli_e2e_args *a, const ts_cli_env *env)
{
    e2e_run s;
    memset(&s, 0, sizeof s);
    s.a = a;
    s.env = env;
    ts_err_clear(&s.e);
    const ts_cli_dist *d = env->dist;
    int rc = prepare(&s);
    int status;
    if (rc) {
        fprintf(stderr, "truthsim run: %s\n", s.e.msg);
        status = ts_cli_exit_code(rc);
    } else if (d && d->size > 1 && d->rank != 0) {
        rc = d->worker(run_point_cb, &s, &s.interrupted, &s.e);
        if (rc && rc != TS_EINTR)
            fprintf(stderr, "truthsim run (rank %d): %s\n", d->rank, s.e.msg);
        status = ts_cli_exit_code(rc);
    } else {
        if (!d || d->rank == 0)
            say_start(&s);
        status = finish(&s, run_all(&s));
    }
    free(s.skip);
    ts_cli_e2e_free(&s.r);
    return status;
}

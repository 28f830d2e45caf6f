/* run.c -- `truthsim run [EXPERIMENT.yaml] [-o OUT.h5] ...` (SPEC §7.2).
 *
 * Loads and checks the experiment (every input error before any run), then
 * runs its grid points in enumeration order and writes one HDF5 file.  On
 * SIGINT/SIGTERM the current point stops; finished points are written with
 * their `completed` mask and the exit status is 130.
 *
 * The same object serves truthsim and truthsim-mpi: where the points run
 * is the distribution hook of ts_cli_env (NULL here, mpi_run.c's MPI
 * master and workers in truthsim-mpi), so nothing here knows MPI.  Also
 * the start and the exit codes both programs share. */
#include <argp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "base/outfile.h"
#include "cli/cli.h"
#include "e2e/e2e_exp.h"
#include "results/points.h"
#include "cli/progress.h"
#include "results/results.h"
#include "game/registry.h"

#define MAX_SET 64

typedef struct run_args {
    const char *exp_path;
    const char *out;
    char *set[MAX_SET + 2];
    int n_set;
    char rep_buf[64], seed_buf[64];
    int threads;
    int quiet;
    int force;
    int timing;
    int generic;
    ts_cli_plugins plugins;
} run_args;

static const struct argp_option options[] = {
    {"output", 'o', "OUT.h5", 0, "Result file (default: NAME.h5 in the current directory)", 0},
    {"replicas", 'r', "R", 0, "Replicas per grid point (same as --set replicas=R)", 0},
    {"seed", 's', "S", 0, "Random seed (same as --set seed=S)", 0},
    {"threads", 'j', "K", 0, "OpenMP threads (default: OMP_NUM_THREADS or all cores); results do not depend on it", 0},
    {"set", 'S', "KEY=VALUE", 0, "Override an experiment key, e.g. --set N=[5,10] --set alpha=0.05 (repeatable)", 0},
    {"quiet", 'q', 0, 0, "No progress output", 0},
    {"force", 'f', 0, 0, "Discard point files under OUT.h5.points written by a different experiment", 0},
    {"timing", 't', 0, 0, "Print where the time went: simulation vs point files and merging", 0},
    {"no-lanes", 'G', 0, 0, "Run one replica at a time, never eight in vector lanes (same results, slower; for checks)", 0},
    {0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
    run_args *a = state->input;
    switch (key) {
    case 'o':
        a->out = arg;
        break;
    case 'r':
    case 's':
        snprintf(key == 'r' ? a->rep_buf : a->seed_buf, 64, "%s=%s",
                 key == 'r' ? "replicas" : "seed", arg);
        break;
    case 'j': a->threads = ts_cli_arg_threads(state, arg); break;
    case 'S': ts_cli_arg_set(state, a->set, &a->n_set, MAX_SET, arg); break;
    case 'q':
        a->quiet = 1;
        break;
    case 'f':
        a->force = 1;
        break;
    case 't':
        a->timing = 1;
        break;
    case 'G':
        a->generic = 1;
        break;
    case ARGP_KEY_INIT:
        state->child_inputs[0] = &a->plugins;
        break;
    case ARGP_KEY_ARG:
        if (a->exp_path)
            argp_error(state, "one experiment file at a time");
        a->exp_path = arg;
        break;
    default:
        return ARGP_ERR_UNKNOWN;
    }
    return 0;
}

static const struct argp_child children[] = {
    {&ts_cli_plugin_argp, 0, NULL, 0},
    {0},
};

static const struct argp argp = {
    options, parse_opt, "[EXPERIMENT.yaml]",
    "Run an experiment: every grid point, mechanism and strategy, replicas in "
    "parallel, and write one HDF5 file (docs/results-format.md). Each finished "
    "point is kept in OUT.h5.points/; rerunning the same command resumes, "
    "skipping finished points (truthsim merge rebuilds OUT.h5 from them). "
    "Without a file, runs the embedded default: the paper's Fig. 7 at a "
    "reduced replica count.\v" TS_CLI_EXIT_HELP,
    children, NULL, NULL,
};

typedef struct run_clock {
    double sim, files; /* seconds in the engine, in point files */
} run_clock;

/* Everything one `truthsim run` holds between its steps. */
typedef struct run_state {
    run_args a;
    const ts_cli_env *env;
    ts_registry *reg;         /* built-ins + --plugin + `plugins:`      */
    ts_experiment *x;
    ts_sweep sw;
    int have_sweep;
    char out_buf[512];
    char hash[65], dir[4096]; /* the experiment's hash, its point files */
    long resumed;             /* points finished by an earlier run      */
    long finished;            /* points finished in all                 */
    ts_progress prog;
    ts_run_opts opts;
    int interrupted, failed;
    int rc;                   /* the status of the last point run       */
    run_clock clk;
    ts_err e;
} run_state;

static void run_state_free(run_state *s)
{
    if (s->have_sweep)
        ts_sweep_free(&s->sw);
    ts_experiment_free(s->x);
    ts_registry_free(s->reg);
}

/* argv into s->a; --replicas and --seed become --set, applied last so
 * they win. */
static void parse_args(run_state *s, int argc, char **argv)
{
    run_args *a = &s->a;
    argp_parse(&argp, argc, argv, 0, NULL, a);
    if (s->env->dist && s->env->dist->rank != 0)
        a->quiet = 1; /* one voice: rank 0 */
    if (a->rep_buf[0])
        a->set[a->n_set++] = a->rep_buf;
    if (a->seed_buf[0])
        a->set[a->n_set++] = a->seed_buf;
}

/* Load the experiment, allocate the sweep and find the points an earlier
 * run of the same experiment finished (resume). */
static int prepare(run_state *s)
{
    run_args *a = &s->a;
    s->reg = ts_cli_registry(&a->plugins, &s->e);
    if (!s->reg)
        return s->e.code;
    int rc = ts_experiment_load_stop(&s->x, a->exp_path,
                                     a->exp_path ? NULL : ts_default_experiment,
                                     a->n_set, a->set, s->reg, s->env->stop,
                                     &s->e);
    if (rc)
        return rc;
    if (!a->out) {
        snprintf(s->out_buf, sizeof s->out_buf, "%s.h5", s->x->name);
        a->out = s->out_buf;
    }
    /* A doomed output is refused before any work (and a SIGKILLed earlier
     * run's temporaries of OUT are removed; base/outfile.h). */
    rc = ts_out_probe(a->out, &s->e);
    if (!rc)
        rc = ts_sweep_alloc(&s->sw, s->x, &s->e);
    if (rc)
        return rc;
    s->have_sweep = 1;
    ts_points_dir(a->out, s->dir, sizeof s->dir);
    rc = ts_cli_experiment_hash(s->x, s->reg, s->hash, &s->e);
    ts_points ps;
    ts_points_of_sweep(&ps, &s->sw, NULL);
    if (!rc)
        rc = ts_points_resume(&ps, s->dir, s->hash, a->force, s->env->stop,
                              &s->resumed, &s->e);
    return rc;
}

/* Progress over the replicas still to run, and the engine's options. */
static void start_progress(run_state *s)
{
    const ts_experiment *x = s->x;
    if (s->resumed && !s->a.quiet)
        fprintf(stderr, "truthsim run: resuming: %ld of %ld grid points already "
                        "finished in %s\n", s->resumed, x->n_points, s->dir);
    ts_progress_init(&s->prog, (x->n_points - s->resumed) * x->replicas,
                     "replicas", s->a.quiet);
    s->opts = (ts_run_opts){s->a.threads, s->env->stop, ts_progress_update,
                            &s->prog, s->a.generic};
    s->finished = s->resumed;
}

/* Run grid point p, reduce it into the sweep and write its point file. */
static int run_one_point(run_state *s, long p, ts_err *e)
{
    ts_point pt;
    ts_point_result res;
    char ppath[4200];
    int rc = ts_experiment_point(s->x, p, &pt, e);
    if (!rc)
        rc = ts_point_result_alloc(&res, s->x, &pt, e);
    if (rc)
        return rc;
    double t0 = ts_now();
    rc = ts_engine_run_point(s->x, &pt, &s->opts, &res, e);
    double t1 = ts_now();
    if (rc == TS_OK) {
        ts_sweep_add_point(&s->sw, &pt, &res);
        ts_point_path(s->dir, p, ppath, sizeof ppath);
        rc = ts_point_write(&s->sw, p, ppath, s->hash, s->env->command_line,
                            e);
    }
    s->clk.sim += t1 - t0;
    s->clk.files += ts_now() - t1;
    ts_point_result_free(&res);
    return rc;
}

/* The distribution hook's view of run_one_point. */
static int run_point_cb(void *ctx, long p, ts_err *e)
{
    return run_one_point(ctx, p, e);
}

/* Every point not yet finished, here, in grid order; stops at the first
 * failure or an interruption. */
static void run_here(run_state *s)
{
    for (long p = 0; p < s->x->n_points && !s->interrupted; p++) {
        if (s->sw.completed[p])
            continue;
        s->rc = run_one_point(s, p, &s->e);
        if (s->rc == TS_OK)
            s->finished++;
        else if (s->rc == TS_EINTR)
            s->interrupted = 1;
        else
            s->failed = 1;
        ts_progress_next_point(&s->prog, s->x->replicas);
        if (s->failed)
            break;
    }
}

/* A point's work for handing out (N m T x mechanisms). */
static double point_cost(const void *ctx, long p)
{
    const ts_experiment *x = ctx;
    ts_point pt;
    if (ts_experiment_point(x, p, &pt, NULL))
        return 0;
    return (double)pt.shape.N * pt.shape.m * (double)pt.shape.T * x->n_mech;
}

/* Rank 0 of a distributed run: hand out the points, then read back the
 * point files the workers wrote. */
static void run_master(run_state *s)
{
    const ts_cli_dist *d = s->env->dist;
    const ts_cli_grid g = {s->x->n_points, s->sw.completed, point_cost, s->x};
    s->rc = d->master(&g, s->env->stop, &s->interrupted, &s->failed, &s->e);
    long n_loaded = 0;
    if (!s->rc)
        s->rc = ts_points_load(&s->sw, s->dir, s->hash, 0, &n_loaded, &s->e);
    s->finished = n_loaded;
    if (s->rc)
        s->failed = 1;
}

/* Any other rank: run the points rank 0 hands out; the exit status. */
static int run_worker(run_state *s)
{
    const ts_cli_dist *d = s->env->dist;
    int rc = d->worker(run_point_cb, s, &s->interrupted, &s->e);
    if (rc && rc != TS_EINTR)
        fprintf(stderr, "truthsim run (rank %d): %s\n", d->rank, s->e.msg);
    return rc == TS_EINTR ? TS_EXIT_INTR : ts_cli_exit_code(rc);
}

/* Merge the sweep into OUT.h5; the exit status so far. */
static int write_result(run_state *s, double t_start)
{
    char plugins[4096];
    ts_registry_provenance(s->reg, plugins, sizeof plugins);
    ts_provenance prov = {s->env->command_line, plugins};
    ts_err we;
    ts_err_clear(&we);
    double t_merge = ts_now();
    /* Not ts_sweep_write_stop: run keeps its finished work when stopped
     * (README), and report() makes a stop exit 130. */
    int wrc = ts_sweep_write(&s->sw, s->a.out, &prov, &we);
    t_merge = ts_now() - t_merge;
    const run_clock *clk = &s->clk;
    if (s->a.timing)
        fprintf(stderr, "truthsim run: %.3f s in all; simulation %.3f s, point "
                        "files %.3f s (%.2f%% of simulation), merge %.3f s\n",
                ts_now() - t_start, clk->sim, clk->files,
                clk->sim > 0 ? 100 * clk->files / clk->sim : 0.0, t_merge);
    if (wrc) {
        fprintf(stderr, "truthsim run: %s\n", we.msg);
        return ts_cli_exit_code(we.code);
    }
    if (!s->a.quiet)
        printf("%s\n", s->a.out);
    return TS_EXIT_OK;
}

/* Failed and capped replicas, an interruption or a failed point: said on
 * stderr, and the exit status they make of status. */
static int report(const run_state *s, int status)
{
    const ts_sweep *sw = &s->sw;
    long nf = 0, nc = 0;
    for (long k = 0; k < (long)sw->n_cell * sw->n_points; k++) {
        nf += sw->n_failed[k];
        nc += sw->n_noconv[k];
    }
    if (nc)
        fprintf(stderr, "truthsim run: warning: in %ld replica runs an iteration "
                        "hit its cap (dataset n_capped); results kept\n", nc);
    if (nf) {
        fprintf(stderr, "truthsim run: %ld replica runs failed (dataset n_failed); "
                        "first: %s\n", nf, sw->first_error);
        if (status == TS_EXIT_OK)
            status = TS_EXIT_FAILED;
    }
    if (s->interrupted) {
        fprintf(stderr, "truthsim run: interrupted: %ld of %ld grid points "
                        "finished and written\n", s->finished, s->x->n_points);
        status = TS_EXIT_INTR;
    } else if (s->failed) {
        fprintf(stderr, "truthsim run: stopped after %ld points: %s\n",
                s->finished, s->e.msg);
        status = ts_cli_exit_code(s->rc);
    }
    return status;
}

char *ts_cli_env_init(ts_cli_env *env, volatile sig_atomic_t *stop,
                      void (*handler)(int), int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    size_t len = 1;
    for (int k = 0; k < argc; k++)
        len += strlen(argv[k]) + 1;
    char *cmdline = calloc(len, 1);
    for (int k = 0; cmdline && k < argc; k++) {
        if (k)
            strcat(cmdline, " ");
        strcat(cmdline, argv[k]);
    }
    env->stop = stop;
    env->command_line = cmdline ? cmdline : "";
    env->dist = NULL;
    return cmdline;
}

int ts_cli_run(int argc, char **argv, const ts_cli_env *env)
{
    run_state s;
    memset(&s, 0, sizeof s);
    s.env = env;
    parse_args(&s, argc, argv);
    if (s.a.exp_path && ts_e2e_file_is(s.a.exp_path)) {
        const ts_cli_e2e_args ea = {s.a.exp_path, s.a.out, s.a.n_set, s.a.set,
                                    s.a.threads, s.a.quiet, s.a.force,
                                    s.a.timing};
        return ts_cli_run_e2e(&ea, env);
    }
    ts_err_clear(&s.e);
    int rc = prepare(&s);
    if (rc) {
        fprintf(stderr, "truthsim run: %s\n", s.e.msg);
        run_state_free(&s);
        return ts_cli_exit_code(rc);
    }
    start_progress(&s);
    const double t_start = ts_now();
    const ts_cli_dist *d = env->dist;
    if (d && d->size > 1) {
        s.prog.quiet = 1; /* many ranks, one terminal */
        if (d->rank != 0) {
            int status = run_worker(&s);
            run_state_free(&s);
            return status;
        }
        run_master(&s);
    } else {
        run_here(&s);
    }
    ts_progress_finish(&s.prog);
    /* A stop after the last point's poll: the file is still written (run
     * keeps finished work), but the run says it was interrupted (130). */
    if (env->stop && *env->stop && !s.failed)
        s.interrupted = 1;
    if (s.failed && s.finished == 0) {
        fprintf(stderr, "truthsim run: %s\n", s.e.msg);
        run_state_free(&s);
        return ts_cli_exit_code(s.rc);
    }
    int status = report(&s, write_result(&s, t_start));
    run_state_free(&s);
    return status;
}

/* cli_run.c -- `truthsim run [EXPERIMENT.yaml] [-o OUT.h5] ...` (SPEC §7.2).
 *
 * Loads and checks the experiment (every input error before any run), then
 * runs its grid points in enumeration order and writes one HDF5 file.  On
 * SIGINT/SIGTERM the current point stops; finished points are written with
 * their `completed` mask and the exit status is 130. */
#include <argp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <sys/stat.h>
#ifdef TS_WITH_MPI
#include <mpi.h>
#endif

#include "cli/cli.h"
#include "results/points.h"
#include "cli/progress.h"
#include "results/results.h"

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
    char *end;
    switch (key) {
    case 'o':
        a->out = arg;
        break;
    case 'r':
    case 's':
        snprintf(key == 'r' ? a->rep_buf : a->seed_buf, 64, "%s=%s",
                 key == 'r' ? "replicas" : "seed", arg);
        break;
    case 'j':
        a->threads = (int)strtol(arg, &end, 10);
        if (*end || a->threads < 1)
            argp_error(state, "--threads %s: expected a positive integer", arg);
        break;
    case 'S':
        if (a->n_set == MAX_SET)
            argp_error(state, "at most %d --set options", MAX_SET);
        a->set[a->n_set++] = arg;
        break;
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

static const struct argp argp = {
    options, parse_opt, "[EXPERIMENT.yaml]",
    "Run an experiment: every grid point, mechanism and strategy, replicas in "
    "parallel, and write one HDF5 file (docs/results-format.md). Each finished "
    "point is kept in OUT.h5.points/; rerunning the same command resumes, "
    "skipping finished points (truthsim merge rebuilds OUT.h5 from them). "
    "Without a file, runs the embedded default: the paper's Fig. 7 at a "
    "reduced replica count.",
    NULL, NULL, NULL,
};

/* Run grid point p, reduce it into sw and write its point file. */
typedef struct run_clock {
    double sim, files; /* seconds in the engine, in point files */
} run_clock;

static int run_one_point(const ts_experiment *x, ts_sweep *sw, long p,
                         const ts_run_opts *opts, const char *dir,
                         const char *hash, const char *cmdline,
                         run_clock *clk, ts_err *e)
{
    ts_point pt;
    ts_point_result res;
    char ppath[4200];
    int rc = ts_experiment_point(x, p, &pt, e);
    if (!rc)
        rc = ts_point_result_alloc(&res, x, &pt, e);
    if (rc)
        return rc;
    double t0 = ts_now();
    rc = ts_engine_run_point(x, &pt, opts, &res, e);
    double t1 = ts_now();
    if (rc == TS_OK) {
        ts_sweep_add_point(sw, &pt, &res);
        ts_point_path(dir, p, ppath, sizeof ppath);
        rc = ts_point_write(sw, p, ppath, hash, cmdline, e);
    }
    clk->sim += t1 - t0;
    clk->files += ts_now() - t1;
    ts_point_result_free(&res);
    return rc;
}

#ifdef TS_WITH_MPI
/* The MPI driver (issue "sweeps"): rank 0 hands grid points to the other
 * ranks one at a time, largest first (N m T x mechanisms), so the long
 * points start early and the short ones fill the gaps; each worker runs
 * its point with OpenMP inside and writes the point file itself (the
 * directory must be shared by the ranks).  Results are those of the plain
 * run bit for bit: a point's numbers do not depend on who computes it.
 * On SIGINT/SIGTERM the master stops handing out work; finished points
 * stay on disk and a rerun completes the rest.
 * Messages: worker -> master {kind, value}: kind 0 = ready (value = the
 * point it finished, or -1), 1 = failed; master -> worker: a point index,
 * or -1 to stop. */
enum { TAG_TO_MASTER = 1, TAG_TO_WORKER = 2 };

static double point_cost(const ts_experiment *x, long p)
{
    ts_point pt;
    if (ts_experiment_point(x, p, &pt, NULL))
        return 0;
    return (double)pt.shape.N * pt.shape.m * (double)pt.shape.T * x->n_mech;
}

static int mpi_master(const ts_experiment *x, const ts_sweep *sw, int size,
                      volatile sig_atomic_t *stop, int *interrupted,
                      int *failed, ts_err *e)
{
    long n = 0, *order = malloc((size_t)(x->n_points ? x->n_points : 1) * sizeof *order);
    double *cost = malloc((size_t)(x->n_points ? x->n_points : 1) * sizeof *cost);
    if (!order || !cost) {
        free(order);
        free(cost);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    for (long p = 0; p < x->n_points; p++)
        if (!sw->completed[p]) {
            cost[p] = point_cost(x, p);
            /* Insertion by cost, largest first; ties keep grid order. */
            long k = n++;
            while (k > 0 && cost[order[k - 1]] < cost[p]) {
                order[k] = order[k - 1];
                k--;
            }
            order[k] = p;
        }
    long next = 0;
    int active = size - 1, rc = TS_OK;
    while (active > 0) {
        long msg[2];
        MPI_Status st;
        MPI_Recv(msg, 2, MPI_LONG, MPI_ANY_SOURCE, TAG_TO_MASTER, MPI_COMM_WORLD, &st);
        if (msg[0] == 1) {
            *failed = 1;
            if (!rc)
                rc = TS_ERROR(e, TS_EIO, "rank %d failed on grid point %ld",
                              st.MPI_SOURCE, msg[1]);
        }
        if (stop && *stop)
            *interrupted = 1;
        long give = -1;
        if (!*interrupted && !*failed && next < n)
            give = order[next++];
        MPI_Send(&give, 1, MPI_LONG, st.MPI_SOURCE, TAG_TO_WORKER, MPI_COMM_WORLD);
        if (give < 0)
            active--;
    }
    if (next < n)
        *interrupted = *interrupted || !*failed;
    free(order);
    free(cost);
    return rc;
}

static int mpi_worker(const ts_experiment *x, ts_sweep *sw,
                      const ts_run_opts *opts, const char *dir,
                      const char *hash, const char *cmdline, int *interrupted,
                      run_clock *clk, ts_err *e)
{
    long msg[2] = {0, -1};
    int rc = TS_OK;
    for (;;) {
        long p;
        MPI_Send(msg, 2, MPI_LONG, 0, TAG_TO_MASTER, MPI_COMM_WORLD);
        MPI_Recv(&p, 1, MPI_LONG, 0, TAG_TO_WORKER, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (p < 0)
            break;
        rc = run_one_point(x, sw, p, opts, dir, hash, cmdline, clk, e);
        if (rc == TS_EINTR)
            *interrupted = 1;
        msg[0] = rc && rc != TS_EINTR ? 1 : 0;
        msg[1] = p;
        if (rc == TS_EINTR)
            msg[1] = -1; /* not finished: nothing to report */
    }
    return rc;
}
#endif

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
    return cmdline;
}

int ts_cli_exit_code(int rc)
{
    switch (rc) {
    case 0:
        return TS_EXIT_OK;
    case TS_EINPUT:
    case TS_EINVAL:
    case TS_EUNSUPP:
        return TS_EXIT_USAGE;
    case TS_EINTR:
        return TS_EXIT_INTR;
    default:
        return TS_EXIT_IO;
    }
}

int ts_cli_run(int argc, char **argv, const ts_cli_env *env)
{
    run_args a;
    memset(&a, 0, sizeof a);
    argp_parse(&argp, argc, argv, 0, NULL, &a);
#ifdef TS_WITH_MPI
    int my_rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &my_rank);
    if (my_rank != 0)
        a.quiet = 1; /* one voice: rank 0 */
#endif
    /* --replicas and --seed are --set, applied last so they win. */
    if (a.rep_buf[0])
        a.set[a.n_set++] = a.rep_buf;
    if (a.seed_buf[0])
        a.set[a.n_set++] = a.seed_buf;

    ts_err e;
    ts_err_clear(&e);
    ts_experiment *x = NULL;
    int rc = ts_experiment_load(&x, a.exp_path,
                                a.exp_path ? NULL : ts_default_experiment,
                                a.n_set, a.set, &e);
    if (rc) {
        fprintf(stderr, "truthsim run: %s\n", e.msg);
        return ts_cli_exit_code(rc);
    }
    char out_buf[512];
    if (!a.out) {
        snprintf(out_buf, sizeof out_buf, "%s.h5", x->name);
        a.out = out_buf;
    }
    ts_sweep sw;
    rc = ts_sweep_alloc(&sw, x, &e);
    if (rc) {
        fprintf(stderr, "truthsim run: %s\n", e.msg);
        ts_experiment_free(x);
        return ts_cli_exit_code(rc);
    }
    /* Resume: points finished by an earlier run of the same experiment. */
    char hash[65], dir[4096];
    long resumed = 0;
    ts_points_dir(a.out, dir, sizeof dir);
    rc = ts_experiment_hash(x, hash, &e);
    if (!rc)
        rc = ts_points_load(&sw, dir, hash, a.force, &resumed, &e);
    if (!rc && mkdir(dir, 0777) != 0 && errno != EEXIST)
        rc = TS_ERROR(&e, TS_EIO, "%s: cannot create: %s", dir, strerror(errno));
    if (rc) {
        fprintf(stderr, "truthsim run: %s\n", e.msg);
        ts_sweep_free(&sw);
        ts_experiment_free(x);
        return ts_cli_exit_code(rc);
    }
    if (resumed && !a.quiet)
        fprintf(stderr, "truthsim run: resuming: %ld of %ld grid points already "
                        "finished in %s\n", resumed, x->n_points, dir);
    ts_progress prog;
    ts_progress_init(&prog, (x->n_points - resumed) * x->replicas, "replicas",
                     a.quiet);
    ts_run_opts opts = {a.threads, env->stop, ts_progress_update, &prog,
                        a.generic};
    long finished = resumed;
    int interrupted = 0, failed = 0;
    run_clock clk = {0, 0};
    const double t_start = ts_now();
#ifdef TS_WITH_MPI
    int mpi_rank = 0, mpi_size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi_size);
    if (mpi_size > 1) {
        prog.quiet = 1; /* many ranks, one terminal */
        if (mpi_rank == 0) {
            rc = mpi_master(x, &sw, mpi_size, env->stop, &interrupted, &failed, &e);
            /* The workers wrote their points: read them all back. */
            long n_loaded = 0;
            if (!rc)
                rc = ts_points_load(&sw, dir, hash, 0, &n_loaded, &e);
            finished = n_loaded;
            if (rc)
                failed = 1;
        } else {
            rc = mpi_worker(x, &sw, &opts, dir, hash, env->command_line,
                            &interrupted, &clk, &e);
            ts_sweep_free(&sw);
            ts_experiment_free(x);
            if (rc && rc != TS_EINTR)
                fprintf(stderr, "truthsim run (rank %d): %s\n", mpi_rank, e.msg);
            return rc == TS_EINTR ? TS_EXIT_INTR : ts_cli_exit_code(rc);
        }
    } else
#endif
    for (long p = 0; p < x->n_points && !interrupted; p++) {
        if (sw.completed[p])
            continue;
        rc = run_one_point(x, &sw, p, &opts, dir, hash, env->command_line,
                           &clk, &e);
        if (rc == TS_OK)
            finished++;
        else if (rc == TS_EINTR)
            interrupted = 1;
        else
            failed = 1;
        ts_progress_next_point(&prog, x->replicas);
        if (failed)
            break;
    }
    ts_progress_finish(&prog);
    int status = TS_EXIT_OK;
    if (failed && finished == 0) {
        fprintf(stderr, "truthsim run: %s\n", e.msg);
        ts_sweep_free(&sw);
        ts_experiment_free(x);
        return ts_cli_exit_code(rc);
    }
    ts_provenance prov = {env->command_line};
    ts_err we;
    ts_err_clear(&we);
    double t_merge = ts_now();
    int wrc = ts_sweep_write(&sw, a.out, &prov, &we);
    t_merge = ts_now() - t_merge;
    if (a.timing)
        fprintf(stderr, "truthsim run: %.3f s in all; simulation %.3f s, point "
                        "files %.3f s (%.2f%% of simulation), merge %.3f s\n",
                ts_now() - t_start, clk.sim, clk.files,
                clk.sim > 0 ? 100 * clk.files / clk.sim : 0.0, t_merge);
    if (wrc) {
        fprintf(stderr, "truthsim run: %s\n", we.msg);
        status = TS_EXIT_IO;
    } else if (!a.quiet) {
        printf("%s\n", a.out);
    }
    long nf = 0, nc = 0;
    for (long k = 0; k < (long)sw.n_cell * sw.n_points; k++) {
        nf += sw.n_failed[k];
        nc += sw.n_noconv[k];
    }
    if (nc)
        fprintf(stderr, "truthsim run: warning: in %ld replica runs an iteration "
                        "hit its cap (dataset n_capped); results kept\n", nc);
    if (nf) {
        fprintf(stderr, "truthsim run: %ld replica runs failed (dataset n_failed); "
                        "first: %s\n", nf, sw.first_error);
        if (status == TS_EXIT_OK)
            status = TS_EXIT_FAILED;
    }
    if (interrupted) {
        fprintf(stderr, "truthsim run: interrupted: %ld of %ld grid points "
                        "finished and written\n", finished, x->n_points);
        status = TS_EXIT_INTR;
    } else if (failed) {
        fprintf(stderr, "truthsim run: stopped after %ld points: %s\n", finished,
                e.msg);
        status = ts_cli_exit_code(rc);
    }
    ts_sweep_free(&sw);
    ts_experiment_free(x);
    return status;
}

/* cli_run.c -- `truthsim run [EXPERIMENT.yaml] [-o OUT.h5] ...` (SPEC §7.2).
 *
 * Loads and checks the experiment (every input error before any run), then
 * runs its grid points in enumeration order and writes one HDF5 file.  On
 * SIGINT/SIGTERM the current point stops; finished points are written with
 * their `completed` mask and the exit status is 130. */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "progress.h"
#include "results.h"

#define MAX_SET 64

typedef struct run_args {
    const char *exp_path;
    const char *out;
    char *set[MAX_SET + 2];
    int n_set;
    char rep_buf[64], seed_buf[64];
    int threads;
    int quiet;
} run_args;

static const struct argp_option options[] = {
    {"output", 'o', "OUT.h5", 0, "Result file (default: NAME.h5 in the current directory)", 0},
    {"replicas", 'r', "R", 0, "Replicas per grid point (same as --set replicas=R)", 0},
    {"seed", 's', "S", 0, "Random seed (same as --set seed=S)", 0},
    {"threads", 'j', "K", 0, "OpenMP threads (default: OMP_NUM_THREADS or all cores); results do not depend on it", 0},
    {"set", 'S', "KEY=VALUE", 0, "Override an experiment key, e.g. --set N=[5,10] --set alpha=0.05 (repeatable)", 0},
    {"quiet", 'q', 0, 0, "No progress output", 0},
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
    "parallel, and write one HDF5 file (docs/results-format.md). Without a file, "
    "runs the embedded default: the paper's Fig. 7 at a reduced replica count.",
    NULL, NULL, NULL,
};

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
    ts_progress prog;
    ts_progress_init(&prog, x->n_points * x->replicas, "replicas", a.quiet);
    ts_run_opts opts = {a.threads, env->stop, ts_progress_update, &prog};
    long finished = 0;
    int interrupted = 0, failed = 0;
    for (long p = 0; p < x->n_points && !interrupted; p++) {
        ts_point pt;
        ts_point_result res;
        rc = ts_experiment_point(x, p, &pt, &e);
        if (!rc)
            rc = ts_point_result_alloc(&res, x, &pt, &e);
        if (rc) {
            failed = 1;
            break;
        }
        rc = ts_engine_run_point(x, &pt, &opts, &res, &e);
        if (rc == TS_OK) {
            ts_sweep_add_point(&sw, &pt, &res);
            finished++;
        } else if (rc == TS_EINTR) {
            interrupted = 1;
        } else {
            failed = 1;
        }
        ts_point_result_free(&res);
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
    if (ts_sweep_write(&sw, a.out, &prov, &we)) {
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

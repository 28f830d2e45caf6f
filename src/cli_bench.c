/* cli_bench.c -- `truthsim bench`: the engine's speed (issue: >= 5e8
 * worker-prompt-slot updates per second per core for `ours` on `bands` at
 * N = 50, m = 20, T = 2000, and >= 1.9x on 2 threads).  Prints figures; it
 * asserts nothing, so a slow machine never fails a test. */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli.h"
#include "engine.h"
#include "progress.h"

typedef struct bench_args {
    int N, m, T, R, reps;
    const char *mech;
} bench_args;

static const struct argp_option options[] = {
    {"N", 'N', "N", 0, "Workers (default 50)", 0},
    {"m", 'm', "M", 0, "Prompts per slot (default 20)", 0},
    {"T", 'T', "T", 0, "Slots (default 2000)", 0},
    {"replicas", 'r', "R", 0, "Replicas per timing (default 32)", 0},
    {"repeat", 'k', "K", 0, "Timings per configuration; the best is reported (default 3)", 0},
    {"mechanism", 'M', "NAME", 0, "Mechanism (default ours)", 0},
    {0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
    bench_args *a = state->input;
    switch (key) {
    case 'N': a->N = atoi(arg); break;
    case 'm': a->m = atoi(arg); break;
    case 'T': a->T = atoi(arg); break;
    case 'r': a->R = atoi(arg); break;
    case 'k': a->reps = atoi(arg); break;
    case 'M': a->mech = arg; break;
    default: return ARGP_ERR_UNKNOWN;
    }
    return 0;
}

static const struct argp argp = {
    options, parse_opt, NULL,
    "Measure worker-prompt-slot updates per second of the full-feedback engine "
    "(population draws, aggregation, reweighing and regret bookkeeping "
    "included), on 1 thread and on all threads.",
    NULL, NULL, NULL,
};

static double time_run(const ts_experiment *x, const ts_point *pt, int threads,
                       int reps, ts_err *e, int *rc)
{
    double best = 1e300;
    for (int k = 0; k < reps; k++) {
        ts_point_result res;
        *rc = ts_point_result_alloc(&res, x, pt, e);
        if (*rc)
            return 0;
        ts_run_opts o = {threads, NULL, NULL, NULL};
        double t0 = ts_now();
        *rc = ts_engine_run_point(x, pt, &o, &res, e);
        double dt = ts_now() - t0;
        ts_point_result_free(&res);
        if (*rc)
            return 0;
        if (dt < best)
            best = dt;
    }
    return best;
}

int ts_cli_bench(int argc, char **argv, const ts_cli_env *env)
{
    (void)env;
    bench_args a = {50, 20, 2000, 32, 3, "ours"};
    argp_parse(&argp, argc, argv, 0, NULL, &a);
    char text[1024];
    snprintf(text, sizeof text,
             "name: bench\nfeedback: full\npopulation: bands\nN: %d\nm: %d\n"
             "T: %d\nmechanisms: [%s]\nreplicas: %d\nseed: 7\n",
             a.N, a.m, a.T, a.mech, a.R);
    ts_err e;
    ts_err_clear(&e);
    ts_experiment *x;
    int rc = ts_experiment_load(&x, "<bench>", text, 0, NULL, &e);
    ts_point pt;
    if (!rc)
        rc = ts_experiment_point(x, 0, &pt, &e);
    if (rc) {
        fprintf(stderr, "truthsim bench: %s\n", e.msg);
        return ts_cli_exit_code(rc);
    }
    int maxt = 1;
#ifdef _OPENMP
    maxt = omp_get_max_threads();
#endif
    const double updates = (double)a.N * a.m * a.T * a.R;
    printf("engine benchmark: mechanism %s, population bands, N = %d, m = %d, "
           "T = %d, %d replicas (best of %d)\n", a.mech, a.N, a.m, a.T, a.R,
           a.reps);
    double t1 = time_run(x, &pt, 1, a.reps, &e, &rc);
    if (rc) {
        fprintf(stderr, "truthsim bench: %s\n", e.msg);
        ts_experiment_free(x);
        return ts_cli_exit_code(rc);
    }
    printf("threads 1: %.3f s, %.3g updates/s per core (goal >= 5e8)\n", t1,
           updates / t1);
    if (maxt > 1) {
        double tn = time_run(x, &pt, maxt, a.reps, &e, &rc);
        if (!rc)
            printf("threads %d: %.3f s, %.3g updates/s, %.3g per core, "
                   "speed-up %.2fx (goal >= 1.9x on 2)\n",
                   maxt, tn, updates / tn, updates / tn / maxt, t1 / tn);
    } else {
        printf("threads: only 1 available (OMP_NUM_THREADS or a build without OpenMP)\n");
    }
    ts_experiment_free(x);
    return rc ? ts_cli_exit_code(rc) : TS_EXIT_OK;
}

/* bench.c -- `truthsim bench`: the engine's speed (issue: >= 5e8
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

#include "cli/cli.h"
#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "games/games.h"
#include "cli/progress.h"

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
    "included), on 1 thread and on all threads.\v" TS_CLI_EXIT_HELP,
    NULL, NULL, NULL,
};

static double time_run(const ts_experiment *x, const ts_point *pt, int threads,
                       int generic, int reps, ts_err *e, int *rc)
{
    double best = 1e300;
    for (int k = 0; k < reps; k++) {
        ts_point_result res;
        *rc = ts_point_result_alloc(&res, x, pt, e);
        if (*rc)
            return 0;
        ts_run_opts o = {.threads = threads, .generic = generic};
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

/* The mechanism's own cost per limited-feedback slot (theta, the draw,
 * aggregate, update) for growing N at fixed m: O(m + N) means the time per
 * slot grows with N but not with N * m. */
static int bench_mechanism_slot(int m)
{
    const ts_mechanism_type *mt = ts_mechanism_find("ours", TS_LIMITED, NULL);
    if (!mt)
        return TS_EXIT_SOFTWARE;
    printf("limited ours, mechanism only (theta + draw + aggregate + update), m = %d:\n", m);
    for (int N = 50; N <= 50000; N *= 10) {
        /* The shape's horizon sets the defaults (beta <= 1 needs T >= 4 N
         * ln N / 7); the timing loop runs fewer slots. */
        const long T = 20000;
        ts_shape g = {N, m, 100000000L, TS_LIMITED};
        ts_params p;
        ts_params_init(&p, mt->n_params);
        mt->defaults(&g, &p);
        ts_err e;
        void *st = malloc(mt->state_size(&g));
        double *theta = malloc((size_t)N * sizeof *theta);
        double r[4096], A[4096], pv[4096];
        if (!st || !theta || m > 4096 || mt->init(st, &g, &p, &e)) {
            free(st);
            free(theta);
            return TS_EXIT_SOFTWARE;
        }
        ts_rng g0;
        ts_rng_init(&g0, 1, 2, 3, TS_STREAM_AUX);
        double t0 = ts_now();
        for (long t = 0; t < T; t++) {
            ts_rng_seek(&g0, (uint64_t)t);
            mt->theta(st, theta);
            int sel = ts_draw_index(theta, N, ts_rng_u01_53(&g0));
            for (int j = 0; j < m; j++) {
                pv[j] = (double)((t + j) & 1);
                r[j] = 0.5 + 0.4 * (pv[j] - 0.5) * (sel == 0 ? 1 : -0.5);
            }
            ts_slot s = {.t = t, .N = N, .m = m, .r = r, .n_heard = 1, .sel = &sel};
            if (mt->aggregate(st, &s, A, &e) || mt->update(st, &s, pv, &e))
                break;
        }
        double dt = ts_now() - t0;
        printf("  N = %6d: %8.1f ns per slot\n", N, 1e9 * dt / (double)T);
        free(st);
        free(theta);
    }
    return TS_EXIT_OK;
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
    /* The replica lanes (engine_lanes.c) where the experiment allows them,
     * then the one-replica path on the same work, for comparison. */
    printf("replica lanes: %s\n", ts_lanes_eligible(x, &pt)
                                      ? "yes (8 replicas per vector)"
                                      : "not available for this configuration");
    double t1 = time_run(x, &pt, 1, 0, a.reps, &e, &rc);
    if (rc) {
        fprintf(stderr, "truthsim bench: %s\n", e.msg);
        ts_experiment_free(x);
        return ts_cli_exit_code(rc);
    }
    printf("threads 1: %.3f s, %.3g updates/s per core (goal >= 5e8)\n", t1,
           updates / t1);
    if (maxt > 1) {
        double tn = time_run(x, &pt, maxt, 0, a.reps, &e, &rc);
        if (!rc)
            printf("threads %d: %.3f s, %.3g updates/s, %.3g per core, "
                   "speed-up %.2fx (goal >= 1.9x on 2)\n",
                   maxt, tn, updates / tn, updates / tn / maxt, t1 / tn);
    } else {
        printf("threads: only 1 available (OMP_NUM_THREADS or a build without OpenMP)\n");
    }
    if (!rc) {
        double tg = time_run(x, &pt, 1, 1, a.reps, &e, &rc);
        if (!rc)
            printf("one replica at a time (--no-lanes), threads 1: %.3f s, "
                   "%.3g updates/s per core\n", tg, updates / tg);
    }
    ts_experiment_free(x);
    if (rc)
        return ts_cli_exit_code(rc);

    /* Limited feedback (issue: N = 50, m = 20, T = 20000).  The engine's
     * slot still draws every worker's beliefs, which the regret comparator
     * of eq. (12) needs (O(N m)); the mechanism's own work per slot --
     * theta, the draw, aggregate and update -- must be O(m + N), which the
     * sweep over N below shows. */
    snprintf(text, sizeof text,
             "name: bench\nfeedback: limited\npopulation: bands\nN: %d\nm: %d\n"
             "T: 20000\nmechanisms: [ours]\nreplicas: %d\nseed: 7\n",
             a.N, a.m, a.R / 4 > 0 ? a.R / 4 : 1);
    rc = ts_experiment_load(&x, "<bench>", text, 0, NULL, &e);
    if (!rc)
        rc = ts_experiment_point(x, 0, &pt, &e);
    if (rc) {
        fprintf(stderr, "truthsim bench: %s\n", e.msg);
        return ts_cli_exit_code(rc);
    }
    double tl = time_run(x, &pt, 1, 0, a.reps, &e, &rc);
    if (!rc) {
        double slots = 20000.0 * x->replicas;
        printf("limited feedback (ours, Def. 5), N = %d, m = %d, T = 20000: "
               "%.3g slots/s, %.3g worker-prompt-slot belief updates/s per core\n",
               a.N, a.m, slots / tl, slots * a.N * a.m / tl);
    }
    ts_experiment_free(x);
    if (rc)
        return ts_cli_exit_code(rc);
    return bench_mechanism_slot(a.m);
}

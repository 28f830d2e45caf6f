/* run_experiment.c -- run an experiment file from C and write its results,
 * as `truthsim run EXPERIMENT.yaml -o OUT.h5` does (without resuming).
 *   cc -o run_experiment run_experiment.c $(pkg-config --cflags --libs truthsim)
 *   ./run_experiment experiments/fig7.yaml fig7.h5 */
#include <stdio.h>
#include <truthsim/truthsim.h>

int main(int argc, char **argv)
{
    ts_err e;
    ts_experiment *x = NULL;
    ts_sweep sw;
    ts_err_clear(&e);
    if (argc != 3 || ts_experiment_load(&x, argv[1], NULL, 0, NULL, &e) ||
        ts_sweep_alloc(&sw, x, &e))
        return fprintf(stderr, "usage: %s EXP.yaml OUT.h5 (%s)\n", argv[0], e.msg), 2;
    ts_run_opts opts = {0};
    for (long p = 0; p < x->n_points && !e.code; p++) {
        ts_point pt;
        ts_point_result res;
        if (ts_experiment_point(x, p, &pt, &e) || ts_point_result_alloc(&res, x, &pt, &e))
            break;
        if (!ts_engine_run_point(x, &pt, &opts, &res, &e))
            ts_sweep_add_point(&sw, &pt, &res);
        ts_point_result_free(&res);
    }
    ts_provenance prov = {.command_line = "run_experiment"};
    if (!e.code)
        ts_sweep_write(&sw, argv[2], &prov, &e);
    ts_sweep_free(&sw);
    ts_experiment_free(x);
    return e.code ? fprintf(stderr, "%s\n", e.msg), 1 : 0;
}

/* e2e.c -- `truthsim run` on an end-to-end experiment (`kind: e2e`;
 * src/e2e/e2e_exp.h): load, run every (cell, replica), write one HDF5
 * file.  run.c hands such a file over after parsing its options; the
 * options mean the same (-o, -j, --set, -q, -t).  Point files and resume
 * are not offered for these files (left out: each grid cell is minutes of
 * DPO, and the grid is small). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "e2e/e2e_exp.h"
#include "base/err.h"

int ts_cli_run_e2e(const char *path, const char *out, int n_set,
                   char *const *set, int threads, int quiet, int timing,
                   const ts_cli_env *env)
{
    ts_err e;
    ts_err_clear(&e);
    ts_e2e_exp *x = NULL;
    int rc = ts_e2e_exp_load(&x, path, n_set, set, &e);
    char buf[512];
    if (!rc && !out) {
        snprintf(buf, sizeof buf, "%s.h5", x->name);
        out = buf;
    }
    const size_t n = rc ? 0 : (size_t)ts_e2e_exp_cells(x) * (size_t)x->replicas *
                                  (size_t)x->rounds * TS_E2E_N_METRIC;
    double *res = rc ? NULL : calloc(n, sizeof *res);
    if (!rc && !res)
        rc = TS_ERROR(&e, TS_ENOMEM, "out of memory");
    if (!rc && !quiet)
        fprintf(stderr, "truthsim run: %s: %ld cells x %ld replicas x %ld "
                "rounds of DPO\n", x->name, ts_e2e_exp_cells(x), x->replicas,
                x->rounds);
    ts_e2e_timing tm = {0, 0, 0};
    if (!rc)
        rc = ts_e2e_exp_run(x, threads, env ? env->stop : NULL, res, &tm, &e);
    if (!rc)
        rc = ts_e2e_exp_write(x, res, out, env ? env->command_line : NULL,
                              env ? env->stop : NULL, &e);
    if (!rc && timing)
        fprintf(stderr, "truthsim run: thread-seconds: simulation %.3f, "
                "aggregation %.3f, DPO %.3f\n", tm.simulation, tm.aggregation,
                tm.dpo);
    if (rc)
        fprintf(stderr, "truthsim run: %s\n", e.msg);
    else if (!quiet)
        fprintf(stderr, "truthsim run: wrote %s\n", out);
    free(res);
    ts_e2e_exp_free(x);
    return ts_cli_exit_code(rc);
}

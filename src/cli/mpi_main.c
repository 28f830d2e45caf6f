/* mpi_main.c -- truthsim-mpi: `truthsim-mpi run ...` takes the arguments of
 * `truthsim run` and spreads the grid points over MPI ranks (run.c with
 * mpi_run.c's distribution hook).  Like main.c it owns the process's one
 * signal flag, turns GSL's abort handler off and silences HDF5's own
 * error printing (we report our own one-line messages) before anything
 * runs. */
#include <gsl/gsl_errno.h>
#include <hdf5.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    gsl_set_error_handler_off();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    ts_cli_dist dist;
    ts_cli_mpi_dist(&dist);
    if (argc < 2 || strcmp(argv[1], "run")) {
        if (dist.rank == 0)
            fprintf(stderr, "usage: truthsim-mpi run [EXPERIMENT.yaml] -o OUT.h5 "
                            "[options of truthsim run]\n");
        MPI_Finalize();
        return TS_EXIT_USAGE;
    }
    ts_cli_env env;
    char *cmdline = ts_cli_env_init(&env, &stop_requested, on_signal, argc, argv);
    env.dist = &dist;
    int rc = ts_cli_run(argc - 1, argv + 1, &env);
    free(cmdline);
    MPI_Finalize();
    return rc;
}

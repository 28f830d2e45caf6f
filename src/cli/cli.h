/* cli.h -- the subcommands of the truthsim program.  Each takes argv with
 * argv[0] = its own name, parses with argp (so every one has --help), and
 * returns the process exit status, one scheme for every command (README
 * "Safety"; sysexits.h's numbers):
 *   0 success; 1 finished, but some replicas or checks failed (reported);
 *   64 bad option or argument; 65 bad input data; 66 an input file missing
 *   or unreadable; 70 internal error (out of memory, a bug); 73 an output
 *   file cannot be created; 74 an I/O error while reading or writing;
 *   130 interrupted (SIGINT/SIGTERM; no partial output). */
#ifndef TS_CLI_H
#define TS_CLI_H

#include <signal.h>

#include "base/err.h"

struct ts_experiment;

enum { TS_EXIT_OK = 0, TS_EXIT_FAILED = 1, TS_EXIT_USAGE = 64,
       TS_EXIT_DATA = 65, TS_EXIT_NOINPUT = 66, TS_EXIT_SOFTWARE = 70,
       TS_EXIT_CANTCREAT = 73, TS_EXIT_IO = 74, TS_EXIT_INTR = 130 };

/* The scheme above, as one paragraph for every command's --help. */
#define TS_CLI_EXIT_HELP                                                      \
    "Exit status: 0 ok; 1 finished but some runs or checks failed; 64 bad "   \
    "option; 65 bad input data; 66 input file missing or unreadable; 70 "     \
    "internal error or out of memory; 73 cannot create the output; 74 I/O "   \
    "error; 130 interrupted (nothing partial is left)."

/* Run grid point p (its point file written); TS_EINTR when stopped. */
typedef int (*ts_cli_point_fn)(void *ctx, long p, ts_err *e);

/* The grid points a distributed run hands out: n_points, those already
 * completed ([n_points] flags), and a cost of each (the largest go
 * first, so the long points start early; NULL: grid order). */
typedef struct ts_cli_grid {
    long n_points;
    const unsigned char *completed;
    double (*cost)(const void *ctx, long p);
    const void *ctx;
} ts_cli_grid;

/* Grid points spread over processes: truthsim-mpi's hook (mpi_run.c), so
 * that `run` itself knows no MPI.  Rank 0 runs `master`, which hands the
 * points not yet completed to the other ranks and returns when all are
 * done, interrupted (*stop) or one failed; the others run `worker`, which
 * calls run_point for each point it is given.  Both set *interrupted;
 * master also *failed.  Ordinary and end-to-end experiments both use it
 * (run.c, e2e.c). */
typedef struct ts_cli_dist {
    int rank, size;
    int (*master)(const ts_cli_grid *g, volatile sig_atomic_t *stop,
                  int *interrupted, int *failed, ts_err *e);
    int (*worker)(ts_cli_point_fn run_point, void *ctx, int *interrupted,
                  ts_err *e);
} ts_cli_dist;

/* What main hands every command. */
typedef struct ts_cli_env {
    volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM (main's handler);
                                    long commands poll it                */
    const char *command_line;    /* the whole command, for provenance    */
    const ts_cli_dist *dist;     /* NULL: this process runs every point  */
} ts_cli_env;

int ts_cli_run(int argc, char **argv, const ts_cli_env *env);
/* `truthsim run` on a `kind: e2e` file (e2e.c; run.c hands it over with
 * the options it parsed). */
typedef struct ts_cli_e2e_args {
    const char *path, *out;
    int n_set;
    char *const *set;
    int threads, quiet, force, timing;
} ts_cli_e2e_args;
int ts_cli_run_e2e(const ts_cli_e2e_args *a, const ts_cli_env *env);
int ts_cli_replay(int argc, char **argv, const ts_cli_env *env);
int ts_cli_bench(int argc, char **argv, const ts_cli_env *env);
int ts_cli_list(int argc, char **argv, const ts_cli_env *env);
int ts_cli_check(int argc, char **argv, const ts_cli_env *env);
int ts_cli_merge(int argc, char **argv, const ts_cli_env *env);
int ts_cli_overtake(int argc, char **argv, const ts_cli_env *env);
int ts_cli_best_response(int argc, char **argv, const ts_cli_env *env);
/* `truthsim dpo` (dpo.c).  On an error prints one line "truthsim dpo:
 * ..." to stderr and leaves no partial output file.  ts_cli_dpo is the
 * same without the command line in the file's provenance. */
int ts_cli_dpo_env(int argc, char **argv, const ts_cli_env *env);
int ts_cli_dpo(int argc, char **argv);
/* `truthsim plot` (plot.c): needs no environment, as it only reads. */
int ts_cli_plot(int argc, char **argv);
/* The same, stopping (exit 130, nothing written) when *stop is set. */
int ts_cli_plot_stop(int argc, char **argv, const volatile sig_atomic_t *stop);

/* Exit status for a library status code (inline: tests compile single
 * commands' sources without run.c). */
static inline int ts_cli_exit_code(int rc)
{
    switch (rc) {
    case 0:
        return TS_EXIT_OK;
    case TS_EINPUT:
    case TS_EUNSUPP:
    case TS_ENONFINITE:
        return TS_EXIT_DATA;
    case TS_ENOINPUT:
        return TS_EXIT_NOINPUT;
    case TS_ECREATE:
        return TS_EXIT_CANTCREAT;
    case TS_EIO:
        return TS_EXIT_IO;
    case TS_EINTR:
        return TS_EXIT_INTR;
    default: /* TS_EINVAL, TS_ENOMEM, TS_ENOCONV escaping: ours */
        return TS_EXIT_SOFTWARE;
    }
}

/* The start both programs share (main.c, mpi_main.c): SIGINT and SIGTERM
 * call `handler`, which sets *stop; env gets stop, the command line (argv
 * joined by spaces, for provenance) and no distribution hook.  Returns
 * that string, for the caller to free, or NULL (out of memory: the
 * command line is then ""). */
char *ts_cli_env_init(ts_cli_env *env, volatile sig_atomic_t *stop,
                      void (*handler)(int), int argc, char **argv);

/* truthsim-mpi only (mpi_run.c, after MPI_Init): the MPI hook, with this
 * process's rank and the number of ranks. */
void ts_cli_mpi_dist(ts_cli_dist *d);

#endif

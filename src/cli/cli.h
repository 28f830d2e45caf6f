/* cli.h -- the subcommands of the truthsim program.  Each takes argv with
 * argv[0] = its own name, parses with argp (so every one has --help), and
 * returns the process exit status:
 *   0 success; 1 finished, but some replicas or checks failed (reported);
 *   2 bad input or usage (nothing written); 3 an I/O or internal error;
 *   130 interrupted (finished work kept). */
#ifndef TS_CLI_H
#define TS_CLI_H

#include <signal.h>

enum { TS_EXIT_OK = 0, TS_EXIT_FAILED = 1, TS_EXIT_USAGE = 2, TS_EXIT_IO = 3,
       TS_EXIT_INTR = 130 };

/* Set by SIGINT/SIGTERM (main's handler); long commands poll it. */
typedef struct ts_cli_env {
    volatile sig_atomic_t *stop;
    const char *command_line; /* the whole command, for provenance */
} ts_cli_env;

int ts_cli_run(int argc, char **argv, const ts_cli_env *env);
int ts_cli_replay(int argc, char **argv, const ts_cli_env *env);
int ts_cli_bench(int argc, char **argv, const ts_cli_env *env);
int ts_cli_list(int argc, char **argv, const ts_cli_env *env);
int ts_cli_check(int argc, char **argv, const ts_cli_env *env);
int ts_cli_merge(int argc, char **argv, const ts_cli_env *env);
int ts_cli_overtake(int argc, char **argv, const ts_cli_env *env);
int ts_cli_best_response(int argc, char **argv, const ts_cli_env *env);

/* Exit status for a library status code. */
int ts_cli_exit_code(int rc);

/* The start both programs share (main.c, mpi_main.c): SIGINT and SIGTERM
 * call `handler`, which sets *stop; env gets stop and the command line
 * (argv joined by spaces, for provenance).  Returns that string, for the
 * caller to free, or NULL (out of memory: the command line is then ""). */
char *ts_cli_env_init(ts_cli_env *env, volatile sig_atomic_t *stop,
                      void (*handler)(int), int argc, char **argv);

#endif

/* main.c -- the truthsim program: dispatches to the subcommands.
 *
 * The one piece of process-wide state in the project lives here: the flag
 * the SIGINT/SIGTERM handler sets (a signal handler can reach nothing
 * else).  It is handed to every command through ts_cli_env.  main also
 * turns GSL's abort-on-error handler off before any thread starts
 * (STYLE §4): every GSL status is checked where it is returned; and it
 * silences HDF5's own error printing, once for the whole process: every
 * HDF5 status is checked too, and reported as one line of ours. */
#include <gsl/gsl_errno.h>
#include <hdf5.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ts_config.h"
#include "ts_vcs.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct command {
    const char *name;
    const char *doc;
    int (*run)(int argc, char **argv, const ts_cli_env *env);
} command;

static int run_plot(int argc, char **argv, const ts_cli_env *env)
{
    return ts_cli_plot_stop(argc, argv, env->stop);
}

static const command commands[] = {
    {"run", "run an experiment (YAML) and write HDF5 results", ts_cli_run},
    {"replay", "run a mechanism on recorded reports (CSV)", ts_cli_replay},
    {"plot", "draw the pictures of a result file with gnuplot", run_plot},
    {"dpo", "fine-tune a small GPT-style policy with DPO on preference labels", ts_cli_dpo_env},
    {"best-response", "single-slot best responses r*(q) of a mechanism", ts_cli_best_response},
    {"merge", "merge a run's point files into one result file", ts_cli_merge},
    {"check", "run the paper's claims and print PASS/FAIL", ts_cli_check},
    {"overtake", "how fast a better newcomer overtakes (Prop. 2)", ts_cli_overtake},
    {"bench", "measure the engine's speed", ts_cli_bench},
    {"list", "list mechanisms, populations, strategies and their parameters", ts_cli_list},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: truthsim COMMAND [ARGS...]   (truthsim COMMAND --help)\n\n"
               "Checks by simulation whether an online aggregation mechanism is\n"
               "truthful and efficient (Hao & Duan, Truthful Online Preference\n"
               "Aggregation for LLM Fine-Tuning).\n\nCommands:\n");
    for (const command *c = commands; c->name; c++)
        fprintf(f, "  %-14s %s\n", c->name, c->doc);
    fprintf(f, "\ntruthsim %s (%s)\n", TS_VERSION, TS_GIT_COMMIT);
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (argc < 2) {
        usage(stderr);
        return TS_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return TS_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("truthsim %s (%s)\n", TS_VERSION, TS_GIT_COMMIT);
        return TS_EXIT_OK;
    }
    ts_cli_env env;
    char *cmdline = ts_cli_env_init(&env, &stop_requested, on_signal, argc, argv);
    for (const command *c = commands; c->name; c++)
        if (!strcmp(argv[1], c->name)) {
            int rc = c->run(argc - 1, argv + 1, &env);
            free(cmdline);
            return rc;
        }
    fprintf(stderr, "truthsim: unknown command '%s'\n", argv[1]);
    usage(stderr);
    free(cmdline);
    return TS_EXIT_USAGE;
}

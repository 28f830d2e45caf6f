/* args.h -- what the subcommands share when they read argv and end a
 * result file: one parser per kind of option value (each rejects bad
 * input through argp_error, i.e. one line and exit 2), one splitter for
 * --set KEY=NUMBER, and one closing step for an HDF5 result file.  What
 * each option means stays in its subcommand; nothing here prints except
 * through argp. */
#ifndef TS_CLI_ARGS_H
#define TS_CLI_ARGS_H

#include <stddef.h>

#include "base/err.h"
#include "base/h5util.h"

struct argp;
struct argp_state;
struct ts_registry;

/* --plugin PATH.so (repeatable), shared by run, replay, best-response and
 * check as an argp child: the command's parser sets
 * state->child_inputs[k] to its ts_cli_plugins at ARGP_KEY_INIT. */
#define TS_CLI_MAX_PLUGINS 16
typedef struct ts_cli_plugins {
    const char *path[TS_CLI_MAX_PLUGINS];
    int n;
} ts_cli_plugins;
extern const struct argp ts_cli_plugin_argp;

/* A registry of the built-ins and the plugins given (game/registry.h), for
 * the caller to ts_registry_free; NULL and one line in e when a plugin is
 * refused ("p.so: plugin API version 2, this truthsim has 1 ..."). */
struct ts_registry *ts_cli_registry(const ts_cli_plugins *p, ts_err *e);

/* The experiment's hash (results/points.h), which names its point files
 * for resuming and merging; with plugins loaded, the hash of that and
 * their SHA-256s: a changed plugin is a different experiment. */
struct ts_experiment;
int ts_cli_experiment_hash(const struct ts_experiment *x,
                           const struct ts_registry *r, char hash[65],
                           ts_err *e);

/* Name the registry's plugins, if any, in the file at path (written and
 * closed by a writer that knows no plugins): its root attribute
 * `plugins`, "PATH sha256:HEX" a line.  On failure the file is removed
 * (no partial output) and TS_EIO returned. */
int ts_cli_provenance_plugins(const struct ts_registry *r, const char *path,
                              ts_err *e);

/* `opt ARG` as a decimal integer >= lo ("--replicas 200"). */
long ts_cli_arg_long(struct argp_state *state, const char *opt,
                     const char *arg, long lo);

/* --threads K: an OpenMP thread count, K >= 1. */
int ts_cli_arg_threads(struct argp_state *state, const char *arg);

/* --seed S: a non-negative decimal integer. */
unsigned long long ts_cli_arg_seed(struct argp_state *state, const char *arg);

/* --set KEY=VALUE: keeps arg in set[*n] (at most max of them). */
void ts_cli_arg_set(struct argp_state *state, char **set, int *n, int max,
                    char *arg);

/* A required option or argument: "WHAT is required" unless given. */
void ts_cli_arg_require(struct argp_state *state, const void *given,
                        const char *what);

/* s = "KEY=NUMBER" with a finite NUMBER: *v = NUMBER and the length of
 * KEY (s up to the '='), or -1 when s is not of that form. */
long ts_cli_set_split(const char *s, double *v);

/* The end of a result file: kept when nothing failed (!bad) and *stop
 * (SIGINT/SIGTERM) is still down just before the rename, else discarded:
 * TS_EIO "PATH: WHAT failed", or TS_EINTR. */
int ts_cli_h5_finish(ts_h5file *f, int bad, const char *path,
                     const char *what, const volatile sig_atomic_t *stop,
                     ts_err *e);

#endif

/* cli_merge.c -- `truthsim merge OUT.h5.points -o OUT.h5`: the consolidated
 * result file from a directory of point files (docs/results-format.md),
 * with NaN for missing points and the `completed` mask.  The experiment is
 * the one stored in the point files; every file must carry its hash. */
#include <argp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/outfile.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "game/registry.h"
#include "results/points.h"

typedef struct merge_args {
    const char *dir, *out;
    ts_cli_plugins plugins;
} merge_args;

static const struct argp_option options[] = {
    {"output", 'o', "OUT.h5", 0, "The merged result file (required)", 0},
    {0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
    merge_args *a = state->input;
    switch (key) {
    case 'o': a->out = arg; break;
    case ARGP_KEY_INIT: state->child_inputs[0] = &a->plugins; break;
    case ARGP_KEY_ARG:
        if (a->dir)
            argp_error(state, "one directory at a time");
        a->dir = arg;
        break;
    case ARGP_KEY_END:
        if (!a->dir || !a->out)
            argp_error(state, "usage: truthsim merge OUT.h5.points -o OUT.h5");
        break;
    default:
        return ARGP_ERR_UNKNOWN;
    }
    return 0;
}

static const struct argp_child children[] = {
    {&ts_cli_plugin_argp, 0, NULL, 0},
    {0},
};

static const struct argp argp = {
    options, parse_opt, "OUT.h5.points",
    "Merge the point files a run left in OUT.h5.points into one result file. "
    "A run with --plugin needs the same --plugin here.\v" TS_CLI_EXIT_HELP,
    children, NULL, NULL,
};

/* The points of a.dir into a.out; the exit status. */
static int merge(const merge_args *pa, ts_registry *reg, const ts_cli_env *env)
{
    merge_args a = *pa;
    ts_err e;
    ts_err_clear(&e);
    /* A doomed output is refused before the point files are read. */
    if (ts_out_probe(a.out, &e)) {
        fprintf(stderr, "truthsim merge: %s\n", e.msg);
        return ts_cli_exit_code(e.code);
    }
    /* The experiment, from the first point file found. */
    DIR *d = opendir(a.dir);
    if (!d) {
        fprintf(stderr, "truthsim merge: %s: cannot open the directory\n", a.dir);
        return TS_EXIT_NOINPUT;
    }
    char first[4096] = "";
    struct dirent *de;
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, "point-", 6) && strlen(de->d_name) == 15 &&
            !strcmp(de->d_name + 12, ".h5")) {
            snprintf(first, sizeof first, "%s/%s", a.dir, de->d_name);
            break;
        }
    closedir(d);
    if (!first[0]) {
        fprintf(stderr, "truthsim merge: %s: no point files (point-NNNNNN.h5)\n", a.dir);
        return TS_EXIT_DATA;
    }
    char *exp_path = NULL;
    char *text = ts_point_experiment(first, &exp_path, &e);
    ts_experiment *x = NULL;
    /* Loaded under its original path, so names derived from it match. */
    int rc = text ? ts_experiment_load_reg(&x, exp_path, text, 0, NULL, reg, &e)
                  : TS_EIO;
    free(text);
    free(exp_path);
    ts_sweep sw;
    char hash[65];
    long n = 0;
    if (!rc)
        rc = ts_sweep_alloc(&sw, x, &e);
    if (!rc) {
        rc = ts_cli_experiment_hash(x, reg, hash, &e);
        if (!rc)
            rc = ts_points_load_stop(&sw, a.dir, hash, 0, env->stop, &n, &e);
        /* Ctrl-C while reading: stop before writing (exit 130, no file). */
        if (!rc && env->stop && *env->stop)
            rc = TS_ERROR(&e, TS_EINTR, "interrupted");
        char plugins[4096];
        ts_registry_provenance(reg, plugins, sizeof plugins);
        ts_provenance prov = {.command_line = env->command_line,
                              .plugins = plugins};
        if (!rc)
            rc = ts_sweep_write(&sw, a.out, &prov, &e);
        ts_sweep_free(&sw);
    }
    ts_experiment_free(x);
    if (rc) {
        fprintf(stderr, "truthsim merge: %s\n", e.msg);
        return ts_cli_exit_code(rc);
    }
    printf("%s: %ld points merged\n", a.out, n);
    return TS_EXIT_OK;
}

int ts_cli_merge(int argc, char **argv, const ts_cli_env *env)
{
    merge_args a;
    memset(&a, 0, sizeof a);
    argp_parse(&argp, argc, argv, 0, NULL, &a);
    ts_err e;
    ts_err_clear(&e);
    ts_registry *reg = ts_cli_registry(&a.plugins, &e);
    if (!reg) {
        fprintf(stderr, "truthsim merge: %s\n", e.msg);
        return ts_cli_exit_code(e.code);
    }
    int status = merge(&a, reg, env);
    ts_registry_free(reg);
    return status;
}

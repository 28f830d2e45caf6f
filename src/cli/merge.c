/* cli_merge.c -- `truthsim merge OUT.h5.points -o OUT.h5`: the consolidated
 * result file from a directory of point files (docs/results-format.md),
 * with NaN for missing points and the `completed` mask.  The experiment is
 * the one stored in the point files; every file must carry its hash.  An
 * end-to-end experiment's points (cli/e2e.h) merge the same way into its
 * own file, which needs every point. */
#include <argp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/outfile.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/e2e.h"
#include "cli/sandbox.h"
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

/* A point file's name, as ts_points_load reads it: point-NNNNNN.h5. */
static int point_name(const char *name, long *p)
{
    char tail[8];
    return sscanf(name, "point-%ld.h5%7s", p, tail) == 1 &&
           !strncmp(name, "point-", 6);
}

/* What merge reads: the experiment from the first point file -- an
 * ordinary one (x and its sweep) or an end-to-end one (cli/e2e.h) --
 * its point-file view and hash; then every point file of dir. */
typedef struct merge_in {
    const char *dir, *first;
    ts_registry *reg;
} merge_in;

typedef struct merged {
    ts_experiment *x;
    ts_sweep sw;
    int have_sw, is_e2e;
    ts_cli_e2e e2e;
    ts_points *ps; /* &view or &e2e.ps                                 */
    ts_points view;
    char hash[65];
} merged;

static void merged_free(merged *m)
{
    if (m->have_sw)
        ts_sweep_free(&m->sw);
    ts_experiment_free(m->x);
    if (m->is_e2e)
        ts_cli_e2e_free(&m->e2e);
    memset(m, 0, sizeof *m);
}

static int read_experiment(const char *first, ts_registry *reg,
                           const volatile sig_atomic_t *stop, merged *m,
                           ts_err *e)
{
    char *exp_path = NULL, *source = NULL;
    char *text = ts_point_experiment(first, &exp_path, e);
    memset(m, 0, sizeof *m);
    int rc = text ? TS_OK : (e->code ? e->code : TS_EIO);
    if (!rc && ts_e2e_text_is(exp_path, text)) {
        m->is_e2e = 1;
        source = ts_point_source(first); /* NULL: the canonical text */
        rc = ts_cli_e2e_from_text(&m->e2e, exp_path, text, source, e);
        m->ps = &m->e2e.ps;
        memcpy(m->hash, m->e2e.hash, sizeof m->hash);
    } else if (!rc) {
        /* Loaded under its original path, so names derived from it match. */
        rc = ts_experiment_load_stop(&m->x, exp_path, text, 0, NULL, reg,
                                     stop, e);
        if (!rc)
            rc = ts_sweep_alloc(&m->sw, m->x, e);
        m->have_sw = !rc;
        if (!rc)
            rc = ts_cli_experiment_hash(m->x, reg, m->hash, e);
        if (!rc)
            ts_points_of_sweep(&m->view, &m->sw, NULL);
        m->ps = &m->view;
    }
    free(text);
    free(exp_path);
    free(source);
    if (rc)
        merged_free(m);
    return rc;
}

/* The merged file. */
static int merged_write(merged *m, const char *dir, const char *out,
                        ts_registry *reg, const ts_cli_env *env, ts_err *e)
{
    if (m->is_e2e)
        return ts_cli_e2e_write(&m->e2e, out, dir, env->command_line,
                                env->stop, e);
    char plugins[4096];
    ts_registry_provenance(reg, plugins, sizeof plugins);
    ts_provenance prov = {.command_line = env->command_line,
                          .plugins = plugins};
    return ts_sweep_write_stop(&m->sw, out, &prov, env->stop, e);
}

/* The child's pass (cli/sandbox.h): every point file read as
 * ts_points_load reads it, each named before libhdf5 opens it, so a crash
 * is blamed on its file.  A refusal of ours ends the pass quietly: the
 * parent, reading the same files in the same order, reports it. */
static int probe(void *ctx, ts_sandbox *sb, ts_err *e)
{
    const merge_in *mi = ctx;
    ts_sandbox_note(sb, mi->first);
    merged m;
    /* NULL: the parent stops this child on a signal (cli/sandbox.h). */
    int rc = read_experiment(mi->first, mi->reg, NULL, &m, e);
    if (rc)
        return rc;
    DIR *d = opendir(mi->dir);
    struct dirent *de;
    char path[4096];
    long p;
    while (!rc && d && (de = readdir(d)))
        if (point_name(de->d_name, &p)) {
            snprintf(path, sizeof path, "%s/%s", mi->dir, de->d_name);
            ts_sandbox_note(sb, path);
            rc = ts_sandbox_sniff(path, NULL, e);
            if (!rc && p >= 0 && p < m.ps->n_points &&
                ts_points_read_one(m.ps, p, path, m.hash, e) == TS_EINPUT)
                break;
        }
    if (d)
        closedir(d);
    merged_free(&m);
    return rc;
}

/* The point files' total size (each sniffed: HDF5 at all?), for limits. */
static int sniff_all(const char *dir, long long *total, ts_err *e)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[4096];
    long p;
    int rc = TS_OK;
    *total = 0;
    while (!rc && d && (de = readdir(d)))
        if (point_name(de->d_name, &p)) {
            long long size = 0;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            rc = ts_sandbox_sniff(path, &size, e);
            *total += size;
        }
    if (d)
        closedir(d);
    return rc;
}

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
    /* Point files may come from anyone: a limited child reads them all
     * first (cli/sandbox.h), so one that crashes or hangs libhdf5 ends in
     * one line naming it, not in a signal. */
    merge_in mi = {a.dir, first, reg};
    long long total = 0;
    int rc = sniff_all(a.dir, &total, &e);
    if (!rc)
        rc = ts_sandbox_run(a.dir, probe, &mi, ts_sandbox_timeout(total),
                            ts_sandbox_as_limit(total), env->stop, &e);
    merged mg;
    long n = 0;
    if (!rc)
        rc = read_experiment(first, reg, env->stop, &mg, &e);
    if (!rc) {
        rc = ts_points_load_all(mg.ps, a.dir, mg.hash, 0, env->stop, &n, &e);
        /* Ctrl-C while reading: stop before writing (exit 130, no file). */
        if (!rc && env->stop && *env->stop)
            rc = TS_ERROR(&e, TS_EINTR, "interrupted");
        if (!rc)
            rc = merged_write(&mg, a.dir, a.out, reg, env, &e);
        merged_free(&mg);
    }
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

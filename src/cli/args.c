/* args.c -- the option-value parsers and the result-file closing step the
 * subcommands share (args.h).  Integers are read with errno and the end
 * pointer checked, so "", "12x" and out-of-range values are all refused;
 * option semantics (defaults, which options are required) are left to
 * each subcommand. */
#include "cli/args.h"

#include <argp.h>
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/h5util.h"
#include "base/sha256.h"
#include "game/registry.h"
#include "results/points.h"
#include "ts_config.h"
#include "ts_vcs.h"

/* argp's one hook for --version (-V): defining it gives every subcommand
 * parsed with argp the option, printing this line.  Set once here, at
 * compile time, and never changed; the program, not the library, owns it. */
const char *argp_program_version = "truthsim " TS_VERSION " (" TS_GIT_COMMIT ")";

static error_t parse_plugin(int key, char *arg, struct argp_state *state)
{
    ts_cli_plugins *p = state->input;
    if (key != 'P')
        return ARGP_ERR_UNKNOWN;
    if (!p)
        return ARGP_ERR_UNKNOWN;
    if (p->n == TS_CLI_MAX_PLUGINS)
        argp_error(state, "at most %d --plugin options", TS_CLI_MAX_PLUGINS);
    p->path[p->n++] = arg;
    return 0;
}

static const struct argp_option plugin_options[] = {
    {"plugin", 'P', "PATH.so", 0, "Load mechanisms, populations or strategies "
     "from a plugin (a shared object; README \"Plugins\"); repeatable", 0},
    {0},
};

const struct argp ts_cli_plugin_argp = {plugin_options, parse_plugin, NULL,
                                        NULL, NULL, NULL, NULL};

ts_registry *ts_cli_registry(const ts_cli_plugins *p, ts_err *e)
{
    ts_registry *r = ts_registry_new(e);
    for (int k = 0; r && p && k < p->n; k++)
        if (ts_registry_load(r, p->path[k], e)) {
            ts_registry_free(r);
            r = NULL;
        }
    return r;
}

long ts_cli_arg_long(struct argp_state *state, const char *opt,
                     const char *arg, long lo)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (*end || end == arg || errno || v < lo)
        argp_error(state, "%s %s: expected an integer >= %ld", opt, arg, lo);
    return v;
}

int ts_cli_arg_threads(struct argp_state *state, const char *arg)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (*end || end == arg || errno || v < 1 || v > 1L << 20)
        argp_error(state, "--threads %s: expected a positive integer", arg);
    return (int)v;
}

unsigned long long ts_cli_arg_seed(struct argp_state *state, const char *arg)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*end || errno || arg[0] == '-' || end == arg)
        argp_error(state, "--seed %s: expected a non-negative integer", arg);
    return v;
}

void ts_cli_arg_set(struct argp_state *state, char **set, int *n, int max,
                    char *arg)
{
    if (*n == max)
        argp_error(state, "at most %d --set options", max);
    set[(*n)++] = arg;
}

void ts_cli_arg_require(struct argp_state *state, const void *given,
                        const char *what)
{
    if (!given)
        argp_error(state, "%s is required", what);
}

long ts_cli_set_split(const char *s, double *v)
{
    const char *eq = strchr(s, '=');
    char *end = NULL;
    *v = eq ? strtod(eq + 1, &end) : NAN;
    if (!eq || !end || *end || end == eq + 1 || !isfinite(*v))
        return -1;
    return (long)(eq - s);
}

int ts_cli_h5_finish(ts_h5file *f, int bad, const char *path,
                     const char *what, const volatile sig_atomic_t *stop,
                     ts_err *e)
{
    f->out.stop = stop;
    if (bad) {
        ts_h5_close(f, 0, e);
        return TS_ERROR(e, TS_EIO, "%s: %s failed", path, what);
    }
    return ts_h5_close(f, 1, e);
}

int ts_cli_provenance_plugins(const ts_registry *r, const char *path,
                              ts_err *e)
{
    char text[4096];
    if (!r || !r->n_plugins)
        return TS_OK;
    int bad = ts_registry_provenance(r, text, sizeof text) != 0;
    hid_t f = bad ? H5I_INVALID_HID : H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    bad |= f < 0;
    if (f >= 0) {
        bad |= ts_h5_attr_str(f, "plugins", text) != 0;
        bad |= H5Fclose(f) < 0;
    }
    if (bad) {
        remove(path);
        return TS_ERROR(e, TS_EIO, "%s: cannot record the plugins in the file",
                        path);
    }
    return TS_OK;
}

int ts_cli_experiment_hash(const ts_experiment *x, const ts_registry *r,
                           char hash[65], ts_err *e)
{
    int rc = ts_experiment_hash(x, hash, e);
    if (rc || !r || !r->n_plugins)
        return rc;
    /* The files' contents, not their paths: a merge from another
     * directory names the same plugins differently. */
    ts_sha256 h;
    ts_sha256_init(&h);
    ts_sha256_update(&h, hash, strlen(hash));
    for (int k = 0; k < r->n_plugins; k++)
        ts_sha256_update(&h, r->plugin[k].sha256, 64);
    ts_sha256_hex(&h, hash);
    return TS_OK;
}

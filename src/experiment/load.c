/* load.c -- an experiment file, from its path to a read-only
 * ts_experiment (experiment.h): read the text, parse it and the --set
 * arguments (yaml.c), interpret and check every key and resolve every
 * grid point once (interpret.c, resolve.c).  Also the embedded default
 * experiment.  The lookups every stage shares are in experiment.c.  See
 * experiment.h for the rules; SPEC §7.2 for the keys. */
#include "experiment/experiment_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char ts_default_experiment[] =
    "# The embedded default of `truthsim run`: the paper's Fig. 7 (Sec. VII-A)\n"
    "# at a reduced replica count.  experiments/fig7.yaml has the full one.\n"
    "name: fig7-default\n"
    "description: \"Fig. 7: time-average regret of em, hedge, median and ours, full feedback, N = 50\"\n"
    "feedback: full\n"
    "population: bands\n"
    "N: 50\n"
    "m: 20\n"
    "T: [100, 200, 500, 1000, 2000, 5000]\n"
    "epsilon: 0\n"
    "mechanisms: [em, hedge, median, ours]\n"
    "strategy: truthful\n"
    "replicas: 20\n"
    "seed: 1\n";

void ts_experiment_free(ts_experiment *x)
{
    if (!x)
        return;
    for (int k = 0; k < x->n_vals; k++)
        ts_yaml_value_free(&x->vals[k]);
    free(x->path);
    free(x->source);
    free(x->overrides);
    free(x);
}

static char *read_file(const char *path, ts_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        TS_ERROR(e, TS_ENOINPUT, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (len + 1 < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    if (!buf || ferror(f)) {
        TS_ERROR(e, buf ? TS_EIO : TS_ENOMEM, "%s: cannot read", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[len] = '\0';
    if (memchr(buf, '\0', len)) {
        TS_ERROR(e, TS_EINPUT, "%s: not a text file (contains NUL bytes)", path);
        free(buf);
        return NULL;
    }
    return buf;
}

int ts_experiment_load(ts_experiment **out, const char *path, const char *text,
                       int n_set, char *const *set, ts_err *e)
{
    return ts_experiment_load_reg(out, path, text, n_set, set, NULL, e);
}

int ts_experiment_load_reg(ts_experiment **out, const char *path,
                           const char *text, int n_set, char *const *set,
                           struct ts_registry *reg, ts_err *e)
{
    return ts_experiment_load_stop(out, path, text, n_set, set, reg, NULL, e);
}

int ts_experiment_load_stop(ts_experiment **out, const char *path,
                            const char *text, int n_set, char *const *set,
                            struct ts_registry *reg,
                            const volatile sig_atomic_t *stop, ts_err *e)
{
    *out = NULL;
    ts_experiment *x = calloc(1, sizeof *x);
    if (!x)
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    x->reg = reg;
    x->path = strdup(path ? path : "<default>");
    x->source = text ? strdup(text) : read_file(path, e);
    if (!x->path || !x->source) {
        int rc = x->source || !x->path ? TS_ENOMEM : e->code;
        if (rc == TS_ENOMEM)
            TS_ERROR(e, TS_ENOMEM, "out of memory");
        ts_experiment_free(x);
        return rc;
    }
    size_t ol = 1;
    for (int k = 0; k < n_set; k++)
        ol += strlen(set[k]) + 1;
    x->overrides = calloc(ol, 1);
    if (!x->overrides) {
        ts_experiment_free(x);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    for (int k = 0; k < n_set; k++) {
        strcat(x->overrides, set[k]);
        strcat(x->overrides, "\n");
    }
    int rc = ts_yaml_load_text(x, e);
    for (int k = 0; !rc && k < n_set; k++)
        rc = ts_yaml_apply_set(x, set[k], e);
    if (!rc)
        rc = ts_experiment_interpret(x, stop, e);
    if (rc) {
        ts_experiment_free(x);
        return rc;
    }
    *out = x;
    return TS_OK;
}

/* plugins.c -- a process's names: the built-ins plus loaded plugins
 * (registry.h).  The built-ins are copied in by ts_registry_new
 * (games/registry.c, which knows the static tables). */
#include "game/registry.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/readfile.h"
#include "base/registry_util.h"
#include "base/sha256.h"
#include "games/games.h"
#include "strategies/strategies.h"

void ts_registry_free(ts_registry *r)
{
    if (!r)
        return;
    /* Last loaded, first closed: a plugin may use one loaded before it. */
    for (int k = r->n_plugins - 1; k >= 0; k--)
        if (r->plugin[k].handle)
            dlclose(r->plugin[k].handle);
    free(r);
}

/* Every vtable needs these to be driven at all (game.h, strategy.h). */
static int mech_ok(const ts_mechanism_type *t)
{
    return t->name && t->state_size && t->init && t->aggregate && t->update &&
           t->log_weights && (t->n_params == 0 || t->params) &&
           (t->feedback == TS_FULL || t->n_heard);
}

static int pop_ok(const ts_population_type *t)
{
    return t->name && t->state_size && t->init && t->draw &&
           (t->n_params == 0 || t->params);
}

static int strat_ok(const ts_strategy_type *t)
{
    return t->name && (t->identity || t->report) &&
           (t->n_params == 0 || t->params);
}

static int add_mechs(ts_registry *r, const char *path,
                     const ts_mechanism_type *const *list, ts_err *e)
{
    for (int k = 0; list && list[k]; k++) {
        const ts_mechanism_type *t = list[k];
        if (!mech_ok(t) || t->n_params > TS_MAX_PARAMS)
            return TS_ERROR(e, TS_EINPUT, "%s: mechanism %d ('%s') lacks a "
                            "function every mechanism needs or has more than "
                            "%d parameters", path, k, t->name ? t->name : "?",
                            TS_MAX_PARAMS);
        for (int j = 0; j < r->n_mech; j++)
            if (r->mech[j]->feedback == t->feedback &&
                !strcmp(r->mech[j]->name, t->name))
                return TS_ERROR(e, TS_EINPUT, "%s: mechanism '%s' (%s feedback) "
                                "is already registered", path, t->name,
                                t->feedback == TS_FULL ? "full" : "limited");
        if (r->n_mech == TS_REGISTRY_MAX)
            return TS_ERROR(e, TS_EINPUT, "%s: more than %d mechanisms", path,
                            TS_REGISTRY_MAX);
        r->mech[r->n_mech++] = t;
    }
    return TS_OK;
}

/* Populations and strategies share one shape of check: owner name unique. */
#define ADD_OWNERS(r, arr, n, list, ok, what, path, e)                        \
    do {                                                                      \
        for (int k_ = 0; (list) && (list)[k_]; k_++) {                        \
            if (!ok((list)[k_]) || (list)[k_]->n_params > TS_MAX_PARAMS)      \
                return TS_ERROR(e, TS_EINPUT, "%s: %s %d ('%s') lacks a "     \
                                "function every %s needs or has more than "   \
                                "%d parameters", path, what, k_,              \
                                (list)[k_]->name ? (list)[k_]->name : "?",    \
                                what, TS_MAX_PARAMS);                         \
            for (int j_ = 0; j_ < (n); j_++)                                  \
                if (!strcmp((arr)[j_]->name, (list)[k_]->name))               \
                    return TS_ERROR(e, TS_EINPUT, "%s: %s '%s' is already "   \
                                    "registered", path, what,                 \
                                    (list)[k_]->name);                        \
            if ((n) == TS_REGISTRY_MAX)                                       \
                return TS_ERROR(e, TS_EINPUT, "%s: more than %d %s entries",  \
                                path, TS_REGISTRY_MAX, what);                 \
            (arr)[(n)++] = (list)[k_];                                        \
        }                                                                     \
    } while (0)

static int add_info(ts_registry *r, const char *path, const ts_plugin_info *in,
                    ts_err *e)
{
    int rc = add_mechs(r, path, in->mechanisms, e);
    if (rc)
        return rc;
    ADD_OWNERS(r, r->pop, r->n_pop, in->populations, pop_ok, "population",
               path, e);
    ADD_OWNERS(r, r->strat, r->n_strat, in->strategies, strat_ok, "strategy",
               path, e);
    return TS_OK;
}

static int file_sha256(const char *path, char hex[65], ts_err *e)
{
    size_t len;
    char *bytes = ts_read_file(path, &len, e);
    if (!bytes)
        return e ? e->code : TS_EIO;
    ts_sha256 s;
    ts_sha256_init(&s);
    ts_sha256_update(&s, bytes, len);
    ts_sha256_hex(&s, hex);
    free(bytes);
    return TS_OK;
}

int ts_registry_load(ts_registry *r, const char *path, ts_err *e)
{
    char hex[65];
    if (strlen(path) >= sizeof r->plugin[0].path)
        return TS_ERROR(e, TS_EINPUT, "%s: plugin path too long", path);
    int rc = file_sha256(path, hex, e);
    if (rc)
        return rc;
    for (int k = 0; k < r->n_plugins; k++)
        if (!strcmp(r->plugin[k].sha256, hex))
            return TS_OK;
    if (r->n_plugins == TS_MAX_PLUGINS)
        return TS_ERROR(e, TS_EINPUT, "%s: more than %d plugins", path,
                        TS_MAX_PLUGINS);
    /* dlopen searches the library path for a bare name; a file named on
     * the command line is meant as a file, so give it a directory. */
    char local[1100];
    snprintf(local, sizeof local, "%s%s", strchr(path, '/') ? "" : "./", path);
    void *h = dlopen(local, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return TS_ERROR(e, TS_EINPUT, "%s: cannot load plugin: %s", path,
                        dlerror());
    const ts_plugin_info *in = dlsym(h, TS_PLUGIN_SYMBOL);
    if (!in) {
        dlclose(h);
        return TS_ERROR(e, TS_EINPUT, "%s: not a truthsim plugin (no '%s' "
                        "symbol)", path, TS_PLUGIN_SYMBOL);
    }
    if (in->api_version != TS_PLUGIN_API_VERSION) {
        int v = in->api_version;
        dlclose(h);
        return TS_ERROR(e, TS_EINPUT, "%s: plugin API version %d, this "
                        "truthsim has %d: rebuild the plugin against these "
                        "headers", path, v, TS_PLUGIN_API_VERSION);
    }
    /* All or nothing: on a refused entry the registry is left as it was. */
    ts_registry before = *r;
    ts_plugin_file *f = &r->plugin[r->n_plugins];
    f->first_mech = r->n_mech;
    f->first_pop = r->n_pop;
    f->first_strat = r->n_strat;
    rc = add_info(r, path, in, e);
    if (rc) {
        *r = before;
        dlclose(h);
        return rc;
    }
    r->n_plugins++;
    snprintf(f->path, sizeof f->path, "%s", path);
    memcpy(f->sha256, hex, sizeof hex);
    f->handle = h;
    return TS_OK;
}

const ts_mechanism_type *ts_registry_mechanism(const ts_registry *r,
                                               const char *name,
                                               ts_feedback feedback,
                                               ts_err *e)
{
    if (!r)
        return ts_mechanism_find(name, feedback, e);
    return ts_mechanism_lookup(r->mech, r->n_mech, name, feedback, e);
}

const ts_population_type *ts_registry_population(const ts_registry *r,
                                                 const char *name, ts_err *e)
{
    if (!r)
        return ts_population_find(name, e);
    TS_REGISTRY_FIND_N(r->pop, r->n_pop, name, "population", e);
}

const ts_strategy_type *ts_registry_strategy(const ts_registry *r,
                                             const char *name, ts_err *e)
{
    if (!r)
        return ts_strategy_find(name, e);
    TS_REGISTRY_FIND_N(r->strat, r->n_strat, name, "strategy", e);
}

const ts_plugin_file *ts_registry_origin(const ts_registry *r, int kind,
                                         int k)
{
    const ts_plugin_file *from = NULL;
    for (int p = 0; r && p < r->n_plugins; p++) {
        const ts_plugin_file *f = &r->plugin[p];
        int first = kind == 0 ? f->first_mech
                    : kind == 1 ? f->first_pop : f->first_strat;
        if (k >= first)
            from = f;
    }
    return from;
}

int ts_registry_provenance(const ts_registry *r, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = 0;
    for (int k = 0; r && k < r->n_plugins; k++) {
        int w = snprintf(buf + used, len - used, "%s%s sha256:%s",
                         k ? "\n" : "", r->plugin[k].path, r->plugin[k].sha256);
        if (w < 0 || (size_t)w >= len - used)
            return -1;
        used += (size_t)w;
    }
    return 0;
}

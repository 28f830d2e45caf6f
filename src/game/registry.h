/* registry.h -- the names an experiment may use, and plugins that add to
 * them.
 *
 * The built-in mechanisms, populations and strategies are static const
 * tables (games/registry.c, strategies/registry.c).  A ts_registry is one
 * process's view: those tables plus whatever plugins it loaded.  Whoever
 * needs a name resolved (the experiment loader, replay, best response,
 * the claims) is handed the registry; nothing in the library keeps one of
 * its own (STYLE: no mutable globals).  NULL wherever a registry is taken
 * means the built-ins alone.
 *
 * A plugin is a shared object exporting one symbol, `ts_plugin`, a const
 * ts_plugin_info: NULL-terminated lists of the vtables it brings, the same
 * vtables games/ and strategies/ implement (game.h, strategy.h).  Its
 * first member is the API version it was built against; a plugin built
 * against another version is refused before anything else of it is read.
 *
 *     static const ts_mechanism_type *const mechs[] = {&my_rule, NULL};
 *     const ts_plugin_info ts_plugin = {
 *         .api_version = TS_PLUGIN_API_VERSION,
 *         .mechanisms = mechs,
 *     };
 *
 * examples/plugin_mech.c is a whole one.  Implemented beside the tables,
 * in games/registry.c and games/plugins.c (names are resolved there,
 * STYLE §1), so game/ itself depends on nothing above it. */
#ifndef TS_REGISTRY_H
#define TS_REGISTRY_H

#include "base/err.h"
#include "game/game.h"
#include "game/strategy.h"

/* Bumped whenever a vtable, ts_plugin_info or anything a plugin's code
 * sees (ts_slot, ts_shape, ts_params, ts_strategy_ctx, ...) changes
 * layout or meaning.  2: ts_population_type gained prompt_text at its end;
 * a version-1 plugin's populations are shorter structs, so it is refused
 * (rebuilt, it loads unchanged: the new member is NULL). */
#define TS_PLUGIN_API_VERSION 2

/* What a plugin exports as `ts_plugin` (TS_PLUGIN_SYMBOL). */
typedef struct ts_plugin_info {
    int api_version;     /* TS_PLUGIN_API_VERSION of the headers it saw    */
    const char *name;    /* optional: a name for messages and `list`       */
    const ts_mechanism_type *const *mechanisms;   /* NULL-terminated or NULL */
    const ts_population_type *const *populations; /* NULL-terminated or NULL */
    const ts_strategy_type *const *strategies;    /* NULL-terminated or NULL */
} ts_plugin_info;

#define TS_PLUGIN_SYMBOL "ts_plugin"

#define TS_REGISTRY_MAX 128 /* entries of each kind, built-ins included */
#define TS_MAX_PLUGINS 16

/* A loaded plugin: the file as given, its SHA-256 (hex), its handle. */
typedef struct ts_plugin_file {
    char path[1024];
    char sha256[65];
    void *handle;
    /* Its entries: mech[first_mech..], pop[first_pop..], strat[first_strat..]
     * up to the next plugin's first (or the end). */
    int first_mech, first_pop, first_strat;
} ts_plugin_file;

typedef struct ts_registry {
    int n_mech, n_pop, n_strat, n_plugins;
    const ts_mechanism_type *mech[TS_REGISTRY_MAX];
    const ts_population_type *pop[TS_REGISTRY_MAX];
    const ts_strategy_type *strat[TS_REGISTRY_MAX];
    ts_plugin_file plugin[TS_MAX_PLUGINS];
} ts_registry;

/* A registry holding the built-ins (games/registry.c); free it with
 * ts_registry_free.  NULL (message in e) when out of memory. */
ts_registry *ts_registry_new(ts_err *e);
/* Unloads the plugins too: no vtable of theirs may be used afterwards. */
void ts_registry_free(ts_registry *r);

/* Load the plugin at path (dlopen) and add what it registers.  Refused
 * with TS_EINPUT and one line naming the file: not loadable, no
 * `ts_plugin` symbol, another API version ("p.so: plugin API version 2,
 * this truthsim has 1"), a vtable without the functions every one needs,
 * or a name already taken (a mechanism's name per feedback mode).
 * Loading the same file (same SHA-256) twice is a no-op. */
int ts_registry_load(ts_registry *r, const char *path, ts_err *e);

/* Lookups, as ts_mechanism_find and friends but over r (NULL: the
 * built-ins): NULL and a message listing the valid names when absent. */
const ts_mechanism_type *ts_registry_mechanism(const ts_registry *r,
                                               const char *name,
                                               ts_feedback feedback,
                                               ts_err *e);
const ts_population_type *ts_registry_population(const ts_registry *r,
                                                 const char *name, ts_err *e);
const ts_strategy_type *ts_registry_strategy(const ts_registry *r,
                                             const char *name, ts_err *e);

/* The plugin that registered entry k of a kind (0 mechanisms, 1
 * populations, 2 strategies), or NULL for a built-in. */
const ts_plugin_file *ts_registry_origin(const ts_registry *r, int kind,
                                         int k);

/* The plugins for a file's provenance: one line "PATH sha256:HEX" per
 * plugin into buf (empty when there are none); 0, or -1 if truncated. */
int ts_registry_provenance(const ts_registry *r, char *buf, size_t len);

#endif

/* plugin.h -- what every plugin (mechanism, population, strategy) has in
 * common: a name and the parameters it owns, and the one set-up that
 * fills, defaults and checks those parameters for a game's shape.
 *
 * Each vtable of game.h and strategy.h opens with TS_OWNER_MEMBERS, so the
 * owner's fields are written in initialisers as before (`.name = "ours",
 * .params = ...`) and read through `&mt->owner` by code that serves every
 * kind of plugin alike: the experiment loader, replay, the analyses and
 * the CLI resolve parameters with ts_owner_resolve and nothing else.
 *
 * An instance is a type plus its resolved parameters and a flat state
 * (ts_mech below), as a gsl_rng is an instance of a gsl_rng_type.  The
 * engine carves states out of one workspace block instead (STYLE §3) and
 * calls the type's init itself; everything else uses ts_mech_alloc. */
#ifndef TS_PLUGIN_H
#define TS_PLUGIN_H

#include <stddef.h>

#include "base/err.h"
#include "base/params.h"

typedef enum { TS_FULL = 0, TS_LIMITED = 1 } ts_feedback;

/* What a mechanism or population is sized for.  m is the largest number of
 * prompts in any slot (slots may have fewer). */
typedef struct ts_shape {
    int N;
    int m;
    long T;
    ts_feedback feedback;
} ts_shape;

/* The parameter owner.  defaults fills every entry the user left unset
 * (p->set[k] == 0) with the SPEC §2 value for this shape, e.g. alpha =
 * (2/3) sqrt(2 ln N / T); check tests preconditions beyond each value's
 * range (e.g. Def. 5's alpha < theta_i) and says which bound fails.  Either
 * may be NULL. */
typedef struct ts_owner {
    const char *name;
    const ts_param_spec *params;
    int n_params;
    void (*defaults)(const ts_shape *g, ts_params *p);
    int (*check)(const ts_shape *g, const ts_params *p, ts_err *e);
} ts_owner;

/* The owner's fields, first in every plugin vtable: the anonymous struct
 * lets initialisers and readers name them directly, the union lets
 * generic code take them as one ts_owner (same members, same order). */
#define TS_OWNER_MEMBERS                                                   \
    union {                                                                \
        ts_owner owner;                                                    \
        struct {                                                           \
            const char *name;                                              \
            const ts_param_spec *params;                                   \
            int n_params;                                                  \
            void (*defaults)(const ts_shape *g, ts_params *p);             \
            int (*check)(const ts_shape *g, const ts_params *p, ts_err *e); \
        };                                                                 \
    }

/* The one set-up of a plugin's parameters: p holds what the user set (the
 * rest NaN, as ts_params_init leaves it); fill the defaults for shape g,
 * check every value against its range, then the owner's preconditions.
 * The message names the owner ("hedge: eta = -1 is outside (0, inf)"). */
int ts_owner_resolve(const ts_owner *o, const ts_shape *g, ts_params *p,
                     ts_err *e);

#endif

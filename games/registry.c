/* registry.c -- every mechanism and population, one line each.
 * A mechanism under both feedback modes appears twice (two vtables, one
 * name); lookup matches name and mode. */
#include "games/games.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/registry_util.h"
#include "game/registry.h"
#include "strategies/strategies.h"

const ts_mechanism_type *const ts_mechanism_types[] = {
    &ts_mech_ours,
    &ts_mech_hedge,
    &ts_mech_median,
    &ts_mech_average,
    &ts_mech_em,
    &ts_mech_ours_limited,
    &ts_mech_exp3,
    &ts_mech_median_limited,
    &ts_mech_em_limited,
    &ts_mech_average_limited,
    &ts_mech_omoe,
    &ts_mech_omoe_limited,
    &ts_mech_betabin,
    &ts_mech_betabin_limited,
    &ts_mech_wsu,
    &ts_mech_wsu_limited,
    NULL,
};

const ts_population_type *const ts_population_types[] = {
    &ts_pop_bands,
    &ts_pop_signals,
    &ts_pop_newcomer,
    &ts_pop_drift,
    &ts_pop_spectrum,
    &ts_pop_freeman,
    NULL,
};

const ts_mechanism_type *ts_mechanism_lookup(const ts_mechanism_type *const *arr,
                                             int n, const char *name,
                                             ts_feedback feedback, ts_err *e)
{
    char valid[1024] = "";
    size_t used = 0;
    for (int k = 0; k < n && arr[k]; k++) {
        const ts_mechanism_type *t = arr[k];
        if (t->feedback != feedback)
            continue;
        if (strcmp(t->name, name) == 0)
            return t;
        int w = snprintf(valid + used, sizeof valid - used, "%s%s",
                         used ? ", " : "", t->name);
        if (w > 0 && (size_t)w < sizeof valid - used)
            used += (size_t)w;
    }
    TS_ERROR(e, TS_EINPUT, "unknown %s-feedback mechanism '%s' (valid: %s)",
             feedback == TS_FULL ? "full" : "limited", name, valid);
    return NULL;
}

const ts_mechanism_type *ts_mechanism_find(const char *name,
                                           ts_feedback feedback, ts_err *e)
{
    return ts_mechanism_lookup(ts_mechanism_types, INT_MAX, name, feedback, e);
}

const ts_population_type *ts_population_find(const char *name, ts_err *e)
{
    TS_REGISTRY_FIND(ts_population_types, name, "population", e);
}

ts_registry *ts_registry_new(ts_err *e)
{
    ts_registry *r = calloc(1, sizeof *r);
    if (!r) {
        TS_ERROR(e, TS_ENOMEM, "out of memory");
        return NULL;
    }
    for (int k = 0; ts_mechanism_types[k]; k++)
        r->mech[r->n_mech++] = ts_mechanism_types[k];
    for (int k = 0; ts_population_types[k]; k++)
        r->pop[r->n_pop++] = ts_population_types[k];
    for (int k = 0; ts_strategy_types[k]; k++)
        r->strat[r->n_strat++] = ts_strategy_types[k];
    return r;
}

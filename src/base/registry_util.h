/* registry_util.h -- the one lookup every registry shares: find a vtable by
 * name in a NULL-terminated table, or refuse with the list of valid names,
 * as gsl_rng_env_setup does. */
#ifndef TS_REGISTRY_UTIL_H
#define TS_REGISTRY_UTIL_H

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

/* The first n entries of table (or up to its NULL, whichever comes first:
 * TS_REGISTRY_FIND passes INT_MAX for a NULL-terminated table; a
 * per-process registry passes its count). */
#define TS_REGISTRY_FIND(table, name, what, e)                                 \
    TS_REGISTRY_FIND_N(table, INT_MAX, name, what, e)
#define TS_REGISTRY_FIND_N(table, n, name, what, e)                            \
    do {                                                                       \
        char valid_[1024] = "";                                                \
        size_t used_ = 0;                                                      \
        for (int k_ = 0; k_ < (n) && (table)[k_]; k_++) {                      \
            if (strcmp((table)[k_]->name, (name)) == 0)                        \
                return (table)[k_];                                            \
            int w_ = snprintf(valid_ + used_, sizeof valid_ - used_, "%s%s",   \
                              k_ ? ", " : "", (table)[k_]->name);              \
            if (w_ > 0 && (size_t)w_ < sizeof valid_ - used_)                  \
                used_ += (size_t)w_;                                           \
        }                                                                      \
        TS_ERROR((e), TS_EINPUT, "unknown %s '%s' (valid: %s)", (what),        \
                 (name), valid_);                                              \
        return NULL;                                                           \
    } while (0)

#endif

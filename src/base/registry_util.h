/* registry_util.h -- the one lookup every registry shares: find a vtable by
 * name in a NULL-terminated table, or refuse with the list of valid names,
 * as gsl_rng_env_setup does. */
#ifndef TS_REGISTRY_UTIL_H
#define TS_REGISTRY_UTIL_H

#include <stdio.h>
#include <string.h>

#include "base/err.h"

#define TS_REGISTRY_FIND(table, name, what, e)                                 \
    do {                                                                       \
        char valid_[512] = "";                                                 \
        size_t used_ = 0;                                                      \
        for (int k_ = 0; (table)[k_]; k_++) {                                  \
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

/* params.h -- parameters that mechanisms, populations and strategies declare.
 *
 * A vtable lists its parameters as a ts_param_spec table (name, range, doc);
 * the experiment loader and `--set` fill a ts_params generically, the owner
 * derives defaults from the shape (N, m, T) for entries the user left unset,
 * and every value used is written to the output attributes (STYLE §1).
 *
 * A parameter is a scalar double, or with TS_PARAM_VEC a vector of doubles
 * (e.g. the per-worker bands of the `bands` population).  Vectors point into
 * memory owned by the experiment, which outlives every run. */
#ifndef TS_PARAMS_H
#define TS_PARAMS_H

#include <stddef.h>

#include "base/err.h"

#define TS_MAX_PARAMS 16

enum {
    TS_PARAM_INT = 1u << 0,     /* value must be an integer                  */
    TS_PARAM_LO_OPEN = 1u << 1, /* lo itself is excluded                     */
    TS_PARAM_HI_OPEN = 1u << 2, /* hi itself is excluded                     */
    TS_PARAM_VEC = 1u << 3,     /* a list of doubles; lo/hi bound each entry */
};

typedef struct ts_param_spec {
    const char *name; /* as written in experiments and --set: "alpha"       */
    double lo, hi;    /* allowed range (flags say whether ends are open)    */
    unsigned flags;
    const char *doc;  /* one line for --help and the README                 */
} ts_param_spec;

typedef struct ts_params {
    int n;                            /* entries used = length of the spec   */
    double v[TS_MAX_PARAMS];          /* scalar values                       */
    const double *vec[TS_MAX_PARAMS]; /* TS_PARAM_VEC: the list ...          */
    int len[TS_MAX_PARAMS];           /* ... and its length                  */
    unsigned char set[TS_MAX_PARAMS]; /* 1 = given by the user, 0 = default  */
} ts_params;

/* Start a ts_params for a spec of n entries: nothing set, values NaN. */
void ts_params_init(ts_params *p, int n);

/* Index of name in spec, or -1. */
int ts_param_find(const ts_param_spec *spec, int n, const char *name);

/* Set a scalar by name; TS_EINPUT when the name is not in the spec. */
int ts_params_set(ts_params *p, const ts_param_spec *spec, int n,
                  const char *name, double value, ts_err *e);

/* Check every set-or-defaulted value against its spec range.  owner names the
 * vtable in messages ("hedge: eta = -1 is outside (0, inf)"). */
int ts_params_check(const ts_params *p, const ts_param_spec *spec, int n,
                    const char *owner, ts_err *e);

/* Describe a range as "(0, inf)" or "[0, 1]" into buf. */
void ts_param_range_str(const ts_param_spec *s, char *buf, size_t len);

#endif

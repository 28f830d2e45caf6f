/* params.c -- see params.h. */
#include "base/params.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void ts_params_init(ts_params *p, int n)
{
    memset(p, 0, sizeof *p);
    p->n = n;
    for (int k = 0; k < TS_MAX_PARAMS; k++)
        p->v[k] = NAN;
}

int ts_param_find(const ts_param_spec *spec, int n, const char *name)
{
    for (int k = 0; k < n; k++)
        if (strcmp(spec[k].name, name) == 0)
            return k;
    return -1;
}

int ts_params_set(ts_params *p, const ts_param_spec *spec, int n,
                  const char *name, double value, ts_err *e)
{
    int k = ts_param_find(spec, n, name);
    if (k < 0)
        return TS_ERROR(e, TS_EINPUT, "unknown parameter '%s'", name);
    p->v[k] = value;
    p->set[k] = 1;
    return TS_OK;
}

void ts_param_range_str(const ts_param_spec *s, char *buf, size_t len)
{
    char lo[32], hi[32];
    if (isinf(s->lo))
        snprintf(lo, sizeof lo, "-inf");
    else
        snprintf(lo, sizeof lo, "%g", s->lo);
    if (isinf(s->hi))
        snprintf(hi, sizeof hi, "inf");
    else
        snprintf(hi, sizeof hi, "%g", s->hi);
    snprintf(buf, len, "%c%s, %s%c",
             (s->flags & TS_PARAM_LO_OPEN) || isinf(s->lo) ? '(' : '[', lo, hi,
             (s->flags & TS_PARAM_HI_OPEN) || isinf(s->hi) ? ')' : ']');
}

static int in_range(const ts_param_spec *s, double x)
{
    if (!isfinite(x) && !(isinf(x) && isinf(s->hi) && x > 0))
        return 0;
    if ((s->flags & TS_PARAM_LO_OPEN) ? !(x > s->lo) : !(x >= s->lo))
        return 0;
    if ((s->flags & TS_PARAM_HI_OPEN) ? !(x < s->hi) : !(x <= s->hi))
        return 0;
    if ((s->flags & TS_PARAM_INT) && x != floor(x))
        return 0;
    return 1;
}

int ts_params_check(const ts_params *p, const ts_param_spec *spec, int n,
                    const char *owner, ts_err *e)
{
    char range[96];
    for (int k = 0; k < n; k++) {
        const ts_param_spec *s = &spec[k];
        ts_param_range_str(s, range, sizeof range);
        if (s->flags & TS_PARAM_VEC) {
            for (int j = 0; j < p->len[k]; j++)
                if (!in_range(s, p->vec[k][j]))
                    return TS_ERROR(e, TS_EINPUT,
                                    "%s: %s[%d] = %g is outside %s%s", owner,
                                    s->name, j, p->vec[k][j], range,
                                    (s->flags & TS_PARAM_INT) ? " or not an integer" : "");
            continue;
        }
        if (!in_range(s, p->v[k]))
            return TS_ERROR(e, TS_EINPUT, "%s: %s = %g is outside %s%s%s", owner,
                            s->name, p->v[k], range,
                            (s->flags & TS_PARAM_INT) ? " or not an integer" : "",
                            p->set[k] ? ""
                                      : " (the default for this N, m, T: set "
                                        "it explicitly)");
    }
    return TS_OK;
}

/* experiment.c -- the lookups every stage of experiment/ shares: a key's
 * value, and where in the input a value came from, GNU style
 * ("fig7.yaml:12:5: ") for messages.  Depends on nothing else here. */
#include "experiment/experiment_impl.h"

#include <stdio.h>
#include <string.h>

const ts_value *ts_experiment_value(const ts_experiment *x, const char *key)
{
    for (int k = 0; k < x->n_vals; k++)
        if (strcmp(x->vals[k].key, key) == 0)
            return &x->vals[k];
    return NULL;
}

void ts_value_where(const ts_experiment *x, const ts_value *v, char *buf,
                    size_t len)
{
    if (!v)
        snprintf(buf, len, "%s: ", x->path);
    else if (v->line > 0)
        snprintf(buf, len, "%s:%d:%d: ", x->path, v->line, v->col);
    else
        snprintf(buf, len, "%s: ", v->origin);
}

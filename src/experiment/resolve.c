/* resolve.c -- the third stage of an experiment: grid point idx as a
 * ts_point (experiment.h), with the shape, noise and every owner's
 * parameters filled, defaulted for the point's (N, m, T) and checked.
 *
 * The parameter set-up is the one of every plugin (ts_owner_resolve,
 * plugin.h); what is added here is where a value comes from ("owner.name"
 * first, then the bare "name"; the axis entry at this point or the
 * scalar) and, when an owner refuses, which line of the input to blame.
 * The environment's stream id is the last thing a point gets.
 *
 * Left out: running the point (src/engine). */
#include "experiment/experiment_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/streams.h"

/* The value of numeric key at this point: the axis entry, the scalar, or
 * dflt when absent.  *src gets the value (for messages). */
static double at_point(const ts_experiment *x, const int *coord,
                       const char *key, double dflt, const ts_value **src)
{
    const ts_value *v = ts_experiment_value(x, key);
    if (src)
        *src = v;
    if (!v)
        return dflt;
    for (int k = 0; k < x->n_axes; k++)
        if (x->axes[k].val == v)
            return v->v[coord[k]];
    return v->v[0];
}

static void point_label(const ts_experiment *x, const int *coord, char *buf,
                        size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < x->n_axes; k++) {
        int w = snprintf(buf + used, len - used, "%s%s = %g", k ? ", " : "",
                         x->axes[k].val->key, x->axes[k].val->v[coord[k]]);
        if (w > 0 && (size_t)w < len - used)
            used += (size_t)w;
    }
}

/* The value the user gave for owner o's parameter `name`: "owner.name"
 * first, then the bare "name"; NULL if neither. */
static const ts_value *given(const ts_experiment *x, const ts_owner *o,
                             const char *name)
{
    char key[160];
    snprintf(key, sizeof key, "%s.%s", o->name, name);
    const ts_value *v = ts_experiment_value(x, key);
    return v ? v : ts_experiment_value(x, name);
}

/* p gets what the experiment sets for owner o at this point (the rest
 * NaN and unset, for the owner's defaults). */
static void fill_params(const ts_experiment *x, const int *coord,
                        const ts_owner *o, ts_params *p)
{
    ts_params_init(p, o->n_params);
    for (int i = 0; i < o->n_params; i++) {
        const ts_param_spec *s = &o->params[i];
        const ts_value *v = given(x, o, s->name);
        if (!v)
            continue;
        p->set[i] = 1;
        if (s->flags & TS_PARAM_VEC) {
            p->vec[i] = v->v;
            p->len[i] = v->n;
        } else {
            p->v[i] = at_point(x, coord, v->key, NAN, NULL);
        }
    }
}

/* Re-raise an owner's complaint with the location of the key that caused
 * it (the first parameter the user set that the message names), or the
 * point's coordinates when a default did. */
static int blame(const ts_experiment *x, const int *coord, const ts_owner *o,
                 const ts_params *p, const ts_err *sub, ts_err *e)
{
    char where[400], label[400];
    const ts_value *culprit = NULL;
    for (int i = 0; i < o->n_params && !culprit; i++) {
        if (!p->set[i] || !strstr(sub->msg, o->params[i].name))
            continue;
        culprit = given(x, o, o->params[i].name);
    }
    point_label(x, coord, label, sizeof label);
    if (culprit) {
        ts_value_where(x, culprit, where, sizeof where);
        return TS_ERROR(e, sub->code, "%s%s%s%s%s", where, sub->msg,
                        label[0] ? " (at " : "", label, label[0] ? ")" : "");
    }
    return TS_ERROR(e, sub->code, "%s: %s%s%s%s", x->path, sub->msg,
                    label[0] ? " (at " : "", label, label[0] ? ")" : "");
}

/* One owner's parameters at this point: filled, then the one set-up of
 * plugin.h (defaults, ranges, the owner's preconditions). */
static int resolve_owner(const ts_experiment *x, const ts_point *pt,
                         const ts_owner *o, ts_params *p, ts_err *e)
{
    ts_err sub;
    fill_params(x, pt->coord, o, p);
    ts_err_clear(&sub);
    if (ts_owner_resolve(o, &pt->shape, p, &sub))
        return blame(x, pt->coord, o, p, &sub, e);
    return TS_OK;
}

/* Coordinates, shape, prompts per slot and noise of point idx, with the
 * checks that need the point's values (Philox's words per slot, m_min,
 * the per-worker strategy list). */
static int resolve_shape(const ts_experiment *x, long idx, ts_point *pt,
                         ts_err *e)
{
    char where[400];
    pt->index = idx;
    long rest = idx;
    for (int k = x->n_axes - 1; k >= 0; k--) {
        pt->coord[k] = (int)(rest % x->axes[k].val->n);
        rest /= x->axes[k].val->n;
    }
    const ts_value *src;
    pt->shape.N = (int)at_point(x, pt->coord, "N", 0, NULL);
    pt->shape.m = (int)at_point(x, pt->coord, "m", 20, NULL);
    pt->shape.T = (long)at_point(x, pt->coord, "T", 0, NULL);
    pt->shape.feedback = x->feedback;
    pt->epsilon = at_point(x, pt->coord, "epsilon", 0, NULL);
    pt->m_min = (int)at_point(x, pt->coord, "m_min", pt->shape.m, &src);
    if ((double)pt->shape.N * pt->shape.m > (double)(1u << 26) - 64) {
        /* One Philox stream holds 2^26 words per slot (rng.h); the beliefs
         * take N * m of them. */
        ts_value_where(x, ts_experiment_value(x, "N"), where, sizeof where);
        return TS_ERROR(e, TS_EINPUT,
                        "%sN * m = %d * %d exceeds the 2^26 random numbers a "
                        "slot's stream holds", where, pt->shape.N, pt->shape.m);
    }
    if (pt->m_min > pt->shape.m) {
        ts_value_where(x, src, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT, "%sm_min = %d exceeds m = %d", where,
                        pt->m_min, pt->shape.m);
    }
    if (x->n_prof == 1 && x->prof_len[0] > pt->shape.N) {
        ts_value_where(x, ts_experiment_value(x, "strategy"), where, sizeof where);
        return TS_ERROR(e, TS_EINPUT,
                        "%s'strategy' lists %d workers but N = %d", where,
                        x->prof_len[0], pt->shape.N);
    }
    return TS_OK;
}

/* The environment's stream id: population, N, m, m_min and population
 * parameters -- not T, epsilon or mechanism parameters, so that points
 * differing only in those see common random numbers (the first slots of a
 * longer horizon equal a shorter one's; verification flips are coupled
 * across epsilon).  Hashes of base/streams.h. */
static uint32_t env_stream_id(const ts_experiment *x, const ts_point *pt)
{
    uint32_t h = ts_hash_str(TS_HASH_INIT, x->pop->name);
    h = ts_hash_double(h, pt->shape.N);
    h = ts_hash_double(h, pt->shape.m);
    h = ts_hash_double(h, pt->m_min);
    for (int i = 0; i < x->pop->n_params; i++) {
        h = ts_hash_str(h, x->pop->params[i].name);
        if (x->pop->params[i].flags & TS_PARAM_VEC)
            for (int j = 0; j < pt->pop_par.len[i]; j++)
                h = ts_hash_double(h, pt->pop_par.vec[i][j]);
        else
            h = ts_hash_double(h, pt->pop_par.v[i]);
    }
    return h;
}

int ts_experiment_point(const ts_experiment *x, long idx, ts_point *pt,
                        ts_err *e)
{
    memset(pt, 0, sizeof *pt);
    int rc = resolve_shape(x, idx, pt, e);
    if (rc)
        return rc;
    rc = resolve_owner(x, pt, &x->pop->owner, &pt->pop_par, e);
    for (int k = 0; !rc && k < x->n_mech; k++)
        rc = resolve_owner(x, pt, &x->mech[k]->owner, &pt->mech_par[k], e);
    for (int k = 0; !rc && k < x->n_strat; k++)
        rc = resolve_owner(x, pt, &x->strat[k]->owner, &pt->strat_par[k], e);
    if (rc)
        return rc;
    pt->env_id = env_stream_id(x, pt);
    return TS_OK;
}

/* plugin.c -- the one set-up of every plugin: parameters resolved for a
 * shape (plugin.h), and mechanism and population instances (game.h). */
#include "game/game.h"

#include <stdlib.h>
#include <string.h>

int ts_owner_resolve(const ts_owner *o, const ts_shape *g, ts_params *p,
                     ts_err *e)
{
    p->n = o->n_params;
    if (o->defaults)
        o->defaults(g, p);
    int rc = ts_params_check(p, o->params, o->n_params, o->name, e);
    if (!rc && o->check)
        rc = o->check(g, p, e);
    return rc;
}

/* The shared part of both instance kinds: resolve, then allocate. */
static int instance_alloc(const ts_owner *o, size_t size, const ts_shape *g,
                          const ts_params *user, ts_params *par, void **st,
                          ts_err *e)
{
    if (user)
        *par = *user;
    else
        ts_params_init(par, o->n_params);
    int rc = ts_owner_resolve(o, g, par, e);
    if (rc)
        return rc;
    *st = malloc(size ? size : 1);
    if (!*st)
        return TS_ERROR(e, TS_ENOMEM, "%s: out of memory for its state", o->name);
    return TS_OK;
}

int ts_mech_alloc(ts_mech *m, const ts_mechanism_type *mt, const ts_shape *g,
                  const ts_params *user, ts_err *e)
{
    memset(m, 0, sizeof *m);
    m->type = mt;
    m->g = *g;
    int rc = instance_alloc(&mt->owner, mt->state_size(g), g, user, &m->par,
                            &m->st, e);
    if (!rc)
        rc = mt->init(m->st, g, &m->par, e);
    if (rc)
        ts_mech_free(m);
    return rc;
}

int ts_mech_init(ts_mech *m, ts_err *e)
{
    return m->type->init(m->st, &m->g, &m->par, e);
}

int ts_mech_clone(ts_mech *dst, const ts_mech *src, ts_err *e)
{
    const size_t size = src->type->state_size(&src->g);
    *dst = *src;
    dst->st = malloc(size ? size : 1);
    if (!dst->st) {
        memset(dst, 0, sizeof *dst);
        return TS_ERROR(e, TS_ENOMEM, "%s: out of memory for a clone",
                        src->type->name);
    }
    memcpy(dst->st, src->st, size); /* flat and pointer-free (game.h) */
    return TS_OK;
}

void ts_mech_free(ts_mech *m)
{
    if (!m)
        return;
    free(m->st);
    memset(m, 0, sizeof *m);
}

int ts_pop_alloc(ts_pop *p, const ts_population_type *pt, const ts_shape *g,
                 const ts_params *user, ts_err *e)
{
    memset(p, 0, sizeof *p);
    p->type = pt;
    p->g = *g;
    int rc = instance_alloc(&pt->owner, pt->state_size(g), g, user, &p->par,
                            &p->st, e);
    if (!rc)
        rc = pt->init(p->st, g, &p->par, e);
    if (rc)
        ts_pop_free(p);
    return rc;
}

void ts_pop_free(ts_pop *p)
{
    if (!p)
        return;
    free(p->st);
    memset(p, 0, sizeof *p);
}

/* claim.c -- the helpers every claim file shares (claim.h): the row list,
 * sizes under --scale, mechanisms with a test's stand-ins, and running an
 * experiment given as text through the loader and engine users run.  The
 * claims themselves live in claims_*.c, their table in claims.c. */
#include "analysis/claim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "games/games.h"

void ts_claim_list_free(ts_claim_list *l)
{
    free(l->rows);
    memset(l, 0, sizeof *l);
}

ts_claim_row *ts_claim_add(ts_claim_list *l, const char *claim,
                           const char *mech, double value, double expected,
                           double ci, const char *rel, int pass,
                           const char *fmt, ...)
{
    if (l->n == l->cap) {
        int nc = l->cap ? 2 * l->cap : 64;
        ts_claim_row *nr = realloc(l->rows, (size_t)nc * sizeof *nr);
        if (!nr)
            return NULL;
        l->rows = nr;
        l->cap = nc;
    }
    ts_claim_row *r = &l->rows[l->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->claim, sizeof r->claim, "%s", claim);
    snprintf(r->mechanism, sizeof r->mechanism, "%s", mech);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->statistic, sizeof r->statistic, fmt, ap);
    va_end(ap);
    r->value = value;
    r->expected = expected;
    r->ci = ci;
    snprintf(r->relation, sizeof r->relation, "%s", rel);
    r->pass = pass;
    return r;
}

long ts_check_scaled(double base, const ts_check_opts *o, long least)
{
    long n = (long)(base * (o->scale > 0 ? o->scale : 1) + 0.5);
    return n < least ? least : n;
}

const ts_mechanism_type *ts_claim_mech(const ts_check_opts *o,
                                       const char *name, ts_feedback fb,
                                       ts_err *e)
{
    for (int k = 0; o->replace && o->replace[k]; k++)
        if (!strcmp(o->replace[k]->name, name) && o->replace[k]->feedback == fb)
            return o->replace[k];
    return ts_mechanism_find(name, fb, e);
}

const char *ts_claim_mech_label(const ts_mechanism_type *mt, char *buf,
                                size_t n)
{
    snprintf(buf, n, "%s%s", mt->name, mt->feedback == TS_LIMITED ? "(limited)" : "");
    return buf;
}

void ts_claim_run_free(ts_claim_run *r)
{
    if (r->res)
        for (long p = 0; r->x && p < r->x->n_points; p++)
            ts_point_result_free(&r->res[p]);
    free(r->res);
    free(r->pt);
    ts_experiment_free(r->x);
    memset(r, 0, sizeof *r);
}

/* Point p of r: resolve, allocate, run, and refuse failed replicas. */
static int run_point(const char *name, const ts_check_opts *o,
                     ts_claim_run *r, long p, ts_err *e)
{
    ts_run_opts ro = {.threads = o->threads, .stop = o->stop};
    int rc = ts_experiment_point(r->x, p, &r->pt[p], e);
    if (!rc)
        rc = ts_point_result_alloc(&r->res[p], r->x, &r->pt[p], e);
    if (!rc)
        rc = ts_engine_run_point(r->x, &r->pt[p], &ro, &r->res[p], e);
    if (rc)
        return rc;
    const ts_point_result *res = &r->res[p];
    long bad = 0;
    for (long k = 0; k < (long)res->n_cell * res->R; k++)
        bad += res->status[k] != TS_OK && res->status[k] != TS_ENOCONV;
    if (bad)
        return TS_ERROR(e, TS_ENONFINITE, "%s: %ld replica runs failed: %s",
                        name, bad, res->errmsg[0]);
    return TS_OK;
}

int ts_claim_run_text(const char *name, const char *text,
                      const ts_check_opts *o, ts_claim_run *r, ts_err *e)
{
    memset(r, 0, sizeof *r);
    int rc = ts_experiment_load_stop(&r->x, name, text, 0, NULL, NULL, o->stop, e);
    if (rc)
        return rc;
    const long P = r->x->n_points;
    r->pt = calloc((size_t)P, sizeof *r->pt);
    r->res = calloc((size_t)P, sizeof *r->res);
    if (!r->pt || !r->res)
        rc = TS_ERROR(e, TS_ENOMEM, "out of memory");
    for (long p = 0; !rc && p < P; p++)
        rc = run_point(name, o, r, p, e);
    if (rc)
        ts_claim_run_free(r);
    return rc;
}

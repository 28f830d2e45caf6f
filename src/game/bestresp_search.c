/* bestresp_search.c -- the maximisation of U (bestresp.h).
 *
 * One prompt, or all q_j equal (r* is then the best common report): a grid
 * over [0,1], every local maximum refined by Brent (on -U), then polished
 * by solving U(x + h) = U(x - h) for x -- the midpoint of a level chord,
 * which is the maximiser up to O(h^2) and, unlike the value comparisons of
 * a minimiser, locates it to ~1e-10 rather than sqrt(DBL_EPSILON).
 * Different q_j: Nelder-Mead on r_j = 1/(1 + e^{-x_j}) from the better of
 * r = q and the per-prompt grid optimum, then two sweeps of the per-prompt
 * polish.  Every evaluation goes through ts_br_eval (bestresp.c), so the
 * searches never know whether U is exact or Monte Carlo.
 *
 * Left out: the truthful fallback r* = q when nothing beats it (the caller,
 * ts_best_response). */
#include "game/bestresp_impl.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>

/* Half-width of the level chord whose midpoint polishes a maximiser.
 * Bias ~ h^2 U'''/(6 U'') (1e-10 for U''' ~ 10 U''), rounding noise
 * ~ 2 ulp(U) / (2 h |U''|) (2e-10 at |U''| = 0.1): both below the 1e-9
 * the checks need. */
#define CHORD_H 1e-5
/* Brent's stopping width on r; the chord polish takes it from there. */
#define BRENT_TOL 1e-6
/* The chord root's stopping width. */
#define ROOT_TOL 1e-13

/* ------------------------------------------------------------------ */
/* 1-D searches: the common report (coord = -1) or prompt coord with the
 * others at w->rb. */

static double f1(double x, ts_br_ctx *c)
{
    if (c->rc)
        return NAN;
    ts_br_work *w = c->w;
    const int m = c->pb->m;
    for (int j = 0; j < m; j++)
        w->rs[j] = c->coord < 0 ? x : w->rb[j];
    if (c->coord >= 0)
        w->rs[c->coord] = x;
    double u;
    int rc = ts_br_eval(c, w->rs, &u, NULL);
    if (rc) {
        c->rc = rc;
        return NAN;
    }
    return u;
}

static double neg_f1(double x, void *p)
{
    return -f1(x, p);
}

/* D(x) = U(x + h) - U(x - h): positive left of a maximiser, negative right. */
static double chord(double x, void *p)
{
    ts_br_ctx *c = p;
    return f1(x + CHORD_H, c) - f1(x - CHORD_H, c);
}

/* Polish a maximiser *x (value *fx) to the root of the chord difference,
 * when a sign change brackets it inside [h, 1 - h]. */
static int polish(ts_br_ctx *c, double *x, double *fx)
{
    double lo = 0.0, hi = 0.0, dlo = 0.0, dhi = 0.0;
    int found = 0;
    for (double d = 1e-6; d <= 0.11 && !found; d *= 10.0) {
        lo = *x - d;
        hi = *x + d;
        if (lo - CHORD_H < 0.0)
            lo = CHORD_H;
        if (hi + CHORD_H > 1.0)
            hi = 1.0 - CHORD_H;
        if (!(lo < hi))
            return TS_OK;
        dlo = chord(lo, c);
        dhi = chord(hi, c);
        if (c->rc)
            return c->rc;
        found = dlo > 0.0 && dhi < 0.0;
        if (dlo == 0.0 && dhi == 0.0)
            return TS_OK; /* flat: nothing to polish */
    }
    if (!found)
        return TS_OK;
    gsl_function F = {chord, c};
    gsl_root_fsolver *s = c->w->root;
    int st = gsl_root_fsolver_set(s, &F, lo, hi);
    if (st)
        return TS_OK; /* no bracket after all: keep the minimiser's x */
    double xr = 0.5 * (lo + hi);
    int it = 0;
    do {
        st = gsl_root_fsolver_iterate(s);
        if (c->rc)
            return c->rc;
        if (st)
            break;
        xr = gsl_root_fsolver_root(s);
        st = gsl_root_test_interval(gsl_root_fsolver_x_lower(s),
                                    gsl_root_fsolver_x_upper(s), ROOT_TOL,
                                    0.0);
    } while (st == GSL_CONTINUE && ++it < 4 * c->o->max_iter);
    if (st == GSL_CONTINUE)
        c->noconv = 1;
    const double fr = f1(xr, c);
    if (c->rc)
        return c->rc;
    /* The chord root is the better estimate; refuse it only if it is
     * clearly worse than rounding allows. */
    if (fr >= *fx - 8.0 * DBL_EPSILON * fabs(*fx)) {
        *x = xr;
        *fx = fr;
    }
    return TS_OK;
}

/* Brent on -U over [a, b] from x, values known. */
static int brent(ts_br_ctx *c, double a, double x, double b, double fa,
                 double fx, double fb, double *xo, double *fo)
{
    gsl_function F = {neg_f1, c};
    gsl_min_fminimizer *s = c->w->fmin;
    int st = gsl_min_fminimizer_set_with_values(s, &F, x, -fx, a, -fa, b,
                                                -fb);
    if (st) {
        *xo = x;
        *fo = fx;
        return TS_OK;
    }
    int it = 0;
    do {
        st = gsl_min_fminimizer_iterate(s);
        if (c->rc)
            return c->rc;
        if (st)
            break;
        st = gsl_min_test_interval(gsl_min_fminimizer_x_lower(s),
                                   gsl_min_fminimizer_x_upper(s), BRENT_TOL,
                                   0.0);
    } while (st == GSL_CONTINUE && ++it < c->o->max_iter);
    if (st == GSL_CONTINUE)
        c->noconv = 1;
    *xo = gsl_min_fminimizer_x_minimum(s);
    *fo = -gsl_min_fminimizer_f_minimum(s);
    return TS_OK;
}

/* A maximum at the edge e of the grid, inner neighbour b with U(e) >=
 * U(b): halve toward e until a midpoint beats both ends (then Brent), or
 * the interval is gone (the maximum is the edge itself). */
static int refine_edge(ts_br_ctx *c, double e_x, double fe, double b,
                       double fb, double *xo, double *fo)
{
    *xo = e_x;
    *fo = fe;
    for (int it = 0; it < 60 && fabs(b - e_x) > 1e-12; it++) {
        const double mid = 0.5 * (e_x + b);
        const double fm = f1(mid, c);
        if (c->rc)
            return c->rc;
        if (fm > fe && fm > fb) {
            if (e_x < b)
                return brent(c, e_x, mid, b, fe, fm, fb, xo, fo);
            return brent(c, b, mid, e_x, fb, fm, fe, xo, fo);
        }
        if (fm > fe) /* fe == fb: flat from the edge; keep the edge */
            break;
        b = mid;
        fb = fm;
    }
    return TS_OK;
}

/* Global 1-D search; fills the local-maximum list of res when res != NULL. */
int ts_br_search_1d(ts_br_ctx *c, double *xo, double *fo, ts_br_result *res)
{
    ts_br_work *w = c->w;
    const int G = c->o->grid;
    double *gx = w->gx, *gf = w->gf;
    for (int k = 0; k < G; k++) {
        gx[k] = (double)k / (double)(G - 1);
        gf[k] = f1(gx[k], c);
        if (c->rc)
            return c->rc;
    }
    /* Local maxima: strictly above the left neighbour, at least the right
     * one (a plateau yields its left end once). */
    int idx[TS_BR_MAX_LOCAL];
    int n = 0;
    for (int k = 0; k < G; k++) {
        const int up = k == 0 || gf[k] > gf[k - 1];
        const int down = k == G - 1 || gf[k] >= gf[k + 1];
        if (!(up && down))
            continue;
        if (n < TS_BR_MAX_LOCAL) {
            idx[n++] = k;
        } else { /* keep the highest TS_BR_MAX_LOCAL */
            int lo = 0;
            for (int h = 1; h < n; h++)
                if (gf[idx[h]] < gf[idx[lo]])
                    lo = h;
            if (gf[k] > gf[idx[lo]])
                idx[lo] = k;
        }
    }
    /* n >= 1: the first grid point of the largest value qualifies. */
    double lx[TS_BR_MAX_LOCAL] = {gx[0]}, lf[TS_BR_MAX_LOCAL] = {gf[0]};
    for (int h = 0; h < n; h++) {
        const int k = idx[h];
        int rc;
        if (k == 0)
            rc = refine_edge(c, gx[0], gf[0], gx[1], gf[1], &lx[h], &lf[h]);
        else if (k == G - 1)
            rc = refine_edge(c, gx[G - 1], gf[G - 1], gx[G - 2], gf[G - 2],
                             &lx[h], &lf[h]);
        else if (gf[k] > gf[k + 1])
            rc = brent(c, gx[k - 1], gx[k], gx[k + 1], gf[k - 1], gf[k],
                       gf[k + 1], &lx[h], &lf[h]);
        else {
            lx[h] = gx[k];
            lf[h] = gf[k];
            rc = TS_OK;
        }
        if (!rc && c->o->polish)
            rc = polish(c, &lx[h], &lf[h]);
        if (rc)
            return rc;
    }
    /* Best first (insertion sort; n <= TS_BR_MAX_LOCAL). */
    for (int a = 1; a < n; a++)
        for (int b = a; b > 0 && lf[b] > lf[b - 1]; b--) {
            double t = lf[b];
            lf[b] = lf[b - 1];
            lf[b - 1] = t;
            t = lx[b];
            lx[b] = lx[b - 1];
            lx[b - 1] = t;
        }
    *xo = lx[0];
    *fo = lf[0];
    if (res) {
        res->n_local = n;
        for (int h = 0; h < n; h++) {
            res->local_r[h] = lx[h];
            res->local_u[h] = lf[h];
        }
    }
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* m-D: Nelder-Mead on the logistic reparametrisation.                 */

static double logistic(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

static double neg_u_nm(const gsl_vector *x, void *p)
{
    ts_br_ctx *c = p;
    if (c->rc)
        return NAN;
    ts_br_work *w = c->w;
    for (int j = 0; j < c->pb->m; j++)
        w->rs[j] = logistic(gsl_vector_get(x, (size_t)j));
    double u;
    int rc = ts_br_eval(c, w->rs, &u, NULL);
    if (rc) {
        c->rc = rc;
        return NAN;
    }
    return -u;
}

/* Start of the m-D search: each prompt's grid optimum with the other
 * prompts at q; it replaces r (value *fr) if better. */
static int separable_start(ts_br_ctx *c, double *r, double *fr)
{
    const int m = c->pb->m;
    ts_br_work *w = c->w;
    double *rsep = malloc((size_t)m * sizeof(double));
    if (!rsep)
        return TS_ERROR(c->e, TS_ENOMEM, "best response: out of memory");
    for (int j = 0; j < m; j++) {
        memcpy(w->rb, c->pb->q, (size_t)m * sizeof(double));
        c->coord = j;
        double bx = c->pb->q[j], bf = -INFINITY;
        for (int k = 0; k < c->o->grid; k++) {
            const double x = (double)k / (double)(c->o->grid - 1);
            const double f = f1(x, c);
            if (c->rc) {
                free(rsep);
                return c->rc;
            }
            if (f > bf) {
                bf = f;
                bx = x;
            }
        }
        rsep[j] = bx;
    }
    double fsep;
    int rc = ts_br_eval(c, rsep, &fsep, NULL);
    if (!rc && fsep > *fr) {
        memcpy(r, rsep, (size_t)m * sizeof(double));
        *fr = fsep;
    }
    free(rsep);
    return rc;
}

/* Nelder-Mead (gsl nmsimplex2) on the logits of r from r; r and *fr are
 * replaced when it finds better. */
static int nelder_mead(ts_br_ctx *c, double *r, double *fr)
{
    const int m = c->pb->m;
    gsl_multimin_fminimizer *s =
        gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2,
                                      (size_t)m);
    gsl_vector *x = gsl_vector_alloc((size_t)m);
    gsl_vector *step = gsl_vector_alloc((size_t)m);
    if (!s || !x || !step) {
        if (s)
            gsl_multimin_fminimizer_free(s);
        gsl_vector_free(x);
        gsl_vector_free(step);
        return TS_ERROR(c->e, TS_ENOMEM, "best response: out of memory");
    }
    for (int j = 0; j < m; j++) {
        /* Keep the start finite in logit space: 1e-9 from the edges. */
        const double rj = fmin(fmax(r[j], 1e-9), 1.0 - 1e-9);
        gsl_vector_set(x, (size_t)j, log(rj / (1.0 - rj)));
    }
    gsl_vector_set_all(step, 0.5);
    gsl_multimin_function F = {neg_u_nm, (size_t)m, c};
    int st = gsl_multimin_fminimizer_set(s, &F, x, step);
    if (!st) {
        long it = 0;
        const long cap = 20L * m * c->o->max_iter;
        do {
            st = gsl_multimin_fminimizer_iterate(s);
            if (c->rc || st)
                break;
            /* 1e-5 in logit units: below that the simplex only sees
             * rounding noise of U; the chord polish takes it further. */
            st = gsl_multimin_test_size(gsl_multimin_fminimizer_size(s),
                                        1e-5);
        } while (st == GSL_CONTINUE && ++it < cap);
        if (st == GSL_CONTINUE)
            c->noconv = 1;
        if (!c->rc && -s->fval > *fr) {
            for (int j = 0; j < m; j++)
                r[j] = logistic(gsl_vector_get(s->x, (size_t)j));
            *fr = -s->fval;
        }
    }
    gsl_multimin_fminimizer_free(s);
    gsl_vector_free(x);
    gsl_vector_free(step);
    return c->rc;
}

int ts_br_search_md(ts_br_ctx *c, double *r, double *fr)
{
    const int m = c->pb->m;
    ts_br_work *w = c->w;
    int rc = separable_start(c, r, fr);
    if (!rc)
        rc = nelder_mead(c, r, fr);
    if (rc)
        return rc;
    /* Two sweeps of the per-prompt chord polish. */
    for (int sweep = 0; sweep < 2; sweep++)
        for (int j = 0; j < m; j++) {
            memcpy(w->rb, r, (size_t)m * sizeof(double));
            c->coord = j;
            double xj = r[j], fj = *fr;
            if ((rc = polish(c, &xj, &fj)))
                return rc;
            r[j] = xj;
            *fr = fj;
        }
    return TS_OK;
}

/* U(r): worker i reports r, the others as given; exact or Monte Carlo. */
int ts_br_eval(ts_br_ctx *c, const double *r, double *U, double *per_draw)
{
    const ts_br_problem *pb = c->pb;
    ts_br_work *w = c->w;
    const int m = pb->m;
    memcpy(w->R + (size_t)pb->i * m, r, (size_t)m * sizeof(double));
    c->evals++;
    double acc = 0.0;
    int rc = c->exact ? ts_br_exact_sum(c, &acc)
                      : ts_br_mc_mean(c, &acc, per_draw);
    if (rc)
        return rc;
    *U = acc;
    return TS_OK;
}

/* bestresp_run.c -- single-slot best responses (bestresp.h; SPEC §4, §5):
 * the set-up and the entry points, the top of the search.  U(r) and the
 * searches are in bestresp_search.c, the enumeration and the Monte Carlo
 * draws in bestresp_exact.c and bestresp_mc.c, one slot on a clone in
 * bestresp_slot.c
 * (bestresp_impl.h).
 *
 * Legend: N workers, m prompts, i the deviating worker, q his beliefs [m],
 * r reports (R[N][m], row i his), pv verified states [m], qe_j = P(pv_j =
 * 1) = (1 - 2 epsilon) q_j + epsilon (App. I), theta draw probabilities
 * [N] (Sec. VI), k workers heard per slot, U the expected utility.
 *
 * An "outcome" is one (pv, heard set) pair; one evaluation of U runs
 * aggregate + update on a memcpy clone of the state for every outcome
 * (exact, weighted by its probability) or for each of the S stored draws
 * (Monte Carlo, plain mean).  Sums run in outcome order, so U is a pure
 * function of (problem, options).
 *
 * The mechanism is only ever called through its vtable; which outcomes
 * exist follows from the vtable's shape (feedback, theta, n_heard), never
 * from its name. */
#include "game/bestresp_impl.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void ts_br_options_default(ts_br_options *o)
{
    o->exact_budget = 16384;
    o->samples = 4096;
    o->seed = 1;
    o->grid = 201;
    o->max_iter = 200;
    o->polish = 1;
}

int ts_br_parse_utility(const char *s, ts_br_utility *u, ts_err *e)
{
    if (s && !strcmp(s, "weight")) {
        *u = TS_BR_WEIGHT;
        return TS_OK;
    }
    if (s && !strcmp(s, "share")) {
        *u = TS_BR_SHARE;
        return TS_OK;
    }
    return TS_ERROR(e, TS_EINPUT,
                    "utility '%s' is not known (valid: weight, share)",
                    s ? s : "(null)");
}

void ts_br_work_free(ts_br_work *w)
{
    if (!w)
        return;
    free(w->clone);
    free(w->R);
    free(w->rows);
    free(w->A);
    free(w->pv);
    free(w->qe);
    free(w->logw);
    free(w->share);
    free(w->theta);
    free(w->sel);
    free(w->pvS);
    free(w->selS);
    free(w->uS);
    free(w->uT);
    free(w->gx);
    free(w->gf);
    free(w->r);
    free(w->rb);
    free(w->rs);
    if (w->fmin)
        gsl_min_fminimizer_free(w->fmin);
    if (w->root)
        gsl_root_fsolver_free(w->root);
    free(w);
}

static int check_options(const ts_br_options *o, ts_err *e)
{
    if (o->exact_budget < 0 || o->samples < 2 || o->grid < 3 ||
        o->max_iter < 1)
        return TS_ERROR(e, TS_EINPUT,
                        "best response: options out of range (exact_budget "
                        "%ld >= 0, samples %ld >= 2, grid %d >= 3, max_iter "
                        "%d >= 1)", o->exact_budget, o->samples, o->grid,
                        o->max_iter);
    return TS_OK;
}

int ts_br_work_alloc(ts_br_work **wp, const ts_mechanism_type *mt,
                     const ts_shape *g, const ts_br_options *o, ts_err *e)
{
    *wp = NULL;
    if (!mt || !g || g->N < 1 || g->m < 1)
        return TS_ERROR(e, TS_EINVAL, "best response: no mechanism, or a "
                                      "shape with N < 1 or m < 1");
    int rc = check_options(o, e);
    if (rc)
        return rc;
    ts_br_work *w = calloc(1, sizeof *w);
    if (!w)
        return TS_ERROR(e, TS_ENOMEM, "best response: out of memory");
    const size_t N = (size_t)g->N, m = (size_t)g->m, S = (size_t)o->samples;
    w->mt = mt;
    w->g = *g;
    w->st_size = mt->state_size(g);
    w->S = o->samples;
    w->grid = o->grid;
    w->clone = malloc(w->st_size ? w->st_size : 1);
    w->R = malloc(N * m * sizeof(double));
    w->rows = malloc(N * m * sizeof(double));
    w->A = malloc(m * sizeof(double));
    w->pv = malloc(m * sizeof(double));
    w->qe = malloc(m * sizeof(double));
    w->logw = malloc(N * sizeof(double));
    w->share = malloc(N * sizeof(double));
    w->theta = malloc(N * sizeof(double));
    w->sel = malloc(N * sizeof(int));
    w->pvS = malloc(S * m);
    w->selS = malloc(S * N * sizeof(int));
    w->uS = malloc(S * sizeof(double));
    w->uT = malloc(S * sizeof(double));
    w->gx = malloc((size_t)o->grid * sizeof(double));
    w->gf = malloc((size_t)o->grid * sizeof(double));
    w->r = malloc(m * sizeof(double));
    w->rb = malloc(m * sizeof(double));
    w->rs = malloc(m * sizeof(double));
    w->fmin = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    w->root = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!w->clone || !w->R || !w->rows || !w->A || !w->pv || !w->qe ||
        !w->logw || !w->share || !w->theta || !w->sel || !w->pvS ||
        !w->selS || !w->uS || !w->uT || !w->gx || !w->gf || !w->r ||
        !w->rb || !w->rs || !w->fmin || !w->root) {
        ts_br_work_free(w);
        return TS_ERROR(e, TS_ENOMEM, "best response: out of memory "
                                      "(S = %ld, N = %d, m = %d)",
                        o->samples, g->N, g->m);
    }
    *wp = w;
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Set-up: check the problem, who is heard, exact or Monte Carlo.      */

static int in01(double x)
{
    return x >= 0.0 && x <= 1.0;
}

/* Every precondition of bestresp.h on the problem, the options and the
 * workspace. */
static int check_problem(const ts_br_problem *pb, const ts_br_options *o,
                         const ts_br_work *w, ts_err *e)
{
    int rc = check_options(o, e);
    if (rc)
        return rc;
    if (!pb || !pb->mt || !pb->state || !pb->q || !pb->r_others || !w)
        return TS_ERROR(e, TS_EINVAL, "best response: missing mechanism, "
                                      "state, q, r_others or workspace");
    const int N = pb->g.N, m = pb->m;
    if (w->mt != pb->mt || w->g.N != N || w->g.m != pb->g.m ||
        w->S != o->samples || w->grid != o->grid)
        return TS_ERROR(e, TS_EINVAL, "best response: workspace was "
                                      "allocated for another mechanism, "
                                      "shape or options");
    if (pb->i < 0 || pb->i >= N || m < 1 || m > pb->g.m)
        return TS_ERROR(e, TS_EINVAL,
                        "best response: worker %d of N = %d, m = %d of at "
                        "most %d", pb->i, N, m, pb->g.m);
    for (int j = 0; j < m; j++)
        if (!in01(pb->q[j]))
            return TS_ERROR(e, TS_EINPUT,
                            "best response: belief q[%d] = %g is outside "
                            "[0,1]", j, pb->q[j]);
    for (int k = 0; k < N; k++)
        for (int j = 0; k != pb->i && j < m; j++)
            if (!in01(pb->r_others[(size_t)k * m + j]))
                return TS_ERROR(e, TS_EINPUT,
                                "best response: worker %d's report on "
                                "prompt %d, %g, is outside [0,1]", k, j,
                                pb->r_others[(size_t)k * m + j]);
    if (!(pb->epsilon >= 0.0 && pb->epsilon <= 0.5))
        return TS_ERROR(e, TS_EINPUT,
                        "best response: epsilon = %g is outside [0, 1/2] "
                        "(Prop. 3 flips verified states with probability "
                        "epsilon)", pb->epsilon);
    if (pb->utility != TS_BR_WEIGHT && pb->utility != TS_BR_SHARE)
        return TS_ERROR(e, TS_EINPUT, "best response: unknown utility %d",
                        (int)pb->utility);
    if (!pb->exchangeable)
        return TS_OK;
    for (int j = 1; j < m; j++)
        if (pb->q[j] != pb->q[0])
            return TS_ERROR(e, TS_EINVAL,
                            "best response: exchangeable prompts need "
                            "equal beliefs (q[%d] = %g, q[0] = %g)", j,
                            pb->q[j], pb->q[0]);
    for (int k = 0; k < N; k++)
        for (int j = 1; k != pb->i && j < m; j++)
            if (pb->r_others[(size_t)k * m + j] != pb->r_others[(size_t)k * m])
                return TS_ERROR(e, TS_EINVAL,
                                "best response: exchangeable prompts "
                                "need each other worker's reports "
                                "equal across prompts (worker %d)", k);
    return TS_OK;
}

/* Who is heard: the vtable's shape decides (game.h).  *n_sets gets the
 * number of heard sets an outcome can have. */
static int who_is_heard(ts_br_ctx *c, double *n_sets)
{
    const ts_br_problem *pb = c->pb;
    const ts_mechanism_type *mt = pb->mt;
    const int N = pb->g.N;
    *n_sets = 1.0;
    if (mt->feedback == TS_FULL) {
        c->heard = TS_BR_HEARD_ALL;
        c->k = N;
    } else if (mt->theta) {
        c->heard = TS_BR_HEARD_THETA;
        c->k = 1;
        if (mt->n_heard && mt->n_heard(&pb->g, pb->par) != 1)
            return TS_ERROR(c->e, TS_EUNSUPP,
                            "best response: %s draws by theta but hears %d "
                            "workers; only one is supported", mt->name,
                            mt->n_heard(&pb->g, pb->par));
        mt->theta(pb->state, c->w->theta);
        *n_sets = 0.0;
        for (int h = 0; h < N; h++)
            if (c->w->theta[h] > 0.0)
                *n_sets += 1.0;
    } else {
        c->heard = TS_BR_HEARD_SUBSET;
        if (!mt->n_heard || !pb->par)
            return TS_ERROR(c->e, TS_EINVAL,
                            "best response: %s hears a subset but has no "
                            "n_heard (or no parameters were given)",
                            mt->name);
        c->k = mt->n_heard(&pb->g, pb->par);
        if (c->k < 1 || c->k > N)
            return TS_ERROR(c->e, TS_EINVAL,
                            "best response: %s hears %d of N = %d workers",
                            mt->name, c->k, N);
        *n_sets = ts_br_choose(N, c->k);
    }
    return TS_OK;
}

/* Check, decide exact or Monte Carlo from the count of outcomes (never
 * from a name), fill the reports and qe, and draw when Monte Carlo. */
static int setup(ts_br_ctx *c, const ts_br_problem *pb,
                 const ts_br_options *o, ts_br_work *w, ts_err *e)
{
    memset(c, 0, sizeof *c);
    c->pb = pb;
    c->o = o;
    c->w = w;
    c->e = e;
    c->coord = -1;
    double n_sets;
    int rc = check_problem(pb, o, w, e);
    if (!rc)
        rc = who_is_heard(c, &n_sets);
    if (rc)
        return rc;
    const int N = pb->g.N, m = pb->m;
    const double n_pv = pb->exchangeable ? (double)(m + 1)
                        : m <= 62 ? ldexp(1.0, m) : INFINITY;
    const double n_out = n_pv * n_sets;
    c->exact = n_out <= (double)o->exact_budget;
    c->n_out = c->exact ? (long)n_out : o->samples;

    for (int j = 0; j < m; j++)
        w->qe[j] = (1.0 - 2.0 * pb->epsilon) * pb->q[j] + pb->epsilon;
    memcpy(w->R, pb->r_others, (size_t)N * m * sizeof(double));
    return c->exact ? TS_OK : ts_br_mc_draw(c);
}

/* ------------------------------------------------------------------ */

int ts_br_expected_utility(const ts_br_problem *pb, const ts_br_options *o,
                           ts_br_work *w, const double *r, double *u,
                           int *exact, ts_err *e)
{
    ts_br_ctx c;
    int rc = setup(&c, pb, o, w, e);
    if (rc)
        return rc;
    for (int j = 0; j < pb->m; j++)
        if (!in01(r[j]))
            return TS_ERROR(e, TS_EINPUT, "best response: report r[%d] = "
                                          "%g is outside [0,1]", j, r[j]);
    if (exact)
        *exact = c.exact;
    rc = ts_br_eval(&c, r, u, NULL);
    if (!rc && c.noconv)
        rc = TS_ERROR(e, TS_ENOCONV, "best response: %s hit an iteration "
                                     "cap in the slot", pb->mt->name);
    return rc;
}

int ts_best_response(const ts_br_problem *pb, const ts_br_options *o,
                     ts_br_work *w, double *r_star, ts_br_result *res,
                     ts_err *e)
{
    ts_br_ctx c;
    int rc = setup(&c, pb, o, w, e);
    if (rc)
        return rc;
    const int m = pb->m;
    memset(res, 0, sizeof *res);
    res->exact = c.exact;
    res->outcomes = c.n_out;

    int common = 1;
    for (int j = 1; j < m; j++)
        common = common && pb->q[j] == pb->q[0];
    res->common = common;

    double u_truth;
    if ((rc = ts_br_eval(&c, pb->q, &u_truth, c.exact ? NULL : w->uT)))
        return rc;
    double u_star;
    if (common) {
        double x;
        c.coord = -1;
        if ((rc = ts_br_search_1d(&c, &x, &u_star, res)))
            return rc;
        for (int j = 0; j < m; j++)
            r_star[j] = x;
    } else {
        memcpy(r_star, pb->q, (size_t)m * sizeof(double));
        u_star = u_truth;
        if ((rc = ts_br_search_md(&c, r_star, &u_star)))
            return rc;
    }
    /* Truthful unless better by more than rounding (a few ulp of U, the
     * noise of one evaluation): gain >= 0, and a flat U (a mechanism whose
     * weights never move) or a truthful one answers r* = q exactly. */
    if (!(u_star > u_truth + 4.0 * DBL_EPSILON * fabs(u_truth))) {
        memcpy(r_star, pb->q, (size_t)m * sizeof(double));
        u_star = u_truth;
    }
    res->u_truth = u_truth;
    res->u_star = u_star;
    res->gain = u_star - u_truth;
    res->gain_ci = 0.0;
    if (!c.exact && res->gain > 0.0) {
        /* Paired differences on the same draws (common random numbers). */
        double U;
        if ((rc = ts_br_eval(&c, r_star, &U, w->uS)))
            return rc;
        ts_br_mc_gain(w, o->samples, &res->gain, &res->gain_ci);
    }
    res->evals = c.evals;
    res->status = c.noconv ? TS_ENOCONV : TS_OK;
    if (c.noconv)
        return TS_ERROR(e, TS_ENOCONV,
                        "best response: %s: a minimiser or the mechanism "
                        "hit its iteration cap; the best point found is "
                        "reported", pb->mt->name);
    return TS_OK;
}

/* bestresp.c -- single-slot best responses (bestresp.h; SPEC §4, §5).
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
#include "game/bestresp.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_vector.h>

#include "base/rng.h"

/* Half-width of the level chord whose midpoint polishes a maximiser.
 * Bias ~ h^2 U'''/(6 U'') (1e-10 for U''' ~ 10 U''), rounding noise
 * ~ 2 ulp(U) / (2 h |U''|) (2e-10 at |U''| = 0.1): both below the 1e-9
 * the checks need. */
#define CHORD_H 1e-5
/* Brent's stopping width on r; the chord polish takes it from there. */
#define BRENT_TOL 1e-6
/* The chord root's stopping width. */
#define ROOT_TOL 1e-13

enum { HEARD_ALL, HEARD_THETA, HEARD_SUBSET };

struct ts_br_work {
    const ts_mechanism_type *mt;
    ts_shape g;
    size_t st_size;
    long S;
    int grid;
    void *clone;          /* [st_size] bytes                                */
    double *R;            /* [N][m] reports, row i is the candidate         */
    double *rows;         /* [N][m] heard rows in sel order                 */
    double *A, *pv, *qe;  /* [m]                                            */
    double *logw, *share, *theta; /* [N]                                    */
    int *sel;             /* [N]                                            */
    unsigned char *pvS;   /* [S][m] Monte Carlo verified states             */
    int *selS;            /* [S][N] Monte Carlo heard sets                  */
    double *uS, *uT;      /* [S] per-draw utilities: candidate, truthful    */
    double *gx, *gf;      /* [grid] the 1-D grid and its values             */
    double *r, *rb, *rs;  /* [m] candidate, base point, search scratch      */
    gsl_min_fminimizer *fmin;
    gsl_root_fsolver *root;
};

typedef struct br_ctx {
    const ts_br_problem *pb;
    const ts_br_options *o;
    ts_br_work *w;
    ts_err *e;
    int heard;     /* HEARD_*                                              */
    int k;         /* workers heard per outcome                            */
    int exact;
    long n_out;    /* outcomes per evaluation                              */
    int coord;     /* 1-D searches: -1 common report, else the prompt      */
    long evals;
    int rc;        /* first error inside a GSL callback                    */
    int noconv;    /* the mechanism or a minimiser hit its cap             */
} br_ctx;

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
/* One slot on a clone, and U(r).                                      */

/* Clone the state, run the slot with the heard rows sel[nh] (sel NULL:
 * everyone, in order), and read worker i's utility. */
static int run_slot(br_ctx *c, const int *sel, int nh, double *u)
{
    const ts_br_problem *pb = c->pb;
    ts_br_work *w = c->w;
    const ts_mechanism_type *mt = pb->mt;
    const int N = pb->g.N, m = pb->m;
    memcpy(w->clone, pb->state, w->st_size);
    ts_slot s = {.t = pb->t, .N = N, .m = m, .r = w->R, .n_heard = N,
                 .sel = NULL};
    if (sel) {
        for (int h = 0; h < nh; h++)
            memcpy(w->rows + (size_t)h * m, w->R + (size_t)sel[h] * m,
                   (size_t)m * sizeof(double));
        s.r = w->rows;
        s.n_heard = nh;
        s.sel = sel;
    }
    int rc = mt->aggregate(w->clone, &s, w->A, c->e);
    if (rc == TS_ENOCONV)
        c->noconv = 1;
    else if (rc)
        return rc;
    rc = mt->update(w->clone, &s, w->pv, c->e);
    if (rc == TS_ENOCONV)
        c->noconv = 1;
    else if (rc)
        return rc;
    mt->log_weights(w->clone, w->logw);
    if (pb->utility == TS_BR_WEIGHT) {
        *u = exp(w->logw[pb->i]);
    } else {
        ts_shares_from_log(N, w->logw, w->share);
        *u = w->share[pb->i];
    }
    if (!isfinite(*u))
        return TS_ERROR(c->e, TS_ENONFINITE,
                        "best response: %s: worker %d's utility is %g after "
                        "the slot", mt->name, pb->i, *u);
    return TS_OK;
}

/* C(n, k) as a double (exact for the sizes enumerated). */
static double choose(int n, int k)
{
    double x = 1.0;
    for (int j = 1; j <= k; j++)
        x = x * (double)(n - k + j) / (double)j;
    return x;
}

/* Next k-subset of 0..N-1 in lexicographic order; 0 after the last. */
static int next_subset(int *sel, int k, int N)
{
    int j = k - 1;
    while (j >= 0 && sel[j] == N - k + j)
        j--;
    if (j < 0)
        return 0;
    sel[j]++;
    for (int h = j + 1; h < k; h++)
        sel[h] = sel[h - 1] + 1;
    return 1;
}

/* Sum over the heard sets for the pv in w->pv: *acc += p_pv * E_heard[u]. */
static int heard_sum(br_ctx *c, double p_pv, double *acc)
{
    ts_br_work *w = c->w;
    const int N = c->pb->g.N;
    double u;
    int rc;
    switch (c->heard) {
    case HEARD_ALL:
        rc = run_slot(c, NULL, N, &u);
        if (rc)
            return rc;
        *acc += p_pv * u;
        return TS_OK;
    case HEARD_THETA:
        for (int h = 0; h < N; h++) {
            if (!(w->theta[h] > 0.0))
                continue;
            w->sel[0] = h;
            rc = run_slot(c, w->sel, 1, &u);
            if (rc)
                return rc;
            *acc += p_pv * w->theta[h] * u;
        }
        return TS_OK;
    default: {
        const double ph = 1.0 / choose(N, c->k);
        for (int h = 0; h < c->k; h++)
            w->sel[h] = h;
        do {
            rc = run_slot(c, w->sel, c->k, &u);
            if (rc)
                return rc;
            *acc += p_pv * ph * u;
        } while (next_subset(w->sel, c->k, N));
        return TS_OK;
    }
    }
}

/* U(r) for reports r[m] of worker i; per_draw[S] gets the Monte Carlo
 * utilities when not NULL. */
static int eval_u(br_ctx *c, const double *r, double *U, double *per_draw)
{
    const ts_br_problem *pb = c->pb;
    ts_br_work *w = c->w;
    const int m = pb->m;
    int rc;
    memcpy(w->R + (size_t)pb->i * m, r, (size_t)m * sizeof(double));
    c->evals++;
    double acc = 0.0;
    if (c->exact && pb->exchangeable) {
        /* All qe_j equal: only the count n1 of ones matters. */
        const double qe = w->qe[0];
        for (int n1 = 0; n1 <= m; n1++) {
            const double p = choose(m, n1) * pow(qe, n1) * pow(1.0 - qe, m - n1);
            if (!(p > 0.0))
                continue;
            for (int j = 0; j < m; j++)
                w->pv[j] = j < n1 ? 1.0 : 0.0;
            if ((rc = heard_sum(c, p, &acc)))
                return rc;
        }
    } else if (c->exact) {
        const unsigned long n_pv = 1ul << m;
        for (unsigned long b = 0; b < n_pv; b++) {
            double p = 1.0;
            for (int j = 0; j < m; j++) {
                const int one = (int)((b >> j) & 1ul);
                w->pv[j] = one;
                p *= one ? w->qe[j] : 1.0 - w->qe[j];
            }
            if (!(p > 0.0))
                continue;
            if ((rc = heard_sum(c, p, &acc)))
                return rc;
        }
    } else {
        const long S = w->S;
        const int N = pb->g.N;
        for (long s = 0; s < S; s++) {
            for (int j = 0; j < m; j++)
                w->pv[j] = w->pvS[(size_t)s * m + j];
            double u;
            const int *sel = c->heard == HEARD_ALL
                                 ? NULL
                                 : w->selS + (size_t)s * N;
            if ((rc = run_slot(c, sel, c->heard == HEARD_ALL ? N : c->k, &u)))
                return rc;
            if (per_draw)
                per_draw[s] = u;
            acc += u;
        }
        acc /= (double)S;
    }
    *U = acc;
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Setup: check the problem, choose exact or Monte Carlo, draw.        */

static int in01(double x)
{
    return x >= 0.0 && x <= 1.0;
}

static int setup(br_ctx *c, const ts_br_problem *pb, const ts_br_options *o,
                 ts_br_work *w, ts_err *e)
{
    memset(c, 0, sizeof *c);
    c->pb = pb;
    c->o = o;
    c->w = w;
    c->e = e;
    c->coord = -1;
    int rc = check_options(o, e);
    if (rc)
        return rc;
    if (!pb || !pb->mt || !pb->state || !pb->q || !pb->r_others || !w)
        return TS_ERROR(e, TS_EINVAL, "best response: missing mechanism, "
                                      "state, q, r_others or workspace");
    const ts_mechanism_type *mt = pb->mt;
    const int N = pb->g.N, m = pb->m;
    if (w->mt != mt || w->g.N != N || w->g.m != pb->g.m ||
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
    if (pb->exchangeable) {
        for (int j = 1; j < m; j++)
            if (pb->q[j] != pb->q[0])
                return TS_ERROR(e, TS_EINVAL,
                                "best response: exchangeable prompts need "
                                "equal beliefs (q[%d] = %g, q[0] = %g)", j,
                                pb->q[j], pb->q[0]);
        for (int k = 0; k < N; k++)
            for (int j = 1; k != pb->i && j < m; j++)
                if (pb->r_others[(size_t)k * m + j] !=
                    pb->r_others[(size_t)k * m])
                    return TS_ERROR(e, TS_EINVAL,
                                    "best response: exchangeable prompts "
                                    "need each other worker's reports "
                                    "equal across prompts (worker %d)", k);
    }

    /* Who is heard: the vtable's shape decides (game.h). */
    double n_heard_out = 1.0;
    if (mt->feedback == TS_FULL) {
        c->heard = HEARD_ALL;
        c->k = N;
    } else if (mt->theta) {
        c->heard = HEARD_THETA;
        c->k = 1;
        if (mt->n_heard && mt->n_heard(&pb->g, pb->par) != 1)
            return TS_ERROR(e, TS_EUNSUPP,
                            "best response: %s draws by theta but hears %d "
                            "workers; only one is supported", mt->name,
                            mt->n_heard(&pb->g, pb->par));
        mt->theta(pb->state, w->theta);
        n_heard_out = 0.0;
        for (int h = 0; h < N; h++)
            if (w->theta[h] > 0.0)
                n_heard_out += 1.0;
    } else {
        c->heard = HEARD_SUBSET;
        if (!mt->n_heard || !pb->par)
            return TS_ERROR(e, TS_EINVAL,
                            "best response: %s hears a subset but has no "
                            "n_heard (or no parameters were given)",
                            mt->name);
        c->k = mt->n_heard(&pb->g, pb->par);
        if (c->k < 1 || c->k > N)
            return TS_ERROR(e, TS_EINVAL,
                            "best response: %s hears %d of N = %d workers",
                            mt->name, c->k, N);
        n_heard_out = choose(N, c->k);
    }
    const double n_pv = pb->exchangeable ? (double)(m + 1)
                        : m <= 62 ? ldexp(1.0, m) : INFINITY;
    const double n_out = n_pv * n_heard_out;
    c->exact = n_out <= (double)o->exact_budget;
    c->n_out = c->exact ? (long)n_out : o->samples;

    for (int j = 0; j < m; j++)
        w->qe[j] = (1.0 - 2.0 * pb->epsilon) * pb->q[j] + pb->epsilon;
    memcpy(w->R, pb->r_others, (size_t)N * m * sizeof(double));

    if (!c->exact) {
        /* Common random numbers: draws fixed before any candidate.  Per
         * draw: (p_j, flip_j) uniforms for every prompt, then the heard
         * set.  p from q (the worker's belief), pv = p xor flip (Prop. 3). */
        ts_rng g;
        ts_rng_init(&g, o->seed, 0, 0, TS_STREAM_MC);
        ts_rng_seek(&g, (uint64_t)pb->t);
        for (long s = 0; s < o->samples; s++) {
            for (int j = 0; j < m; j++) {
                const int p = ts_rng_u01(&g) < pb->q[j];
                const int flip = ts_rng_u01(&g) < pb->epsilon;
                w->pvS[(size_t)s * m + j] = (unsigned char)(p ^ flip);
            }
            int *sel = w->selS + (size_t)s * N;
            if (c->heard == HEARD_THETA)
                sel[0] = ts_draw_index(w->theta, N, ts_rng_u01_53(&g));
            else if (c->heard == HEARD_SUBSET)
                ts_draw_subset(&g, N, c->k, sel);
        }
        if (g.overflow)
            return TS_ERROR(e, TS_EINPUT,
                            "best response: %ld samples need more than "
                            "2^24 Philox blocks; use fewer", o->samples);
    }
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* 1-D searches: the common report (coord = -1) or prompt coord with the
 * others at w->rb. */

static double f1(double x, br_ctx *c)
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
    int rc = eval_u(c, w->rs, &u, NULL);
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
    br_ctx *c = p;
    return f1(x + CHORD_H, c) - f1(x - CHORD_H, c);
}

/* Polish a maximiser *x (value *fx) to the root of the chord difference,
 * when a sign change brackets it inside [h, 1 - h]. */
static int polish(br_ctx *c, double *x, double *fx)
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
static int brent(br_ctx *c, double a, double x, double b, double fa,
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
static int refine_edge(br_ctx *c, double e_x, double fe, double b,
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
static int search_1d(br_ctx *c, double *xo, double *fo, ts_br_result *res)
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
    br_ctx *c = p;
    if (c->rc)
        return NAN;
    ts_br_work *w = c->w;
    for (int j = 0; j < c->pb->m; j++)
        w->rs[j] = logistic(gsl_vector_get(x, (size_t)j));
    double u;
    int rc = eval_u(c, w->rs, &u, NULL);
    if (rc) {
        c->rc = rc;
        return NAN;
    }
    return -u;
}

/* r (in/out, [m]) and its value *fr: the multi-prompt search. */
static int search_md(br_ctx *c, double *r, double *fr)
{
    const int m = c->pb->m;
    ts_br_work *w = c->w;
    int rc;
    /* Start: per-prompt grid optimum with the other prompts at q. */
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
    rc = eval_u(c, rsep, &fsep, NULL);
    if (rc) {
        free(rsep);
        return rc;
    }
    if (fsep > *fr) {
        memcpy(r, rsep, (size_t)m * sizeof(double));
        *fr = fsep;
    }
    free(rsep);

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
    if (c->rc)
        return c->rc;
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

/* ------------------------------------------------------------------ */

int ts_br_expected_utility(const ts_br_problem *pb, const ts_br_options *o,
                           ts_br_work *w, const double *r, double *u,
                           int *exact, ts_err *e)
{
    br_ctx c;
    int rc = setup(&c, pb, o, w, e);
    if (rc)
        return rc;
    for (int j = 0; j < pb->m; j++)
        if (!in01(r[j]))
            return TS_ERROR(e, TS_EINPUT, "best response: report r[%d] = "
                                          "%g is outside [0,1]", j, r[j]);
    if (exact)
        *exact = c.exact;
    rc = eval_u(&c, r, u, NULL);
    if (!rc && c.noconv)
        rc = TS_ERROR(e, TS_ENOCONV, "best response: %s hit an iteration "
                                     "cap in the slot", pb->mt->name);
    return rc;
}

int ts_best_response(const ts_br_problem *pb, const ts_br_options *o,
                     ts_br_work *w, double *r_star, ts_br_result *res,
                     ts_err *e)
{
    br_ctx c;
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
    if ((rc = eval_u(&c, pb->q, &u_truth, c.exact ? NULL : w->uT)))
        return rc;
    double u_star;
    if (common) {
        double x;
        c.coord = -1;
        if ((rc = search_1d(&c, &x, &u_star, res)))
            return rc;
        for (int j = 0; j < m; j++)
            r_star[j] = x;
    } else {
        memcpy(r_star, pb->q, (size_t)m * sizeof(double));
        u_star = u_truth;
        if ((rc = search_md(&c, r_star, &u_star)))
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
        if ((rc = eval_u(&c, r_star, &U, w->uS)))
            return rc;
        const long S = o->samples;
        double mean = 0.0, ss = 0.0;
        for (long s = 0; s < S; s++)
            mean += w->uS[s] - w->uT[s];
        mean /= (double)S;
        for (long s = 0; s < S; s++) {
            const double d = w->uS[s] - w->uT[s] - mean;
            ss += d * d;
        }
        const double sd = sqrt(ss / (double)(S - 1));
        res->gain = mean;
        res->gain_ci = gsl_cdf_tdist_Pinv(0.975, (double)(S - 1)) * sd /
                       sqrt((double)S);
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

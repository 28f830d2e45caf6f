/* bestresp_impl.h -- how the parts of the single-slot best response share
 * their state (internal to src/game; bestresp.h is the API).
 *
 *   bestresp.c         set-up (check the problem, who is heard, exact or
 *                      Monte Carlo), one slot on a clone, U(r), the entry
 *                      points
 *   bestresp_exact.c   U(r) by enumerating every outcome
 *   bestresp_mc.c      the common random numbers, U(r) as their mean, the
 *                      paired confidence interval of the gain
 *   bestresp_search.c  the maximisation of U: 1-D grid + Brent + chord
 *                      polish, m-D Nelder-Mead
 *
 * The legend of bestresp.c holds for all of them. */
#ifndef TS_BESTRESP_IMPL_H
#define TS_BESTRESP_IMPL_H

#include <gsl/gsl_min.h>
#include <gsl/gsl_roots.h>

#include "game/bestresp.h"

/* Who is heard in an outcome (game.h's vtable shape decides): everyone
 * (full feedback), one worker drawn by theta (Def. 5, exp3), or a uniform
 * k-subset (the subset baselines). */
enum { TS_BR_HEARD_ALL, TS_BR_HEARD_THETA, TS_BR_HEARD_SUBSET };

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

/* One best-response (or U) computation: the problem, and what set-up
 * decided about it. */
typedef struct ts_br_ctx {
    const ts_br_problem *pb;
    const ts_br_options *o;
    ts_br_work *w;
    ts_err *e;
    int heard;     /* TS_BR_HEARD_*                                        */
    int k;         /* workers heard per outcome                            */
    int exact;
    long n_out;    /* outcomes per evaluation                              */
    int coord;     /* 1-D searches: -1 common report, else the prompt      */
    long evals;
    int rc;        /* first error inside a GSL callback                    */
    int noconv;    /* the mechanism or a minimiser hit its cap             */
} ts_br_ctx;

/* bestresp.c: run the slot on a clone of the state with the heard rows
 * sel[nh] (sel NULL: everyone, in order) and read worker i's utility. */
int ts_br_run_slot(ts_br_ctx *c, const int *sel, int nh, double *u);
/* bestresp.c: U(r) for reports r[m] of worker i, exact or Monte Carlo;
 * per_draw[S] gets the Monte Carlo utilities when not NULL. */
int ts_br_eval(ts_br_ctx *c, const double *r, double *U, double *per_draw);

/* bestresp_exact.c: C(n, k) as a double (exact for the sizes enumerated). */
double ts_br_choose(int n, int k);
/* bestresp_exact.c: *acc = sum over every outcome of P(outcome) u. */
int ts_br_exact_sum(ts_br_ctx *c, double *acc);

/* bestresp_mc.c: draw the S outcomes once, before any candidate. */
int ts_br_mc_draw(ts_br_ctx *c);
/* bestresp_mc.c: *acc = the mean of u over the S draws. */
int ts_br_mc_mean(ts_br_ctx *c, double *acc, double *per_draw);
/* bestresp_mc.c: the paired mean difference of w->uS - w->uT and its 95 %
 * half-width (Student t, S - 1 degrees of freedom). */
void ts_br_mc_gain(const ts_br_work *w, long S, double *gain, double *ci);

/* bestresp_search.c: the global 1-D maximum (common report, or prompt
 * c->coord with the others at w->rb); res gets the local maxima when not
 * NULL. */
int ts_br_search_1d(ts_br_ctx *c, double *xo, double *fo, ts_br_result *res);
/* bestresp_search.c: r (in/out, [m]) and its value *fr: the multi-prompt
 * search. */
int ts_br_search_md(ts_br_ctx *c, double *r, double *fr);

#endif

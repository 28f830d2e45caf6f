/* bestresp.h -- single-slot best responses, found numerically (SPEC §4
 * `best-response`; the checks of SPEC §5: Prop. 1, 3(a), 4, Lemmas 2, 4).
 *
 * Worker i holds beliefs q[m] (p_j ~ Bernoulli(q_j) independently, in his
 * view) and faces a mechanism in a given state, the other workers' reports
 * fixed.  He picks reports r in [0,1]^m to maximise his expected utility
 * after the next slot:
 *   weight:  U(r) = E[w_i']                (the paper's, eq. 4; App. B, D)
 *   share:   U(r) = E[w_i' / sum_k w_k']   (Freeman et al., ICML 2020)
 * with w = exp(log_weights) of the mechanism after aggregate + update.
 * The expectation runs over
 *   - the verified states pv: p flipped with probability epsilon (Prop. 3),
 *     so pv_j ~ Bernoulli((1 - 2 epsilon) q_j + epsilon) independently
 *     (App. I) -- the mechanism sees only pv;
 *   - under limited feedback, who is heard: one worker drawn by the
 *     mechanism's theta (Def. 5, exp3; App. E, F), or a uniform k-subset
 *     when theta is NULL (the subset baselines).
 *
 * Exact or Monte Carlo, decided from counts alone (never from a name): the
 * number of outcomes is (2^m, or m + 1 for exchangeable prompts) x (1 heard
 * set, N draws, or C(N, k) subsets); at most `exact_budget` of them are
 * enumerated exactly, each on a memcpy clone of the state (game.h).
 * Otherwise S outcomes are drawn once (Philox stream TS_STREAM_MC keyed by
 * `seed`, slot counter t) and reused for every candidate r (common random
 * numbers), so U is smooth in r and the gain's confidence interval comes
 * from the paired per-outcome differences.
 *
 * Search: with one prompt, or all q_j equal (then r* is the best *common*
 * report, every prompt the same), a grid over [0,1], every local maximum
 * refined by Brent (gsl_min_fminimizer_brent on -U), then polished by
 * solving U(x + h) = U(x - h) for x (gsl_root_fsolver_brent; the midpoint
 * of a level chord, which is the maximiser up to O(h^2) and, unlike the
 * value comparisons of a minimiser, locates it to ~1e-10 rather than
 * sqrt(DBL_EPSILON)).  With different q_j: Nelder-Mead
 * (gsl_multimin nmsimplex2) on r_j = 1/(1 + e^{-x_j}), started from the
 * better of r = q and the per-prompt grid optimum, then two sweeps of the
 * per-prompt polish.  r* = q whenever U(r*) <= U(q), so gain >= 0.
 *
 * Left out: multi-slot deviations (SPEC §4's horizon-level strategies) and
 * random reports of the others (the caller fixes them). */
#ifndef TS_BESTRESP_H
#define TS_BESTRESP_H

#include <stdint.h>

#include "base/err.h"
#include "game/game.h"
#include "base/params.h"

typedef enum {
    TS_BR_WEIGHT = 0, /* E[w_i'] (eq. 4)                                    */
    TS_BR_SHARE = 1,  /* E[w_i' / sum_k w_k'] (Freeman et al.)             */
} ts_br_utility;

/* Most local maxima of a 1-D search that are refined and reported. */
#define TS_BR_MAX_LOCAL 8

typedef struct ts_br_problem {
    const ts_mechanism_type *mt;
    ts_shape g;             /* the shape the state was initialised for     */
    const ts_params *par;   /* the mechanism's parameters, defaults filled  */
    const void *state;      /* [mt->state_size(&g)] bytes, before the slot  */
    long t;                 /* slot index handed to the mechanism          */
    int i;                  /* the deviating worker, 0 <= i < N            */
    int m;                  /* prompts in the slot, 1 <= m <= g.m           */
    const double *q;        /* [m] worker i's beliefs P(p_j = 1), in [0,1]  */
    const double *r_others; /* [N][m] others' reports r[k*m+j]; row i unused */
    double epsilon;         /* verification flip probability, [0, 1/2]      */
    ts_br_utility utility;
    /* The caller asserts that prompts are exchangeable: every q_j equal,
     * every row of r_others constant across prompts (checked), and the
     * mechanism treats prompts alike (true of every SPEC §2 mechanism:
     * losses and EM sums are symmetric in j).  Then the common-report
     * expectation needs only the number of states equal to 1: m + 1
     * outcomes instead of 2^m, so m = 20 stays exact. */
    int exchangeable;
} ts_br_problem;

typedef struct ts_br_options {
    long exact_budget; /* most outcomes enumerated exactly [16384];
                          0 forces Monte Carlo                             */
    long samples;      /* Monte Carlo outcomes S [4096]                     */
    uint64_t seed;     /* key of the TS_STREAM_MC draws [1]                 */
    int grid;          /* grid points over [0,1], >= 3 [201]                */
    int max_iter;      /* iteration cap of each Brent run [200]; Nelder-Mead
                          gets 20 x m x max_iter                           */
    int polish;        /* 1: chord polish of every 1-D maximum (~1e-10 in r)
                          [1]; 0: stop at Brent's 1e-6, a few times fewer
                          evaluations (the best_response strategy)       */
} ts_br_options;

void ts_br_options_default(ts_br_options *o);

typedef struct ts_br_result {
    double u_star;  /* U(r*)                                               */
    double u_truth; /* U(q)                                                */
    double gain;    /* U(r*) - U(q) >= 0 (MC: mean paired difference)      */
    double gain_ci; /* 95 % half-width of gain; 0 when exact or r* = q     */
    int exact;      /* 1: enumerated, 0: Monte Carlo                       */
    long outcomes;  /* per evaluation: enumerated outcomes, or S           */
    long evals;     /* evaluations of U (each over `outcomes` slots)       */
    int status;     /* TS_OK, or TS_ENOCONV (a minimiser or the mechanism
                       hit its cap; the result is still the best found)    */
    int common;     /* 1: r* is a common report (m = 1 or all q_j equal)   */
    /* 1-D searches: the refined local maxima, best first (for hedge at
     * large eta and q = 1/2 there are two). */
    int n_local;
    double local_r[TS_BR_MAX_LOCAL], local_u[TS_BR_MAX_LOCAL];
} ts_br_result;

/* Scratch for best responses of one mechanism at one shape: a state clone,
 * report and outcome buffers, the Monte Carlo draws, the GSL solvers.
 * Allocated once and reused call after call. */
typedef struct ts_br_work ts_br_work;

int ts_br_work_alloc(ts_br_work **w, const ts_mechanism_type *mt,
                     const ts_shape *g, const ts_br_options *o, ts_err *e);
void ts_br_work_free(ts_br_work *w);

/* The best response r_star[pb->m].  TS_OK or TS_ENOCONV (res->status, with
 * a message in e) fill res; TS_EINPUT for a bad q, r_others or epsilon;
 * TS_EINVAL for an inconsistent problem (wrong shape, exchangeable not
 * holding); a mechanism's error is passed on. */
int ts_best_response(const ts_br_problem *pb, const ts_br_options *o,
                     ts_br_work *w, double *r_star, ts_br_result *res,
                     ts_err *e);

/* U(r) alone, by the same rule (exact or the Monte Carlo draws of this
 * seed); *exact says which. */
int ts_br_expected_utility(const ts_br_problem *pb, const ts_br_options *o,
                           ts_br_work *w, const double *r, double *u,
                           int *exact, ts_err *e);

/* "weight" or "share"; TS_EINPUT with the valid names otherwise. */
int ts_br_parse_utility(const char *s, ts_br_utility *u, ts_err *e);

#endif

/* best_response.c -- strategy `best_response` (SPEC §4): every slot the
 * worker reports the single-slot best response to the mechanism's current
 * state under his beliefs, found by ts_best_response (src/game/bestresp.h).
 *
 * What he does not see, and the model he uses for it.  Reports are
 * simultaneous (Stage I), so worker i does not see the others' reports.
 * He assumes they are as informed as he is: every other worker reports
 * *his own* belief (symmetric model).  Why not 1/2: under the paper's
 * mechanisms whose update depends on the others (em's agreement counts,
 * median's order statistic) a crowd reporting 1/2 is uninformative and
 * makes em's E-step and median's label degenerate, a world no worker
 * believes in; under the symmetric model the others' reports agree with
 * his belief, which is the consensus a calibrated worker expects, and for
 * `ours`, `hedge`, `exp3` (whose update of w_i reads only r_i) the model
 * does not matter at all.
 *
 * Prompts one at a time (what makes m = 20 affordable).  A slot's m
 * beliefs differ (bands draws q_ij afresh per prompt), and an exact
 * m-prompt optimum needs 2^m outcomes per evaluation and an m-dimensional
 * search.  He instead reports on prompt j
 *     r_j = R(q_j),   R(x) = the best *common* report of a slot in which
 *                            all m prompts carry belief x (and the others
 *                            report x),
 * an exchangeable problem: m + 1 outcomes and a 1-D search (bestresp.h).
 * This is the exact m-prompt best response whenever worker i's utility
 * separates over prompts -- additively (ours, Def. 4/5: w' is affine in
 * the mean loss) or multiplicatively (hedge, exp3: e^{-eta l} =
 * prod_j e^{-eta l_j / m}, pv_j independent) -- because each prompt's
 * factor is then maximised alone and R(x) maximises that very factor.  For
 * em and median (labels couple the prompts) and for the share utility it
 * is an approximation.  Equal beliefs within a slot are solved once.
 *
 * Cheaper still, two documented approximations (both off by default):
 *   qgrid Q > 0   solve R at x = k/Q, k = 0..Q, and interpolate linearly
 *                 in q (exact for a truthful mechanism, R(x) = x);
 *   refresh K     with Q > 0, re-solve that table every K slots only (he
 *                 re-optimises every K slots against the state then);
 *   growth g      with Q > 0, re-solve only once t - t_s >= max(K, g t_s),
 *                 t_s the slot of the last solve: geometric refresh, about
 *                 log(T)/log(1 + g) solves in T slots instead of T/K.  Why
 *                 it is reasonable: the paper's mechanisms move by O(1/t)
 *                 per slot late in the game (em's counts grow with t, the
 *                 log weights' shares settle), so the table a worker
 *                 solved at t_s stays near his best response for a time
 *                 proportional to t_s.  Its error is measured, not
 *                 assumed: tests/strategies/br_error.c compares it with
 *                 exact per-slot best responses.
 * The table is the flat, memcpy-able strategy state.  The best-response
 * workspace (state clones, GSL solvers) cannot live there; it is the
 * per-thread `work` the engine allocates before the parallel region
 * (strategy.h), so report() never allocates.
 *
 * Options handed to ts_best_response: r-grid `grid` [51] (coarser than the
 * library's 201: Brent refines each local maximum to 1e-6 in r, and the
 * chord polish to 1e-10 is skipped -- it costs more evaluations than the
 * grid and no report moves by 1e-6), exact enumeration up to
 * `exact_budget` [4096] outcomes, else
 * `samples` [256] Monte Carlo draws keyed by the strategy stream.  A
 * minimiser at its cap (TS_ENOCONV) still returns the best point found;
 * it is used (STYLE §4: not converged is a normal return).
 *
 * Symbols: q beliefs [m], r reports [m], x a common belief, R(x) the
 * common best report, Q the q-grid, K the refresh period, t the slot. */
#include "strategies/strategies.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "game/bestresp.h"

enum {
    P_UTILITY, P_GRID, P_QGRID, P_REFRESH, P_SAMPLES, P_EXACT, P_GROWTH,
    P_COUNT
};

/* Largest q-grid: the table lives in the flat state, sized without the
 * parameters (state_size sees only the shape). */
#define QGRID_MAX 256

static const ts_param_spec params[P_COUNT] = {
    [P_UTILITY] = {"utility", 0.0, 1.0, TS_PARAM_INT,
                   "what he maximises: 0 = expected next weight E[w_i'] "
                   "(eq. 4), 1 = expected next share"},
    [P_GRID] = {"grid", 3.0, 100001.0, TS_PARAM_INT,
                "grid points of the 1-D search over r in [0,1] before Brent"},
    [P_QGRID] = {"qgrid", 0.0, QGRID_MAX, TS_PARAM_INT,
                 "0: solve every distinct belief; Q > 0: solve at q = k/Q "
                 "and interpolate linearly (approximation)"},
    [P_REFRESH] = {"refresh", 1.0, 1e9, TS_PARAM_INT,
                   "re-solve the q-grid table every this many slots "
                   "(needs qgrid > 0)"},
    [P_SAMPLES] = {"samples", 2.0, 1e7, TS_PARAM_INT,
                   "Monte Carlo outcomes per evaluation when exact "
                   "enumeration exceeds exact_budget"},
    [P_EXACT] = {"exact_budget", 0.0, 1e9, TS_PARAM_INT,
                 "most outcomes (verified states x heard sets) enumerated "
                 "exactly per evaluation"},
    [P_GROWTH] = {"growth", 0.0, 1e6, 0,
                  "0: re-solve every `refresh` slots; g > 0: re-solve once "
                  "t - t_solved >= max(refresh, g t_solved) (geometric, "
                  "needs qgrid > 0)"},
};

static void defaults(const ts_shape *g, ts_params *p)
{
    (void)g;
    static const double dflt[P_COUNT] = {
        [P_UTILITY] = 0, [P_GRID] = 51, [P_QGRID] = 0, [P_REFRESH] = 1,
        [P_SAMPLES] = 256, [P_EXACT] = 4096, [P_GROWTH] = 0,
    };
    for (int k = 0; k < P_COUNT; k++)
        if (!p->set[k])
            p->v[k] = dflt[k];
}

typedef struct br_state {
    long t_solved;             /* slot the table was solved in, -1: never  */
    int m_solved;              /* prompts of that slot                     */
    double tab[QGRID_MAX + 1]; /* [Q+1] R(k/Q)                             */
} br_state;

static size_t state_size(const ts_shape *g)
{
    (void)g;
    return sizeof(br_state);
}

static int init(void *vst, const ts_shape *g, const ts_params *p, int i,
                ts_err *e)
{
    (void)g; (void)i;
    br_state *st = vst;
    if ((p->v[P_REFRESH] > 1 || p->v[P_GROWTH] > 0) && !(p->v[P_QGRID] > 0))
        return TS_ERROR(e, TS_EINPUT,
                        "best_response: refresh = %g, growth = %g need a "
                        "q-grid table to reuse: set qgrid > 0 (e.g. qgrid: "
                        "20) or refresh: 1, growth: 0", p->v[P_REFRESH],
                        p->v[P_GROWTH]);
    st->t_solved = -1;
    st->m_solved = 0;
    for (int k = 0; k <= QGRID_MAX; k++)
        st->tab[k] = NAN;
    return TS_OK;
}

/* Per-thread scratch for one mechanism. */
typedef struct br_work {
    ts_br_work *bw;
    ts_br_options o;
    ts_br_utility utility;
    double *q;        /* [m]    the exchangeable beliefs x               */
    double *r_others; /* [N][m] the others' reports (= x, symmetric)      */
    double *r_star;   /* [m]                                             */
} br_work;

static void work_free(void *vw)
{
    br_work *w = vw;
    if (!w)
        return;
    ts_br_work_free(w->bw);
    free(w->q);
    free(w->r_others);
    free(w->r_star);
    free(w);
}

static int work_alloc(void **out, const ts_mechanism_type *mt,
                      const ts_shape *g, const ts_params *p, ts_err *e)
{
    *out = NULL;
    br_work *w = calloc(1, sizeof *w);
    if (!w)
        return TS_ERROR(e, TS_ENOMEM, "best_response: out of memory");
    ts_br_options_default(&w->o);
    w->o.grid = (int)p->v[P_GRID];
    w->o.samples = (long)p->v[P_SAMPLES];
    w->o.exact_budget = (long)p->v[P_EXACT];
    w->o.polish = 0; /* Brent's 1e-6 in r is far below any effect here */
    w->utility = p->v[P_UTILITY] > 0 ? TS_BR_SHARE : TS_BR_WEIGHT;
    const size_t N = (size_t)g->N, m = (size_t)g->m;
    w->q = malloc(m * sizeof(double));
    w->r_others = malloc(N * m * sizeof(double));
    w->r_star = malloc(m * sizeof(double));
    if (!w->q || !w->r_others || !w->r_star) {
        work_free(w);
        return TS_ERROR(e, TS_ENOMEM, "best_response: out of memory "
                                      "(N = %d, m = %d)", g->N, g->m);
    }
    int rc = ts_br_work_alloc(&w->bw, mt, g, &w->o, e);
    if (rc) {
        work_free(w);
        return rc;
    }
    *out = w;
    return TS_OK;
}

/* R(x): the best common report when all m prompts carry belief x and the
 * others report x. */
static int solve(br_work *w, const ts_strategy_ctx *c, int m, double x,
                 uint64_t seed, double *rx, ts_err *e)
{
    const int N = c->shape->N;
    for (int j = 0; j < m; j++)
        w->q[j] = x;
    for (size_t k = 0; k < (size_t)N * (size_t)m; k++)
        w->r_others[k] = x;
    ts_br_problem pb = {
        .mt = c->mech, .g = *c->shape, .par = c->mech_params,
        .state = c->mech_state, .t = c->t, .i = c->i, .m = m, .q = w->q,
        .r_others = w->r_others, .epsilon = c->epsilon,
        .utility = w->utility, .exchangeable = 1,
    };
    ts_br_options o = w->o;
    o.seed = seed;
    ts_br_result res;
    int rc = ts_best_response(&pb, &o, w->bw, w->r_star, &res, e);
    if (rc && rc != TS_ENOCONV)
        return rc;
    *rx = w->r_star[0];
    return TS_OK;
}

static double clip01(double x)
{
    /* A convex combination of values in [0,1] may round an ulp outside;
     * `<=` also turns -0.0 into +0.0 (mechanisms test the sign bit). */
    return x <= 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
}

static int report(void *vst, const ts_params *p, const ts_strategy_ctx *c,
                  int m, const double *q, double *r, ts_rng *rng, ts_err *e)
{
    br_state *st = vst;
    br_work *w = c->work;
    if (!w || !c->mech || !c->mech_state || !c->shape)
        return TS_ERROR(e, TS_EINVAL,
                        "best_response: needs the mechanism, its state and "
                        "the per-thread workspace in the context (the "
                        "engine passes them)");
    /* Monte Carlo draws (if any) keyed by this worker's strategy stream,
     * which the engine positions at (slot, worker). */
    const uint64_t seed = ((uint64_t)ts_rng_u32(rng) << 32) | ts_rng_u32(rng);
    const int Q = (int)p->v[P_QGRID];
    int rc;
    if (Q > 0) {
        const double gap = fmax(p->v[P_REFRESH],
                                p->v[P_GROWTH] * (double)st->t_solved);
        if (st->t_solved < 0 || (double)(c->t - st->t_solved) >= gap ||
            st->m_solved != m) {
            for (int k = 0; k <= Q; k++)
                if ((rc = solve(w, c, m, (double)k / Q, seed, &st->tab[k], e)))
                    return rc;
            st->t_solved = c->t;
            st->m_solved = m;
        }
        for (int j = 0; j < m; j++) {
            const double x = q[j] * Q;
            int k = (int)floor(x);
            if (k >= Q)
                k = Q - 1;
            const double f = x - k;
            r[j] = clip01((1.0 - f) * st->tab[k] + f * st->tab[k + 1]);
        }
        return TS_OK;
    }
    for (int j = 0; j < m; j++) {
        int same = -1;
        for (int k = 0; k < j && same < 0; k++)
            if (q[k] == q[j])
                same = k;
        if (same >= 0) {
            r[j] = r[same];
            continue;
        }
        double rx;
        if ((rc = solve(w, c, m, q[j], seed, &rx, e)))
            return rc;
        r[j] = clip01(rx);
    }
    return TS_OK;
}

const ts_strategy_type ts_strat_best_response = {
    .name = "best_response",
    .params = params,
    .n_params = P_COUNT,
    .defaults = defaults,
    .identity = 0,
    .state_size = state_size,
    .init = init,
    .work_alloc = work_alloc,
    .work_free = work_free,
    .report = report,
};

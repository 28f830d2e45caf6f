/* br_error.c -- the measured error of the best_response strategy's cheap
 * settings (issue 15, item 1): the q-grid table, its refresh period and
 * geometric refresh (strategies/best_response.c) against exact per-slot
 * best responses (qgrid 0: every distinct belief solved every slot).
 *
 * Full feedback, the `bands` beliefs of Sec. VII-A (worker 1 in [0, 0.1],
 * worker i >= 2 centred at 0.5 + 0.3 (i - 2)/(N - 2), width 0.1; p ~
 * Bernoulli(1/2), q = p + (1 - 2p) u), epsilon = 0.  Two games run side by
 * side on the same p and q:
 *   exact   every worker reports his exact per-slot best response r*;
 *   approx  every worker plays the approximate strategy.
 * Reports: in the exact game, each slot, the approximate strategy (with its
 * own table, solved against the exact game's state at its own refresh
 * times) reports r beside r*; we print max |r - r*| over slots, workers and
 * prompts, and the same away from q = 1/2 (|q - 1/2| > 0.1): em's best
 * common report jumps at 1/2 and the table interpolates across the jump,
 * so next to 1/2 single reports can be far off (measured, printed).
 * Regret: R(T)/T of each game (eq. 12 under full feedback: mean
 * platform loss minus the best worker's truthful loss, the same baseline in
 * both), and their difference.
 *
 * Usage: br_error MECH N m T Q K G GRID [MAX_DR MAX_DREG]
 * With the two bounds (MAX_DR on the reports away from 1/2) it exits 1
 * when either is exceeded (the test);
 * without, it only prints (the benchmark). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/rng.h"
#include "base/streams.h"
#include "game/slot.h"
#include "games/games.h"
#include "strategies/strategies.h"

typedef struct game {
    void *mst;        /* mechanism state                                 */
    void **sst;       /* [N] strategy states                             */
    double *r;        /* [N][m] reports                                  */
    double loss;      /* sum of platform losses L_t                      */
} game;

typedef struct setup {
    const ts_mechanism_type *mt;
    const ts_strategy_type *S;
    ts_shape g;
    ts_params mp, exact_p, approx_p;
    void *work;
} setup;

static int strat_params(const setup *s, ts_params *p, double Q, double K,
                        double G, double grid, ts_err *e)
{
    const char *names[4] = {"qgrid", "refresh", "growth", "grid"};
    const double vals[4] = {Q, K, G, grid};
    ts_params_init(p, s->S->n_params);
    for (int k = 0; k < 4; k++)
        if (ts_params_set(p, s->S->params, s->S->n_params, names[k], vals[k],
                          e))
            return 1;
    s->S->defaults(&s->g, p);
    return ts_params_check(p, s->S->params, s->S->n_params, s->S->name, e);
}

static int game_init(const setup *s, game *gm, const ts_params *sp, ts_err *e)
{
    const int N = s->g.N;
    gm->mst = calloc(1, s->mt->state_size(&s->g));
    gm->sst = calloc((size_t)N, sizeof(void *));
    gm->r = calloc((size_t)N * (size_t)s->g.m, sizeof(double));
    gm->loss = 0;
    if (!gm->mst || !gm->sst || !gm->r)
        return 1;
    if (s->mt->init(gm->mst, &s->g, &s->mp, e))
        return 1;
    for (int i = 0; i < N; i++) {
        gm->sst[i] = calloc(1, s->S->state_size(&s->g));
        if (!gm->sst[i] || s->S->init(gm->sst[i], &s->g, sp, i, e))
            return 1;
    }
    return 0;
}

static void game_free(const setup *s, game *gm)
{
    for (int i = 0; gm->sst && i < s->g.N; i++)
        free(gm->sst[i]);
    free(gm->sst);
    free(gm->mst);
    free(gm->r);
}

/* Worker i's reports r[m] on beliefs q[m] against gm's state. */
static int play(const setup *s, const game *gm, void *sst,
                const ts_params *sp, long t, int i, const double *q,
                double *r, ts_err *e)
{
    ts_strategy_ctx c = {.mech = s->mt, .mech_state = gm->mst,
                         .mech_params = &s->mp, .shape = &s->g, .t = t,
                         .i = i, .share = 1.0 / s->g.N, .theta = 1.0,
                         .epsilon = 0.0, .work = s->work};
    ts_rng rng;
    ts_rng_init(&rng, 7, 0, (uint32_t)i, TS_STREAM_STRATEGY);
    ts_rng_seek(&rng, (uint64_t)t);
    return s->S->report(sst, sp, &c, s->g.m, q, r, &rng, e);
}

static int step(const setup *s, game *gm, long t, const double *p,
                double *scratch, int *sel, ts_err *e)
{
    const int N = s->g.N, m = s->g.m;
    ts_step st = {.t = t, .N = N, .m = m, .r = gm->r, .p = p, .pv = p,
                  .k = ts_step_k(s->mt, &s->g, &s->mp),
                  .rh = scratch, .sel = sel,
                  .hl = scratch + (size_t)N * (size_t)m,
                  .A = scratch + (size_t)N * (size_t)m + (size_t)N};
    if (ts_slot_step(s->mt, gm->mst, &st, e))
        return 1;
    gm->loss += st.L;
    return 0;
}

/* The bands beliefs q[N][m] and states p[m] of slot t. */
static void draw_slot(int N, int m, long t, double *p, double *q)
{
    ts_rng rng;
    ts_rng_init(&rng, 11, 0, 0, TS_STREAM_BELIEF);
    ts_rng_seek(&rng, (uint64_t)t);
    for (int j = 0; j < m; j++)
        p[j] = ts_rng_u01(&rng) < 0.5 ? 0.0 : 1.0;
    for (int i = 0; i < N; i++) {
        const double c = i == 0 ? 0.05 : 0.5 + 0.3 * (i - 1) / (N - 2.0);
        for (int j = 0; j < m; j++) {
            const double u = c - 0.05 + 0.1 * ts_rng_u01(&rng);
            q[i * m + j] = p[j] + (1 - 2 * p[j]) * u;
        }
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct tally {
    double max_dr, worst_q, best_loss, t_exact, t_approx;
    double max_dr_away; /* over beliefs with |q - 1/2| > 0.1 */
} tally;

/* T slots of both games; the side table (approximate strategy against the
 * exact game) lives in side[N]. */
static int run(const setup *s, game *ex, game *ap, void **side, tally *ty,
               ts_err *e)
{
    const int N = s->g.N, m = s->g.m;
    double *p = malloc((size_t)m * sizeof(double));
    double *q = malloc((size_t)N * (size_t)m * sizeof(double));
    double *ra = malloc((size_t)m * sizeof(double));
    double *scr = malloc(((size_t)N * (size_t)m + (size_t)N + (size_t)m) *
                         sizeof(double));
    double *wl = calloc((size_t)N, sizeof(double));
    int *sel = malloc((size_t)N * sizeof(int));
    int rc = !p || !q || !ra || !scr || !wl || !sel;
    for (long t = 0; !rc && t < s->g.T; t++) {
        draw_slot(N, m, t, p, q);
        for (int i = 0; !rc && i < N; i++) {
            const double *qi = q + (size_t)i * (size_t)m;
            double t0 = now();
            rc = play(s, ex, ex->sst[i], &s->exact_p, t, i, qi,
                      ex->r + (size_t)i * (size_t)m, e);
            double t1 = now();
            rc = rc || play(s, ex, side[i], &s->approx_p, t, i, qi, ra, e);
            rc = rc || play(s, ap, ap->sst[i], &s->approx_p, t, i, qi,
                            ap->r + (size_t)i * (size_t)m, e);
            ty->t_exact += t1 - t0;
            ty->t_approx += now() - t1;
            for (int j = 0; !rc && j < m; j++) {
                const double d = fabs(ra[j] - ex->r[(size_t)i * m + j]);
                if (d > ty->max_dr) {
                    ty->max_dr = d;
                    ty->worst_q = qi[j];
                }
                if (fabs(qi[j] - 0.5) > 0.1 && d > ty->max_dr_away)
                    ty->max_dr_away = d;
                wl[i] += (qi[j] - p[j]) * (qi[j] - p[j]) / m;
            }
        }
        rc = rc || step(s, ex, t, p, scr, sel, e) || step(s, ap, t, p, scr, sel, e);
    }
    ty->best_loss = HUGE_VAL;
    for (int i = 0; i < N; i++)
        ty->best_loss = fmin(ty->best_loss, wl[i]);
    free(p); free(q); free(ra); free(scr); free(wl); free(sel);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 9 && argc != 11) {
        fprintf(stderr, "usage: br_error MECH N m T Q K G GRID "
                        "[MAX_DR MAX_DREG]\n");
        return 2;
    }
    ts_err e;
    ts_err_clear(&e);
    setup s = {.S = &ts_strat_best_response};
    s.g = (ts_shape){.N = atoi(argv[2]), .m = atoi(argv[3]),
                     .T = atol(argv[4]), .feedback = TS_FULL};
    const double Q = atof(argv[5]), K = atof(argv[6]), G = atof(argv[7]),
                 grid = atof(argv[8]);
    game ex = {0}, ap = {0};
    void **side = calloc((size_t)s.g.N, sizeof(void *));
    game sidegame = {.sst = side};
    tally ty = {0};
    int rc = !(s.mt = ts_mechanism_find(argv[1], TS_FULL, &e)) || !side;
    if (!rc) {
        ts_params_init(&s.mp, s.mt->n_params);
        s.mt->defaults(&s.g, &s.mp);
        rc = strat_params(&s, &s.exact_p, 0, 1, 0, grid, &e) ||
             strat_params(&s, &s.approx_p, Q, K, G, grid, &e) ||
             s.S->work_alloc(&s.work, s.mt, &s.g, &s.exact_p, &e) ||
             game_init(&s, &ex, &s.exact_p, &e) ||
             game_init(&s, &ap, &s.approx_p, &e);
    }
    for (int i = 0; !rc && i < s.g.N; i++)
        rc = !(side[i] = calloc(1, s.S->state_size(&s.g))) ||
             s.S->init(side[i], &s.g, &s.approx_p, i, &e);
    rc = rc || run(&s, &ex, &ap, side, &ty, &e);
    if (rc) {
        fprintf(stderr, "br_error: %s\n", e.msg[0] ? e.msg : "out of memory");
        return 2;
    }
    const double T = (double)s.g.T;
    const double re = (ex.loss - ty.best_loss) / T,
                 ra = (ap.loss - ty.best_loss) / T;
    printf("%s N=%d m=%d T=%ld qgrid=%g refresh=%g growth=%g grid=%g: "
           "max |r - r*| = %.4g (at q = %.3f), %.4g where |q - 1/2| > 0.1; "
           "R(T)/T exact %.5f, approx %.5f, diff %+.3g; strategy time "
           "exact %.2f s, approx %.2f s\n", argv[1], s.g.N, s.g.m, s.g.T, Q,
           K, G, grid, ty.max_dr, ty.worst_q, ty.max_dr_away, re, ra,
           ra - re, ty.t_exact, ty.t_approx);
    int fail = 0;
    if (argc == 11 && (ty.max_dr_away > atof(argv[9]) ||
                       fabs(ra - re) > atof(argv[10]))) {
        printf("FAIL: bounds max |r - r*| (|q - 1/2| > 0.1) <= %s, "
               "|regret diff| <= %s\n",
               argv[9], argv[10]);
        fail = 1;
    }
    s.S->work_free(s.work);
    game_free(&s, &ex);
    game_free(&s, &ap);
    game_free(&s, &sidegame);
    return fail;
}

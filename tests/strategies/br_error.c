/* br_error.c -- the measured error of the best_response strategy's cheap
 * settings (issue 15, item 1): the q-grid table, its refresh period and
 * geometric refresh, and under limited feedback the Monte Carlo estimate of
 * the heard-set expectation (strategies/best_response.c), against exact
 * per-slot best responses (qgrid 0: every distinct belief solved every
 * slot; the expectation enumerated when --ref-budget allows it, else a
 * Monte Carlo reference of --ref-samples draws -- the program prints
 * which).
 *
 * The `bands` beliefs of Sec. VII-A (worker 1 in [0, 0.1], worker i >= 2
 * centred at 0.5 + 0.3 (i - 2)/(N - 2), width 0.1; p ~ Bernoulli(1/2),
 * q = p + (1 - 2p) u), epsilon = 0.  Two games run side by side on the same
 * p and q (and, under limited feedback, the same draw stream of who is
 * heard, Sec. VI):
 *   exact   every worker reports his exact per-slot best response r*;
 *   approx  every worker plays the approximate strategy.
 * Reports: in the exact game, each slot, the approximate strategy (with its
 * own table, solved against the exact game's state at its own refresh
 * times) reports r beside r*; we print max |r - r*| over slots, workers and
 * prompts, and the same away from q = 1/2 (|q - 1/2| > 0.1): em's best
 * common report jumps at 1/2 and the table interpolates across the jump,
 * so next to 1/2 single reports can be far off (measured, printed).
 * Regret: R(T)/T of each game (eqs. 5 and 12: the platform's loss -- the
 * labels' loss, or under a theta draw the expected loss of the draw --
 * minus the best worker's truthful loss, the same baseline in both), and
 * their difference.
 *
 * The Monte Carlo part alone (--se R, R >= 2): in slot t, worker t mod N
 * on his first prompt q solves his report with the approximate strategy's
 * Monte Carlo settings but no table (qgrid 0), R times on independent
 * draws, against the exact game's state.  The spread of the R reports is
 * the standard error SE of one Monte Carlo report; we print max |r_mc -
 * r*| / SE over the points and repeats (a pure sampling error stays within
 * a few SE) and the largest |mean r_mc - r*| / (SE / sqrt R) (the bias,
 * in units of the mean's standard error).  Points where every repeat
 * agrees (SE = 0: U flat, or no draw hears the worker, so he reports q)
 * have no spread to measure against: they are counted apart, with their
 * largest |r_mc - r*|.
 *
 * Usage: br_error [OPTION VALUE]... MECH N m T Q K G GRID
 *                 [MAX_DR MAX_DREG [MAX_Z]]
 * Options: --limited (flag), --mset KEY=VALUE (a mechanism parameter,
 * repeatable), --horizon H (the T the mechanism's parameter defaults and
 * state are made for, default T), --samples S, --exact-budget B (the
 * approximate strategy's), --ref-grid G, --ref-samples S, --ref-budget B
 * (the reference's), --se R.
 * With the bounds (MAX_DR on the reports away from 1/2, MAX_DREG on the
 * regret difference, MAX_Z on the Monte Carlo error in SE) it exits 1 when
 * one is exceeded (the test); without, it only prints (the benchmark). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rng.h"
#include "base/streams.h"
#include "game/slot.h"
#include "games/games.h"
#include "strategies/strategies.h"

#define MAX_SE_REPS 64

typedef struct game {
    void *mst;        /* mechanism state                                 */
    void **sst;       /* [N] strategy states                             */
    double *r;        /* [N][m] reports                                  */
    double loss;      /* sum of platform losses L_t                      */
} game;

/* The strategy settings of one side: its parameters and workspace. */
typedef struct side_cfg {
    ts_params p;
    void *work;
} side_cfg;

typedef struct setup {
    const ts_mechanism_type *mt;
    const ts_strategy_type *S;
    ts_shape g;
    ts_params mp;
    side_cfg exact, approx, mc;
    int k;            /* workers heard per slot (N under full feedback)  */
    int se_reps;      /* R of the Monte Carlo standard error, 0: off      */
    long T;           /* slots played (g.T: the horizon of the defaults)  */
} setup;

/* The command line: the options, then the positional arguments. */
typedef struct args {
    int limited, se_reps, npos;
    const char *mset[16];
    int n_mset;
    double samples, budget, ref_grid, ref_samples, ref_budget; /* NAN: unset */
    long horizon;     /* T of the mechanism's defaults, 0: the run's T   */
    char **pos;
} args;

static int parse_args(int argc, char **argv, args *a)
{
    *a = (args){.samples = NAN, .budget = NAN, .ref_grid = NAN,
                .ref_samples = NAN, .ref_budget = NAN};
    int i = 1;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--limited")) {
            a->limited = 1;
            continue;
        }
        if (i + 1 >= argc)
            return 1;
        const char *v = argv[++i];
        if (!strcmp(o, "--mset") && a->n_mset < 16)
            a->mset[a->n_mset++] = v;
        else if (!strcmp(o, "--samples"))
            a->samples = atof(v);
        else if (!strcmp(o, "--exact-budget"))
            a->budget = atof(v);
        else if (!strcmp(o, "--ref-grid"))
            a->ref_grid = atof(v);
        else if (!strcmp(o, "--ref-samples"))
            a->ref_samples = atof(v);
        else if (!strcmp(o, "--ref-budget"))
            a->ref_budget = atof(v);
        else if (!strcmp(o, "--horizon"))
            a->horizon = atol(v);
        else if (!strcmp(o, "--se"))
            a->se_reps = atoi(v);
        else
            return 1;
    }
    a->pos = argv + i;
    a->npos = argc - i;
    return !(a->npos == 8 || a->npos == 10 || a->npos == 11) ||
           a->se_reps < 0 || a->se_reps > MAX_SE_REPS || a->se_reps == 1;
}

/* Strategy parameters by name; a NAN value is left to the default. */
static int strat_params(const setup *s, ts_params *p, const double *vals,
                        ts_err *e)
{
    static const char *const names[6] = {"qgrid", "refresh", "growth",
                                         "grid", "samples", "exact_budget"};
    ts_params_init(p, s->S->n_params);
    for (int k = 0; k < 6; k++)
        if (!isnan(vals[k]) &&
            ts_params_set(p, s->S->params, s->S->n_params, names[k], vals[k],
                          e))
            return 1;
    s->S->defaults(&s->g, p);
    return ts_params_check(p, s->S->params, s->S->n_params, s->S->name, e);
}

static int side_init(const setup *s, side_cfg *c, const double *vals,
                     ts_err *e)
{
    return strat_params(s, &c->p, vals, e) ||
           s->S->work_alloc(&c->work, s->mt, &s->g, &c->p, e);
}

/* The mechanism and its parameters (--mset KEY=VALUE). */
static int mech_init(setup *s, const args *a, ts_err *e)
{
    const ts_feedback fb = a->limited ? TS_LIMITED : TS_FULL;
    if (!(s->mt = ts_mechanism_find(a->pos[0], fb, e)))
        return 1;
    ts_params_init(&s->mp, s->mt->n_params);
    for (int k = 0; k < a->n_mset; k++) {
        char key[64];
        const char *eq = strchr(a->mset[k], '=');
        const size_t n = eq ? (size_t)(eq - a->mset[k]) : 0;
        if (!eq || n >= sizeof key) {
            snprintf(e->msg, sizeof e->msg, "--mset %s: want KEY=VALUE",
                     a->mset[k]);
            return 1;
        }
        memcpy(key, a->mset[k], n);
        key[n] = '\0';
        if (ts_params_set(&s->mp, s->mt->params, s->mt->n_params, key,
                          atof(eq + 1), e))
            return 1;
    }
    s->mt->defaults(&s->g, &s->mp);
    if (ts_params_check(&s->mp, s->mt->params, s->mt->n_params, s->mt->name,
                        e))
        return 1;
    s->k = ts_step_k(s->mt, &s->g, &s->mp);
    return 0;
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

/* Worker i's reports r[m] on beliefs q[m] against gm's state, his strategy
 * draws keyed by `key` (7 for every side of the measurement). */
static int play(const setup *s, const game *gm, void *sst,
                const side_cfg *c, long t, int i, const double *q,
                double *r, uint64_t key, ts_err *e)
{
    ts_strategy_ctx ctx = {.mech = s->mt, .mech_state = gm->mst,
                           .mech_params = &s->mp, .shape = &s->g, .t = t,
                           .i = i, .share = 1.0 / s->g.N, .theta = 1.0,
                           .epsilon = 0.0, .work = c->work};
    ts_rng rng;
    ts_rng_init(&rng, key, 0, (uint32_t)i, TS_STREAM_STRATEGY);
    ts_rng_seek(&rng, (uint64_t)t);
    return s->S->report(sst, &c->p, &ctx, s->g.m, q, r, &rng, e);
}

/* Scratch of one slot step: rh[N*m], hl[N], A[m], theta[N], rl[N] and
 * sel[N]. */
typedef struct step_ws {
    double *rh, *hl, *A, *theta, *rl;
    int *sel;
} step_ws;

/* The slot: who is heard (limited feedback: from the same draw stream in
 * both games, so a subset is the same subset and a theta draw the same
 * uniform), the labels, L_t (eq. 5, or eq. 12 under a theta draw), the
 * update. */
static int step(const setup *s, game *gm, long t, const double *p,
                step_ws *w, ts_err *e)
{
    const int N = s->g.N, m = s->g.m;
    const int limited = s->mt->feedback == TS_LIMITED;
    ts_rng draw;
    ts_rng_init(&draw, 13, 0, 0, TS_STREAM_SELECT);
    if (limited) {
        ts_step_theta(s->mt, gm->mst, N, s->k, w->theta);
        ts_sq_loss_rows(gm->r, N, m, p, w->rl, NULL);
    }
    ts_step st = {.t = t, .N = N, .m = m, .r = gm->r, .p = p, .pv = p,
                  .k = s->k, .rh = w->rh, .sel = w->sel, .hl = w->hl,
                  .A = w->A, .rl = limited ? w->rl : NULL,
                  .theta = limited ? w->theta : NULL,
                  .draw = limited ? &draw : NULL};
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
    /* The Monte Carlo part (--se): max |r_mc - r*|, max |r_mc - r*| / SE,
     * max |mean - r*| / (SE / sqrt R), the SEs' mean and max, points. */
    double mc_dr, mc_z, mc_bias_z, se_sum, se_max, t_mc;
    long n_se;
    /* Points where every repeat agreed (SE = 0), and max |r_mc - r*| there. */
    long n_flat;
    double flat_dr;
} tally;

/* The Monte Carlo part at one point: worker i's belief x, solved R times
 * (qgrid 0) on independent draws against the exact game's state; r_star
 * the exact report there. */
static int mc_point(const setup *s, const game *ex, void *mst_side, long t,
                    int i, double x, double r_star, tally *ty, ts_err *e)
{
    const int m = s->g.m, R = s->se_reps;
    double *q = malloc(2 * (size_t)m * sizeof(double)), *r = q + m;
    double rr[MAX_SE_REPS] = {0}, mean = 0, t0 = now();
    /* mean as rr[0] + the mean offset: exactly rr[0] when all agree */
    if (!q)
        return 1;
    for (int j = 0; j < m; j++)
        q[j] = x;
    for (int k = 0; k < R; k++) {
        if (play(s, ex, mst_side, &s->mc, t, i, q, r, 1000 + (uint64_t)k, e)) {
            free(q);
            return 1;
        }
        rr[k] = r[0];
        mean += (r[0] - rr[0]) / R;
        ty->mc_dr = fmax(ty->mc_dr, fabs(r[0] - r_star));
    }
    free(q);
    mean += rr[0];
    ty->t_mc += now() - t0;
    double ss = 0;
    for (int k = 0; k < R; k++)
        ss += (rr[k] - mean) * (rr[k] - mean);
    const double se = sqrt(ss / (R - 1));
    if (!(se > 0)) {
        /* Every repeat agreed: no draw decided the report (a worker whose
         * theta is too small to be heard in any of the R x S draws reports
         * q), so the spread says nothing; counted apart. */
        ty->n_flat++;
        ty->flat_dr = fmax(ty->flat_dr, fabs(rr[0] - r_star));
        return 0;
    }
    ty->se_sum += se;
    ty->se_max = fmax(ty->se_max, se);
    ty->n_se++;
    for (int k = 0; k < R; k++)
        ty->mc_z = fmax(ty->mc_z, fabs(rr[k] - r_star) / se);
    ty->mc_bias_z = fmax(ty->mc_bias_z, fabs(mean - r_star) / (se / sqrt(R)));
    return 0;
}

/* Worker i in slot t: his exact report in the exact game, the approximate
 * strategy's beside it (side[i]), his approximate report in the approximate
 * game, and the comparison. */
static int worker_slot(const setup *s, game *ex, game *ap, void **side,
                       long t, int i, const double *qi, const double *p,
                       double *ra, double *wl, tally *ty, ts_err *e)
{
    const int m = s->g.m;
    double *rx = ex->r + (size_t)i * (size_t)m;
    double t0 = now();
    if (play(s, ex, ex->sst[i], &s->exact, t, i, qi, rx, 7, e))
        return 1;
    double t1 = now();
    if (play(s, ex, side[i], &s->approx, t, i, qi, ra, 7, e) ||
        play(s, ap, ap->sst[i], &s->approx, t, i, qi,
             ap->r + (size_t)i * (size_t)m, 7, e))
        return 1;
    ty->t_exact += t1 - t0;
    ty->t_approx += now() - t1;
    for (int j = 0; j < m; j++) {
        const double d = fabs(ra[j] - rx[j]);
        if (d > ty->max_dr) {
            ty->max_dr = d;
            ty->worst_q = qi[j];
        }
        if (fabs(qi[j] - 0.5) > 0.1 && d > ty->max_dr_away)
            ty->max_dr_away = d;
        wl[i] += (qi[j] - p[j]) * (qi[j] - p[j]) / m;
    }
    return 0;
}

/* T slots of both games; the side table (approximate strategy against the
 * exact game) lives in side[N], the Monte Carlo part's state in mcs. */
static int run(const setup *s, game *ex, game *ap, void **side, void *mcs,
               tally *ty, ts_err *e)
{
    const int N = s->g.N, m = s->g.m;
    const size_t Nm = (size_t)N * (size_t)m, n = (size_t)N;
    double *p = malloc((size_t)m * sizeof(double));
    double *q = malloc(Nm * sizeof(double));
    double *ra = malloc((size_t)m * sizeof(double));
    double *scr = malloc((Nm + 3 * n + (size_t)m) * sizeof(double));
    double *wl = calloc(n, sizeof(double));
    int *sel = malloc(n * sizeof(int));
    int rc = !p || !q || !ra || !scr || !wl || !sel;
    step_ws w = {.rh = scr, .hl = scr + Nm, .theta = scr + Nm + n,
                 .rl = scr + Nm + 2 * n, .A = scr + Nm + 3 * n, .sel = sel};
    for (long t = 0; !rc && t < s->T; t++) {
        draw_slot(N, m, t, p, q);
        for (int i = 0; !rc && i < N; i++)
            rc = worker_slot(s, ex, ap, side, t, i, q + (size_t)i * m, p, ra,
                             wl, ty, e);
        const int i = (int)(t % N);
        if (!rc && s->se_reps)
            rc = mc_point(s, ex, mcs, t, i, q[(size_t)i * m],
                          ex->r[(size_t)i * m], ty, e);
        rc = rc || step(s, ex, t, p, &w, e) || step(s, ap, t, p, &w, e);
    }
    ty->best_loss = HUGE_VAL;
    for (int i = 0; i < N; i++)
        ty->best_loss = fmin(ty->best_loss, wl[i]);
    free(p); free(q); free(ra); free(scr); free(wl); free(sel);
    return rc;
}

/* A strategy parameter of one side, by name. */
static double sval(const setup *s, const side_cfg *c, const char *name)
{
    return c->p.v[ts_param_find(s->S->params, s->S->n_params, name)];
}

/* What the reference is: exact enumeration of (m + 1) x heard sets
 * outcomes (bestresp.h, exchangeable prompts), or Monte Carlo. */
static void describe_reference(const setup *s, char *buf, size_t len)
{
    const int N = s->g.N, m = s->g.m, k = s->k;
    double sets = 1;
    if (s->mt->feedback == TS_LIMITED && s->mt->theta)
        sets = N;
    else if (s->mt->feedback == TS_LIMITED)
        for (int j = 1; j <= k; j++)
            sets = sets * (N - k + j) / j;
    const double out = (m + 1) * sets;
    if (out <= sval(s, &s->exact, "exact_budget"))
        snprintf(buf, len, "exact enumeration, %.0f outcomes", out);
    else
        snprintf(buf, len, "Monte Carlo, %.0f draws (of %.3g outcomes)",
                 sval(s, &s->exact, "samples"), out);
}

static int report_and_check(const setup *s, const args *a, const game *ex,
                            const game *ap, const tally *ty)
{
    char **v = a->pos, ref[96];
    describe_reference(s, ref, sizeof ref);
    const double T = (double)s->T;
    const double re = (ex->loss - ty->best_loss) / T,
                 ra = (ap->loss - ty->best_loss) / T;
    printf("%s %s N=%d m=%d k=%d T=%ld (horizon %ld) qgrid=%s refresh=%s "
           "growth=%s grid=%s samples=%g exact_budget=%g; reference: %s, "
           "grid %g: max |r - r*| = %.4g (at q = %.3f), %.4g where |q - 1/2| "
           "> 0.1; R(T)/T exact %.5f, approx %.5f, diff %+.3g; strategy "
           "time exact %.2f s, approx %.2f s\n", v[0],
           a->limited ? "limited" : "full", s->g.N, s->g.m, s->k, s->T,
           s->g.T, v[4], v[5], v[6], v[7], sval(s, &s->approx, "samples"),
           sval(s, &s->approx, "exact_budget"), ref,
           sval(s, &s->exact, "grid"), ty->max_dr, ty->worst_q,
           ty->max_dr_away, re, ra, ra - re, ty->t_exact, ty->t_approx);
    if (s->se_reps)
        printf("  Monte Carlo part (qgrid 0, %d repeats at %ld points): max "
               "|r_mc - r*| = %.4g; at %ld points SE > 0: SE of one report "
               "mean %.3g, max %.3g, max |r_mc - r*| / SE = %.3g, max |mean "
               "- r*| / (SE/sqrt R) = %.3g; at %ld all repeats agreed, max "
               "|r_mc - r*| there %.3g; time %.2f s\n", s->se_reps,
               ty->n_se + ty->n_flat, ty->mc_dr, ty->n_se,
               ty->n_se ? ty->se_sum / ty->n_se : 0.0, ty->se_max, ty->mc_z,
               ty->mc_bias_z, ty->n_flat, ty->flat_dr, ty->t_mc);
    if (a->npos == 8)
        return 0;
    const double max_z = a->npos == 11 ? atof(v[10]) : INFINITY;
    if (ty->max_dr_away > atof(v[8]) || fabs(ra - re) > atof(v[9]) ||
        ty->mc_z > max_z) {
        printf("FAIL: bounds max |r - r*| (|q - 1/2| > 0.1) <= %s, "
               "|regret diff| <= %s, max |r_mc - r*| / SE <= %g\n",
               v[8], v[9], max_z);
        return 1;
    }
    return 0;
}

/* The three sides' settings: the reference (qgrid 0, refresh 1), the
 * approximate strategy, and its Monte Carlo part alone (qgrid 0). */
static int sides_init(setup *s, const args *a, ts_err *e)
{
    char **v = a->pos;
    const double grid = atof(v[7]);
    const double ref_grid = isnan(a->ref_grid) ? grid : a->ref_grid;
    const double ex[6] = {0, 1, 0, ref_grid, a->ref_samples, a->ref_budget};
    const double ap[6] = {atof(v[4]), atof(v[5]), atof(v[6]), grid,
                          a->samples, a->budget};
    const double mc[6] = {0, 1, 0, grid, a->samples, a->budget};
    return side_init(s, &s->exact, ex, e) || side_init(s, &s->approx, ap, e) ||
           (s->se_reps && side_init(s, &s->mc, mc, e));
}

int main(int argc, char **argv)
{
    args a;
    if (parse_args(argc, argv, &a)) {
        fprintf(stderr, "usage: br_error [--limited] [--mset KEY=VALUE]... "
                        "[--samples S] [--exact-budget B] [--ref-grid G] "
                        "[--ref-samples S] [--ref-budget B] [--horizon H] "
                        "[--se R (2..%d)] "
                        "MECH N m T Q K G GRID [MAX_DR MAX_DREG [MAX_Z]]\n",
                MAX_SE_REPS);
        return 2;
    }
    ts_err e;
    ts_err_clear(&e);
    setup s = {.S = &ts_strat_best_response, .se_reps = a.se_reps};
    s.T = atol(a.pos[3]);
    s.g = (ts_shape){.N = atoi(a.pos[1]), .m = atoi(a.pos[2]),
                     .T = a.horizon > 0 ? a.horizon : s.T,
                     .feedback = a.limited ? TS_LIMITED : TS_FULL};
    game ex = {0}, ap = {0};
    void **side = calloc((size_t)s.g.N, sizeof(void *));
    game sidegame = {.sst = side};
    void *mcs = calloc(1, s.S->state_size(&s.g));
    tally ty = {0};
    int rc = !side || !mcs || mech_init(&s, &a, &e) || sides_init(&s, &a, &e) ||
             game_init(&s, &ex, &s.exact.p, &e) ||
             game_init(&s, &ap, &s.approx.p, &e) ||
             (s.se_reps && s.S->init(mcs, &s.g, &s.mc.p, 0, &e));
    for (int i = 0; !rc && i < s.g.N; i++)
        rc = !(side[i] = calloc(1, s.S->state_size(&s.g))) ||
             s.S->init(side[i], &s.g, &s.approx.p, i, &e);
    rc = rc || run(&s, &ex, &ap, side, mcs, &ty, &e);
    if (rc) {
        fprintf(stderr, "br_error: %s\n", e.msg[0] ? e.msg : "out of memory");
        return 2;
    }
    const int fail = report_and_check(&s, &a, &ex, &ap, &ty);
    s.S->work_free(s.exact.work);
    s.S->work_free(s.approx.work);
    s.S->work_free(s.mc.work);
    free(mcs);
    game_free(&s, &ex);
    game_free(&s, &ap);
    game_free(&s, &sidegame);
    return fail;
}

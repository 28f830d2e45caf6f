/* check.c -- the paper's claims (SPEC §5) as checks with PASS/FAIL.
 *
 * Each claim builds small experiments (as YAML text, through the same loader
 * and engine users run) or calls a mechanism's vtable directly for exact
 * expectations, and appends rows.  Sizes scale with opts->scale.
 *
 *   prop1         Prop. 1: `ours` (full) best response r*(q) = q, m = 1, 3, 20.
 *   prop3a        Prop. 3(a): with flip rate eps, r*(q) = (1 - 2 eps) q + eps.
 *   prop4         Prop. 4: `ours` (limited, alpha < theta_i) r*(q) = q.
 *   lemma2        Lemma 2: `hedge` is not truthful: r* > q for q > 1/2 with a
 *                 positive gain; r* is the root of the first-order condition
 *                 of q e^{-eta (r-1)^2} + (1-q) e^{-eta r^2} (found here by
 *                 bisection, independently of the numeric search); the size
 *                 of the deviation against eta.
 *   lemma4        Lemma 4: `exp3` is not truthful: r* != q with a gain.
 *   thm1          Thm. 1: R(T) <= 3 sqrt(T ln N / 2) on every replica (the
 *                 proof is pathwise), `ours`, full feedback.
 *   thm2          Thm. 2: E[R(T)] (+ 95 % CI) <= 2 sqrt(7) sqrt(N T ln N),
 *                 and the log-log slope of mean R(T) in T (bootstrap CI) < 1,
 *                 `ours`, limited feedback, where the bound holds (N <= 10;
 *                 README "Findings" for larger N).
 *   lemma1        Lemma 1, App. A: under `em`, with the other N-1 workers
 *                 reporting 1, "always high" earns a higher expected next
 *                 weight than truthful sampling, for every belief q < 1.
 *   eps_truthful  horizon deviations (SPEC §4): worker 1 plays a strategy
 *                 for all T slots against truthful others, on common random
 *                 numbers with the all-truthful run; the paired gain in
 *                 utility (eq. 4) and its CI are the measured epsilon.
 *                 Asserted under the `weight` model (ours: no gain;
 *                 hedge, em, exp3: a gain for some deviation); the `share`
 *                 model's figures are reported as findings.
 *   prop2, prop3b, drift   Prop. 2 (a better newcomer overtakes), Prop. 3(b)
 *                 (regret under noisy verification) and tracking under
 *                 drift: src/analysis/dynamics.c.
 */
#include "analysis/check.h"

#include <gsl/gsl_cdf.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "game/bestresp.h"
#include "analysis/dynamics.h"
#include "engine/engine.h"
#include "games/games.h"
#include "results/results.h"

const char *const ts_claim_ids[] = {"prop1", "prop3a", "prop4", "lemma2",
                                    "lemma4", "lemma1", "eps_truthful", "thm1",
                                    "thm2", "prop2", "prop3b", "drift", NULL};

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


/* The mechanism a vtable-level claim uses: a stand-in from o->replace, or
 * the registered one. */
static const ts_mechanism_type *mech_for(const ts_check_opts *o,
                                         const char *name, ts_feedback fb,
                                         ts_err *e)
{
    for (int k = 0; o->replace && o->replace[k]; k++)
        if (!strcmp(o->replace[k]->name, name) && o->replace[k]->feedback == fb)
            return o->replace[k];
    return ts_mechanism_find(name, fb, e);
}

/* ------------------------------------------------------------------ */
/* Single-slot best responses (SPEC §4), from a fresh state: N = 5
 * workers, the other four reporting fixed non-round values on every
 * prompt, worker 1 holding the same belief q on every prompt.          */

enum { BR_N = 5, BR_NQ = 19 };

typedef struct br_setup {
    const ts_mechanism_type *mt;
    ts_shape g;
    ts_params par;
    void *state;
    double *r_others;
    ts_br_work *work;
    ts_br_options opt;
} br_setup;

static void br_free(br_setup *b)
{
    free(b->state);
    free(b->r_others);
    ts_br_work_free(b->work);
    memset(b, 0, sizeof *b);
}

/* sets: "name=value" parameter settings, NULL-terminated or NULL. */
static int br_open(br_setup *b, const ts_mechanism_type *mt, int m,
                   const char *const *sets, ts_err *e)
{
    memset(b, 0, sizeof *b);
    b->mt = mt;
    b->g = (ts_shape){BR_N, m, 1000, mt->feedback};
    ts_params_init(&b->par, mt->n_params);
    for (int k = 0; sets && sets[k]; k++) {
        char key[64];
        const char *eq = strchr(sets[k], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - sets[k]), sets[k]);
        int rc = ts_params_set(&b->par, mt->params, mt->n_params, key,
                               strtod(eq + 1, NULL), e);
        if (rc)
            return rc;
    }
    if (mt->defaults)
        mt->defaults(&b->g, &b->par);
    int rc = ts_params_check(&b->par, mt->params, mt->n_params, mt->name, e);
    if (!rc && mt->check)
        rc = mt->check(&b->g, &b->par, e);
    if (rc)
        return rc;
    b->state = malloc(mt->state_size(&b->g));
    b->r_others = malloc((size_t)BR_N * (size_t)m * sizeof *b->r_others);
    if (!b->state || !b->r_others) {
        br_free(b);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    static const double others[BR_N] = {0, 0.62, 0.385, 0.71, 0.27};
    for (int k = 0; k < BR_N; k++)
        for (int j = 0; j < m; j++)
            b->r_others[(size_t)k * m + (size_t)j] = others[k];
    ts_br_options_default(&b->opt);
    rc = mt->init(b->state, &b->g, &b->par, e);
    if (!rc)
        rc = ts_br_work_alloc(&b->work, mt, &b->g, &b->opt, e);
    if (rc)
        br_free(b);
    return rc;
}

/* r*(q) of worker 1 (index 0) for the first prompt, all prompts at q. */
static int br_solve(br_setup *b, double q, double eps, ts_br_utility u,
                    double *r_star, ts_br_result *res, ts_err *e)
{
    double qv[64], rv[64];
    const int m = b->g.m;
    for (int j = 0; j < m; j++)
        qv[j] = q;
    ts_br_problem pb = {
        .mt = b->mt, .g = b->g, .par = &b->par, .state = b->state, .t = 0,
        .i = 0, .m = m, .q = qv, .r_others = b->r_others, .epsilon = eps,
        .utility = u, .exchangeable = 1,
    };
    int rc = ts_best_response(&pb, &b->opt, b->work, rv, res, e);
    if (rc == TS_ENOCONV)
        rc = TS_OK;
    *r_star = rv[0];
    return rc;
}

static double q_at(int k)
{
    return 0.05 * (k + 1); /* 0.05, 0.10, ..., 0.95 */
}

/* max_q |r*(q) - target(q)| for target = (1 - 2 eps) q + eps. */
static int br_max_dev(br_setup *b, double eps, ts_br_utility u, double *dev,
                      ts_err *e)
{
    *dev = 0;
    for (int k = 0; k < BR_NQ; k++) {
        double q = q_at(k), r;
        ts_br_result res;
        int rc = br_solve(b, q, eps, u, &r, &res, e);
        if (rc)
            return rc;
        double d = fabs(r - ((1 - 2 * eps) * q + eps));
        if (d > *dev)
            *dev = d;
    }
    return TS_OK;
}

static int claim_prop1(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const ts_mechanism_type *mt = mech_for(o, "ours", TS_FULL, e);
    if (!mt)
        return TS_EINVAL;
    static const int ms[] = {1, 3, 20};
    for (size_t k = 0; k < sizeof ms / sizeof ms[0]; k++) {
        br_setup b;
        int rc = br_open(&b, mt, ms[k], NULL, e);
        for (int u = 0; !rc && u < 2; u++) {
            double dev;
            rc = br_max_dev(&b, 0, (ts_br_utility)u, &dev, e);
            if (!rc)
                ts_claim_add(out, "prop1", mt->name, dev, 1e-6, 0, u ? "" : "<=",
                        u ? -1 : dev <= 1e-6,
                        "max over q of |r* - q|, %s utility, m=%d",
                        u ? "share" : "weight", ms[k]);
        }
        br_free(&b);
        if (rc)
            return rc;
    }
    return TS_OK;
}

static int claim_prop3a(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const ts_mechanism_type *mt = mech_for(o, "ours", TS_FULL, e);
    if (!mt)
        return TS_EINVAL;
    static const double eps[] = {0.05, 0.1, 0.2, 0.3};
    br_setup b;
    int rc = br_open(&b, mt, 1, NULL, e);
    for (size_t k = 0; !rc && k < sizeof eps / sizeof eps[0]; k++) {
        double dev;
        rc = br_max_dev(&b, eps[k], TS_BR_WEIGHT, &dev, e);
        if (!rc)
            ts_claim_add(out, "prop3a", mt->name, dev, 1e-6, 0, "<=", dev <= 1e-6,
                    "max over q of |r* - ((1-2eps) q + eps)|, eps=%.2f", eps[k]);
    }
    br_free(&b);
    return rc;
}

static int claim_prop4(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const ts_mechanism_type *mt = mech_for(o, "ours", TS_LIMITED, e);
    if (!mt)
        return TS_EINVAL;
    br_setup b;
    int rc = br_open(&b, mt, 1, NULL, e);
    for (int u = 0; !rc && u < 2; u++) {
        double dev;
        rc = br_max_dev(&b, 0, (ts_br_utility)u, &dev, e);
        if (!rc)
            ts_claim_add(out, "prop4", "ours(limited)", dev, 1e-6, 0, u ? "" : "<=",
                    u ? -1 : dev <= 1e-6,
                    "max over q of |r* - q|, %s utility, alpha < theta_i", u ? "share" : "weight");
    }
    br_free(&b);
    return rc;
}

/* F'(r) of Lemma 2 up to the factor 2 eta:
 *   q (1 - r) e^{-eta (r-1)^2} - (1 - q) r e^{-eta r^2}. */
static double hedge_foc(double r, double q, double eta)
{
    return q * (1 - r) * exp(-eta * (r - 1) * (r - 1)) -
           (1 - q) * r * exp(-eta * r * r);
}

static int claim_lemma2(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const ts_mechanism_type *mt = mech_for(o, "hedge", TS_FULL, e);
    if (!mt)
        return TS_EINVAL;
    static const char *const etas[] = {"0.05", "0.5", "1", "2", "3"};
    for (size_t k = 0; k < sizeof etas / sizeof etas[0]; k++) {
        char set[32];
        snprintf(set, sizeof set, "eta=%s", etas[k]);
        const char *sets[] = {set, NULL};
        const double eta = strtod(etas[k], NULL);
        br_setup b;
        int rc = br_open(&b, mt, 1, sets, e);
        double worst_root = 0, size = 0, min_gain = INFINITY;
        int above = 1;
        for (int j = 0; !rc && j < BR_NQ; j++) {
            double q = q_at(j), r;
            if (q <= 0.5 + 1e-12)
                continue;
            ts_br_result res;
            rc = br_solve(&b, q, 0, TS_BR_WEIGHT, &r, &res, e);
            if (rc)
                break;
            above &= r > q;
            if (res.gain < min_gain)
                min_gain = res.gain;
            if (r - q > size)
                size = r - q;
            /* Bisection on the first-order condition in [q, 1]: F' > 0 at
             * r = q for q > 1/2 (App. B) and F' < 0 at r = 1.  At large
             * eta F' can change sign more than once; the numeric r* is
             * the global maximiser, so compare with the bracketed root
             * nearest to it. */
            double lo = r - 0.02 > q ? r - 0.02 : q, hi = r + 0.02 < 1 ? r + 0.02 : 1;
            if (hedge_foc(lo, q, eta) <= 0 || hedge_foc(hi, q, eta) >= 0) {
                lo = q;
                hi = 1;
            }
            for (int it = 0; it < 200; it++) {
                double mid = 0.5 * (lo + hi);
                if (hedge_foc(mid, q, eta) > 0)
                    lo = mid;
                else
                    hi = mid;
            }
            double d = fabs(r - 0.5 * (lo + hi));
            if (d > worst_root)
                worst_root = d;
        }
        br_free(&b);
        if (rc)
            return rc;
        ts_claim_add(out, "lemma2", "hedge", above && min_gain > 0 ? 1 : 0, 1, 0, "=",
                above && min_gain > 0,
                "r* > q with a positive gain for every q > 1/2, eta=%s", etas[k]);
        ts_claim_add(out, "lemma2", "hedge", worst_root, 1e-9, 0, "<=", worst_root <= 1e-9,
                "max |r* - root of the first-order condition|, eta=%s", etas[k]);
        ts_claim_add(out, "lemma2", "hedge", size, 0, 0, "", -1,
                "size of the deviation max_q (r* - q), eta=%s", etas[k]);
    }
    return TS_OK;
}

static int claim_lemma4(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const ts_mechanism_type *mt = mech_for(o, "exp3", TS_LIMITED, e);
    if (!mt)
        return TS_EINVAL;
    static const char *const etas[] = {NULL, "eta=1", "eta=3"};
    for (size_t k = 0; k < sizeof etas / sizeof etas[0]; k++) {
        const char *sets[] = {etas[k], NULL};
        br_setup b;
        int rc = br_open(&b, mt, 1, etas[k] ? sets : NULL, e);
        double best = 0, at_q = 0, dev = 0;
        for (int j = 0; !rc && j < BR_NQ; j++) {
            double q = q_at(j), r;
            ts_br_result res;
            rc = br_solve(&b, q, 0, TS_BR_WEIGHT, &r, &res, e);
            if (!rc && res.gain > best) {
                best = res.gain;
                at_q = q;
                dev = fabs(r - q);
            }
        }
        br_free(&b);
        if (rc)
            return rc;
        ts_claim_add(out, "lemma4", "exp3", best, 0, 0, ">", best > 0 && dev > 1e-6,
                "largest single-slot gain over q (at q=%.2f, |r*-q|=%.3g), %s",
                at_q, dev, etas[k] ? etas[k] : "default eta");
    }
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Running an experiment given as text, keeping every point's replicas. */

typedef struct run {
    ts_experiment *x;
    ts_point *pt;          /* [n_points] */
    ts_point_result *res;  /* [n_points] */
} run;

static void run_free(run *r)
{
    if (r->res)
        for (long p = 0; r->x && p < r->x->n_points; p++)
            ts_point_result_free(&r->res[p]);
    free(r->res);
    free(r->pt);
    ts_experiment_free(r->x);
    memset(r, 0, sizeof *r);
}

static int run_text(const char *name, const char *text, const ts_check_opts *o,
                    run *r, ts_err *e)
{
    memset(r, 0, sizeof *r);
    int rc = ts_experiment_load(&r->x, name, text, 0, NULL, e);
    if (rc)
        return rc;
    long P = r->x->n_points;
    r->pt = calloc((size_t)P, sizeof *r->pt);
    r->res = calloc((size_t)P, sizeof *r->res);
    if (!r->pt || !r->res) {
        run_free(r);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    ts_run_opts ro = {.threads = o->threads, .stop = o->stop};
    for (long p = 0; p < P; p++) {
        rc = ts_experiment_point(r->x, p, &r->pt[p], e);
        if (!rc)
            rc = ts_point_result_alloc(&r->res[p], r->x, &r->pt[p], e);
        if (!rc)
            rc = ts_engine_run_point(r->x, &r->pt[p], &ro, &r->res[p], e);
        if (!rc) {
            long bad = 0;
            for (long k = 0; k < (long)r->res[p].n_cell * r->res[p].R; k++)
                bad += r->res[p].status[k] != TS_OK && r->res[p].status[k] != TS_ENOCONV;
            if (bad)
                rc = TS_ERROR(e, TS_ENONFINITE, "%s: %ld replica runs failed: %s",
                              name, bad, r->res[p].errmsg[0]);
        }
        if (rc) {
            run_free(r);
            return rc;
        }
    }
    return TS_OK;
}

long ts_check_scaled(double base, const ts_check_opts *o, long least)
{
    long n = (long)(base * (o->scale > 0 ? o->scale : 1) + 0.5);
    return n < least ? least : n;
}


/* ------------------------------------------------------------------ */
/* Theorems 1 and 2                                                    */

static int claim_thm1(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    char text[512];
    snprintf(text, sizeof text,
             "name: thm1\nfeedback: full\npopulation: bands\nN: [2, 5, 20]\n"
             "m: 5\nT: [100, 1000, 5000]\nmechanisms: [ours]\nreplicas: %ld\n"
             "seed: 11\n", ts_check_scaled(20, o, 4));
    run r;
    int rc = run_text("check:thm1", text, o, &r, e);
    if (rc)
        return rc;
    for (long p = 0; p < r.x->n_points; p++) {
        const ts_point_result *res = &r.res[p];
        const double N = res->N, T = (double)res->T;
        const double bound = 3 * sqrt(T * log(N) / 2);
        double worst = -INFINITY;
        for (long k = 0; k < res->R; k++)
            if (res->regret[k] / bound > worst)
                worst = res->regret[k] / bound;
        ts_claim_add(out, "thm1", "ours", worst, 1, 0, "<=", worst <= 1,
                "max over %ld replicas of R(T)/(3 sqrt(T ln N/2)), N=%d T=%ld",
                res->R, res->N, res->T);
    }
    run_free(&r);
    return TS_OK;
}

/* Least-squares slope of y on x (n points). */
static double slope(const double *x, const double *y, int n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0;
    for (int k = 0; k < n; k++) {
        mx += x[k];
        my += y[k];
    }
    mx /= n;
    my /= n;
    for (int k = 0; k < n; k++) {
        sxy += (x[k] - mx) * (y[k] - my);
        sxx += (x[k] - mx) * (x[k] - mx);
    }
    return sxy / sxx;
}

static int cmp_double(const void *a, const void *b)
{
    double u = *(const double *)a, v = *(const double *)b;
    return (u > v) - (u < v);
}

static int claim_thm2(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    enum { NT = 3, NB = 400 };
    char text[512];
    snprintf(text, sizeof text,
             "name: thm2\nfeedback: limited\npopulation: bands\nN: [3, 5, 10]\n"
             "m: 5\nT: [500, 2000, 8000]\nmechanisms: [ours]\nreplicas: %ld\n"
             "seed: 12\n", ts_check_scaled(20, o, 4));
    run r;
    int rc = run_text("check:thm2", text, o, &r, e);
    if (rc)
        return rc;
    for (long p = 0; p < r.x->n_points; p++) {
        const ts_point_result *res = &r.res[p];
        const double N = res->N, T = (double)res->T;
        const double bound = 2 * sqrt(7.0) * sqrt(N * T * log(N));
        double mean, ci;
        ts_mean_ci(res->regret, res->R, 1, &mean, &ci);
        ts_claim_add(out, "thm2", "ours", (mean + ci) / bound, 1, ci / bound, "<=",
                mean + ci <= bound,
                "(mean R(T) + 95%% CI) / (2 sqrt(7 N T ln N)), N=%d T=%ld",
                res->N, res->T);
    }
    /* Slope per N: the points are N-major with NT horizons each. */
    ts_rng g;
    ts_rng_init(&g, 12, 0x5107e, 0, TS_STREAM_AUX);
    for (long p0 = 0; p0 + NT <= r.x->n_points; p0 += NT) {
        double lx[NT], ly[NT], boots[NB];
        const long R = r.res[p0].R;
        for (int k = 0; k < NT; k++) {
            double mean, ci;
            ts_mean_ci(r.res[p0 + k].regret, R, 1, &mean, &ci);
            lx[k] = log((double)r.res[p0 + k].T);
            ly[k] = log(mean);
        }
        double s = slope(lx, ly, NT);
        ts_rng_seek(&g, (uint64_t)p0);
        for (int b = 0; b < NB; b++) {
            for (int k = 0; k < NT; k++) {
                double sum = 0;
                for (long j = 0; j < R; j++)
                    sum += r.res[p0 + k].regret[ts_rng_below(&g, (uint32_t)R)];
                ly[k] = log(sum / (double)R);
            }
            boots[b] = slope(lx, ly, NT);
        }
        qsort(boots, NB, sizeof boots[0], cmp_double);
        double lo = boots[(int)(0.025 * NB)], hi = boots[(int)(0.975 * NB) - 1];
        ts_claim_add(out, "thm2", "ours", s, 1, (hi - lo) / 2, "<", hi < 1,
                "log-log slope of mean R(T) in T (bootstrap 95%% up to %.3f), N=%d",
                hi, r.res[p0].N);
    }
    run_free(&r);
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Lemma 1 (App. A): EM rewards "always high".                          */

/* Worker 0's weight after one EM slot in which the others report 1 and he
 * reports y (m = 1, fresh state).  EM ignores the verified state. */
static int em_weight_after(const ts_mechanism_type *mt, int N, double y,
                           double *w, ts_err *e)
{
    ts_shape g = {N, 1, 10, TS_FULL};
    ts_params p;
    ts_params_init(&p, mt->n_params);
    mt->defaults(&g, &p);
    void *st = malloc(mt->state_size(&g));
    double *r = malloc((size_t)N * sizeof *r), *lw = malloc((size_t)N * sizeof *lw);
    int rc = st && r && lw ? mt->init(st, &g, &p, e) : TS_ERROR(e, TS_ENOMEM, "out of memory");
    if (!rc) {
        for (int i = 0; i < N; i++)
            r[i] = i ? 1.0 : y;
        double A, pv = 1.0;
        ts_slot s = {.t = 0, .N = N, .m = 1, .r = r, .n_heard = N, .sel = NULL};
        rc = mt->aggregate(st, &s, &A, e);
        if (rc == TS_ENOCONV)
            rc = TS_OK;
        if (!rc)
            rc = mt->update(st, &s, &pv, e);
        if (!rc) {
            mt->log_weights(st, lw);
            *w = exp(lw[0]);
        }
    }
    free(st);
    free(r);
    free(lw);
    return rc;
}

static int claim_lemma1(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const ts_mechanism_type *mt = mech_for(o, "em", TS_FULL, e);
    if (!mt)
        return TS_EINVAL;
    const int N = 5;
    double w1, w0;
    int rc = em_weight_after(mt, N, 1.0, &w1, e);
    if (!rc)
        rc = em_weight_after(mt, N, 0.0, &w0, e);
    for (int k = 1; !rc && k <= 9; k += 2) {
        double q = 0.1 * k, wq;
        /* App. A: truthful = a binary report sampled from the belief. */
        double gain = w1 - (q * w1 + (1 - q) * w0);
        ts_claim_add(out, "lemma1", "em", gain, 0, 0, ">", gain > 0,
                "E[w] always-high minus truthful sampling, q=%.1f, N=%d", q, N);
        rc = em_weight_after(mt, N, q, &wq, e);
        if (!rc)
            ts_claim_add(out, "lemma1", "em", w1 - wq, 0, 0, ">", w1 - wq > 0,
                    "E[w] always-high minus soft truthful report r=q, q=%.1f", q);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Horizon deviations: the measured epsilon of epsilon-truthfulness.    */

typedef struct deviation {
    const char *label;
    const char *strategy;
    const char *param; /* "exaggerate.kappa: 0.5" or "" */
} deviation;

static const deviation deviations[] = {
    {"exaggerate(kappa=-0.5)", "exaggerate", "exaggerate.kappa: -0.5\n"},
    {"exaggerate(kappa=0.1)", "exaggerate", "exaggerate.kappa: 0.1\n"},
    {"exaggerate(kappa=0.25)", "exaggerate", "exaggerate.kappa: 0.25\n"},
    {"exaggerate(kappa=0.5)", "exaggerate", "exaggerate.kappa: 0.5\n"},
    {"exaggerate(kappa=2)", "exaggerate", "exaggerate.kappa: 2\n"},
    {"extreme", "extreme", ""},
    {"herd", "herd", ""},
    {"constant(c=0.5)", "constant", "constant.c: 0.5\n"},
};

typedef struct target {
    const char *label;     /* as shown                                      */
    const char *feedback;
    const char *mech;
    const char *extra;     /* parameter lines                               */
    int truthful;          /* 1: assert no gain; 0: assert a gain somewhere;
                              -1: report only (a finding)                   */
} target;

/* Lemmas 2 and 4 put hedge's and exp3's gains at O(eta^2): at the paper's
 * step sizes (eta ~ 0.03-0.05 here) they are below what a horizon
 * simulation resolves, so the claim is asserted at a large eta and the
 * default-eta figures are reported as findings. */
static const target targets[] = {
    {"ours", "full", "ours", "", 1},
    {"ours(limited)", "limited", "ours", "", 1},
    {"hedge(eta=3)", "full", "hedge", "hedge.eta: 3\n", 0},
    {"hedge", "full", "hedge", "", -1},
    {"em", "full", "em", "", 0},
    {"exp3(eta=3)", "limited", "exp3", "exp3.eta: 3\n", 0},
    {"exp3", "limited", "exp3", "", -1},
};

static int claim_eps(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const long R = ts_check_scaled(400, o, 16);
    const int n_dev = (int)(sizeof deviations / sizeof deviations[0]);
    for (size_t tg = 0; tg < sizeof targets / sizeof targets[0]; tg++) {
        const target *t = &targets[tg];
        char text[1024];
        const char *head =
            /* Gaussian signals: continuous, calibrated beliefs (SPEC §3), so
             * a gain in simulation is a gain for a worker holding them. */
            "name: eps\nfeedback: %s\npopulation: signals\nnoise: 1\nN: 5\nm: 3\nT: 50\n"
            "mechanisms: [%s]\n%sreplicas: %ld\nseed: 21\nutility: true\n%s%s";
        snprintf(text, sizeof text, head, t->feedback, t->mech, t->extra, R,
                 "strategy: truthful\n", "");
        run base;
        int rc = run_text("check:eps_truthful", text, o, &base, e);
        if (rc)
            return rc;
        double best_lo[2] = {-INFINITY, -INFINITY}, worst_hi = -INFINITY;
        for (int d = 0; d < n_dev && !rc; d++) {
            char strat[128];
            snprintf(strat, sizeof strat, "strategy: [%s, truthful]\n",
                     deviations[d].strategy);
            snprintf(text, sizeof text, head, t->feedback, t->mech, t->extra, R,
                     strat, deviations[d].param);
            run dev;
            rc = run_text("check:eps_truthful", text, o, &dev, e);
            if (rc)
                break;
            /* Worker 1's paired gain, replica by replica: same seed and
             * environment, so the same states and beliefs (CRN). */
            for (int model = 0; model < 2; model++) {
                double *gain = malloc((size_t)R * sizeof *gain), mean, ci;
                if (!gain) {
                    rc = TS_ERROR(e, TS_ENOMEM, "out of memory");
                    break;
                }
                const double *ub = model ? base.res[0].util_share : base.res[0].util_weight;
                const double *ud = model ? dev.res[0].util_share : dev.res[0].util_weight;
                const int N = base.res[0].N;
                for (long k = 0; k < R; k++)
                    gain[k] = ud[k * N] - ub[k * N];
                ts_mean_ci(gain, R, 1, &mean, &ci);
                free(gain);
                if (model == 0) {
                    if (mean - ci > best_lo[0])
                        best_lo[0] = mean - ci;
                    if (mean + ci > worst_hi)
                        worst_hi = mean + ci;
                }
                ts_claim_add(out, "eps_truthful", t->label, mean, 0, ci,
                        model == 0 && t->truthful == 1 ? "<=" : "", -1,
                        "%s utility gain of worker 1 playing %s, T=50",
                        model ? "share" : "weight", deviations[d].label);
            }
            run_free(&dev);
        }
        run_free(&base);
        if (rc)
            return rc;
        if (t->truthful == 1)
            ts_claim_add(out, "eps_truthful", t->label, worst_hi, 0, 0, "<=",
                    worst_hi <= 1e-12,
                    "largest upper CI end of the weight-utility gain over deviations");
        else if (t->truthful < 0)
            ts_claim_add(out, "eps_truthful", t->label, best_lo[0], 0, 0, "", -1,
                    "largest lower CI end of the weight-utility gain over deviations");
        else
            ts_claim_add(out, "eps_truthful", t->label, best_lo[0], 0, 0, ">",
                    best_lo[0] > 0,
                    "largest lower CI end of the weight-utility gain over deviations");
    }
    return TS_OK;
}

int ts_check_claim(const char *id, const ts_check_opts *o, ts_claim_list *out,
                   ts_err *e)
{
    if (!strcmp(id, "prop1"))
        return claim_prop1(o, out, e);
    if (!strcmp(id, "prop3a"))
        return claim_prop3a(o, out, e);
    if (!strcmp(id, "prop4"))
        return claim_prop4(o, out, e);
    if (!strcmp(id, "lemma2"))
        return claim_lemma2(o, out, e);
    if (!strcmp(id, "lemma4"))
        return claim_lemma4(o, out, e);
    if (!strcmp(id, "thm1"))
        return claim_thm1(o, out, e);
    if (!strcmp(id, "thm2"))
        return claim_thm2(o, out, e);
    if (!strcmp(id, "lemma1"))
        return claim_lemma1(o, out, e);
    if (!strcmp(id, "eps_truthful"))
        return claim_eps(o, out, e);
    if (!strcmp(id, "prop2")) /* the next three: src/analysis/dynamics.c */
        return ts_claim_prop2(o, out, e);
    if (!strcmp(id, "prop3b"))
        return ts_claim_prop3b(o, out, e);
    if (!strcmp(id, "drift"))
        return ts_claim_drift(o, out, e);
    char valid[256] = "";
    for (int k = 0; ts_claim_ids[k]; k++) {
        strncat(valid, k ? ", " : "", sizeof valid - strlen(valid) - 1);
        strncat(valid, ts_claim_ids[k], sizeof valid - strlen(valid) - 1);
    }
    return TS_ERROR(e, TS_EINPUT, "unknown claim '%s' (valid: %s)", id, valid);
}

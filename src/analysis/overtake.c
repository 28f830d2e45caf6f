/* overtake.c -- Prop. 2 (App. H): a better newcomer overtakes, as an exact
 * recursion and by Monte Carlo (overtake.h).
 *
 * An incumbent k with weight w_k and a newcomer i with w_i = w_k / ratio
 * at arrival; l_k - l_i = Delta per slot in expectation.  App. H, Step 1:
 * under Def. 4, E[w^{s+1}] = E[w^s] (1 - alpha l^s), since w^s and the
 * slot-s loss are independent.  The same holds for any update that
 * multiplies w_i by a factor f(L_i) of the worker's own loss only (hedge:
 * f = e^{-eta L}, so E[f] = E[e^{-eta L}], not e^{-eta l}); we test that
 * property on the vtable (the factor must not change with the weights or
 * others' reports) and integrate f over the belief band.  The first tau
 * with E[w_i] >= E[w_k] is then exact, and is compared with Prop. 2's
 * bound ceil(ln ratio / (alpha Delta)), alpha of `ours`.  Limited-feedback
 * mechanisms (Def. 5, exp3) reweigh only the heard worker, so their
 * expected factor depends on theta and hence on all weights: Monte Carlo
 * only.  Mechanisms whose weights do not evolve or cannot be set
 * (average, median, em) are "not applicable".
 *
 * Setting the arrival weight: the optional set_log_weights hook of
 * ts_mechanism_type (ours, hedge, exp3, ours-limited); no pre-arrival
 * slots are simulated, so the ratio at arrival is exact.  The population
 * is known only through its `band` hook (game.h); every slot is a
 * truthful path's slot step (path.h).
 *
 * Symbols: N workers, T the horizon the step sizes are set for, w
 * weights, l expected per-slot loss, L realised loss, alpha/eta step
 * sizes, tau slots after arrival (updates), H slots simulated, R paths.
 * Single-threaded, paths in index order; every draw from the Philox
 * streams of SPEC §1. */
#include "analysis/overtake.h"

#include <gsl/gsl_integration.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/path.h"
#include "base/stats.h"
#include "base/streams.h"
#include "game/slot.h"

double ts_overtake_alpha(int N, long T)
{
    return (2.0 / 3.0) * sqrt(2.0 * log((double)N) / (double)T);
}

long ts_overtake_bound(double ratio, double alpha, double gap)
{
    if (!(alpha * gap > 0) || !(ratio >= 1))
        return -1;
    return (long)ceil(log(ratio) / (alpha * gap));
}

/* ------------------------------------------------------------------ */
/* The exact recursion. */

/* log of the factor worker 1's weight is multiplied by in one slot (m = 1,
 * pv = 0) when he reports u, the others report r_other and the weights
 * start at logw0. */
static int log_factor(const ts_mechanism_type *mt, void *st, const ts_shape *g,
                      const ts_params *par, const double *logw0, double u,
                      double r_other, double *r, double *lw, double *out,
                      ts_err *e)
{
    const int N = g->N;
    int rc = mt->init(st, g, par, e);
    if (!rc)
        rc = mt->set_log_weights(st, logw0, e);
    if (rc)
        return rc;
    for (int k = 0; k < N; k++)
        r[k] = k == 1 ? u : r_other;
    double A, pv = 0.0;
    ts_step s = {.t = 0, .N = N, .m = 1, .r = r, .p = &pv, .pv = &pv, .A = &A};
    rc = ts_slot_step(mt, st, &s, e);
    if (rc && rc != TS_ENOCONV)
        return rc;
    mt->log_weights(st, lw);
    *out = lw[1] - logw0[1];
    return TS_OK;
}

/* The first tau >= 0 with ln(1/ratio) + tau g[1] >= tau g[0], -1 if none:
 * ceil of the real crossing, corrected for its rounding. */
static long first_crossing(const double g[2], double ratio)
{
    const double d = g[1] - g[0], L = log(ratio);
    if (!(d > 0))
        return L <= 0 ? 0 : -1;
    long t = (long)ceil(L / d);
    while ((double)t * d < L)
        t++;
    while (t > 0 && (double)(t - 1) * d >= L)
        t--;
    return t;
}

int ts_overtake_exact(const ts_mechanism_type *mt, int N, long T,
                      const ts_params *par, const double lo[2],
                      const double hi[2], double ratio, double g[2],
                      long *tau, ts_err *e)
{
    if (mt->feedback != TS_FULL)
        return TS_ERROR(e, TS_EINVAL, "%s: limited feedback reweighs only the "
                        "heard worker, so E[w] depends on theta: no exact recursion",
                        mt->name);
    if (!mt->set_log_weights)
        return TS_ERROR(e, TS_EINVAL, "%s: weights cannot be set", mt->name);
    ts_shape gs = {N, 1, T, TS_FULL};
    void *st = malloc(mt->state_size(&gs));
    double *r = malloc(3 * (size_t)N * sizeof *r);
    gsl_integration_glfixed_table *gl = gsl_integration_glfixed_table_alloc(16);
    int rc = st && r && gl ? TS_OK : TS_ERROR(e, TS_ENOMEM, "out of memory");
    double *lw0 = r + N, *lw = r + 2 * N;
    /* The factor must be one function of the worker's own loss: the same
     * at two different weight vectors and others' reports. */
    double fa = 0, fb = 0;
    if (!rc) {
        for (int k = 0; k < N; k++)
            lw0[k] = 0.0;
        rc = log_factor(mt, st, &gs, par, lw0, 0.37, 0.3, r, lw, &fa, e);
    }
    if (!rc) {
        for (int k = 0; k < N; k++)
            lw0[k] = -0.7 * k;
        rc = log_factor(mt, st, &gs, par, lw0, 0.37, 0.85, r, lw, &fb, e);
    }
    if (!rc && !(fabs(fa - fb) <= 1e-12 * (1 + fabs(fa))))
        rc = TS_ERROR(e, TS_EINVAL, "%s: the weight factor depends on the other "
                      "workers or on the weights (%.6g vs %.6g): no exact recursion",
                      mt->name, fa, fb);
    for (int b = 0; !rc && b < 2; b++) {
        for (int k = 0; k < N; k++)
            lw0[k] = 0.0;
        if (hi[b] - lo[b] <= 0) {
            double f;
            rc = log_factor(mt, st, &gs, par, lw0, lo[b], 0.5, r, lw, &f, e);
            g[b] = f;
            continue;
        }
        /* E[f(u^2)] = (1/(hi - lo)) int_lo^hi f(u^2) du */
        double sum = 0;
        for (size_t k = 0; !rc && k < gl->n; k++) {
            double x, wgt, f;
            gsl_integration_glfixed_point(lo[b], hi[b], k, &x, &wgt, gl);
            rc = log_factor(mt, st, &gs, par, lw0, x, 0.5, r, lw, &f, e);
            sum += wgt * exp(f);
        }
        g[b] = log(sum / (hi[b] - lo[b]));
    }
    if (!rc)
        *tau = first_crossing(g, ratio);
    gsl_integration_glfixed_table_free(gl);
    free(st);
    free(r);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Monte Carlo. */

/* The set-up every path shares: instances, the path's scratch, and what
 * the paths add up. */
typedef struct ot_mc {
    const ts_overtake_cfg *c;
    ts_mech mech;
    ts_pop pop;
    ts_path w;
    uint32_t pid;          /* point id of (ratio, gap)                      */
    double *buf;           /* one block for the arrays below                */
    double *lw, *lw0;      /* [N] log weights now, at arrival               */
    double *sum_i, *sum_k; /* [H+1] sums over paths of w_i and w_k          */
    double *diffB, *taus, *ahead; /* [R] per path                           */
} ot_mc;

static void ot_close(ot_mc *o)
{
    ts_path_free(&o->w);
    ts_mech_free(&o->mech);
    ts_pop_free(&o->pop);
    free(o->buf);
    memset(o, 0, sizeof *o);
}

/* Instances and scratch; the bands of workers 0 and 1 at arrival into
 * lo/hi, which must differ in expected loss by the gap. */
static int ot_open(ot_mc *o, const ts_mechanism_type *mt,
                   const ts_population_type *pt, const ts_overtake_cfg *c,
                   double lo[2], double hi[2], ts_err *e)
{
    memset(o, 0, sizeof *o);
    o->c = c;
    const int N = c->N;
    const long H = c->horizon, R = c->R;
    const ts_shape g = {N, 1, c->T, mt->feedback};
    int rc = ts_pop_alloc(&o->pop, pt, &g, c->pop, e);
    if (!rc)
        rc = ts_mech_alloc(&o->mech, mt, &g, NULL, e);
    if (!rc)
        rc = ts_path_alloc(&o->w, &o->mech, &o->pop, e);
    if (rc) {
        ot_close(o);
        return rc;
    }
    for (int i = 0; i < 2; i++)
        pt->band(o->pop.st, 0, i, &lo[i], &hi[i]);
    const double delta = ts_band_sq_loss(lo[0], hi[0]) - ts_band_sq_loss(lo[1], hi[1]);
    if (!(fabs(delta - c->gap) <= 1e-9 * (1 + c->gap))) {
        ot_close(o);
        return TS_ERROR(e, TS_EINVAL, "%s: workers 1 and 2 differ in expected "
                        "loss by %g at arrival, not by the gap %g (set the "
                        "population's parameters to match)", pt->name, delta, c->gap);
    }
    o->pid = ts_hash_double(ts_hash_double(TS_HASH_INIT, c->ratio), c->gap);
    const size_t nb = 2 * (size_t)N + 2 * (size_t)(H + 1) + 3 * (size_t)R;
    o->buf = malloc(nb * sizeof *o->buf);
    if (!o->buf) {
        ot_close(o);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    o->lw = o->buf;
    o->lw0 = o->lw + N;
    o->sum_i = o->lw0 + N;
    o->sum_k = o->sum_i + (H + 1);
    o->diffB = o->sum_k + (H + 1);
    o->taus = o->diffB + R;
    o->ahead = o->taus + R;
    for (long s = 0; s <= H; s++)
        o->sum_i[s] = o->sum_k[s] = 0;
    return TS_OK;
}

/* Path rep from arrival (weights already set) to slot H: the sums of the
 * weights, w_i - w_k at the bound and the first slot with w_i >= w_k
 * (*tau, -1 if none). */
static int ot_path(ot_mc *o, long rep, long bound, long *tau, ts_err *e)
{
    const ts_mechanism_type *mt = o->mech.type;
    *tau = -1;
    o->diffB[rep] = NAN;
    o->ahead[rep] = 0;
    for (long s = 0;; s++) {
        mt->log_weights(o->mech.st, o->lw);
        const double wi = exp(o->lw[1]), wk = exp(o->lw[0]);
        o->sum_i[s] += wi;
        o->sum_k[s] += wk;
        if (*tau < 0 && wi >= wk)
            *tau = s;
        if (s == bound) {
            o->diffB[rep] = wi - wk;
            o->ahead[rep] = wi >= wk;
        }
        if (s == o->c->horizon)
            return TS_OK;
        int rc = ts_path_slot(&o->w, s, e);
        if (rc)
            return rc;
    }
}

/* The summaries over the R paths, n_over of which overtook. */
static void ot_summarise(const ot_mc *o, long n_over, ts_overtake *out)
{
    const long H = o->c->horizon, R = o->c->R;
    out->applicable = 1;
    for (long s = 0; s <= H; s++)
        if (o->sum_i[s] >= o->sum_k[s]) {
            out->tau_mc = s;
            break;
        }
    out->frac_overtaken = (double)n_over / (double)R;
    if (n_over > 0)
        ts_mean_ci(o->taus, n_over, 1, &out->tau_path, &out->tau_path_ci);
    if (out->bound >= 0 && out->bound <= H) {
        ts_mean_ci(o->diffB, R, 1, &out->diff_at_bound, &out->diff_at_bound_ci);
        double a = 0;
        for (long k = 0; k < R; k++)
            a += o->ahead[k];
        out->p_ahead_at_bound = a / (double)R;
    }
}

int ts_overtake_run(const ts_mechanism_type *mt, const ts_population_type *pt,
                    const ts_overtake_cfg *c, ts_overtake *out, ts_err *e)
{
    memset(out, 0, sizeof *out);
    const int N = c->N;
    out->bound = ts_overtake_bound(c->ratio, ts_overtake_alpha(N, c->T), c->gap);
    out->tau_exact = out->tau_mc = -1;
    out->g_i = out->g_k = NAN;
    out->diff_at_bound = out->diff_at_bound_ci = NAN;
    out->tau_path = out->tau_path_ci = out->p_ahead_at_bound = NAN;
    if (!pt->band)
        return TS_ERROR(e, TS_EINVAL, "%s: population without belief-error "
                        "bands (the band hook): no overtaking analysis", pt->name);
    if (!mt->set_log_weights) {
        snprintf(out->why, sizeof out->why, "no set_log_weights: the weights "
                 "are fixed (average, median) or not weights (em's reliabilities)");
        return TS_OK;
    }
    ot_mc o;
    double lo[2], hi[2];
    int rc = ot_open(&o, mt, pt, c, lo, hi, e);
    if (rc)
        return rc;
    ts_err sub = {0};
    double gk[2];
    if (ts_overtake_exact(mt, N, c->T, &o.mech.par, lo, hi, c->ratio, gk,
                          &out->tau_exact, &sub) == TS_OK) {
        out->exact = 1;
        out->g_k = gk[0];
        out->g_i = gk[1];
    }
    long n_over = 0;
    for (long rep = 0; rep < c->R; rep++) {
        rc = ts_path_start(&o.w, c->seed, o.pid, rep, e); /* w_i = 1 */
        if (rc)
            break;
        for (int k = 0; k < N; k++)
            o.lw0[k] = 0.0;
        o.lw0[1] = -log(c->ratio);
        if (mt->set_log_weights(o.mech.st, o.lw0, &sub) != TS_OK) {
            snprintf(out->why, sizeof out->why, "%.120s", sub.msg);
            ot_close(&o);
            return TS_OK; /* not applicable at this ratio */
        }
        long tau;
        rc = ot_path(&o, rep, out->bound, &tau, e);
        if (rc)
            break;
        if (tau >= 0)
            o.taus[n_over++] = (double)tau;
    }
    if (!rc)
        ot_summarise(&o, n_over, out);
    ot_close(&o);
    return rc;
}

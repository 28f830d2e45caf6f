/* dynamics.c -- responsiveness (Prop. 2, App. H), noisy verification
 * (Prop. 3(b), App. I) and drift, as analyses and claims (SPEC §5).
 *
 * Prop. 2.  An incumbent k with weight w_k and a newcomer i with
 * w_i = w_k / ratio at arrival; l_k - l_i = Delta per slot in expectation.
 * App. H, Step 1: under Def. 4, E[w^{s+1}] = E[w^s] (1 - alpha l^s), since
 * w^s and the slot-s loss are independent.  The same holds for any update
 * that multiplies w_i by a factor f(L_i) of the worker's own loss only
 * (hedge: f = e^{-eta L}, so E[f] = E[e^{-eta L}], not e^{-eta l}); we
 * test that property on the vtable (the factor must not change with the
 * weights or others' reports) and integrate f over the belief band.  The
 * first tau with E[w_i] >= E[w_k] is then exact, and is compared with
 * Prop. 2's bound ceil(ln ratio / (alpha Delta)), alpha of `ours`.
 * Limited-feedback mechanisms (Def. 5, exp3) reweigh only the heard
 * worker, so their expected factor depends on theta and hence on all
 * weights: Monte Carlo only.  Mechanisms whose weights do not evolve or
 * cannot be set (average, median, em) are "not applicable".
 *
 * Setting the arrival weight: the optional set_log_weights hook of
 * ts_mechanism_type (ours, hedge, exp3, ours-limited); no pre-arrival
 * slots are simulated, so the ratio at arrival is exact.
 *
 * Prop. 3(b): E[R(T)]/T <= 3 sqrt(ln N / (2T)) + 2 eps, through the engine
 * (which flips p into pv with probability eps, SPEC §1).
 *
 * Drift: the `drift` population (bands rotate at given slots); regret
 * against the best fixed worker (eq. 5 / eq. 12) and against the best
 * worker of each segment, and how many slots the new best worker needs to
 * hold half the share after a switch.  Thm. 1's bound is pathwise, so it
 * must hold under drift too; Prop. 2's bound, with the weight ratio at the
 * switch, is what App. H's "by symmetry" remark predicts for overtaking.
 *
 * Symbols: N workers, m prompts, T slots, w weights, l expected per-slot
 * loss, L realised loss, alpha/eta step sizes, eps flip rate, tau slots
 * after arrival (updates), B Prop. 2's bound.  Single-threaded, replicas
 * in index order; every draw from the Philox streams of SPEC §1. */
#include "analysis/dynamics.h"

#include <gsl/gsl_integration.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "experiment/experiment.h"
#include "games/games.h"
#include "results/results.h"

/* ------------------------------------------------------------------ */
/* Small helpers. */


/* Parameters of a vtable at shape g, with defaults and checks. */
static int params_for(const ts_param_spec *spec, int n,
                      void (*defaults)(const ts_shape *, ts_params *),
                      int (*check)(const ts_shape *, const ts_params *, ts_err *),
                      const char *owner, const ts_shape *g, ts_params *p,
                      ts_err *e)
{
    if (defaults)
        defaults(g, p);
    int rc = ts_params_check(p, spec, n, owner, e);
    if (!rc && check)
        rc = check(g, p, e);
    return rc;
}

static const char *mech_label(const ts_mechanism_type *mt, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s", mt->name, mt->feedback == TS_LIMITED ? "(limited)" : "");
    return buf;
}

/* Def. 4's default step at (N, T): Prop. 2's alpha. */
static double ours_alpha(int N, long T)
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
/* Prop. 2, exact recursion. */

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
    ts_slot s = {.t = 0, .N = N, .m = 1, .r = r, .n_heard = N, .sel = NULL};
    rc = mt->aggregate(st, &s, &A, e);
    if (rc == TS_ENOCONV)
        rc = TS_OK;
    if (!rc)
        rc = mt->update(st, &s, &pv, e);
    if (rc)
        return rc;
    mt->log_weights(st, lw);
    *out = lw[1] - logw0[1];
    return TS_OK;
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
    if (!rc) {
        const double d = g[1] - g[0], L = log(ratio);
        if (!(d > 0)) {
            *tau = L <= 0 ? 0 : -1;
        } else {
            long t = (long)ceil(L / d);
            while ((double)t * d < L)
                t++;
            while (t > 0 && (double)(t - 1) * d >= L)
                t--;
            *tau = t;
        }
    }
    gsl_integration_glfixed_table_free(gl);
    free(st);
    free(r);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Prop. 2, Monte Carlo. */

int ts_overtake_run(const ts_mechanism_type *mt, const ts_overtake_cfg *c,
                    ts_overtake *out, ts_err *e)
{
    memset(out, 0, sizeof *out);
    const int N = c->N;
    const long H = c->horizon, R = c->R;
    out->bound = ts_overtake_bound(c->ratio, ours_alpha(N, c->T), c->gap);
    out->tau_exact = out->tau_mc = -1;
    out->g_i = out->g_k = NAN;
    out->diff_at_bound = out->diff_at_bound_ci = NAN;
    out->tau_path = out->tau_path_ci = out->p_ahead_at_bound = NAN;
    if (!mt->set_log_weights) {
        snprintf(out->why, sizeof out->why, "no set_log_weights: the weights "
                 "are fixed (average, median) or not weights (em's reliabilities)");
        return TS_OK;
    }
    const ts_population_type *pt = &ts_pop_newcomer;
    ts_shape g = {N, 1, c->T, mt->feedback};
    ts_params pp, mp;
    ts_params_init(&pp, pt->n_params);
    int rc = ts_params_set(&pp, pt->params, pt->n_params, "gap", c->gap, e);
    if (!rc)
        rc = params_for(pt->params, pt->n_params, pt->defaults, pt->check,
                        pt->name, &g, &pp, e);
    ts_params_init(&mp, mt->n_params);
    if (!rc)
        rc = params_for(mt->params, mt->n_params, mt->defaults, mt->check,
                        mt->name, &g, &mp, e);
    if (rc)
        return rc;
    double lo[2], hi[2];
    rc = ts_newcomer_bands(&pp, lo, hi, e);
    if (rc)
        return rc;

    ts_err sub = {0};
    double gk[2];
    if (ts_overtake_exact(mt, N, c->T, &mp, lo, hi, c->ratio, gk,
                          &out->tau_exact, &sub) == TS_OK) {
        out->exact = 1;
        out->g_k = gk[0];
        out->g_i = gk[1];
    }

    void *ms = malloc(mt->state_size(&g));
    void *ps = malloc(pt->state_size(&g));
    const size_t nb = (size_t)(5 * N + 2) + (size_t)(H + 1) * 2 + (size_t)R * 3;
    double *buf = malloc(nb * sizeof *buf);
    if (!ms || !ps || !buf) {
        rc = TS_ERROR(e, TS_ENOMEM, "out of memory");
        goto done;
    }
    double *q = buf, *lw = q + N, *lw0 = lw + N, *theta = lw0 + N, *rsel = theta + N;
    double *p = rsel + N;                 /* [1] */
    double *sum_i = p + 2, *sum_k = sum_i + (H + 1);
    double *diffB = sum_k + (H + 1), *taus = diffB + R, *ahead = taus + R;
    for (long s = 0; s <= H; s++)
        sum_i[s] = sum_k[s] = 0;
    rc = pt->init(ps, &g, &pp, e);
    if (rc)
        goto done;
    const uint32_t pid = ts_hash_double(ts_hash_double(TS_HASH_INIT, c->ratio), c->gap);
    long n_over = 0;
    for (long rep = 0; rep < R; rep++) {
        rc = mt->init(ms, &g, &mp, e);
        for (int k = 0; k < N; k++)
            lw0[k] = 0.0;
        lw0[1] = -log(c->ratio);
        if (!rc && (rc = mt->set_log_weights(ms, lw0, &sub)) != TS_OK) {
            snprintf(out->why, sizeof out->why, "%.120s", sub.msg);
            rc = TS_OK;
            goto done; /* not applicable at this ratio */
        }
        if (rc)
            goto done;
        ts_rng rs, rb, rx;
        ts_rng_init(&rs, c->seed, pid, (uint32_t)rep, TS_STREAM_STATE);
        ts_rng_init(&rb, c->seed, pid, (uint32_t)rep, TS_STREAM_BELIEF);
        ts_rng_init(&rx, c->seed, ts_mech_stream_id(pid, mt->name), (uint32_t)rep,
                    TS_STREAM_SELECT);
        long tau = -1;
        diffB[rep] = NAN;
        ahead[rep] = 0;
        for (long s = 0;; s++) {
            mt->log_weights(ms, lw);
            const double wi = exp(lw[1]), wk = exp(lw[0]);
            sum_i[s] += wi;
            sum_k[s] += wk;
            if (tau < 0 && wi >= wk)
                tau = s;
            if (s == out->bound) {
                diffB[rep] = wi - wk;
                ahead[rep] = wi >= wk;
            }
            if (s == H)
                break;
            ts_rng_seek(&rs, (uint64_t)s);
            ts_rng_seek(&rb, (uint64_t)s);
            ts_rng_seek(&rx, (uint64_t)s);
            rc = pt->draw(ps, s, 1, &rs, &rb, p, q);
            if (rc)
                goto done;
            ts_slot sl = {.t = s, .N = N, .m = 1, .r = q, .n_heard = N, .sel = NULL};
            int sel;
            if (mt->feedback == TS_LIMITED) {
                mt->theta(ms, theta);
                sel = ts_draw_index(theta, N, ts_rng_u01(&rx));
                rsel[0] = q[sel];
                sl.r = rsel;
                sl.n_heard = 1;
                sl.sel = &sel;
            }
            double A;
            rc = mt->aggregate(ms, &sl, &A, e);
            if (rc == TS_ENOCONV)
                rc = TS_OK;
            if (!rc)
                rc = mt->update(ms, &sl, p, e);
            if (rc)
                goto done;
        }
        if (tau >= 0)
            taus[n_over++] = (double)tau;
    }
    out->applicable = 1;
    for (long s = 0; s <= H; s++)
        if (sum_i[s] >= sum_k[s]) {
            out->tau_mc = s;
            break;
        }
    out->frac_overtaken = (double)n_over / (double)R;
    if (n_over > 0)
        ts_mean_ci(taus, n_over, 1, &out->tau_path, &out->tau_path_ci);
    if (out->bound >= 0 && out->bound <= H) {
        ts_mean_ci(diffB, R, 1, &out->diff_at_bound, &out->diff_at_bound_ci);
        double a = 0;
        for (long k = 0; k < R; k++)
            a += ahead[k];
        out->p_ahead_at_bound = a / (double)R;
    }
done:
    free(ms);
    free(ps);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Drift. */

int ts_drift_run(const ts_mechanism_type *mt, const ts_drift_cfg *c,
                 ts_drift_out *out, ts_err *e)
{
    memset(out, 0, sizeof *out);
    if (mt->feedback == TS_LIMITED && !mt->theta)
        return TS_ERROR(e, TS_EINVAL, "%s (limited): hears a random subset; the "
                        "drift analysis needs theta", mt->name);
    if (c->n_switch > TS_DRIFT_MAX_SWITCH)
        return TS_ERROR(e, TS_EINVAL, "drift: at most %d switches", TS_DRIFT_MAX_SWITCH);
    const int N = c->N, m = c->m, S = c->n_switch;
    const long T = c->T, R = c->R;
    const ts_population_type *pt = &ts_pop_drift;
    ts_shape g = {N, m, T, mt->feedback};
    ts_params pp, mp;
    ts_params_init(&pp, pt->n_params);
    int ks = ts_param_find(pt->params, pt->n_params, "switch_at");
    pp.vec[ks] = c->switch_at;
    pp.len[ks] = S;
    pp.set[ks] = 1;
    int rc = params_for(pt->params, pt->n_params, pt->defaults, pt->check,
                        pt->name, &g, &pp, e);
    ts_params_init(&mp, mt->n_params);
    if (!rc)
        rc = params_for(mt->params, mt->n_params, mt->defaults, mt->check,
                        mt->name, &g, &mp, e);
    if (rc)
        return rc;
    const double alpha = ours_alpha(N, T);
    void *ms = malloc(mt->state_size(&g));
    void *ps = malloc(pt->state_size(&g));
    const size_t nq = (size_t)N * (size_t)m;
    const size_t nb = 2 * nq + (size_t)m * 2 + (size_t)N * (5 + (size_t)S + 1) +
                      (size_t)R * (3 + 5 * (size_t)S);
    double *buf = malloc(nb * sizeof *buf);
    if (!ms || !ps || !buf) {
        rc = TS_ERROR(e, TS_ENOMEM, "out of memory");
        goto done;
    }
    double *q = buf, *rsel = q + nq, *p = rsel + nq, *A = p + m;
    double *lw = A + m, *share = lw + N, *theta = share + N, *lt = theta + N;
    double *cum = lt + N;            /* [N] whole-horizon belief losses   */
    double *seg = cum + N;           /* [S+1][N] per-segment belief losses */
    double *reg = seg + (size_t)N * (S + 1), *sreg = reg + R, *rb_ = sreg + R;
    double *dly = rb_ + R;           /* [S][R] delay, NAN if not tracked  */
    double *ovt = dly + (size_t)S * R, *bnd = ovt + (size_t)S * R;
    double *inb = bnd + (size_t)S * R, *got = inb + (size_t)S * R;
    rc = pt->init(ps, &g, &pp, e);
    if (rc)
        goto done;
    const uint32_t pid = ts_hash_str(TS_HASH_INIT, "drift");
    for (long rep = 0; rep < R; rep++) {
        rc = mt->init(ms, &g, &mp, e);
        if (rc)
            goto done;
        ts_rng rs, rbl, rx;
        ts_rng_init(&rs, c->seed, pid, (uint32_t)rep, TS_STREAM_STATE);
        ts_rng_init(&rbl, c->seed, pid, (uint32_t)rep, TS_STREAM_BELIEF);
        ts_rng_init(&rx, c->seed, ts_mech_stream_id(pid, mt->name), (uint32_t)rep,
                    TS_STREAM_SELECT);
        double Lsum = 0;
        for (size_t k = 0; k < (size_t)N * (S + 1); k++)
            seg[k] = 0;
        for (int i = 0; i < N; i++)
            cum[i] = 0;
        int cur = 0;            /* segment                                 */
        int nb_best = 0, old_best = 0; /* new and previous best worker    */
        long t_sw = 0;
        int tracked = 1, overtaken = 1;
        double ratio_sw = 1;
        for (int k = 0; k < S; k++) {
            const size_t o = (size_t)k * R + (size_t)rep;
            dly[o] = ovt[o] = bnd[o] = NAN;
            inb[o] = got[o] = 0;
        }
        for (long t = 0; t <= T; t++) {
            mt->log_weights(ms, lw);
            ts_shares_from_log(N, lw, share);
            int k = t < T ? ts_drift_segment(ps, t) : cur;
            if (k != cur) { /* a switch at slot t: the weights before it */
                cur = k;
                t_sw = t;
                double best_l = INFINITY;
                old_best = nb_best;
                for (int i = 0; i < N; i++) {
                    double a, b;
                    ts_drift_band(ps, t, i, &a, &b);
                    if (ts_band_sq_loss(a, b) < best_l) {
                        best_l = ts_band_sq_loss(a, b);
                        nb_best = i;
                    }
                }
                double a, b, lo_, hi_;
                ts_drift_band(ps, t, old_best, &a, &b);
                ts_drift_band(ps, t, nb_best, &lo_, &hi_);
                const double delta = ts_band_sq_loss(a, b) - ts_band_sq_loss(lo_, hi_);
                ratio_sw = exp(lw[old_best] - lw[nb_best]);
                const size_t o = (size_t)(k - 1) * R + (size_t)rep;
                bnd[o] = ratio_sw <= 1 ? 0 : (double)ts_overtake_bound(ratio_sw, alpha, delta);
                tracked = overtaken = 0;
            }
            if (cur > 0) {
                const size_t o = (size_t)(cur - 1) * R + (size_t)rep;
                if (!tracked && share[nb_best] > 0.5) {
                    tracked = 1;
                    dly[o] = (double)(t - t_sw);
                    got[o] = 1;
                }
                if (!overtaken && lw[nb_best] >= lw[old_best]) {
                    overtaken = 1;
                    ovt[o] = (double)(t - t_sw);
                    inb[o] = ovt[o] <= bnd[o];
                }
            }
            if (t == T)
                break;
            ts_rng_seek(&rs, (uint64_t)t);
            ts_rng_seek(&rbl, (uint64_t)t);
            ts_rng_seek(&rx, (uint64_t)t);
            rc = pt->draw(ps, t, m, &rs, &rbl, p, q);
            if (rc)
                goto done;
            ts_sq_loss_rows(q, N, m, p, lt, NULL);
            for (int i = 0; i < N; i++) {
                cum[i] += lt[i];
                seg[(size_t)cur * N + i] += lt[i];
            }
            ts_slot sl = {.t = t, .N = N, .m = m, .r = q, .n_heard = N, .sel = NULL};
            int sel;
            if (mt->feedback == TS_LIMITED) {
                mt->theta(ms, theta);
                double L = 0; /* eq. (12): truthful, so l^ = l */
                for (int i = 0; i < N; i++)
                    L += theta[i] * lt[i];
                Lsum += L;
                sel = ts_draw_index(theta, N, ts_rng_u01(&rx));
                memcpy(rsel, q + (size_t)sel * m, (size_t)m * sizeof *rsel);
                sl.r = rsel;
                sl.n_heard = 1;
                sl.sel = &sel;
            }
            rc = mt->aggregate(ms, &sl, A, e);
            if (rc == TS_ENOCONV)
                rc = TS_OK;
            if (rc)
                goto done;
            if (mt->feedback == TS_FULL) {
                double L = 0;
                for (int j = 0; j < m; j++)
                    L += (A[j] - p[j]) * (A[j] - p[j]);
                Lsum += L / m;
            }
            rc = mt->update(ms, &sl, p, e);
            if (rc)
                goto done;
        }
        double best = INFINITY, sbest = 0;
        for (int i = 0; i < N; i++)
            if (cum[i] < best)
                best = cum[i];
        for (int k = 0; k <= S; k++) {
            double b = INFINITY;
            for (int i = 0; i < N; i++)
                if (seg[(size_t)k * N + i] < b)
                    b = seg[(size_t)k * N + i];
            sbest += b;
        }
        reg[rep] = (Lsum - best) / (double)T;
        sreg[rep] = (Lsum - sbest) / (double)T;
        rb_[rep] = (Lsum - best) / (3 * sqrt((double)T * log((double)N) / 2));
    }
    out->n_switch = S;
    ts_mean_ci(reg, R, 1, &out->regret, &out->regret_ci);
    ts_mean_ci(sreg, R, 1, &out->seg_regret, &out->seg_regret_ci);
    out->worst_regret_over_bound = -INFINITY;
    for (long k = 0; k < R; k++)
        if (rb_[k] > out->worst_regret_over_bound)
            out->worst_regret_over_bound = rb_[k];
    for (int k = 0; k < S; k++) {
        const double *d = dly + (size_t)k * R, *ov = ovt + (size_t)k * R;
        double tr = 0, ib = 0, bsum = 0, osum = 0;
        long n_o = 0;
        for (long r = 0; r < R; r++) {
            tr += got[(size_t)k * R + r];
            ib += inb[(size_t)k * R + r];
            bsum += bnd[(size_t)k * R + r];
            if (!isnan(ov[r]))
                osum += ov[r], n_o++;
        }
        /* mean and CI of the delays over the paths that tracked */
        double *tmp = reg; /* reg[] is no longer needed */
        long n = 0;
        for (long r = 0; r < R; r++)
            if (!isnan(d[r]))
                tmp[n++] = d[r];
        out->delay[k] = out->delay_ci[k] = NAN;
        if (n > 0)
            ts_mean_ci(tmp, n, 1, &out->delay[k], &out->delay_ci[k]);
        out->tracked[k] = tr / (double)R;
        out->within_bound[k] = ib / (double)R;
        out->overtake_bound[k] = bsum / (double)R;
        out->overtake[k] = n_o ? osum / (double)n_o : NAN;
    }
done:
    free(ms);
    free(ps);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Claims. */

int ts_claim_prop2(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    static const double ratios[] = {2, 10, 100};
    static const double gaps[] = {0.05, 0.1, 0.2};
    const int N = 5;
    const long T = 200, R = ts_check_scaled(200, o, 20);
    const double alpha = ours_alpha(N, T);
    for (int k = 0; ts_mechanism_types[k]; k++) {
        const ts_mechanism_type *mt = ts_mechanism_types[k];
        char lab[32];
        mech_label(mt, lab, sizeof lab);
        const int is_ours = !strcmp(mt->name, "ours") && mt->feedback == TS_FULL;
        for (size_t a = 0; a < sizeof ratios / sizeof ratios[0]; a++)
            for (size_t b = 0; b < sizeof gaps / sizeof gaps[0]; b++) {
                if (o->stop && *o->stop)
                    return TS_EINTR;
                const double ratio = ratios[a], gap = gaps[b];
                const long B = ts_overtake_bound(ratio, alpha, gap);
                /* Limited feedback: horizon from Thm. 2's step
                 * sqrt(ln N / (7 N T)) (the default of Def. 5 and exp3),
                 * fewer replicas since it is ~6x longer. */
                const long BL = ts_overtake_bound(
                    ratio, sqrt(log((double)N) / (7.0 * N * (double)T)), gap);
                const int lim = mt->feedback == TS_LIMITED;
                ts_overtake_cfg c = {N, T, ratio, gap, 2 * (lim ? BL : B) + 10,
                                     lim ? (R + 3) / 4 : R, 31};
                ts_overtake r;
                int rc = ts_overtake_run(mt, &c, &r, e);
                if (rc)
                    return rc;
                if (!mt->set_log_weights) {
                    ts_claim_add(out, "prop2", lab, NAN, NAN, 0, "", -1,
                        "not applicable: %s", r.why);
                    goto next_mech;
                }
                if (!r.applicable) {
                    ts_claim_add(out, "prop2", lab, NAN, (double)B, 0, "", -1,
                        "not applicable at w_k/w_i=%g: %s", ratio, r.why);
                    continue;
                }
                if (is_ours) {
                    ts_claim_add(out, "prop2", lab, (double)r.tau_exact, (double)B, 0, "<=",
                        r.tau_exact >= 0 && r.tau_exact <= B,
                        "exact first tau with E[w_i]>=E[w_k] vs bound, w_k/w_i=%g D=%g",
                        ratio, gap);
                    ts_claim_add(out, "prop2", lab, r.diff_at_bound, 0, r.diff_at_bound_ci, ">=",
                        r.diff_at_bound + r.diff_at_bound_ci >= 0,
                        "MC mean w_i-w_k at tau=bound=%ld (R=%ld), w_k/w_i=%g D=%g",
                        B, c.R, ratio, gap);
                    ts_claim_add(out, "prop2", lab, r.tau_path, (double)B, r.tau_path_ci, "", -1,
                        "MC mean path overtaking tau (MC E-cross %ld, P(ahead at B)=%.2f), "
                        "w_k/w_i=%g D=%g", r.tau_mc, r.p_ahead_at_bound, ratio, gap);
                } else {
                    ts_claim_add(out, "prop2", lab, r.tau_path, (double)B, r.tau_path_ci, "", -1,
                        "path tau (%.0f%% overtook in %ld; exact %ld, MC E %ld), "
                        "w_k/w_i=%g D=%g", 100 * r.frac_overtaken, c.horizon,
                        r.tau_exact, r.tau_mc, ratio, gap);
                }
            }
    next_mech:;
    }
    return TS_OK;
}

/* Run an experiment given as text; res[P] per point. */
static int run_points(const char *name, const char *text, const ts_check_opts *o,
                      ts_experiment **xo, ts_point_result **reso, ts_err *e)
{
    ts_experiment *x;
    int rc = ts_experiment_load(&x, name, text, 0, NULL, e);
    if (rc)
        return rc;
    ts_point_result *res = calloc((size_t)x->n_points, sizeof *res);
    if (!res) {
        ts_experiment_free(x);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    ts_run_opts ro = {.threads = o->threads, .stop = o->stop};
    for (long k = 0; !rc && k < x->n_points; k++) {
        ts_point pt;
        rc = ts_experiment_point(x, k, &pt, e);
        if (!rc)
            rc = ts_point_result_alloc(&res[k], x, &pt, e);
        if (!rc)
            rc = ts_engine_run_point(x, &pt, &ro, &res[k], e);
        for (long j = 0; !rc && j < (long)res[k].n_cell * res[k].R; j++)
            if (res[k].status[j] != TS_OK && res[k].status[j] != TS_ENOCONV)
                rc = TS_ERROR(e, TS_ENONFINITE, "%s: %s", name, res[k].errmsg[j]);
    }
    if (rc) {
        for (long k = 0; k < x->n_points; k++)
            ts_point_result_free(&res[k]);
        free(res);
        ts_experiment_free(x);
        return rc;
    }
    *xo = x;
    *reso = res;
    return TS_OK;
}

int ts_claim_prop3b(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    char text[512];
    snprintf(text, sizeof text,
             "name: prop3b\nfeedback: full\npopulation: bands\nN: 5\nm: 5\n"
             "T: [200, 2000]\nepsilon: [0, 0.05, 0.1, 0.2]\n"
             "mechanisms: [ours, hedge, median]\nreplicas: %ld\nseed: 13\n",
             ts_check_scaled(30, o, 6));
    ts_experiment *x = NULL;
    ts_point_result *res = NULL;
    int rc = run_points("check:prop3b", text, o, &x, &res, e);
    if (rc)
        return rc;
    for (long k = 0; k < x->n_points; k++) {
        ts_point pt;
        rc = ts_experiment_point(x, k, &pt, e);
        if (rc)
            break;
        const ts_point_result *r = &res[k];
        const double T = (double)r->T, eps = pt.epsilon;
        const double bound = 3 * sqrt(log((double)r->N) / (2 * T)) + 2 * eps;
        for (int c = 0; c < r->n_cell; c++) {
            double mean, ci;
            ts_mean_ci(r->regret + (size_t)c * r->R, r->R, 1, &mean, &ci);
            mean /= T;
            ci /= T;
            const int ours = !strcmp(x->mech[c]->name, "ours");
            ts_claim_add(out, "prop3b", x->mech[c]->name, mean + ci, bound, ci,
                ours ? "<=" : "", ours ? mean + ci <= bound : -1,
                "mean R(T)/T + 95%% CI vs 3 sqrt(ln N/2T) + 2 eps, eps=%.2f T=%ld",
                eps, r->T);
        }
    }
    for (long k = 0; k < x->n_points; k++)
        ts_point_result_free(&res[k]);
    free(res);
    ts_experiment_free(x);
    return rc;
}

int ts_claim_drift(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    static const double sw[] = {500, 1000};
    const int S = 2;
    ts_drift_cfg c = {5, 10, 1500, sw, S, ts_check_scaled(30, o, 6), 41};
    static const struct {
        const char *name;
        ts_feedback fb;
    } list[] = {{"ours", TS_FULL},  {"hedge", TS_FULL},   {"median", TS_FULL},
                {"average", TS_FULL}, {"em", TS_FULL},  {"ours", TS_LIMITED},
                {"exp3", TS_LIMITED}};
    for (size_t k = 0; k < sizeof list / sizeof list[0]; k++) {
        if (o->stop && *o->stop)
            return TS_EINTR;
        const ts_mechanism_type *mt = ts_mechanism_find(list[k].name, list[k].fb, e);
        if (!mt)
            return TS_EINVAL;
        char lab[32];
        mech_label(mt, lab, sizeof lab);
        ts_drift_out d;
        int rc = ts_drift_run(mt, &c, &d, e);
        if (rc)
            return rc;
        const int ours = !strcmp(mt->name, "ours") && mt->feedback == TS_FULL;
        if (mt->feedback == TS_FULL)
            ts_claim_add(out, "drift", lab, d.worst_regret_over_bound, 1, 0, ours ? "<=" : "",
                ours ? d.worst_regret_over_bound <= 1 : -1,
                "max over paths of R(T)/(3 sqrt(T ln N/2)) under drift, T=%ld", c.T);
        ts_claim_add(out, "drift", lab, d.regret, 0, d.regret_ci, "", -1,
            "R(T)/T against the best fixed worker, switches at 500, 1000");
        ts_claim_add(out, "drift", lab, d.seg_regret, 0, d.seg_regret_ci, "", -1,
            "R(T)/T against the best worker of each segment");
        for (int s = 0; s < S; s++) {
            ts_claim_add(out, "drift", lab, d.tracked[s], 1, 0, ours ? ">=" : "",
                ours ? d.tracked[s] >= 1 : -1,
                "fraction of paths whose new best holds share > 1/2 before "
                "the segment ends, switch %d", s + 1);
            ts_claim_add(out, "drift", lab, d.delay[s], 0, d.delay_ci[s], "", -1,
                "slots until the new best's share > 1/2, switch at %g", sw[s]);
            if (mt->set_log_weights && mt->feedback == TS_FULL)
                ts_claim_add(out, "drift", lab, d.within_bound[s], 0.9, 0, ours ? ">=" : "",
                    ours ? d.within_bound[s] >= 0.9 : -1,
                    "fraction overtaking old best within Prop.2 bound (mean tau %.0f, "
                    "mean bound %.0f), switch %d", d.overtake[s], d.overtake_bound[s], s + 1);
        }
    }
    return TS_OK;
}

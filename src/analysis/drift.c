/* drift.c -- tracking the best worker under changing accuracies (drift.h).
 *
 * Each path runs truthful workers through the one slot step (path.h) and
 * watches the weights between slots.  At a change (the population's
 * segment hook steps up) the new best worker is the one whose band (the
 * band hook) has the least expected squared loss E[u^2]; the previous
 * best is the one before.  Thm. 1's bound is pathwise, so it must hold
 * under drift too (the claim asserts it for `ours`); Prop. 2's bound,
 * with the weight ratio at the change and the gap between the two
 * workers' expected losses, is what App. H's "by symmetry" remark
 * predicts for overtaking.  The comparators are the best fixed worker
 * over the horizon (eq. 5; eq. 12 under limited feedback, where truthful
 * reports make l^ = l) and the best worker of each segment.
 *
 * Left out: strategic workers and noisy verification (the engine's), and
 * changes the segment hook does not announce.
 *
 * Symbols: N workers, m prompts, T slots, S changes, R replicas, w
 * weights, L the platform's loss, alpha Def. 4's default step (Prop. 2's
 * bound).  Single-threaded, replicas in index order. */
#include "analysis/drift.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/overtake.h"
#include "analysis/path.h"
#include "base/stats.h"
#include "base/streams.h"

/* Per-replica results. */
typedef struct drift_acc {
    long R;
    int S;
    double *reg, *sreg, *rb; /* [R] R(T)/T fixed and per segment; R(T)/bound */
    double *dly, *ovt, *bnd; /* [S][R] delay (NAN: not tracked), overtaking
                                slot (NAN: never), Prop. 2's bound           */
    double *inb, *got;       /* [S][R] 0/1: within the bound; tracked        */
    double *tmp;             /* [R] scratch for the summaries                */
} drift_acc;

/* One path's watch between slots. */
typedef struct drift_watch {
    double *lw, *share;     /* [N] log weights and shares now             */
    double *cum;            /* [N] whole-horizon belief losses            */
    double *seg;            /* [S+1][N] per-segment belief losses         */
    double Lsum;            /* the platform's summed loss                  */
    int cur;                /* segment                                     */
    int nb_best, old_best;  /* new and previous best worker               */
    long t_sw;              /* slot of the last change                     */
    int tracked, overtaken; /* since the last change                       */
} drift_watch;

/* A change at slot t into segment k: the new best worker from the bands,
 * and Prop. 2's bound from the weights before the change. */
static void on_change(const ts_pop *pop, drift_watch *d, long t, int k,
                      double alpha, drift_acc *acc, long rep)
{
    const int N = pop->g.N;
    const ts_population_type *pt = pop->type;
    d->cur = k;
    d->t_sw = t;
    double best_l = INFINITY;
    d->old_best = d->nb_best;
    for (int i = 0; i < N; i++) {
        double a, b;
        pt->band(pop->st, t, i, &a, &b);
        if (ts_band_sq_loss(a, b) < best_l) {
            best_l = ts_band_sq_loss(a, b);
            d->nb_best = i;
        }
    }
    double a, b, lo, hi;
    pt->band(pop->st, t, d->old_best, &a, &b);
    pt->band(pop->st, t, d->nb_best, &lo, &hi);
    const double delta = ts_band_sq_loss(a, b) - ts_band_sq_loss(lo, hi);
    const double ratio = exp(d->lw[d->old_best] - d->lw[d->nb_best]);
    const size_t o = (size_t)(k - 1) * acc->R + (size_t)rep;
    acc->bnd[o] = ratio <= 1 ? 0 : (double)ts_overtake_bound(ratio, alpha, delta);
    d->tracked = d->overtaken = 0;
}

/* After a change: has the new best got half the share, and has his
 * weight passed the previous best's? */
static void watch(drift_watch *d, long t, drift_acc *acc, long rep)
{
    const size_t o = (size_t)(d->cur - 1) * acc->R + (size_t)rep;
    if (!d->tracked && d->share[d->nb_best] > 0.5) {
        d->tracked = 1;
        acc->dly[o] = (double)(t - d->t_sw);
        acc->got[o] = 1;
    }
    if (!d->overtaken && d->lw[d->nb_best] >= d->lw[d->old_best]) {
        d->overtaken = 1;
        acc->ovt[o] = (double)(t - d->t_sw);
        acc->inb[o] = acc->ovt[o] <= acc->bnd[o];
    }
}

/* The path's regrets against the best fixed worker and the best worker of
 * each segment. */
static void path_regret(const drift_watch *d, int N, long T, drift_acc *acc,
                        long rep)
{
    double best = INFINITY, sbest = 0;
    for (int i = 0; i < N; i++)
        if (d->cum[i] < best)
            best = d->cum[i];
    for (int k = 0; k <= acc->S; k++) {
        double b = INFINITY;
        for (int i = 0; i < N; i++)
            if (d->seg[(size_t)k * N + i] < b)
                b = d->seg[(size_t)k * N + i];
        sbest += b;
    }
    acc->reg[rep] = (d->Lsum - best) / (double)T;
    acc->sreg[rep] = (d->Lsum - sbest) / (double)T;
    acc->rb[rep] = (d->Lsum - best) / (3 * sqrt((double)T * log((double)N) / 2));
}

/* Replica rep: slots 0..T-1 through the step, watching before each slot
 * and after the last. */
static int drift_path(ts_path *w, const ts_drift_cfg *c, uint32_t pid,
                      long rep, drift_watch *d, drift_acc *acc, ts_err *e)
{
    const int N = c->N, S = acc->S;
    const long T = c->T;
    const ts_pop *pop = w->pop;
    const double alpha = ts_overtake_alpha(N, T);
    int rc = ts_path_start(w, c->seed, pid, rep, e);
    if (rc)
        return rc;
    memset(d->cum, 0, (size_t)N * sizeof *d->cum);
    memset(d->seg, 0, (size_t)N * (size_t)(S + 1) * sizeof *d->seg);
    d->Lsum = 0;
    d->cur = d->nb_best = d->old_best = 0;
    d->t_sw = 0;
    d->tracked = d->overtaken = 1;
    for (int k = 0; k < S; k++) {
        const size_t o = (size_t)k * acc->R + (size_t)rep;
        acc->dly[o] = acc->ovt[o] = acc->bnd[o] = NAN;
        acc->inb[o] = acc->got[o] = 0;
    }
    for (long t = 0; t <= T; t++) {
        w->mech->type->log_weights(w->mech->st, d->lw);
        ts_shares_from_log(N, d->lw, d->share);
        int k = t < T ? pop->type->segment(pop->st, t) : d->cur;
        if (k != d->cur) /* a change at slot t: the weights before it */
            on_change(pop, d, t, k, alpha, acc, rep);
        if (d->cur > 0)
            watch(d, t, acc, rep);
        if (t == T)
            break;
        rc = ts_path_slot(w, t, e);
        if (rc)
            return rc;
        for (int i = 0; i < N; i++) {
            d->cum[i] += w->lt[i];
            d->seg[(size_t)d->cur * N + i] += w->lt[i];
        }
        d->Lsum += w->L;
    }
    path_regret(d, N, T, acc, rep);
    return TS_OK;
}

/* Means over the replicas (drift.h). */
static void summarise(const drift_acc *acc, ts_drift_out *out)
{
    const long R = acc->R;
    out->n_switch = acc->S;
    ts_mean_ci(acc->reg, R, 1, &out->regret, &out->regret_ci);
    ts_mean_ci(acc->sreg, R, 1, &out->seg_regret, &out->seg_regret_ci);
    out->worst_regret_over_bound = -INFINITY;
    for (long k = 0; k < R; k++)
        if (acc->rb[k] > out->worst_regret_over_bound)
            out->worst_regret_over_bound = acc->rb[k];
    for (int k = 0; k < acc->S; k++) {
        const size_t o = (size_t)k * R;
        double tr = 0, ib = 0, bsum = 0, osum = 0;
        long n_o = 0, n = 0;
        for (long r = 0; r < R; r++) {
            tr += acc->got[o + r];
            ib += acc->inb[o + r];
            bsum += acc->bnd[o + r];
            if (!isnan(acc->ovt[o + r]))
                osum += acc->ovt[o + r], n_o++;
            if (!isnan(acc->dly[o + r])) /* the paths that tracked */
                acc->tmp[n++] = acc->dly[o + r];
        }
        out->delay[k] = out->delay_ci[k] = NAN;
        if (n > 0)
            ts_mean_ci(acc->tmp, n, 1, &out->delay[k], &out->delay_ci[k]);
        out->tracked[k] = tr / (double)R;
        out->within_bound[k] = ib / (double)R;
        out->overtake_bound[k] = bsum / (double)R;
        out->overtake[k] = n_o ? osum / (double)n_o : NAN;
    }
}

/* The replicas on allocated instances; S changes. */
static int drift_replicas(ts_mech *mech, ts_pop *pop, const ts_drift_cfg *c,
                          int S, ts_drift_out *out, ts_err *e)
{
    const int N = c->N;
    const long R = c->R;
    ts_path w;
    int rc = ts_path_alloc(&w, mech, pop, e);
    if (rc)
        return rc;
    const size_t nb = (size_t)N * (4 + (size_t)S) + (size_t)R * (4 + 5 * (size_t)S);
    double *buf = malloc(nb * sizeof *buf);
    if (!buf) {
        ts_path_free(&w);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    drift_watch d = {.lw = buf};
    d.share = d.lw + N;
    d.cum = d.share + N;
    d.seg = d.cum + N;
    drift_acc acc = {.R = R, .S = S, .reg = d.seg + (size_t)N * (S + 1)};
    acc.sreg = acc.reg + R;
    acc.rb = acc.sreg + R;
    acc.tmp = acc.rb + R;
    acc.dly = acc.tmp + R;
    acc.ovt = acc.dly + (size_t)S * R;
    acc.bnd = acc.ovt + (size_t)S * R;
    acc.inb = acc.bnd + (size_t)S * R;
    acc.got = acc.inb + (size_t)S * R;
    const uint32_t pid = ts_hash_str(TS_HASH_INIT, pop->type->name);
    for (long rep = 0; !rc && rep < R; rep++)
        rc = drift_path(&w, c, pid, rep, &d, &acc, e);
    if (!rc)
        summarise(&acc, out);
    free(buf);
    ts_path_free(&w);
    return rc;
}

int ts_drift_run(const ts_mechanism_type *mt, const ts_population_type *pt,
                 const ts_drift_cfg *c, ts_drift_out *out, ts_err *e)
{
    memset(out, 0, sizeof *out);
    if (mt->feedback == TS_LIMITED && !mt->theta)
        return TS_ERROR(e, TS_EINVAL, "%s (limited): hears a random subset; the "
                        "drift analysis needs theta", mt->name);
    if (!pt->band || !pt->segment)
        return TS_ERROR(e, TS_EINVAL, "%s: the drift analysis needs the band "
                        "and segment hooks", pt->name);
    const ts_shape g = {c->N, c->m, c->T, mt->feedback};
    ts_pop pop;
    ts_mech mech;
    int rc = ts_pop_alloc(&pop, pt, &g, c->pop, e);
    if (rc)
        return rc;
    rc = ts_mech_alloc(&mech, mt, &g, NULL, e);
    if (rc) {
        ts_pop_free(&pop);
        return rc;
    }
    const int S = pt->segment(pop.st, c->T - 1);
    if (S > TS_DRIFT_MAX_SWITCH)
        rc = TS_ERROR(e, TS_EINVAL, "%s: %d changes within T = %ld; at most %d",
                      pt->name, S, c->T, TS_DRIFT_MAX_SWITCH);
    if (!rc)
        rc = drift_replicas(&mech, &pop, c, S, out, e);
    ts_mech_free(&mech);
    ts_pop_free(&pop);
    return rc;
}

/* compare.c -- several mechanisms on one file of recorded reports: the
 * figures a user ranks them by (README "Every mechanism on one file").
 *
 *   final_regret  R(T) of each replay (SPEC §7.1's regret, last slot);
 *   mean_loss     (1/T) sum_t L_t, the platform's mean loss per slot;
 *   its 95 % CI   percentile bootstrap over slots: B resamples of the T
 *                 slots with replacement, the 2.5 % and 97.5 % points of
 *                 the resampled means.  The slots are resampled with the
 *                 same indices for every mechanism (a paired bootstrap),
 *                 drawn from a Philox stream keyed by the seed alone, so a
 *                 rerun -- or a run on another subset of mechanisms --
 *                 gives the same interval for a mechanism;
 *   final_share   w_i^{T+1} / sum_k w_k^{T+1}, row T of each share;
 *   worker_rank   1 for the largest final share w_i^{T+1} / sum w, ties
 *                 to the lower worker index.
 *
 * Left out: a test of the differences between mechanisms (the intervals
 * are each mechanism's own). */
#include "replay/replay.h"

#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "base/stats.h"
#include "base/streams.h"

void ts_replay_summary_free(ts_replay_summary *s)
{
    if (!s)
        return;
    free(s->final_regret);
    free(s->mean_loss);
    free(s->ci_lo);
    free(s->ci_hi);
    free(s->final_share);
    free(s->rank);
    memset(s, 0, sizeof *s);
}

/* The p-quantile of sorted x[n] by linear interpolation between order
 * statistics (x[(n-1)p]), as numpy's default. */
static double quantile_sorted(const double *x, int n, double p)
{
    const double h = (n - 1) * p;
    const int lo = (int)h;
    return lo + 1 < n ? x[lo] + (h - lo) * (x[lo + 1] - x[lo]) : x[lo];
}

/* boot[b * n + k]: mechanism k's mean loss over resample b. */
static int bootstrap(const ts_replay_out *o, int n, uint64_t seed,
                     ts_replay_summary *s, ts_err *e)
{
    const long T = o[0].T;
    const int B = TS_REPLAY_BOOT_B;
    double *boot = malloc((size_t)B * (size_t)n * sizeof *boot);
    double *col = malloc((size_t)B * sizeof *col);
    if (!boot || !col) {
        free(boot);
        free(col);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    ts_rng g;
    ts_rng_init(&g, seed, TS_REPLAY_POINT_BOOT, 0, TS_STREAM_AUX);
    for (int b = 0; b < B; b++) {
        double *sum = boot + (size_t)b * (size_t)n;
        for (int k = 0; k < n; k++)
            sum[k] = 0.0;
        ts_rng_seek(&g, (uint64_t)b); /* resample b alone, any B */
        for (long t = 0; t < T; t++) {
            const uint32_t u = ts_rng_below(&g, (uint32_t)T);
            for (int k = 0; k < n; k++)
                sum[k] += o[k].loss[u];
        }
        for (int k = 0; k < n; k++)
            sum[k] /= (double)T;
    }
    for (int k = 0; k < n; k++) {
        for (int b = 0; b < B; b++)
            col[b] = boot[(size_t)b * (size_t)n + (size_t)k];
        ts_sort_doubles(col, (size_t)B);
        s->ci_lo[k] = quantile_sorted(col, B, 0.025);
        s->ci_hi[k] = quantile_sorted(col, B, 0.975);
    }
    free(boot);
    free(col);
    return TS_OK;
}

/* Worker ranks by final share (row T of share), 1 = largest. */
static void ranks(const ts_replay_out *o, int32_t *rank)
{
    const double *fin = o->share + (size_t)o->T * (size_t)o->N;
    for (int i = 0; i < o->N; i++) {
        int32_t r = 1;
        for (int j = 0; j < o->N; j++)
            r += fin[j] > fin[i] || (fin[j] == fin[i] && j < i);
        rank[i] = r;
    }
}

int ts_replay_summarise(const ts_replay_out *o, int n, uint64_t seed,
                        ts_replay_summary *s, ts_err *e)
{
    memset(s, 0, sizeof *s);
    if (n < 1 || o[0].T < 1 || o[0].T > (long)UINT32_MAX)
        return TS_ERROR(e, TS_EINVAL, "replay summary: %d mechanisms, T = %ld",
                        n, n > 0 ? o[0].T : 0L);
    s->n = n;
    s->N = o[0].N;
    s->T = o[0].T;
    s->final_regret = malloc((size_t)n * sizeof *s->final_regret);
    s->mean_loss = malloc((size_t)n * sizeof *s->mean_loss);
    s->ci_lo = malloc((size_t)n * sizeof *s->ci_lo);
    s->ci_hi = malloc((size_t)n * sizeof *s->ci_hi);
    s->final_share = malloc((size_t)n * (size_t)s->N * sizeof *s->final_share);
    s->rank = malloc((size_t)n * (size_t)s->N * sizeof *s->rank);
    if (!s->final_regret || !s->mean_loss || !s->ci_lo || !s->ci_hi ||
        !s->final_share || !s->rank) {
        ts_replay_summary_free(s);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    for (int k = 0; k < n; k++) {
        double sum = 0.0;
        for (long t = 0; t < s->T; t++) /* index order */
            sum += o[k].loss[t];
        s->mean_loss[k] = sum / (double)s->T;
        s->final_regret[k] = o[k].regret[s->T - 1];
        memcpy(s->final_share + (size_t)k * (size_t)s->N,
               o[k].share + (size_t)s->T * (size_t)s->N,
               (size_t)s->N * sizeof *s->final_share);
        ranks(&o[k], s->rank + (size_t)k * (size_t)s->N);
    }
    int rc = bootstrap(o, n, seed, s, e);
    if (rc)
        ts_replay_summary_free(s);
    return rc;
}

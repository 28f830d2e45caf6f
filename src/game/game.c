/* game.c -- helpers shared by every mechanism (see game.h). */
#include "game/game.h"
#include "base/tsmath.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

void ts_shares_from_log(int N, const double *logw, double *share)
{
    double mx = -INFINITY;
    for (int i = 0; i < N; i++)
        if (logw[i] > mx)
            mx = logw[i];
    if (mx == -INFINITY) { /* every weight is zero: no one is preferred */
        for (int i = 0; i < N; i++)
            share[i] = 1.0 / N;
        return;
    }
    double sum = 0;
    for (int i = 0; i < N; i++) {
        share[i] = ts_exp(logw[i] - mx); /* libm-free bits (tsmath.h) */
        sum += share[i];
    }
    for (int i = 0; i < N; i++)
        share[i] /= sum;
}

void ts_sq_loss_rows(const double *x, int n, int m, const double *p,
                     double *out, int *bad)
{
    uint64_t b = 0;
    int h = 0;
    for (; h + 4 <= n; h += 4) {
        const double *x0 = x + (size_t)h * m, *x1 = x0 + m, *x2 = x1 + m,
                     *x3 = x2 + m;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int j = 0; j < m; j++) {
            double d0 = x0[j] - p[j], d1 = x1[j] - p[j];
            double d2 = x2[j] - p[j], d3 = x3[j] - p[j];
            /* The range check rides along (game.h): without it in this
             * loop, a separate pass cost the hot path 28 %. */
            b |= ts_unit_flag(x0[j]) | ts_unit_flag(x1[j]) |
                 ts_unit_flag(x2[j]) | ts_unit_flag(x3[j]);
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        out[h] = s0 / m;
        out[h + 1] = s1 / m;
        out[h + 2] = s2 / m;
        out[h + 3] = s3 / m;
    }
    for (; h < n; h++) {
        const double *xh = x + (size_t)h * m;
        double s0 = 0;
        for (int j = 0; j < m; j++) {
            double d = xh[j] - p[j];
            b |= ts_unit_flag(xh[j]);
            s0 += d * d;
        }
        out[h] = s0 / m;
    }
    if (bad && b >> 63)
        *bad = 1;
}

int ts_draw_index(const double *theta, int N, double u)
{
    double total = 0;
    for (int i = 0; i < N; i++)
        total += theta[i];
    const double target = u * total;
    double cum = 0;
    int last = -1;
    for (int i = 0; i < N; i++) {
        if (theta[i] <= 0)
            continue;
        last = i;
        cum += theta[i];
        if (target < cum)
            return i;
    }
    return last; /* rounding put target at the very top: the last eligible */
}

void ts_draw_subset(ts_rng *g, int N, int k, int *sel)
{
    int chosen = 0;
    for (int i = 0; i < N && chosen < k; i++) {
        /* Select i with probability (k - chosen) / (N - i). */
        if ((double)(N - i) * ts_rng_u01(g) < (double)(k - chosen))
            sel[chosen++] = i;
    }
}

void ts_pop_states(ts_rng *state, int m, double rate, double *p)
{
    for (int j = 0; j < m; j++)
        p[j] = ts_rng_u01(state) < rate ? 1.0 : 0.0;
}

/* The same arithmetic in every clone (ISO C keeps FP contraction off, so
 * AVX2 adds no FMA): the bits do not depend on the CPU, only the width of
 * the vectors does.  Built as clones only with GCC on x86-64. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
void ts_pop_band_row(const double *p, int m, double lo, double width,
                     double *q)
{
    for (int j = 0; j < m; j++) {
        double u = lo + width * q[j];
        q[j] = p[j] + (1.0 - 2.0 * p[j]) * u;
    }
}

int ts_pop_check_bands(const char *who, const char *key, const double *v,
                       int len, int N, int first, ts_err *e)
{
    const int n = N - first + 1;
    if (len != 2 * n) {
        char whom[64];
        if (first == 1)
            snprintf(whom, sizeof whom, "each worker");
        else
            snprintf(whom, sizeof whom, "workers %d..N", first);
        return TS_ERROR(e, TS_EINPUT,
                        "%s: '%s' has %d numbers but N = %d needs %d (lo, hi "
                        "for %s)", who, key, len, N, 2 * n, whom);
    }
    for (int k = 0; k < n; k++)
        if (!(v[2 * k] <= v[2 * k + 1]))
            return TS_ERROR(e, TS_EINPUT,
                            first == 1 ? "%s: band %d is [%g, %g]: lo must "
                                         "not exceed hi"
                                       : "%s: band of worker %d is [%g, %g]: "
                                         "lo must not exceed hi",
                            who, first + k, v[2 * k], v[2 * k + 1]);
    return TS_OK;
}

void ts_pop_band_rule(int n, int k, double *lo, double *hi)
{
    double centre = n > 1 ? 0.5 + 0.3 * (double)k / (double)(n - 1) : 0.5;
    *lo = centre - 0.05;
    *hi = centre + 0.05;
}

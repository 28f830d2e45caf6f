/* stats.c -- summary statistics (stats.h).  The t quantile is GSL's; no
 * resampling here (each bootstrap draws from its own stream); only the sort
 * its percentiles need. */
#include "base/stats.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>

void ts_mean_ci(const double *x, long n, long stride, double *mean, double *ci)
{
    double sum = 0;
    long k = 0;
    for (long i = 0; i < n; i++) {
        double v = x[i * stride];
        if (isfinite(v)) {
            sum += v;
            k++;
        }
    }
    if (k == 0) {
        *mean = NAN;
        *ci = NAN;
        return;
    }
    double mu = sum / (double)k, ss = 0;
    for (long i = 0; i < n; i++) {
        double v = x[i * stride];
        if (isfinite(v))
            ss += (v - mu) * (v - mu);
    }
    *mean = mu;
    if (k < 2) {
        *ci = NAN;
        return;
    }
    double sd = sqrt(ss / (double)(k - 1));
    *ci = gsl_cdf_tdist_Pinv(0.975, (double)(k - 1)) * sd / sqrt((double)k);
}

double ts_ls_slope(const double *x, const double *y, int n)
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
    const double u = *(const double *)a, v = *(const double *)b;
    return (u > v) - (u < v);
}

void ts_sort_doubles(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_double);
}

/* stats.h -- the summary statistics every reduction shares: the mean of
 * replicas with a Student-t confidence half-width (results, the claims and
 * the dynamics analyses report the same interval, SPEC §5), and the
 * least-squares slope of a log-log fit (Thm. 2's growth rate).  Plain
 * loops in index order, so a result never depends on a thread count. */
#ifndef TS_STATS_H
#define TS_STATS_H

#include <stddef.h>

/* Mean and 95 % confidence half-width (Student t, n-1 degrees of freedom)
 * of the finite entries of x[0], x[stride], ..., in index order.  NaN for
 * both with no finite entry; the half-width is NaN with one. */
void ts_mean_ci(const double *x, long n, long stride, double *mean,
                double *ci);

/* Sort x[n] ascending in place (NaN-free input): the order statistics of
 * the bootstrap intervals (check's Thm. 2, replay's mean loss). */
void ts_sort_doubles(double *x, size_t n);

/* Least-squares slope of y on x over n >= 2 points. */
double ts_ls_slope(const double *x, const double *y, int n);

#endif

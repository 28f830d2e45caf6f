/* game.c -- helpers shared by every mechanism (see game.h). */
#include "game.h"

#include <math.h>

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
        share[i] = exp(logw[i] - mx);
        sum += share[i];
    }
    for (int i = 0; i < N; i++)
        share[i] /= sum;
}

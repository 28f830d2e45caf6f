/* bench_median.c -- what one lower median costs (games/median.c): the
 * sorting-network path (N <= 256) and quickselect (above), per prompt, on
 * reports from a pool larger than L1 so that the branch predictor cannot
 * learn the data.  Prints figures; never fails on speed.
 *   meson test -C BUILD --benchmark median */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "games/games.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ns per median of N reports, m = 20 prompts a slot. */
static double per_median(int N)
{
    const int m = 20, P = 64; /* 64 slots of reports, cycled */
    ts_shape g = {N, m, 100, TS_FULL};
    ts_params p;
    ts_params_init(&p, 0);
    ts_err e;
    void *st = malloc(ts_mech_median.state_size(&g));
    double *pool = malloc(sizeof(double) * (size_t)N * m * P), A[20];
    if (!st || !pool || ts_mech_median.init(st, &g, &p, &e))
        return -1;
    uint64_t z = 1;
    for (size_t k = 0; k < (size_t)N * m * P; k++) {
        z = z * 6364136223846793005ull + 1442695040888963407ull;
        pool[k] = (double)(z >> 11) * 0x1p-53;
    }
    long reps = 4000000L / N + 1;
    double acc = 0, t0 = now();
    for (long k = 0; k < reps; k++) {
        ts_slot s = {.t = k, .N = N, .m = m, .n_heard = N,
                     .r = pool + (size_t)(k % P) * N * m};
        ts_mech_median.aggregate(st, &s, A, &e);
        acc += A[k % m];
    }
    double ns = (now() - t0) * 1e9 / (double)reps / m;
    free(st);
    free(pool);
    volatile double sink = acc; /* keeps the work alive */
    (void)sink;
    return ns;
}

int main(void)
{
    printf("lower median of N reports (games/median.c), ns per prompt, "
           "range check included\n");
    const int Ns[] = {5, 10, 50, 100, 256, 257, 1000};
    for (size_t k = 0; k < sizeof Ns / sizeof Ns[0]; k++)
        printf("  N = %4d  %8.1f ns  (%s)\n", Ns[k], per_median(Ns[k]),
               Ns[k] <= 256 ? "sorting network" : "quickselect");
    return 0;
}

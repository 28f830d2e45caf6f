/* bench_em.c -- cost of one em slot (games/em.c) at the figures' shape,
 * N = 50, m = 20, the reference E-M loop (default) beside the vectorised
 * one (em.fast = 1), on the same reports (issue 15, item 2).  Reports:
 * Fig. 7's bands (worker 1 accurate, the others leaning wrong), then
 * informative ones.  Prints ns per slot, mean iterations per slot and the
 * largest label difference; asserts nothing.  Times are the thread's CPU
 * time (CLOCK_THREAD_CPUTIME_ID), steadier than wall time on a shared
 * machine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/rng.h"
#include "base/streams.h"
#include "game/slot.h"
#include "games/games.h"

enum { N = 50, M = 20, T = 4000 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void reports(long t, double *p, double *r)
{
    ts_rng g;
    ts_rng_init(&g, 5, 0, 0, TS_STREAM_BELIEF);
    ts_rng_seek(&g, (uint64_t)t);
    for (int j = 0; j < M; j++)
        p[j] = ts_rng_u01(&g) < 0.5 ? 0.0 : 1.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < M; j++) {
            double c = i == 0 ? 0.05 : (t < T / 2 ? 0.5 : 0.1) +
                                           0.3 * (i - 1) / (N - 2.0);
            double u = c - 0.05 + 0.1 * ts_rng_u01(&g);
            r[i * M + j] = p[j] + (1 - 2 * p[j]) * u;
        }
}

/* Runs T slots; labels[T][M] out; returns seconds spent in the mechanism. */
static double run(int fast, double *labels, double *iters)
{
    const ts_mechanism_type *mt = &ts_mech_em;
    ts_shape g = {.N = N, .m = M, .T = T, .feedback = TS_FULL};
    ts_params par;
    ts_err e;
    ts_err_clear(&e);
    ts_params_init(&par, mt->n_params);
    if (ts_params_set(&par, mt->params, mt->n_params, "fast", fast, &e))
        return NAN;
    mt->defaults(&g, &par);
    void *st = calloc(1, mt->state_size(&g));
    static double r[N * M], scr[N * M + N + M];
    double p[M];
    int sel[N];
    double spent = 0;
    if (!st || mt->init(st, &g, &par, &e))
        return NAN;
    for (long t = 0; t < T; t++) {
        reports(t, p, r);
        ts_step s = {.t = t, .N = N, .m = M, .r = r, .p = p, .pv = p,
                     .k = N, .rh = scr, .sel = sel, .hl = scr + N * M,
                     .A = labels + t * M};
        double t0 = now();
        if (ts_slot_step(mt, st, &s, &e))
            return NAN;
        spent += now() - t0;
    }
    double dg[8];
    mt->diag(st, dg);
    *iters = dg[0]; /* em_iter_max */
    free(st);
    return spent;
}

int main(void)
{
    double *la = malloc(sizeof(double) * T * M);
    double *lb = malloc(sizeof(double) * T * M);
    if (!la || !lb)
        return 1;
    double ia = 0, ib = 0, ta = 1e300, tb = 1e300;
    for (int k = 0; k < 3; k++) { /* best of 3 */
        ta = fmin(ta, run(0, la, &ia));
        tb = fmin(tb, run(1, lb, &ib));
    }
    double worst = 0;
    for (long k = 0; k < (long)T * M; k++)
        worst = fmax(worst, fabs(la[k] - lb[k]));
    printf("em slot, N = %d, m = %d, %d slots (best of 3):\n", N, M, T);
    printf("  reference loop: %8.0f ns per slot (most iterations %g)\n",
           1e9 * ta / T, ia);
    printf("  fast loop:      %8.0f ns per slot (most iterations %g), "
           "%.2fx\n", 1e9 * tb / T, ib, ta / tb);
    printf("  largest label difference: %.3g\n", worst);
    free(la);
    free(lb);
    return 0;
}

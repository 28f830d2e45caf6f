/* bestresp_mc.c -- U(r) by Monte Carlo with common random numbers
 * (bestresp.h): S outcomes are drawn once, before any candidate, from
 * Philox stream TS_STREAM_MC keyed by the options' seed and positioned at
 * the slot, then every candidate r is run on the same draws, so U is
 * smooth in r and the gain's confidence interval comes from the paired
 * per-outcome differences.
 *
 * Per draw: a (p_j, flip_j) pair of uniforms for every prompt -- p from the
 * worker's belief q, pv = p xor flip (Prop. 3) -- then the heard set (one
 * worker by theta, or a uniform k-subset).
 *
 * Left out: deciding that the outcomes are too many to enumerate
 * (bestresp.c). */
#include "game/bestresp_impl.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

#include "base/rng.h"
#include "base/streams.h"

int ts_br_mc_draw(ts_br_ctx *c)
{
    const ts_br_problem *pb = c->pb;
    const ts_br_options *o = c->o;
    ts_br_work *w = c->w;
    const int N = pb->g.N, m = pb->m;
    ts_rng g;
    ts_rng_init(&g, o->seed, 0, 0, TS_STREAM_MC);
    ts_rng_seek(&g, (uint64_t)pb->t);
    for (long s = 0; s < o->samples; s++) {
        for (int j = 0; j < m; j++) {
            const int p = ts_rng_u01(&g) < pb->q[j];
            const int flip = ts_rng_u01(&g) < pb->epsilon;
            w->pvS[(size_t)s * m + j] = (unsigned char)(p ^ flip);
        }
        int *sel = w->selS + (size_t)s * N;
        if (c->heard == TS_BR_HEARD_THETA)
            sel[0] = ts_draw_index(w->theta, N, ts_rng_u01_53(&g));
        else if (c->heard == TS_BR_HEARD_SUBSET)
            ts_draw_subset(&g, N, c->k, sel);
    }
    if (g.overflow)
        return TS_ERROR(c->e, TS_EINPUT,
                        "best response: %ld samples need more than "
                        "2^24 Philox blocks; use fewer", o->samples);
    return TS_OK;
}

int ts_br_mc_mean(ts_br_ctx *c, double *mean, double *per_draw)
{
    ts_br_work *w = c->w;
    const long S = w->S;
    const int N = c->pb->g.N, m = c->pb->m;
    double acc = 0.0;
    for (long s = 0; s < S; s++) {
        for (int j = 0; j < m; j++)
            w->pv[j] = w->pvS[(size_t)s * m + j];
        double u;
        const int *sel = c->heard == TS_BR_HEARD_ALL
                             ? NULL
                             : w->selS + (size_t)s * N;
        int rc = ts_br_run_slot(c, sel, c->heard == TS_BR_HEARD_ALL ? N : c->k,
                                &u);
        if (rc)
            return rc;
        if (per_draw)
            per_draw[s] = u;
        acc += u;
    }
    *mean = acc / (double)S;
    return TS_OK;
}

void ts_br_mc_gain(const ts_br_work *w, long S, double *gain, double *ci)
{
    double mean = 0.0, ss = 0.0;
    for (long s = 0; s < S; s++)
        mean += w->uS[s] - w->uT[s];
    mean /= (double)S;
    for (long s = 0; s < S; s++) {
        const double d = w->uS[s] - w->uT[s] - mean;
        ss += d * d;
    }
    const double sd = sqrt(ss / (double)(S - 1));
    *gain = mean;
    *ci = gsl_cdf_tdist_Pinv(0.975, (double)(S - 1)) * sd / sqrt((double)S);
}

/* bestresp_exact.c -- U(r) by enumeration (bestresp.h): every outcome
 * (verified states pv x heard set) run on a clone of the state, weighted by
 * its probability, summed in outcome order so U is a pure function of the
 * problem.
 *
 * Verified states: pv_j ~ Bernoulli(qe_j) independently, qe_j = (1 - 2
 * epsilon) q_j + epsilon (App. I); 2^m states, or m + 1 counts of ones
 * when the prompts are exchangeable.  Heard sets: everyone (full
 * feedback), each worker h with probability theta_h (Def. 5, exp3; App.
 * E, F), or every k-subset with probability 1 / C(N, k).
 *
 * Left out: deciding whether enumeration fits the budget (bestresp.c). */
#include "game/bestresp_impl.h"

#include <math.h>

/* C(n, k) as a double (exact for the sizes enumerated). */
double ts_br_choose(int n, int k)
{
    double x = 1.0;
    for (int j = 1; j <= k; j++)
        x = x * (double)(n - k + j) / (double)j;
    return x;
}

/* Next k-subset of 0..N-1 in lexicographic order; 0 after the last. */
static int next_subset(int *sel, int k, int N)
{
    int j = k - 1;
    while (j >= 0 && sel[j] == N - k + j)
        j--;
    if (j < 0)
        return 0;
    sel[j]++;
    for (int h = j + 1; h < k; h++)
        sel[h] = sel[h - 1] + 1;
    return 1;
}

/* Sum over the heard sets for the pv in w->pv: *acc += p_pv * E_heard[u]. */
static int heard_sum(ts_br_ctx *c, double p_pv, double *acc)
{
    ts_br_work *w = c->w;
    const int N = c->pb->g.N;
    double u;
    int rc;
    switch (c->heard) {
    case TS_BR_HEARD_ALL:
        rc = ts_br_run_slot(c, NULL, N, &u);
        if (rc)
            return rc;
        *acc += p_pv * u;
        return TS_OK;
    case TS_BR_HEARD_THETA:
        for (int h = 0; h < N; h++) {
            if (!(w->theta[h] > 0.0))
                continue;
            w->sel[0] = h;
            rc = ts_br_run_slot(c, w->sel, 1, &u);
            if (rc)
                return rc;
            *acc += p_pv * w->theta[h] * u;
        }
        return TS_OK;
    default: {
        const double ph = 1.0 / ts_br_choose(N, c->k);
        for (int h = 0; h < c->k; h++)
            w->sel[h] = h;
        do {
            rc = ts_br_run_slot(c, w->sel, c->k, &u);
            if (rc)
                return rc;
            *acc += p_pv * ph * u;
        } while (next_subset(w->sel, c->k, N));
        return TS_OK;
    }
    }
}

/* All qe_j equal (exchangeable prompts): only the count n1 of ones
 * matters, with probability C(m, n1) qe^n1 (1 - qe)^(m - n1). */
static int sum_by_count(ts_br_ctx *c, double *acc)
{
    ts_br_work *w = c->w;
    const int m = c->pb->m;
    const double qe = w->qe[0];
    for (int n1 = 0; n1 <= m; n1++) {
        const double p = ts_br_choose(m, n1) * pow(qe, n1) * pow(1.0 - qe, m - n1);
        if (!(p > 0.0))
            continue;
        for (int j = 0; j < m; j++)
            w->pv[j] = j < n1 ? 1.0 : 0.0;
        int rc = heard_sum(c, p, acc);
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* Every pv in {0,1}^m, bit j of b is pv_j. */
static int sum_by_state(ts_br_ctx *c, double *acc)
{
    ts_br_work *w = c->w;
    const int m = c->pb->m;
    const unsigned long n_pv = 1ul << m;
    for (unsigned long b = 0; b < n_pv; b++) {
        double p = 1.0;
        for (int j = 0; j < m; j++) {
            const int one = (int)((b >> j) & 1ul);
            w->pv[j] = one;
            p *= one ? w->qe[j] : 1.0 - w->qe[j];
        }
        if (!(p > 0.0))
            continue;
        int rc = heard_sum(c, p, acc);
        if (rc)
            return rc;
    }
    return TS_OK;
}

int ts_br_exact_sum(ts_br_ctx *c, double *acc)
{
    return c->pb->exchangeable ? sum_by_count(c, acc) : sum_by_state(c, acc);
}

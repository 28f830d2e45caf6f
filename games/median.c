/* median.c -- benchmark 3: lower median of the reports, full feedback.
 *
 * SPEC §2 (paper benchmark 3; Lemma 3, App. C): for each prompt, sort the
 * n heard reports and take the one at 1-based index n/2 (n even) or
 * (n+1)/2 (n odd) -- the lower median, i.e. 0-based index (n-1)/2 in
 * integer division: n = 2 gives the smaller, n = 3 and n = 4 the second
 * smallest.  Equal reports need no special case: a sorted list with ties
 * still has one value at each index.  No update, so every weight stays
 * w_i = 1.  Its regret is linear when the accurate workers are a minority
 * (App. C): the median never learns who is right.
 *
 * Legend: N workers, m prompts in the slot, n = n_heard rows of reports
 * r [n][m] (rows in ts_slot.sel order), A labels [m].
 *
 * The k-th smallest is found by selection (Hoare's quickselect with a
 * median-of-three pivot) in scratch held in the state: O(n) per prompt on
 * average, where sorting would cost O(n log n) and an insertion sort O(n^2)
 * (N = 100, m = 50 made that the whole run's cost).  Slot functions never
 * allocate.  The value at an order statistic does not depend on how ties
 * are arranged, so selection and sorting give the same label.
 *
 * Limited feedback (SPEC §2, second table): the subset baseline hears a
 * uniform random subset of k workers per slot (the engine draws it, since
 * theta is NULL, and passes it in ts_slot.sel, increasing); its label is
 * the lower median of those k reports, by the same functions.  Parameter
 * k [min(10, N); Fig. 9 uses 10 of 50, Fig. 13 uses 3], at most N.
 * Left out: nothing; pv is only checked, never used. */
#include "games/games.h"
#include "games/mech_util.h"

static const char name[] = "median";

typedef struct median_state {
    int N, m;
    double scratch[]; /* [N]: one prompt's heard reports, sorted in place */
} median_state;

static size_t state_size(const ts_shape *g)
{
    return sizeof(median_state) + (size_t)g->N * sizeof(double);
}

static int init(void *st, const ts_shape *g, const ts_params *p, ts_err *e)
{
    (void)p;
    int rc = mech_check_shape(g, name, e);
    if (rc)
        return rc;
    median_state *md = st;
    md->N = g->N;
    md->m = g->m;
    for (int i = 0; i < g->N; i++)
        md->scratch[i] = 0.0;
    return TS_OK;
}

/* The k-th smallest (0-based) of x[0..n-1], permuting x; no allocation. */
static double select_kth(double *x, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (hi > lo) {
        /* Median of three as pivot: sorted or constant inputs stay linear. */
        int mid = lo + (hi - lo) / 2;
        double a = x[lo], b = x[mid], c = x[hi];
        double piv = a < b ? (b < c ? b : (a < c ? c : a))
                           : (a < c ? a : (b < c ? c : b));
        int i = lo, j = hi;
        while (i <= j) {
            while (x[i] < piv)
                i++;
            while (x[j] > piv)
                j--;
            if (i <= j) {
                double t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                j--;
            }
        }
        /* Now x[lo..j] <= piv <= x[i..hi] and j < i. */
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return x[k]; /* j < k < i: x[k] == piv */
    }
    return x[k];
}

static int aggregate(void *st, const ts_slot *s, double *A, ts_err *e)
{
    median_state *md = st;
    int rc = mech_check_slot(s, md->N, md->m, name, e);
    if (rc)
        return rc;
    const int n = s->n_heard, m = s->m;
    for (int j = 0; j < m; j++) {
        for (int h = 0; h < n; h++)
            md->scratch[h] = s->r[(size_t)h * (size_t)m + (size_t)j];
        A[j] = select_kth(md->scratch, n, (n - 1) / 2); /* lower median, SPEC §2 */
    }
    return TS_OK;
}

static int update(void *st, const ts_slot *s, const double *pv, ts_err *e)
{
    const median_state *md = st;
    int rc = mech_check_slot(s, md->N, md->m, name, e);
    return rc ? rc : mech_check_pv(s, pv, name, e);
}

static void log_weights(const void *st, double *logw)
{
    const median_state *md = st;
    mech_logw_uniform(md->N, logw);
}

const ts_mechanism_type ts_mech_median = {
    .name = name,
    .label = name,
    .feedback = TS_FULL,
    .params = NULL,
    .n_params = 0,
    .defaults = mech_defaults_none,
    .check = NULL,
    .state_size = state_size,
    .init = init,
    .aggregate = aggregate,
    .update = update,
    .log_weights = log_weights,
    .theta = NULL,
    .n_heard = NULL,
    .n_diag = 0,
    .diag_names = NULL,
    .diag = NULL,
};

/* ------------------------------------------------------------------ */
/* Limited feedback: a uniform random subset of k workers.             */

MECH_SUBSET_LIMITED(ts_mech_median_limited);

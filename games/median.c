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
 * How the k-th smallest is found: for n <= NET_MAX_N heard rows, eight
 * prompts at a time through Batcher's odd-even merge sorting network, one
 * prompt per vector lane (reports are [n][m] with prompts contiguous, so a
 * row of eight prompts is one load).  The network is data-oblivious: each
 * compare-exchange is a vector min and max, with no branch to mispredict,
 * which is what made quickselect cost ~500 ns per 50-value median.  Above
 * NET_MAX_N, where the network's n log^2 n work loses to selection's n,
 * Hoare's quickselect with a median-of-three pivot, in scratch held in the
 * state.  Both give the exact order statistic, and the value at an order
 * statistic does not depend on how ties are arranged; -0 is read as +0
 * (x + 0.0), so the label's bits do not depend on the method either.
 * Slot functions never allocate (the network's rows are on the stack).
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

/* Sorting networks serve up to NET_MAX_N heard rows (indices fit a byte),
 * NET_B prompts at a time (8: one AVX-512 register, two AVX2 ones). */
enum { NET_B = TS_LANES, NET_MAX_N = 256 };

typedef struct median_state {
    int N, m;
    int n_net;     /* rows the network below was built for; 0: none yet   */
    int n_cmp;     /* its comparators                                    */
    size_t cmp_off; /* bytes from data to the comparators                 */
    /* data: scratch[N] doubles (one prompt's heard reports, for
     * quickselect), then the comparators (a, b) as byte pairs. */
    double data[];
} median_state;

static long batcher_count(int n);

static size_t state_size(const ts_shape *g)
{
    size_t pairs = g->N <= NET_MAX_N ? (size_t)batcher_count(g->N) : 0;
    return sizeof(median_state) + (size_t)g->N * sizeof(double) + 2 * pairs;
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
    md->n_net = md->n_cmp = 0;
    md->cmp_off = (size_t)g->N * sizeof(double);
    for (int i = 0; i < g->N; i++)
        md->data[i] = 0.0;
    return TS_OK;
}

/* Batcher's odd-even merge sort on n wires (Knuth, TAOCP 5.3.4, Algorithm
 * M), calling visit(a, b) for each comparator a < b in order: its
 * power-of-two network cut to the comparators whose both wires are below
 * n -- the same as padding with +inf wires, which never move.  p and k
 * are powers of two, so "in the same block of 2p" is a shift. */
#define BATCHER_FOR_EACH(n, a, b, visit)                                     \
    do {                                                                     \
        int lp_ = 0;                                                         \
        for (int p_ = 1; p_ < (n); p_ <<= 1, lp_++)                          \
            for (int k_ = p_; k_ >= 1; k_ >>= 1)                             \
                for (int j_ = k_ % p_; j_ + k_ < (n); j_ += 2 * k_)           \
                    for (int i_ = 0; i_ < k_ && i_ + j_ + k_ < (n); i_++)     \
                        if ((i_ + j_) >> (lp_ + 1) ==                        \
                            (i_ + j_ + k_) >> (lp_ + 1)) {                   \
                            const int a = i_ + j_, b = i_ + j_ + k_;         \
                            visit;                                           \
                        }                                                    \
    } while (0)

static long batcher_count(int n)
{
    long c = 0;
    BATCHER_FOR_EACH(n, a, b, ((void)a, (void)b, c++));
    return c;
}

/* The network for n rows, cut to the comparators the lower median's wire
 * (n-1)/2 depends on: walking back from the end, a comparator matters if
 * it touches a wire that matters, and then both its wires do.  (For n =
 * 50 that keeps 325 of 403.)  The output wire then holds exactly what the
 * whole network would put there. */
static void build_network(median_state *md, int n)
{
    unsigned char *cmp = (unsigned char *)md->data + md->cmp_off;
    int c = 0;
    BATCHER_FOR_EACH(n, a, b, (cmp[2 * c] = (unsigned char)a,
                               cmp[2 * c + 1] = (unsigned char)b, c++));
    unsigned char need[NET_MAX_N] = {0};
    need[(n - 1) / 2] = 1;
    int kept = c;
    for (int q = c - 1; q >= 0; q--) {
        const int a = cmp[2 * q], b = cmp[2 * q + 1];
        if (need[a] || need[b])
            need[a] = need[b] = 1;
        else
            cmp[2 * q] = cmp[2 * q + 1] = 0xff; /* dropped */
    }
    kept = 0;
    for (int q = 0; q < c; q++)
        if (cmp[2 * q] != 0xff) {
            cmp[2 * kept] = cmp[2 * q];
            cmp[2 * kept + 1] = cmp[2 * q + 1];
            kept++;
        }
    md->n_net = n;
    md->n_cmp = kept;
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

/* Rows a < b of x ([n][NET_B], rows 64-byte aligned): lane by lane, the
 * smaller to row a.  A vector compare gives each lane's mask (game.h's
 * ts_lv), and the two selects are bit operations, so no lane branches.
 * A macro, not a function: GCC does not inline a baseline function into
 * the AVX-512 clone, and a call per comparator would cost more than it. */
#define CMPX(xa, xb)                                                      \
    do {                                                                  \
        const ts_lv a_ = *(const ts_lv *)(xa), b_ = *(const ts_lv *)(xb); \
        const ts_lvu lt_ = (ts_lvu)(a_ < b_);                             \
        const ts_lvu ua_ = (ts_lvu)a_, ub_ = (ts_lvu)b_;                  \
        *(ts_lv *)(xa) = (ts_lv)((lt_ & ua_) | (~lt_ & ub_));             \
        *(ts_lv *)(xb) = (ts_lv)((lt_ & ub_) | (~lt_ & ua_));             \
    } while (0)

/* Run the comparators on x[n][NET_B]: each lane ends with its lower
 * median on wire (n-1)/2. */
TS_LANES_CLONES
static void run_network(const unsigned char *cmp, int n_cmp, double *x)
{
    for (int c = 0; c < n_cmp; c++)
        CMPX(x + (size_t)cmp[2 * c] * NET_B, x + (size_t)cmp[2 * c + 1] * NET_B);
}

/* Lower medians of prompts j0 .. j0+nb-1 (nb <= NET_B) by the network. */
static void median_block(const median_state *md, const double *r, int n,
                         int m, int j0, int nb, double *A)
{
    _Alignas(64) double x[NET_MAX_N * NET_B];
    for (int h = 0; h < n; h++) {
        const double *row = r + (size_t)h * (size_t)m + (size_t)j0;
        for (int l = 0; l < NET_B; l++)
            x[h * NET_B + l] = l < nb ? row[l] + 0.0 : 0.0; /* -0 -> +0 */
    }
    run_network((const unsigned char *)md->data + md->cmp_off, md->n_cmp, x);
    for (int l = 0; l < nb; l++)
        A[j0 + l] = x[((n - 1) / 2) * NET_B + l]; /* lower median, SPEC §2 */
}

static int aggregate(void *st, const ts_slot *s, double *A, ts_err *e)
{
    median_state *md = st;
    int rc = mech_check_slot(s, md->N, md->m, name, e);
    if (rc)
        return rc;
    const int n = s->n_heard, m = s->m;
    if (md->N <= NET_MAX_N) { /* the state has room for its network */
        if (md->n_net != n) /* once per size: n_heard is fixed in practice */
            build_network(md, n);
        for (int j0 = 0; j0 < m; j0 += NET_B)
            median_block(md, s->r, n, m, j0, m - j0 < NET_B ? m - j0 : NET_B, A);
        return TS_OK;
    }
    for (int j = 0; j < m; j++) {
        for (int h = 0; h < n; h++)
            md->data[h] = s->r[(size_t)h * (size_t)m + (size_t)j] + 0.0;
        A[j] = select_kth(md->data, n, (n - 1) / 2); /* lower median, SPEC §2 */
    }
    return TS_OK;
}

MECH_UNWEIGHTED(ts_mech_median, median_state);

/* ------------------------------------------------------------------ */
/* Limited feedback: a uniform random subset of k workers.             */

MECH_SUBSET_LIMITED(ts_mech_median_limited);

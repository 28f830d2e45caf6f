/* layers.c -- forward/backward pairs of the GPT-2 layers (see dpo_layers.h).
 *
 * Speed without -ffast-math: no loop needs reassociation to vectorise.  The
 * matmuls run on register tiles of TS_DPO_MR rows x TS_DPO_NR columns whose
 * 256 accumulators each follow one fma chain over the inner index, so the
 * vector lanes are independent output columns; the forward pass packs a
 * panel of w transposed ([K][NR]) so that a column block is contiguous.
 * Reductions along a row (LayerNorm statistics, softmax sums) are left
 * sequential: they are O(BT*C) against the matmuls' O(BT*C^2).
 *
 * fma is called explicitly, so every CPU (and every target clone) rounds
 * alike; with -std=c11 GCC contracts nothing on its own.
 *
 * What it leaves out: dropout inside the blocks (GPT-2 fine-tuning with
 * LoRA keeps the base model's dropout off), bf16, and KV caching. */
#include "dpo/dpo_layers.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#define THREAD_ID() TS_DPO_THREAD_ID()
#define TASKS(ws) TS_DPO_TASKS(ws)

#ifdef TS_DPO_F64
#define FMA fma
#define EXP exp
#define TANH tanh
#define SQRT sqrt
#else
#define FMA fmaf
#define EXP exp_approx
#define TANH tanh_approx
#define SQRT sqrtf
#endif

/* Hot kernels are compiled three times and the best one is picked at load
 * time.  Results are the same bits in every clone (explicit fma). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__)
#define HOT __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define HOT
#endif

typedef ts_dpo_real real;
enum { MR = TS_DPO_MR, NR = TS_DPO_NR };

#ifndef TS_DPO_F64
/* e^x in fp32 without a libm call, so the loops that use it vectorise
 * (GELU is a quarter of a small model's step with libm's tanhf).  Cody-
 * Waite reduction x = n ln2 + r, |r| <= ln2/2, then Cephes' degree-7
 * polynomial for e^r and 2^n built in the exponent bits.  Relative error
 * below 1e-7 on [-87, 88] (measured against double exp); x is clamped to
 * that range, which only the softmax's masked or far-below-max terms
 * reach, where e^x is below fp32's resolution of the sum anyway. */
static inline float exp_approx(float x)
{
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    /* n = round(x / ln2): adding 1.5 * 2^23 rounds to an integer */
    float n = fmaf(x, 1.44269504088896341f, 12582912.0f) - 12582912.0f;
    float r = fmaf(n, -0.693359375f, x);   /* ln2 split in two parts so  */
    r = fmaf(n, 2.12194440e-4f, r);        /* n * ln2_hi is exact        */
    float p = 1.9875691500e-4f;
    p = fmaf(p, r, 1.3981999507e-3f);
    p = fmaf(p, r, 8.3334519073e-3f);
    p = fmaf(p, r, 4.1665795894e-2f);
    p = fmaf(p, r, 1.6666665459e-1f);
    p = fmaf(p, r, 5.0000001201e-1f);
    p = fmaf(p * r, r, r) + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float s;
    memcpy(&s, &bits, sizeof s);
    return p * s;
}

/* tanh u = 1 - 2 / (1 + e^{2u}); absolute error below 2e-7. */
static inline float tanh_approx(float u)
{
    return 1.0f - 2.0f / (1.0f + exp_approx(2.0f * u));
}
#endif

static int imin(int a, int b) { return a < b ? a : b; }

/* This thread's slice of the scratch; the team running the kernels has at
 * most ws->nthreads threads (model.c sizes both). */
static real *thread_scratch(const ts_dpo_ws *ws)
{
    assert(THREAD_ID() < ws->nthreads);
    return ws->scratch + (size_t)THREAD_ID() * ws->per_thread;
}

/* Sums along a row use SL lanes: lane j adds elements j, j+SL, j+2SL, ...
 * in turn, then the lanes are added in order 0..SL-1.  That is one fixed
 * order on every CPU and thread count, written out so that no
 * reassociation is left to the compiler, and it vectorises. */
#define SL 16

HOT static real lane_sum(const real *restrict x, int n)
{
    real acc[SL] = {0};
    int i = 0;
    for (; i + SL <= n; i += SL)
        for (int j = 0; j < SL; j++)
            acc[j] += x[i + j];
    for (int j = 0; i + j < n; j++)
        acc[j] += x[i + j];
    real s = 0;
    for (int j = 0; j < SL; j++)
        s += acc[j];
    return s;
}

/* max over x[0..n), n >= 1 (exact whatever the order) */
HOT static real lane_max(const real *restrict x, int n)
{
    real acc[SL];
    for (int j = 0; j < SL; j++)
        acc[j] = x[0];
    int i = 0;
    for (; i + SL <= n; i += SL)
        for (int j = 0; j < SL; j++)
            acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
    for (int j = 0; i + j < n; j++)
        acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
    real m = acc[0];
    for (int j = 1; j < SL; j++)
        m = acc[j] > m ? acc[j] : m;
    return m;
}

/* ---------------------------------------------------------------- matmul */

/* c[r][j] (+)= sum_k a[r*a_rs + k*a_ks] * b[k*ldb + j], r < MR, j < NR,
 * storing the first nr columns (b must hold NR readable columns).
 * mode 0 stores acc + bias[j] (bias may be NULL), mode 1 adds acc. */
HOT static void tile_full(real *restrict c, size_t ldc,
                          const real *restrict a, size_t a_rs, size_t a_ks,
                          const real *restrict b, size_t ldb, int K, int nr,
                          int mode, const real *restrict bias)
{
    real acc[MR][NR];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++)
            acc[r][j] = 0;
    for (int k = 0; k < K; k++) {
        const real *bk = b + (size_t)k * ldb;
        const real *ak = a + (size_t)k * a_ks;
        for (int r = 0; r < MR; r++) {
            real ar = ak[(size_t)r * a_rs];
            for (int j = 0; j < NR; j++)
                acc[r][j] = FMA(ar, bk[j], acc[r][j]);
        }
    }
    if (nr == NR) {
        for (int r = 0; r < MR; r++) {
            real *cr = c + (size_t)r * ldc;
            if (mode)
                for (int j = 0; j < NR; j++)
                    cr[j] += acc[r][j];
            else if (bias)
                for (int j = 0; j < NR; j++)
                    cr[j] = acc[r][j] + bias[j];
            else
                for (int j = 0; j < NR; j++)
                    cr[j] = acc[r][j];
        }
        return;
    }
    for (int r = 0; r < MR; r++) {
        real *cr = c + (size_t)r * ldc;
        for (int j = 0; j < nr; j++) {
            if (mode)
                cr[j] += acc[r][j];
            else
                cr[j] = bias ? acc[r][j] + bias[j] : acc[r][j];
        }
    }
}

/* The same for an mr x nr corner (mr <= MR, nr <= NR); same order of
 * operations per element, hence the same bits as tile_full. */
HOT static void tile_edge(real *restrict c, size_t ldc,
                          const real *restrict a, size_t a_rs, size_t a_ks,
                          const real *restrict b, size_t ldb, int K, int mr,
                          int nr, int mode, const real *restrict bias)
{
    real acc[MR][NR];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++)
            acc[r][j] = 0;
    for (int k = 0; k < K; k++) {
        const real *bk = b + (size_t)k * ldb;
        const real *ak = a + (size_t)k * a_ks;
        for (int r = 0; r < mr; r++) {
            real ar = ak[(size_t)r * a_rs];
            for (int j = 0; j < nr; j++)
                acc[r][j] = FMA(ar, bk[j], acc[r][j]);
        }
    }
    for (int r = 0; r < mr; r++) {
        real *cr = c + (size_t)r * ldc;
        for (int j = 0; j < nr; j++) {
            if (mode)
                cr[j] += acc[r][j];
            else
                cr[j] = bias ? acc[r][j] + bias[j] : acc[r][j];
        }
    }
}

/* One tile.  A partial column block (nr < NR, e.g. LoRA's rank 8) still
 * runs the vectorised tile_full when b is zero-padded to NR columns
 * (b_padded), or can be copied so into pad (K * NR elements; NULL if the
 * scratch is too small). */
static void tile(real *c, size_t ldc, const real *a, size_t a_rs, size_t a_ks,
                 const real *b, size_t ldb, int K, int mr, int nr, int mode,
                 const real *bias, int b_padded, real *pad)
{
    if (mr == MR && nr == NR) {
        tile_full(c, ldc, a, a_rs, a_ks, b, ldb, K, NR, mode, bias);
    } else if (mr == MR && (b_padded || pad)) {
        if (!b_padded) {
            for (int k = 0; k < K; k++) {
                const real *bk = b + (size_t)k * ldb;
                real *pk = pad + (size_t)k * NR;
                for (int j = 0; j < nr; j++)
                    pk[j] = bk[j];
                for (int j = nr; j < NR; j++)
                    pk[j] = 0;
            }
            b = pad;
            ldb = NR;
        }
        tile_full(c, ldc, a, a_rs, a_ks, b, ldb, K, nr, mode, bias);
    } else {
        tile_edge(c, ldc, a, a_rs, a_ks, b, ldb, K, mr, nr, mode, bias);
    }
}

static real *thread_pad(const ts_dpo_ws *ws, int K)
{
    if ((size_t)K * NR > ws->per_thread)
        return NULL;
    return thread_scratch(ws);
}

/* wp[k][j] = w[j][k] for a panel of nr rows of w (zeros past nr). */
static void pack_panel(real *restrict wp, const real *restrict w, int K,
                       int nr)
{
    for (int j = 0; j < nr; j++)
        for (int k = 0; k < K; k++)
            wp[(size_t)k * NR + j] = w[(size_t)j * K + k];
    for (int j = nr; j < NR; j++)
        for (int k = 0; k < K; k++)
            wp[(size_t)k * NR + j] = 0;
}

void ts_dpo_matmul_forward(real *out, const real *inp, const real *w,
                           const real *bias, int BT, int K, int OC,
                           int accumulate, const ts_dpo_ws *ws)
{
    /* out[bt][o] = bias[o] + sum_k inp[bt][k] w[o][k] */
    int nb = (OC + NR - 1) / NR, mb = (BT + MR - 1) / MR;
    double work = (double)BT * K * OC;
    (void)work;
    /* a task per run of column blocks: each packs its panel once and
     * sweeps every row block */
    TS_DPO_OMP(omp taskloop num_tasks(TASKS(ws)) if (work > ws->par_min))
    for (int jb = 0; jb < nb; jb++) {
        real *wp = thread_scratch(ws);
        int j0 = jb * NR, nr = imin(NR, OC - j0);
        pack_panel(wp, w + (size_t)j0 * K, K, nr);
        for (int ib = 0; ib < mb; ib++) {
            int i0 = ib * MR, mr = imin(MR, BT - i0);
            tile(out + (size_t)i0 * OC + j0, (size_t)OC,
                 inp + (size_t)i0 * K, (size_t)K, 1, wp, NR, K, mr, nr,
                 accumulate, bias ? bias + j0 : NULL, 1, NULL);
        }
    }
}

void ts_dpo_matmul_backward(real *dinp, real *dw, real *dbias,
                            const real *dout, const real *inp, const real *w,
                            int BT, int K, int OC, const ts_dpo_ws *ws)
{
    double work = (double)BT * K * OC;
    (void)work;
    /* The three products write different arrays: their tasks run side by
     * side (nogroup) and are awaited together. */
    if (dinp) {
        /* dinp[bt][k] += sum_o dout[bt][o] w[o][k]: rows of w are
         * contiguous in k, so no packing. */
        int nb = (K + NR - 1) / NR, mb = (BT + MR - 1) / MR;
        TS_DPO_OMP(omp taskloop collapse(2) num_tasks(TASKS(ws)) nogroup if (work > ws->par_min))
        for (int ib = 0; ib < mb; ib++) {
            for (int jb = 0; jb < nb; jb++) {
                int i0 = ib * MR, mr = imin(MR, BT - i0);
                int j0 = jb * NR, nr = imin(NR, K - j0);
                tile(dinp + (size_t)i0 * K + j0, (size_t)K,
                     dout + (size_t)i0 * OC, (size_t)OC, 1, w + j0,
                     (size_t)K, OC, mr, nr, 1, NULL, 0,
                     nr < NR ? thread_pad(ws, OC) : NULL);
            }
        }
    }
    if (dw) {
        /* dw[o][k] += sum_bt dout[bt][o] inp[bt][k] */
        int nb = (K + NR - 1) / NR, mb = (OC + MR - 1) / MR;
        TS_DPO_OMP(omp taskloop collapse(2) num_tasks(TASKS(ws)) nogroup if (work > ws->par_min))
        for (int ib = 0; ib < mb; ib++) {
            for (int jb = 0; jb < nb; jb++) {
                int i0 = ib * MR, mr = imin(MR, OC - i0);
                int j0 = jb * NR, nr = imin(NR, K - j0);
                tile(dw + (size_t)i0 * K + j0, (size_t)K, dout + i0, 1,
                     (size_t)OC, inp + j0, (size_t)K, BT, mr, nr, 1, NULL, 0,
                     nr < NR ? thread_pad(ws, BT) : NULL);
            }
        }
    }
    if (dbias) {
        /* dbias[o] += sum_bt dout[bt][o], summed over bt in order */
        int nb = (OC + NR - 1) / NR;
        TS_DPO_OMP(omp taskloop num_tasks(TASKS(ws)) nogroup if (work > ws->par_min))
        for (int jb = 0; jb < nb; jb++) {
            int j0 = jb * NR, nr = imin(NR, OC - j0);
            real acc[NR] = {0};
            for (int bt = 0; bt < BT; bt++) {
                const real *d = dout + (size_t)bt * OC + j0;
                for (int j = 0; j < nr; j++)
                    acc[j] += d[j];
            }
            for (int j = 0; j < nr; j++)
                dbias[j0 + j] += acc[j];
        }
    }
    TS_DPO_OMP(omp taskwait)
}

/* ------------------------------------------------------------- layernorm */

/* GPT-2's layer_norm_epsilon. */
#define LN_EPS 1e-5

HOT static void layernorm_row(real *restrict out, real *restrict mean,
                              real *restrict rstd, const real *restrict x,
                              const real *restrict w, const real *restrict b,
                              int C)
{
    real m = lane_sum(x, C) / (real)C;
    real acc[SL] = {0};
    int i0 = 0;
    for (; i0 + SL <= C; i0 += SL)
        for (int j = 0; j < SL; j++) {
            real d = x[i0 + j] - m;
            acc[j] = FMA(d, d, acc[j]);
        }
    for (int j = 0; i0 + j < C; j++) {
        real d = x[i0 + j] - m;
        acc[j] = FMA(d, d, acc[j]);
    }
    real v = 0;
    for (int j = 0; j < SL; j++)
        v += acc[j];
    v /= (real)C;
    real rs = 1 / SQRT(v + (real)LN_EPS);
    for (int i = 0; i < C; i++)
        out[i] = (x[i] - m) * rs * w[i] + b[i];
    *mean = m;
    *rstd = rs;
}

void ts_dpo_layernorm_forward(real *out, real *mean, real *rstd,
                              const real *inp, const real *w, const real *b,
                              int BT, int C, const ts_dpo_ws *ws)
{
    TS_DPO_OMP(omp taskloop num_tasks(TASKS(ws)) if (8.0 * BT * C > ws->par_min))
    for (int bt = 0; bt < BT; bt++)
        layernorm_row(out + (size_t)bt * C, mean + bt, rstd + bt,
                      inp + (size_t)bt * C, w, b, C);
}

/* Forward: y = norm * w + b with norm = (x - mean) * rstd.
 * d norm = dy * w;  dx = rstd (dnorm - mean(dnorm) - norm mean(dnorm norm));
 * dw += sum_rows dy * norm;  db += sum_rows dy. */
HOT static void layernorm_back_row(real *restrict dx,
                                   const real *restrict dy,
                                   const real *restrict x,
                                   const real *restrict w, real m, real rs,
                                   int C)
{
    real a1[SL] = {0}, a2[SL] = {0};
    for (int i0 = 0; i0 < C; i0 += SL)
        for (int j = 0; j < SL && i0 + j < C; j++) {
            real norm = (x[i0 + j] - m) * rs;
            real dn = dy[i0 + j] * w[i0 + j];
            a1[j] += dn;
            a2[j] = FMA(dn, norm, a2[j]);
        }
    real s1 = 0, s2 = 0;
    for (int j = 0; j < SL; j++) {
        s1 += a1[j];
        s2 += a2[j];
    }
    s1 /= (real)C;
    s2 /= (real)C;
    for (int i = 0; i < C; i++) {
        real norm = (x[i] - m) * rs;
        real dn = dy[i] * w[i];
        dx[i] += (dn - s1 - norm * s2) * rs;
    }
}

HOT static void layernorm_back_params(real *restrict dw, real *restrict db,
                                      const real *restrict dout,
                                      const real *restrict inp,
                                      const real *restrict mean,
                                      const real *restrict rstd, int BT,
                                      int C, int c0, int nc)
{
    for (int bt = 0; bt < BT; bt++) {
        const real *dy = dout + (size_t)bt * C + c0;
        const real *x = inp + (size_t)bt * C + c0;
        real m = mean[bt], rs = rstd[bt];
        for (int i = 0; i < nc; i++) {
            dw[c0 + i] = FMA(dy[i], (x[i] - m) * rs, dw[c0 + i]);
            db[c0 + i] += dy[i];
        }
    }
}

void ts_dpo_layernorm_backward(real *dinp, real *dw, real *db,
                               const real *dout, const real *inp,
                               const real *w, const real *mean,
                               const real *rstd, int BT, int C,
                               const ts_dpo_ws *ws)
{
    int par = 8.0 * BT * C > ws->par_min;
    (void)par;
    if (dinp) {
        TS_DPO_OMP(omp taskloop num_tasks(TASKS(ws)) if (par))
        for (int bt = 0; bt < BT; bt++)
            layernorm_back_row(dinp + (size_t)bt * C, dout + (size_t)bt * C,
                               inp + (size_t)bt * C, w, mean[bt], rstd[bt],
                               C);
    }
    if (dw && db) {
        /* Column chunks, each summed over rows in order: the same bits
         * for any number of threads. */
        int nb = (C + NR - 1) / NR;
        TS_DPO_OMP(omp taskloop num_tasks(TASKS(ws)) if (par))
        for (int jb = 0; jb < nb; jb++)
            layernorm_back_params(dw, db, dout, inp, mean, rstd, BT, C,
                                  jb * NR, imin(NR, C - jb * NR));
    }
}


/* Softmax of a[0..n) scaled by `scale`, in place. */
HOT static void softmax_row(real *restrict a, int n, real scale)
{
    for (int t2 = 0; t2 < n; t2++)
        a[t2] *= scale;
    real mx = lane_max(a, n);
    for (int t2 = 0; t2 < n; t2++)
        a[t2] = EXP(a[t2] - mx);
    real inv = 1 / lane_sum(a, n);
    for (int t2 = 0; t2 < n; t2++)
        a[t2] *= inv;
}

/* d[t2] <- scale a[t2] (d[t2] - sum_t3 a[t3] d[t3]) for t2 < n; 0 up to T. */
HOT static void softmax_back_row(real *restrict d, const real *restrict a,
                                 int n, int T, real scale)
{
    real s = 0;
    for (int t2 = 0; t2 < n; t2++)
        s = FMA(a[t2], d[t2], s);
    for (int t2 = 0; t2 < n; t2++)
        d[t2] = scale * (a[t2] * (d[t2] - s));
    for (int t2 = n; t2 < T; t2++)
        d[t2] = 0;
}

/* ------------------------------------------------------------- attention */

/* Attention runs on the matmul tiles too: per (batch, head) the scores
 * S = Q K^T, the output P V and the four products of the backward are small
 * matmuls over row blocks of 8 positions, visiting only the column blocks
 * at or below the diagonal.  Where a block straddles the diagonal, the
 * entries above it are computed and then zeroed by the softmax (forward)
 * or multiply exact zeros (P V and the gradients), which leaves every kept
 * value's chain of fmas, and so its bits, as a loop over t2 <= t gives. */

static int round_up(int x, int k) { return (x + k - 1) / k * k; }

size_t ts_dpo_attention_scratch(int T, int hs)
{
    size_t Tp = (size_t)round_up(T, NR), hp = (size_t)round_up(hs, NR);
    /* backward: vT [hs][Tp], dp [T][Tp], q, k and dout padded [T][hp] */
    return (size_t)hs * Tp + (size_t)T * Tp + 3 * (size_t)T * hp;
}

/* dst[t][0..hp) = src[t*ld + 0..hs), zero-padded */
static void gather_padded(real *restrict dst, const real *restrict src,
                          size_t ld, int T, int hs, int hp)
{
    for (int t = 0; t < T; t++) {
        real *d = dst + (size_t)t * hp;
        const real *s = src + (size_t)t * ld;
        for (int i = 0; i < hs; i++)
            d[i] = s[i];
        for (int i = hs; i < hp; i++)
            d[i] = 0;
    }
}

/* dst[i][t] = src[t*ld + i] for i < hs, t < T; columns T..Tp zero */
static void gather_transposed(real *restrict dst, const real *restrict src,
                              size_t ld, int T, int hs, int Tp)
{
    for (int i = 0; i < hs; i++) {
        real *d = dst + (size_t)i * Tp;
        for (int t = 0; t < T; t++)
            d[t] = src[(size_t)t * ld + i];
        for (int t = T; t < Tp; t++)
            d[t] = 0;
    }
}

/* Row block [t0, t0+mr) of C = A B over the causal range: output columns
 * 0..ncols (a multiple of NR or the end), inner index k in [k0, k1). */
static void causal_tiles(real *c, size_t ldc, const real *a, size_t a_rs,
                         size_t a_ks, const real *b, size_t ldb, int k0,
                         int k1, int mr, int ncols, int mode)
{
    for (int j0 = 0; j0 < ncols; j0 += NR) {
        int nr = imin(NR, ncols - j0);
        tile(c + j0, ldc, a + (size_t)k0 * a_ks, a_rs, a_ks,
             b + (size_t)k0 * ldb + j0, ldb, k1 - k0, mr, nr, mode, NULL, 1,
             NULL);
    }
}

/* One (batch, head): pre[t][t2] = scale q_t.k_t2 for t2 <= t,
 * att[t] = softmax(pre[t]), out_t = sum_t2 att[t][t2] v_t2. */
static void attention_head_forward(real *out, real *att, const real *qkv,
                                   int T, int C, int hs, int h, real *scr)
{
    size_t C3 = 3 * (size_t)C;
    int Tp = round_up(T, NR), hp = round_up(hs, NR);
    real scale = 1 / SQRT((real)hs);
    real *kT = scr, *vp = scr + (size_t)hs * Tp;
    gather_transposed(kT, qkv + C + (size_t)h * hs, C3, T, hs, Tp);
    gather_padded(vp, qkv + 2 * (size_t)C + (size_t)h * hs, C3, T, hs, hp);
    for (int t0 = 0; t0 < T; t0 += MR) {
        int mr = imin(MR, T - t0), last = t0 + mr; /* rows t < last */
        /* S rows t0.. : columns up to the block holding the diagonal */
        causal_tiles(att + (size_t)t0 * T, (size_t)T,
                     qkv + (size_t)t0 * C3 + (size_t)h * hs, C3, 1, kT,
                     (size_t)Tp, 0, hs, mr, imin(round_up(last, NR), T), 0);
        for (int t = t0; t < last; t++) {
            real *a = att + (size_t)t * T;
            int n = t + 1;
            softmax_row(a, n, scale);
            for (int t2 = n; t2 < T; t2++)
                a[t2] = 0;
        }
        /* out rows t0.. = P V over t2 < last (P is 0 beyond the diagonal) */
        causal_tiles(out + (size_t)t0 * C + (size_t)h * hs, (size_t)C,
                     att + (size_t)t0 * T, (size_t)T, 1, vp, (size_t)hp, 0,
                     last, mr, hs, 0);
    }
}

void ts_dpo_attention_forward(real *out, real *att, const real *qkv, int B,
                              int T, int C, int NH, const ts_dpo_ws *ws)
{
    int hs = C / NH;
    TS_DPO_OMP(omp taskloop collapse(2) num_tasks(TASKS(ws)) if ((double)B * T * T * C > ws->par_min))
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            attention_head_forward(
                out + (size_t)b * T * C,
                att + ((size_t)b * NH + h) * T * T,
                qkv + (size_t)b * T * 3 * C, T, C, hs, h,
                thread_scratch(ws));
}

/* Backward of attention_head_forward:
 *   datt[t][t2] = do_t . v_t2            dv_t2 = sum_t att[t][t2] do_t
 *   dpre[t][t2] = att[t][t2] (datt[t][t2] - sum_t3 att[t][t3] datt[t][t3])
 *   dq_t = scale sum_t2 dpre[t][t2] k_t2  dk_t2 = scale sum_t dpre[t][t2] q_t
 * (scale folded into dpre). */
static void attention_head_backward(real *dqkv, const real *dout,
                                    const real *qkv, const real *att, int T,
                                    int C, int hs, int h, real *scr)
{
    size_t C3 = 3 * (size_t)C;
    int Tp = round_up(T, NR), hp = round_up(hs, NR);
    real scale = 1 / SQRT((real)hs);
    real *vT = scr, *dp = vT + (size_t)hs * Tp, *qp = dp + (size_t)T * Tp;
    real *kp = qp + (size_t)T * hp, *dop = kp + (size_t)T * hp;
    size_t qo = (size_t)h * hs, ko = C + qo, vo = 2 * (size_t)C + qo;
    gather_transposed(vT, qkv + vo, C3, T, hs, Tp);
    gather_padded(qp, qkv + qo, C3, T, hs, hp);
    gather_padded(kp, qkv + ko, C3, T, hs, hp);
    gather_padded(dop, dout + qo, (size_t)C, T, hs, hp);
    for (int t0 = 0; t0 < T; t0 += MR) {
        int mr = imin(MR, T - t0), last = t0 + mr;
        /* datt rows t0.. = dO V^T, causal columns */
        causal_tiles(dp + (size_t)t0 * Tp, (size_t)Tp, dop + (size_t)t0 * hp,
                     (size_t)hp, 1, vT, (size_t)Tp, 0, hs, mr,
                     imin(round_up(last, NR), T), 0);
        for (int t = t0; t < last; t++)
            softmax_back_row(dp + (size_t)t * Tp, att + (size_t)t * T, t + 1,
                             T, scale);
    }
    for (int t0 = 0; t0 < T; t0 += MR) {
        int mr = imin(MR, T - t0), last = t0 + mr;
        /* dq rows t0.. = dpre K over t2 < last */
        causal_tiles(dqkv + (size_t)t0 * C3 + qo, C3, dp + (size_t)t0 * Tp,
                     (size_t)Tp, 1, kp, (size_t)hp, 0, last, mr, hs, 0);
        /* rows t2 in [t0, last) of dk = dpre^T Q and dv = att^T dO, summed
         * over t >= t0 (earlier rows of dpre and att are 0 there) */
        causal_tiles(dqkv + (size_t)t0 * C3 + ko, C3, dp + t0, 1, (size_t)Tp,
                     qp, (size_t)hp, t0, T, mr, hs, 0);
        causal_tiles(dqkv + (size_t)t0 * C3 + vo, C3, att + t0, 1, (size_t)T,
                     dop, (size_t)hp, t0, T, mr, hs, 0);
    }
}

void ts_dpo_attention_backward(real *dqkv, const real *dout, const real *qkv,
                               const real *att, int B, int T, int C, int NH,
                               const ts_dpo_ws *ws)
{
    int hs = C / NH;
    TS_DPO_OMP(omp taskloop collapse(2) num_tasks(TASKS(ws)) if ((double)B * T * T * C > ws->par_min))
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            real *s = thread_scratch(ws);
            attention_head_backward(dqkv + (size_t)b * T * 3 * C,
                                    dout + (size_t)b * T * C,
                                    qkv + (size_t)b * T * 3 * C,
                                    att + ((size_t)b * NH + h) * T * T, T, C,
                                    hs, h, s);
        }
    }
}

/* ------------------------------------------------------------------ GELU */

/* GPT-2: gelu(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
#define GELU_S 0.7978845608028654 /* sqrt(2/pi) */
#define GELU_C 0.044715

/* Chunks of this many elements are what one thread does at a time. */
#define ELT_CHUNK 4096

HOT static void gelu_chunk(real *restrict out, const real *restrict x,
                           size_t n)
{
    for (size_t i = 0; i < n; i++) {
        real xi = x[i];
        real u = (real)GELU_S * (xi + (real)GELU_C * xi * xi * xi);
        out[i] = (real)0.5 * xi * (1 + TANH(u));
    }
}

/* d gelu/dx = (1 + th)/2 + x/2 (1 - th^2) s (1 + 3 c x^2), th = tanh(u) */
HOT static void gelu_back_chunk(real *dinp, const real *restrict x,
                                const real *dout, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        real xi = x[i];
        real u = (real)GELU_S * (xi + (real)GELU_C * xi * xi * xi);
        real th = TANH(u);
        real d = (real)0.5 * (1 + th) +
                 (real)0.5 * xi * (1 - th * th) * (real)GELU_S *
                     (1 + 3 * (real)GELU_C * xi * xi);
        dinp[i] = d * dout[i];
    }
}

void ts_dpo_gelu_forward(real *out, const real *inp, size_t n,
                         const ts_dpo_ws *ws)
{
    long nc = (long)((n + ELT_CHUNK - 1) / ELT_CHUNK);
    TS_DPO_OMP(omp taskloop num_tasks(TASKS(ws)) if (nc > 1 && 8.0 * (double)n > ws->par_min))
    for (long c = 0; c < nc; c++) {
        size_t i0 = (size_t)c * ELT_CHUNK;
        size_t m = n - i0 < ELT_CHUNK ? n - i0 : ELT_CHUNK;
        gelu_chunk(out + i0, inp + i0, m);
    }
}

void ts_dpo_gelu_backward(real *dinp, const real *inp, const real *dout,
                          size_t n, const ts_dpo_ws *ws)
{
    long nc = (long)((n + ELT_CHUNK - 1) / ELT_CHUNK);
    TS_DPO_OMP(omp taskloop num_tasks(TASKS(ws)) if (nc > 1 && 8.0 * (double)n > ws->par_min))
    for (long c = 0; c < nc; c++) {
        size_t i0 = (size_t)c * ELT_CHUNK;
        size_t m = n - i0 < ELT_CHUNK ? n - i0 : ELT_CHUNK;
        gelu_back_chunk(dinp + i0, inp + i0, dout + i0, m);
    }
}

void ts_dpo_residual_forward(real *out, const real *a, const real *b,
                             size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}

/* --------------------------------------------------------------- encoder */

void ts_dpo_encoder_forward(real *out, const int32_t *tok, const real *wte,
                            const real *wpe, int B, int T, int C)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            real *o = out + ((size_t)b * T + t) * C;
            const real *e = wte + (size_t)tok[b * T + t] * C;
            const real *p = wpe + (size_t)t * C;
            for (int i = 0; i < C; i++)
                o[i] = e[i] + p[i];
        }
}

/* out = wte[tok] + wpe[t]:  dwte[tok] += dout,  dwpe[t] += dout.  Split by
 * channel, so rows that share a token are added in (b, t) order. */
void ts_dpo_encoder_backward(real *dwte, real *dwpe, const real *dout,
                             const int32_t *tok, int B, int T, int C,
                             const ts_dpo_ws *ws)
{
    int nb = (C + NR - 1) / NR;
    TS_DPO_OMP(omp taskloop num_tasks(TASKS(ws)) if ((double)B * T * C > ws->par_min))
    for (int jb = 0; jb < nb; jb++) {
        int c0 = jb * NR, nc = imin(NR, C - c0);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) {
                const real *d = dout + ((size_t)b * T + t) * C + c0;
                real *de = dwte + (size_t)tok[b * T + t] * C + c0;
                real *dp = dwpe + (size_t)t * C + c0;
                for (int i = 0; i < nc; i++) {
                    de[i] += d[i];
                    dp[i] += d[i];
                }
            }
    }
}

/* ---------------------------------------------------------- output head */

/* Chunk of a logits row exponentiated at a time (fits any scratch). */
#define LSE_CHUNK TS_DPO_WS_MIN

HOT static void exp_shifted(real *restrict out, const real *restrict x,
                            real shift, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = EXP(x[i] - shift);
}

/* acc[j] += x[j + DL i]: the lane sums of lane_sum, in double; a chunk
 * holds a multiple of DL elements but the last one. */
#define DL 8
HOT static void add_lanes(double *restrict acc, const real *restrict x, int n)
{
    int i = 0;
    for (; i + DL <= n; i += DL)
        for (int j = 0; j < DL; j++)
            acc[j] += (double)x[i + j];
    for (int j = 0; i + j < n; j++)
        acc[j] += (double)x[i + j];
}

HOT static void softmax_grad_row(real *restrict l, real gn, real ls, int V)
{
    for (int v = 0; v < V; v++)
        l[v] = -gn * EXP(l[v] - ls);
}

void ts_dpo_logprob_forward(real *lse, double *logp, const real *logits,
                            const int32_t *target, int N, int V, int Vp,
                            const ts_dpo_ws *ws)
{
    TS_DPO_OMP(omp taskloop num_tasks(TASKS(ws)) if (4.0 * N * V > ws->par_min))
    for (int n = 0; n < N; n++) {
        const real *l = logits + (size_t)n * Vp;
        real mx = lane_max(l, V);
        /* The sum of up to 50257 terms is kept in double: its rounding
         * would otherwise be the largest error in a sequence log-prob.
         * e^(l - max) goes through the scratch so that loop vectorises. */
        real *ex = thread_scratch(ws);
        double acc[DL] = {0};
        for (int v0 = 0; v0 < V; v0 += LSE_CHUNK) {
            int nv = imin(LSE_CHUNK, V - v0);
            exp_shifted(ex, l + v0, mx, nv);
            add_lanes(acc, ex, nv);
        }
        double s = 0;
        for (int j = 0; j < DL; j++)
            s += acc[j];
        double ls = (double)mx + log(s);
        lse[n] = (real)ls;
        logp[n] = (double)l[target[n]] - ls;
    }
}

/* logp = logits[target] - lse:
 * d logp / d logits[v] = 1[v == target] - softmax[v]. */
void ts_dpo_logprob_backward(real *logits, const real *lse,
                             const int32_t *target, const double *g, int N,
                             int V, int Vp, const ts_dpo_ws *ws)
{
    TS_DPO_OMP(omp taskloop num_tasks(TASKS(ws)) if (4.0 * N * V > ws->par_min))
    for (int n = 0; n < N; n++) {
        real *l = logits + (size_t)n * Vp;
        softmax_grad_row(l, (real)g[n], lse[n], V);
        l[target[n]] += (real)g[n];
        for (int v = V; v < Vp; v++)
            l[v] = 0;
    }
}

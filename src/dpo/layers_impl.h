/* layers_impl.h -- what the kernel files of the policy share (internal to
 * src/dpo; dpo_layers.h is their API): the precision switch (fp32, or
 * fp64 under TS_DPO_F64 for the gradient checks), explicit fma and the
 * fp32 exponential, the target clones, the per-thread scratch, the fixed-
 * order row sums and the matmul register tile.
 *
 *   layers.c     matmul, LayerNorm, GELU, residual, encoder, output head
 *   attention.c  causal self-attention and its softmax
 *
 * Every function here gives the same bits on every CPU and target clone:
 * fma is called explicitly and no sum is left to the compiler's order. */
#ifndef TS_DPO_LAYERS_IMPL_H
#define TS_DPO_LAYERS_IMPL_H

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "dpo/dpo_layers.h"

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

static inline int imin(int a, int b) { return a < b ? a : b; }

/* This thread's slice of the scratch; the team running the kernels has at
 * most ws->nthreads threads (model.c sizes both). */
static inline real *thread_scratch(const ts_dpo_ws *ws)
{
    assert(THREAD_ID() < ws->nthreads);
    return ws->scratch + (size_t)THREAD_ID() * ws->per_thread;
}

/* Sums along a row use SL lanes: lane j adds elements j, j+SL, j+2SL, ...
 * in turn, then the lanes are added in order 0..SL-1.  That is one fixed
 * order on every CPU and thread count, written out so that no
 * reassociation is left to the compiler, and it vectorises. */
#define SL 16

/* Sum and maximum of x[0..n) (n >= 1 for the maximum) in that order
 * (layers.c). */
real ts_dpo_lane_sum(const real *restrict x, int n);
real ts_dpo_lane_max(const real *restrict x, int n);

/* One register tile of the matmuls (layers.c): c[r][j] (+)= sum_k
 * a[r*a_rs + k*a_ks] * b[k*ldb + j] for r < mr <= MR, j < nr <= NR.  mode
 * 0 stores acc + bias[j] (bias may be NULL), mode 1 adds acc.  A partial
 * column block still runs the full-width vector tile when b is zero-padded
 * to NR columns (b_padded), or can be copied so into pad (K * NR elements;
 * NULL if the scratch is too small).  Each element is one fma chain over
 * k from 0, whichever path runs. */
void ts_dpo_tile(real *c, size_t ldc, const real *a, size_t a_rs,
                 size_t a_ks, const real *b, size_t ldb, int K, int mr,
                 int nr, int mode, const real *bias, int b_padded,
                 real *pad);

#endif

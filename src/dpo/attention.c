/* attention.c -- causal self-attention of the GPT-2 policy and its
 * backward pass (dpo_layers.h), on the register tiles of the matmuls
 * (layers_impl.h).
 *
 * Per (batch, head) the scores S = Q K^T, the output P V and the four
 * products of the backward are small matmuls over row blocks of MR
 * positions, visiting only the column blocks at or below the diagonal.
 * The softmax rows use the fixed-order row sums of layers.c, so the bits
 * do not depend on the CPU, the target clone or the thread count.
 *
 * What it leaves out: attention dropout (off in LoRA fine-tuning), KV
 * caching and any mask but the causal one. */
#include "dpo/layers_impl.h"

/* Softmax of a[0..n) scaled by `scale`, in place. */
HOT static void softmax_row(real *restrict a, int n, real scale)
{
    for (int t2 = 0; t2 < n; t2++)
        a[t2] *= scale;
    real mx = ts_dpo_lane_max(a, n);
    for (int t2 = 0; t2 < n; t2++)
        a[t2] = EXP(a[t2] - mx);
    real inv = 1 / ts_dpo_lane_sum(a, n);
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
        ts_dpo_tile(c + j0, ldc, a + (size_t)k0 * a_ks, a_rs, a_ks,
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

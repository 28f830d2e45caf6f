/* layers.c -- forward/backward pairs of the GPT-2 layers (see dpo_layers.h)
 * but attention (attention.c): matmul, LayerNorm, GELU, residual, encoder
 * and the output head's log-probabilities, with the register tile and the
 * row sums attention shares (layers_impl.h).
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
#include "dpo/layers_impl.h"

/* Row sums in SL lanes (layers_impl.h). */

HOT real ts_dpo_lane_sum(const real *restrict x, int n)
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
HOT real ts_dpo_lane_max(const real *restrict x, int n)
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

/* The one tile body: c[r][j] (+)= sum_k a[r*a_rs + k*a_ks] * b[k*ldb + j]
 * for r < mr, accumulating nc columns (b must hold nc readable columns)
 * and storing the first nr <= nc.  mode 0 stores acc + bias[j] (bias may
 * be NULL), mode 1 adds acc.  Each element is one fma chain over k in the
 * same order whatever mr, nc and nr are, so the full and the edge tile
 * (below) give the same bits; it is inlined so that each gets its bounds
 * as constants where it has them (and so its vectorised loops). */
static inline __attribute__((always_inline)) void
tile_body(real *restrict c, size_t ldc, const real *restrict a, size_t a_rs,
          size_t a_ks, const real *restrict b, size_t ldb, int K, int mr,
          int nc, int nr, int mode, const real *restrict bias)
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
            for (int j = 0; j < nc; j++)
                acc[r][j] = FMA(ar, bk[j], acc[r][j]);
        }
    }
    if (nr == NR) {
        for (int r = 0; r < mr; r++) {
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

/* A full MR-row tile over all NR columns of b (b must hold NR readable
 * columns), storing the first nr. */
HOT static void tile_full(real *restrict c, size_t ldc,
                          const real *restrict a, size_t a_rs, size_t a_ks,
                          const real *restrict b, size_t ldb, int K, int nr,
                          int mode, const real *restrict bias)
{
    tile_body(c, ldc, a, a_rs, a_ks, b, ldb, K, MR, NR, nr, mode, bias);
}

/* An mr x nr corner (mr <= MR, nr <= NR), reading only nr columns of b. */
HOT static void tile_edge(real *restrict c, size_t ldc,
                          const real *restrict a, size_t a_rs, size_t a_ks,
                          const real *restrict b, size_t ldb, int K, int mr,
                          int nr, int mode, const real *restrict bias)
{
    tile_body(c, ldc, a, a_rs, a_ks, b, ldb, K, mr, nr, nr, mode, bias);
}

/* One tile.  A partial column block (nr < NR, e.g. LoRA's rank 8) still
 * runs the vectorised tile_full when b is zero-padded to NR columns
 * (b_padded), or can be copied so into pad (K * NR elements; NULL if the
 * scratch is too small). */
void ts_dpo_tile(real *c, size_t ldc, const real *a, size_t a_rs,
                 size_t a_ks, const real *b, size_t ldb, int K, int mr,
                 int nr, int mode, const real *bias, int b_padded,
                 real *pad)
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
            ts_dpo_tile(out + (size_t)i0 * OC + j0, (size_t)OC,
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
                ts_dpo_tile(dinp + (size_t)i0 * K + j0, (size_t)K,
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
                ts_dpo_tile(dw + (size_t)i0 * K + j0, (size_t)K, dout + i0, 1,
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
    real m = ts_dpo_lane_sum(x, C) / (real)C;
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

/* acc[j] += x[j + DL i]: the lane sums of ts_dpo_lane_sum, in double; a chunk
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
        real mx = ts_dpo_lane_max(l, V);
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

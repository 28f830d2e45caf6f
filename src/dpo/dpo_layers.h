/* dpo_layers.h -- the layers of the GPT-2 policy, as forward/backward pairs
 * (internal to src/dpo; model.c strings them together, the gradient-check
 * test calls them one by one).
 *
 * Shapes use the letters of dpo_model.h.  Conventions, as in llm.c:
 * forward functions overwrite their outputs; backward functions ADD (+=)
 * into parameter gradients and into input gradients unless stated, so the
 * residual stream's gradient collects its branches without copies.  A NULL
 * gradient pointer means "not wanted" and skips its work (frozen weights
 * under LoRA).
 *
 * Every output element is computed by one thread in one fixed order
 * (multiply-adds with fma, never reassociated), so results do not depend on
 * the number of threads.
 *
 * Threads: the kernels split their work into OpenMP tasks (taskloop), a
 * few per thread.  Called inside `omp parallel` + `omp single` (as
 * model.c runs a whole pass) every thread of the team takes tasks;
 * called outside, they run on the calling thread.  Tasks rather than
 * worksharing loops because a task wait needs no other thread to arrive:
 * when another process holds a core and one of our threads is descheduled,
 * the running thread finishes the tasks instead of waiting a time slice at
 * a barrier, which made two-thread steps 10-50x slower than one-thread
 * steps on shared cores. */
#ifndef TS_DPO_LAYERS_H
#define TS_DPO_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "dpo/dpo_model.h"

/* OpenMP pragmas that vanish, without a warning, when OpenMP is off. */
#ifdef _OPENMP
#include <omp.h>
#define TS_DPO_OMP(x) _Pragma(#x)
#define TS_DPO_THREAD_ID() omp_get_thread_num()
#else
#define TS_DPO_OMP(x)
#define TS_DPO_THREAD_ID() 0
#endif

/* Tasks a kernel splits its work into: a few per thread, so that a
 * thread that is running can take over the share of one that is not. */
#define TS_DPO_TASKS(ws) (4 * (ws)->nthreads)

/* Per-thread scratch handed down to the kernels (allocated at setup): at
 * least TS_DPO_WS_MIN elements per thread, and more where a kernel says. */
#define TS_DPO_WS_MIN 256
typedef struct ts_dpo_ws {
    ts_dpo_real *scratch;  /* [nthreads][per_thread]                      */
    size_t per_thread;
    int nthreads;
    double par_min;        /* run a kernel in parallel only above this
                              much work (multiply-adds or elements)       */
} ts_dpo_ws;

/* Columns of one matmul tile; the forward pass packs w in panels this wide,
 * so the scratch needs K * TS_DPO_NR elements per thread for inner size K. */
#define TS_DPO_NR 32
#define TS_DPO_MR 8

/* out[BT][OC] = inp[BT][K] w[OC][K]^T + bias[OC]   (accumulate == 0)
 * out[BT][OC] += inp[BT][K] w[OC][K]^T            (accumulate != 0; bias
 * must be NULL).  Each out element: a fma chain over k = 0..K-1 from 0. */
void ts_dpo_matmul_forward(ts_dpo_real *out, const ts_dpo_real *inp,
                           const ts_dpo_real *w, const ts_dpo_real *bias,
                           int BT, int K, int OC, int accumulate,
                           const ts_dpo_ws *ws);
/* Backward of out = inp w^T + bias:
 *   dinp[BT][K] += dout[BT][OC] w[OC][K]
 *   dw[OC][K]   += dout^T inp          dbias[OC] += sum_bt dout[bt]  */
void ts_dpo_matmul_backward(ts_dpo_real *dinp, ts_dpo_real *dw,
                            ts_dpo_real *dbias, const ts_dpo_real *dout,
                            const ts_dpo_real *inp, const ts_dpo_real *w,
                            int BT, int K, int OC, const ts_dpo_ws *ws);

/* out = (inp - mean) * rstd * w + b over each row of C; mean, rstd [BT]. */
void ts_dpo_layernorm_forward(ts_dpo_real *out, ts_dpo_real *mean,
                              ts_dpo_real *rstd, const ts_dpo_real *inp,
                              const ts_dpo_real *w, const ts_dpo_real *b,
                              int BT, int C, const ts_dpo_ws *ws);
void ts_dpo_layernorm_backward(ts_dpo_real *dinp, ts_dpo_real *dw,
                               ts_dpo_real *db, const ts_dpo_real *dout,
                               const ts_dpo_real *inp, const ts_dpo_real *w,
                               const ts_dpo_real *mean,
                               const ts_dpo_real *rstd, int BT, int C,
                               const ts_dpo_ws *ws);

/* Causal multi-head self-attention.  qkv [B][T][3C] holds q, k, v side by
 * side; out [B][T][C]; att [B][NH][T][T] keeps the softmax for the
 * backward.  Scratch: ts_dpo_attention_scratch(T, hs) per thread. */
size_t ts_dpo_attention_scratch(int T, int hs);
void ts_dpo_attention_forward(ts_dpo_real *out, ts_dpo_real *att,
                              const ts_dpo_real *qkv, int B, int T, int C,
                              int NH, const ts_dpo_ws *ws);
/* dqkv is overwritten (=), not accumulated. */
void ts_dpo_attention_backward(ts_dpo_real *dqkv, const ts_dpo_real *dout,
                               const ts_dpo_real *qkv,
                               const ts_dpo_real *att, int B, int T, int C,
                               int NH, const ts_dpo_ws *ws);

/* GPT-2's tanh GELU.  The backward overwrites: dinp = dout * gelu'(inp);
 * dinp may alias dout. */
void ts_dpo_gelu_forward(ts_dpo_real *out, const ts_dpo_real *inp, size_t n,
                         const ts_dpo_ws *ws);
void ts_dpo_gelu_backward(ts_dpo_real *dinp, const ts_dpo_real *inp,
                          const ts_dpo_real *dout, size_t n,
                          const ts_dpo_ws *ws);

void ts_dpo_residual_forward(ts_dpo_real *out, const ts_dpo_real *a,
                             const ts_dpo_real *b, size_t n);

/* out[b][t] = wte[tok[b][t]] + wpe[t]. */
void ts_dpo_encoder_forward(ts_dpo_real *out, const int32_t *tok,
                            const ts_dpo_real *wte, const ts_dpo_real *wpe,
                            int B, int T, int C);
void ts_dpo_encoder_backward(ts_dpo_real *dwte, ts_dpo_real *dwpe,
                             const ts_dpo_real *dout, const int32_t *tok,
                             int B, int T, int C, const ts_dpo_ws *ws);

/* Log-probability of each row's target under softmax over the first V of
 * Vp logits (uses TS_DPO_WS_MIN of scratch): lse[n] = log sum_{v<V} exp(logits[n][v]),
 * logp[n] = logits[n][target[n]] - lse[n]. */
void ts_dpo_logprob_forward(ts_dpo_real *lse, double *logp,
                            const ts_dpo_real *logits, const int32_t *target,
                            int N, int V, int Vp, const ts_dpo_ws *ws);
/* With g[n] = d(objective)/d logp[n]: overwrites logits with
 * dlogits[n][v] = g[n] (1[v == target[n]] - softmax(logits[n])[v]) for
 * v < V, 0 for the padding. */
void ts_dpo_logprob_backward(ts_dpo_real *logits, const ts_dpo_real *lse,
                             const int32_t *target, const double *g, int N,
                             int V, int Vp, const ts_dpo_ws *ws);

#endif

/* dpo_model.h -- a GPT-2-architecture policy for the DPO trainer (SPEC §6).
 *
 * The layout follows llm.c's GPT-2: token and position embeddings, L
 * pre-LayerNorm blocks (causal multi-head attention, GELU MLP), a final
 * LayerNorm and an output head tied to the token embedding.  Parameters sit
 * in one block in the order of llm.c's checkpoint file, so a checkpoint body
 * is read straight into it.
 *
 * Dimension letters, used in every shape comment of src/dpo:
 *   B   sequences in a batch           seq_len  tokens per sequence (GPT-2's T)
 *   C   channels (width)               NH       attention heads, hs = C / NH
 *   L   layers                         V, Vp    vocabulary, padded vocabulary
 *   maxT  positions the model knows (wpe rows)
 *   BT  = B * seq_len, the rows of every activation
 *   N   positions that carry a target (completion tokens); only these go
 *       through the output head, which is most of the cost at GPT-2's V.
 *
 * The forward pass returns, for each position with a target, log p(target);
 * the backward pass takes d(objective)/d(log p) for each of those positions.
 * Every loss in loss.c (SFT, DPO, robust DPO) is a function of these numbers,
 * so the model knows nothing of losses.
 *
 * Numbers are fp32 (ts_dpo_real = float).  Compiling src/dpo with
 * TS_DPO_F64 makes them double: the gradient-check test does so, since
 * central differences in fp32 cannot resolve a gradient to better than
 * about 1e-3 relative. */
#ifndef TS_DPO_MODEL_H
#define TS_DPO_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#ifdef TS_DPO_F64
typedef double ts_dpo_real;
#else
typedef float ts_dpo_real;
#endif

typedef struct ts_dpo_config {
    int max_seq_len;       /* maxT                                       */
    int vocab_size;        /* V                                          */
    int padded_vocab_size; /* Vp >= V; rows V..Vp-1 of wte are never used */
    int num_layers;        /* L                                          */
    int num_heads;         /* NH, divides C                              */
    int channels;          /* C                                          */
} ts_dpo_config;

/* A named size.  The four presets mirror GPT-2's small/medium/large/xl
 * (layers in the ratio 1:2:3:4) scaled down to train on two cores. */
typedef struct ts_dpo_preset {
    const char *name;
    ts_dpo_config cfg;
    const char *doc;
} ts_dpo_preset;

/* NULL-terminated (name == NULL) table of presets. */
const ts_dpo_preset *ts_dpo_presets(void);
/* Fill cfg from a preset name; an unknown name is refused with the list. */
int ts_dpo_preset_config(const char *name, ts_dpo_config *cfg, ts_err *e);
/* Check a config (positive sizes, NH | C, Vp >= V); e says which is wrong. */
int ts_dpo_config_check(const ts_dpo_config *cfg, ts_err *e);

#define TS_DPO_NUM_PARAM_TENSORS 16
/* The parameter tensors, in llm.c's checkpoint order. */
typedef struct ts_dpo_params {
    ts_dpo_real *wte;      /* [Vp][C]                                    */
    ts_dpo_real *wpe;      /* [maxT][C]                                  */
    ts_dpo_real *ln1w;     /* [L][C]                                     */
    ts_dpo_real *ln1b;     /* [L][C]                                     */
    ts_dpo_real *qkvw;     /* [L][3C][C]  rows: q (C), k (C), v (C)      */
    ts_dpo_real *qkvb;     /* [L][3C]                                    */
    ts_dpo_real *attprojw; /* [L][C][C]                                  */
    ts_dpo_real *attprojb; /* [L][C]                                     */
    ts_dpo_real *ln2w;     /* [L][C]                                     */
    ts_dpo_real *ln2b;     /* [L][C]                                     */
    ts_dpo_real *fcw;      /* [L][4C][C]                                 */
    ts_dpo_real *fcb;      /* [L][4C]                                    */
    ts_dpo_real *fcprojw;  /* [L][C][4C]                                 */
    ts_dpo_real *fcprojb;  /* [L][C]                                     */
    ts_dpo_real *lnfw;     /* [C]                                        */
    ts_dpo_real *lnfb;     /* [C]                                        */
} ts_dpo_params;

/* Element counts of the 16 tensors, in order; returns the total. */
size_t ts_dpo_param_sizes(const ts_dpo_config *cfg,
                          size_t sizes[TS_DPO_NUM_PARAM_TENSORS]);
/* Point the 16 tensors into a block of ts_dpo_param_sizes' total. */
void ts_dpo_params_point(ts_dpo_params *p, ts_dpo_real *block,
                         const ts_dpo_config *cfg);

/* Saved activations of one forward pass, for B_max x T_max at most. */
typedef struct ts_dpo_acts {
    ts_dpo_real *encoded;   /* [BT][C]       wte[tok] + wpe[t]             */
    ts_dpo_real *ln1;       /* [L][BT][C]                                  */
    ts_dpo_real *ln1_mean;  /* [L][BT]                                     */
    ts_dpo_real *ln1_rstd;  /* [L][BT]                                     */
    ts_dpo_real *qkv;       /* [L][BT][3C]                                 */
    ts_dpo_real *att;       /* [L][B][NH][T][T] softmax, 0 above diagonal  */
    ts_dpo_real *atty;      /* [L][BT][C]    attention output, pre-proj    */
    ts_dpo_real *residual2; /* [L][BT][C]                                  */
    ts_dpo_real *ln2;       /* [L][BT][C]                                  */
    ts_dpo_real *ln2_mean;  /* [L][BT]                                     */
    ts_dpo_real *ln2_rstd;  /* [L][BT]                                     */
    ts_dpo_real *fch;       /* [L][BT][4C]   pre-GELU                      */
    ts_dpo_real *fch_gelu;  /* [L][BT][4C]                                 */
    ts_dpo_real *residual3; /* [L][BT][C]                                  */
    ts_dpo_real *lnf;       /* [BT][C]                                     */
    ts_dpo_real *lnf_mean;  /* [BT]                                        */
    ts_dpo_real *lnf_rstd;  /* [BT]                                        */
    ts_dpo_real *head_in;   /* [N][C]   lnf rows of the positions w/ target */
    ts_dpo_real *logits;    /* [N][Vp]  becomes dlogits in the backward    */
    ts_dpo_real *lse;       /* [N]      log sum_v exp(logits)              */
} ts_dpo_acts;
#define TS_DPO_NUM_ACTS 20

/* Gradients with respect to activations.  Only one layer's worth: the
 * backward pass reuses them layer after layer. */
typedef struct ts_dpo_dacts {
    ts_dpo_real *dresidual; /* [BT][C]  gradient of the residual stream   */
    ts_dpo_real *dln;       /* [BT][C]  d ln1 / d ln2 / d lnf             */
    ts_dpo_real *datty;     /* [BT][C]                                    */
    ts_dpo_real *dqkv;      /* [BT][3C]                                   */
    ts_dpo_real *dfch;      /* [BT][4C] d fch_gelu, then d fch in place   */
    ts_dpo_real *dhead;     /* [N][C]                                     */
} ts_dpo_dacts;
#define TS_DPO_NUM_DACTS 6

struct ts_dpo_lora;

/* Below this many multiply-adds (or elements) a kernel runs serially: a
 * parallel region costs microseconds, more when the cores are shared. */
#define TS_DPO_PAR_MIN_WORK 1e6

/* Flags for ts_dpo_model_alloc. */
enum {
    TS_DPO_MODEL_GRADS = 1 /* allocate base gradients + AdamW moments (full FT) */
};

typedef struct ts_dpo_model {
    ts_dpo_config cfg;
    size_t param_sizes[TS_DPO_NUM_PARAM_TENSORS];
    size_t num_params;
    ts_dpo_params params;
    ts_dpo_real *params_memory;    /* [num_params]                        */
    /* Full fine-tuning only (TS_DPO_MODEL_GRADS), else NULL: */
    ts_dpo_params grads;
    ts_dpo_real *grads_memory;     /* [num_params]                        */
    ts_dpo_real *m_memory;         /* [num_params]  AdamW first moment    */
    ts_dpo_real *v_memory;         /* [num_params]  AdamW second moment   */

    int B_max, T_max;              /* activation capacity                 */
    size_t act_sizes[TS_DPO_NUM_ACTS];
    ts_dpo_acts acts;
    ts_dpo_real *acts_memory;
    size_t dact_sizes[TS_DPO_NUM_DACTS];
    ts_dpo_dacts dacts;
    ts_dpo_real *dacts_memory;

    int nthreads;                  /* fixed at alloc: sizes the scratch   */
    double par_min_work;           /* kernels smaller than this run on one
                                      thread (TS_DPO_PAR_MIN_WORK); tests
                                      set 0 to exercise the parallel paths */
    size_t scratch_per_thread;     /* elements                            */
    ts_dpo_real *scratch;          /* [nthreads][scratch_per_thread]      */

    /* State of the last forward pass, read by the backward pass. */
    int B, T, N;
    int32_t *tokens;               /* [B_max*T_max]                       */
    int32_t *rows;                 /* [B_max*T_max] row bt of each target */
    int32_t *targets;              /* [B_max*T_max] token of each target  */
    double *g;                     /* [B_max*T_max] d obj / d logp, by n  */
    double *head_logp;             /* [B_max*T_max] logp, by n            */
    struct ts_dpo_lora *fwd_lora;  /* adapters used in the forward (or NULL) */
} ts_dpo_model;

/* Allocate a model of config cfg whose passes take up to B_max sequences of
 * up to T_max <= maxT tokens.  Parameters are zero until initialised or
 * loaded.  nthreads sizes the per-thread scratch (0: as many as OpenMP
 * would use); passes never use more threads than that. */
ts_dpo_model *ts_dpo_model_alloc(const ts_dpo_config *cfg, int B_max,
                                 int T_max, int nthreads, int flags,
                                 ts_err *e);
void ts_dpo_model_free(ts_dpo_model *m);

/* GPT-2's initialisation: weights N(0, 0.02), the two residual projections
 * N(0, 0.02/sqrt(2L)), biases 0, LayerNorm gains 1.  Draws come from the
 * Philox stream (seed, point TS_DPO_POINT_INIT); the same seed gives the
 * same bits on every machine. */
void ts_dpo_model_init_random(ts_dpo_model *m, uint64_t seed);

/* Forward pass over B sequences of seq_len tokens (tokens[b*seq_len+t]).
 * targets[b*seq_len+t] is the token expected at t+1, or -1 for none.
 * logp[b*seq_len+t] receives log p(target) (0 where there is none).
 * lora (may be NULL) adds adapters; train != 0 applies their dropout with
 * the draws of step `step`. */
int ts_dpo_forward(ts_dpo_model *m, const int32_t *tokens,
                   const int32_t *targets, int B, int seq_len,
                   struct ts_dpo_lora *lora, int train, uint64_t step,
                   double *logp, ts_err *e);

/* Backward pass of the last forward: dlogp[b*seq_len+t] is
 * d(objective)/d(log p(target)) at each position with a target.
 * Accumulates (+=) into the base gradients if full != 0 (requires
 * TS_DPO_MODEL_GRADS) and into the adapters' gradients if the forward used
 * adapters.  Clobbers the forward's logits. */
int ts_dpo_backward(ts_dpo_model *m, const double *dlogp, int full,
                    ts_err *e);

void ts_dpo_zero_grads(ts_dpo_model *m);

/* Floating-point operations of one forward + backward pass (multiply-add =
 * 2), for the benchmark's GFLOP/s: matmuls, attention, output head on N
 * positions, adapters of rank lora_rank (0: none); full != 0 counts the
 * weight gradients of the base model. */
double ts_dpo_step_flops(const ts_dpo_config *cfg, int B, int seq_len, int N,
                         int lora_rank, unsigned lora_targets, int full);

/* Its Philox point ids are TS_DPO_POINT_* of base/streams.h. */

#endif

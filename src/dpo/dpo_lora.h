/* dpo_lora.h -- low-rank adapters on the attention projections (Hu et al.,
 * LoRA, ICLR 2022; SPEC §6: rank 8, scale 16, dropout 0.05).
 *
 * For a frozen projection out = x W^T + b (W [OC][C]) the adapter adds
 *     out += s * dropout(x) A^T B^T,   A [r][C], B [OC][r], s = alpha / r,
 * as Hugging Face peft does (its lora_alpha is the paper's "scale 16", so
 * s = 16/8 = 2 at the paper's values).  A starts uniform on +-1/sqrt(C)
 * (peft's kaiming_uniform with a = sqrt 5), B at zero, so the adapted model
 * starts equal to the base model: the reference policy.
 *
 * The adapters' parameters, gradients and AdamW moments live in one block
 * of their own, so the optimiser loops over them alone.  Their activations
 * (the dropped input and s * x A^T of every layer) sit in a second block
 * sized for the model's batch capacity. */
#ifndef TS_DPO_LORA_H
#define TS_DPO_LORA_H

#include "dpo/dpo_model.h"

/* Which projections get adapters. */
enum {
    TS_DPO_LORA_QKV = 1,  /* c_attn: the fused q, k, v projection           */
    TS_DPO_LORA_PROJ = 2, /* c_proj: attention output projection            */
    TS_DPO_LORA_ALL = 3
};

#define TS_DPO_LORA_NUM_TENSORS 4
typedef struct ts_dpo_lora_params {
    ts_dpo_real *qkv_a;  /* [L][r][C]                                      */
    ts_dpo_real *qkv_b;  /* [L][3C][r]                                     */
    ts_dpo_real *proj_a; /* [L][r][C]                                      */
    ts_dpo_real *proj_b; /* [L][C][r]                                      */
} ts_dpo_lora_params;

typedef struct ts_dpo_lora {
    int L, C, rank;          /* rank = r                                  */
    double alpha;            /* s = alpha / r                             */
    double dropout;          /* probability of dropping an input, [0, 1)  */
    unsigned targets;        /* TS_DPO_LORA_* bits                        */
    ts_dpo_real scale;       /* s                                         */
    uint64_t seed;           /* dropout draws                             */

    size_t sizes[TS_DPO_LORA_NUM_TENSORS];
    size_t num_params;       /* sum of sizes (unused targets have size 0) */
    ts_dpo_real *memory;     /* [4][num_params]: params, grads, m, v      */
    ts_dpo_lora_params params, grads;
    ts_dpo_real *params_memory, *grads_memory, *m_memory, *v_memory;

    int BT_max;
    ts_dpo_real *act_memory;
    ts_dpo_real *xd[2];      /* [L][BT][C] dropped input, qkv / proj      */
    ts_dpo_real *mask[2];    /* [L][BT][C] 0 or 1/(1-p)                   */
    ts_dpo_real *us[2];      /* [L][BT][r] s * xd A^T                     */
    ts_dpo_real *du;         /* [BT][r]    scratch                        */
    ts_dpo_real *dxd;        /* [BT][C]    scratch                        */
    double *u;               /* [nthreads][C] dropout uniforms            */
    int used_dropout[2];     /* did the last forward drop inputs?         */
} ts_dpo_lora;

/* Adapters for model m (its L, C, batch capacity and threads).  rank >= 1,
 * alpha > 0, 0 <= dropout < 1, targets a non-empty subset of
 * TS_DPO_LORA_ALL; anything else is refused (TS_EINPUT). */
ts_dpo_lora *ts_dpo_lora_alloc(const ts_dpo_model *m, int rank, double alpha,
                               double dropout, unsigned targets, ts_err *e);
void ts_dpo_lora_free(ts_dpo_lora *lo);

/* A uniform on +-1/sqrt(C) from Philox (seed, TS_DPO_POINT_LORA_INIT),
 * B = 0, gradients and moments 0.  seed also keys the dropout draws. */
void ts_dpo_lora_init(ts_dpo_lora *lo, uint64_t seed);
void ts_dpo_lora_zero_grads(ts_dpo_lora *lo);

/* W += s B A for every adapted projection of m: the model then computes
 * alone what base + adapters computed (up to rounding), for export. */
void ts_dpo_lora_merge(const ts_dpo_lora *lo, ts_dpo_model *m);

/* Internal to model.c.  which: 0 = qkv, 1 = proj.
 * Forward: out[BT][OC] += s dropout(x) A^T B^T, saving what the backward
 * needs.  Backward: dB += dout^T us, du = s dout B, dA += du^T xd and, if
 * dx is not NULL, dx += (du A) * mask. */
void ts_dpo_lora_forward(ts_dpo_lora *lo, const ts_dpo_model *m, int which,
                         int l, ts_dpo_real *out, const ts_dpo_real *x,
                         int BT, int train, uint64_t step);
void ts_dpo_lora_backward(ts_dpo_lora *lo, const ts_dpo_model *m, int which,
                          int l, ts_dpo_real *dx, const ts_dpo_real *dout,
                          const ts_dpo_real *x, int BT);

#endif

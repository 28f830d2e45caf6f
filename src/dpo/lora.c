/* lora.c -- LoRA adapters on the attention projections (see dpo_lora.h).
 *
 * Layout of the adapter block, one allocation:
 *   params [num_params] | grads [num_params] | m [num_params] | v [num_params]
 * each split into qkv_a [L][r][C], qkv_b [L][3C][r], proj_a [L][r][C],
 * proj_b [L][C][r] (size 0 for a projection without adapters). */
#include "dpo/dpo_lora.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dpo/dpo_layers.h"
#include "base/rng.h"

typedef ts_dpo_real real;

/* Philox replica of a dropout row: (2 l + projection) << DROP_ROW_BITS | row */
#define DROP_ROW_BITS 21
#define DROP_ROWS (1u << DROP_ROW_BITS)

static void point_lora(ts_dpo_lora_params *p, real *base, const size_t *s)
{
    p->qkv_a = base;
    p->qkv_b = p->qkv_a + s[0];
    p->proj_a = p->qkv_b + s[1];
    p->proj_b = p->proj_a + s[2];
}

ts_dpo_lora *ts_dpo_lora_alloc(const ts_dpo_model *m, int rank, double alpha,
                               double dropout, unsigned targets, ts_err *e)
{
    if (rank < 1 || rank > m->cfg.channels) {
        TS_ERROR(e, TS_EINPUT, "LoRA rank %d must be in [1, %d] (the width)",
                 rank, m->cfg.channels);
        return NULL;
    }
    if (!(alpha > 0) || !isfinite(alpha)) {
        TS_ERROR(e, TS_EINPUT, "LoRA alpha %g must be positive", alpha);
        return NULL;
    }
    if (!(dropout >= 0 && dropout < 1)) {
        TS_ERROR(e, TS_EINPUT, "LoRA dropout %g must be in [0, 1)", dropout);
        return NULL;
    }
    if (targets == 0 || (targets & ~(unsigned)TS_DPO_LORA_ALL)) {
        TS_ERROR(e, TS_EINPUT, "LoRA targets 0x%x: choose qkv, proj or both",
                 targets);
        return NULL;
    }
    /* dropout streams are keyed by (layer, projection, row): see
     * ts_dpo_lora_forward */
    if ((size_t)m->B_max * (size_t)m->T_max >= DROP_ROWS ||
        2 * m->cfg.num_layers > 1 << (32 - DROP_ROW_BITS)) {
        TS_ERROR(e, TS_EUNSUPP, "LoRA dropout supports up to %u rows per "
                 "batch and %d layers", DROP_ROWS - 1,
                 1 << (31 - DROP_ROW_BITS));
        return NULL;
    }
    ts_dpo_lora *lo = calloc(1, sizeof *lo);
    if (!lo) {
        TS_ERROR(e, TS_ENOMEM, "out of memory for LoRA adapters");
        return NULL;
    }
    size_t L = (size_t)m->cfg.num_layers, C = (size_t)m->cfg.channels;
    size_t r = (size_t)rank;
    lo->L = (int)L;
    lo->C = (int)C;
    lo->rank = rank;
    lo->alpha = alpha;
    lo->dropout = dropout;
    lo->targets = targets;
    lo->scale = (real)(alpha / rank);
    int q = (targets & TS_DPO_LORA_QKV) != 0, p = (targets & TS_DPO_LORA_PROJ) != 0;
    lo->sizes[0] = q ? L * r * C : 0;
    lo->sizes[1] = q ? L * 3 * C * r : 0;
    lo->sizes[2] = p ? L * r * C : 0;
    lo->sizes[3] = p ? L * C * r : 0;
    size_t n = 0;
    for (int i = 0; i < TS_DPO_LORA_NUM_TENSORS; i++)
        n += lo->sizes[i];
    lo->num_params = n;
    lo->memory = calloc(4 * n, sizeof(real));

    size_t BT = (size_t)m->B_max * (size_t)m->T_max;
    lo->BT_max = (int)BT;
    /* xd and mask exist only with dropout; without it xd is x itself. */
    size_t per = (dropout > 0 ? 2 * L * BT * C : 0) + L * BT * r;
    size_t act = (q ? per : 0) + (p ? per : 0) + BT * r + BT * C;
    lo->act_memory = calloc(act, sizeof(real));
    lo->u = malloc((size_t)m->nthreads * C * sizeof *lo->u);
    if (!lo->memory || !lo->act_memory || !lo->u) {
        ts_dpo_lora_free(lo);
        TS_ERROR(e, TS_ENOMEM, "out of memory for LoRA adapters");
        return NULL;
    }
    lo->params_memory = lo->memory;
    lo->grads_memory = lo->memory + n;
    lo->m_memory = lo->memory + 2 * n;
    lo->v_memory = lo->memory + 3 * n;
    point_lora(&lo->params, lo->params_memory, lo->sizes);
    point_lora(&lo->grads, lo->grads_memory, lo->sizes);
    real *a = lo->act_memory;
    for (int w = 0; w < 2; w++) {
        if (!(targets & (1u << w)))
            continue;
        if (dropout > 0) {
            lo->xd[w] = a;
            a += L * BT * C;
            lo->mask[w] = a;
            a += L * BT * C;
        }
        lo->us[w] = a;
        a += L * BT * r;
    }
    lo->du = a;
    a += BT * r;
    lo->dxd = a;
    return lo;
}

void ts_dpo_lora_free(ts_dpo_lora *lo)
{
    if (!lo)
        return;
    free(lo->memory);
    free(lo->act_memory);
    free(lo->u);
    free(lo);
}

void ts_dpo_lora_init(ts_dpo_lora *lo, uint64_t seed)
{
    memset(lo->memory, 0, 4 * lo->num_params * sizeof(real));
    lo->seed = seed;
    ts_rng g;
    double bound = 1 / sqrt((double)lo->C);
    real *as[2] = {lo->params.qkv_a, lo->params.proj_a};
    size_t na[2] = {lo->sizes[0], lo->sizes[2]};
    for (int w = 0; w < 2; w++) {
        ts_rng_init(&g, seed, TS_DPO_POINT_LORA_INIT, (uint32_t)w,
                    TS_STREAM_AUX);
        for (size_t i = 0; i < na[w]; i++)
            as[w][i] = (real)(bound * (2 * ts_rng_u01(&g) - 1));
    }
}

void ts_dpo_lora_zero_grads(ts_dpo_lora *lo)
{
    memset(lo->grads_memory, 0, lo->num_params * sizeof(real));
}

void ts_dpo_lora_merge(const ts_dpo_lora *lo, ts_dpo_model *m)
{
    size_t C = (size_t)lo->C, r = (size_t)lo->rank;
    for (int w = 0; w < 2; w++) {
        if (!(lo->targets & (1u << w)))
            continue;
        size_t OC = w == 0 ? 3 * C : C;
        for (int l = 0; l < lo->L; l++) {
            const real *A = (w == 0 ? lo->params.qkv_a : lo->params.proj_a) +
                            (size_t)l * r * C;
            const real *Bm = (w == 0 ? lo->params.qkv_b : lo->params.proj_b) +
                             (size_t)l * OC * r;
            real *W = (w == 0 ? m->params.qkvw : m->params.attprojw) +
                      (size_t)l * OC * C;
            /* W[o][i] += s sum_k B[o][k] A[k][i] */
            for (size_t o = 0; o < OC; o++) {
                for (size_t i = 0; i < C; i++) {
                    real acc = 0;
                    for (size_t k = 0; k < r; k++)
                        acc += Bm[o * r + k] * A[k * C + i];
                    W[o * C + i] += lo->scale * acc;
                }
            }
        }
    }
}

static ts_dpo_ws model_ws(const ts_dpo_model *m)
{
    ts_dpo_ws ws = {m->scratch, m->scratch_per_thread, m->nthreads,
                    m->par_min_work};
    return ws;
}

static const real *adapter_a(const ts_dpo_lora *lo, int which, int l)
{
    return (which == 0 ? lo->params.qkv_a : lo->params.proj_a) +
           (size_t)l * lo->rank * lo->C;
}

static const real *adapter_b(const ts_dpo_lora *lo, int which, int l)
{
    size_t OC = which == 0 ? 3 * (size_t)lo->C : (size_t)lo->C;
    return (which == 0 ? lo->params.qkv_b : lo->params.proj_b) +
           (size_t)l * OC * lo->rank;
}

void ts_dpo_lora_forward(ts_dpo_lora *lo, const ts_dpo_model *m, int which,
                         int l, real *out, const real *x, int BT, int train,
                         uint64_t step)
{
    ts_dpo_ws ws = model_ws(m);
    size_t C = (size_t)lo->C, r = (size_t)lo->rank;
    int OC = which == 0 ? 3 * lo->C : lo->C;
    const real *xd = x;
    int drop = train && lo->dropout > 0;
    lo->used_dropout[which] = drop;
    if (drop) {
        /* Inverted dropout: keep with probability 1-p, scale by 1/(1-p).
         * Each (layer, projection, row) has its own Philox stream and each
         * step its own slot, so rows are drawn in parallel and a step
         * replays alone, whatever the thread count. */
        real *xo = lo->xd[which] + (size_t)l * BT * C;
        real *mk = lo->mask[which] + (size_t)l * BT * C;
        real keep = (real)(1 / (1 - lo->dropout));
        double p = lo->dropout;
        TS_DPO_OMP(omp taskloop num_tasks(4 * m->nthreads) if (16.0 * BT * C > m->par_min_work))
        for (int bt = 0; bt < BT; bt++) {
            double *u = lo->u + (size_t)TS_DPO_THREAD_ID() * C;
            ts_rng g;
            ts_rng_init(&g, lo->seed, TS_DPO_POINT_DROPOUT,
                        ((uint32_t)(2 * l + which) << DROP_ROW_BITS) |
                            (uint32_t)bt,
                        TS_STREAM_AUX);
            ts_rng_seek(&g, step);
            ts_rng_fill_u01(&g, u, C);
            real *mr = mk + (size_t)bt * C, *xr = xo + (size_t)bt * C;
            const real *xi = x + (size_t)bt * C;
            for (size_t i = 0; i < C; i++) {
                mr[i] = u[i] >= p ? keep : 0;
                xr[i] = xi[i] * mr[i];
            }
        }
        xd = xo;
    }
    real *us = lo->us[which] + (size_t)l * BT * r;
    /* us = s * xd A^T  [BT][r] */
    ts_dpo_matmul_forward(us, xd, adapter_a(lo, which, l), NULL, BT,
                          (int)C, (int)r, 0, &ws);
    for (size_t i = 0; i < (size_t)BT * r; i++)
        us[i] *= lo->scale;
    /* out += us B^T */
    ts_dpo_matmul_forward(out, us, adapter_b(lo, which, l), NULL, BT,
                          (int)r, OC, 1, &ws);
}

void ts_dpo_lora_backward(ts_dpo_lora *lo, const ts_dpo_model *m, int which,
                          int l, real *dx, const real *dout, const real *x,
                          int BT)
{
    ts_dpo_ws ws = model_ws(m);
    size_t C = (size_t)lo->C, r = (size_t)lo->rank;
    int OC = which == 0 ? 3 * lo->C : lo->C;
    const real *us = lo->us[which] + (size_t)l * BT * r;
    int drop = lo->used_dropout[which];
    const real *xd = drop ? lo->xd[which] + (size_t)l * BT * C : x;
    real *dA = (which == 0 ? lo->grads.qkv_a : lo->grads.proj_a) +
               (size_t)l * r * C;
    real *dB = (which == 0 ? lo->grads.qkv_b : lo->grads.proj_b) +
               (size_t)l * (size_t)OC * r;
    /* out += us B^T:  dB += dout^T us,  dus = dout B */
    memset(lo->du, 0, (size_t)BT * r * sizeof(real));
    ts_dpo_matmul_backward(lo->du, dB, NULL, dout, us,
                           adapter_b(lo, which, l), BT, (int)r, OC, &ws);
    /* us = s xd A^T:  du = s dus,  dA += du^T xd,  dxd = du A */
    for (size_t i = 0; i < (size_t)BT * r; i++)
        lo->du[i] *= lo->scale;
    real *dxd = NULL;
    if (dx) {
        dxd = drop ? lo->dxd : dx;
        if (drop)
            memset(dxd, 0, (size_t)BT * C * sizeof(real));
    }
    ts_dpo_matmul_backward(dxd, dA, NULL, lo->du, xd,
                           adapter_a(lo, which, l), BT, (int)C, (int)r, &ws);
    if (dx && drop) {
        /* xd = x * mask */
        const real *mk = lo->mask[which] + (size_t)l * BT * C;
        for (size_t i = 0; i < (size_t)BT * C; i++)
            dx[i] += dxd[i] * mk[i];
    }
}

/* model.c -- the GPT-2 policy: presets, memory layout, forward and backward
 * passes (SPEC §6; architecture of Radford et al. 2019 as laid out in
 * llm.c's train_gpt2.c).  Letters: see dpo_model.h.
 *
 * Memory: four blocks, each one allocation with a size table and named
 * pointers: parameters (in checkpoint order), their gradients and AdamW
 * moments (full fine-tuning only), activations, and one layer's worth of
 * activation gradients.  Nothing is allocated during a pass.
 *
 * The output head runs only on the N positions that carry a target: DPO and
 * SFT score completion tokens only (SPEC §6), and at GPT-2's vocabulary the
 * head is the largest matmul of the model. */
#include "dpo/dpo_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpo/dpo_layers.h"
#include "dpo/dpo_lora.h"
#include "base/rng.h"

#ifdef _OPENMP
#include <omp.h>
#endif

typedef ts_dpo_real real;

/* ---------------------------------------------------------------- config */

/* GPT-2's four sizes have 12/24/36/48 layers; these keep the 1:2:3:4 ratio
 * at two cores' scale.  The first three are the benchmark's dimension sets
 * (issue 6); head size 16/32/32/64. */
static const ts_dpo_preset presets[] = {
    {"small", {128, 512, 512, 2, 4, 64}, "GPT-2 small, scaled: L=2 C=64 NH=4 V=512"},
    {"medium", {128, 512, 512, 4, 4, 128}, "GPT-2 medium, scaled: L=4 C=128 NH=4 V=512"},
    {"large", {256, 2048, 2048, 6, 8, 256}, "GPT-2 large, scaled: L=6 C=256 NH=8 V=2048"},
    {"xl", {256, 2048, 2048, 8, 6, 384}, "GPT-2 xl, scaled: L=8 C=384 NH=6 V=2048"},
    {NULL, {0, 0, 0, 0, 0, 0}, NULL},
};

const ts_dpo_preset *ts_dpo_presets(void) { return presets; }

int ts_dpo_preset_config(const char *name, ts_dpo_config *cfg, ts_err *e)
{
    for (const ts_dpo_preset *p = presets; p->name; p++)
        if (strcmp(p->name, name) == 0) {
            *cfg = p->cfg;
            return TS_OK;
        }
    char list[256] = "";
    for (const ts_dpo_preset *p = presets; p->name; p++) {
        strncat(list, p->name, sizeof list - strlen(list) - 1);
        if (p[1].name)
            strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    return TS_ERROR(e, TS_EINPUT, "unknown preset '%s' (valid: %s)", name,
                    list);
}

int ts_dpo_config_check(const ts_dpo_config *c, ts_err *e)
{
    if (c->max_seq_len < 1 || c->vocab_size < 1 || c->num_layers < 1 ||
        c->num_heads < 1 || c->channels < 1)
        return TS_ERROR(e, TS_EINPUT,
                        "model sizes must be positive (maxT %d, V %d, L %d, "
                        "NH %d, C %d)",
                        c->max_seq_len, c->vocab_size, c->num_layers,
                        c->num_heads, c->channels);
    if (c->padded_vocab_size < c->vocab_size)
        return TS_ERROR(e, TS_EINPUT, "padded vocabulary %d is below V = %d",
                        c->padded_vocab_size, c->vocab_size);
    if (c->channels % c->num_heads)
        return TS_ERROR(e, TS_EINPUT, "%d heads do not divide C = %d",
                        c->num_heads, c->channels);
    /* Keep every size_t product below 2^53 and every int index in range. */
    if (c->max_seq_len > 1 << 16 || c->vocab_size > 1 << 24 ||
        c->padded_vocab_size > 1 << 24 || c->num_layers > 1024 ||
        c->channels > 1 << 16)
        return TS_ERROR(e, TS_EINPUT, "model sizes are implausibly large");
    return TS_OK;
}

size_t ts_dpo_param_sizes(const ts_dpo_config *c,
                          size_t s[TS_DPO_NUM_PARAM_TENSORS])
{
    size_t Vp = (size_t)c->padded_vocab_size, C = (size_t)c->channels;
    size_t maxT = (size_t)c->max_seq_len, L = (size_t)c->num_layers;
    s[0] = Vp * C;         /* wte */
    s[1] = maxT * C;       /* wpe */
    s[2] = L * C;          /* ln1w */
    s[3] = L * C;          /* ln1b */
    s[4] = L * 3 * C * C;  /* qkvw */
    s[5] = L * 3 * C;      /* qkvb */
    s[6] = L * C * C;      /* attprojw */
    s[7] = L * C;          /* attprojb */
    s[8] = L * C;          /* ln2w */
    s[9] = L * C;          /* ln2b */
    s[10] = L * 4 * C * C; /* fcw */
    s[11] = L * 4 * C;     /* fcb */
    s[12] = L * C * 4 * C; /* fcprojw */
    s[13] = L * C;         /* fcprojb */
    s[14] = C;             /* lnfw */
    s[15] = C;             /* lnfb */
    size_t n = 0;
    for (int i = 0; i < TS_DPO_NUM_PARAM_TENSORS; i++)
        n += s[i];
    return n;
}

void ts_dpo_params_point(ts_dpo_params *p, real *block,
                         const ts_dpo_config *cfg)
{
    size_t s[TS_DPO_NUM_PARAM_TENSORS];
    ts_dpo_param_sizes(cfg, s);
    real **ptr[TS_DPO_NUM_PARAM_TENSORS] = {
        &p->wte, &p->wpe, &p->ln1w, &p->ln1b, &p->qkvw, &p->qkvb,
        &p->attprojw, &p->attprojb, &p->ln2w, &p->ln2b, &p->fcw, &p->fcb,
        &p->fcprojw, &p->fcprojb, &p->lnfw, &p->lnfb};
    for (int i = 0; i < TS_DPO_NUM_PARAM_TENSORS; i++) {
        *ptr[i] = block;
        block += s[i];
    }
}

/* ----------------------------------------------------------- allocation */

static size_t act_sizes(const ts_dpo_config *c, int B, int T,
                        size_t s[TS_DPO_NUM_ACTS])
{
    size_t L = (size_t)c->num_layers, C = (size_t)c->channels;
    size_t NH = (size_t)c->num_heads, Vp = (size_t)c->padded_vocab_size;
    size_t BT = (size_t)B * (size_t)T;
    s[0] = BT * C;                      /* encoded */
    s[1] = L * BT * C;                  /* ln1 */
    s[2] = L * BT;                      /* ln1_mean */
    s[3] = L * BT;                      /* ln1_rstd */
    s[4] = L * BT * 3 * C;              /* qkv */
    s[5] = L * (size_t)B * NH * T * T;  /* att */
    s[6] = L * BT * C;                  /* atty */
    s[7] = L * BT * C;                  /* residual2 */
    s[8] = L * BT * C;                  /* ln2 */
    s[9] = L * BT;                      /* ln2_mean */
    s[10] = L * BT;                     /* ln2_rstd */
    s[11] = L * BT * 4 * C;             /* fch */
    s[12] = L * BT * 4 * C;             /* fch_gelu */
    s[13] = L * BT * C;                 /* residual3 */
    s[14] = BT * C;                     /* lnf */
    s[15] = BT;                         /* lnf_mean */
    s[16] = BT;                         /* lnf_rstd */
    s[17] = BT * C;                     /* head_in */
    s[18] = BT * Vp;                    /* logits */
    s[19] = BT;                         /* lse */
    size_t n = 0;
    for (int i = 0; i < TS_DPO_NUM_ACTS; i++)
        n += s[i];
    return n;
}

static void point_acts(ts_dpo_acts *a, real *block, const size_t *s)
{
    real **ptr[TS_DPO_NUM_ACTS] = {
        &a->encoded, &a->ln1, &a->ln1_mean, &a->ln1_rstd, &a->qkv, &a->att,
        &a->atty, &a->residual2, &a->ln2, &a->ln2_mean, &a->ln2_rstd,
        &a->fch, &a->fch_gelu, &a->residual3, &a->lnf, &a->lnf_mean,
        &a->lnf_rstd, &a->head_in, &a->logits, &a->lse};
    for (int i = 0; i < TS_DPO_NUM_ACTS; i++) {
        *ptr[i] = block;
        block += s[i];
    }
}

static size_t dact_sizes(const ts_dpo_config *c, int B, int T,
                         size_t s[TS_DPO_NUM_DACTS])
{
    size_t C = (size_t)c->channels, BT = (size_t)B * (size_t)T;
    s[0] = BT * C;     /* dresidual */
    s[1] = BT * C;     /* dln */
    s[2] = BT * C;     /* datty */
    s[3] = BT * 3 * C; /* dqkv */
    s[4] = BT * 4 * C; /* dfch */
    s[5] = BT * C;     /* dhead */
    size_t n = 0;
    for (int i = 0; i < TS_DPO_NUM_DACTS; i++)
        n += s[i];
    return n;
}

static void point_dacts(ts_dpo_dacts *d, real *block, const size_t *s)
{
    real **ptr[TS_DPO_NUM_DACTS] = {&d->dresidual, &d->dln, &d->datty,
                                    &d->dqkv, &d->dfch, &d->dhead};
    for (int i = 0; i < TS_DPO_NUM_DACTS; i++) {
        *ptr[i] = block;
        block += s[i];
    }
}

ts_dpo_model *ts_dpo_model_alloc(const ts_dpo_config *cfg, int B_max,
                                 int T_max, int nthreads, int flags,
                                 ts_err *e)
{
    if (ts_dpo_config_check(cfg, e))
        return NULL;
    if (B_max < 1 || T_max < 1 || T_max > cfg->max_seq_len) {
        TS_ERROR(e, TS_EINPUT,
                 "batch capacity %d x %d: need B >= 1, 1 <= T <= maxT = %d",
                 B_max, T_max, cfg->max_seq_len);
        return NULL;
    }
    ts_dpo_model *m = calloc(1, sizeof *m);
    if (!m) {
        TS_ERROR(e, TS_ENOMEM, "out of memory for the model");
        return NULL;
    }
    m->cfg = *cfg;
    m->B_max = B_max;
    m->T_max = T_max;
#ifdef _OPENMP
    m->nthreads = nthreads > 0 ? nthreads : omp_get_max_threads();
#else
    (void)nthreads;
    m->nthreads = 1;
#endif
    m->par_min_work = TS_DPO_PAR_MIN_WORK;
    m->num_params = ts_dpo_param_sizes(cfg, m->param_sizes);
    m->params_memory = malloc(m->num_params * sizeof(real));
    if (flags & TS_DPO_MODEL_GRADS) {
        m->grads_memory = calloc(m->num_params, sizeof(real));
        m->m_memory = calloc(m->num_params, sizeof(real));
        m->v_memory = calloc(m->num_params, sizeof(real));
    }
    size_t na = act_sizes(cfg, B_max, T_max, m->act_sizes);
    m->acts_memory = malloc(na * sizeof(real));
    size_t nd = dact_sizes(cfg, B_max, T_max, m->dact_sizes);
    m->dacts_memory = malloc(nd * sizeof(real));
    size_t C = (size_t)cfg->channels, hs = C / (size_t)cfg->num_heads;
    /* Scratch: a packed panel of the widest matmul input (4C) or of a
     * weight-gradient tile's rows (B T, for LoRA's rank-wide tiles), the
     * attention's per-head copies (ts_dpo_attention_scratch), or a chunk of
     * exponentiated logits (TS_DPO_WS_MIN). */
    size_t BTm = (size_t)B_max * (size_t)T_max;
    size_t sp = (4 * C > BTm ? 4 * C : BTm) * TS_DPO_NR;
    size_t sa = ts_dpo_attention_scratch(T_max, (int)hs);
    m->scratch_per_thread = sp > sa ? sp : sa;
    if (m->scratch_per_thread < TS_DPO_WS_MIN)
        m->scratch_per_thread = TS_DPO_WS_MIN;
    m->scratch = malloc((size_t)m->nthreads * m->scratch_per_thread *
                        sizeof(real));
    size_t BT = (size_t)B_max * (size_t)T_max;
    m->tokens = malloc(BT * sizeof(int32_t));
    m->rows = malloc(BT * sizeof(int32_t));
    m->targets = malloc(BT * sizeof(int32_t));
    m->g = malloc(BT * sizeof(double));
    m->head_logp = malloc(BT * sizeof(double));
    if (!m->params_memory || !m->acts_memory || !m->dacts_memory ||
        !m->scratch || !m->tokens || !m->rows || !m->targets || !m->g ||
        !m->head_logp ||
        ((flags & TS_DPO_MODEL_GRADS) &&
         (!m->grads_memory || !m->m_memory || !m->v_memory))) {
        size_t np = m->num_params;
        ts_dpo_model_free(m);
        TS_ERROR(e, TS_ENOMEM, "out of memory for a model of %zu parameters",
                 np);
        return NULL;
    }
    memset(m->params_memory, 0, m->num_params * sizeof(real));
    ts_dpo_params_point(&m->params, m->params_memory, cfg);
    if (m->grads_memory)
        ts_dpo_params_point(&m->grads, m->grads_memory, cfg);
    point_acts(&m->acts, m->acts_memory, m->act_sizes);
    point_dacts(&m->dacts, m->dacts_memory, m->dact_sizes);
    return m;
}

void ts_dpo_model_free(ts_dpo_model *m)
{
    if (!m)
        return;
    free(m->params_memory);
    free(m->grads_memory);
    free(m->m_memory);
    free(m->v_memory);
    free(m->acts_memory);
    free(m->dacts_memory);
    free(m->scratch);
    free(m->tokens);
    free(m->rows);
    free(m->targets);
    free(m->g);
    free(m->head_logp);
    free(m);
}

void ts_dpo_zero_grads(ts_dpo_model *m)
{
    if (m->grads_memory)
        memset(m->grads_memory, 0, m->num_params * sizeof(real));
}

/* ------------------------------------------------------- initialisation */

/* Standard normal by Box-Muller from two 53-bit uniforms. */
static double normal(ts_rng *g)
{
    double u1 = ts_rng_u01_53(g), u2 = ts_rng_u01_53(g);
    return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

void ts_dpo_model_init_random(ts_dpo_model *m, uint64_t seed)
{
    const ts_dpo_config *c = &m->cfg;
    real *p = m->params_memory;
    /* GPT-2 (and llm.c): std 0.02, scaled by 1/sqrt(2L) on the two
     * projections that write into the residual stream. */
    double std = 0.02, std_res = 0.02 / sqrt(2.0 * c->num_layers);
    for (int i = 0; i < TS_DPO_NUM_PARAM_TENSORS; i++) {
        size_t n = m->param_sizes[i];
        ts_rng g;
        /* One stream per tensor: a tensor's values do not depend on the
         * sizes of the tensors before it. */
        ts_rng_init(&g, seed, TS_DPO_POINT_INIT, (uint32_t)i, TS_STREAM_AUX);
        int is_ln_w = i == 2 || i == 8 || i == 14;
        int is_bias = i == 3 || i == 5 || i == 7 || i == 9 || i == 11 ||
                      i == 13 || i == 15;
        int is_res = i == 6 || i == 12;
        for (size_t k = 0; k < n; k++) {
            /* ts_rng holds 2^26 words per slot; move to the next slot
             * every 2^24 draws to stay inside it. */
            if ((k & ((1u << 24) - 1)) == 0)
                ts_rng_seek(&g, k >> 24);
            if (is_ln_w)
                p[k] = 1;
            else if (is_bias)
                p[k] = 0;
            else
                p[k] = (real)((is_res ? std_res : std) * normal(&g));
        }
        p += n;
    }
    /* The padded rows of wte are never read by a softmax; keep them 0 as a
     * checkpoint of a real GPT-2 has them. */
    size_t C = (size_t)c->channels;
    memset(m->params.wte + (size_t)c->vocab_size * C, 0,
           (size_t)(c->padded_vocab_size - c->vocab_size) * C * sizeof(real));
}

/* ---------------------------------------------------------------- passes */

static ts_dpo_ws model_ws(const ts_dpo_model *m)
{
    ts_dpo_ws ws = {m->scratch, m->scratch_per_thread, m->nthreads,
                    m->par_min_work};
    return ws;
}

/* The kernels of a forward pass, from the embeddings to the head's
 * log-probabilities (m->head_logp).  One thread runs it; the others of its
 * team take the kernels' tasks (dpo_layers.h). */
static void forward_pass(ts_dpo_model *m, ts_dpo_lora *lora, int train,
                         uint64_t step)
{
    const ts_dpo_config *c = &m->cfg;
    int B = m->B, T = m->T, N = m->N;
    int L = c->num_layers, C = c->channels, NH = c->num_heads;
    int V = c->vocab_size, Vp = c->padded_vocab_size;
    size_t BT = (size_t)B * T, BTC = BT * C;
    ts_dpo_ws ws = model_ws(m);
    ts_dpo_params *p = &m->params;
    ts_dpo_acts *a = &m->acts;

    ts_dpo_encoder_forward(a->encoded, m->tokens, p->wte, p->wpe, B, T, C);
    for (int l = 0; l < L; l++) {
        const real *residual = l == 0 ? a->encoded : a->residual3 + (l - 1) * BTC;
        size_t lC = (size_t)l * C;
        real *ln1 = a->ln1 + l * BTC, *qkv = a->qkv + l * 3 * BTC;
        real *att = a->att + (size_t)l * B * NH * T * T;
        real *atty = a->atty + l * BTC, *res2 = a->residual2 + l * BTC;
        real *ln2 = a->ln2 + l * BTC, *fch = a->fch + l * 4 * BTC;
        real *fchg = a->fch_gelu + l * 4 * BTC, *res3 = a->residual3 + l * BTC;

        ts_dpo_layernorm_forward(ln1, a->ln1_mean + l * BT, a->ln1_rstd + l * BT,
                                 residual, p->ln1w + lC, p->ln1b + lC, (int)BT,
                                 C, &ws);
        ts_dpo_matmul_forward(qkv, ln1, p->qkvw + 3 * lC * C, p->qkvb + 3 * lC,
                              (int)BT, C, 3 * C, 0, &ws);
        if (lora && (lora->targets & TS_DPO_LORA_QKV))
            ts_dpo_lora_forward(lora, m, 0, l, qkv, ln1, (int)BT, train, step);
        ts_dpo_attention_forward(atty, att, qkv, B, T, C, NH, &ws);
        /* residual2 = residual + atty W_proj^T + b (+ adapter) */
        ts_dpo_matmul_forward(res2, atty, p->attprojw + lC * C,
                              p->attprojb + lC, (int)BT, C, C, 0, &ws);
        if (lora && (lora->targets & TS_DPO_LORA_PROJ))
            ts_dpo_lora_forward(lora, m, 1, l, res2, atty, (int)BT, train, step);
        ts_dpo_residual_forward(res2, res2, residual, BTC);
        ts_dpo_layernorm_forward(ln2, a->ln2_mean + l * BT, a->ln2_rstd + l * BT,
                                 res2, p->ln2w + lC, p->ln2b + lC, (int)BT, C,
                                 &ws);
        ts_dpo_matmul_forward(fch, ln2, p->fcw + 4 * lC * C, p->fcb + 4 * lC,
                              (int)BT, C, 4 * C, 0, &ws);
        ts_dpo_gelu_forward(fchg, fch, 4 * BTC, &ws);
        /* residual3 = residual2 + gelu(fch) W_fcproj^T + b */
        ts_dpo_matmul_forward(res3, fchg, p->fcprojw + 4 * lC * C,
                              p->fcprojb + lC, (int)BT, 4 * C, C, 0, &ws);
        ts_dpo_residual_forward(res3, res3, res2, BTC);
    }
    ts_dpo_layernorm_forward(a->lnf, a->lnf_mean, a->lnf_rstd,
                             a->residual3 + (L - 1) * BTC, p->lnfw, p->lnfb,
                             (int)BT, C, &ws);
    for (int n = 0; n < N; n++)
        memcpy(a->head_in + (size_t)n * C, a->lnf + (size_t)m->rows[n] * C,
               (size_t)C * sizeof(real));
    if (N > 0) {
        ts_dpo_matmul_forward(a->logits, a->head_in, p->wte, NULL, N, C, Vp, 0,
                              &ws);
        ts_dpo_logprob_forward(a->lse, m->head_logp, a->logits, m->targets, N,
                               V, Vp, &ws);
    }
}

/* Run a pass on a team of m->nthreads: one thread walks the layers, every
 * thread takes their tasks.  Tiny models stay on the calling thread. */
static int team_size(const ts_dpo_model *m)
{
    const ts_dpo_config *c = &m->cfg;
    double layer = 12.0 * m->B * m->T * c->channels * (double)c->channels;
    return layer > m->par_min_work ? m->nthreads : 1;
}

int ts_dpo_forward(ts_dpo_model *m, const int32_t *tokens,
                   const int32_t *targets, int B, int T, ts_dpo_lora *lora,
                   int train, uint64_t step, double *logp, ts_err *e)
{
    const ts_dpo_config *c = &m->cfg;
    if (B < 1 || T < 1 || B > m->B_max || T > m->T_max)
        return TS_ERROR(e, TS_EINVAL, "batch %d x %d exceeds capacity %d x %d",
                        B, T, m->B_max, m->T_max);
    int V = c->vocab_size;
    size_t BT = (size_t)B * T;
    int N = 0;
    for (size_t i = 0; i < BT; i++) {
        if (tokens[i] < 0 || tokens[i] >= V)
            return TS_ERROR(e, TS_EINVAL, "token %d at %zu is outside [0, %d)",
                            tokens[i], i, V);
        if (targets[i] < -1 || targets[i] >= V)
            return TS_ERROR(e, TS_EINVAL, "target %d at %zu is outside [-1, %d)",
                            targets[i], i, V);
        m->tokens[i] = tokens[i];
        if (targets[i] >= 0) {
            m->rows[N] = (int32_t)i;
            m->targets[N] = targets[i];
            N++;
        }
    }
    m->B = B;
    m->T = T;
    m->N = N;
    m->fwd_lora = lora;
    int nt = team_size(m);
    (void)nt;
    TS_DPO_OMP(omp parallel num_threads(nt) if (nt > 1))
    TS_DPO_OMP(omp single)
    forward_pass(m, lora, train, step);
    for (size_t i = 0; i < BT; i++)
        logp[i] = 0;
    for (int n = 0; n < N; n++) {
        if (!isfinite(m->head_logp[n]))
            return TS_ERROR(e, TS_ENONFINITE,
                            "log-probability at position %d is %g",
                            (int)m->rows[n], m->head_logp[n]);
        logp[m->rows[n]] = m->head_logp[n];
    }
    return TS_OK;
}

/* The kernels of a backward pass (m->g holds d obj / d logp by target);
 * run as forward_pass is. */
static void backward_pass(ts_dpo_model *m, int full)
{
    const ts_dpo_config *c = &m->cfg;
    int B = m->B, T = m->T, N = m->N;
    int L = c->num_layers, C = c->channels, NH = c->num_heads;
    int V = c->vocab_size, Vp = c->padded_vocab_size;
    size_t BT = (size_t)B * T, BTC = BT * C;
    ts_dpo_ws ws = model_ws(m);
    ts_dpo_params *p = &m->params;
    ts_dpo_params *g = full ? &m->grads : NULL;
    ts_dpo_acts *a = &m->acts;
    ts_dpo_dacts *d = &m->dacts;
    ts_dpo_lora *lora = m->fwd_lora;

    /* Output head: logp[n] = log softmax(head_in[n] wte^T)[target[n]] */
    memset(d->dln, 0, BTC * sizeof(real));
    if (N > 0) {
        ts_dpo_logprob_backward(a->logits, a->lse, m->targets, m->g, N, V, Vp,
                                &ws);
        memset(d->dhead, 0, (size_t)N * C * sizeof(real));
        ts_dpo_matmul_backward(d->dhead, g ? g->wte : NULL, NULL, a->logits,
                               a->head_in, p->wte, N, C, Vp, &ws);
        for (int n = 0; n < N; n++)
            memcpy(d->dln + (size_t)m->rows[n] * C, d->dhead + (size_t)n * C,
                   (size_t)C * sizeof(real));
    }
    memset(d->dresidual, 0, BTC * sizeof(real));
    ts_dpo_layernorm_backward(d->dresidual, g ? g->lnfw : NULL,
                              g ? g->lnfb : NULL, d->dln,
                              a->residual3 + (L - 1) * BTC, p->lnfw,
                              a->lnf_mean, a->lnf_rstd, (int)BT, C, &ws);

    for (int l = L - 1; l >= 0; l--) {
        const real *residual = l == 0 ? a->encoded : a->residual3 + (l - 1) * BTC;
        size_t lC = (size_t)l * C;
        const real *ln1 = a->ln1 + l * BTC, *qkv = a->qkv + l * 3 * BTC;
        const real *att = a->att + (size_t)l * B * NH * T * T;
        const real *atty = a->atty + l * BTC, *res2 = a->residual2 + l * BTC;
        const real *ln2 = a->ln2 + l * BTC, *fch = a->fch + l * 4 * BTC;
        const real *fchg = a->fch_gelu + l * 4 * BTC;

        /* residual3 = residual2 + fcproj(gelu(fc(ln2(residual2)))):
         * dresidual holds d residual3 and passes to residual2 unchanged. */
        memset(d->dfch, 0, 4 * BTC * sizeof(real));
        ts_dpo_matmul_backward(d->dfch, g ? g->fcprojw + 4 * lC * C : NULL,
                               g ? g->fcprojb + lC : NULL, d->dresidual, fchg,
                               p->fcprojw + 4 * lC * C, (int)BT, 4 * C, C,
                               &ws);
        ts_dpo_gelu_backward(d->dfch, fch, d->dfch, 4 * BTC, &ws);
        memset(d->dln, 0, BTC * sizeof(real));
        ts_dpo_matmul_backward(d->dln, g ? g->fcw + 4 * lC * C : NULL,
                               g ? g->fcb + 4 * lC : NULL, d->dfch, ln2,
                               p->fcw + 4 * lC * C, (int)BT, C, 4 * C, &ws);
        ts_dpo_layernorm_backward(d->dresidual, g ? g->ln2w + lC : NULL,
                                  g ? g->ln2b + lC : NULL, d->dln, res2,
                                  p->ln2w + lC, a->ln2_mean + l * BT,
                                  a->ln2_rstd + l * BT, (int)BT, C, &ws);

        /* residual2 = residual + attproj(atty) (+ adapter) */
        memset(d->datty, 0, BTC * sizeof(real));
        ts_dpo_matmul_backward(d->datty, g ? g->attprojw + lC * C : NULL,
                               g ? g->attprojb + lC : NULL, d->dresidual, atty,
                               p->attprojw + lC * C, (int)BT, C, C, &ws);
        if (lora && (lora->targets & TS_DPO_LORA_PROJ))
            ts_dpo_lora_backward(lora, m, 1, l, d->datty, d->dresidual, atty,
                                 (int)BT);
        ts_dpo_attention_backward(d->dqkv, d->datty, qkv, att, B, T, C, NH,
                                  &ws);

        /* qkv = ln1(residual) W_qkv^T + b (+ adapter).  Under LoRA nothing
         * below layer 0's adapters is trained, so its input gradient is
         * skipped. */
        int need_dx = full || l > 0;
        if (need_dx)
            memset(d->dln, 0, BTC * sizeof(real));
        ts_dpo_matmul_backward(need_dx ? d->dln : NULL,
                               g ? g->qkvw + 3 * lC * C : NULL,
                               g ? g->qkvb + 3 * lC : NULL, d->dqkv, ln1,
                               p->qkvw + 3 * lC * C, (int)BT, C, 3 * C, &ws);
        if (lora && (lora->targets & TS_DPO_LORA_QKV))
            ts_dpo_lora_backward(lora, m, 0, l, need_dx ? d->dln : NULL,
                                 d->dqkv, ln1, (int)BT);
        if (need_dx)
            ts_dpo_layernorm_backward(d->dresidual, g ? g->ln1w + lC : NULL,
                                      g ? g->ln1b + lC : NULL, d->dln,
                                      residual, p->ln1w + lC,
                                      a->ln1_mean + l * BT,
                                      a->ln1_rstd + l * BT, (int)BT, C, &ws);
    }
    if (g)
        ts_dpo_encoder_backward(g->wte, g->wpe, d->dresidual, m->tokens, B, T,
                                C, &ws);
}

int ts_dpo_backward(ts_dpo_model *m, const double *dlogp, int full, ts_err *e)
{
    if (full && !m->grads_memory)
        return TS_ERROR(e, TS_EINVAL,
                        "full fine-tuning needs a model allocated with "
                        "TS_DPO_MODEL_GRADS");
    for (int n = 0; n < m->N; n++)
        m->g[n] = dlogp[m->rows[n]];
    int nt = team_size(m);
    (void)nt;
    TS_DPO_OMP(omp parallel num_threads(nt) if (nt > 1))
    TS_DPO_OMP(omp single)
    backward_pass(m, full);
    return TS_OK;
}

/* ----------------------------------------------------------------- flops */

double ts_dpo_step_flops(const ts_dpo_config *c, int B, int T, int N,
                         int lora_rank, unsigned lora_targets, int full)
{
    double BT = (double)B * T, C = c->channels, L = c->num_layers;
    double Vp = c->padded_vocab_size;
    double mm = 2 * BT * 12 * C * C * L;          /* qkv, proj, fc, fcproj */
    double att = 2 * 2 * (double)B * C * T * (T + 1) / 2 * L; /* QK^T, AV */
    double head = 2.0 * N * C * Vp;
    double lr = 0;
    if (lora_rank > 0) {
        double r = lora_rank;
        if (lora_targets & TS_DPO_LORA_QKV)
            lr += 2 * BT * r * (C + 3 * C) * L;
        if (lora_targets & TS_DPO_LORA_PROJ)
            lr += 2 * BT * r * (C + C) * L;
    }
    double fwd = mm + att + head + lr;
    /* Backward: input gradients cost one forward's matmuls, weight
     * gradients another; attention's backward is twice its forward. */
    double bwd = (full ? 2 : 1) * (mm + head) + 2 * att + 2 * lr;
    return fwd + bwd;
}

/* trainer.c -- SFT and soft-label DPO training loops (SPEC §6; issue 6,
 * items 4, 5 and 8).
 *
 * A DPO step on a batch of pairs runs one forward pass over 2 x batch
 * sequences (prompt + chosen, prompt + rejected, interleaved), sums each
 * sequence's log-probabilities over its completion tokens, evaluates the
 * loss of dpo_loss.h against the cached reference log-probabilities, and
 * feeds d loss / d log pi back to the completion positions; one backward
 * pass and one AdamW step follow.  The reference policy is never run during
 * training: its log-probabilities are computed once, before (SPEC §6).
 *
 * Sequences are left-aligned and padded to the longest in the batch; the
 * padding comes after every scored position, so causal attention keeps it
 * from changing any score. */
#include "dpo/dpo_trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dpo/dpo_checkpoint.h"
#include "dpo/dpo_loss.h"
#include "base/rng.h"

typedef ts_dpo_real real;

void ts_dpo_options_default(ts_dpo_options *o)
{
    memset(o, 0, sizeof *o);
    /* Sec. VII-B / SPEC §6 */
    o->beta = 0.01;
    o->flip_rate = 0;
    o->adamw.lr = 5e-5;
    /* PyTorch's / Hugging Face's AdamW defaults (TRL uses them) */
    o->adamw.beta1 = 0.9;
    o->adamw.beta2 = 0.999;
    o->adamw.eps = 1e-8;
    o->adamw.weight_decay = 0;
    o->batch_size = 8;
    o->epochs = 3;
    o->full = 0;
    o->lora_rank = 8;
    o->lora_alpha = 16;
    o->lora_dropout = 0.05;
    o->lora_targets = TS_DPO_LORA_ALL;
    o->seed = 1;
    o->nthreads = 0;
}

int ts_dpo_options_check(const ts_dpo_options *o, ts_err *e)
{
    if (!(o->beta > 0) || !isfinite(o->beta))
        return TS_ERROR(e, TS_EINPUT, "beta %g must be positive", o->beta);
    if (!(o->flip_rate >= 0 && o->flip_rate < 0.5))
        return TS_ERROR(e, TS_EINPUT,
                        "flip rate %g must be in [0, 1/2) (robust DPO)",
                        o->flip_rate);
    if (!(o->adamw.lr > 0) || !isfinite(o->adamw.lr))
        return TS_ERROR(e, TS_EINPUT, "learning rate %g must be positive",
                        o->adamw.lr);
    if (!(o->adamw.beta1 >= 0 && o->adamw.beta1 < 1) ||
        !(o->adamw.beta2 >= 0 && o->adamw.beta2 < 1))
        return TS_ERROR(e, TS_EINPUT, "AdamW betas (%g, %g) must be in [0, 1)",
                        o->adamw.beta1, o->adamw.beta2);
    if (!(o->adamw.eps > 0))
        return TS_ERROR(e, TS_EINPUT, "AdamW eps %g must be positive",
                        o->adamw.eps);
    if (!(o->adamw.weight_decay >= 0) ||
        !(o->adamw.lr * o->adamw.weight_decay < 1))
        return TS_ERROR(e, TS_EINPUT,
                        "weight decay %g must be >= 0 with lr * wd < 1",
                        o->adamw.weight_decay);
    if (o->batch_size < 1 || o->batch_size > 1 << 16)
        return TS_ERROR(e, TS_EINPUT, "batch size %d must be in [1, 65536]",
                        o->batch_size);
    if (o->epochs < 0)
        return TS_ERROR(e, TS_EINPUT, "epochs %d must be >= 0", o->epochs);
    if (o->nthreads < 0)
        return TS_ERROR(e, TS_EINPUT, "threads %d must be >= 0", o->nthreads);
    return TS_OK;
}

ts_dpo_trainer *ts_dpo_trainer_alloc(const ts_dpo_config *cfg,
                                     const real *init,
                                     const ts_dpo_options *o, int max_len,
                                     ts_err *e)
{
    if (ts_dpo_options_check(o, e) || ts_dpo_config_check(cfg, e))
        return NULL;
    if (max_len < 2 || max_len > cfg->max_seq_len) {
        TS_ERROR(e, TS_EINPUT,
                 "sequences of %d tokens do not fit the model's context of "
                 "%d (HINT: shorter prompts, or a model with a longer "
                 "context)",
                 max_len, cfg->max_seq_len);
        return NULL;
    }
    ts_dpo_trainer *tr = calloc(1, sizeof *tr);
    if (!tr) {
        TS_ERROR(e, TS_ENOMEM, "out of memory for the trainer");
        return NULL;
    }
    tr->opt = *o;
    tr->B_max = 2 * o->batch_size;
    tr->T_max = max_len;
    tr->m = ts_dpo_model_alloc(cfg, tr->B_max, tr->T_max, o->nthreads,
                               o->full ? TS_DPO_MODEL_GRADS : 0, e);
    if (!tr->m)
        goto fail;
    if (!o->full) {
        tr->lora = ts_dpo_lora_alloc(tr->m, o->lora_rank, o->lora_alpha,
                                     o->lora_dropout, o->lora_targets, e);
        if (!tr->lora)
            goto fail;
    }
    size_t BT = (size_t)tr->B_max * (size_t)tr->T_max;
    tr->init_params = malloc(tr->m->num_params * sizeof(real));
    tr->tok = malloc(BT * sizeof *tr->tok);
    tr->tgt = malloc(BT * sizeof *tr->tgt);
    tr->logp = malloc(BT * sizeof *tr->logp);
    tr->dlogp = malloc(BT * sizeof *tr->dlogp);
    tr->pair = malloc((size_t)tr->B_max * sizeof *tr->pair);
    tr->comp = malloc((size_t)tr->B_max * sizeof *tr->comp);
    if (!tr->init_params || !tr->tok || !tr->tgt || !tr->logp || !tr->dlogp ||
        !tr->pair || !tr->comp) {
        TS_ERROR(e, TS_ENOMEM, "out of memory for the trainer");
        goto fail;
    }
    if (init)
        memcpy(tr->m->params_memory, init, tr->m->num_params * sizeof(real));
    else
        ts_dpo_model_init_random(tr->m, o->seed);
    memcpy(tr->init_params, tr->m->params_memory,
           tr->m->num_params * sizeof(real));
    if (tr->lora)
        ts_dpo_lora_init(tr->lora, o->seed);
    return tr;
fail:
    ts_dpo_trainer_free(tr);
    return NULL;
}

void ts_dpo_trainer_free(ts_dpo_trainer *tr)
{
    if (!tr)
        return;
    ts_dpo_model_free(tr->m);
    ts_dpo_lora_free(tr->lora);
    free(tr->init_params);
    free(tr->tok);
    free(tr->tgt);
    free(tr->logp);
    free(tr->dlogp);
    free(tr->order);
    free(tr->pair);
    free(tr->comp);
    free(tr);
}

int ts_dpo_trainer_load(ts_dpo_trainer *tr, const char *path, ts_err *e)
{
    if (tr->step > 0)
        return TS_ERROR(e, TS_EINVAL, "load the initial model before training");
    int rc = ts_dpo_checkpoint_load(tr->m, path, e);
    if (rc)
        return rc;
    memcpy(tr->init_params, tr->m->params_memory,
           tr->m->num_params * sizeof(real));
    return TS_OK;
}

/* -------------------------------------------------------------- batches */

/* Lay out nseq sequences, prompt of pair[k] + completion comp[k], padded
 * to the longest; targets mark the completion tokens.  Returns seq_len. */
static int assemble(ts_dpo_trainer *tr, const ts_dpo_prefset *s,
                    const size_t *pair, const int *comp, int nseq, ts_err *e)
{
    int T = 0;
    for (int k = 0; k < nseq; k++) {
        int np, nc;
        ts_dpo_pair_prompt(s, pair[k], &np);
        ts_dpo_pair_completion(s, pair[k], comp[k], &nc);
        if (np + nc > tr->T_max)
            return -TS_ERROR(e, TS_EINPUT,
                             "%s:%d: prompt + completion is %d tokens, more "
                             "than the %d the trainer was sized for",
                             s->source ? s->source : "(preference set)",
                             s->line[pair[k]], np + nc, tr->T_max);
        if (np + nc > T)
            T = np + nc;
    }
    for (int k = 0; k < nseq; k++) {
        int np, nc;
        const int32_t *p = ts_dpo_pair_prompt(s, pair[k], &np);
        const int32_t *c = ts_dpo_pair_completion(s, pair[k], comp[k], &nc);
        int32_t *tok = tr->tok + (size_t)k * T, *tgt = tr->tgt + (size_t)k * T;
        memcpy(tok, p, (size_t)np * sizeof *tok);
        memcpy(tok + np, c, (size_t)nc * sizeof *tok);
        for (int t = np + nc; t < T; t++)
            tok[t] = 0;
        /* position t predicts token t+1; score completion tokens only */
        for (int t = 0; t < T; t++)
            tgt[t] = (t + 1 >= np && t + 1 < np + nc) ? tok[t + 1] : -1;
    }
    return T;
}

static double seq_logp(const ts_dpo_trainer *tr, int k, int T)
{
    double s = 0;
    for (int t = 0; t < T; t++)
        if (tr->tgt[(size_t)k * T + t] >= 0)
            s += tr->logp[(size_t)k * T + t];
    return s;
}

static void seq_dlogp(ts_dpo_trainer *tr, int k, int T, double g)
{
    for (int t = 0; t < T; t++)
        tr->dlogp[(size_t)k * T + t] = tr->tgt[(size_t)k * T + t] >= 0 ? g : 0;
}

static int forward(ts_dpo_trainer *tr, int nseq, int T, int policy, int train,
                   ts_err *e)
{
    return ts_dpo_forward(tr->m, tr->tok, tr->tgt, nseq, T,
                          policy ? tr->lora : NULL, train, (uint64_t)tr->step,
                          tr->logp, e);
}

/* Backward of the last forward with tr->dlogp, then one AdamW step. */
static int update(ts_dpo_trainer *tr, double lr, ts_err *e)
{
    ts_dpo_model *m = tr->m;
    ts_dpo_adamw a = tr->opt.adamw;
    a.lr = lr;
    if (tr->opt.full)
        ts_dpo_zero_grads(m);
    else
        ts_dpo_lora_zero_grads(tr->lora);
    int rc = ts_dpo_backward(m, tr->dlogp, tr->opt.full, e);
    if (rc)
        return rc;
    tr->step++;
    if (tr->opt.full)
        ts_dpo_adamw_step(m->params_memory, m->grads_memory, m->m_memory,
                          m->v_memory, m->num_params, &a, tr->step,
                          m->nthreads);
    else
        ts_dpo_adamw_step(tr->lora->params_memory, tr->lora->grads_memory,
                          tr->lora->m_memory, tr->lora->v_memory,
                          tr->lora->num_params, &a, tr->step, m->nthreads);
    return TS_OK;
}

int ts_dpo_trainer_logprobs(ts_dpo_trainer *tr, const ts_dpo_prefset *s,
                            int policy, double *lp_chosen,
                            double *lp_rejected, ts_err *e)
{
    int per = tr->B_max / 2;
    size_t *pair = tr->pair;
    int *comp = tr->comp;
    for (size_t i0 = 0; i0 < s->n; i0 += (size_t)per) {
        int nb = (int)(s->n - i0 < (size_t)per ? s->n - i0 : (size_t)per);
        for (int k = 0; k < nb; k++) {
            pair[2 * k] = pair[2 * k + 1] = i0 + (size_t)k;
            comp[2 * k] = 0;
            comp[2 * k + 1] = 1;
        }
        int T = assemble(tr, s, pair, comp, 2 * nb, e);
        if (T < 0)
            return -T;
        int rc = forward(tr, 2 * nb, T, policy, 0, e);
        if (rc)
            return rc;
        for (int k = 0; k < nb; k++) {
            lp_chosen[i0 + (size_t)k] = seq_logp(tr, 2 * k, T);
            lp_rejected[i0 + (size_t)k] = seq_logp(tr, 2 * k + 1, T);
        }
    }
    return TS_OK;
}

int ts_dpo_trainer_reference(ts_dpo_trainer *tr, ts_dpo_prefset *s, ts_err *e)
{
    if (tr->opt.full && tr->step > 0)
        return TS_ERROR(e, TS_EINVAL,
                        "under full fine-tuning the reference log-probs must "
                        "be cached before the first step (or after a reset)");
    int rc = ts_dpo_trainer_logprobs(tr, s, 0, s->ref_chosen, s->ref_rejected,
                                     e);
    s->ref_cached = rc == TS_OK;
    return rc;
}

/* Pair indices in a fresh order for each epoch: Fisher-Yates with the
 * Philox stream (seed, TS_DPO_POINT_SHUFFLE), slot = epochs so far. */
static int shuffle(ts_dpo_trainer *tr, size_t n, ts_err *e)
{
    if (n > tr->order_cap) {
        size_t *o = realloc(tr->order, n * sizeof *o);
        if (!o)
            return TS_ERROR(e, TS_ENOMEM, "out of memory");
        tr->order = o;
        tr->order_cap = n;
    }
    for (size_t i = 0; i < n; i++)
        tr->order[i] = i;
    ts_rng g;
    ts_rng_init(&g, tr->opt.seed, TS_DPO_POINT_SHUFFLE, 0, TS_STREAM_AUX);
    ts_rng_seek(&g, (uint64_t)tr->epochs_done);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = ts_rng_below(&g, (uint32_t)(i + 1));
        size_t t = tr->order[i];
        tr->order[i] = tr->order[j];
        tr->order[j] = t;
    }
    tr->epochs_done++;
    return TS_OK;
}

int ts_dpo_trainer_train(ts_dpo_trainer *tr, ts_dpo_prefset *s,
                         ts_dpo_metrics *metrics, ts_dpo_progress_fn fn,
                         void *ctx, ts_err *e)
{
    if (s->n == 0)
        return TS_ERROR(e, TS_EINPUT, "no preference pairs to train on");
    if (s->n > UINT32_MAX)
        return TS_ERROR(e, TS_EINPUT, "too many pairs");
    int rc;
    if (!s->ref_cached && (rc = ts_dpo_trainer_reference(tr, s, e)))
        return rc;
    const ts_dpo_options *o = &tr->opt;
    int bs = o->batch_size;
    long steps = (long)((s->n + (size_t)bs - 1) / (size_t)bs);
    size_t *pair = tr->pair;
    int *comp = tr->comp;
    for (int ep = 0; ep < o->epochs; ep++) {
        if ((rc = shuffle(tr, s->n, e)))
            return rc;
        ts_dpo_metrics sum = {0, 0, 0, 0, 0};
        size_t seen = 0;
        for (long st = 0; st < steps; st++) {
            size_t i0 = (size_t)st * (size_t)bs;
            int nb = (int)(s->n - i0 < (size_t)bs ? s->n - i0 : (size_t)bs);
            for (int k = 0; k < nb; k++) {
                pair[2 * k] = pair[2 * k + 1] = tr->order[i0 + (size_t)k];
                comp[2 * k] = 0;
                comp[2 * k + 1] = 1;
            }
            int T = assemble(tr, s, pair, comp, 2 * nb, e);
            if (T < 0)
                return -T;
            if ((rc = forward(tr, 2 * nb, T, 1, 1, e)))
                return rc;
            /* loss of the batch = mean over its pairs */
            for (int k = 0; k < nb; k++) {
                size_t i = pair[2 * k];
                ts_dpo_pair_loss pl;
                ts_dpo_pair(seq_logp(tr, 2 * k, T), seq_logp(tr, 2 * k + 1, T),
                            s->ref_chosen[i], s->ref_rejected[i], s->label[i],
                            o->beta, o->flip_rate, &pl);
                if (!isfinite(pl.loss))
                    return TS_ERROR(e, TS_ENONFINITE,
                                    "DPO loss is %g at pair %zu (line %d)",
                                    pl.loss, i, s->line[i]);
                seq_dlogp(tr, 2 * k, T, pl.dlogp_chosen / nb);
                seq_dlogp(tr, 2 * k + 1, T, pl.dlogp_rejected / nb);
                sum.loss += pl.loss;
                sum.rewards_chosen += pl.reward_chosen;
                sum.rewards_rejected += pl.reward_rejected;
                sum.rewards_accuracy += pl.reward_chosen > pl.reward_rejected;
                sum.rewards_margin += pl.reward_chosen - pl.reward_rejected;
            }
            seen += (size_t)nb;
            if ((rc = update(tr, o->adamw.lr, e)))
                return rc;
            if (o->stop && *o->stop)
                return TS_ERROR(e, TS_EINTR, "interrupted");
            if (fn) {
                double d = (double)seen;
                ts_dpo_progress p = {"dpo", ep + 1, o->epochs, st + 1, steps,
                                     {sum.loss / d, sum.rewards_chosen / d,
                                      sum.rewards_rejected / d,
                                      sum.rewards_accuracy / d,
                                      sum.rewards_margin / d}};
                fn(ctx, &p);
            }
        }
        if (metrics) {
            double d = (double)seen;
            metrics[ep].loss = sum.loss / d;
            metrics[ep].rewards_chosen = sum.rewards_chosen / d;
            metrics[ep].rewards_rejected = sum.rewards_rejected / d;
            metrics[ep].rewards_accuracy = sum.rewards_accuracy / d;
            metrics[ep].rewards_margin = sum.rewards_margin / d;
        }
    }
    return TS_OK;
}

/* The current policy becomes the initial model and the reference. */
static void rebase(ts_dpo_trainer *tr)
{
    ts_dpo_model *m = tr->m;
    if (tr->lora) {
        ts_dpo_lora_merge(tr->lora, m);
        ts_dpo_lora_init(tr->lora, tr->opt.seed);
    } else {
        memset(m->m_memory, 0, m->num_params * sizeof(real));
        memset(m->v_memory, 0, m->num_params * sizeof(real));
    }
    memcpy(tr->init_params, m->params_memory, m->num_params * sizeof(real));
    tr->step = 0;
}

int ts_dpo_trainer_sft(ts_dpo_trainer *tr, const ts_dpo_prefset *s,
                       int epochs, double lr, double *loss,
                       ts_dpo_progress_fn fn, void *ctx, ts_err *e)
{
    if (s->n == 0)
        return TS_ERROR(e, TS_EINPUT, "no pairs to fine-tune on");
    if (!(lr > 0))
        return TS_ERROR(e, TS_EINPUT, "SFT learning rate %g must be positive",
                        lr);
    int bs = tr->opt.batch_size, rc;
    long steps = (long)((s->n + (size_t)bs - 1) / (size_t)bs);
    size_t *pair = tr->pair;
    int *comp = tr->comp;
    for (int ep = 0; ep < epochs; ep++) {
        if ((rc = shuffle(tr, s->n, e)))
            return rc;
        double tot = 0;
        long ntok_all = 0;
        for (long st = 0; st < steps; st++) {
            size_t i0 = (size_t)st * (size_t)bs;
            int nb = (int)(s->n - i0 < (size_t)bs ? s->n - i0 : (size_t)bs);
            for (int k = 0; k < nb; k++) {
                pair[k] = tr->order[i0 + (size_t)k];
                comp[k] = s->label[pair[k]] >= 0.5 ? 0 : 1;
            }
            int T = assemble(tr, s, pair, comp, nb, e);
            if (T < 0)
                return -T;
            if ((rc = forward(tr, nb, T, 1, 1, e)))
                return rc;
            /* loss = -(1/ntok) sum over completion tokens of log p */
            long ntok = 0;
            double sum = 0;
            for (int i = 0; i < nb * T; i++)
                if (tr->tgt[i] >= 0) {
                    ntok++;
                    sum += tr->logp[i];
                }
            for (int i = 0; i < nb * T; i++)
                tr->dlogp[i] = tr->tgt[i] >= 0 ? -1.0 / (double)ntok : 0;
            tot -= sum;
            ntok_all += ntok;
            if ((rc = update(tr, lr, e)))
                return rc;
            if (tr->opt.stop && *tr->opt.stop)
                return TS_ERROR(e, TS_EINTR, "interrupted");
            if (fn) {
                ts_dpo_progress p = {"sft", ep + 1, epochs, st + 1, steps,
                                     {tot / (double)ntok_all, 0, 0, 0, 0}};
                fn(ctx, &p);
            }
        }
        if (loss)
            loss[ep] = tot / (double)ntok_all;
    }
    rebase(tr);
    return TS_OK;
}

int ts_dpo_trainer_reset(ts_dpo_trainer *tr, ts_err *e)
{
    (void)e;
    ts_dpo_model *m = tr->m;
    memcpy(m->params_memory, tr->init_params, m->num_params * sizeof(real));
    if (tr->lora)
        ts_dpo_lora_init(tr->lora, tr->opt.seed);
    else {
        memset(m->m_memory, 0, m->num_params * sizeof(real));
        memset(m->v_memory, 0, m->num_params * sizeof(real));
    }
    tr->step = 0;
    tr->epochs_done = 0;
    return TS_OK;
}

int ts_dpo_trainer_save(ts_dpo_trainer *tr, const char *path, ts_err *e)
{
    ts_dpo_model *m = tr->m;
    if (!tr->lora)
        return ts_dpo_checkpoint_save(m, path, tr->opt.stop, e);
    real *keep = malloc(m->num_params * sizeof(real));
    if (!keep)
        return TS_ERROR(e, TS_ENOMEM, "out of memory for the export");
    memcpy(keep, m->params_memory, m->num_params * sizeof(real));
    ts_dpo_lora_merge(tr->lora, m);
    int rc = ts_dpo_checkpoint_save(m, path, tr->opt.stop, e);
    memcpy(m->params_memory, keep, m->num_params * sizeof(real));
    free(keep);
    return rc;
}

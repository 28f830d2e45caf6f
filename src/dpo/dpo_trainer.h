/* dpo_trainer.h -- the library API of the DPO trainer (issue 6, item 8):
 * fine-tune a GPT-2 policy on an in-memory preference set with soft-label
 * DPO (SPEC §6), LoRA or full, and evaluate it.
 *
 * Typical use, e.g. by the engine after each round:
 *     ts_dpo_options o;  ts_dpo_options_default(&o);      paper's values
 *     tr = ts_dpo_trainer_alloc(&cfg, NULL, &o, max_len, &e);
 *     ts_dpo_trainer_reference(tr, train, &e);           cache ref log-probs
 *     ts_dpo_trainer_reference(tr, test, &e);
 *     ts_dpo_trainer_train(tr, train, metrics, NULL, NULL, &e);
 *     ts_dpo_trainer_evaluate(tr, test, &result, &e);
 *     ts_dpo_trainer_reset(tr, &e);                       next round
 *     ts_dpo_trainer_free(tr);
 * The reference policy is the initial model (or the model after SFT).
 * Results depend only on the data, the options (seed included) and the
 * initial weights -- not on the number of threads. */
#ifndef TS_DPO_TRAINER_H
#define TS_DPO_TRAINER_H

#include <signal.h>
#include <stdint.h>

#include "dpo/dpo_data.h"
#include "dpo/dpo_lora.h"
#include "dpo/dpo_model.h"
#include "dpo/dpo_optim.h"

typedef struct ts_dpo_options {
    double beta;           /* DPO temperature; paper 0.01               */
    double flip_rate;      /* robust DPO's eps in [0, 1/2); 0 = off      */
    ts_dpo_adamw adamw;    /* paper: lr 5e-5                             */
    int batch_size;        /* pairs per step; paper 8                    */
    int epochs;            /* paper: up to 3                             */
    int full;              /* 1: fine-tune every weight, no adapters     */
    int lora_rank;         /* paper 8                                    */
    double lora_alpha;     /* paper's "scale" 16; s = alpha / rank        */
    double lora_dropout;   /* paper 0.05                                 */
    unsigned lora_targets; /* TS_DPO_LORA_* bits                         */
    uint64_t seed;         /* weights (random init), adapters, dropout,
                              shuffling                                  */
    int nthreads;          /* 0: OpenMP's default                        */
    /* The caller's stop flag (set by its SIGINT/SIGTERM handler), polled
     * after each optimiser step: training then ends with TS_EINTR.  NULL:
     * never stops.  The library holds no flag of its own. */
    const volatile sig_atomic_t *stop;
} ts_dpo_options;

void ts_dpo_options_default(ts_dpo_options *o);
/* Refuse what cannot work (beta <= 0, lr <= 0, flip_rate >= 1/2, ...). */
int ts_dpo_options_check(const ts_dpo_options *o, ts_err *e);

/* Per-epoch means over the pairs seen, as TRL's DPOTrainer logs them. */
typedef struct ts_dpo_metrics {
    double loss;
    double rewards_chosen;   /* beta (log pi(y) - log ref(y))            */
    double rewards_rejected; /* beta (log pi(y') - log ref(y'))          */
    double rewards_accuracy; /* fraction with reward_chosen > rejected   */
    double rewards_margin;   /* reward_chosen - reward_rejected          */
} ts_dpo_metrics;

/* What a progress callback sees after each optimiser step. */
typedef struct ts_dpo_progress {
    const char *phase;       /* "sft" or "dpo"                           */
    int epoch, epochs;       /* epoch is 1-based                         */
    long step, steps;        /* within the epoch, 1-based                */
    ts_dpo_metrics running;  /* means over the epoch so far (SFT: loss)  */
} ts_dpo_progress;
typedef void (*ts_dpo_progress_fn)(void *ctx, const ts_dpo_progress *p);

/* Classification by comparing log pi(chosen|x) and log pi(rejected|x)
 * (SPEC §6, " BUSY" vs " IDLE"). */
typedef struct ts_dpo_eval {
    size_t n;
    double accuracy;           /* policy right                            */
    double reference_accuracy; /* reference right                         */
    double win_rate;           /* policy right and reference wrong (SPEC §6) */
} ts_dpo_eval;

typedef struct ts_dpo_trainer {
    ts_dpo_options opt;
    ts_dpo_model *m;
    ts_dpo_lora *lora;        /* NULL under full fine-tuning              */
    ts_dpo_real *init_params; /* [num_params] the reference, for reset    */
    long step;                /* AdamW steps taken (t)                    */
    long epochs_done;         /* shuffling draws are indexed by this      */
    int B_max, T_max;         /* sequences and tokens per forward pass    */
    int32_t *tok, *tgt;       /* [B_max*T_max] batch being assembled      */
    double *logp, *dlogp;     /* [B_max*T_max]                            */
    size_t *pair;             /* [B_max] pair of each sequence in a batch */
    int *comp;                /* [B_max] its completion: 0 chosen, 1 rej. */
    size_t *order;            /* [n] shuffled pair indices (grown)        */
    size_t order_cap;
} ts_dpo_trainer;

/* A trainer whose model has config cfg and starts from init (num_params
 * floats in checkpoint order) or, if init is NULL, from GPT-2's random
 * initialisation with o->seed.  Sequences may be up to max_len tokens
 * (<= maxT; it sizes the activations). */
ts_dpo_trainer *ts_dpo_trainer_alloc(const ts_dpo_config *cfg,
                                     const ts_dpo_real *init,
                                     const ts_dpo_options *o, int max_len,
                                     ts_err *e);
void ts_dpo_trainer_free(ts_dpo_trainer *tr);

/* Load a checkpoint (dpo_checkpoint.h) as the initial model.  Must be
 * called before training; it also becomes the reference. */
int ts_dpo_trainer_load(ts_dpo_trainer *tr, const char *path, ts_err *e);

/* Cache log ref(chosen|prompt), log ref(rejected|prompt) for every pair.
 * Under full fine-tuning this must happen before the first step. */
int ts_dpo_trainer_reference(ts_dpo_trainer *tr, ts_dpo_prefset *s, ts_err *e);

/* Supervised fine-tuning on each pair's preferred completion (chosen if
 * label >= 1/2, else rejected): mean next-token cross-entropy over the
 * completion tokens.  The result becomes the new reference and initial
 * model (adapters merged into the base), so reference caches made before
 * it are stale: call it first.  AdamW as in the options but with learning
 * rate lr.  loss[epoch] (may be NULL) receives each epoch's mean loss. */
int ts_dpo_trainer_sft(ts_dpo_trainer *tr, const ts_dpo_prefset *s,
                       int epochs, double lr, double *loss,
                       ts_dpo_progress_fn fn,
                       void *ctx, ts_err *e);

/* opt.epochs epochs of DPO on s (reference cached on the way if it is not
 * yet); metrics[epoch] (may be NULL) receives the per-epoch means. */
int ts_dpo_trainer_train(ts_dpo_trainer *tr, ts_dpo_prefset *s,
                         ts_dpo_metrics *metrics, ts_dpo_progress_fn fn,
                         void *ctx, ts_err *e);

/* Sequence log-probabilities of every pair's two completions under the
 * policy (policy != 0: base + adapters) or the base model alone, without
 * dropout.  lp_chosen, lp_rejected: [s->n]. */
int ts_dpo_trainer_logprobs(ts_dpo_trainer *tr, const ts_dpo_prefset *s,
                            int policy, double *lp_chosen,
                            double *lp_rejected, ts_err *e);

/* Accuracy, reference accuracy and win-rate on a test set whose labels are
 * 0 or 1 and whose reference log-probs are cached. */
int ts_dpo_trainer_evaluate(ts_dpo_trainer *tr, const ts_dpo_prefset *test,
                            ts_dpo_eval *out, ts_err *e);

/* Back to the initial model: weights, fresh adapters, optimiser state. */
int ts_dpo_trainer_reset(ts_dpo_trainer *tr, ts_err *e);

/* Save the policy as a checkpoint, adapters merged into the base. */
int ts_dpo_trainer_save(ts_dpo_trainer *tr, const char *path, ts_err *e);

#endif

/* e2e.c -- the end-to-end loop of e2e.h (paper Sec. VII-B; SPEC §6).
 *
 * The slot itself is game/slot.h's ts_slot_step, as in the engine; here
 * only what is particular to the experiment: the test draws, the prompt
 * texts, the preference sets and the trainer.  Symbols as slot.h: N SUs,
 * m prompts, p true states, pv verified, q beliefs, r reports, A labels. */
#define _POSIX_C_SOURCE 200809L
#include "e2e/e2e.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rng.h"
#include "base/streams.h"
#include "game/slot.h"
#include "games/games.h"
#include "games/spectrum.h"

#define TEXT_LEN 256

/* The completions the policy chooses between (SPEC §6). */
static const char *const BUSY = " BUSY", *const IDLE = " IDLE";

uint32_t ts_e2e_test_point(uint32_t point)
{
    return ts_hash_str(ts_hash_bytes(TS_HASH_INIT, &point, sizeof point),
                       "e2e-test");
}

/* CPU seconds of the calling thread: on a shared machine wall time
 * measures the neighbours (a trainer with nthreads > 1 is undercounted). */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Everything one run holds. */
typedef struct run {
    const ts_e2e_config *c;
    ts_mech mech;
    ts_pop pop;
    ts_shape g;
    ts_rng rs, rb, rv, ts_, tb, sel;
    double *p, *pv, *q, *r, *rl, *A, *rh, *hl, *theta, *logw, *share, *pt;
    int *sel_i;
    unsigned char *sst; /* [N][sst_stride] strategy states                 */
    size_t sst_stride;
    void *swork;
    ts_params spar;
    int k, limited;
    ts_dpo_tokenizer *tok;
    ts_dpo_trainer *tr;
} run;

static void run_free(run *z)
{
    if (z->swork && z->c->strat->work_free)
        z->c->strat->work_free(z->swork);
    ts_dpo_trainer_free(z->tr);
    ts_dpo_tokenizer_free(z->tok);
    ts_mech_free(&z->mech);
    ts_pop_free(&z->pop);
    free(z->p);
    free(z->sst);
    free(z->sel_i);
}

/* The trainer's seed: one per (seed, point, replica), so replicas differ
 * in their random reference model, adapters, dropout and batch order. */
static uint64_t dpo_seed(const ts_e2e_config *c)
{
    uint32_t h = ts_hash_bytes(TS_HASH_INIT, &c->point, sizeof c->point);
    h = ts_hash_bytes(h, &c->replica, sizeof c->replica);
    return c->seed * 0x9E3779B97F4A7C15ull + ((uint64_t)h << 1) + 1;
}

static int run_strategies(run *z, ts_err *e)
{
    const ts_e2e_config *c = z->c;
    const ts_strategy_type *s = c->strat;
    if (c->strat_par)
        z->spar = *c->strat_par;
    else
        ts_params_init(&z->spar, s->n_params);
    int rc = ts_owner_resolve(&s->owner, &z->g, &z->spar, e);
    if (rc)
        return rc;
    z->sst_stride = s->state_size ? s->state_size(&z->g) : 0;
    z->sst = calloc((size_t)c->N, z->sst_stride ? z->sst_stride : 1);
    if (!z->sst)
        return TS_ERROR(e, TS_ENOMEM, "e2e: out of memory");
    for (int i = 0; i < c->N && s->init; i++) {
        rc = s->init(z->sst + (size_t)i * z->sst_stride, &z->g, &z->spar,
                         i, e);
        if (rc)
            return rc;
    }
    if (s->work_alloc)
        return s->work_alloc(&z->swork, c->mech, &z->g, &z->spar, e);
    return TS_OK;
}

static int run_alloc(run *z, const ts_e2e_config *c, ts_err *e)
{
    memset(z, 0, sizeof *z);
    z->c = c;
    /* The prompts are the population's texts (game.h); the loop knows it
     * only through them. */
    if (!c->pop->prompt_text)
        return TS_ERROR(e, TS_EINPUT, "e2e: population %s has no prompt "
                        "texts (prompt_text, game.h), so it cannot drive the "
                        "loop", c->pop->name);
    if ((c->pop == &ts_pop_deepsense) != (c->data != NULL))
        return TS_ERROR(e, TS_EINPUT, "e2e: %s", c->data
                        ? "a data set is for population deepsense only"
                        : "population deepsense needs a data set");
    if (c->N < 1 || c->m < 1 || c->m_test < 1 || c->T < 1)
        return TS_ERROR(e, TS_EINPUT, "e2e: N, m, m_test and rounds must be "
                        ">= 1");
    if (c->dpo.full)
        return TS_ERROR(e, TS_EINPUT, "e2e: full fine-tuning is not offered "
                        "(the reference of later rounds would move); use LoRA");
    z->g = (ts_shape){c->N, c->m > c->m_test ? c->m : c->m_test, c->T,
                      c->mech->feedback};
    int rc = ts_mech_alloc(&z->mech, c->mech, &z->g, c->mech_par, e);
    if (!rc)
        rc = ts_pop_alloc(&z->pop, c->pop, &z->g, c->pop_par, e);
    if (!rc && c->data)
        rc = ts_deepsense_attach(z->pop.st, c->data, e);
    if (rc)
        return rc;
    const size_t N = (size_t)c->N, m = (size_t)z->g.m;
    z->p = calloc(5 * m + 3 * N * m + 6 * N, sizeof *z->p);
    z->sel_i = calloc(N, sizeof *z->sel_i);
    if (!z->p || !z->sel_i)
        return TS_ERROR(e, TS_ENOMEM, "e2e: out of memory");
    double *at = z->p;
    z->p = at; at += m;
    z->pv = at; at += m;
    z->A = at; at += m;
    z->pt = at; at += m;
    at += m;
    z->q = at; at += N * m;
    z->r = at; at += N * m;
    z->rh = at; at += N * m;
    z->rl = at; at += N;
    z->hl = at; at += N;
    z->theta = at; at += N;
    z->logw = at; at += N;
    z->share = at; at += N;
    z->limited = c->mech->feedback == TS_LIMITED;
    z->k = ts_step_k(c->mech, &z->g, &z->mech.par);
    ts_rng_init(&z->rs, c->seed, c->point, c->replica, TS_STREAM_STATE);
    ts_rng_init(&z->rb, c->seed, c->point, c->replica, TS_STREAM_BELIEF);
    ts_rng_init(&z->rv, c->seed, c->point, c->replica, TS_STREAM_VERIFY);
    const uint32_t tp = ts_e2e_test_point(c->point);
    ts_rng_init(&z->ts_, c->seed, tp, c->replica, TS_STREAM_STATE);
    ts_rng_init(&z->tb, c->seed, tp, c->replica, TS_STREAM_BELIEF);
    ts_rng_init(&z->sel, c->seed, ts_mech_stream_id(c->point, c->mech->name),
                c->replica, TS_STREAM_SELECT);
    rc = run_strategies(z, e);
    if (rc)
        return rc;
    z->tok = ts_dpo_tokenizer_builtin(e);
    if (!z->tok)
        return e->code ? e->code : TS_ENOMEM;
    ts_dpo_options o = c->dpo;
    o.seed = dpo_seed(c);
    o.nthreads = c->nthreads;
    z->tr = ts_dpo_trainer_alloc(&c->model, NULL, &o, c->model.max_seq_len, e);
    if (!z->tr)
        return e->code ? e->code : TS_ENOMEM;
    if (c->init)
        return ts_dpo_trainer_load(z->tr, c->init, e);
    return TS_OK;
}

/* Prompt j of the slot drawn last, as the policy reads it. */
static int prompt(const run *z, int j, char *buf, ts_err *e)
{
    int rc = z->pop.type->prompt_text(z->pop.st, j, buf, TEXT_LEN - 16, e);
    if (!rc)
        strcat(buf, ". Channel:");
    return rc;
}

/* draw() has no ts_err (game.h): say which population failed. */
static int draw_failed(const run *z, long t, int rc, ts_err *e)
{
    return TS_ERROR(e, rc, "e2e: population %s failed to draw round %ld "
                    "(code %d)", z->pop.type->name, t, rc);
}

/* Round t's test set: labels 1 when the channel is busy (" BUSY" right). */
static int test_set(run *z, long t, ts_dpo_prefset *s, ts_err *e)
{
    const int mt = z->c->m_test;
    ts_rng_seek(&z->ts_, (uint64_t)t);
    ts_rng_seek(&z->tb, (uint64_t)t);
    int rc = z->pop.type->draw(z->pop.st, t, mt, &z->ts_, &z->tb, z->pt, z->q);
    if (rc)
        return draw_failed(z, t, rc, e);
    char buf[TEXT_LEN];
    for (int j = 0; j < mt && !rc; j++) {
        rc = prompt(z, j, buf, e);
        if (!rc)
            rc = ts_dpo_prefset_add(s, z->tok, buf, BUSY, IDLE, z->pt[j], 0, e);
    }
    return rc;
}

/* Stage I: every SU's report (truthful: r = q). */
static int reports(run *z, long t, int m, ts_err *e)
{
    const ts_e2e_config *c = z->c;
    if (c->strat->identity) {
        memcpy(z->r, z->q, (size_t)c->N * (size_t)m * sizeof *z->r);
        return TS_OK;
    }
    if (z->limited)
        ts_step_theta(c->mech, z->mech.st, c->N, z->k, z->theta);
    c->mech->log_weights(z->mech.st, z->logw);
    ts_shares_from_log(c->N, z->logw, z->share);
    for (int i = 0; i < c->N; i++) {
        ts_strategy_ctx ctx = {
            .mech = c->mech, .mech_state = z->mech.st,
            .mech_params = &z->mech.par, .shape = &z->g, .t = t, .i = i,
            .share = z->share[i], .theta = z->limited ? z->theta[i] : 1.0,
            .epsilon = c->epsilon, .work = z->swork,
        };
        ts_rng sr;
        ts_rng_init(&sr, c->seed,
                    ts_strategy_stream_id(c->point, c->mech->name,
                                          c->strat->name, i),
                    c->replica, TS_STREAM_STRATEGY);
        ts_rng_seek(&sr, (uint64_t)t);
        int rc = c->strat->report(z->sst + (size_t)i * z->sst_stride,
                                  &z->spar, &ctx, m, z->q + (size_t)i * m,
                                  z->r + (size_t)i * m, &sr, e);
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* Stages I-III of training slot t (slot.h): labels in z->A, pairs in s. */
static int game_slot(run *z, long t, ts_dpo_prefset *s, ts_e2e_round *out,
                     ts_e2e_timing *tm, ts_err *e)
{
    const ts_e2e_config *c = z->c;
    const int m = c->m;
    double t0 = now();
    ts_rng_seek(&z->rs, (uint64_t)t);
    ts_rng_seek(&z->rb, (uint64_t)t);
    ts_rng_seek(&z->rv, (uint64_t)t);
    int rc = z->pop.type->draw(z->pop.st, t, m, &z->rs, &z->rb, z->p, z->q);
    if (rc)
        return draw_failed(z, t, rc, e);
    /* Prop. 3: each verified state flipped with probability epsilon. */
    for (int j = 0; j < m; j++) {
        double u = ts_rng_u01(&z->rv);
        z->pv[j] = c->epsilon > 0 && u < c->epsilon ? 1.0 - z->p[j] : z->p[j];
    }
    if (!rc)
        rc = reports(z, t, m, e);
    int bad = 0;
    if (!rc)
        ts_sq_loss_rows(z->r, c->N, m, z->p, z->rl, &bad);
    if (!rc && bad)
        rc = TS_ERROR(e, TS_EINVAL, "e2e: a strategy reported outside [0,1] "
                      "in round %ld", t);
    double t1 = now();
    if (z->limited)
        ts_step_theta(c->mech, z->mech.st, c->N, z->k, z->theta);
    ts_step st = {
        .t = t, .N = c->N, .m = m, .r = z->r, .p = z->p, .pv = z->pv,
        .rl = z->rl, .theta = z->limited ? z->theta : NULL, .k = z->k,
        .draw = z->limited ? &z->sel : NULL, .rh = z->rh, .sel = z->sel_i,
        .hl = z->hl, .A = z->A,
    };
    if (!rc) {
        rc = ts_slot_step(c->mech, z->mech.st, &st, e);
        if (rc == TS_ENOCONV) /* labels usable (slot.h); play on */
            rc = TS_OK;
    }
    double t2 = now();
    if (tm) {
        tm->simulation += t1 - t0;
        tm->aggregation += t2 - t1;
    }
    double right = 0;
    for (int j = 0; j < m; j++)
        right += z->A[j] == 0.5 ? 0.5 : (z->A[j] > 0.5) == (z->p[j] == 1);
    out->label_accuracy = right / m;
    out->label_mse = st.L;
    char buf[TEXT_LEN];
    for (int j = 0; j < m && !rc; j++) {
        rc = prompt(z, j, buf, e);
        if (!rc)
            rc = ts_dpo_prefset_add(s, z->tok, buf, BUSY, IDLE, z->A[j], 0, e);
    }
    return rc;
}

/* Round t: test set, game slot, fine-tuning, evaluation. */
static int round_run(run *z, long t, ts_e2e_round *out, ts_e2e_timing *tm,
                     ts_err *e)
{
    ts_dpo_prefset *test = ts_dpo_prefset_alloc(e);
    ts_dpo_prefset *train = test ? ts_dpo_prefset_alloc(e) : NULL;
    int rc = train ? TS_OK : TS_ENOMEM;
    double t0 = now();
    if (!rc)
        rc = test_set(z, t, test, e);
    if (tm)
        tm->simulation += now() - t0;
    if (!rc)
        rc = game_slot(z, t, train, out, tm, e);
    t0 = now();
    if (!rc && z->c->restart && t > 0)
        rc = ts_dpo_trainer_reset(z->tr, e);
    ts_dpo_metrics *mt = NULL;
    const int ep = z->tr->opt.epochs;
    if (!rc && !(mt = calloc((size_t)ep, sizeof *mt)))
        rc = TS_ERROR(e, TS_ENOMEM, "e2e: out of memory");
    if (!rc)
        rc = ts_dpo_trainer_train(z->tr, train, mt, NULL, NULL, e);
    if (!rc) {
        out->dpo = mt[ep - 1];
        rc = ts_dpo_trainer_reference(z->tr, test, e);
    }
    ts_dpo_eval ev;
    if (!rc)
        rc = ts_dpo_trainer_evaluate(z->tr, test, &ev, e);
    if (!rc) {
        out->win_rate = ev.win_rate;
        out->test_accuracy = ev.accuracy;
        out->reference_accuracy = ev.reference_accuracy;
    }
    if (tm)
        tm->dpo += now() - t0;
    free(mt);
    ts_dpo_prefset_free(train);
    ts_dpo_prefset_free(test);
    return rc;
}

int ts_e2e_run(const ts_e2e_config *c, ts_e2e_round *out, ts_e2e_timing *tm,
               ts_err *e)
{
    run z;
    int rc = run_alloc(&z, c, e);
    for (long t = 0; t < c->T && !rc; t++)
        rc = round_run(&z, t, out + t, tm, e);
    run_free(&z);
    return rc;
}

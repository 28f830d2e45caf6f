/* test_train.c -- the trainer converges where theory says it must, and is
 * bitwise reproducible (issue 6, item 7).
 *
 *  - scalar margin: with h = beta theta and theta the only parameter,
 *    gradient descent on the soft-label DPO loss reaches sigma(h) = A;
 *  - AdamW's first step, by hand;
 *  - SFT takes a tiny model to 100 % accuracy on a toy task that needs
 *    attention (is token 5 anywhere in the prompt?);
 *  - DPO on labels A = 1 raises the chosen completion's margin over the
 *    reference; on A = 1/2 it stays at the reference (the loss is flat at
 *    h = 0 there: dL/dh = -(A - sigma(0)) = 0);
 *  - the same seed gives the same bits, with 1 thread or 2;
 *  - pinned per-epoch losses of one small run. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpo/dpo.h"
#include "base/rng.h"

typedef ts_dpo_real real;

static void test_scalar_margin(void **state)
{
    (void)state;
    /* L(theta) = loss_A(beta theta); dL/dtheta = beta dL/dh.  L is
     * (beta^2/4)-smooth in theta, so steps of 4/beta^2 never overshoot;
     * the loss is strictly convex where sigma' > 0, so the fixed point
     * sigma(h) = A is reached. */
    const double beta = 0.01, As[4] = {0.385, 0.5, 0.73, 0.9};
    for (int k = 0; k < 4; k++) {
        double theta = 0, A = As[k];
        for (int it = 0; it < 400; it++) {
            double d;
            ts_dpo_loss_soft(beta * theta, A, &d);
            theta -= (4 / (beta * beta)) * beta * d;
        }
        assert_true(fabs(ts_dpo_sigmoid(beta * theta) - A) < 1e-9);
    }
    /* Robust DPO undoes label noise: if the true preference is 0.7 and
     * labels flip with eps = 0.1, the observed mean label is
     * 0.7 * 0.9 + 0.3 * 0.1 = 0.66.  Plain DPO would settle at
     * sigma(h) = 0.66; the debiased loss, whose derivative is
     * sigma - (A - eps)/(1 - 2 eps), settles at the true 0.7. */
    double theta = 0;
    for (int it = 0; it < 400; it++) {
        double d;
        ts_dpo_loss_robust(beta * theta, 0.66, 0.1, &d);
        theta -= (4 / (beta * beta)) * beta * d;
    }
    assert_true(fabs(ts_dpo_sigmoid(beta * theta) - 0.7) < 1e-9);
}

static void test_adamw_step(void **state)
{
    (void)state;
    /* t = 1: m-hat = g, v-hat = g^2, so p1 = p0 (1 - lr wd) - lr g/(|g|+eps).
     * p0 = 0.385, g = -0.25, lr = 0.01, wd = 0.1:
     * 0.385 * 0.999 + 0.01 * 0.25/(0.25 + 1e-8) = 0.394614999... */
    real p = 0.385f, g = -0.25f, m = 0, v = 0;
    ts_dpo_adamw o = {0.01, 0.9, 0.999, 1e-8, 0.1};
    ts_dpo_adamw_step(&p, &g, &m, &v, 1, &o, 1, 1);
    assert_true(fabs(p - 0.394614999600) < 1e-6);
    assert_true(fabs(m - 0.1 * -0.25) < 1e-7);
    assert_true(fabs(v - 0.001 * 0.0625) < 1e-9);
}

/* ------------------------------------------------------------ toy task */

/* Prompts of 6 tokens drawn from 3..12; the answer is token 1 ("BUSY") if
 * token 5 occurs in the prompt, else token 2 ("IDLE"). */
static ts_dpo_prefset *toy_set(uint32_t point, int n, double soft,
                               int alternate)
{
    ts_err e;
    ts_dpo_prefset *s = ts_dpo_prefset_alloc(&e);
    assert_non_null(s);
    ts_rng g;
    ts_rng_init(&g, 77, point, 0, TS_STREAM_AUX);
    for (int i = 0; i < n; i++) {
        int32_t p[6];
        int has = 0;
        for (int k = 0; k < 6; k++) {
            /* half the prompts hold a 5, half do not */
            p[k] = 3 + (int32_t)ts_rng_below(&g, 10);
            if (p[k] == 5 && i % 2)
                p[k] = 6;
            has |= p[k] == 5;
        }
        if (i % 2 == 0 && !has)
            p[ts_rng_below(&g, 6)] = 5, has = 1;
        int32_t busy = 1, idle = 2;
        /* chosen = the right answer, rejected = the wrong one; the label
         * says how much the right one is preferred */
        int32_t c = has ? busy : idle, r = has ? idle : busy;
        /* alternate: swap the sides on every other pair of pairs, so that
         * "chosen" carries no information of its own */
        if (alternate && i % 4 >= 2)
            assert_int_equal(ts_dpo_prefset_add_tokens(s, p, 6, &r, 1, &c, 1,
                                                       1 - soft, 0, &e),
                             TS_OK);
        else
            assert_int_equal(ts_dpo_prefset_add_tokens(s, p, 6, &c, 1, &r, 1,
                                                       soft, 0, &e),
                             TS_OK);
    }
    return s;
}

static const ts_dpo_config tiny = {16, 16, 16, 2, 2, 32};

static ts_dpo_trainer *tiny_trainer(int full, double dropout, int nthreads,
                                    double lr, int epochs)
{
    ts_dpo_options o;
    ts_dpo_options_default(&o);
    o.full = full;
    o.lora_rank = 4;
    o.lora_dropout = dropout;
    o.adamw.lr = lr;
    o.epochs = epochs;
    o.batch_size = 8;
    o.beta = 0.1;
    o.seed = 2024;
    o.nthreads = nthreads;
    ts_err e;
    ts_err_clear(&e);
    ts_dpo_trainer *tr = ts_dpo_trainer_alloc(&tiny, NULL, &o, 8, &e);
    if (!tr)
        print_error("%s\n", e.msg);
    assert_non_null(tr);
    return tr;
}

static void test_sft_toy(void **state)
{
    (void)state;
    ts_err e;
    ts_dpo_prefset *train = toy_set(1, 96, 1, 1), *test = toy_set(2, 40, 1, 1);
    ts_dpo_trainer *tr = tiny_trainer(1, 0, 0, 5e-3, 0);
    double loss[60];
    assert_int_equal(ts_dpo_trainer_sft(tr, train, 60, 5e-3, loss, NULL, NULL,
                                        &e), TS_OK);
    /* cross-entropy of a 16-way guess is log 16 = 2.77; at the end the
     * answer is nearly certain */
    assert_true(loss[0] > 0.6);
    assert_true(loss[59] < 0.05);
    assert_int_equal(ts_dpo_trainer_reference(tr, test, &e), TS_OK);
    ts_dpo_eval ev;
    for (size_t i = 0; i < test->n; i++)
        test->label[i] = test->label[i] >= 0.5;
    assert_int_equal(ts_dpo_trainer_evaluate(tr, test, &ev, &e), TS_OK);
    assert_int_equal(ev.n, 40);
    assert_true(ev.accuracy == 1.0);
    /* after SFT the policy is the reference: no wins by definition */
    assert_true(ev.reference_accuracy == 1.0 && ev.win_rate == 0);
    ts_dpo_trainer_free(tr);
    ts_dpo_prefset_free(train);
    ts_dpo_prefset_free(test);
}

/* Mean policy-minus-reference margin over a set:
 * (log pi(y) - log ref(y)) - (log pi(y') - log ref(y')). */
static double mean_margin(ts_dpo_trainer *tr, ts_dpo_prefset *s)
{
    ts_err e;
    double *lc = malloc(s->n * sizeof *lc), *lr = malloc(s->n * sizeof *lr);
    assert_int_equal(ts_dpo_trainer_logprobs(tr, s, 1, lc, lr, &e), TS_OK);
    double m = 0;
    for (size_t i = 0; i < s->n; i++)
        m += (lc[i] - s->ref_chosen[i]) - (lr[i] - s->ref_rejected[i]);
    free(lc);
    free(lr);
    return m / (double)s->n;
}

static void test_dpo_direction(void **state)
{
    (void)state;
    ts_err e;
    /* A = 1: chosen is always preferred */
    ts_dpo_prefset *hard = toy_set(3, 64, 1, 0);
    ts_dpo_trainer *tr = tiny_trainer(0, 0.05, 0, 3e-3, 6);
    ts_dpo_metrics mt[6];
    assert_int_equal(ts_dpo_trainer_train(tr, hard, mt, NULL, NULL, &e), TS_OK);
    double m1 = mean_margin(tr, hard);
    printf("margin after DPO on A = 1: %g; losses %g .. %g\n", m1, mt[0].loss,
           mt[5].loss);
    /* (log-prob units; the tiny random model learns the toy task slowly,
     * about 0.6 after 6 epochs) */
    assert_true(m1 > 0.3);
    /* TRL's metrics move the same way: loss falls below log 2, the
     * chosen reward rises above the rejected one */
    assert_true(mt[5].loss < log(2.0) - 0.01);
    assert_true(mt[5].rewards_margin > 0.03 && mt[5].rewards_accuracy > 0.7);
    assert_true(fabs(mt[5].rewards_margin -
                     (mt[5].rewards_chosen - mt[5].rewards_rejected)) < 1e-12);
    ts_dpo_trainer_free(tr);

    /* A = 1/2: no preference.  The policy starts at the reference (B = 0),
     * where h = 0 whatever the dropout mask and the A = 1/2 loss is flat
     * (dL/dh = -(1/2 - sigma(0)) = 0): every gradient is exactly zero and
     * the policy stays the reference, bit for bit. */
    ts_dpo_prefset *half = toy_set(3, 64, 0.5, 0);
    tr = tiny_trainer(0, 0.05, 0, 3e-3, 6);
    assert_int_equal(ts_dpo_trainer_train(tr, half, mt, NULL, NULL, &e), TS_OK);
    double mh = mean_margin(tr, half);
    printf("margin after DPO on A = 1/2: %g\n", mh);
    assert_true(mh == 0);
    /* at h = 0 with A = 1/2 the loss is log 2 */
    assert_true(fabs(mt[0].loss - log(2.0)) < 1e-3);
    ts_dpo_trainer_free(tr);

    /* full fine-tuning moves the margin the same way */
    tr = tiny_trainer(1, 0, 0, 1e-3, 4);
    hard->ref_cached = 0;
    assert_int_equal(ts_dpo_trainer_train(tr, hard, NULL, NULL, NULL, &e),
                     TS_OK);
    assert_true(mean_margin(tr, hard) > 0.3);
    /* the reference cannot be recomputed from a trained full model */
    assert_int_equal(ts_dpo_trainer_reference(tr, hard, &e), TS_EINVAL);
    ts_dpo_trainer_free(tr);
    ts_dpo_prefset_free(hard);
    ts_dpo_prefset_free(half);
}

/* Train and return a copy of the trained parameters (+ adapters). */
static real *train_copy(int full, int nthreads, size_t *n, double *loss)
{
    ts_err e;
    ts_dpo_prefset *s = toy_set(4, 40, 0.8, 1);
    ts_dpo_trainer *tr = tiny_trainer(full, 0.05, nthreads, 1e-2, 2);
    /* every kernel in parallel, however small, so that 2 threads really
     * split the work */
    tr->m->par_min_work = 0;
    ts_dpo_metrics mt[2];
    assert_int_equal(ts_dpo_trainer_train(tr, s, mt, NULL, NULL, &e), TS_OK);
    loss[0] = mt[0].loss;
    loss[1] = mt[1].loss;
    size_t np = tr->m->num_params, nl = tr->lora ? tr->lora->num_params : 0;
    real *out = malloc((np + nl) * sizeof *out);
    memcpy(out, tr->m->params_memory, np * sizeof *out);
    if (nl)
        memcpy(out + np, tr->lora->params_memory, nl * sizeof *out);
    *n = np + nl;
    ts_dpo_trainer_free(tr);
    ts_dpo_prefset_free(s);
    return out;
}

static void test_reproducible(void **state)
{
    (void)state;
    for (int full = 0; full < 2; full++) {
        size_t n1, n2, n3;
        double l1[2], l2[2], l3[2];
        real *a = train_copy(full, 2, &n1, l1);
        real *b = train_copy(full, 2, &n2, l2);
        real *c = train_copy(full, 1, &n3, l3);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1 * sizeof *a);
        /* each output element has one owner thread and one order of
         * operations: the thread count changes no bit */
        assert_memory_equal(a, c, n1 * sizeof *a);
        assert_memory_equal(l1, l3, sizeof l1);
        free(a), free(b), free(c);
    }
}

static void test_pinned_losses(void **state)
{
    (void)state;
    /* Per-epoch DPO losses of the LoRA run of test_reproducible (labels
     * 0.8, beta 0.1, seed 2024), recorded from this implementation.  Epoch
     * 1 starts at h = 0, so its loss is near log 2 = 0.693147; the pins
     * catch any change to the numerics (tolerance: libm differences). */
    size_t n;
    double l[2];
    real *a = train_copy(0, 0, &n, l);
    printf("pinned losses: %.9f %.9f\n", l[0], l[1]);
    assert_true(fabs(l[0] - 0.684856157) < 1e-5);
    assert_true(fabs(l[1] - 0.678529769) < 1e-5);
    free(a);
}

static void test_reset_and_save(void **state)
{
    (void)state;
    ts_err e;
    ts_dpo_prefset *s = toy_set(5, 24, 1, 1);
    ts_dpo_trainer *tr = tiny_trainer(0, 0, 0, 1e-2, 2);
    double *c0 = malloc(s->n * sizeof *c0), *r0 = malloc(s->n * sizeof *r0);
    double *c1 = malloc(s->n * sizeof *c1), *r1 = malloc(s->n * sizeof *r1);
    assert_int_equal(ts_dpo_trainer_logprobs(tr, s, 1, c0, r0, &e), TS_OK);
    assert_int_equal(ts_dpo_trainer_train(tr, s, NULL, NULL, NULL, &e), TS_OK);
    /* the export merges the adapters: a fresh model loaded from it gives
     * the policy's log-probs (to fp32 rounding of the merge) */
    const char *path = "test_dpo_export.bin";
    assert_int_equal(ts_dpo_trainer_save(tr, path, &e), TS_OK);
    assert_int_equal(ts_dpo_trainer_logprobs(tr, s, 1, c1, r1, &e), TS_OK);
    ts_dpo_trainer *t2 = tiny_trainer(0, 0, 0, 1e-2, 2);
    assert_int_equal(ts_dpo_trainer_load(t2, path, &e), TS_OK);
    double *c2 = malloc(s->n * sizeof *c2), *r2 = malloc(s->n * sizeof *r2);
    assert_int_equal(ts_dpo_trainer_logprobs(t2, s, 0, c2, r2, &e), TS_OK);
    for (size_t i = 0; i < s->n; i++)
        assert_true(fabs(c1[i] - c2[i]) < 1e-4 && fabs(r1[i] - r2[i]) < 1e-4);
    remove(path);
    /* reset: back to the initial policy, bit for bit */
    assert_int_equal(ts_dpo_trainer_reset(tr, &e), TS_OK);
    assert_int_equal(ts_dpo_trainer_logprobs(tr, s, 1, c1, r1, &e), TS_OK);
    assert_memory_equal(c0, c1, s->n * sizeof *c0);
    assert_memory_equal(r0, r1, s->n * sizeof *r0);
    free(c0), free(r0), free(c1), free(r1), free(c2), free(r2);
    ts_dpo_trainer_free(tr);
    ts_dpo_trainer_free(t2);
    ts_dpo_prefset_free(s);
}

static void test_bad_options(void **state)
{
    (void)state;
    ts_err e;
    ts_dpo_options o;
    ts_dpo_options_default(&o);
    /* the paper's values */
    assert_true(o.beta == 0.01 && o.adamw.lr == 5e-5 && o.batch_size == 8);
    assert_true(o.lora_rank == 8 && o.lora_alpha == 16 &&
                o.lora_dropout == 0.05 && o.epochs == 3);
    o.beta = 0;
    assert_int_equal(ts_dpo_options_check(&o, &e), TS_EINPUT);
    ts_dpo_options_default(&o);
    o.flip_rate = 0.5;
    assert_int_equal(ts_dpo_options_check(&o, &e), TS_EINPUT);
    ts_dpo_options_default(&o);
    o.lora_dropout = 1;
    assert_null(ts_dpo_trainer_alloc(&tiny, NULL, &o, 8, &e));
    assert_int_equal(e.code, TS_EINPUT);
    ts_dpo_options_default(&o);
    assert_null(ts_dpo_trainer_alloc(&tiny, NULL, &o, 17, &e));
    assert_int_equal(e.code, TS_EINPUT);
    /* too long a sequence for the trainer's capacity names the pair */
    ts_dpo_trainer *tr = ts_dpo_trainer_alloc(&tiny, NULL, &o, 4, &e);
    assert_non_null(tr);
    ts_dpo_prefset *s = toy_set(6, 4, 1, 1);
    assert_int_equal(ts_dpo_trainer_train(tr, s, NULL, NULL, NULL, &e),
                     TS_EINPUT);
    assert_non_null(strstr(e.msg, "7 tokens"));
    ts_dpo_trainer_free(tr);
    ts_dpo_prefset_free(s);
    ts_dpo_config cfg;
    assert_int_equal(ts_dpo_preset_config("huge", &cfg, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "small, medium, large, xl"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_margin),
        cmocka_unit_test(test_adamw_step),
        cmocka_unit_test(test_sft_toy),
        cmocka_unit_test(test_dpo_direction),
        cmocka_unit_test(test_reproducible),
        cmocka_unit_test(test_pinned_losses),
        cmocka_unit_test(test_reset_and_save),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

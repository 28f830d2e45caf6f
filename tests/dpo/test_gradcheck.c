/* test_gradcheck.c -- every backward pass of the DPO policy against central
 * finite differences (issue 6, item 7).
 *
 * This test is compiled with TS_DPO_F64, so the model runs in double:
 * with step 1e-6 the central difference has truncation error ~1e-12 f'''
 * and rounding error ~1e-10 relative, so agreement to 1e-6 means the analytic
 * gradient is right; a wrong term (a missing factor, a dropped branch) is
 * off by far more.  (In fp32 the same check could not resolve better than
 * ~1e-3.)
 *
 * Method, for each layer: draw inputs, a random cotangent R of the output's
 * shape, and check d/dx sum(out * R) against the backward pass fed dout = R.
 * Sizes are odd on purpose (11 x 37 x 45) so the edge tiles of the matmul
 * are covered as well as the full 8 x 32 ones. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpo/dpo_layers.h"
#include "dpo/dpo_lora.h"
#include "dpo/dpo_loss.h"
#include "dpo/dpo_model.h"
#include "base/rng.h"

#ifndef TS_DPO_F64
#error "test_gradcheck must be built with -DTS_DPO_F64"
#endif

typedef ts_dpo_real real;

#ifndef FD_H
#define FD_H 1e-6
#endif
#define FD_TOL 1e-6

/* Run a statement on a team of two threads, as model.c runs a pass: the
 * kernels' tasks are then shared between the threads. */
#ifdef _OPENMP
#define ON_TEAM(stmt)                                                      \
    do {                                                                   \
        _Pragma("omp parallel num_threads(2)") _Pragma("omp single")      \
        { stmt; }                                                          \
    } while (0)
#else
#define ON_TEAM(stmt)                                                      \
    do {                                                                   \
        stmt;                                                              \
    } while (0)
#endif

static void fill(real *x, size_t n, ts_rng *g, double scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = scale * (2 * ts_rng_u01(g) - 1);
}

static double dot(const real *a, const real *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* |a - n| <= tol * max(1, |a|, |n|): relative for large, absolute near 0 */
static void check_close(double analytic, double numeric, const char *what,
                        size_t i)
{
    double scale = fmax(1.0, fmax(fabs(analytic), fabs(numeric)));
    if (fabs(analytic - numeric) > FD_TOL * scale) {
        print_error("%s[%zu]: analytic %.12g, finite difference %.12g\n", what,
                    i, analytic, numeric);
        fail();
    }
}

static ts_dpo_ws make_ws(size_t per_thread, int nthreads)
{
    ts_dpo_ws ws;
    if (per_thread < TS_DPO_WS_MIN)
        per_thread = TS_DPO_WS_MIN;
    ws.per_thread = per_thread;
    ws.nthreads = nthreads;
    ws.par_min = 0; /* parallel regions even for these small sizes */
    /* room for the two threads of ON_TEAM whatever nthreads says */
    ws.scratch = calloc(per_thread * (size_t)(nthreads > 2 ? nthreads : 2),
                        sizeof(real));
    assert_non_null(ws.scratch);
    return ws;
}

/* ------------------------------------------------------------- matmul */

typedef struct mm_case {
    int BT, K, OC;
    const real *inp, *w, *bias, *R;
    real *out;
    const ts_dpo_ws *ws;
} mm_case;

static double mm_objective(const mm_case *c)
{
    ts_dpo_matmul_forward(c->out, c->inp, c->w, c->bias, c->BT, c->K, c->OC,
                          0, c->ws);
    return dot(c->out, c->R, (size_t)c->BT * c->OC);
}

static void fd_check(real *x, size_t n, const real *analytic,
                     double (*f)(const void *), const void *ctx,
                     const char *what)
{
    for (size_t i = 0; i < n; i++) {
        real keep = x[i];
        x[i] = keep + FD_H;
        double fp = f(ctx);
        x[i] = keep - FD_H;
        double fm = f(ctx);
        x[i] = keep;
        check_close(analytic[i], (fp - fm) / (2 * FD_H), what, i);
    }
}

static double mm_f(const void *c) { return mm_objective(c); }

static void matmul_case(int BT, int K, int OC, int nthreads)
{
    ts_rng g;
    ts_rng_init(&g, 11, 1, (uint32_t)(BT * 1000 + K), TS_STREAM_AUX);
    size_t ni = (size_t)BT * K, nw = (size_t)OC * K, no = (size_t)BT * OC;
    real *inp = malloc(ni * sizeof *inp), *w = malloc(nw * sizeof *w);
    real *bias = malloc((size_t)OC * sizeof *bias), *R = malloc(no * sizeof *R);
    real *out = malloc(no * sizeof *out);
    real *dinp = calloc(ni, sizeof *dinp), *dw = calloc(nw, sizeof *dw);
    real *db = calloc((size_t)OC, sizeof *db);
    fill(inp, ni, &g, 1);
    fill(w, nw, &g, 0.5);
    fill(bias, (size_t)OC, &g, 0.5);
    fill(R, no, &g, 1);
    ts_dpo_ws ws = make_ws((size_t)K * TS_DPO_NR, nthreads);
    /* The finite differences run on one thread (the kernels give the same
     * bits for any thread count; test_train checks that), which keeps
     * thousands of evaluations from forking on shared cores. */
    ts_dpo_ws ws1 = make_ws((size_t)K * TS_DPO_NR, 1);
    mm_case c = {BT, K, OC, inp, w, bias, R, out, &ws};
    ON_TEAM(mm_objective(&c));
    ON_TEAM(ts_dpo_matmul_backward(dinp, dw, db, R, inp, w, BT, K, OC, &ws));
    c.ws = &ws1;
    fd_check(inp, ni, dinp, mm_f, &c, "matmul dinp");
    fd_check(w, nw, dw, mm_f, &c, "matmul dw");
    fd_check(bias, (size_t)OC, db, mm_f, &c, "matmul dbias");
    mm_objective(&c); /* out as at the unperturbed point */
    /* Accumulation: a second backward adds the same again. */
    real d0 = dinp[3], w0 = dw[5];
    ON_TEAM(ts_dpo_matmul_backward(dinp, dw, NULL, R, inp, w, BT, K, OC, &ws));
    assert_true(fabs(dinp[3] - 2 * d0) <= 1e-12 * fabs(d0) + 1e-300);
    assert_true(fabs(dw[5] - 2 * w0) <= 1e-12 * fabs(w0) + 1e-300);
    /* accumulate mode adds x w^T without the bias */
    real *out2 = malloc(no * sizeof *out2);
    for (size_t i = 0; i < no; i++)
        out2[i] = 0.25;
    ts_dpo_matmul_forward(out2, inp, w, NULL, BT, K, OC, 1, &ws);
    for (int bt = 0; bt < BT; bt++)
        for (int o = 0; o < OC; o++)
            assert_true(fabs(out2[bt * OC + o] -
                             (0.25 + out[bt * OC + o] - bias[o])) < 1e-12);
    free(out2);
    free(ws.scratch);
    free(ws1.scratch);
    free(inp), free(w), free(bias), free(R), free(out), free(dinp), free(dw);
    free(db);
}

static void test_matmul(void **state)
{
    (void)state;
    matmul_case(11, 37, 45, 2);  /* edge tiles only */
    matmul_case(16, 64, 64, 2);  /* full 8 x 32 tiles */
    matmul_case(19, 40, 70, 2);  /* both */
    matmul_case(37, 40, 5, 2);   /* narrow forward (OC <= 16), 16-row tiles
                                    and a remainder of 5 rows */
    matmul_case(35, 9, 45, 2);   /* narrow input and weight gradients */
}

/* Hand-computed: [1 2; 3 4] [[5 6]; [7 8]]^T + [0.5 -0.5] */
static void test_matmul_known(void **state)
{
    (void)state;
    real inp[4] = {1, 2, 3, 4}, w[4] = {5, 6, 7, 8}, b[2] = {0.5, -0.5};
    real out[4];
    ts_dpo_ws ws = make_ws(2 * TS_DPO_NR, 1);
    ts_dpo_matmul_forward(out, inp, w, b, 2, 2, 2, 0, &ws);
    /* row 0: 1*5+2*6 = 17, 1*7+2*8 = 23; row 1: 3*5+4*6 = 39, 3*7+4*8 = 53 */
    assert_true(out[0] == 17.5 && out[1] == 22.5);
    assert_true(out[2] == 39.5 && out[3] == 52.5);
    free(ws.scratch);
}

/* ---------------------------------------------------------- layernorm */

typedef struct ln_case {
    int BT, C;
    const real *inp, *w, *b, *R;
    real *out, *mean, *rstd;
    const ts_dpo_ws *ws;
} ln_case;

static double ln_f(const void *p)
{
    const ln_case *c = p;
    ts_dpo_layernorm_forward(c->out, c->mean, c->rstd, c->inp, c->w, c->b,
                             c->BT, c->C, c->ws);
    return dot(c->out, c->R, (size_t)c->BT * c->C);
}

static void test_layernorm(void **state)
{
    (void)state;
    int BT = 5, C = 37;
    size_t n = (size_t)BT * C;
    ts_rng g;
    ts_rng_init(&g, 12, 1, 0, TS_STREAM_AUX);
    real *inp = malloc(n * sizeof(real)), *R = malloc(n * sizeof(real));
    real *out = malloc(n * sizeof(real)), *dinp = calloc(n, sizeof(real));
    real w[37], b[37], dw[37] = {0}, db[37] = {0}, mean[5], rstd[5];
    fill(inp, n, &g, 2);
    fill(R, n, &g, 1);
    fill(w, (size_t)C, &g, 1);
    fill(b, (size_t)C, &g, 1);
    ts_dpo_ws ws = make_ws(1, 2), ws1 = make_ws(1, 1);
    ln_case c = {BT, C, inp, w, b, R, out, mean, rstd, &ws};
    ON_TEAM(ln_f(&c));
    ON_TEAM(ts_dpo_layernorm_backward(dinp, dw, db, R, inp, w, mean, rstd, BT,
                                      C, &ws));
    c.ws = &ws1;
    fd_check(inp, n, dinp, ln_f, &c, "layernorm dinp");
    fd_check(w, (size_t)C, dw, ln_f, &c, "layernorm dw");
    fd_check(b, (size_t)C, db, ln_f, &c, "layernorm db");
    /* A normalised row has mean 0 and variance 1/(1 + eps/var). */
    ts_dpo_layernorm_forward(out, mean, rstd, inp, (real[37]){
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, (real[37]){0}, BT, C, &ws);
    double s = 0;
    for (int i = 0; i < C; i++)
        s += out[i];
    assert_true(fabs(s) < 1e-12);
    free(ws.scratch);
    free(ws1.scratch);
    free(inp), free(R), free(out), free(dinp);
}

/* ---------------------------------------------------------- attention */

typedef struct att_case {
    int B, T, C, NH;
    const real *qkv, *R;
    real *out, *att;
    const ts_dpo_ws *ws;
} att_case;

static double att_f(const void *p)
{
    const att_case *c = p;
    ts_dpo_attention_forward(c->out, c->att, c->qkv, c->B, c->T, c->C, c->NH,
                             c->ws);
    return dot(c->out, c->R, (size_t)c->B * c->T * c->C);
}

static void test_attention(void **state)
{
    (void)state;
    int B = 2, T = 7, C = 12, NH = 3, hs = C / NH;
    size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C;
    ts_rng g;
    ts_rng_init(&g, 13, 1, 0, TS_STREAM_AUX);
    real *qkv = malloc(nq * sizeof(real)), *dqkv = malloc(nq * sizeof(real));
    real *R = malloc(no * sizeof(real)), *out = malloc(no * sizeof(real));
    real *att = malloc((size_t)B * NH * T * T * sizeof(real));
    fill(qkv, nq, &g, 1.5);
    fill(R, no, &g, 1);
    ts_dpo_ws ws = make_ws(ts_dpo_attention_scratch(T, hs), 2);
    ts_dpo_ws ws1 = make_ws(ts_dpo_attention_scratch(T, hs), 1);
    att_case c = {B, T, C, NH, qkv, R, out, att, &ws};
    ON_TEAM(att_f(&c));
    /* causal: row t of each head's attention sums to 1, zero above t */
    for (int t = 0; t < T; t++) {
        double s = 0;
        for (int t2 = 0; t2 < T; t2++)
            s += att[t * T + t2];
        assert_true(fabs(s - 1) < 1e-12);
        for (int t2 = t + 1; t2 < T; t2++)
            assert_true(att[t * T + t2] == 0);
    }
    /* position 0 attends only to itself: out_0 = v_0 */
    for (int i = 0; i < C; i++)
        assert_true(fabs(out[i] - qkv[2 * C + i]) < 1e-12);
    ON_TEAM(ts_dpo_attention_backward(dqkv, R, qkv, att, B, T, C, NH, &ws));
    c.ws = &ws1;
    fd_check(qkv, nq, dqkv, att_f, &c, "attention dqkv");
    free(ws.scratch);
    free(ws1.scratch);
    free(qkv), free(dqkv), free(R), free(out), free(att);
}

/* --------------------------------------------------------------- GELU */

typedef struct gelu_case {
    size_t n;
    const real *inp, *R;
    real *out;
    const ts_dpo_ws *ws;
} gelu_case;

static double gelu_f(const void *p)
{
    const gelu_case *c = p;
    ts_dpo_gelu_forward(c->out, c->inp, c->n, c->ws);
    return dot(c->out, c->R, c->n);
}

static void test_gelu(void **state)
{
    (void)state;
    size_t n = 41;
    ts_rng g;
    ts_rng_init(&g, 14, 1, 0, TS_STREAM_AUX);
    real inp[41], R[41], out[41], d[41];
    fill(inp, n, &g, 4);
    fill(R, n, &g, 1);
    ts_dpo_ws ws = make_ws(1, 1);
    gelu_case c = {n, inp, R, out, &ws};
    gelu_f(&c);
    ts_dpo_gelu_backward(d, inp, R, n, &ws);
    fd_check(inp, n, d, gelu_f, &c, "gelu");
    /* gelu(1) = 0.5 (1 + tanh(sqrt(2/pi) 1.044715)) = 0.841191990607...
     * (python: 0.5*(1+math.tanh(math.sqrt(2/math.pi)*1.044715))) */
    real one = 1, o;
    ts_dpo_gelu_forward(&o, &one, 1, &ws);
    assert_true(fabs(o - 0.8411919906082768) < 1e-12);
    free(ws.scratch);
}

/* ------------------------------------------------------- output head */

typedef struct head_case {
    int N, V, Vp;
    const real *logits0;
    real *logits, *lse;
    const int32_t *tgt;
    const double *c;
    double *logp;
    const ts_dpo_ws *ws;
} head_case;

static double head_f(const void *p)
{
    const head_case *h = p;
    ts_dpo_logprob_forward(h->lse, h->logp, h->logits0, h->tgt, h->N, h->V,
                           h->Vp, h->ws);
    double s = 0;
    for (int n = 0; n < h->N; n++)
        s += h->c[n] * h->logp[n];
    return s;
}

static void test_logprob(void **state)
{
    (void)state;
    int N = 3, V = 5, Vp = 8;
    real logits[24], work[24], lse[3];
    int32_t tgt[3] = {4, 0, 2};
    double c[3] = {0.7, -1.3, 0.385}, logp[3];
    ts_rng g;
    ts_rng_init(&g, 15, 1, 0, TS_STREAM_AUX);
    fill(logits, 24, &g, 3);
    ts_dpo_ws ws = make_ws(1, 1);
    head_case h = {N, V, Vp, logits, work, lse, tgt, c, logp, &ws};
    head_f(&h);
    memcpy(work, logits, sizeof logits);
    ts_dpo_logprob_backward(work, lse, tgt, c, N, V, Vp, &ws);
    fd_check(logits, 24, work, head_f, &h, "logprob dlogits");
    for (int n = 0; n < N; n++)
        for (int v = V; v < Vp; v++)
            assert_true(work[n * Vp + v] == 0);
    /* uniform logits: log p = -log V */
    real flat[8] = {0.3, 0.3, 0.3, 0.3, 0.3, 9, 9, 9};
    ts_dpo_logprob_forward(lse, logp, flat, tgt, 1, V, Vp, &ws);
    assert_true(fabs(logp[0] + log(5.0)) < 1e-12);
    free(ws.scratch);
}

/* ------------------------------------------------------ whole model */

/* A tiny seeded model; the objective is sum_n c_n log p_n with fixed
 * non-round weights c, i.e. any loss of dpo_loss.h linearised. */
typedef struct model_case {
    ts_dpo_model *m;
    ts_dpo_lora *lora;
    int32_t tok[14], tgt[14];
    double c[14], logp[14];
    int B, T;
} model_case;

static double model_f(const void *p)
{
    model_case *mc = (model_case *)p;
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_dpo_forward(mc->m, mc->tok, mc->tgt, mc->B, mc->T,
                                    mc->lora, 1, 3, mc->logp, &e),
                     TS_OK);
    double s = 0;
    for (int i = 0; i < mc->B * mc->T; i++)
        s += mc->c[i] * mc->logp[i];
    return s;
}

static void setup_model_case(model_case *mc, int with_lora, double dropout)
{
    ts_dpo_config cfg = {8, 23, 32, 2, 2, 16};
    ts_err e;
    ts_err_clear(&e);
    mc->B = 2;
    mc->T = 7;
    /* one thread: thousands of passes, each of which would otherwise fork
     * dozens of times (the parallel paths are checked per layer above and
     * for thread invariance in test_train) */
    mc->m = ts_dpo_model_alloc(&cfg, 2, 7, 1, TS_DPO_MODEL_GRADS, &e);
    assert_non_null(mc->m);
    ts_dpo_model_init_random(mc->m, 5);
    /* Random biases and LayerNorm gains: zeros and ones would hide terms. */
    ts_rng g;
    ts_rng_init(&g, 16, 1, 0, TS_STREAM_AUX);
    ts_dpo_params *p = &mc->m->params;
    size_t C = 16, L = 2;
    fill(p->ln1b, L * C, &g, 0.1);
    fill(p->qkvb, L * 3 * C, &g, 0.1);
    fill(p->attprojb, L * C, &g, 0.1);
    fill(p->fcb, L * 4 * C, &g, 0.1);
    fill(p->lnfb, C, &g, 0.1);
    for (size_t i = 0; i < L * C; i++)
        p->ln2w[i] = 1 + 0.3 * (2 * ts_rng_u01(&g) - 1);
    /* GPT-2's 0.02 init makes logits nearly flat; scale up so every
     * layer's contribution to the objective is well above rounding. */
    for (size_t i = 0; i < mc->m->num_params; i++)
        mc->m->params_memory[i] *= 8;
    for (int i = 0; i < 14; i++) {
        mc->tok[i] = (int32_t)ts_rng_below(&g, 23);
        mc->tgt[i] = (i % 7 >= 3) ? (int32_t)ts_rng_below(&g, 23) : -1;
        mc->c[i] = 2 * ts_rng_u01(&g) - 1;
    }
    mc->lora = NULL;
    if (with_lora) {
        mc->lora = ts_dpo_lora_alloc(mc->m, 3, 6.0, dropout, TS_DPO_LORA_ALL,
                                     &e);
        assert_non_null(mc->lora);
        ts_dpo_lora_init(mc->lora, 9);
        /* B = 0 at init would zero A's gradient; make it non-trivial. */
        fill(mc->lora->params.qkv_b, mc->lora->sizes[1], &g, 0.3);
        fill(mc->lora->params.proj_b, mc->lora->sizes[3], &g, 0.3);
    }
}

static void test_model_full(void **state)
{
    (void)state;
    model_case mc;
    setup_model_case(&mc, 0, 0);
    ts_err e;
    model_f(&mc);
    ts_dpo_zero_grads(mc.m);
    assert_int_equal(ts_dpo_backward(mc.m, mc.c, 1, &e), TS_OK);
    static const char *names[TS_DPO_NUM_PARAM_TENSORS] = {
        "wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
        "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb"};
    real *p = mc.m->params_memory, *gr = mc.m->grads_memory;
    for (int t = 0; t < TS_DPO_NUM_PARAM_TENSORS; t++) {
        /* every element of the small tensors, a stride of the large ones */
        size_t n = mc.m->param_sizes[t];
        size_t stride = n > 200 ? 7 : 1;
        for (size_t i = 0; i < n; i += stride) {
            real keep = p[i];
            p[i] = keep + FD_H;
            double fp = model_f(&mc);
            p[i] = keep - FD_H;
            double fm = model_f(&mc);
            p[i] = keep;
            check_close(gr[i], (fp - fm) / (2 * FD_H), names[t], i);
        }
        p += n;
        gr += n;
    }
    ts_dpo_model_free(mc.m);
}

static void test_model_lora(void **state)
{
    (void)state;
    model_case mc;
    /* with dropout: the mask is a function of (seed, step, layer), so the
     * finite differences see the same mask as the backward */
    setup_model_case(&mc, 1, 0.25);
    ts_err e;
    model_f(&mc);
    ts_dpo_lora_zero_grads(mc.lora);
    assert_int_equal(ts_dpo_backward(mc.m, mc.c, 0, &e), TS_OK);
    ts_dpo_lora *lo = mc.lora;
    real *p = lo->params_memory, *gr = lo->grads_memory;
    int nonzero = 0;
    for (size_t i = 0; i < lo->num_params; i++) {
        real keep = p[i];
        p[i] = keep + FD_H;
        double fp = model_f(&mc);
        p[i] = keep - FD_H;
        double fm = model_f(&mc);
        p[i] = keep;
        check_close(gr[i], (fp - fm) / (2 * FD_H), "lora", i);
        nonzero += fabs(gr[i]) > 1e-6;
    }
    assert_true(nonzero > (int)lo->num_params / 2);
    /* merge: base + adapters == merged base alone (no dropout in eval) */
    double lp1[14], lp2[14];
    assert_int_equal(ts_dpo_forward(mc.m, mc.tok, mc.tgt, 2, 7, lo, 0, 0, lp1,
                                    &e), TS_OK);
    ts_dpo_lora_merge(lo, mc.m);
    assert_int_equal(ts_dpo_forward(mc.m, mc.tok, mc.tgt, 2, 7, NULL, 0, 0,
                                    lp2, &e), TS_OK);
    for (int i = 0; i < 14; i++)
        assert_true(fabs(lp1[i] - lp2[i]) < 1e-10);
    ts_dpo_lora_free(lo);
    ts_dpo_model_free(mc.m);
}

/* --------------------------------------------------------------- DPO */

static void test_dpo_gradient(void **state)
{
    (void)state;
    /* dL/dh = -(A - sigma(h)) against finite differences of L, for soft,
     * hard and robust labels */
    double hs[5] = {-3.7, -0.385, 0, 0.385, 5.2};
    double As[4] = {0, 0.5, 0.73, 1};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 2; k++) {
                double eps = k ? 0.1 : 0, d;
                double h = hs[i], A = As[j];
                ts_dpo_loss_robust(h, A, eps, &d);
                double fp = ts_dpo_loss_robust(h + 1e-6, A, eps, NULL);
                double fm = ts_dpo_loss_robust(h - 1e-6, A, eps, NULL);
                assert_true(fabs(d - (fp - fm) / 2e-6) < 1e-8);
                if (!k)
                    assert_true(fabs(d + (A - ts_dpo_sigmoid(h))) < 1e-15);
            }
    /* Hand values (python: s = 1/(1+exp(-0.385)); 0.73*log1p(exp(-0.385))
     * + 0.27*(0.385 + log1p(exp(-0.385)))): at h = 0.385, A = 0.73,
     * sigma = 0.595078473866134, loss = 0.6230119932824318,
     * dL/dh = -(0.73 - sigma) = -0.134921526133866 */
    double d, l = ts_dpo_loss_soft(0.385, 0.73, &d);
    assert_true(fabs(l - 0.6230119932824318) < 1e-14);
    assert_true(fabs(d + 0.134921526133866) < 1e-14);
    /* at h = 0 the loss is log 2 whatever the label */
    assert_true(fabs(ts_dpo_loss_soft(0, 0.21, NULL) - log(2.0)) < 1e-15);
    /* through the pair: d/d logp = +-beta dL/dh */
    ts_dpo_pair_loss pl;
    ts_dpo_pair(-3.1, -4.4, -3.5, -3.9, 0.73, 0.01, 0, &pl);
    double h = 0.01 * ((-3.1 + 3.5) - (-4.4 + 3.9));
    assert_true(fabs(pl.h - h) < 1e-15);
    assert_true(fabs(pl.dlogp_chosen - 0.01 * -(0.73 - ts_dpo_sigmoid(h))) < 1e-15);
    assert_true(pl.dlogp_rejected == -pl.dlogp_chosen);
    assert_true(fabs(pl.reward_chosen - 0.004) < 1e-15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_known),
        cmocka_unit_test(test_matmul),
        cmocka_unit_test(test_layernorm),
        cmocka_unit_test(test_attention),
        cmocka_unit_test(test_gelu),
        cmocka_unit_test(test_logprob),
        cmocka_unit_test(test_model_full),
        cmocka_unit_test(test_model_lora),
        cmocka_unit_test(test_dpo_gradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

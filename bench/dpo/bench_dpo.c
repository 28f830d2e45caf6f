/* bench_dpo.c -- speed of a training step of the DPO trainer (issue 6,
 * item 9), beside llm.c's CPU trainer (train_gpt2.c, full fine-tuning:
 * forward + backward + AdamW, 4 sequences of 64 tokens) at the same
 * dimensions and thread count, measured in the same run (issue 15) when
 * TS_LLMC names its binary (llmc.c).
 *
 * Lines:
 *   full      full fine-tuning step, loss on every position (llm.c's work)
 *   lora-all  LoRA (r 8, qkv + proj) step, loss on every position
 *   lora-dpo  LoRA DPO step: 2 pairs = 4 sequences of 64 tokens whose
 *             last 8 tokens are the completion (only those are scored)
 * GFLOP/s counts the multiply-adds of ts_dpo_step_flops (2 per MAC);
 * "peak" is 115 GFLOP/s per thread, the FP32 figure the issue quotes.
 *
 * Usage: bench_dpo [--gpt2]   (--gpt2, or TS_DPO_BENCH_GPT2=1, adds GPT-2
 * 124M's dimensions: ~1 GB and seconds per step).  Without TS_LLMC the
 * llm.c column says so instead of quoting an old figure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dpo/dpo.h"
#include "base/rng.h"
#include "llmc.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define PEAK_PER_THREAD 115.0 /* GFLOP/s, FP32, from the issue */

typedef struct dims {
    const char *name;
    ts_dpo_config cfg;
} dims;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum { MODE_FULL, MODE_LORA_ALL, MODE_LORA_DPO };

#define MAX_STEPS 1000

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One training step; returns 0 or an error code. */
static int step(ts_dpo_model *m, ts_dpo_lora *lo, int mode, const int32_t *tok,
                const int32_t *tgt, double *logp, double *dlogp, int B, int T,
                long t, ts_err *e)
{
    int rc = ts_dpo_forward(m, tok, tgt, B, T, mode == MODE_FULL ? NULL : lo,
                            1, (uint64_t)t, logp, e);
    if (rc)
        return rc;
    size_t BT = (size_t)B * T;
    if (mode == MODE_LORA_DPO) {
        /* pairs (0,1), (2,3): DPO against a reference 0.1 below */
        for (int p = 0; p < B / 2; p++) {
            double lp[2] = {0, 0};
            for (int k = 0; k < 2; k++)
                for (int i = 0; i < T; i++)
                    lp[k] += logp[(size_t)(2 * p + k) * T + i];
            ts_dpo_pair_loss pl;
            ts_dpo_pair(lp[0], lp[1], lp[0] - 0.1, lp[1] + 0.1, 0.8, 0.01, 0,
                        &pl);
            for (int i = 0; i < T; i++) {
                dlogp[(size_t)(2 * p) * T + i] = pl.dlogp_chosen / (B / 2);
                dlogp[(size_t)(2 * p + 1) * T + i] = pl.dlogp_rejected / (B / 2);
            }
        }
    } else {
        for (size_t i = 0; i < BT; i++)
            dlogp[i] = -1.0 / (double)BT; /* mean cross-entropy */
    }
    ts_dpo_adamw a = {1e-4, 0.9, 0.999, 1e-8, 0.0};
    if (mode == MODE_FULL) {
        ts_dpo_zero_grads(m);
        if ((rc = ts_dpo_backward(m, dlogp, 1, e)))
            return rc;
        ts_dpo_adamw_step(m->params_memory, m->grads_memory, m->m_memory,
                          m->v_memory, m->num_params, &a, t, m->nthreads);
    } else {
        ts_dpo_lora_zero_grads(lo);
        if ((rc = ts_dpo_backward(m, dlogp, 0, e)))
            return rc;
        ts_dpo_adamw_step(lo->params_memory, lo->grads_memory, lo->m_memory,
                          lo->v_memory, lo->num_params, &a, t, m->nthreads);
    }
    return TS_OK;
}

static int bench(const dims *d, int nthreads, double llmc_ms)
{
    const int B = 4, T = 64, R = 8, completion = 8;
    ts_err e;
    ts_err_clear(&e);
    ts_dpo_model *m = ts_dpo_model_alloc(&d->cfg, B, T, nthreads,
                                         TS_DPO_MODEL_GRADS, &e);
    if (!m) {
        fprintf(stderr, "bench_dpo: %s\n", e.msg);
        return 1;
    }
    ts_dpo_model_init_random(m, 1);
    ts_dpo_lora *lo = ts_dpo_lora_alloc(m, R, 16, 0.05, TS_DPO_LORA_ALL, &e);
    if (!lo) {
        fprintf(stderr, "bench_dpo: %s\n", e.msg);
        ts_dpo_model_free(m);
        return 1;
    }
    ts_dpo_lora_init(lo, 1);
    size_t BT = (size_t)B * T;
    int32_t *tok = malloc(BT * sizeof *tok), *all = malloc(BT * sizeof *all);
    int32_t *cmp = malloc(BT * sizeof *cmp);
    double *logp = malloc(BT * sizeof *logp), *dlogp = malloc(BT * sizeof *dlogp);
    ts_rng g;
    ts_rng_init(&g, 1, 0, 0, TS_STREAM_AUX);
    for (size_t i = 0; i < BT; i++)
        tok[i] = (int32_t)ts_rng_below(&g, (uint32_t)d->cfg.vocab_size);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            size_t i = (size_t)b * T + t;
            int32_t next = t + 1 < T ? tok[i + 1]
                                     : (int32_t)ts_rng_below(&g, (uint32_t)d->cfg.vocab_size);
            all[i] = next;
            cmp[i] = t >= T - 1 - completion && t < T - 1 ? tok[i + 1] : -1;
        }
    static const char *const names[3] = {"full", "lora-all", "lora-dpo"};
    int rc = 0;
    for (int mode = 0; mode < 3 && !rc; mode++) {
        const int32_t *tgt = mode == MODE_LORA_DPO ? cmp : all;
        int N = 0;
        for (size_t i = 0; i < BT; i++)
            N += tgt[i] >= 0;
        long t = 1;
        /* warm up, then time single steps for about two seconds (3 to
         * MAX_STEPS of them).  The machine is shared: the median is the
         * figure, the minimum shows what an idle machine gives. */
        for (int w = 0; w < 2 && !rc; w++)
            rc = step(m, lo, mode, tok, tgt, logp, dlogp, B, T, t++, &e);
        double dt[MAX_STEPS], total = 0;
        int n = 0;
        while (!rc && n < MAX_STEPS && (n < 3 || total < 2.0)) {
            double t0 = now();
            rc = step(m, lo, mode, tok, tgt, logp, dlogp, B, T, t++, &e);
            dt[n] = now() - t0;
            total += dt[n++];
        }
        if (rc) {
            fprintf(stderr, "bench_dpo: %s\n", e.msg);
            break;
        }
        qsort(dt, (size_t)n, sizeof dt[0], cmp_double);
        double med = n % 2 ? dt[n / 2] : 0.5 * (dt[n / 2 - 1] + dt[n / 2]);
        double fl = ts_dpo_step_flops(&d->cfg, B, T, N,
                                      mode == MODE_FULL ? 0 : R,
                                      TS_DPO_LORA_ALL, mode == MODE_FULL);
        double gf = fl / med / 1e9;
        printf("%-6s %-8s %9.2f ms/step (min %8.2f) %8.0f tok/s %6.1f GFLOP/s "
               "%5.1f%% of peak",
               d->name, names[mode], 1e3 * med, 1e3 * dt[0], (double)BT / med,
               gf, 100 * gf / (PEAK_PER_THREAD * m->nthreads));
        if (llmc_ms > 0)
            printf(" | llm.c full %7.2f ms: %.2fx\n", llmc_ms,
                   llmc_ms / (1e3 * med));
        else
            printf("\n");
        fflush(stdout);
    }
    free(tok), free(all), free(cmp), free(logp), free(dlogp);
    ts_dpo_lora_free(lo);
    ts_dpo_model_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    /* The first three are the presets small, medium, large; maxT = 64 as
     * in the llm.c runs the bar comes from. */
    static const dims set[] = {
        {"small", {64, 512, 512, 2, 4, 64}},
        {"medium", {64, 512, 512, 4, 4, 128}},
        {"large", {64, 2048, 2048, 6, 8, 256}},
        {"gpt2", {1024, 50257, 50304, 12, 12, 768}},
    };
    int gpt2 = 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--gpt2") == 0)
            gpt2 = 1;
    const char *env = getenv("TS_DPO_BENCH_GPT2");
    if (env && strcmp(env, "1") == 0)
        gpt2 = 1;
    int nthreads = 1;
#ifdef _OPENMP
    nthreads = omp_get_max_threads();
#endif
    printf("DPO trainer step, B=4 x T=64, %d thread(s); peak = %.0f GFLOP/s "
           "x threads\n", nthreads, PEAK_PER_THREAD);
    const char *llmc = getenv("TS_LLMC");
    if (!llmc || !*llmc)
        printf("llm.c: not measured (TS_LLMC=PATH/train_gpt2 runs it here)\n");
    int rc = 0;
    for (int i = 0; i < 3 + gpt2 && !rc; i++) {
        /* llm.c first, then ours, dimension by dimension: the two figures
         * of a line are taken minutes apart at most. */
        double lmed = 0, lmin = 0;
        char msg[512];
        if (llmc && *llmc) {
            if (ts_bench_llmc(llmc, &set[i].cfg, nthreads, &lmed, &lmin, msg,
                              sizeof msg)) {
                fprintf(stderr, "bench_dpo: llm.c: %s\n", msg);
                return 1;
            }
            printf("%-6s llm.c    %9.2f ms/step (min %8.2f) %8.0f tok/s\n",
                   set[i].name, lmed, lmin, 256e3 / lmed);
        }
        rc = bench(&set[i], nthreads, lmed);
    }
    return rc;
}

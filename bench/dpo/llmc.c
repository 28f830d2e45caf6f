/* llmc.c -- time llm.c's CPU trainer (train_gpt2.c) at given dimensions,
 * in the same run as our trainer (issue 15, item 3).
 *
 * llm.c is not a Debian package, and none of its code is in this tree: the
 * user builds its `train_gpt2` and names the binary in TS_LLMC.  That
 * program takes no arguments; it reads, from its working directory,
 *   gpt2_124M.bin     a checkpoint: its header sets maxT, V, L, NH, C, Vp
 *                     (we write one of our random models, dpo_checkpoint.h);
 *   dev/data/tinyshakespeare/tiny_shakespeare_{train,val}.bin
 *                     token files: 256 int32 (magic 20240520, version 1,
 *                     count), then uint16 tokens;
 *   gpt2_tokenizer.bin  a tokenizer (256 uint32: magic 20240328, version 2,
 *                     V, end-of-text id; then V tokens of length + bytes):
 *                     without it the sampling at steps 20 and 40 starts from
 *                     an unset token id;
 * then runs 41 steps of B = 4 sequences of T = 64 tokens, full fine-tuning
 * (forward, backward, AdamW), printing "step S: train loss L (took X ms)".
 * The median of steps 1..40 is its figure. */
#define _POSIX_C_SOURCE 200809L

#include "llmc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/rng.h"
#include "base/streams.h"
#include "dpo/dpo_checkpoint.h"

enum { LLMC_STEPS = 41, NTOK = 65536 };

static int write_tokens(const char *path, int V, uint64_t seed)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int32_t h[256] = {20240520, 1, NTOK};
    int ok = fwrite(h, sizeof h[0], 256, f) == 256;
    ts_rng g;
    ts_rng_init(&g, seed, 0, 0, TS_STREAM_AUX);
    for (int i = 0; i < NTOK && ok; i++) {
        uint16_t t = (uint16_t)ts_rng_below(&g, (uint32_t)V);
        ok = fwrite(&t, sizeof t, 1, f) == 1;
    }
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int write_tokenizer(const char *path, int V)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint32_t h[256] = {20240328, 2, (uint32_t)V, (uint32_t)V - 1};
    int ok = fwrite(h, sizeof h[0], 256, f) == 256;
    for (int i = 0; i < V && ok; i++)
        ok = fputc(1, f) != EOF && fputc('a' + i % 26, f) != EOF;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* The files llm.c reads, under dir. */
static int lay_out(const char *dir, const ts_dpo_config *cfg, char *msg,
                   size_t len)
{
    char p[4096];
    ts_err e;
    ts_err_clear(&e);
    ts_dpo_model *m = ts_dpo_model_alloc(cfg, 1, 1, 1, 0, &e);
    if (!m) {
        snprintf(msg, len, "%s", e.msg);
        return -1;
    }
    ts_dpo_model_init_random(m, 1);
    snprintf(p, sizeof p, "%s/gpt2_124M.bin", dir);
    int rc = ts_dpo_checkpoint_save(m, p, NULL, &e);
    ts_dpo_model_free(m);
    if (rc) {
        snprintf(msg, len, "%s", e.msg);
        return -1;
    }
    const char *sub[] = {"/dev", "/dev/data", "/dev/data/tinyshakespeare"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", dir, sub[i]);
        if (mkdir(p, 0700) != 0)
            goto fail;
    }
    snprintf(p, sizeof p, "%s%s_train.bin", dir,
             "/dev/data/tinyshakespeare/tiny_shakespeare");
    if (write_tokens(p, cfg->vocab_size, 1))
        goto fail;
    snprintf(p, sizeof p, "%s%s_val.bin", dir,
             "/dev/data/tinyshakespeare/tiny_shakespeare");
    if (write_tokens(p, cfg->vocab_size, 2))
        goto fail;
    snprintf(p, sizeof p, "%s/gpt2_tokenizer.bin", dir);
    if (write_tokenizer(p, cfg->vocab_size))
        goto fail;
    return 0;
fail:
    snprintf(msg, len, "%s: %s", p, strerror(errno));
    return -1;
}

static void remove_tree(const char *dir)
{
    static const char *const files[] = {
        "/gpt2_124M.bin", "/gpt2_tokenizer.bin",
        "/dev/data/tinyshakespeare/tiny_shakespeare_train.bin",
        "/dev/data/tinyshakespeare/tiny_shakespeare_val.bin",
        "/dev/data/tinyshakespeare", "/dev/data", "/dev", ""};
    char p[4096];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s%s", dir, files[i]);
        remove(p);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Run bin in dir with nthreads OpenMP threads; the step times it prints. */
static int run(const char *bin, const char *dir, int nthreads, double *ms,
               int *n, char *msg, size_t len)
{
    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(msg, len, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, len, "fork: %s", strerror(errno));
        close(fd[0]), close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        char th[16];
        snprintf(th, sizeof th, "%d", nthreads);
        if (dup2(fd[1], STDOUT_FILENO) < 0 || chdir(dir) != 0 ||
            setenv("OMP_NUM_THREADS", th, 1) != 0)
            _exit(127);
        close(fd[0]), close(fd[1]);
        execl(bin, bin, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    char line[512];
    *n = 0;
    while (f && fgets(line, sizeof line, f)) {
        int s;
        float loss;
        double took;
        if (sscanf(line, "step %d: train loss %f (took %lf ms)", &s, &loss,
                   &took) == 3 && s >= 1 && *n < LLMC_STEPS)
            ms[(*n)++] = took;
    }
    if (f)
        fclose(f);
    else
        close(fd[0]);
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0 || *n == 0) {
        snprintf(msg, len, "%s did not run to the end (status %d, %d steps)",
                 bin, status, *n);
        return -1;
    }
    return 0;
}

int ts_bench_llmc(const char *bin, const ts_dpo_config *cfg, int nthreads,
                  double *median_ms, double *min_ms, char *msg, size_t len)
{
    char dir[] = "/tmp/ts-llmc-XXXXXX";
    if (!mkdtemp(dir)) {
        snprintf(msg, len, "mkdtemp: %s", strerror(errno));
        return -1;
    }
    double ms[LLMC_STEPS];
    int n = 0;
    int rc = lay_out(dir, cfg, msg, len);
    if (!rc)
        rc = run(bin, dir, nthreads, ms, &n, msg, len);
    remove_tree(dir);
    if (rc)
        return rc;
    qsort(ms, (size_t)n, sizeof ms[0], cmp_double);
    *median_ms = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
    *min_ms = ms[0];
    return 0;
}

/* checkpoint.c -- llm.c GPT-2 checkpoints (see dpo_checkpoint.h).
 *
 * The parameter block of dpo_model.h is the file's body, so load and save
 * are one read or write of num_params floats (converted when the model is
 * built in double for the gradient check).  Every way a file can be wrong
 * -- short, long, wrong magic, bf16, sizes that do not add up -- gets its
 * own message naming the file. */
#include "dpo/dpo_checkpoint.h"

#include <unistd.h>

#include "base/outfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HEADER_INTS 256

typedef ts_dpo_real real;

static int read_header(FILE *f, const char *path, ts_dpo_config *cfg,
                       ts_err *e)
{
    int32_t h[HEADER_INTS];
    size_t got = fread(h, sizeof(int32_t), HEADER_INTS, f);
    if (got != HEADER_INTS)
        return TS_ERROR(e, TS_EINPUT,
                        "%s: truncated: the header needs %d bytes, the file "
                        "has %zu",
                        path, HEADER_INTS * 4, got * 4);
    if (h[0] != TS_DPO_CKPT_MAGIC)
        return TS_ERROR(e, TS_EINPUT,
                        "%s: not a GPT-2 checkpoint (magic %d, expected %d; "
                        "HINT: llm.c's train_gpt2.py writes these files)",
                        path, h[0], TS_DPO_CKPT_MAGIC);
    if (h[1] != TS_DPO_CKPT_VERSION)
        return TS_ERROR(e, TS_EUNSUPP,
                        "%s: checkpoint version %d is not supported; truthsim "
                        "reads version 3 (fp32)%s",
                        path, h[1],
                        h[1] == 5 ? " (version 5 is bf16: export fp32)" : "");
    cfg->max_seq_len = h[2];
    cfg->vocab_size = h[3];
    cfg->num_layers = h[4];
    cfg->num_heads = h[5];
    cfg->channels = h[6];
    cfg->padded_vocab_size = h[7];
    ts_err sub;
    ts_err_clear(&sub);
    if (ts_dpo_config_check(cfg, &sub))
        return TS_ERROR(e, TS_EINPUT, "%s: bad header: %s", path, sub.msg);
    return TS_OK;
}

int ts_dpo_checkpoint_config(const char *path, ts_dpo_config *cfg, ts_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return TS_ERROR(e, TS_ENOINPUT, "%s: cannot open: %s", path,
                        strerror(errno));
    int rc = read_header(f, path, cfg, e);
    fclose(f);
    return rc;
}

int ts_dpo_checkpoint_load(ts_dpo_model *m, const char *path, ts_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return TS_ERROR(e, TS_ENOINPUT, "%s: cannot open: %s", path,
                        strerror(errno));
    ts_dpo_config cfg;
    int rc = read_header(f, path, &cfg, e);
    if (rc) {
        fclose(f);
        return rc;
    }
    if (memcmp(&cfg, &m->cfg, sizeof cfg) != 0) {
        fclose(f);
        return TS_ERROR(e, TS_EINPUT,
                        "%s: sizes (maxT %d V %d Vp %d L %d NH %d C %d) differ "
                        "from the model's (maxT %d V %d Vp %d L %d NH %d C %d)",
                        path, cfg.max_seq_len, cfg.vocab_size,
                        cfg.padded_vocab_size, cfg.num_layers, cfg.num_heads,
                        cfg.channels, m->cfg.max_seq_len, m->cfg.vocab_size,
                        m->cfg.padded_vocab_size, m->cfg.num_layers,
                        m->cfg.num_heads, m->cfg.channels);
    }
    struct stat st;
    size_t want = m->num_params * sizeof(float);
    if (fstat(fileno(f), &st) == 0 &&
        (size_t)st.st_size != HEADER_INTS * 4 + want) {
        fclose(f);
        size_t have = (size_t)st.st_size - HEADER_INTS * 4;
        return TS_ERROR(e, TS_EINPUT,
                        "%s: %s: the header's sizes need %zu parameters "
                        "(%zu bytes) after the header, the file has %zu bytes",
                        path, have < want ? "truncated" : "trailing data",
                        m->num_params, want, have);
    }
    size_t got;
#ifdef TS_DPO_F64
    float *buf = malloc(want);
    if (!buf) {
        fclose(f);
        return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", path);
    }
    got = fread(buf, sizeof(float), m->num_params, f);
    for (size_t i = 0; i < got; i++)
        m->params_memory[i] = buf[i];
    free(buf);
#else
    got = fread(m->params_memory, sizeof(float), m->num_params, f);
#endif
    fclose(f);
    if (got != m->num_params)
        return TS_ERROR(e, TS_EINPUT,
                        "%s: truncated: read %zu of %zu parameters", path, got,
                        m->num_params);
    return TS_OK;
}

int ts_dpo_checkpoint_save(const ts_dpo_model *m, const char *path,
                           const volatile sig_atomic_t *stop, ts_err *e)
{
    ts_outfile out; /* a safe temporary beside path (outfile.h) */
    FILE *f = NULL;
    int rc = ts_out_open_stream(&out, path, &f, e);
    if (rc)
        return rc;
    out.stop = stop;
    int32_t h[HEADER_INTS] = {0};
    h[0] = TS_DPO_CKPT_MAGIC;
    h[1] = TS_DPO_CKPT_VERSION;
    h[2] = m->cfg.max_seq_len;
    h[3] = m->cfg.vocab_size;
    h[4] = m->cfg.num_layers;
    h[5] = m->cfg.num_heads;
    h[6] = m->cfg.channels;
    h[7] = m->cfg.padded_vocab_size;
    int ok = fwrite(h, sizeof h, 1, f) == 1;
#ifdef TS_DPO_F64
    for (size_t i = 0; ok && i < m->num_params; i++) {
        float x = (float)m->params_memory[i];
        ok = fwrite(&x, sizeof x, 1, f) == 1;
    }
#else
    ok = ok && fwrite(m->params_memory, sizeof(float), m->num_params, f) ==
                   m->num_params;
#endif
    return ts_out_close_stream(&out, f, ok, e);
}

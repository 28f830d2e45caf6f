/* fuzz_checkpoint.c -- the DPO checkpoint reader (llm.c's GPT-2 format,
 * src/dpo/checkpoint.c): header, then, for a model small enough to
 * allocate here, the parameters. */
#include "fuzz/fuzz_util.h"

#include "dpo/dpo_checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ts_err e;
    ts_err_clear(&e);
    const char *path = fuzz_file(data, size);
    ts_dpo_config cfg;
    if (ts_dpo_checkpoint_config(path, &cfg, &e) != TS_OK)
        return 0;
    /* The file's size bounds what a load can need: skip headers whose
     * model would not fit in a fuzzer's memory (the loader refuses a short
     * file after allocating the model, which is the caller's memory). */
    double C = cfg.channels, L = cfg.num_layers;
    double n = (double)cfg.padded_vocab_size * C + (double)cfg.max_seq_len * C +
               L * 12.0 * C * C + L * 13.0 * C + 2.0 * C;
    if (n > 4e6 || cfg.max_seq_len > 1024)
        return 0;
    ts_dpo_model *m = ts_dpo_model_alloc(&cfg, 1, cfg.max_seq_len < 8 ? cfg.max_seq_len : 8,
                                         1, 0, &e);
    if (!m)
        return 0;
    (void)ts_dpo_checkpoint_load(m, path, &e);
    ts_dpo_model_free(m);
    return 0;
}

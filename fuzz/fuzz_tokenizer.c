/* fuzz_tokenizer.c -- the DPO tokenizer reader (llm.c's format,
 * src/dpo/tokenizer.c): a file that loads must encode and decode. */
#include "fuzz/fuzz_util.h"

#include "dpo/dpo_tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ts_err e;
    ts_err_clear(&e);
    ts_dpo_tokenizer *t = ts_dpo_tokenizer_load(fuzz_file(data, size), &e);
    if (!t)
        return 0;
    int32_t ids[64];
    int n = 0;
    if (ts_dpo_tokenizer_encode(t, "The cat sat.", ids, 64, &n, &e) == TS_OK)
        for (int k = 0; k < n; k++) {
            size_t len = 0;
            if (!ts_dpo_tokenizer_decode(t, ids[k], &len))
                abort(); /* an id it produced must decode */
        }
    size_t len;
    for (int id = -1; id <= t->vocab_size && id < 4096; id++)
        (void)ts_dpo_tokenizer_decode(t, id, &len);
    ts_dpo_tokenizer_free(t);
    return 0;
}

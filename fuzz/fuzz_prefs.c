/* fuzz_prefs.c -- the DPO preference CSV reader (src/dpo/data.c), with the
 * built-in tokenizer; the first byte chooses the test-set rule. */
#include "fuzz/fuzz_util.h"

#include "dpo/dpo_data.h"
#include "dpo/dpo_tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ts_dpo_tokenizer *tok;
    ts_err e;
    ts_err_clear(&e);
    if (!tok && !(tok = ts_dpo_tokenizer_builtin(&e)))
        abort();
    if (size < 1)
        return 0;
    ts_dpo_prefset *s = ts_dpo_prefset_alloc(&e);
    if (!s)
        return 0;
    if (ts_dpo_prefset_read_csv(s, tok, fuzz_file(data + 1, size - 1),
                                data[0] & 1, &e) == TS_OK)
        (void)ts_dpo_prefset_max_len(s);
    ts_dpo_prefset_free(s);
    return 0;
}

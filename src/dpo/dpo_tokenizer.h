/* dpo_tokenizer.h -- text to token ids for the DPO trainer (issue 6,
 * item 3).
 *
 * One representation serves two vocabularies: a table of token byte
 * strings, encoded by greedy longest match (at each position the longest
 * token that matches the text).
 *  - The built-in "sensing" vocabulary: the 256 single bytes (so any text
 *    encodes), <|endoftext|>, then words and two-digit number pieces of the
 *    spectrum-sensing prompts (SPEC §6: " BUSY", " IDLE", " band", " dB",
 *    ...).  It has fewer than 512 tokens, so it fits every preset.
 *  - GPT-2's vocabulary, read from llm.c's tokenizer file (header of 256
 *    int32: [0] magic 20240328, [1] version 1 or 2, [2] vocabulary size,
 *    [3] <|endoftext|> id in version 2; then per token a uint8 length and
 *    the bytes).  That file holds no merge ranks, so encoding by longest
 *    match is a stand-in for GPT-2's BPE: it yields valid GPT-2 ids, often
 *    but not always the ones BPE would choose.  Decoding is exact. */
#ifndef TS_DPO_TOKENIZER_H
#define TS_DPO_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define TS_DPO_TOK_MAGIC 20240328

typedef struct ts_dpo_tokenizer {
    int vocab_size;
    int eot;                 /* <|endoftext|> id, or -1                    */
    int max_len;             /* longest token, bytes                       */
    uint32_t *off;           /* [vocab_size + 1] into bytes                */
    unsigned char *bytes;    /* token strings, back to back                */
    int32_t *sorted;         /* [vocab_size] ids by (bytes, length)        */
} ts_dpo_tokenizer;

ts_dpo_tokenizer *ts_dpo_tokenizer_builtin(ts_err *e);
ts_dpo_tokenizer *ts_dpo_tokenizer_load(const char *path, ts_err *e);
/* Write in llm.c's format, version 2 (through path.tmp). */
int ts_dpo_tokenizer_save(const ts_dpo_tokenizer *t, const char *path,
                          ts_err *e);
void ts_dpo_tokenizer_free(ts_dpo_tokenizer *t);

/* Encode text; at most cap ids go to out, *n receives the count needed.
 * Fails (TS_EINPUT) on a byte no token covers or when cap is too small. */
int ts_dpo_tokenizer_encode(const ts_dpo_tokenizer *t, const char *text,
                            int32_t *out, int cap, int *n, ts_err *e);
/* Bytes of token id (not NUL-terminated), length in *len; NULL if out of
 * range. */
const unsigned char *ts_dpo_tokenizer_decode(const ts_dpo_tokenizer *t,
                                             int id, size_t *len);

#endif

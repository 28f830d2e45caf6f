/* dpo_data.h -- preference sets: tokenised (prompt, chosen, rejected,
 * label) quadruples, from memory or from CSV (issue 6, item 8).
 *
 * label A = P(chosen > rejected) in [0, 1], the aggregated label of SPEC
 * §6; in a test set 1 means "chosen is correct" and 0 "rejected is".  The
 * reference policy's sequence log-probabilities are cached beside each
 * pair (ref_chosen, ref_rejected), computed once (trainer.c). */
#ifndef TS_DPO_DATA_H
#define TS_DPO_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "dpo/dpo_tokenizer.h"
#include "base/err.h"

typedef struct ts_dpo_prefset {
    size_t n, cap;
    int32_t *tok;           /* token pool                                  */
    size_t ntok, tokcap;
    size_t *off;            /* [n][4]: prompt, chosen, rejected, end in tok */
    double *label;          /* [n]                                         */
    int *line;              /* [n] CSV line of the record (0: in memory)   */
    double *ref_chosen;     /* [n] log ref(chosen | prompt)                */
    double *ref_rejected;   /* [n]                                         */
    int ref_cached;         /* are ref_* filled?                           */
    char *source;           /* file name for messages, or NULL             */
} ts_dpo_prefset;

ts_dpo_prefset *ts_dpo_prefset_alloc(ts_err *e);
void ts_dpo_prefset_free(ts_dpo_prefset *s);

/* Append one pair of token sequences; prompt and completions need >= 1
 * token, label must lie in [0, 1]. */
int ts_dpo_prefset_add_tokens(ts_dpo_prefset *s, const int32_t *prompt,
                              int np, const int32_t *chosen, int nc,
                              const int32_t *rejected, int nr, double label,
                              int line, ts_err *e);
/* Append one pair of texts, tokenised with t. */
int ts_dpo_prefset_add(ts_dpo_prefset *s, const ts_dpo_tokenizer *t,
                       const char *prompt, const char *chosen,
                       const char *rejected, double label, int line,
                       ts_err *e);

/* Read a CSV with header prompt,chosen,rejected,label (RFC 4180 quoting:
 * fields may hold commas, newlines and "" for a quote).  test != 0 asks
 * that every label be 0 or 1.  Errors read "FILE:LINE: reason". */
int ts_dpo_prefset_read_csv(ts_dpo_prefset *s, const ts_dpo_tokenizer *t,
                            const char *path, int test, ts_err *e);

/* Tokens of pair i: prompt, completion c (0 chosen, 1 rejected). */
static inline const int32_t *ts_dpo_pair_prompt(const ts_dpo_prefset *s,
                                                size_t i, int *n)
{
    *n = (int)(s->off[4 * i + 1] - s->off[4 * i]);
    return s->tok + s->off[4 * i];
}
static inline const int32_t *ts_dpo_pair_completion(const ts_dpo_prefset *s,
                                                    size_t i, int c, int *n)
{
    *n = (int)(s->off[4 * i + 2 + c] - s->off[4 * i + 1 + c]);
    return s->tok + s->off[4 * i + 1 + c];
}
/* Longest prompt + completion in the set, in tokens. */
int ts_dpo_prefset_max_len(const ts_dpo_prefset *s);

#endif

/* dpo_checkpoint.h -- model checkpoints in llm.c's GPT-2 format (issue 6,
 * item 2), so GPT-2 124M weights exported by llm.c load as they are.
 *
 * Format (little-endian): a header of 256 int32 -- [0] magic 20240326,
 * [1] version 3 (fp32), [2] maxT, [3] V, [4] L, [5] NH, [6] C, [7] Vp, the
 * rest 0 -- then the 16 parameter tensors of dpo_model.h as fp32, in
 * order.  Version 5 (bf16) is refused with a message. */
#ifndef TS_DPO_CHECKPOINT_H
#define TS_DPO_CHECKPOINT_H

#include <signal.h>

#include "dpo/dpo_model.h"

#define TS_DPO_CKPT_MAGIC 20240326
#define TS_DPO_CKPT_VERSION 3

/* Read and check the header; cfg receives the sizes. */
int ts_dpo_checkpoint_config(const char *path, ts_dpo_config *cfg, ts_err *e);
/* Load the parameters into m, whose config must equal the file's. */
int ts_dpo_checkpoint_load(ts_dpo_model *m, const char *path, ts_err *e);
/* Write m's parameters to path (through a temporary, renamed when
 * complete and no stop was asked for: *stop set gives TS_EINTR and no
 * file; stop may be NULL). */
int ts_dpo_checkpoint_save(const ts_dpo_model *m, const char *path,
                           const volatile sig_atomic_t *stop, ts_err *e);

#endif

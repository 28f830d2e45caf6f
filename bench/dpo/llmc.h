/* llmc.h -- llm.c's CPU trainer timed at our dimensions (llmc.c). */
#ifndef TS_BENCH_LLMC_H
#define TS_BENCH_LLMC_H

#include <stddef.h>

#include "dpo/dpo_model.h"

/* Write a random model of cfg and token files into a fresh directory, run
 * llm.c's train_gpt2 binary `bin` there on nthreads OpenMP threads (4 x 64
 * tokens a step, full fine-tuning) and return the median and the minimum of
 * its step times.  -1 with a message in msg on any failure. */
int ts_bench_llmc(const char *bin, const ts_dpo_config *cfg, int nthreads,
                  double *median_ms, double *min_ms, char *msg, size_t len);

#endif

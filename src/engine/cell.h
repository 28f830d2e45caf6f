/* cell.h -- the result cell that both engine paths write (replica.c one
 * replica at a time, lanes.c TS_LANES at once): carving a workspace out of
 * one block, noting a failure, and storing the end of a replica.  Private
 * to src/engine (not installed); depends on neither path.
 *
 * A cell is one (mechanism, strategy profile) pair of a replica; its slot
 * in every [cell][R] array of ts_point_result is idx = c * R + r. */
#ifndef TS_ENGINE_CELL_H
#define TS_ENGINE_CELL_H

#include "engine/engine.h"

/* Workspaces are one block carved into arrays, each starting on a cache
 * line (llm.c's pattern: a size table, then pointers into one block). */
#define TS_WS_ALIGN 64
static inline size_t ts_ws_round(size_t n)
{
    return (n + TS_WS_ALIGN - 1) / TS_WS_ALIGN * TS_WS_ALIGN;
}
/* One aligned block of sizes[0] + ... + sizes[n-1] bytes (each a multiple
 * of TS_WS_ALIGN), *ptrs[k] pointing at the k-th piece; NULL (and the
 * pointers untouched) when out of memory.  Free the block with free(). */
void *ts_ws_carve(const size_t *sizes, void **const *ptrs, size_t n);

/* Record code and msg (its first 255 bytes) as slot idx's failure, unless
 * a failure is already recorded there: the first one is kept, and only a
 * TS_ENOCONV note (a usable result) gives way to a later code. */
void ts_cell_fail(ts_point_result *res, size_t idx, int code, const char *msg);

/* The end of a replica for one cell, shared by both paths: final weights
 * and shares, regret = cum_loss - best, loss, best, diagnostics, into
 * result slot idx; logw and share ([N]) are left holding the cell's final
 * log weights and shares.  Returns TS_ENONFINITE (recorded in the slot)
 * if a weight is NaN or +inf, TS_OK otherwise. */
int ts_engine_store_cell(ts_point_result *res, size_t idx,
                         const ts_mechanism_type *mt, const void *mst,
                         double cum_loss, double best, double *logw,
                         double *share);

#endif

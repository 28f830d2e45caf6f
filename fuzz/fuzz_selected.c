/* fuzz_selected.c -- the replay's SELECTED.csv reader (src/replay).  The
 * first three bytes choose T, N and k; the rest is the file. */
#include "fuzz/fuzz_util.h"

#include "replay/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    long T = 1 + data[0] % 16;
    int N = 1 + data[1] % 8;
    int k = 1 + data[2] % N;
    int32_t *sel = malloc((size_t)T * (size_t)k * sizeof *sel);
    if (!sel)
        return 0;
    ts_err e;
    ts_err_clear(&e);
    if (ts_selected_read_csv(sel, T, N, k, fuzz_file(data + 3, size - 3), &e) == TS_OK)
        /* Each slot's k workers, increasing and in [0, N) (replay.h). */
        for (long t = 0; t < T; t++)
            for (int j = 0; j < k; j++) {
                int32_t w = sel[t * k + j];
                if (w < 0 || w >= N || (j && w <= sel[t * k + j - 1]))
                    abort();
            }
    free(sel);
    return 0;
}

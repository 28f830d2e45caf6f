/* fuzz_reports.c -- the replay's reports CSV reader (src/replay). */
#include "fuzz/fuzz_util.h"

#include "replay/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ts_err e;
    ts_err_clear(&e);
    ts_reports rp;
    memset(&rp, 0, sizeof rp);
    if (ts_reports_read_csv(&rp, fuzz_file(data, size), &e) == TS_OK) {
        /* What a reader that said yes promises (replay.h). */
        if (rp.T < 1 || rp.N < 1 || rp.M < 1)
            abort();
        ts_reports_free(&rp);
    }
    return 0;
}

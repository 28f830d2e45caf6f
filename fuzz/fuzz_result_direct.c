/* fuzz_result_direct.c -- plot's read pass (ts_plot_check) in this very
 * process, after the HDF5 signature check.  It is how the inputs that
 * crash or hang libhdf5 1.10 were found (tests/results/bad-h5/); such
 * crashes are not ours to fix, so this harness is not in the `fuzz` suite
 * (scripts/fuzz result_direct SECONDS runs it). */
#include "fuzz/fuzz_util.h"

#include <hdf5.h>

#include "cli/sandbox.h"
#include "results/plot.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    ts_err e;
    ts_err_clear(&e);
    if (ts_sandbox_sniff(path, NULL, &e) == TS_OK)
        (void)ts_plot_check(path, &e);
    return 0;
}

/* fuzz_result.c -- the result-file reader of `plot` and `merge` as the
 * commands use it (cli/sandbox.h): the HDF5 signature check, then the
 * whole read pass in a limited child.  The property: whatever the bytes,
 * this process gets a status back -- never a signal, never a hang -- and
 * a refusal is one line naming the file.  (fuzz_result_direct reads in
 * this process instead, to find the inputs that crash libhdf5.) */
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
    /* A hang is found in 2 s rather than the default 30. */
    setenv("TRUTHSIM_READ_TIMEOUT", "2", 0);
    return 0;
}

static int check(void *ctx, ts_sandbox *sb, ts_err *e)
{
    ts_sandbox_note(sb, ctx);
    return ts_plot_check(ctx, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    ts_err e;
    ts_err_clear(&e);
    long long bytes = 0;
    int rc = ts_sandbox_sniff(path, &bytes, &e);
    if (!rc)
        rc = ts_sandbox_run(path, check, (void *)path, ts_sandbox_timeout(bytes),
                            ts_sandbox_as_limit(bytes), NULL, &e);
    if (rc && (strncmp(e.msg, path, strlen(path)) || strchr(e.msg, '\n'))) {
        fprintf(stderr, "refusal not one line naming the file: %s\n", e.msg);
        abort();
    }
    return 0;
}

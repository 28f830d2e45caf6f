/* fuzz_util.h -- what the libFuzzer harnesses share (fuzz/README in the
 * top-level README's "Fuzzing" section).  Readers that take a path get the
 * input through a file of this process's own, made once with mkstemp. */
#ifndef TS_FUZZ_UTIL_H
#define TS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_path[256];

static inline void fuzz_unlink(void)
{
    unlink(fuzz_path);
}

/* Write data to this process's scratch file and return its path (removed
 * at exit); aborts when the file cannot be written, which is the harness's
 * fault, not the input's. */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
    char *path = fuzz_path;
    if (!path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof fuzz_path, "%s/ts-fuzz-XXXXXX",
                 dir && *dir ? dir : "/tmp");
        int fd = mkstemp(path);
        if (fd < 0)
            abort();
        close(fd);
        atexit(fuzz_unlink);
    }
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();
    return path;
}

#endif

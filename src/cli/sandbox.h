/* sandbox.h -- reading untrusted result files without dying with them.
 *
 * libhdf5 1.10 (Debian 12) can crash (segfault, use-after-free) or loop
 * forever on a crafted or truncated file, with no frame of ours at fault.
 * `plot` and `merge` therefore first read such files in a forked child:
 * the child runs the command's whole read pass under CPU, address-space
 * and wall-clock limits and reports its status and message over a pipe; a
 * child killed by a signal, over its limits or silent becomes the one-line
 * error "FILE: not a readable truthsim result file (why)", and the parent
 * never hands a file to libhdf5 that the child did not read cleanly.
 * Before any of that, ts_sandbox_sniff refuses what is not even HDF5.
 *
 * The parent then reads the file again itself: libhdf5 is deterministic,
 * so the same bytes take the same path.  (A file rewritten between the two
 * reads by someone with write access to it is outside what this guards.) */
#ifndef TS_CLI_SANDBOX_H
#define TS_CLI_SANDBOX_H

#include <signal.h>

#include "base/err.h"

/* The child's end of the pipe. */
typedef struct ts_sandbox {
    int fd;
} ts_sandbox;

/* The read pass run in the child: TS_OK or a TS_E* code with e filled.  It
 * may name each file before opening it (ts_sandbox_note), so that a crash
 * is reported against the file that caused it. */
typedef int (*ts_sandbox_fn)(void *ctx, ts_sandbox *sb, ts_err *e);

/* In the child: the file about to be read (the parent keeps the last). */
void ts_sandbox_note(ts_sandbox *sb, const char *file);

/* Cheap checks before libhdf5 sees path: a regular file of at least the
 * size of a superblock, starting with the HDF5 signature (our writers put
 * the superblock at offset 0).  *size gets its size in bytes (may be NULL).
 * TS_EIO when it cannot be opened, TS_EINPUT when it is not HDF5. */
int ts_sandbox_sniff(const char *path, long long *size, ts_err *e);

/* Run fn(ctx) in a child limited to timeout_s seconds of CPU and of wall
 * time and (when not built with AddressSanitizer) to as_bytes of address
 * space (0: no limit).  Returns fn's status with its message in e, or
 * (FILE being the last file noted, else what) TS_EINPUT "FILE: not a readable truthsim result file (killed by signal
 * 11)" / "(took longer than N s)" / "(the reader stopped without a
 * report)".  TS_EINTR when *stop (may be NULL) was set, or the child
 * died of SIGINT/SIGTERM; TS_EIO when fork or pipe fail. */
int ts_sandbox_run(const char *what, ts_sandbox_fn fn, void *ctx,
                   unsigned timeout_s, unsigned long long as_bytes,
                   volatile sig_atomic_t *stop, ts_err *e);

/* The time limit for reading bytes of untrusted files: TRUTHSIM_READ_TIMEOUT
 * seconds when that variable holds a positive integer, otherwise 30 s plus
 * 1 s per 16 MB.  The address-space limit: 2 GiB plus 8 bytes per byte. */
unsigned ts_sandbox_timeout(long long bytes);
unsigned long long ts_sandbox_as_limit(long long bytes);

#endif

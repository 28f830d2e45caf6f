/* outfile.h -- the one way truthsim writes an output file (README
 * "Safety"): a temporary file beside OUT, created with
 * O_CREAT|O_EXCL|O_NOFOLLOW under an unpredictable name, written, fsync'ed
 * and renamed over OUT.  So a planted symlink at the temporary name makes
 * the creation fail (another name is tried) instead of being followed; a
 * symlink at OUT is itself replaced by the rename, its target untouched;
 * an existing OUT that is not a regular file or symlink (/dev/full, a
 * directory, a FIFO) is refused; and a reader never sees half a file.
 *
 * Temporary names are recognisable, `.BASE.tmp.PID.RANDOM` in OUT's
 * directory: opening OUT removes such files whose PID no longer runs (a
 * SIGKILLed earlier writer of the same OUT), so they do not pile up.
 *
 * HDF5 and gnuplot open the temporary by name themselves (H5Fcreate with
 * H5F_ACC_TRUNC): the name was created by us with O_EXCL, and at commit
 * the name must still be the very file we created (same device and inode,
 * a regular file), else nothing is renamed.  Someone who can replace
 * entries in OUT's directory in between could as well replace OUT. */
#ifndef TS_OUTFILE_H
#define TS_OUTFILE_H

#include <signal.h>
#include <stdio.h>

#include "base/err.h"

typedef struct ts_outfile {
    char *path;   /* the final name                                   */
    char *tmp;    /* the temporary sibling, created by ts_out_open    */
    int fd;       /* open on tmp, or -1 once closed                    */
    unsigned long long dev, ino; /* tmp's identity, checked at commit */
    /* NULL after opening; a command sets it to its SIGINT/SIGTERM flag so
     * that ts_out_finish looks once more just before the rename: a signal
     * after the command's last poll must not leave a complete file and
     * exit 0 (README "Safety"). */
    const volatile sig_atomic_t *stop;
} ts_outfile;

/* Refuse an existing non-regular path; create the temporary (and remove
 * stale ones of dead writers).  On error nothing is left on disk and
 * o->tmp is NULL.  TS_EIO "PATH: cannot create the output file: WHY". */
int ts_out_open(ts_outfile *o, const char *path, ts_err *e);

/* The same without looking for stale temporaries: for one of many files
 * written into one directory (point files), where a scan per file would
 * cost O(files^2); call ts_out_remove_stale_in(dir) once first. */
int ts_out_open_many(ts_outfile *o, const char *path, ts_err *e);
/* Remove every .NAME.tmp.PID.* in dir whose PID is gone. */
void ts_out_remove_stale_in(const char *dir);

/* The same with the temporary name given (tmp: a name made unpredictable
 * by an earlier ts_out_open, plus a suffix, as gnuplot adds ".png"). */
int ts_out_open_as(ts_outfile *o, const char *path, const char *tmp,
                   ts_err *e);

/* All of text to o->fd. */
int ts_out_write(ts_outfile *o, const void *buf, size_t len, ts_err *e);

/* ts_out_open, then its fd as a stdio stream *f (binary, "wb"), which then
 * owns the fd; on failure nothing is left on disk.  Finish with
 * ts_out_close_stream. */
int ts_out_open_stream(ts_outfile *o, const char *path, FILE **f, ts_err *e);
/* Flush, fsync and close f, then ts_out_finish(o, ok): the file is renamed
 * into place only when ok and all of that succeeded, else removed
 * (TS_EIO "PATH: cannot write: WHY"). */
int ts_out_close_stream(ts_outfile *o, FILE *f, int ok, ts_err *e);

/* ok: fsync, close and rename into place (TS_EIO when any of it fails,
 * the temporary then removed); !ok: remove the temporary.  When o->stop
 * is set and *o->stop is nonzero, the temporary is removed instead of
 * renamed, whatever ok says: TS_EINTR "PATH: interrupted: not written"
 * (an existing OUT is left as it was).  Frees o. */
int ts_out_finish(ts_outfile *o, int ok, ts_err *e);

/* Would writing path succeed?  Creates and removes a temporary, so a
 * command can refuse a doomed output before its expensive work. */
int ts_out_probe(const char *path, ts_err *e);

/* Create the missing parent directories of dir (and dir), as mkdir -p. */
int ts_out_mkdirs(const char *dir, ts_err *e);

/* Write text to path through ts_out_open/ts_out_finish. */
int ts_out_write_file(const char *path, const void *text, size_t len,
                      ts_err *e);

#endif

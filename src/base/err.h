/* err.h -- status codes and the caller-owned error record (STYLE §4).
 *
 * A function that can fail returns int (TS_OK or a TS_E* code) and fills a
 * ts_err the caller owns.  There is no global handler: a failed grid point is
 * stored with its status and the sweep goes on.  Messages about user input
 * already carry their location ("fig7.yaml:12:5: ..."), GNU style. */
#ifndef TS_ERR_H
#define TS_ERR_H

enum {
    TS_OK = 0,
    TS_EINVAL,     /* a programmer passed something invalid                  */
    TS_EINPUT,     /* user input (YAML, CSV, HDF5, CLI) is malformed          */
    TS_ENOMEM,     /* allocation failed                                       */
    TS_EIO,        /* a file could not be read or written                     */
    TS_ENONFINITE, /* a weight, label or loss became NaN or infinite          */
    TS_ENOCONV,    /* an iteration (EM, a minimiser) hit its cap              */
    TS_EINTR,      /* stopped by SIGINT/SIGTERM; finished work is kept        */
    TS_EUNSUPP,    /* the combination asked for is not implemented            */
    TS_ENOINPUT,   /* an input file does not exist or cannot be opened        */
    TS_ECREATE,    /* an output file cannot be created (outfile.h)            */
    TS_NCODES
};

typedef struct ts_err {
    int code;             /* TS_OK when nothing failed                         */
    const char *src_file; /* where in truthsim's source the error was raised   */
    int src_line;
    char msg[1024];       /* one line, no trailing newline                     */
} ts_err;

/* Record an error; returns code so callers can `return TS_ERROR(...)`.
 * e may be NULL (the code is still returned). */
int ts_err_set(ts_err *e, int code, const char *file, int line,
               const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
#define TS_ERROR(e, code, ...) ts_err_set((e), (code), __FILE__, __LINE__, __VA_ARGS__)

void ts_err_clear(ts_err *e);
const char *ts_strerror(int code);   /* "invalid input", ... */

#endif

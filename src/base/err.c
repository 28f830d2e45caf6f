/* err.c -- see err.h. */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>

int ts_err_set(ts_err *e, int code, const char *file, int line,
               const char *fmt, ...)
{
    if (!e)
        return code;
    e->code = code;
    e->src_file = file;
    e->src_line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}

void ts_err_clear(ts_err *e)
{
    if (!e)
        return;
    e->code = TS_OK;
    e->src_file = NULL;
    e->src_line = 0;
    e->msg[0] = '\0';
}

const char *ts_strerror(int code)
{
    static const char *const text[TS_NCODES] = {
        [TS_OK] = "success",
        [TS_EINVAL] = "invalid argument",
        [TS_EINPUT] = "invalid input",
        [TS_ENOMEM] = "out of memory",
        [TS_EIO] = "input/output error",
        [TS_ENONFINITE] = "non-finite value",
        [TS_ENOCONV] = "iteration cap reached without convergence",
        [TS_EINTR] = "interrupted",
        [TS_EUNSUPP] = "not supported",
        [TS_ENOINPUT] = "cannot open an input file",
        [TS_ECREATE] = "cannot create an output file",
    };
    if (code < 0 || code >= TS_NCODES)
        return "unknown error";
    return text[code];
}

/* readfile.h -- a whole file read into memory: the one reader of input
 * files the replay (reports CSV) and the DPO trainer (preference CSV)
 * share.  Left out: parsing, and any size limit beyond memory. */
#ifndef TS_READFILE_H
#define TS_READFILE_H

#include <stddef.h>

#include "base/err.h"

/* The bytes of path, NUL-terminated (so text parsers may stop at the NUL),
 * with *len = their number without the NUL; the caller frees.  NULL with
 * TS_EIO (cannot open, read error) or TS_ENOMEM in e. */
char *ts_read_file(const char *path, size_t *len, ts_err *e);

/* 3 when text starts with a UTF-8 byte-order mark (EF BB BF), else 0: the
 * CSV readers (replay, DPO) skip it the same way. */
size_t ts_text_bom(const char *text, size_t len);

#endif

/* plot_text.h -- the text helpers of `truthsim plot` (not installed): a
 * growing string buffer, numbers printed exactly, gnuplot string quoting,
 * and the cleaning of names for file stems, TSV headers and scripts.
 *
 * Nothing here touches a file; plot_read.c, plot_kinds.c and plot_write.c
 * share these so that a value is formatted one way everywhere. */
#ifndef TS_PLOT_TEXT_H
#define TS_PLOT_TEXT_H

#include <stddef.h>

#if defined(__GNUC__)
#define TS_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define TS_PRINTF_LIKE(f, a)
#endif

/* A string that grows; oom sticks once an allocation failed, so callers
 * append freely and check once, at ts_sb_take.  Start from {0}. */
typedef struct ts_sbuf {
    char *p;
    size_t len, cap;
    int oom;
} ts_sbuf;

void ts_sb_addn(ts_sbuf *b, const char *s, size_t n);
void ts_sb_add(ts_sbuf *b, const char *s);
void ts_sb_addf(ts_sbuf *b, const char *fmt, ...) TS_PRINTF_LIKE(2, 3);
/* Take the buffer's string (never NULL unless out of memory). */
char *ts_sb_take(ts_sbuf *b);
/* Text from a result file as a gnuplot single-quoted string (nothing
 * expanded inside; '' is a quote); '\n' in s becomes a line break, other
 * control characters spaces.  Never a double-quoted string: there gnuplot
 * runs `backquoted` commands. */
void ts_sb_gp_text(ts_sbuf *b, const char *s);
/* A one-line gnuplot single-quoted string (control characters: spaces). */
void ts_sb_gp_squote(ts_sbuf *b, const char *s);
/* Control characters become spaces (comment lines, TSV headers). */
void ts_plot_flatten_ctrl(char *s);
/* 1 when s is a gnuplot identifier [A-Za-z_][A-Za-z0-9_]*. */
int ts_plot_is_ident(const char *s);

/* The shortest of %.15g, %.16g, %.17g that reads back as v ("NaN",
 * "Inf", "-Inf" for the others). */
void ts_plot_fmt_num(double v, char *buf, size_t len);
/* Characters allowed in a file stem; the rest becomes '-'. */
void ts_plot_sanitize_stem(char *s);
/* Tabs and line breaks would break a TSV header or a script line. */
void ts_plot_flatten_ws(char *s);
/* A new string, printf-style; NULL when out of memory. */
char *ts_plot_strf(const char *fmt, ...) TS_PRINTF_LIKE(1, 2);
/* The part of path after its last '/'. */
const char *ts_plot_base_name(const char *path);

#endif

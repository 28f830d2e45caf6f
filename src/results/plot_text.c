/* plot_text.c -- text helpers of `truthsim plot`: see plot_text.h.
 * Left out: anything that reads or writes a file. */
#include "results/plot_text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ts_sb_addn(ts_sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void ts_sb_add(ts_sbuf *b, const char *s) { ts_sb_addn(b, s, strlen(s)); }

void ts_sb_addf(ts_sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        ts_sb_addn(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    ts_sb_addn(b, big, (size_t)n);
    free(big);
}

char *ts_sb_take(ts_sbuf *b)
{
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    if (!b->p)
        return strdup("");
    return b->p;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as v, so the TSV holds
 * the exact doubles without the noise of always printing 17 digits. */
void ts_plot_fmt_num(double v, char *buf, size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, len, v > 0 ? "Inf" : "-Inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* Characters allowed in a file stem; the rest becomes '-'. */
void ts_plot_sanitize_stem(char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
                 c == '+';
        if (!ok)
            *s = '-';
    }
}

/* Tabs and line breaks would break a TSV header or a script line. */
void ts_plot_flatten_ws(char *s)
{
    ts_plot_flatten_ctrl(s);
}

/* Text read from a result file is data, never script: it goes into gnuplot
 * single-quoted strings only, where nothing is expanded (no backquote
 * command substitution, no escapes, no macros; '' stands for a quote),
 * unlike double-quoted ones, where `cmd` runs cmd.  A line break of s is
 * written as '."\n".' (our own constant, outside the data); other control
 * characters become spaces, so the script line cannot be broken. */
void ts_sb_gp_text(ts_sbuf *b, const char *s)
{
    ts_sb_add(b, "'");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\'')
            ts_sb_add(b, "''");
        else if (c == '\n')
            ts_sb_add(b, "'.\"\\n\".'");
        else if (c < 0x20 || c == 0x7f)
            ts_sb_add(b, " ");
        else
            ts_sb_addn(b, s, 1);
    }
    ts_sb_add(b, "'");
}

/* A gnuplot single-quoted string of one line (paths, program arguments). */
void ts_sb_gp_squote(ts_sbuf *b, const char *s)
{
    ts_sb_add(b, "'");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\'')
            ts_sb_add(b, "''");
        else if (c < 0x20 || c == 0x7f)
            ts_sb_add(b, " ");
        else
            ts_sb_addn(b, s, 1);
    }
    ts_sb_add(b, "'");
}

/* Control characters (C0 and DEL) become spaces: for text that ends up in a
 * comment line or a TSV header, where a line break would start a new,
 * unquoted script line. */
void ts_plot_flatten_ctrl(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            *s = ' ';
}

/* 1 when s is a gnuplot identifier (a variable name we may write). */
int ts_plot_is_ident(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

char *ts_plot_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

const char *ts_plot_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* canonical.c -- the last stage of an experiment: the values as run
 * (after --set) written back as YAML, one key a line in the order first
 * given, numbers with 17 significant digits so they read back to the same
 * double.  The result file stores this text, and its hash names the
 * experiment for resuming a run (results/points.c); comments and layout
 * of the original file are left out (the file's own text is stored
 * beside it). */
#include "experiment/experiment_impl.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int needs_quotes(const char *s)
{
    double d;
    int b;
    if (!*s || ts_yaml_number(s, &d) || ts_yaml_bool(s, &b))
        return 1;
    for (const char *c = s; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
            return 1;
    return 0;
}

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)w < b->cap - b->len) {
            b->len += (size_t)w;
            return;
        }
        size_t nc = b->cap * 2 + (size_t)w;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

static void sb_str(sbuf *b, const char *s)
{
    if (!needs_quotes(s)) {
        sb_printf(b, "%s", s);
        return;
    }
    /* YAML double-quoted escapes for everything a YAML reader would not
     * give back byte for byte: control characters (line breaks and tabs
     * are folded or trimmed), and the Unicode line breaks NEL (U+0085), LS
     * (U+2028), PS (U+2029) and the BOM (U+FEFF), so that the text reloads
     * to the same value and the same hash (merge, resume). */
    sb_printf(b, "\"");
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            sb_printf(b, "\\%c", *c);
        else if (*c == '\n')
            sb_printf(b, "\\n");
        else if (*c < 0x20 || *c == 0x7f)
            sb_printf(b, "\\x%02X", *c);
        else if (c[0] == 0xC2 && c[1] == 0x85)
            sb_printf(b, "\\N"), c++;
        else if (c[0] == 0xE2 && c[1] == 0x80 && (c[2] == 0xA8 || c[2] == 0xA9))
            sb_printf(b, "\\%c", c[2] == 0xA8 ? 'L' : 'P'), c += 2;
        else if (c[0] == 0xEF && c[1] == 0xBB && c[2] == 0xBF)
            sb_printf(b, "\\uFEFF"), c += 2;
        else
            sb_printf(b, "%c", *c);
    }
    sb_printf(b, "\"");
}

char *ts_experiment_canonical(const ts_experiment *x)
{
    sbuf b = {malloc(1024), 0, 1024, 0};
    if (!b.p)
        return NULL;
    b.p[0] = '\0';
    for (int k = 0; k < x->n_vals; k++) {
        const ts_value *v = &x->vals[k];
        sb_printf(&b, "%s: ", v->key);
        if (v->is_list)
            sb_printf(&b, "[");
        int per = v->rows ? v->n / v->rows : v->n;
        for (int i = 0; i < v->n; i++) {
            if (v->rows && i % per == 0)
                sb_printf(&b, "%s[", i ? ", " : "");
            else if (i)
                sb_printf(&b, ", ");
            if (v->kind == TS_VAL_STR)
                sb_str(&b, v->s[i]);
            else if (v->kind == TS_VAL_BOOL)
                sb_printf(&b, "%s", v->v[i] ? "true" : "false");
            else
                sb_printf(&b, "%.17g", v->v[i]);
            if (v->rows && i % per == per - 1)
                sb_printf(&b, "]");
        }
        if (v->is_list)
            sb_printf(&b, "]");
        sb_printf(&b, "\n");
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

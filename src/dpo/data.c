/* data.c -- preference sets and their CSV reader (see dpo_data.h). */
#include "dpo/dpo_data.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/readfile.h"

ts_dpo_prefset *ts_dpo_prefset_alloc(ts_err *e)
{
    ts_dpo_prefset *s = calloc(1, sizeof *s);
    if (!s)
        TS_ERROR(e, TS_ENOMEM, "out of memory for a preference set");
    return s;
}

void ts_dpo_prefset_free(ts_dpo_prefset *s)
{
    if (!s)
        return;
    free(s->tok);
    free(s->off);
    free(s->label);
    free(s->line);
    free(s->ref_chosen);
    free(s->ref_rejected);
    free(s->source);
    free(s);
}

static int grow(void **p, size_t *cap, size_t need, size_t elt)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elt);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static int grow_pairs(ts_dpo_prefset *s, ts_err *e)
{
    if (s->n < s->cap)
        return TS_OK;
    size_t c = s->cap ? 2 * s->cap : 64;
    size_t *off = realloc(s->off, 4 * c * sizeof *off);
    if (off)
        s->off = off;
    double *lab = realloc(s->label, c * sizeof *lab);
    if (lab)
        s->label = lab;
    int *line = realloc(s->line, c * sizeof *line);
    if (line)
        s->line = line;
    double *rc = realloc(s->ref_chosen, c * sizeof *rc);
    if (rc)
        s->ref_chosen = rc;
    double *rr = realloc(s->ref_rejected, c * sizeof *rr);
    if (rr)
        s->ref_rejected = rr;
    if (!off || !lab || !line || !rc || !rr)
        return TS_ERROR(e, TS_ENOMEM, "out of memory for %zu pairs", c);
    s->cap = c;
    return TS_OK;
}

int ts_dpo_prefset_add_tokens(ts_dpo_prefset *s, const int32_t *prompt,
                              int np, const int32_t *chosen, int nc,
                              const int32_t *rejected, int nr, double label,
                              int line, ts_err *e)
{
    if (np < 1 || nc < 1 || nr < 1)
        return TS_ERROR(e, TS_EINPUT,
                        "prompt, chosen and rejected need at least one token "
                        "each (have %d, %d, %d)", np, nc, nr);
    if (!(label >= 0 && label <= 1))
        return TS_ERROR(e, TS_EINPUT, "label %.17g is outside [0, 1]", label);
    size_t need = s->ntok + (size_t)np + (size_t)nc + (size_t)nr;
    if (grow((void **)&s->tok, &s->tokcap, need, sizeof *s->tok) ||
        grow_pairs(s, e))
        return TS_ERROR(e, TS_ENOMEM, "out of memory for a preference set");
    size_t *o = s->off + 4 * s->n;
    o[0] = s->ntok;
    memcpy(s->tok + s->ntok, prompt, (size_t)np * sizeof *prompt);
    s->ntok += (size_t)np;
    o[1] = s->ntok;
    memcpy(s->tok + s->ntok, chosen, (size_t)nc * sizeof *chosen);
    s->ntok += (size_t)nc;
    o[2] = s->ntok;
    memcpy(s->tok + s->ntok, rejected, (size_t)nr * sizeof *rejected);
    s->ntok += (size_t)nr;
    o[3] = s->ntok;
    s->label[s->n] = label;
    s->line[s->n] = line;
    s->ref_chosen[s->n] = NAN;
    s->ref_rejected[s->n] = NAN;
    s->n++;
    s->ref_cached = 0;
    return TS_OK;
}

/* Tokenise into a growing buffer; returns the count or -1 (e filled). */
static int encode(const ts_dpo_tokenizer *t, const char *text, int32_t **buf,
                  size_t *cap, ts_err *e)
{
    int n = 0;
    size_t want = strlen(text) + 1;
    if (grow((void **)buf, cap, want, sizeof **buf)) {
        TS_ERROR(e, TS_ENOMEM, "out of memory");
        return -1;
    }
    /* greedy longest match never yields more tokens than bytes */
    if (ts_dpo_tokenizer_encode(t, text, *buf, (int)*cap, &n, e))
        return -1;
    return n;
}

int ts_dpo_prefset_add(ts_dpo_prefset *s, const ts_dpo_tokenizer *t,
                       const char *prompt, const char *chosen,
                       const char *rejected, double label, int line,
                       ts_err *e)
{
    int32_t *b[3] = {NULL, NULL, NULL};
    size_t cap[3] = {0, 0, 0};
    int n[3], rc = TS_OK;
    const char *txt[3] = {prompt, chosen, rejected};
    for (int i = 0; i < 3 && rc == TS_OK; i++)
        if ((n[i] = encode(t, txt[i], &b[i], &cap[i], e)) < 0)
            rc = e ? e->code : TS_EINPUT;
    if (rc == TS_OK)
        rc = ts_dpo_prefset_add_tokens(s, b[0], n[0], b[1], n[1], b[2], n[2],
                                       label, line, e);
    for (int i = 0; i < 3; i++)
        free(b[i]);
    return rc;
}

int ts_dpo_prefset_max_len(const ts_dpo_prefset *s)
{
    int mx = 0;
    for (size_t i = 0; i < s->n; i++)
        for (int c = 0; c < 2; c++) {
            int np, nc;
            ts_dpo_pair_prompt(s, i, &np);
            ts_dpo_pair_completion(s, i, c, &nc);
            if (np + nc > mx)
                mx = np + nc;
        }
    return mx;
}

/* ------------------------------------------------------------------ CSV */

typedef struct csv {
    const char *p, *end;
    const char *path;
    int line;           /* current physical line                          */
    int rec_line;       /* line where the current record starts           */
    char *buf;          /* field text of the current record, NUL-separated */
    size_t len, cap;
    size_t start[8];    /* field starts in buf                            */
    int nfields;
} csv;

static int put(csv *c, char ch)
{
    if (grow((void **)&c->buf, &c->cap, c->len + 1, 1))
        return -1;
    c->buf[c->len++] = ch;
    return 0;
}

/* Parse one record.  Returns 1 if a record was read, 0 at end of input,
 * or -1 with e filled. */
static int read_record(csv *c, ts_err *e)
{
    /* skip blank lines */
    while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
        if (*c->p == '\n')
            c->line++;
        c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->len = 0;
    c->nfields = 0;
    int rec_line = c->rec_line = c->line;
    for (;;) {
        if (c->nfields == 8) {
            TS_ERROR(e, TS_EINPUT, "%s:%d: too many fields (expected 4)",
                     c->path, rec_line);
            return -1;
        }
        c->start[c->nfields++] = c->len;
        if (c->p < c->end && *c->p == '"') {
            int open_line = c->line;
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    TS_ERROR(e, TS_EINPUT,
                             "%s:%d: unterminated quoted field (HINT: a "
                             "quote inside a quoted field is written \"\")",
                             c->path, open_line);
                    return -1;
                }
                char ch = *c->p++;
                if (ch == '"') {
                    if (c->p < c->end && *c->p == '"') {
                        c->p++;
                    } else {
                        break;
                    }
                }
                if (ch == '\n')
                    c->line++;
                if (ch == '\0') {
                    TS_ERROR(e, TS_EINPUT, "%s:%d: NUL byte in a field",
                             c->path, c->line);
                    return -1;
                }
                if (put(c, ch))
                    goto nomem;
            }
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
                *c->p != '\r') {
                TS_ERROR(e, TS_EINPUT,
                         "%s:%d: '%c' after a closing quote (expected a "
                         "comma or the end of the line)",
                         c->path, c->line, *c->p);
                return -1;
            }
        } else {
            while (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
                   *c->p != '\r') {
                if (*c->p == '"') {
                    TS_ERROR(e, TS_EINPUT,
                             "%s:%d: quote inside an unquoted field (HINT: "
                             "quote the whole field and double the quote)",
                             c->path, c->line);
                    return -1;
                }
                if (*c->p == '\0') {
                    TS_ERROR(e, TS_EINPUT, "%s:%d: NUL byte in a field",
                             c->path, c->line);
                    return -1;
                }
                if (put(c, *c->p++))
                    goto nomem;
            }
        }
        if (put(c, '\0'))
            goto nomem;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        /* end of record: \n, \r\n or end of input */
        if (c->p < c->end && *c->p == '\r')
            c->p++;
        if (c->p < c->end && *c->p == '\n') {
            c->p++;
            c->line++;
        }
        return 1;
    }
nomem:
    TS_ERROR(e, TS_ENOMEM, "%s:%d: out of memory", c->path, c->line);
    return -1;
}

int ts_dpo_prefset_read_csv(ts_dpo_prefset *s, const ts_dpo_tokenizer *t,
                            const char *path, int test, ts_err *e)
{
    size_t len;
    char *text = ts_read_file(path, &len, e);
    if (!text)
        return e ? e->code : TS_EIO;
    free(s->source);
    s->source = strdup(path);
    csv c = {text, text + len, path, 1, 1, NULL, 0, 0, {0}, 0};
    /* a UTF-8 byte-order mark is not part of the header */
    c.p += ts_text_bom(text, len);
    int rc = TS_OK, r;
    size_t n0 = s->n;
    r = read_record(&c, e);
    if (r <= 0) {
        rc = r < 0 ? e->code
                   : TS_ERROR(e, TS_EINPUT, "%s:1: empty file (expected the "
                              "header prompt,chosen,rejected,label)", path);
        goto done;
    }
    static const char *const hdr[4] = {"prompt", "chosen", "rejected",
                                       "label"};
    int ok = c.nfields == 4;
    for (int i = 0; ok && i < 4; i++)
        ok = strcmp(c.buf + c.start[i], hdr[i]) == 0;
    if (!ok) {
        rc = TS_ERROR(e, TS_EINPUT, "%s:1: the header must be "
                      "prompt,chosen,rejected,label", path);
        goto done;
    }
    for (;;) {
        r = read_record(&c, e);
        if (r < 0) {
            rc = e->code;
            goto done;
        }
        if (r == 0)
            break;
        int rec_line = c.rec_line;
        if (c.nfields != 4) {
            rc = TS_ERROR(e, TS_EINPUT, "%s:%d: expected 4 fields (prompt, "
                          "chosen, rejected, label), found %d", path,
                          rec_line, c.nfields);
            goto done;
        }
        const char *f[4];
        for (int i = 0; i < 4; i++)
            f[i] = c.buf + c.start[i];
        char *endp;
        errno = 0;
        double A = strtod(f[3], &endp);
        while (*endp == ' ' || *endp == '\t')
            endp++;
        /* ERANGE on underflow still gives the subnormal written */
        if (endp == f[3] || *endp != '\0' ||
            (errno == ERANGE && fabs(A) > 1) || !isfinite(A)) {
            rc = TS_ERROR(e, TS_EINPUT, "%s:%d: label '%s' is not a number",
                          path, rec_line, f[3]);
            goto done;
        }
        if (A < 0 || A > 1) {
            rc = TS_ERROR(e, TS_EINPUT, "%s:%d: label %.17g is outside [0, 1] "
                          "(it is P(chosen preferred))", path, rec_line, A);
            goto done;
        }
        if (test && A != 0 && A != 1) {
            rc = TS_ERROR(e, TS_EINPUT, "%s:%d: test label %g must be 1 "
                          "(chosen is correct) or 0 (rejected is)", path,
                          rec_line, A);
            goto done;
        }
        static const char *const what[3] = {"prompt", "chosen", "rejected"};
        for (int i = 0; i < 3; i++)
            if (f[i][0] == '\0') {
                rc = TS_ERROR(e, TS_EINPUT, "%s:%d: empty %s", path, rec_line,
                              what[i]);
                goto done;
            }
        ts_err sub;
        ts_err_clear(&sub);
        if (ts_dpo_prefset_add(s, t, f[0], f[1], f[2], A, rec_line, &sub)) {
            rc = TS_ERROR(e, sub.code, "%s:%d: %s", path, rec_line, sub.msg);
            goto done;
        }
    }
    if (s->n == n0)
        rc = TS_ERROR(e, TS_EINPUT, "%s:%d: no preference pairs after the "
                      "header", path, c.line);
done:
    free(c.buf);
    free(text);
    return rc;
}

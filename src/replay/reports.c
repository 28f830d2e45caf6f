/* reports.c -- recorded games in (SPEC §7.1): REPORTS.csv, every worker's
 * report on every prompt of every slot with the verified state, and
 * SELECTED.csv, the workers heard in each slot under limited feedback
 * (Sec. VI).
 *
 * Input errors name the file and line, GNU style (STYLE §4), and bad
 * values are refused, never clamped.  Reading goes in three steps: the
 * header (which column is which), the rows (each parsed and range-checked
 * on its own), then the rows as a game (sizes, duplicates, gaps).
 *
 * Left out: quoted fields holding commas (the recorded files have none)
 * and any column beyond slot, prompt, worker, report, truth. */
#include "replay/replay.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/readfile.h"
#include "base/sha256.h"

void ts_reports_free(ts_reports *rp)
{
    if (!rp)
        return;
    free(rp->m);
    free(rp->r);
    free(rp->truth);
    memset(rp, 0, sizeof *rp);
}

/* Read a whole file (ts_read_file) and, when hex is given, its SHA-256. */
static char *slurp(const char *path, size_t *len, char hex[65], ts_err *e)
{
    char *buf = ts_read_file(path, len, e);
    if (buf && hex) {
        ts_sha256 s;
        ts_sha256_init(&s);
        ts_sha256_update(&s, buf, *len);
        ts_sha256_hex(&s, hex);
    }
    return buf;
}

/* Split line (modified in place) at commas; strips \r and surrounding
 * double quotes.  Returns the number of fields (at most max). */
static int split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    size_t L = strlen(p);
    if (L && p[L - 1] == '\r')
        p[--L] = '\0';
    for (;;) {
        char *c = strchr(p, ',');
        if (c)
            *c = '\0';
        char *s = p;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t sl = strlen(s);
        while (sl && (s[sl - 1] == ' ' || s[sl - 1] == '\t'))
            s[--sl] = '\0';
        if (sl >= 2 && s[0] == '"' && s[sl - 1] == '"') {
            s[sl - 1] = '\0';
            s++;
        }
        if (n < max)
            f[n] = s;
        n++;
        if (!c)
            break;
        p = c + 1;
    }
    return n;
}

static int parse_index(const char *s, long *v)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (!*s || *end || errno || x < 0)
        return 0;
    *v = x;
    return 1;
}

static int parse_real(const char *s, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    /* ERANGE on underflow is a subnormal or 0, still the number written */
    if (!*s || *end || (errno && !(errno == ERANGE && fabs(x) <= 1)) || !isfinite(x))
        return 0;
    *v = x;
    return 1;
}

typedef struct row {
    long slot, prompt, worker;
    double report, truth;
    long line;
} row;

enum { C_SLOT, C_PROMPT, C_WORKER, C_REPORT, C_TRUTH, C_NEEDED };

/* The rows read so far, in file order. */
typedef struct row_list {
    row *v;
    size_t n, cap;
} row_list;

static const char *const need[C_NEEDED] = {"slot", "prompt", "worker", "report",
                                           "truth"};

/* The header line: where each needed column is (col[c]), and how many
 * columns a row must have (*nhead). */
static int parse_header(char *ln, const char *path, long line, int *col,
                        int *nhead, ts_err *e)
{
    char *fields[256];
    *nhead = split(ln, fields, 256);
    if (*nhead > 256)
        return TS_ERROR(e, TS_EINPUT, "%s:%ld: more than 256 columns", path, line);
    int rc = TS_OK;
    for (int k = 0; k < *nhead; k++)
        for (int c = 0; c < C_NEEDED; c++)
            if (!strcmp(fields[k], need[c])) {
                if (col[c] >= 0)
                    rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: column '%s' appears twice",
                                  path, line, need[c]);
                col[c] = k;
            }
    for (int c = 0; !rc && c < C_NEEDED; c++)
        if (col[c] < 0)
            rc = TS_ERROR(e, TS_EINPUT,
                          "%s:%ld: bad header: no column '%s' (need "
                          "slot,prompt,worker,report,truth)",
                          path, line, need[c]);
    return rc;
}

/* One data line into *r: indices non-negative and bounded, the report in
 * [0,1] (refused, never clamped: STYLE §4), the truth 0 or 1. */
static int parse_row(char *ln, const char *path, long line, const int *col,
                     int nhead, row *r, ts_err *e)
{
    char *fields[256];
    int nf = split(ln, fields, 256);
    if (nf != nhead)
        return TS_ERROR(e, TS_EINPUT, "%s:%ld: %d fields, but the header has %d",
                        path, line, nf, nhead);
    r->line = line;
    const char *fs = fields[col[C_SLOT]], *fp = fields[col[C_PROMPT]],
               *fw = fields[col[C_WORKER]], *fr = fields[col[C_REPORT]],
               *ft = fields[col[C_TRUTH]];
    if (!parse_index(fs, &r->slot))
        return TS_ERROR(e, TS_EINPUT, "%s:%ld: slot '%s' is not a non-negative integer", path, line, fs);
    if (!parse_index(fp, &r->prompt))
        return TS_ERROR(e, TS_EINPUT, "%s:%ld: prompt '%s' is not a non-negative integer", path, line, fp);
    if (!parse_index(fw, &r->worker))
        return TS_ERROR(e, TS_EINPUT, "%s:%ld: worker '%s' is not a non-negative integer", path, line, fw);
    if (!parse_real(fr, &r->report))
        return TS_ERROR(e, TS_EINPUT, "%s:%ld: report '%s' is not a number", path, line, fr);
    if (r->report < 0 || r->report > 1)
        return TS_ERROR(e, TS_EINPUT, "%s:%ld: report %s is outside [0,1]", path, line, fr);
    if (!parse_real(ft, &r->truth) || (r->truth != 0 && r->truth != 1))
        return TS_ERROR(e, TS_EINPUT, "%s:%ld: truth '%s' must be 0 or 1", path, line, ft);
    if (r->slot > 100000000L || r->prompt > 1000000L || r->worker > 1000000L)
        return TS_ERROR(e, TS_EINPUT, "%s:%ld: index too large (slot %ld, prompt %ld, worker %ld)",
                        path, line, r->slot, r->prompt, r->worker);
    r->report += 0.0; /* -0 becomes +0: mechanisms test the sign bit */
    return TS_OK;
}

static int rows_push(row_list *rl, const row *r, const char *path, ts_err *e)
{
    if (rl->n == rl->cap) {
        size_t cap = rl->cap ? 2 * rl->cap : 4096;
        row *nr = realloc(rl->v, cap * sizeof *nr);
        if (!nr)
            return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", path);
        rl->v = nr;
        rl->cap = cap;
    }
    rl->v[rl->n++] = *r;
    return TS_OK;
}

/* Every line of text (modified in place): the header, then the rows. */
static int read_rows(char *text, const char *path, row_list *rl, ts_err *e)
{
    int rc = TS_OK;
    int col[C_NEEDED] = {-1, -1, -1, -1, -1}, nhead = 0;
    long line = 0;
    for (char *ln = text, *next; ln && !rc; ln = next) {
        next = strchr(ln, '\n');
        if (next)
            *next++ = '\0';
        line++;
        char *probe = ln;
        while (*probe == ' ' || *probe == '\t' || *probe == '\r')
            probe++;
        if (!*probe)
            continue; /* blank lines (a trailing newline) carry nothing; a
                       * file of nothing else is "empty" below */
        if (!nhead) {
            rc = parse_header(ln, path, line, col, &nhead, e);
            continue;
        }
        row r;
        rc = parse_row(ln, path, line, col, nhead, &r, e);
        if (!rc)
            rc = rows_push(rl, &r, path, e);
    }
    if (!rc && !nhead)
        rc = TS_ERROR(e, TS_EINPUT, "%s: empty file: expected a header "
                      "slot,prompt,worker,report,truth", path);
    if (!rc && rl->n == 0)
        rc = TS_ERROR(e, TS_EINPUT, "%s: no rows after the header", path);
    return rc;
}

/* The game's size from its rows: T slots and N workers (the largest index
 * + 1), m[t] prompts in slot t, M = max_t m_t.  Every slot 0..T-1 must
 * have rows, and a game needs two workers. */
static int game_size(const row_list *rl, const char *path, long *T, long *N,
                     int **m, int *M, ts_err *e)
{
    *T = 0;
    *N = 0;
    *M = 0;
    *m = NULL;
    for (size_t k = 0; k < rl->n; k++) {
        if (rl->v[k].slot + 1 > *T)
            *T = rl->v[k].slot + 1;
        if (rl->v[k].worker + 1 > *N)
            *N = rl->v[k].worker + 1;
    }
    if (*N < 2)
        return TS_ERROR(e, TS_EINPUT, "%s: only %ld worker(s); a game needs at least 2",
                        path, *N);
    /* Every slot has rows: more slots than rows cannot be complete, and is
     * refused before the per-slot table is allocated (a few hostile bytes
     * must not cost gigabytes). */
    if ((size_t)*T > rl->n && *T > 65536) /* small: the exact message below */
        return TS_ERROR(e, TS_EINPUT, "%s: slot indices reach %ld but the file has "
                        "only %zu rows (every slot 0..%ld needs rows)",
                        path, *T - 1, rl->n, *T - 1);
    int *mt = calloc((size_t)*T, sizeof *mt);
    if (!mt)
        return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", path);
    for (size_t k = 0; k < rl->n; k++)
        if (rl->v[k].prompt + 1 > mt[rl->v[k].slot])
            mt[rl->v[k].slot] = (int)rl->v[k].prompt + 1;
    for (long t = 0; t < *T; t++) {
        if (mt[t] == 0) {
            free(mt);
            return TS_ERROR(e, TS_EINPUT, "%s: slot %ld has no rows (slots must be 0..%ld)",
                            path, t, *T - 1);
        }
        if (mt[t] > *M)
            *M = mt[t];
    }
    /* Every worker reports on every prompt of a slot: N * sum_t m_t rows,
     * checked before the T * N * M arrays exist. */
    double n_reports = 0;
    for (long t = 0; t < *T; t++)
        n_reports += (double)mt[t] * (double)*N;
    const double cells = (double)*T * (double)*N * (double)*M;
    if (n_reports > (double)rl->n && cells > 1e6 + 16.0 * (double)rl->n) {
        free(mt);
        return TS_ERROR(e, TS_EINPUT, "%s: missing rows: %ld workers on %.0f prompts "
                        "need %.0f rows, the file has %zu (every worker reports on "
                        "every prompt of a slot)", path, *N, n_reports / (double)*N, n_reports,
                        rl->n);
    }
    *m = mt;
    return TS_OK;
}

/* Place the rows into rp's arrays (NaN where nothing was given, which
 * past m_t is by design): each (slot, prompt, worker) once, one truth per
 * (slot, prompt), and every worker on every prompt of his slot. */
static int place_rows(const row_list *rl, const char *path, ts_reports *rp,
                      long *rline, long *tline, ts_err *e)
{
    const size_t N = (size_t)rp->N, M = (size_t)rp->M;
    for (size_t k = 0; k < rl->n; k++) {
        const row *w = &rl->v[k];
        size_t ri = ((size_t)w->slot * N + (size_t)w->worker) * M + (size_t)w->prompt;
        size_t ti = (size_t)w->slot * M + (size_t)w->prompt;
        if (rline[ri])
            return TS_ERROR(e, TS_EINPUT,
                            "%s:%ld: duplicate (slot %ld, prompt %ld, worker %ld), "
                            "first given at line %ld",
                            path, w->line, w->slot, w->prompt, w->worker, rline[ri]);
        if (tline[ti] && rp->truth[ti] != w->truth)
            return TS_ERROR(e, TS_EINPUT,
                            "%s:%ld: truth %g of slot %ld, prompt %ld differs from "
                            "truth %g at line %ld",
                            path, w->line, w->truth, w->slot, w->prompt,
                            rp->truth[ti], tline[ti]);
        rp->r[ri] = w->report;
        rline[ri] = w->line;
        rp->truth[ti] = w->truth;
        if (!tline[ti])
            tline[ti] = w->line;
    }
    for (long t = 0; t < rp->T; t++)
        for (int j = 0; j < rp->m[t]; j++)
            for (long i = 0; i < rp->N; i++)
                if (!rline[((size_t)t * N + (size_t)i) * M + (size_t)j])
                    return TS_ERROR(e, TS_EINPUT,
                                    "%s: missing row (slot %ld, prompt %d, worker %ld): "
                                    "every worker reports on every prompt of a slot",
                                    path, t, j, i);
    return TS_OK;
}

/* The rows as a game: sizes, then the NaN-filled arrays of rp. */
static int build_game(const row_list *rl, const char *path, ts_reports *rp,
                      ts_err *e)
{
    long T, N;
    int *m, M;
    int rc = game_size(rl, path, &T, &N, &m, &M, e);
    if (rc)
        return rc;
    const size_t nr = (size_t)T * (size_t)N * (size_t)M, nt = (size_t)T * (size_t)M;
    double *r = malloc(nr * sizeof *r);
    double *truth = malloc(nt * sizeof *truth);
    long *rline = calloc(nr, sizeof *rline); /* line of each report, 0: none */
    long *tline = calloc(nt, sizeof *tline); /* first line of each truth     */
    if (!r || !truth || !rline || !tline) {
        rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory (%ld slots, %ld workers, %d prompts)",
                      path, T, N, M);
    } else {
        for (size_t k = 0; k < nr; k++)
            r[k] = NAN;
        for (size_t k = 0; k < nt; k++)
            truth[k] = NAN;
        *rp = (ts_reports){.T = T, .N = (int)N, .M = M, .m = m, .r = r,
                           .truth = truth};
        rc = place_rows(rl, path, rp, rline, tline, e);
    }
    free(rline);
    free(tline);
    if (rc) {
        free(m);
        free(r);
        free(truth);
    }
    return rc;
}

int ts_reports_read_csv(ts_reports *rp, const char *path, ts_err *e)
{
    memset(rp, 0, sizeof *rp);
    size_t len;
    char *text = slurp(path, &len, rp->sha256, e);
    if (!text)
        return e->code;
    if (memchr(text, '\0', len)) {
        free(text);
        return TS_ERROR(e, TS_EINPUT, "%s: not a text file (contains NUL bytes)", path);
    }
    row_list rl = {0};
    int rc = read_rows(text + ts_text_bom(text, len), path, &rl, e);
    free(text);
    ts_reports game;
    if (!rc)
        rc = build_game(&rl, path, &game, e);
    free(rl.v);
    if (rc)
        return rc;
    memcpy(game.sha256, rp->sha256, sizeof game.sha256);
    *rp = game;
    return TS_OK;
}


int ts_selected_read_csv(int32_t *sel, long T, int N, int k, const char *path,
                         ts_err *e)
{
    size_t len;
    char *text = slurp(path, &len, NULL, e);
    if (!text)
        return e->code;
    size_t bom = ts_text_bom(text, len);
    char *f[64];
    int cs = -1, cw = -1, nhead = 0, rc = TS_OK;
    long line = 0;
    int *count = calloc((size_t)T, sizeof *count);
    long *first = calloc((size_t)T, sizeof *first);
    if (!count || !first) {
        free(text);
        free(count);
        free(first);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    for (char *ln = text + bom, *next; ln && !rc; ln = next) {
        next = strchr(ln, '\n');
        if (next)
            *next++ = '\0';
        line++;
        if (!*ln || !strcmp(ln, "\r"))
            continue;
        int nf = split(ln, f, 64);
        if (!nhead) {
            nhead = nf;
            for (int c = 0; c < nf && c < 64; c++) {
                if (!strcmp(f[c], "slot"))
                    cs = c;
                if (!strcmp(f[c], "worker"))
                    cw = c;
            }
            if (cs < 0 || cw < 0)
                rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: bad header: need columns slot,worker", path, line);
            continue;
        }
        long s_ = 0, w_ = 0;
        if (nf != nhead)
            rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: %d fields, but the header has %d", path, line, nf, nhead);
        else if (!parse_index(f[cs], &s_) || s_ >= T)
            rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: slot '%s' is not in 0..%ld", path, line, f[cs], T - 1);
        else if (!parse_index(f[cw], &w_) || w_ >= N)
            rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: worker '%s' is not in 0..%d", path, line, f[cw], N - 1);
        else if (count[s_] == k)
            rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: slot %ld already has %d heard worker%s "
                          "(first at line %ld); this mechanism hears %d per slot",
                          path, line, s_, k, k == 1 ? "" : "s", first[s_], k);
        if (rc)
            break;
        int32_t *srow = sel + (size_t)s_ * (size_t)k;
        /* Insert in increasing order; a worker twice in a slot is refused. */
        int pos = count[s_];
        while (pos > 0 && srow[pos - 1] > (int32_t)w_) {
            srow[pos] = srow[pos - 1];
            pos--;
        }
        if (pos > 0 && srow[pos - 1] == (int32_t)w_) {
            rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: worker %ld is listed twice for slot %ld",
                          path, line, w_, s_);
            break;
        }
        srow[pos] = (int32_t)w_;
        if (!count[s_])
            first[s_] = line;
        count[s_]++;
    }
    if (!rc && !nhead)
        rc = TS_ERROR(e, TS_EINPUT, "%s: empty file: expected a header slot,worker", path);
    for (long t = 0; !rc && t < T; t++)
        if (count[t] != k)
            rc = TS_ERROR(e, TS_EINPUT, "%s: slot %ld has %d heard worker%s, expected %d",
                          path, t, count[t], count[t] == 1 ? "" : "s", k);
    free(count);
    free(first);
    free(text);
    return rc;
}

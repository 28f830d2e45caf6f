/* replay.c -- recorded reports in, a mechanism's labels, shares and regret
 * out (SPEC §7.1).  With recorded data there are no beliefs, so the regret
 * comparator is each worker's loss on his reports against the recorded
 * verified state: regret_t = sum_{s<=t} loss_s - min_i sum_{s<=t} l_i^s. */
#include "replay/replay.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "base/h5util.h"
#include "base/sha256.h"
#include "ts_config.h"
#include "ts_vcs.h"

void ts_reports_free(ts_reports *rp)
{
    if (!rp)
        return;
    free(rp->m);
    free(rp->r);
    free(rp->truth);
    memset(rp, 0, sizeof *rp);
}

/* Read a whole file and hash it on the way. */
static char *slurp(const char *path, size_t *len, char hex[65], ts_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        TS_ERROR(e, TS_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        TS_ERROR(e, buf ? TS_EIO : TS_ENOMEM, "%s: cannot read", path);
        return NULL;
    }
    buf[n] = '\0';
    if (hex) {
        ts_sha256 s;
        ts_sha256_init(&s);
        ts_sha256_update(&s, buf, n);
        ts_sha256_hex(&s, hex);
    }
    *len = n;
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
    if (!*s || *end || errno || !isfinite(x))
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

int ts_reports_read_csv(ts_reports *rp, const char *path, ts_err *e)
{
    static const char *const need[C_NEEDED] = {"slot", "prompt", "worker",
                                               "report", "truth"};
    memset(rp, 0, sizeof *rp);
    size_t len;
    char *text = slurp(path, &len, rp->sha256, e);
    if (!text)
        return e->code;
    if (memchr(text, '\0', len)) {
        free(text);
        return TS_ERROR(e, TS_EINPUT, "%s: not a text file (contains NUL bytes)", path);
    }
    int rc = TS_OK;
    row *rows = NULL;
    size_t nrows = 0, cap = 0;
    char *fields[256];
    int col[C_NEEDED] = {-1, -1, -1, -1, -1}, nhead = 0;
    long line = 0;
    char *save = NULL;
    for (char *ln = text, *next; ln && !rc; ln = next) {
        next = strchr(ln, '\n');
        if (next)
            *next++ = '\0';
        line++;
        (void)save;
        char *probe = ln;
        while (*probe == ' ' || *probe == '\t' || *probe == '\r')
            probe++;
        if (!*probe)
            continue; /* blank lines (a trailing newline) carry nothing; a
                       * file of nothing else is "empty" below */
        if (!nhead) {
            nhead = split(ln, fields, 256);
            if (nhead > 256) {
                rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: more than 256 columns",
                              path, line);
                break;
            }
            for (int k = 0; k < nhead; k++)
                for (int c = 0; c < C_NEEDED; c++)
                    if (!strcmp(fields[k], need[c])) {
                        if (col[c] >= 0)
                            rc = TS_ERROR(e, TS_EINPUT,
                                          "%s:%ld: column '%s' appears twice",
                                          path, line, need[c]);
                        col[c] = k;
                    }
            for (int c = 0; !rc && c < C_NEEDED; c++)
                if (col[c] < 0)
                    rc = TS_ERROR(e, TS_EINPUT,
                                  "%s:%ld: bad header: no column '%s' (need "
                                  "slot,prompt,worker,report,truth)",
                                  path, line, need[c]);
            continue;
        }
        int nf = split(ln, fields, 256);
        if (nf != nhead) {
            rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: %d fields, but the header has %d",
                          path, line, nf, nhead);
            break;
        }
        row r;
        r.line = line;
        const char *fs = fields[col[C_SLOT]], *fp = fields[col[C_PROMPT]],
                   *fw = fields[col[C_WORKER]], *fr = fields[col[C_REPORT]],
                   *ft = fields[col[C_TRUTH]];
        if (!parse_index(fs, &r.slot))
            rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: slot '%s' is not a non-negative integer", path, line, fs);
        else if (!parse_index(fp, &r.prompt))
            rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: prompt '%s' is not a non-negative integer", path, line, fp);
        else if (!parse_index(fw, &r.worker))
            rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: worker '%s' is not a non-negative integer", path, line, fw);
        else if (!parse_real(fr, &r.report))
            rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: report '%s' is not a number", path, line, fr);
        else if (r.report < 0 || r.report > 1)
            rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: report %s is outside [0,1]", path, line, fr);
        else if (!parse_real(ft, &r.truth) || (r.truth != 0 && r.truth != 1))
            rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: truth '%s' must be 0 or 1", path, line, ft);
        else if (r.slot > 100000000L || r.prompt > 1000000L || r.worker > 1000000L)
            rc = TS_ERROR(e, TS_EINPUT, "%s:%ld: index too large (slot %ld, prompt %ld, worker %ld)",
                          path, line, r.slot, r.prompt, r.worker);
        if (rc)
            break;
        if (nrows == cap) {
            cap = cap ? 2 * cap : 4096;
            row *nr = realloc(rows, cap * sizeof *nr);
            if (!nr) {
                rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", path);
                break;
            }
            rows = nr;
        }
        r.report += 0.0; /* -0 becomes +0: mechanisms test the sign bit */
        rows[nrows++] = r;
    }
    free(text);
    if (!rc && !nhead)
        rc = TS_ERROR(e, TS_EINPUT, "%s: empty file: expected a header "
                      "slot,prompt,worker,report,truth", path);
    if (!rc && nrows == 0)
        rc = TS_ERROR(e, TS_EINPUT, "%s: no rows after the header", path);
    long T = 0, N = 0;
    for (size_t k = 0; !rc && k < nrows; k++) {
        if (rows[k].slot + 1 > T)
            T = rows[k].slot + 1;
        if (rows[k].worker + 1 > N)
            N = rows[k].worker + 1;
    }
    if (!rc && N < 2)
        rc = TS_ERROR(e, TS_EINPUT, "%s: only %ld worker(s); a game needs at least 2",
                      path, N);
    int *m = NULL;
    if (!rc) {
        m = calloc((size_t)T, sizeof *m);
        if (!m)
            rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", path);
    }
    int M = 0;
    for (size_t k = 0; !rc && k < nrows; k++)
        if (rows[k].prompt + 1 > m[rows[k].slot])
            m[rows[k].slot] = (int)rows[k].prompt + 1;
    for (long t = 0; !rc && t < T; t++) {
        if (m[t] == 0)
            rc = TS_ERROR(e, TS_EINPUT, "%s: slot %ld has no rows (slots must be 0..%ld)",
                          path, t, T - 1);
        if (m[t] > M)
            M = m[t];
    }
    double *r = NULL, *truth = NULL;
    long *rline = NULL, *tline = NULL;
    if (!rc) {
        size_t nr = (size_t)T * (size_t)N * (size_t)M, nt = (size_t)T * (size_t)M;
        r = malloc(nr * sizeof *r);
        truth = malloc(nt * sizeof *truth);
        rline = calloc(nr, sizeof *rline);
        tline = calloc(nt, sizeof *tline);
        if (!r || !truth || !rline || !tline)
            rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory (%ld slots, %ld workers, %d prompts)",
                          path, T, N, M);
        for (size_t k = 0; !rc && k < nr; k++)
            r[k] = NAN;
        for (size_t k = 0; !rc && k < nt; k++)
            truth[k] = NAN;
    }
    for (size_t k = 0; !rc && k < nrows; k++) {
        const row *w = &rows[k];
        size_t ri = ((size_t)w->slot * (size_t)N + (size_t)w->worker) * (size_t)M +
                    (size_t)w->prompt;
        size_t ti = (size_t)w->slot * (size_t)M + (size_t)w->prompt;
        if (rline[ri])
            rc = TS_ERROR(e, TS_EINPUT,
                          "%s:%ld: duplicate (slot %ld, prompt %ld, worker %ld), "
                          "first given at line %ld",
                          path, w->line, w->slot, w->prompt, w->worker, rline[ri]);
        else if (tline[ti] && truth[ti] != w->truth)
            rc = TS_ERROR(e, TS_EINPUT,
                          "%s:%ld: truth %g of slot %ld, prompt %ld differs from "
                          "truth %g at line %ld",
                          path, w->line, w->truth, w->slot, w->prompt, truth[ti],
                          tline[ti]);
        if (rc)
            break;
        r[ri] = w->report;
        rline[ri] = w->line;
        truth[ti] = w->truth;
        if (!tline[ti])
            tline[ti] = w->line;
    }
    for (long t = 0; !rc && t < T; t++)
        for (int j = 0; !rc && j < m[t]; j++)
            for (long i = 0; !rc && i < N; i++)
                if (!rline[((size_t)t * (size_t)N + (size_t)i) * (size_t)M + (size_t)j])
                    rc = TS_ERROR(e, TS_EINPUT,
                                  "%s: missing row (slot %ld, prompt %d, worker %ld): "
                                  "every worker reports on every prompt of a slot",
                                  path, t, j, i);
    free(rows);
    free(rline);
    free(tline);
    if (rc) {
        free(m);
        free(r);
        free(truth);
        return rc;
    }
    rp->T = T;
    rp->N = (int)N;
    rp->M = M;
    rp->m = m;
    rp->r = r;
    rp->truth = truth;
    return TS_OK;
}

int ts_selected_read_csv(int32_t *sel, long T, int N, int k, const char *path,
                         ts_err *e)
{
    size_t len;
    char *text = slurp(path, &len, NULL, e);
    if (!text)
        return e->code;
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
    for (char *ln = text, *next; ln && !rc; ln = next) {
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

void ts_replay_out_free(ts_replay_out *o)
{
    if (!o)
        return;
    free(o->share);
    free(o->label);
    free(o->worker_loss);
    free(o->loss);
    free(o->regret);
    free(o->selected);
    free(o->theta);
    memset(o, 0, sizeof *o);
}

int ts_replay_run(const ts_reports *rp, const ts_mechanism_type *mt,
                  const ts_params *par, const char *selected_path,
                  uint64_t seed, ts_replay_out *out, ts_err *e)
{
    memset(out, 0, sizeof *out);
    const long T = rp->T;
    const int N = rp->N, M = rp->M;
    const int limited = mt->feedback == TS_LIMITED;
    ts_shape g = {N, M, T, mt->feedback};
    out->par = *par;
    out->par.n = mt->n_params;
    if (mt->defaults)
        mt->defaults(&g, &out->par);
    int rc = ts_params_check(&out->par, mt->params, mt->n_params, mt->name, e);
    if (!rc && mt->check)
        rc = mt->check(&g, &out->par, e);
    if (rc)
        return rc;
    if (selected_path && !limited)
        return TS_ERROR(e, TS_EINPUT, "--selected needs a limited-feedback mechanism");
    const int k = limited ? (mt->n_heard ? mt->n_heard(&g, &out->par) : 1) : N;
    if (k < 1 || k > N)
        return TS_ERROR(e, TS_EINVAL, "%s hears %d of %d workers", mt->name, k, N);
    out->T = T;
    out->N = N;
    out->M = M;
    out->k = k;
    out->share = malloc((size_t)(T + 1) * (size_t)N * sizeof(double));
    out->label = malloc((size_t)T * (size_t)M * sizeof(double));
    out->worker_loss = malloc((size_t)T * (size_t)N * sizeof(double));
    out->loss = malloc((size_t)T * sizeof(double));
    out->regret = malloc((size_t)T * sizeof(double));
    if (limited) {
        out->selected = malloc((size_t)T * (size_t)k * sizeof *out->selected);
        out->theta = malloc((size_t)T * (size_t)N * sizeof *out->theta);
    }
    void *st = malloc(mt->state_size(&g));
    double *r = malloc((size_t)N * (size_t)M * sizeof *r);
    double *rh = malloc((size_t)N * (size_t)M * sizeof *rh);
    double *cum = calloc((size_t)N, sizeof *cum);
    double *logw = malloc((size_t)N * sizeof *logw);
    int *sel = malloc((size_t)N * sizeof *sel);
    if (!out->share || !out->label || !out->worker_loss || !out->loss ||
        !out->regret || !st || !r || !rh || !cum || !logw || !sel ||
        (limited && (!out->selected || !out->theta))) {
        rc = TS_ERROR(e, TS_ENOMEM, "out of memory");
        goto done;
    }
    if (selected_path) {
        rc = ts_selected_read_csv(out->selected, T, N, k, selected_path, e);
        if (rc)
            goto done;
    }
    rc = mt->init(st, &g, &out->par, e);
    if (rc)
        goto done;
    ts_rng draw;
    ts_rng_init(&draw, seed, ts_mech_stream_id(0, mt->name), 0, TS_STREAM_SELECT);
    double cum_loss = 0;
    for (long t = 0; t < T; t++) {
        const int m = rp->m[t];
        const double *truth = rp->truth + (size_t)t * (size_t)M;
        /* Pack this slot's reports densely: [N][m_t]. */
        for (int i = 0; i < N; i++)
            memcpy(r + (size_t)i * m, rp->r + ((size_t)t * N + (size_t)i) * M,
                   (size_t)m * sizeof *r);
        mt->log_weights(st, logw);
        ts_shares_from_log(N, logw, out->share + (size_t)t * N);
        ts_slot slot = {.t = t, .N = N, .m = m, .r = r, .n_heard = N, .sel = NULL};
        double *theta = limited ? out->theta + (size_t)t * N : NULL;
        if (limited) {
            /* Sec. VI: who the platform hears this slot. */
            if (mt->theta)
                mt->theta(st, theta);
            else
                for (int i = 0; i < N; i++)
                    theta[i] = (double)k / N;
            int32_t *srow = out->selected + (size_t)t * (size_t)k;
            if (!selected_path) {
                ts_rng_seek(&draw, (uint64_t)t);
                if (mt->theta) {
                    sel[0] = ts_draw_index(theta, N, ts_rng_u01_53(&draw));
                } else {
                    ts_draw_subset(&draw, N, k, sel);
                }
                for (int h = 0; h < k; h++)
                    srow[h] = sel[h];
            }
            for (int h = 0; h < k; h++) {
                sel[h] = srow[h];
                if (mt->theta && !(theta[sel[h]] > 0)) {
                    rc = TS_ERROR(e, TS_EINPUT,
                                  "%s: slot %ld: worker %d cannot be drawn (theta = 0)",
                                  selected_path ? selected_path : "draw", t, sel[h]);
                    goto done;
                }
                memcpy(rh + (size_t)h * m, r + (size_t)sel[h] * m,
                       (size_t)m * sizeof *rh);
            }
            slot.r = rh;
            slot.n_heard = k;
            slot.sel = sel;
        }
        double *A = out->label + (size_t)t * M;
        rc = mt->aggregate(st, &slot, A, e);
        if (rc == TS_ENOCONV) {
            out->status = TS_ENOCONV;
            rc = TS_OK;
        }
        if (rc)
            goto done;
        for (int j = m; j < M; j++)
            A[j] = NAN;
        double *wl = out->worker_loss + (size_t)t * N;
        ts_sq_loss_rows(r, N, m, truth, wl, NULL);
        double L = 0;
        if (limited && mt->theta) {
            /* Eq. (12): the expected loss of the draw. */
            for (int i = 0; i < N; i++)
                L += theta[i] * wl[i];
        } else {
            for (int j = 0; j < m; j++)
                L += (A[j] - truth[j]) * (A[j] - truth[j]);
            L /= m;
        }
        out->loss[t] = L;
        if (!isfinite(L)) {
            rc = TS_ERROR(e, TS_ENONFINITE, "slot %ld: a label or loss is not finite", t);
            goto done;
        }
        double best = INFINITY;
        for (int i = 0; i < N; i++) {
            cum[i] += wl[i];
            if (cum[i] < best)
                best = cum[i];
        }
        cum_loss += L;
        out->regret[t] = cum_loss - best;
        rc = mt->update(st, &slot, truth, e);
        if (rc)
            goto done;
    }
    mt->log_weights(st, logw);
    ts_shares_from_log(N, logw, out->share + (size_t)T * N);
done:
    free(st);
    free(r);
    free(rh);
    free(cum);
    free(logw);
    free(sel);
    if (rc)
        ts_replay_out_free(out);
    return rc;
}

int ts_replay_write(const ts_replay_out *o, const ts_reports *rp,
                    const ts_mechanism_type *mt, uint64_t seed,
                    const char *input_path, const char *command_line,
                    const char *path, ts_err *e)
{
    ts_h5file f;
    int rc = ts_h5_create(&f, path, e);
    if (rc)
        return rc;
    hid_t root = f.id;
    long big = o->T + 1 > o->N ? o->T + 1 : o->N;
    if (o->M > big)
        big = o->M;
    long *idx = malloc((size_t)big * sizeof *idx);
    if (!idx) {
        ts_h5_close(&f, 0, e);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    for (long k = 0; k < big; k++)
        idx[k] = k;
    hid_t s_slot = ts_h5_scale_long(root, "slot", idx, (size_t)o->T);
    hid_t s_bound = ts_h5_scale_long(root, "boundary", idx, (size_t)o->T + 1);
    hid_t s_worker = ts_h5_scale_long(root, "worker", idx, (size_t)o->N);
    hid_t s_prompt = ts_h5_scale_long(root, "prompt", idx, (size_t)o->M);
    free(idx);
    int bad = s_slot < 0 || s_bound < 0 || s_worker < 0 || s_prompt < 0;
    hsize_t d_share[2] = {(hsize_t)o->T + 1, (hsize_t)o->N};
    hid_t sc_share[2] = {s_bound, s_worker};
    hsize_t d_label[2] = {(hsize_t)o->T, (hsize_t)o->M};
    hid_t sc_label[2] = {s_slot, s_prompt};
    hsize_t d_wl[2] = {(hsize_t)o->T, (hsize_t)o->N};
    hid_t sc_wl[2] = {s_slot, s_worker};
    hsize_t d_t[1] = {(hsize_t)o->T};
    hid_t sc_t[1] = {s_slot};
    if (!bad)
        bad |= ts_h5_write(root, "share", H5T_NATIVE_DOUBLE, o->share, 2, d_share,
                           sc_share, "w_i^t / sum_k w_k^t before slot t (row T: after the last)");
    if (!bad)
        bad |= ts_h5_write(root, "label", H5T_NATIVE_DOUBLE, o->label, 2, d_label,
                           sc_label, "aggregated label A_j; NaN past m_t");
    if (!bad)
        bad |= ts_h5_write(root, "worker_loss", H5T_NATIVE_DOUBLE, o->worker_loss,
                           2, d_wl, sc_wl, "(1/m_t) sum_j (r_ij - truth_j)^2");
    if (!bad)
        bad |= ts_h5_write(root, "loss", H5T_NATIVE_DOUBLE, o->loss, 1, d_t, sc_t,
                           "(1/m_t) sum_j (A_j - truth_j)^2");
    if (!bad)
        bad |= ts_h5_write(root, "regret", H5T_NATIVE_DOUBLE, o->regret, 1, d_t,
                           sc_t, "sum_{s<=t} loss_s - min_i sum_{s<=t} worker_loss_i^s");
    if (!bad && o->selected) {
        hid_t s_heard = -1;
        hsize_t d_sel[2] = {(hsize_t)o->T, (hsize_t)o->k};
        hid_t sc_sel[2] = {s_slot, -1};
        if (o->k > 1) {
            long hk[4096];
            for (int h = 0; h < o->k && h < 4096; h++)
                hk[h] = h;
            s_heard = ts_h5_scale_long(root, "heard", hk, (size_t)o->k);
            sc_sel[1] = s_heard;
        }
        bad |= ts_h5_write(root, "selected", H5T_NATIVE_INT32, o->selected,
                           o->k > 1 ? 2 : 1, d_sel, sc_sel,
                           "the worker(s) heard in slot t (I_t)");
        bad |= ts_h5_write(root, "theta", H5T_NATIVE_DOUBLE, o->theta, 2, d_wl,
                           sc_wl, "probability that worker i is heard in slot t "
                           "(theta of eq. 12; k/N for a k-subset)");
        if (s_heard >= 0)
            H5Dclose(s_heard);
    }
    bad |= ts_h5_attr_str(root, "program", "truthsim");
    bad |= ts_h5_attr_str(root, "version", TS_VERSION);
    bad |= ts_h5_attr_str(root, "git_commit", TS_GIT_COMMIT);
    bad |= ts_h5_attr_str(root, "mechanism", mt->name);
    bad |= ts_h5_attr_str(root, "mechanism_label", mt->label ? mt->label : mt->name);
    bad |= ts_h5_attr_str(root, "feedback", mt->feedback == TS_FULL ? "full" : "limited");
    bad |= ts_h5_attr_long(root, "seed", (long)seed);
    bad |= ts_h5_attr_str(root, "input_sha256", rp->sha256);
    bad |= ts_h5_attr_str(root, "input_path", input_path);
    bad |= ts_h5_attr_str(root, "command_line", command_line ? command_line : "");
    bad |= ts_h5_attr_long(root, "N", o->N);
    bad |= ts_h5_attr_long(root, "T", o->T);
    bad |= ts_h5_attr_long(root, "M", o->M);
    for (int k = 0; k < mt->n_params; k++) {
        if (mt->params[k].flags & TS_PARAM_VEC)
            continue;
        bad |= ts_h5_attr_double(root, mt->params[k].name, o->par.v[k]);
    }
    hid_t scs[] = {s_slot, s_bound, s_worker, s_prompt};
    for (size_t k = 0; k < 4; k++)
        if (scs[k] >= 0)
            H5Dclose(scs[k]);
    if (bad) {
        ts_h5_close(&f, 0, e);
        return TS_ERROR(e, TS_EIO, "%s: writing the results failed", path);
    }
    return ts_h5_close(&f, 1, e);
}

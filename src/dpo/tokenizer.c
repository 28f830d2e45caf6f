/* tokenizer.c -- the byte-string vocabulary and greedy longest-match
 * encoder (see dpo_tokenizer.h). */
#include "dpo/dpo_tokenizer.h"

#include <unistd.h>

#include "base/outfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Words of the sensing prompts, each with a leading space (GPT-2 style:
 * the space belongs to the word that follows) ... */
static const char *const sensing_words[] = {
    "BUSY", "IDLE", "busy", "idle", "Busy", "Idle", "occupied", "free",
    "vacant", "band", "Band", "sub", "subband", "channel", "Channel",
    "energy", "Energy", "power", "Power", "dB", "dBm", "MHz", "noise",
    "signal", "SNR", "FFT", "bin", "bins", "window", "samples", "sample",
    "slot", "time", "frequency", "spectrum", "Spectrum", "user", "users",
    "User", "sensor", "Sensor", "report", "reports", "Reports", "reading",
    "readings", "mean", "average", "max", "min", "primary", "secondary",
    "PU", "SU", "status", "state", "is", "Is", "the", "The", "of", "and",
    "or", "in", "on", "at", "to", "by", "with", "from", "Answer", "answer",
    "Question", "yes", "no", "Yes", "No", "label", "value", NULL};
/* ... and these also bare, as they open a prompt or a line. */
static const char *const sensing_starts[] = {
    "BUSY", "IDLE", "Band", "Channel", "Energy", "Power", "Sensor", "User",
    "Reports", "Spectrum", "Answer", "Question", "Is", "The", "SNR", "FFT",
    NULL};

static int cmp_tokens(const ts_dpo_tokenizer *t, int a, int b)
{
    uint32_t la = t->off[a + 1] - t->off[a], lb = t->off[b + 1] - t->off[b];
    uint32_t l = la < lb ? la : lb;
    int c = memcmp(t->bytes + t->off[a], t->bytes + t->off[b], l);
    if (c)
        return c;
    return (la > lb) - (la < lb);
}

/* Sort ids by their bytes: a shell sort keeps this free of qsort's
 * context problem (no globals) and is fast enough for 50257 tokens. */
static void sort_ids(ts_dpo_tokenizer *t)
{
    int n = t->vocab_size;
    for (int i = 0; i < n; i++)
        t->sorted[i] = i;
    for (int gap = n / 2; gap > 0; gap /= 2)
        for (int i = gap; i < n; i++) {
            int32_t x = t->sorted[i];
            int j = i;
            while (j >= gap && cmp_tokens(t, t->sorted[j - gap], x) > 0) {
                t->sorted[j] = t->sorted[j - gap];
                j -= gap;
            }
            t->sorted[j] = x;
        }
}

static ts_dpo_tokenizer *tok_alloc(int V, size_t nbytes, ts_err *e)
{
    ts_dpo_tokenizer *t = calloc(1, sizeof *t);
    if (t) {
        t->vocab_size = V;
        t->off = calloc((size_t)V + 1, sizeof *t->off);
        t->bytes = malloc(nbytes ? nbytes : 1);
        t->sorted = malloc((size_t)V * sizeof *t->sorted);
    }
    if (!t || !t->off || !t->bytes || !t->sorted) {
        ts_dpo_tokenizer_free(t);
        TS_ERROR(e, TS_ENOMEM, "out of memory for a tokenizer");
        return NULL;
    }
    return t;
}

static void finish(ts_dpo_tokenizer *t)
{
    t->max_len = 0;
    for (int i = 0; i < t->vocab_size; i++) {
        int l = (int)(t->off[i + 1] - t->off[i]);
        if (l > t->max_len)
            t->max_len = l;
    }
    sort_ids(t);
}

static void add_piece(ts_dpo_tokenizer *t, int *id, const char *s, size_t n)
{
    memcpy(t->bytes + t->off[*id], s, n);
    t->off[*id + 1] = t->off[*id] + (uint32_t)n;
    (*id)++;
}

ts_dpo_tokenizer *ts_dpo_tokenizer_builtin(ts_err *e)
{
    int nw = 0;
    size_t wb = 0;
    for (const char *const *w = sensing_words; *w; w++) {
        nw++;
        wb += strlen(*w) + 1;
    }
    for (const char *const *w = sensing_starts; *w; w++) {
        nw++;
        wb += strlen(*w);
    }
    /* bytes, <|endoftext|>, words, "00".."99", a few separators */
    static const char *const seps[] = {": ", ", ", ". ", "? ", " -", "\n",
                                       " =", " (", ") ", " a", " A", " Q", NULL};
    int ns = 0;
    size_t sb = 0;
    for (const char *const *s = seps; *s; s++) {
        ns++;
        sb += strlen(*s);
    }
    int V = 256 + 1 + nw + 100 + ns;
    const char eot[] = "<|endoftext|>";
    ts_dpo_tokenizer *t = tok_alloc(V, 256 + sizeof eot + wb + 200 + sb, e);
    if (!t)
        return NULL;
    int id = 0;
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        add_piece(t, &id, &c, 1);
    }
    t->eot = id;
    add_piece(t, &id, eot, sizeof eot - 1);
    for (const char *const *w = sensing_words; *w; w++) {
        char buf[64];
        size_t n = strlen(*w);
        buf[0] = ' ';
        memcpy(buf + 1, *w, n);
        add_piece(t, &id, buf, n + 1);
    }
    for (const char *const *w = sensing_starts; *w; w++)
        add_piece(t, &id, *w, strlen(*w));
    for (int d = 0; d < 100; d++) {
        char buf[3] = {(char)('0' + d / 10), (char)('0' + d % 10), 0};
        add_piece(t, &id, buf, 2);
    }
    for (const char *const *s = seps; *s; s++)
        add_piece(t, &id, *s, strlen(*s));
    finish(t);
    return t;
}

void ts_dpo_tokenizer_free(ts_dpo_tokenizer *t)
{
    if (!t)
        return;
    free(t->off);
    free(t->bytes);
    free(t->sorted);
    free(t);
}

ts_dpo_tokenizer *ts_dpo_tokenizer_load(const char *path, ts_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        TS_ERROR(e, TS_ENOINPUT, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    int32_t h[256];
    ts_dpo_tokenizer *t = NULL;
    if (fread(h, sizeof h, 1, f) != 1) {
        TS_ERROR(e, TS_EINPUT, "%s: truncated: shorter than the 1024-byte "
                 "header", path);
        goto done;
    }
    if (h[0] != TS_DPO_TOK_MAGIC) {
        TS_ERROR(e, TS_EINPUT, "%s: not a tokenizer file (magic %d, expected "
                 "%d)", path, h[0], TS_DPO_TOK_MAGIC);
        goto done;
    }
    if (h[1] != 1 && h[1] != 2) {
        TS_ERROR(e, TS_EUNSUPP, "%s: tokenizer version %d is not supported "
                 "(1 or 2)", path, h[1]);
        goto done;
    }
    int V = h[2];
    if (V < 1 || V > 1 << 24) {
        TS_ERROR(e, TS_EINPUT, "%s: vocabulary size %d is out of range", path,
                 V);
        goto done;
    }
    /* Each token record is a length byte and 1..255 bytes: the file's size
     * bounds V and the bytes, checked before anything is allocated (a 1 KB
     * header must not ask for gigabytes). */
    struct stat st;
    long long rest = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)
                         ? (long long)st.st_size - (long long)sizeof h : -1;
    if (rest >= 0 && rest < 2LL * V) {
        TS_ERROR(e, TS_EINPUT, "%s: truncated: %d tokens need at least %lld "
                 "bytes after the header, the file has %lld", path, V,
                 2LL * V, rest);
        goto done;
    }
    size_t cap = (size_t)V * 255;
    if (rest >= 0 && (size_t)(rest - V) < cap)
        cap = (size_t)(rest - V);
    t = tok_alloc(V, cap, e);
    if (!t)
        goto done;
    t->eot = h[1] == 2 ? h[3] : -1;
    if (t->eot >= V) {
        TS_ERROR(e, TS_EINPUT, "%s: <|endoftext|> id %d is not below the "
                 "vocabulary size %d", path, t->eot, V);
        goto fail;
    }
    for (int i = 0; i < V; i++) {
        unsigned char len;
        if (fread(&len, 1, 1, f) != 1 || t->off[i] + (size_t)len > cap ||
            fread(t->bytes + t->off[i], 1, len, f) != len) {
            TS_ERROR(e, TS_EINPUT, "%s: truncated: token %d of %d is "
                     "missing", path, i, V);
            goto fail;
        }
        if (len == 0) {
            TS_ERROR(e, TS_EINPUT, "%s: token %d has length 0", path, i);
            goto fail;
        }
        t->off[i + 1] = t->off[i] + len;
    }
    /* give back what the 255-byte bound over-allocated */
    unsigned char *b = realloc(t->bytes, t->off[V] ? t->off[V] : 1);
    if (b)
        t->bytes = b;
    finish(t);
    goto done;
fail:
    ts_dpo_tokenizer_free(t);
    t = NULL;
done:
    fclose(f);
    return t;
}

int ts_dpo_tokenizer_save(const ts_dpo_tokenizer *t, const char *path,
                          ts_err *e)
{
    ts_outfile out; /* a safe temporary beside path (outfile.h) */
    FILE *f = NULL;
    int rc = ts_out_open_stream(&out, path, &f, e);
    if (rc)
        return rc;
    int32_t h[256] = {0};
    h[0] = TS_DPO_TOK_MAGIC;
    h[1] = 2;
    h[2] = t->vocab_size;
    h[3] = t->eot;
    int ok = fwrite(h, sizeof h, 1, f) == 1;
    for (int i = 0; ok && i < t->vocab_size; i++) {
        uint32_t l = t->off[i + 1] - t->off[i];
        unsigned char len = (unsigned char)l;
        ok = l <= 255 && fwrite(&len, 1, 1, f) == 1 &&
             fwrite(t->bytes + t->off[i], 1, l, f) == l;
    }
    return ts_out_close_stream(&out, f, ok, e);
}

const unsigned char *ts_dpo_tokenizer_decode(const ts_dpo_tokenizer *t,
                                             int id, size_t *len)
{
    if (id < 0 || id >= t->vocab_size)
        return NULL;
    *len = t->off[id + 1] - t->off[id];
    return t->bytes + t->off[id];
}

/* Id of the token equal to s[0..n), or -1. */
static int find(const ts_dpo_tokenizer *t, const unsigned char *s, size_t n)
{
    int lo = 0, hi = t->vocab_size - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, id = t->sorted[mid];
        uint32_t l = t->off[id + 1] - t->off[id];
        size_t k = l < n ? l : n;
        int c = memcmp(t->bytes + t->off[id], s, k);
        if (!c)
            c = (l > n) - (l < n);
        if (c == 0)
            return id;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

int ts_dpo_tokenizer_encode(const ts_dpo_tokenizer *t, const char *text,
                            int32_t *out, int cap, int *n, ts_err *e)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t len = strlen(text), i = 0;
    int k = 0;
    while (i < len) {
        size_t lmax = len - i < (size_t)t->max_len ? len - i : (size_t)t->max_len;
        int id = -1;
        size_t l;
        for (l = lmax; l >= 1; l--)
            if ((id = find(t, s + i, l)) >= 0)
                break;
        if (id < 0)
            return TS_ERROR(e, TS_EINPUT, "no token covers byte 0x%02x at "
                            "offset %zu", s[i], i);
        if (k < cap)
            out[k] = id;
        k++;
        i += l;
    }
    *n = k;
    if (k > cap)
        return TS_ERROR(e, TS_EINPUT, "text needs %d tokens, room for %d", k,
                        cap);
    return TS_OK;
}

/* spectrum_data.c -- the reader of DeepSense's "SDR 802.11 a/g" files
 * (Uvaydov et al., INFOCOM 2021), the real data behind paper Sec. VII-B
 * (SPEC §6), for the population side of the end-to-end task.
 *
 * A file is named MASK_dayD.bin (`1101_day2.bin`: channels 1, 2 and 4
 * busy, day 2).  The mask's first character is channel 1, the lowest
 * sub-band of the FFT-shifted spectrum (games/spectrum.h); the data set's
 * own scripts read the mask left to right as channels 1..4 and label
 * every sample of the file with it.  The contents are GNU Radio's file
 * sink output: a raw time series of complex64, float32 I then Q,
 * little-endian, 8 bytes a sample, no header.  It is cut into
 * non-overlapping windows of 32 samples (256 bytes); a file must hold a
 * whole, non-zero number of windows.  "FFT-shifted as GNU Radio writes
 * it": the samples are in time order; the spectrum of a window is
 * shifted (DC in the middle) by ts_spectrum_fft, as the data set's own
 * spectrogram script compensates.
 *
 * Memory is bounded: a file larger than the caller's cap is refused
 * before anything is allocated, and the stepping reader reads into the
 * caller's buffer.  Samples are decoded from their bytes (any host byte
 * order) and kept bit for bit; a NaN or infinite one is refused with its
 * index.  Nothing here prints: errors are "FILE: what is wrong" messages
 * in the caller's ts_err.
 *
 * Left out: the data set's .h5 conversions; a noise-floor estimate (the
 * energies are returned in the file's own units). */
#include "games/spectrum.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    C = TS_SPEC_CHANNELS,
    W = TS_SPEC_WINDOW,
    K = TS_SPEC_BINS,
    WIN_BYTES = TS_SPEC_WINDOW * 8, /* 32 complex64 samples */
    CHUNK_WIN = 4096,               /* windows per read: 1 MiB */
    MAX_DAY_DIGITS = 6,
};

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int ts_spectrum_parse_name(const char *path, int busy[TS_SPEC_CHANNELS],
                           int *day, ts_err *e)
{
    const char *s = base_name(path);
    int ok = 1, d = 0, nd = 0;
    for (int c = 0; c < C && ok; c++) {
        ok = s[c] == '0' || s[c] == '1';
        if (ok)
            busy[c] = s[c] - '0';
    }
    if (ok)
        ok = strncmp(s + C, "_day", 4) == 0;
    const char *q = s + C + 4;
    while (ok && *q >= '0' && *q <= '9' && nd < MAX_DAY_DIGITS) {
        d = 10 * d + (*q++ - '0');
        nd++;
    }
    if (!(ok && nd > 0 && d > 0 && strcmp(q, ".bin") == 0))
        return TS_ERROR(e, TS_EINPUT,
                        "%s: the name is not MASK_dayD.bin (MASK four "
                        "characters 0/1, channel 1 first; D a day number "
                        "from 1), e.g. 1101_day2.bin",
                        path);
    *day = d;
    return TS_OK;
}

int ts_spectrum_reader_open(ts_spectrum_reader *r, const char *path,
                            size_t max_bytes, ts_err *e)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    int rc = ts_spectrum_parse_name(path, r->busy, &r->day, e);
    if (rc)
        return rc;
    r->fp = fopen(path, "rb");
    if (!r->fp)
        return TS_ERROR(e, TS_EIO, "%s: cannot open: %s", path,
                        strerror(errno));
    struct stat sb;
    if (fstat(fileno(r->fp), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        ts_spectrum_reader_close(r);
        return TS_ERROR(e, TS_EIO, "%s: not a regular file", path);
    }
    const uintmax_t size = (uintmax_t)sb.st_size;
    if (size > (uintmax_t)max_bytes)
        rc = TS_ERROR(e, TS_EINPUT,
                      "%s: %ju bytes is over the cap of %zu bytes; raise "
                      "the cap or read the file in steps",
                      path, size, max_bytes);
    else if (size == 0)
        rc = TS_ERROR(e, TS_EINPUT,
                      "%s: empty: no window of %d samples", path, W);
    else if (size % WIN_BYTES != 0)
        rc = TS_ERROR(e, TS_EINPUT,
                      "%s: %ju bytes is not a whole number of windows of "
                      "%d complex64 samples (%d bytes); %ju bytes are left "
                      "over",
                      path, size, W, WIN_BYTES, size % WIN_BYTES);
    if (rc) {
        ts_spectrum_reader_close(r);
        return rc;
    }
    r->n_win = (long)(size / WIN_BYTES);
    return TS_OK;
}

/* Decode n float32 little-endian values in place (the bytes of iq were
 * read from the file) and refuse a non-finite one; first is the index of
 * iq[0] among the file's floats, for the message. */
static int decode(const ts_spectrum_reader *r, float *iq, size_t n,
                  uintmax_t first, ts_err *e)
{
    for (size_t k = 0; k < n; k++) {
        unsigned char b[4];
        memcpy(b, iq + k, 4);
        const uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                           (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        float f;
        memcpy(&f, &v, sizeof f);
        if (!isfinite(f)) {
            const uintmax_t idx = first + k;
            return TS_ERROR(e, TS_ENONFINITE,
                            "%s: sample %ju (window %ju) has %s = %s; the "
                            "file is damaged or not complex64",
                            r->path, idx / 2, idx / (2 * W),
                            idx % 2 ? "Q" : "I", isnan(f) ? "NaN" : "inf");
        }
        iq[k] = f;
    }
    return TS_OK;
}

int ts_spectrum_reader_next(ts_spectrum_reader *r, float *iq, long max_win,
                            long *got, ts_err *e)
{
    *got = 0;
    long want = r->n_win - r->next_win;
    if (want > max_win)
        want = max_win;
    if (want <= 0)
        return TS_OK;
    const size_t n = (size_t)want * 2 * W;
    const size_t have = fread(iq, sizeof *iq, n, r->fp);
    if (have != n) {
        const uintmax_t at =
            (uintmax_t)r->next_win * WIN_BYTES + have * sizeof *iq;
        if (ferror(r->fp))
            return TS_ERROR(e, TS_EIO, "%s: read failed at byte %ju: %s",
                            r->path, at, strerror(errno));
        return TS_ERROR(e, TS_EIO,
                        "%s: ends at byte %ju, before the %ju its size "
                        "promised (changed while being read?)",
                        r->path, at, (uintmax_t)r->n_win * WIN_BYTES);
    }
    int rc = decode(r, iq, n, (uintmax_t)r->next_win * 2 * W, e);
    if (rc)
        return rc;
    r->next_win += want;
    *got = want;
    return TS_OK;
}

void ts_spectrum_reader_close(ts_spectrum_reader *r)
{
    if (r->fp)
        fclose(r->fp);
    r->fp = NULL;
}

/* E[4] of one window of stored samples. */
static int window_energy(const float *iq, double *E)
{
    double Y[2 * W];
    for (int k = 0; k < 2 * W; k++)
        Y[k] = iq[k];
    int rc = ts_spectrum_fft(Y, Y);
    for (int c = 0; c < C && !rc; c++) {
        double sum = 0.0;
        for (int b = 0; b < K; b++) {
            const int k = K * c + b;
            sum += Y[2 * k] * Y[2 * k] + Y[2 * k + 1] * Y[2 * k + 1];
        }
        E[c] = sum / K;
    }
    return rc;
}

int ts_spectrum_file_read(ts_spectrum_file *f, const char *path,
                          size_t max_bytes, ts_err *e)
{
    memset(f, 0, sizeof *f);
    ts_spectrum_reader r;
    int rc = ts_spectrum_reader_open(&r, path, max_bytes, e);
    if (rc)
        return rc;
    f->iq = malloc((size_t)r.n_win * 2 * W * sizeof *f->iq);
    f->energy = malloc((size_t)r.n_win * C * sizeof *f->energy);
    if (!f->iq || !f->energy)
        rc = TS_ERROR(e, TS_ENOMEM, "%s: no memory for %ld windows", path,
                      r.n_win);
    for (long w = 0; !rc && w < r.n_win;) {
        long got;
        rc = ts_spectrum_reader_next(&r, f->iq + (size_t)w * 2 * W,
                                     CHUNK_WIN, &got, e);
        for (long k = w; !rc && k < w + got; k++)
            if (window_energy(f->iq + (size_t)k * 2 * W,
                              f->energy + (size_t)k * C))
                rc = TS_ERROR(e, TS_EINVAL, "%s: the FFT failed", path);
        w += got;
    }
    if (rc) {
        ts_spectrum_reader_close(&r);
        ts_spectrum_file_free(f);
        return rc;
    }
    memcpy(f->busy, r.busy, sizeof f->busy);
    f->day = r.day;
    f->n_win = r.n_win;
    ts_spectrum_reader_close(&r);
    return TS_OK;
}

void ts_spectrum_file_free(ts_spectrum_file *f)
{
    free(f->iq);
    free(f->energy);
    memset(f, 0, sizeof *f);
}

/* ------------------------------------------------------------------ */
/* A directory of files (spectrum.h, ts_spectrum_set).                  */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, int n)
{
    for (int k = 0; k < n; k++)
        free(names[k]);
    free(names);
}

/* The paths DIR/NAME of every NAME ending in ".bin", sorted by name so
 * that the windows' order (and so every draw) does not depend on the
 * order readdir happens to give. */
static int list_bins(const char *dir, char ***out, int *n, ts_err *e)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return TS_ERROR(e, TS_EINPUT, "%s: cannot open the directory: %s",
                        dir, strerror(errno));
    char **names = NULL;
    int cap = 0, rc = TS_OK;
    for (struct dirent *de; !rc && (de = readdir(d));) {
        const size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 4, ".bin"))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 32;
            char **more = realloc(names, (size_t)cap * sizeof *names);
            if (!more) {
                rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", dir);
                break;
            }
            names = more;
        }
        names[*n] = malloc(strlen(dir) + len + 2);
        if (!names[*n])
            rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", dir);
        else
            sprintf(names[(*n)++], "%s/%s", dir, de->d_name);
    }
    closedir(d);
    if (!rc && *n == 0)
        rc = TS_ERROR(e, TS_EINPUT, "%s: no DeepSense file (MASK_dayD.bin, "
                      "e.g. 1101_day2.bin) in the directory", dir);
    if (rc) {
        free_names(names, *n);
        *n = 0;
        return rc;
    }
    qsort(names, (size_t)*n, sizeof *names, cmp_names);
    *out = names;
    return TS_OK;
}

/* The windows of one file into s->iq and s->mask from window w0 on; the
 * file must still hold the n_win windows the first pass counted. */
static int set_read_file(ts_spectrum_set *s, const char *path, long w0,
                         long n_win, ts_err *e)
{
    ts_spectrum_reader r;
    int rc = ts_spectrum_reader_open(&r, path, (size_t)-1, e);
    if (!rc && r.n_win != n_win)
        rc = TS_ERROR(e, TS_EIO, "%s: changed size while being read", path);
    unsigned char mask = 0;
    for (int c = 0; !rc && c < C; c++)
        mask |= (unsigned char)(r.busy[c] << c);
    for (long w = w0; !rc && w < w0 + n_win;) {
        long got;
        rc = ts_spectrum_reader_next(&r, s->iq + (size_t)w * 2 * W, CHUNK_WIN,
                                     &got, e);
        for (long k = w; k < w + got; k++)
            s->mask[k] = mask;
        w += got;
        if (!rc && got == 0)
            rc = TS_ERROR(e, TS_EIO, "%s: ends early", path);
    }
    ts_spectrum_reader_close(&r);
    return rc;
}

/* n0, pi and v from the windows (spectrum.h): sums in window order. */
static int set_stats(ts_spectrum_set *s, const char *dir, ts_err *e)
{
    double sum[2][C] = {{0}}, E[C];
    long cnt[2][C] = {{0}};
    for (long w = 0; w < s->n_win; w++) {
        if (window_energy(s->iq + (size_t)w * 2 * W, E))
            return TS_ERROR(e, TS_EINVAL, "%s: the FFT failed", dir);
        for (int c = 0; c < C; c++) {
            const int b = (s->mask[w] >> c) & 1;
            sum[b][c] += E[c];
            cnt[b][c]++;
        }
    }
    double idle = 0.0;
    long n_idle = 0;
    for (int c = 0; c < C; c++) {
        idle += sum[0][c];
        n_idle += cnt[0][c];
    }
    if (n_idle == 0)
        return TS_ERROR(e, TS_EINPUT, "%s: every file's mask is 1111: no "
                        "idle sub-band to measure the noise floor on", dir);
    s->n0 = idle / (double)n_idle;
    if (!(s->n0 > 0.0))
        return TS_ERROR(e, TS_EINPUT, "%s: the idle sub-bands hold no power "
                        "(noise floor 0): the features would be -inf", dir);
    for (int c = 0; c < C; c++) {
        s->pi[c] = (double)cnt[1][c] / (double)s->n_win;
        for (int b = 0; b < 2; b++)
            s->v[b][c] = cnt[b][c] ? sum[b][c] / (double)cnt[b][c] / s->n0
                                   : NAN;
    }
    return TS_OK;
}

int ts_spectrum_set_load(ts_spectrum_set **out, const char *dir,
                         size_t max_bytes, ts_err *e)
{
    *out = NULL;
    char **names;
    int n;
    int rc = list_bins(dir, &names, &n, e);
    if (rc)
        return rc;
    long *n_win = calloc((size_t)n, sizeof *n_win);
    ts_spectrum_set *s = calloc(1, sizeof *s);
    if (!n_win || !s)
        rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", dir);
    /* First pass: names and sizes, so nothing is read of a set that
     * cannot be held. */
    uintmax_t total = 0;
    for (int k = 0; !rc && k < n; k++) {
        ts_spectrum_reader r;
        rc = ts_spectrum_reader_open(&r, names[k], (size_t)-1, e);
        ts_spectrum_reader_close(&r);
        n_win[k] = r.n_win;
        total += (uintmax_t)r.n_win;
    }
    if (!rc && total * WIN_BYTES > (uintmax_t)max_bytes)
        rc = TS_ERROR(e, TS_EINPUT, "%s: %ju bytes of windows in %d files is "
                      "over the cap of %zu bytes", dir, total * WIN_BYTES, n,
                      max_bytes);
    if (!rc && total > 0xFFFFFFFFu)
        rc = TS_ERROR(e, TS_EINPUT, "%s: %ju windows, more than 2^32 - 1",
                      dir, total);
    if (!rc) {
        s->n_files = n;
        s->n_win = (long)total;
        s->iq = malloc((size_t)total * 2 * W * sizeof *s->iq);
        s->mask = malloc((size_t)total);
        if (!s->iq || !s->mask)
            rc = TS_ERROR(e, TS_ENOMEM, "%s: no memory for %ju windows", dir,
                          total);
    }
    long w0 = 0;
    for (int k = 0; !rc && k < n; w0 += n_win[k++])
        rc = set_read_file(s, names[k], w0, n_win[k], e);
    if (!rc)
        rc = set_stats(s, dir, e);
    free(n_win);
    free_names(names, n);
    if (rc) {
        ts_spectrum_set_free(s);
        return rc;
    }
    *out = s;
    return TS_OK;
}

void ts_spectrum_set_free(ts_spectrum_set *s)
{
    if (!s)
        return;
    free(s->iq);
    free(s->mask);
    free(s);
}

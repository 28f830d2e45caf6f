/* deepsense_files.h -- small DeepSense files written by the tests
 * (test_deepsense.c, tests/e2e/test_e2e.c): MASK_dayD.bin, interleaved
 * float32 I/Q little-endian (games/spectrum.h).
 *
 * Window contents, independent of the library's streams: receiver noise
 * of power 1 per complex sample (so about n0 = 32 per FFT bin) from a
 * xorshift generator and Box-Muller, plus, on each channel the name's mask
 * calls busy, a tone of amplitude `amp` on each of its 8 bins -- bin power
 * (32 amp)^2, 21 dB over the floor at amp = 2. */
#ifndef TS_TEST_DEEPSENSE_FILES_H
#define TS_TEST_DEEPSENSE_FILES_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline double ds_uniform(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
}

/* n_win windows into iq[n_win * 64] for the mask of `name`. */
static inline void ds_windows(const char *name, int n_win, double amp, uint64_t seed,
                       float *iq)
{
    const double two_pi = 6.283185307179586;
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int w = 0; w < n_win; w++)
        for (int n = 0; n < 32; n++) {
            const double r = sqrt(-log(ds_uniform(&s))), a = two_pi * ds_uniform(&s);
            double re = r * cos(a), im = r * sin(a); /* CN(0, 1) */
            for (int c = 0; c < 4; c++) {
                if (name[c] != '1')
                    continue;
                for (int b = 0; b < 8; b++) {
                    const int k = (8 * c + b + 16) % 32; /* unshifted bin */
                    const double ph = two_pi * (k * n / 32.0 + 0.1 * b + 0.37 * w);
                    re += amp * cos(ph);
                    im += amp * sin(ph);
                }
            }
            iq[64 * w + 2 * n] = (float)re;
            iq[64 * w + 2 * n + 1] = (float)im;
        }
}

/* The bytes of `count` floats, little-endian, into dir/name. */
static inline void ds_write_floats(const char *dir, const char *name, const float *x,
                            size_t count)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    for (size_t k = 0; k < count; k++) {
        uint32_t v;
        memcpy(&v, &x[k], 4);
        const unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                                    (unsigned char)(v >> 16),
                                    (unsigned char)(v >> 24)};
        fwrite(b, 1, 4, f);
    }
    fclose(f);
}

/* Write dir/name with n_win windows; the samples into iq if not NULL. */
static inline void ds_write(const char *dir, const char *name, int n_win, double amp,
                     uint64_t seed, float *iq)
{
    float *buf = malloc((size_t)n_win * 64 * sizeof *buf);
    if (!buf)
        abort();
    ds_windows(name, n_win, amp, seed, buf);
    ds_write_floats(dir, name, buf, (size_t)n_win * 64);
    if (iq)
        memcpy(iq, buf, (size_t)n_win * 64 * sizeof *buf);
    free(buf);
}

/* Remove every file of dir (the tests' own temporary directories) and it. */
static inline void ds_rmdir(const char *dir, const char *const *names, int n)
{
    char path[512];
    for (int k = 0; k < n; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        remove(path);
    }
    remove(dir);
}

#endif

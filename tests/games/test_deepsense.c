/* test_deepsense.c -- the DeepSense set (games/spectrum_data.c,
 * ts_spectrum_set) and the population `deepsense` (games/deepsense.c) on
 * small files the test writes (deepsense_files.h).  Known answers:
 *   - the set holds every file's windows bit for bit in name order, each
 *     with its file's mask (bit c = character c of the name); pi_c is the
 *     count of busy windows over 7, exactly; n0 and the scales v[s][c]
 *     agree with a naive O(n^2) DFT written here (relative 1e-9);
 *   - a draw's truths are the masks of the windows it drew, and each
 *     prompt's features are those of the same I/Q through the synthetic
 *     path (ts_spectrum_fft, ts_spectrum_subband_db, ts_spectrum_format),
 *     bit for bit; SU 1 (-10 dB, unbiased) is sure and right on tones 21 dB
 *     over the floor (|q - p| < 1e-6); a redraw at the same slot is the
 *     same bits;
 *   - a channel busy in every window (or none) gives every SU the belief
 *     1 (or 0);
 *   - refusals, each naming what is wrong: no directory, no .bin file, a
 *     bad name, a ragged file, every mask 1111, the byte cap, a draw
 *     before attach, a wrong-length SU list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rng.h"
#include "base/streams.h"
#include "games/spectrum.h"

#include "deepsense_files.h"

static const char *const NAMES[3] = {"1010_day1.bin", "0001_day2.bin",
                                     "0110_day1.bin"};
static const int NWIN[3] = {3, 2, 2};

/* The three files (written out of order) and a file to be ignored; iq in
 * name order: 0001_day2, 0110_day1, 1010_day1. */
static void write_set(char *dir, float *iq)
{
    strcpy(dir, "/tmp/test_deepsense_XXXXXX");
    assert_non_null(mkdtemp(dir));
    float tmp[3][3 * 64];
    for (int k = 0; k < 3; k++)
        ds_write(dir, NAMES[k], NWIN[k], 2.0, (uint64_t)k + 1, tmp[k]);
    char path[600];
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not data\n", f);
    fclose(f);
    memcpy(iq, tmp[1], 2 * 64 * sizeof *iq);
    memcpy(iq + 2 * 64, tmp[2], 2 * 64 * sizeof *iq);
    memcpy(iq + 4 * 64, tmp[0], 3 * 64 * sizeof *iq);
}

static void remove_set(const char *dir)
{
    const char *const all[4] = {NAMES[0], NAMES[1], NAMES[2], "notes.txt"};
    ds_rmdir(dir, all, 4);
}

/* (1/K) sum of |Y_k|^2 over sub-band c by the DFT's definition. */
static double naive_energy(const float *iq, int c)
{
    const double two_pi = 6.283185307179586;
    double sum = 0.0;
    for (int b = 0; b < 8; b++) {
        const int k = (8 * c + b + 16) % 32; /* shifted bin 8c+b */
        double re = 0.0, im = 0.0;
        for (int n = 0; n < 32; n++) {
            const double a = -two_pi * k * n / 32.0;
            re += iq[2 * n] * cos(a) - iq[2 * n + 1] * sin(a);
            im += iq[2 * n] * sin(a) + iq[2 * n + 1] * cos(a);
        }
        sum += re * re + im * im;
    }
    return sum / 8.0;
}

static void close_rel(double x, double want, double rel)
{
    if (!(fabs(x - want) <= rel * fabs(want)))
        fail_msg("%.17g is not within %g of %.17g", x, rel, want);
}

static void set_reads_every_file(void **unused)
{
    (void)unused;
    char dir[64];
    float iq[7 * 64];
    write_set(dir, iq);
    ts_spectrum_set *s;
    ts_err e;
    if (ts_spectrum_set_load(&s, dir, 1 << 20, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(s->n_files, 3);
    assert_int_equal(s->n_win, 7);
    assert_memory_equal(s->iq, iq, sizeof iq); /* bit for bit, name order */
    const unsigned char mask[7] = {8, 8, 6, 6, 5, 5, 5};
    assert_memory_equal(s->mask, mask, 7);
    const double pi[4] = {3.0 / 7, 2.0 / 7, 5.0 / 7, 2.0 / 7};
    double sum[2][4] = {{0}}, idle = 0;
    int cnt[2][4] = {{0}}, n_idle = 0;
    for (int w = 0; w < 7; w++)
        for (int c = 0; c < 4; c++) {
            const int b = (mask[w] >> c) & 1;
            const double E = naive_energy(iq + 64 * w, c);
            sum[b][c] += E;
            cnt[b][c]++;
            if (!b) {
                idle += E;
                n_idle++;
            }
        }
    const double n0 = idle / n_idle;
    printf("n0 %.6f (noise of power 1 per sample: about 32)\n", n0);
    close_rel(s->n0, n0, 1e-9);
    assert_true(s->n0 > 16 && s->n0 < 64);
    for (int c = 0; c < 4; c++) {
        assert_true(s->pi[c] == pi[c]);
        for (int b = 0; b < 2; b++)
            close_rel(s->v[b][c], sum[b][c] / cnt[b][c] / n0, 1e-9);
        /* tones of bin power 4096 over a floor near 32 */
        assert_true(s->v[1][c] > 60 && s->v[0][c] < 2);
    }
    ts_spectrum_set_free(s);
    remove_set(dir);
}

static void draw_slot(ts_pop *P, long t, int m, double *p, double *q)
{
    ts_rng rs, rb;
    ts_rng_init(&rs, 3, 17, 0, TS_STREAM_STATE);
    ts_rng_init(&rb, 3, 17, 0, TS_STREAM_BELIEF);
    ts_rng_seek(&rs, (uint64_t)t);
    ts_rng_seek(&rb, (uint64_t)t);
    assert_int_equal(P->type->draw(P->st, t, m, &rs, &rb, p, q), TS_OK);
}

static void draw_replays_windows(void **unused)
{
    (void)unused;
    char dir[64];
    float iq[7 * 64];
    write_set(dir, iq);
    ts_spectrum_set *s;
    ts_err e;
    if (ts_spectrum_set_load(&s, dir, 1 << 20, &e))
        fail_msg("%s", e.msg);
    enum { N = 3, M = 30 }; /* 8 windows, the last with 2 prompts */
    ts_pop P;
    ts_shape g = {N, M, 10, TS_FULL};
    if (ts_pop_alloc(&P, &ts_pop_deepsense, &g, NULL, &e) ||
        ts_deepsense_attach(P.st, s, &e))
        fail_msg("%s", e.msg);
    double p[M], q[N * M], p2[M], q2[N * M];
    draw_slot(&P, 5, M, p, q);
    int seen = 0;
    for (int j = 0; j < M; j++) {
        const int w = j / 4, c = j % 4;
        const long idx = ts_deepsense_window(P.st, w);
        assert_true(idx >= 0 && idx < 7);
        seen |= 1 << idx;
        assert_true(p[j] == (double)((s->mask[idx] >> c) & 1));
        /* The same I/Q through the synthetic path. */
        double Y[64], db[8], got[8];
        for (int k = 0; k < 64; k++)
            Y[k] = iq[64 * idx + k];
        assert_int_equal(ts_spectrum_fft(Y, Y), TS_OK);
        ts_spectrum_subband_db(Y, c, s->n0, db);
        int cj;
        assert_int_equal(ts_deepsense_prompt_db(P.st, j, &cj, got, &e), TS_OK);
        assert_int_equal(cj, c);
        assert_memory_equal(got, db, sizeof db);
        char want[256], text[256];
        ts_spectrum_format(c, db, want, sizeof want);
        assert_int_equal(P.type->prompt_text(P.st, j, text, sizeof text, &e),
                         TS_OK);
        assert_string_equal(text, want);
        for (int i = 0; i < N; i++)
            assert_true(q[i * M + j] >= 0 && q[i * M + j] <= 1);
        if (!(fabs(q[j] - p[j]) < 1e-6))
            fail_msg("prompt %d: SU 1 believes %g, truth %g", j, q[j], p[j]);
    }
    assert_int_equal(ts_deepsense_window(P.st, 8), -1);
    assert_true(__builtin_popcount((unsigned)seen) >= 4); /* windows vary */
    assert_int_equal(P.type->prompt_text(P.st, M, (char[8]){0}, 8, &e),
                     TS_EINVAL);
    draw_slot(&P, 5, M, p2, q2);
    assert_memory_equal(p2, p, sizeof p);
    assert_memory_equal(q2, q, sizeof q);
    ts_pop_free(&P);
    ts_spectrum_set_free(s);
    remove_set(dir);
}

static void channel_without_both_states(void **unused)
{
    (void)unused;
    char dir[64] = "/tmp/test_deepsense_XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *const names[2] = {"1000_day1.bin", "1100_day3.bin"};
    for (int k = 0; k < 2; k++)
        ds_write(dir, names[k], 2, 2.0, 9 + (uint64_t)k, NULL);
    ts_spectrum_set *s;
    ts_err e;
    if (ts_spectrum_set_load(&s, dir, 1 << 20, &e))
        fail_msg("%s", e.msg);
    assert_true(s->pi[0] == 1.0 && s->pi[3] == 0.0 && s->pi[1] == 0.5);
    assert_true(isnan(s->v[0][0]) && isnan(s->v[1][3]));
    ts_pop P;
    ts_shape g = {5, 8, 10, TS_FULL};
    if (ts_pop_alloc(&P, &ts_pop_deepsense, &g, NULL, &e) ||
        ts_deepsense_attach(P.st, s, &e))
        fail_msg("%s", e.msg);
    double p[8], q[5 * 8];
    draw_slot(&P, 0, 8, p, q);
    for (int i = 0; i < 5; i++)
        for (int w = 0; w < 2; w++) {
            assert_true(q[i * 8 + 4 * w] == 1.0 && p[4 * w] == 1.0);
            assert_true(q[i * 8 + 4 * w + 3] == 0.0 && p[4 * w + 3] == 0.0);
        }
    ts_pop_free(&P);
    ts_spectrum_set_free(s);
    ds_rmdir(dir, names, 2);
}

static void expect_set_error(const char *dir, size_t cap, const char *needle)
{
    ts_spectrum_set *s = (ts_spectrum_set *)&s;
    ts_err e;
    ts_err_clear(&e);
    assert_true(ts_spectrum_set_load(&s, dir, cap, &e) != TS_OK);
    assert_null(s);
    if (!strstr(e.msg, needle))
        fail_msg("'%s' does not say '%s'", e.msg, needle);
    assert_null(strchr(e.msg, '\n'));
}

static void refusals(void **unused)
{
    (void)unused;
    char dir[64] = "/tmp/test_deepsense_XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    expect_set_error("/nonexistent/deepsense", 1 << 20,
                     "/nonexistent/deepsense: cannot open the directory");
    expect_set_error(dir, 1 << 20, "no DeepSense file");
    const char *const names[4] = {"1111_day1.bin", "10x1_day1.bin",
                                  "0100_day1.bin", "0010_day1.bin"};
    ds_write(dir, names[0], 2, 2.0, 1, NULL);
    expect_set_error(dir, 1 << 20, "every file's mask is 1111");
    ds_write(dir, names[3], 2, 2.0, 2, NULL);
    expect_set_error(dir, 1000, "over the cap of 1000 bytes");
    ds_write(dir, names[1], 1, 2.0, 3, NULL);
    snprintf(path, sizeof path, "%s/%s: the name is not MASK_dayD.bin", dir,
             names[1]);
    expect_set_error(dir, 1 << 20, path);
    snprintf(path, sizeof path, "%s/%s", dir, names[1]);
    remove(path);
    const float ragged[10] = {0};
    ds_write_floats(dir, names[2], ragged, 10);
    snprintf(path, sizeof path, "%s/%s: 40 bytes is not a whole number", dir,
             names[2]);
    expect_set_error(dir, 1 << 20, path);

    ts_pop P;
    ts_err e;
    ts_shape g = {3, 8, 10, TS_FULL};
    assert_int_equal(ts_pop_alloc(&P, &ts_pop_deepsense, &g, NULL, &e), TS_OK);
    double p[8], q[24];
    ts_rng r;
    ts_rng_init(&r, 1, 1, 0, TS_STREAM_STATE);
    assert_int_equal(P.type->draw(P.st, 0, 8, &r, &r, p, q), TS_EINVAL);
    assert_int_equal(ts_deepsense_attach(P.st, NULL, &e), TS_EINVAL);
    assert_non_null(strstr(e.msg, "data: DIR"));
    ts_pop_free(&P);
    ts_params par;
    ts_params_init(&par, ts_pop_deepsense.n_params);
    const double two[2] = {0, 0};
    par.vec[0] = two;
    par.len[0] = 2;
    par.set[0] = 1;
    assert_int_equal(ts_pop_alloc(&P, &ts_pop_deepsense, &g, &par, &e),
                     TS_EINPUT);
    assert_non_null(strstr(e.msg, "deepsense: 'su_noise_db' has 2 numbers "
                                  "but needs 3"));
    ds_rmdir(dir, names, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(set_reads_every_file),
        cmocka_unit_test(draw_replays_windows),
        cmocka_unit_test(channel_without_both_states),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

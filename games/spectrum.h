/* spectrum.h -- the cooperative spectrum sensing task of the end-to-end
 * experiment (paper Sec. VII-B; SPEC §6): what the population `spectrum`
 * (games/spectrum.c) and the DeepSense reader (games/spectrum_data.c)
 * export for the DPO loop.
 *
 * The layout is DeepSense's "SDR 802.11 a/g" set (Uvaydov et al., INFOCOM
 * 2021): four non-overlapping 5 MHz channels in 20 MHz, one receiver at
 * 20 MS/s, non-overlapping windows of 32 complex baseband samples, a
 * 32-point FFT, the spectrum FFT-shifted (DC in the middle, lowest
 * frequency first) and split into four sub-bands of 8 bins.  Channel c
 * (1-based) is sub-band c counted from the lowest frequency: shifted bins
 * 8(c-1) .. 8c-1, frequencies -10 + 5(c-1) .. -5 + 5(c-1) MHz about the
 * centre.  A prompt is one (window, sub-band) pair.
 *
 * Symbols: n0 the receiver's noise power per FFT bin (the 0 dB reference
 * of the features), K = 8 bins per sub-band, Y[32] one window's shifted
 * spectrum (interleaved re, im), P[32] its bin powers |Y_k|^2. */
#ifndef TS_SPECTRUM_H
#define TS_SPECTRUM_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "game/game.h"

enum {
    TS_SPEC_CHANNELS = 4, /* 5 MHz channels (= sub-bands) in 20 MHz        */
    TS_SPEC_WINDOW = 32,  /* complex samples per window = FFT points       */
    TS_SPEC_BINS = 8,     /* FFT bins per sub-band, K                      */
};

/* ------------------------------------------------------------------ */
/* Features of one window: the same code for the synthetic scene and the
 * real files. */

/* Y = fftshift(DFT(iq)): iq[64] and Y[64] interleaved (re, im), the DFT
 * unnormalised, Y_k = sum_n y_n e^{-2 pi i k n / 32} (GSL's radix-2
 * forward transform), then bin k' holds frequency (k' - 16) * 0.625 MHz.
 * iq and Y may be the same array.  TS_EINVAL if GSL refuses (it cannot
 * for 32 points). */
int ts_spectrum_fft(const double *iq, double *Y);

/* Bin powers in dB above a noise floor: db[k] = 10 log10(|Y_k|^2 / n0)
 * for the K bins of sub-band c (0-based), from a shifted spectrum Y[64].
 * A bin with no power gives -inf. */
void ts_spectrum_subband_db(const double *Y, int c, double n0,
                            double db[TS_SPEC_BINS]);

/* The feature text of a prompt, for the prompt string of the DPO loop:
 * "sub-band 3 (0 to 5 MHz), bin power in dB over the noise floor: 12 9 14
 * 7 10 11 8 13" -- c 0-based, each value rounded to a whole dB ("-inf"
 * for a bin with no power).  Returns the length snprintf would give
 * (the text is cut, NUL-terminated, when it is >= len). */
int ts_spectrum_format(int c, const double db[TS_SPEC_BINS], char *buf,
                       size_t len);

/* The secondary users of `spectrum` and `deepsense` (the models are in
 * games/spectrum.c's and games/deepsense.c's headers): SU i reads sub-band
 * c of a window through its own front end, Y_ik = Y_k + nu_i z_ik, sums the
 * energy x_ic = (1/n0) sum_{k in c} |Y_ik|^2 and believes
 * logistic(A[i][c] + B[i][c] x_ic) -- its posterior under its Gamma energy
 * model, the bias folded into A, B by the caller.  fixed (may be NULL):
 * channels with fixed[c] >= 0 get that belief from every SU. */
typedef struct ts_spectrum_sus {
    int N;
    const double *A, *B;   /* [N][4]                                     */
    const double *nu;      /* [N] noise amplitude per real component     */
    double n0;             /* the 0 dB reference: noise power per bin    */
    const double *fixed;   /* [4] or NULL                                */
} ts_spectrum_sus;

/* Beliefs q[i][j] of the prompts j = 4w + c < m of window w, from its
 * shifted spectrum Y[64] and the SUs' normals zs[N][64]. */
void ts_spectrum_su_beliefs(const ts_spectrum_sus *su, int w, int m,
                            const double *Y, const double *zs, double *q);

/* ------------------------------------------------------------------ */
/* The population `spectrum` after a draw: pure functions of its state
 * (st as the engine or ts_pop_alloc holds it), describing the slot drawn
 * last.  Prompt j of a slot is window j / 4, channel j mod 4. */

/* Prompts in the slot drawn last (0 before the first draw). */
int ts_spectrum_last_m(const void *st);
/* Prompt j's channel (0-based) and the dB powers of its K bins over the
 * receiver's noise floor; TS_EINVAL when j is not a prompt of that slot. */
int ts_spectrum_prompt_db(const void *st, int j, int *c,
                          double db[TS_SPEC_BINS], ts_err *e);
/* ts_spectrum_format of prompt j (the vtable's prompt_text, game.h). */
int ts_spectrum_prompt_text(const void *st, int j, char *buf, size_t len,
                            ts_err *e);

/* The SUs' own parameters, shared with `deepsense`.  SU i's (0-based, of
 * N) noise rho_i and gain g_i in linear units from the vector parameters
 * k_noise (su_noise_db) and k_bias (su_bias_db) of p when they hold N
 * numbers, else by the default rules: -10 dB and 0 dB for SU 1, then
 * evenly 0 .. 9 dB and 0.5 .. 2 dB for SUs 2..N (4.5 and 1.25 at N = 2). */
void ts_spectrum_su_noise_gain(const ts_params *p, int k_noise, int k_bias,
                               int N, int i, double *rho, double *g);
/* A vector parameter k set with other than `want` numbers: TS_EINPUT,
 * "POP: 'NAME' has n numbers but needs want (WHAT)". */
int ts_spectrum_check_len(const char *pop, const ts_param_spec *spec,
                          const ts_params *p, int k, int want,
                          const char *what, ts_err *e);

/* ------------------------------------------------------------------ */
/* The DeepSense files (games/spectrum_data.c).  Name MASK_dayD.bin: MASK
 * four characters 0/1, the first for channel 1 (the lowest sub-band), 1 =
 * busy for the whole file; D the day, a positive integer.  Contents: raw
 * complex64, interleaved float32 I then Q, little-endian, as GNU Radio's
 * file sink writes them; the time series is cut into non-overlapping
 * windows of 32 samples (256 bytes) and the file must hold a whole
 * number of them.  Messages say "FILE: what is wrong". */

/* Parse the name (the last path component) of a file: busy[4] in {0,1}
 * and the day.  TS_EINPUT for any other name. */
int ts_spectrum_parse_name(const char *path, int busy[TS_SPEC_CHANNELS],
                           int *day, ts_err *e);

/* A reader in steps: open checks the name and the size (a whole number of
 * windows, at least one, at most max_bytes -- refused, not truncated,
 * beyond it), next reads up to max_win windows, close closes.  Memory is
 * bounded by the caller's buffer. */
typedef struct ts_spectrum_reader {
    FILE *fp;
    const char *path;  /* as given to open; not copied                    */
    int busy[TS_SPEC_CHANNELS];
    int day;
    long n_win;        /* windows in the file                              */
    long next_win;     /* windows read so far                              */
} ts_spectrum_reader;

int ts_spectrum_reader_open(ts_spectrum_reader *r, const char *path,
                            size_t max_bytes, ts_err *e);
/* Up to max_win windows into iq[max_win][64] (float I, Q as stored,
 * bit for bit); *got is how many (0 at the end).  TS_ENONFINITE for a
 * sample that is NaN or infinite, naming its index; TS_EIO if the file
 * ends early or cannot be read. */
int ts_spectrum_reader_next(ts_spectrum_reader *r, float *iq, long max_win,
                            long *got, ts_err *e);
void ts_spectrum_reader_close(ts_spectrum_reader *r);

/* A whole file read at once (bounded by max_bytes): the windows and, per
 * window, the four sub-band energies E[w][c] = (1/K) sum over the bins of
 * sub-band c of |Y_k|^2 (no noise floor: the caller fixes the reference).
 * Free with ts_spectrum_file_free (a zeroed struct is fine). */
typedef struct ts_spectrum_file {
    int busy[TS_SPEC_CHANNELS];
    int day;
    long n_win;
    float *iq;      /* [n_win][64] samples as stored                       */
    double *energy; /* [n_win][4] sub-band energies                        */
} ts_spectrum_file;

int ts_spectrum_file_read(ts_spectrum_file *f, const char *path,
                          size_t max_bytes, ts_err *e);
void ts_spectrum_file_free(ts_spectrum_file *f);

/* Every MASK_dayD.bin of a directory, read once and then only read (the
 * tasks of an e2e run share it across threads): the windows of the files
 * in name order (strcmp), each with its file's mask, and the statistics
 * the SUs of `deepsense` hold as their model.  Files not ending in ".bin"
 * are ignored; a ".bin" file that is not a valid DeepSense file is an
 * error naming it (the reader's messages).  Refused: no such file, more
 * than max_bytes in all, more than 2^32 - 1 windows, every sub-band busy
 * (no noise floor) or an idle floor of zero power. */
typedef struct ts_spectrum_set {
    int n_files;
    long n_win;            /* windows over every file, < 2^32             */
    float *iq;             /* [n_win][64] samples as stored               */
    unsigned char *mask;   /* [n_win] bit c set: channel c busy           */
    /* Noise floor n0: the mean bin power |Y_k|^2 over every (window,
     * sub-band) pair its file's mask calls idle -- the 0 dB of the
     * features, as n0 = 32 is the synthetic scene's. */
    double n0;
    double pi[TS_SPEC_CHANNELS]; /* fraction of windows channel c busy    */
    /* v[s][c]: mean bin power over n0 of sub-band c in the windows where
     * channel c is idle (s = 0) or busy (s = 1); NaN where there is none. */
    double v[2][TS_SPEC_CHANNELS];
} ts_spectrum_set;

int ts_spectrum_set_load(ts_spectrum_set **out, const char *dir,
                         size_t max_bytes, ts_err *e);
void ts_spectrum_set_free(ts_spectrum_set *s);

/* ------------------------------------------------------------------ */
/* The population `deepsense` (games/deepsense.c): `spectrum`'s SUs on the
 * real windows of a ts_spectrum_set.  Not in the registry: only an e2e
 * experiment with `data: DIR` has a set to give it (a ts_params entry
 * holds numbers only).  After ts_pop_alloc, attach the set (kept by the
 * caller, alive while the state is used); draw() fails before. */
extern const ts_population_type ts_pop_deepsense;

int ts_deepsense_attach(void *st, const ts_spectrum_set *set, ts_err *e);
/* The set's index of window w (0-based) of the slot drawn last, or -1 when
 * that slot has no window w. */
long ts_deepsense_window(const void *st, int w);
/* As ts_spectrum_prompt_db: prompt j's channel and its K bin powers in dB
 * over the set's n0, from the shifted spectrum of its real window. */
int ts_deepsense_prompt_db(const void *st, int j, int *c,
                           double db[TS_SPEC_BINS], ts_err *e);

#endif

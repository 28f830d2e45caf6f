/* test_game.c -- src/game/game.c: ts_shares_from_log, ts_sq_loss_rows and the
 * limited-feedback draws ts_draw_index and ts_draw_subset.
 *
 * Known answers by hand:
 *   - log weights (0, log 2, log 5): shares 1/8, 2/8, 5/8;
 *   - (-1e6, -1e6 - log 2): shares 2/3, 1/3, though exp(-1e6) is 0 in
 *     double (the shift by the largest log weight is what makes it work);
 *   - squared loss of rows (0.385, 0.82) against p = (1, 0):
 *     ((1 - 0.385)^2 + 0.82^2) / 2 = (0.378225 + 0.6724) / 2 = 0.5253125.
 * ts_sq_loss_rows must equal the plain loop bit for bit (game.h), so it is
 * compared with one written here for every n = 1..9 (the 4-row blocks and
 * the tail) and m = 1..25. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "game/game.h"

static void fill_nan(double *a, int n)
{
    for (int k = 0; k < n; k++)
        a[k] = NAN;
}

static void close_to(double x, double want, double tol)
{
    if (!(fabs(x - want) <= tol))
        fail_msg("%.17g, want %.17g (tol %g)", x, want, tol);
}

static double sum(const double *a, int n)
{
    double s = 0;
    for (int k = 0; k < n; k++)
        s += a[k];
    return s;
}

/* ------------------------------------------------------------------ */

static void shares_known(void **unused)
{
    (void)unused;
    double lw[3] = {0.0, log(2.0), log(5.0)}, sh[4];
    fill_nan(sh, 4);
    ts_shares_from_log(3, lw, sh);
    close_to(sh[0], 0.125, 3e-16);
    close_to(sh[1], 0.25, 3e-16);
    close_to(sh[2], 0.625, 3e-16);
    assert_true(isnan(sh[3])); /* nothing written past N */
    close_to(sum(sh, 3), 1.0, 2e-16);
    /* log weights are not modified. */
    assert_true(lw[0] == 0.0 && lw[2] == log(5.0));

    /* N = 1: the one share is 1. */
    double one = -123.4, s1 = NAN;
    ts_shares_from_log(1, &one, &s1);
    assert_true(s1 == 1.0);

    /* Equal log weights: exactly uniform. */
    double eq[5] = {-3.5, -3.5, -3.5, -3.5, -3.5}, se[5];
    fill_nan(se, 5);
    ts_shares_from_log(5, eq, se);
    for (int i = 0; i < 5; i++)
        assert_true(se[i] == 0.2);
}

static void shares_sum_to_one_and_shift(void **unused)
{
    (void)unused;
    /* Assorted log weights; shifting all by c changes nothing (beyond the
     * rounding of lw + c itself). */
    const double base[7] = {-0.3, -12.0, -0.05, -700.0, -2.5, 0.0, -1e-9};
    const double shifts[] = {0.0, 1.0, -1.0, 37.25, 1000.0, -1000.0, -1e6};
    double ref[7];
    fill_nan(ref, 7);
    ts_shares_from_log(7, base, ref);
    close_to(sum(ref, 7), 1.0, 4e-16);
    for (size_t c = 0; c < sizeof shifts / sizeof shifts[0]; c++) {
        double lw[7], sh[7];
        for (int i = 0; i < 7; i++)
            lw[i] = base[i] + shifts[c];
        fill_nan(sh, 7);
        ts_shares_from_log(7, lw, sh);
        close_to(sum(sh, 7), 1.0, 4e-16);
        /* |lw + c| ~ 1e6 carries ~1e-10 absolute rounding. */
        double tol = fabs(shifts[c]) >= 1e6 ? 1e-9 : 1e-12;
        for (int i = 0; i < 7; i++) {
            assert_true(sh[i] >= 0.0);
            close_to(sh[i], ref[i], tol);
        }
    }
    /* Shifts by integers small enough to keep every lw + c exact give the
     * same bits. */
    const double exact[4] = {-0.5, -1.25, 0.0, -3.0};
    double a[4], b[4], lw[4];
    ts_shares_from_log(4, exact, a);
    for (int i = 0; i < 4; i++)
        lw[i] = exact[i] - 64.0;
    ts_shares_from_log(4, lw, b);
    assert_memory_equal(a, b, sizeof a);
}

static void shares_minus_infinity(void **unused)
{
    (void)unused;
    /* A zero weight (log w = -inf) gets share exactly 0; the others are
     * renormalised among themselves: (0, -inf, log 3) -> 1/4, 0, 3/4. */
    double lw[3] = {0.0, -INFINITY, log(3.0)}, sh[3];
    fill_nan(sh, 3);
    ts_shares_from_log(3, lw, sh);
    assert_true(sh[1] == 0.0);
    close_to(sh[0], 0.25, 3e-16);
    close_to(sh[2], 0.75, 3e-16);

    /* All -inf: nobody is preferred, shares exactly 1/N. */
    double all[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY}, su[4];
    fill_nan(su, 4);
    ts_shares_from_log(4, all, su);
    for (int i = 0; i < 4; i++)
        assert_true(su[i] == 0.25);
    double all3[3] = {-INFINITY, -INFINITY, -INFINITY};
    fill_nan(sh, 3);
    ts_shares_from_log(3, all3, sh);
    for (int i = 0; i < 3; i++)
        assert_true(sh[i] == 1.0 / 3.0);

    /* One finite weight among -inf: it takes everything. */
    double lone[3] = {-INFINITY, -5000.0, -INFINITY};
    fill_nan(sh, 3);
    ts_shares_from_log(3, lone, sh);
    assert_true(sh[0] == 0.0 && sh[1] == 1.0 && sh[2] == 0.0);
}

static void shares_huge_negative(void **unused)
{
    (void)unused;
    /* exp(-1e6) underflows to 0, but the ratios must survive: 2 : 1, and
     * 1 : e^-1 : e^-30 at -1e6. */
    double lw[2] = {-1e6, -1e6 - log(2.0)}, sh[2];
    fill_nan(sh, 2);
    ts_shares_from_log(2, lw, sh);
    close_to(sh[0], 2.0 / 3.0, 1e-9);
    close_to(sh[1], 1.0 / 3.0, 1e-9);

    double l3[3] = {-1e6, -1e6 - 1.0, -1e6 - 30.0}, s3[3];
    fill_nan(s3, 3);
    ts_shares_from_log(3, l3, s3);
    double z = 1.0 + exp(-1.0) + exp(-30.0);
    close_to(s3[0], 1.0 / z, 1e-9);
    close_to(s3[1], exp(-1.0) / z, 1e-9);
    close_to(s3[2], exp(-30.0) / z, 1e-19);
    assert_true(s3[2] > 0.0);
    /* A gap beyond exp's range gives an exact 0, never NaN. */
    double gap[2] = {0.0, -1e6}, sg[2];
    ts_shares_from_log(2, gap, sg);
    assert_true(sg[0] == 1.0 && sg[1] == 0.0);
}

/* ------------------------------------------------------------------ */

/* The reference: the plain loop of SPEC §1, summed in prompt order. */
static void plain_loss(const double *x, int n, int m, const double *p,
                       double *out)
{
    for (int h = 0; h < n; h++) {
        double s = 0;
        for (int j = 0; j < m; j++) {
            double d = x[h * m + j] - p[j];
            s += d * d;
        }
        out[h] = s / m;
    }
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

static void sq_loss_known(void **unused)
{
    (void)unused;
    const double x[6] = {0.385, 0.82, 0.71, 0.23, 0.64, 0.455};
    const double p[2] = {1.0, 0.0};
    double out[4];
    fill_nan(out, 4);
    int bad = 0;
    ts_sq_loss_rows(x, 3, 2, p, out, &bad);
    assert_int_equal(bad, 0);
    /* By hand: (0.615^2 + 0.82^2)/2, (0.29^2 + 0.23^2)/2,
     * (0.36^2 + 0.455^2)/2. */
    close_to(out[0], 0.5253125, 1e-16);
    close_to(out[1], 0.0685, 1e-16);
    close_to(out[2], 0.1683125, 1e-16);
    assert_true(isnan(out[3]));
}

static void sq_loss_matches_plain_loop(void **unused)
{
    (void)unused;
    uint64_t s = 12345;
    double x[9 * 25], p[25], out[10], ref[9];
    for (int n = 1; n <= 9; n++)
        for (int m = 1; m <= 25; m++)
            for (int rep = 0; rep < 3; rep++) {
                for (int k = 0; k < n * m; k++)
                    x[k] = (double)lcg(&s) / 9007199254740992.0; /* [0,1) */
                for (int j = 0; j < m; j++)
                    /* true states, and on rep 2 any number (p is not
                     * checked) */
                    p[j] = rep < 2 ? (double)(lcg(&s) & 1)
                                   : (double)lcg(&s) / 9007199254740992.0;
                if (rep == 1) { /* the ends of the range */
                    x[0] = 0.0;
                    x[n * m - 1] = 1.0;
                }
                fill_nan(out, 10);
                int bad = 0;
                ts_sq_loss_rows(x, n, m, p, out, &bad);
                plain_loss(x, n, m, p, ref);
                if (memcmp(out, ref, (size_t)n * sizeof *out))
                    fail_msg("n = %d, m = %d: differs from the plain loop", n, m);
                assert_true(isnan(out[n]));
                assert_int_equal(bad, 0);
                /* bad may be NULL. */
                ts_sq_loss_rows(x, n, m, p, out, NULL);
                assert_memory_equal(out, ref, (size_t)n * sizeof *out);
            }
}

static void sq_loss_bad_flag(void **unused)
{
    (void)unused;
    const double bads[] = {-0.5, 1.5, NAN, -NAN, INFINITY, -INFINITY,
                           -4.9e-324, 1.0000000000000002};
    double x[9 * 7], p[7], out[9];
    for (int j = 0; j < 7; j++)
        p[j] = j % 2;
    for (size_t b = 0; b < sizeof bads / sizeof bads[0]; b++)
        for (int n = 1; n <= 9; n++)
            for (int pos = 0; pos < n * 7; pos++) {
                for (int k = 0; k < n * 7; k++)
                    x[k] = (k % 3) * 0.5; /* 0, 0.5, 1: all fine */
                x[pos] = bads[b];
                int bad = 0;
                ts_sq_loss_rows(x, n, 7, p, out, &bad);
                if (bad != 1)
                    fail_msg("%g at row %d, prompt %d of n = %d not flagged",
                             bads[b], pos / 7, pos % 7, n);
            }
    /* Exactly 0 and exactly 1 are fine, in every row position. */
    for (int n = 1; n <= 9; n++) {
        for (int k = 0; k < n * 7; k++)
            x[k] = k % 2 ? 1.0 : 0.0;
        int bad = 0;
        ts_sq_loss_rows(x, n, 7, p, out, &bad);
        assert_int_equal(bad, 0);
    }
}

/* -0.0 is in [0, 1] (-0.0 >= 0 in C, and it equals 0): game.h flags only
 * entries "outside [0,1] or NaN".  (A flagged -0 would make mech_lw_update
 * look for a culprit with >= comparisons, find none, and return TS_OK
 * without reweighing anyone.) */
static void sq_loss_negative_zero(void **unused)
{
    (void)unused;
    double x[5 * 3], p[3] = {0, 1, 0}, out[5], ref[5];
    for (int pos = 0; pos < 15; pos++) {
        for (int k = 0; k < 15; k++)
            x[k] = 0.25;
        x[pos] = -0.0;
        int bad = 0;
        ts_sq_loss_rows(x, 5, 3, p, out, &bad);
        if (bad)
            fail_msg("-0.0 at row %d, prompt %d flagged as outside [0,1]",
                     pos / 3, pos % 3);
        plain_loss(x, 5, 3, p, ref);
        assert_memory_equal(out, ref, sizeof out);
    }
}

/* ------------------------------------------------------------------ */
/* Limited-feedback draws                                              */

static void draw_index_known(void **unused)
{
    (void)unused;
    /* Cumulative 0.25, (0 for worker 1), 0.75, 1: the first i with
     * u * total < theta_0 + ... + theta_i, skipping theta_i = 0.  Binary
     * fractions, so the boundaries are exact. */
    const double th[4] = {0.25, 0.0, 0.5, 0.25};
    const struct { double u; int want; } c[] = {
        {1e-300, 0}, {0.1, 0}, {0.2499999, 0}, {0.25, 2}, {0.5, 2},
        {0.7499999, 2}, {0.75, 3}, {0.999, 3}, {1.0 - 0x1p-53, 3},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        assert_int_equal(ts_draw_index(th, 4, c[k].u), c[k].want);
        /* Unnormalised weights draw the same. */
        const double th4[4] = {1.0, 0.0, 2.0, 1.0};
        assert_int_equal(ts_draw_index(th4, 4, c[k].u), c[k].want);
    }
    /* A zero at the end is never drawn, even at the very top. */
    const double tz[3] = {0.5, 0.5, 0.0};
    assert_int_equal(ts_draw_index(tz, 3, 1.0 - 0x1p-53), 1);
    /* Nobody can be drawn. */
    const double none[2] = {0.0, 0.0};
    assert_int_equal(ts_draw_index(none, 2, 0.5), -1);
}

static void draw_index_frequencies(void **unused)
{
    (void)unused;
    const double th[5] = {0.1, 0.2, 0.0, 0.3, 0.4};
    long count[5] = {0};
    ts_rng g;
    ts_rng_init(&g, 77, 1, 2, TS_STREAM_SELECT);
    const long n = 200000;
    for (long d = 0; d < n; d++)
        count[ts_draw_index(th, 5, ts_rng_u01_53(&g))]++;
    assert_int_equal(count[2], 0);
    /* Chi-square, 3 degrees of freedom; 21.11 is its 0.9999 quantile. */
    double x2 = 0;
    for (int i = 0; i < 5; i++)
        if (th[i] > 0) {
            double e = th[i] * (double)n;
            x2 += (count[i] - e) * (count[i] - e) / e;
        }
    if (!(x2 < 21.11))
        fail_msg("chi-square %g: counts %ld %ld %ld %ld %ld", x2, count[0],
                 count[1], count[2], count[3], count[4]);
}

static void draw_subset(void **unused)
{
    (void)unused;
    ts_rng g;
    ts_rng_init(&g, 5, 6, 7, TS_STREAM_SELECT);
    /* N = 5, k = 2: the 10 subsets equally likely (index a*5 + b). */
    long count[25] = {0};
    const long n = 100000;
    for (long d = 0; d < n; d++) {
        int sel[3] = {-1, -1, -1};
        ts_draw_subset(&g, 5, 2, sel);
        assert_true(sel[0] >= 0 && sel[0] < sel[1] && sel[1] < 5);
        assert_int_equal(sel[2], -1); /* exactly k written */
        count[sel[0] * 5 + sel[1]]++;
    }
    double x2 = 0, e = (double)n / 10;
    for (int a = 0; a < 5; a++)
        for (int b = a + 1; b < 5; b++)
            x2 += (count[a * 5 + b] - e) * (count[a * 5 + b] - e) / e;
    /* 9 degrees of freedom; 33.72 is the 0.9999 quantile. */
    if (!(x2 < 33.72))
        fail_msg("chi-square %g over the 10 subsets", x2);
    /* k = N takes everyone; k = 0 no one. */
    int all[4] = {-1, -1, -1, -1};
    ts_draw_subset(&g, 4, 4, all);
    for (int i = 0; i < 4; i++)
        assert_int_equal(all[i], i);
    int none[1] = {-1};
    ts_draw_subset(&g, 4, 0, none);
    assert_int_equal(none[0], -1);
    /* The same stream position gives the same subset. */
    ts_rng a, b;
    ts_rng_init(&a, 9, 9, 9, TS_STREAM_SELECT);
    b = a;
    int sa[3], sb[3];
    ts_draw_subset(&a, 10, 3, sa);
    ts_draw_subset(&b, 10, 3, sb);
    assert_memory_equal(sa, sb, sizeof sa);
}

/* ts_unit_flag: the top bit is set exactly outside [0,1] or for NaN, at
 * the edges one ulp either side, for -0, subnormals, infinities and NaNs
 * of either sign; and OR-ing flags keeps any one's verdict. */
static void unit_flag_edges(void **unused)
{
    (void)unused;
    const double in[] = {0.0, -0.0, 1.0, 0.5, 4.9e-324, nextafter(1.0, 0.0),
                         1e-300};
    const double out[] = {nextafter(1.0, 2.0), -4.9e-324, -1e-300, 2.0,
                          -1.0, INFINITY, -INFINITY, NAN, -NAN, 1e308,
                          -1e308};
    uint64_t all_in = 0;
    for (size_t k = 0; k < sizeof in / sizeof in[0]; k++) {
        if (ts_unit_flag(in[k]) >> 63)
            fail_msg("%g flagged as outside [0,1]", in[k]);
        all_in |= ts_unit_flag(in[k]);
    }
    assert_int_equal(all_in >> 63, 0);
    for (size_t k = 0; k < sizeof out / sizeof out[0]; k++) {
        if (!(ts_unit_flag(out[k]) >> 63))
            fail_msg("%g not flagged", out[k]);
        assert_int_equal((all_in | ts_unit_flag(out[k])) >> 63, 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shares_known),
        cmocka_unit_test(shares_sum_to_one_and_shift),
        cmocka_unit_test(shares_minus_infinity),
        cmocka_unit_test(shares_huge_negative),
        cmocka_unit_test(sq_loss_known),
        cmocka_unit_test(sq_loss_matches_plain_loop),
        cmocka_unit_test(sq_loss_bad_flag),
        cmocka_unit_test(sq_loss_negative_zero),
        cmocka_unit_test(unit_flag_edges),
        cmocka_unit_test(draw_index_known),
        cmocka_unit_test(draw_index_frequencies),
        cmocka_unit_test(draw_subset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

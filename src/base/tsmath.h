/* tsmath.h -- exp and log1p whose results are a pure function of the input
 * bits, the same on every x86-64 CPU and at every vector width.
 *
 * Why not libm: glibc's exp/log1p change between versions (new algorithms,
 * FMA paths picked at run time by CPU), and the engine's replica-lanes path
 * computes exp one value at a time in one place and 8 at a time in SIMD
 * lanes in another; both must give the same bits, or a run would depend on
 * the machine, the libm and the code path.  These functions use only IEEE
 * +, -, *, / (correctly rounded everywhere; -std=c11 keeps
 * -ffp-contract=off, so no FMA is fused in), comparisons, selects and
 * integer bit operations.  No tables, no data-dependent branches or loops:
 * every input runs the main path and special cases are fixed by selects at
 * the end, so GCC if-converts and vectorises a loop over them (checked with
 * -fopt-info-vec at -O3 for -mavx2 and AVX-512).  Rounding to an integer
 * uses the 0x1.8p52 shifter instead of a cast (AVX2 has no double <-> int64
 * conversion).
 *
 * (At plain -msse2 GCC 12 leaves the loop scalar, lacking a 64-bit select
 * pattern; from -msse4.2 up it vectorises.  The bits are the same anyway.)
 *
 * Measured maximum errors against expl / log1pl, in ulps of the result
 * (tests/src/test_tsmath.c: 10^6 points per function; a one-off run of the
 * same kind: 1.2e8 points for exp, 1.5e8 for log1p):
 *   ts_exp   0.62 ulp for normal results, 0.77 ulp for subnormal ones
 *            (bounded by 0.5 + 0.62/2: one rounding of a 0.62-ulp value);
 *   ts_log1p 0.70 ulp (0.64 for |x| < 0.29, the k = 0 path).
 * The tests assert 0.65, 0.8 and 0.7 ulp. */
#ifndef TS_TSMATH_H
#define TS_TSMATH_H

#include <math.h> /* INFINITY, NAN only: no libm call */
#include <stdint.h>
#include <string.h>

static inline uint64_t ts_math_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double ts_math_double(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* c ? a : b on the bits.  A plain ?: after the main path lets GCC sink the
 * whole path into one arm, and trapping FP ops in a branch are never
 * if-converted, so the loop would not vectorise without AVX-512 masks. */
static inline double ts_math_select(int c, double a, double b)
{
    uint64_t m = (uint64_t)0 - (uint64_t)(c != 0);
    return ts_math_double((ts_math_bits(a) & m) | (ts_math_bits(b) & ~m));
}

/* ln 2 = TS_LN2_HI + TS_LN2_LO, the high part with 40 significant bits so
 * that k * TS_LN2_HI is exact for |k| < 2^13 (k is at most 1077 here). */
#define TS_LN2_HI 0x1.62e42fefa2000p-1
#define TS_LN2_LO 0x1.9ef35793c7673p-41
/* Adding it rounds |t| < 2^51 to an integer, left in the low mantissa bits:
 * bits(t + TS_SHIFTER) = bits(TS_SHIFTER) + round(t). */
#define TS_SHIFTER 0x1.8p52

/* e^x.  x = k ln2 + r, |r| <= ln2/2 (Cody-Waite: k ln2_hi is exact and
 * x - k ln2_hi is exact by Sterbenz), e^r = 1 + r + r^2 P(r) with P the
 * Taylor series to r^13/13! (truncation < 0.05 ulp), 1 + r_hi summed
 * exactly (Fast2Sum) so that only the last addition rounds noticeably.
 * The result is e^r * 2^k1 * 2^k2, k1 + k2 = k: both factors are normal
 * for all k reached, the first product is exact, and the second rounds
 * once -- correctly into the subnormal range, or to +inf. */
static inline double ts_exp(double x)
{
    double sh = x * 0x1.71547652b82fep+0 + TS_SHIFTER; /* x / ln2 */
    double k = sh - TS_SHIFTER;
    double rh = x - k * TS_LN2_HI; /* exact */
    double rl = k * TS_LN2_LO;

    /* e^(rh - rl) = e^rh (1 - rl) to 2^-60 relative (|rl| < 2^-30): the
     * polynomial runs on the exact rh.  e^rh - 1 - rh = rh^2/2 + rh^3 Q(rh),
     * Q = 1/3! + rh/4! + ... + rh^10/13! in Horner form; rh^2/2 is kept
     * apart so that the largest term carries one rounding only. */
    double q = 1.0 / 6227020800.0;
    q = 1.0 / 479001600.0 + rh * q;
    q = 1.0 / 39916800.0 + rh * q;
    q = 1.0 / 3628800.0 + rh * q;
    q = 1.0 / 362880.0 + rh * q;
    q = 1.0 / 40320.0 + rh * q;
    q = 1.0 / 5040.0 + rh * q;
    q = 1.0 / 720.0 + rh * q;
    q = 1.0 / 120.0 + rh * q;
    q = 1.0 / 24.0 + rh * q;
    q = 1.0 / 6.0 + rh * q;
    double r2 = rh * rh;
    double t = 0.5 * r2 + r2 * (rh * q); /* e^rh - 1 - rh */

    double s = 1.0 + rh;
    double e = rh - (s - 1.0); /* 1 + rh = s + e exactly */
    double er = s + (e + (t - rl * (s + t)));

    /* 2^k1 and 2^k2 built in the exponent field: kb = k + 2048 > 0, so the
     * logical shift gives floor(k/2) + 1024 without an arithmetic shift
     * (which AVX2 lacks for 64-bit lanes). */
    uint64_t kb = ts_math_bits(sh) - ts_math_bits(TS_SHIFTER) + 2048;
    uint64_t h = kb >> 1;
    double s1 = ts_math_double((h - 1) << 52);      /* 2^floor(k/2) */
    double s2 = ts_math_double((kb - h - 1) << 52); /* 2^(k - floor(k/2)) */
    double y = er * s1 * s2;

    /* Outside [-746, 710] the bits of k are meaningless; below -745.14
     * and above 709.79 the main path already gives 0 and +inf. */
    y = ts_math_select(x < -745.5, 0.0, y);
    y = ts_math_select(x > 709.9, INFINITY, y);
    return ts_math_select(x != x, x, y);
}

/* log(1 + x) for x >= -1.  u = 1 + x rounded, u = 2^k f with f in
 * [sqrt(1/2), sqrt 2) from the bits, g = f - 1 (exact by Sterbenz).
 * 1 + x differs from u by c, exactly (x - (u - 1) for x < 1, 1 - (u - x)
 * for x >= 1: Sterbenz, and the rounding error of a sum is representable),
 * so log(1 + x) = k ln2 + log(1 + g) + c/u to far below an ulp.  When
 * k = 0, g = x instead (exact, no c).  With s = g/(2 + g),
 *   log(1 + g) = 2 atanh s = g - g^2/2 + s (g^2/2 + R),
 *   R = 2s^2/3 + 2s^4/5 + ... + 2s^20/21
 * (from 2s = g - g^2/2 + s g^2/2; |s| <= 0.172, truncation < 0.01 ulp).
 * For tiny x the result is x exactly. */
static inline double ts_log1p(double x)
{
    double u = 1.0 + x;
    /* Select the operands, not the two results: GCC would move each sum
     * into its arm of a branch and then not if-convert it (FP ops trap). */
    double a = x < 1.0 ? x : 1.0, b = x < 1.0 ? 1.0 : x;
    double c = (a - (u - b)) / u;

    /* D = bits(u) - bits(sqrt(1/2)) + (1023 << 52): its exponent field is
     * k + 1023 (>= 0 for all u >= 0, so a logical shift), its mantissa
     * field that of f once bits(sqrt(1/2)) is added back. */
    const uint64_t m0 = 0x3fe6a09e667f3bcdu;
    uint64_t d = ts_math_bits(u) - m0 + ((uint64_t)1023 << 52);
    double f = ts_math_double((d & 0x000fffffffffffffu) + m0);
    /* k as a double without an int64 -> double conversion: 2^52 + (k+1023)
     * has k + 1023 in its low mantissa bits. */
    double k = ts_math_double(ts_math_bits(0x1p52) + (d >> 52)) -
               (0x1p52 + 1023.0);

    /* For k = 0 (x in about [-0.29, 0.41]) take g = x: exact, and no c,
     * which for x near 2^-52 would be as large as the result and its
     * rounding in c/u would cost up to half an ulp. */
    double g = ts_math_select(k == 0.0, x, f - 1.0);
    c = ts_math_select(k == 0.0, 0.0, c);
    double s = g / (2.0 + g);
    double z = s * s;
    double r = 2.0 / 21;
    r = 2.0 / 19 + z * r;
    r = 2.0 / 17 + z * r;
    r = 2.0 / 15 + z * r;
    r = 2.0 / 13 + z * r;
    r = 2.0 / 11 + z * r;
    r = 2.0 / 9 + z * r;
    r = 2.0 / 7 + z * r;
    r = 2.0 / 5 + z * r;
    r = 2.0 / 3 + z * r;
    r = z * r;
    /* g^2/2 = H + L with H exact: gh = g cut to 26 bits, gh^2 fits in 53;
     * L = (g - gh)(g + gh)/2 is 2^-25 of it, its rounding negligible. */
    double gh = ts_math_double(ts_math_bits(g) & ~(((uint64_t)1 << 27) - 1));
    double hh = 0.5 * gh * gh;
    double hl = 0.5 * (g - gh) * (g + gh);
    /* log u = k ln2_hi + g - H + (the small rest); the first three are
     * summed exactly by two Fast2Sums (|g| >= |H|; |k ln2_hi| >= |g - H|
     * unless k = 0), so only the last addition rounds noticeably. */
    double t = g - hh;
    double tl = (g - t) - hh;
    double kh = k * TS_LN2_HI; /* exact */
    double hi = kh + t;
    double lo = t - (hi - kh);
    double small = s * (hh + hl + r) - hl + tl + (k * TS_LN2_LO + c);
    double y = hi + (lo + small);

    y = ts_math_select(x == 0.0, x, y); /* log1p(-0) = -0 */
    y = ts_math_select(x == -1.0, -INFINITY, y);
    y = ts_math_select(x < -1.0, NAN, y);
    y = ts_math_select(x == INFINITY, x, y);
    return ts_math_select(x != x, x, y);
}

#endif

/* test_rng.c -- src/base/rng.c: Philox4x32-10 streams and the FNV-1a hashes.
 *
 * Known answers:
 *   - Philox blocks: the three published known-answer vectors of Random123
 *     (tests/kat_vectors, "philox4x32 10"), and Random123's own philox4x32
 *     from <Random123/philox.h> on pseudo-random counters and keys;
 *   - the counter layout of rng.h (key = seed, ctr = {stream<<24 | block,
 *     slot, replica, point}) checked against Random123 block by block;
 *   - FNV-1a: the reference values of the FNV page (Noll) for "", "a",
 *     "foobar", and the others computed by a five-line Python script:
 *       def fnv(b, h=0x811c9dc5):
 *           for c in b: h ^= c; h = (h * 16777619) & 0xffffffff
 *           return h
 *     with ts_hash_str hashing the string and its NUL, and ts_hash_double
 *     the 8 bytes of the double (struct.pack('<d', x): little-endian, as on
 *     every machine we build on).
 * Paths that must agree bit for bit: ts_rng_fill_u01 vs n calls of
 * ts_rng_u01, from every buffered offset and near the end of a slot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>

#include "base/rng.h"

#define MASK ((1u << TS_RNG_BLOCK_BITS) - 1u)

/* splitmix64: a test-local source of "random" counters and keys, so the
 * inputs do not come from the code under test. */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void r123_block(const uint32_t ctr[4], const uint32_t key[2],
                       uint32_t out[4])
{
    philox4x32_ctr_t c = {{ctr[0], ctr[1], ctr[2], ctr[3]}};
    philox4x32_key_t k = {{key[0], key[1]}};
    philox4x32_ctr_t r = philox4x32(c, k);
    for (int i = 0; i < 4; i++)
        out[i] = r.v[i];
}

/* ------------------------------------------------------------------ */

static void philox_known_answers(void **unused)
{
    (void)unused;
    /* Random123 tests/kat_vectors, philox4x32 with 10 rounds. */
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0,
         0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
         0xffffffff, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822,
         0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int v = 0; v < 3; v++) {
        uint32_t out[4] = {0xcacacaca, 0xcacacaca, 0xcacacaca, 0xcacacaca};
        uint32_t ref[4];
        ts_philox4x32_10(kat[v], kat[v] + 4, out);
        r123_block(kat[v], kat[v] + 4, ref);
        for (int i = 0; i < 4; i++) {
            assert_int_equal(out[i], kat[v][6 + i]);
            assert_int_equal(ref[i], kat[v][6 + i]); /* the reference agrees */
        }
    }
}

static void philox_matches_random123(void **unused)
{
    (void)unused;
    uint64_t s = 20261122;
    for (int n = 0; n < 20000; n++) {
        uint32_t ctr[4], key[2], out[4], ref[4];
        for (int i = 0; i < 4; i++)
            ctr[i] = (uint32_t)splitmix(&s);
        key[0] = (uint32_t)splitmix(&s);
        key[1] = (uint32_t)splitmix(&s);
        ts_philox4x32_10(ctr, key, out);
        r123_block(ctr, key, ref);
        assert_memory_equal(out, ref, sizeof out);
    }
}

/* rng.h's layout: key = seed (low word first), ctr[0] = stream << 24 |
 * block, ctr[1] = slot, ctr[2] = replica, ctr[3] = point.  Changing it
 * would change every published result, so it is pinned here. */
static void stream_layout(void **unused)
{
    (void)unused;
    const uint64_t seed = 0x0123456789abcdefull;
    ts_rng g;
    ts_rng_init(&g, seed, 0xdeadbeefu, 3, TS_STREAM_BELIEF);
    assert_int_equal(g.overflow, 0);
    /* Slot 0 right after init. */
    uint32_t key[2] = {0x89abcdefu, 0x01234567u}, ref[4];
    for (uint32_t b = 0; b < 3; b++) {
        uint32_t ctr[4] = {(2u << 24) | b, 0, 3, 0xdeadbeefu};
        r123_block(ctr, key, ref);
        for (int i = 0; i < 4; i++)
            assert_int_equal(ts_rng_u32(&g), ref[i]);
    }
    /* Slot 77, and a 64-bit slot index keeps its low 32 bits. */
    ts_rng_seek(&g, 77);
    for (uint32_t b = 0; b < 2; b++) {
        uint32_t ctr[4] = {(2u << 24) | b, 77, 3, 0xdeadbeefu};
        r123_block(ctr, key, ref);
        for (int i = 0; i < 4; i++)
            assert_int_equal(ts_rng_u32(&g), ref[i]);
    }
}

/* ------------------------------------------------------------------ */
/* fill_u01 == n scalar u01 calls                                      */

/* Compare the two paths from the same state (g), for n values. */
static void compare_fill(const ts_rng *g0, size_t n, double *a, double *b)
{
    ts_rng ga = *g0, gb = *g0;
    for (size_t k = 0; k < n + 1; k++)
        a[k] = b[k] = NAN;
    ts_rng_fill_u01(&ga, a, n);
    for (size_t k = 0; k < n; k++)
        b[k] = ts_rng_u01(&gb);
    if (n)
        assert_memory_equal(a, b, n * sizeof *a);
    assert_true(isnan(a[n])); /* nothing written past n */
    /* Both leave the stream at the same place. */
    assert_int_equal(ga.avail, gb.avail);
    assert_memory_equal(ga.ctr, gb.ctr, sizeof ga.ctr);
    assert_memory_equal(ga.buf + (4 - ga.avail), gb.buf + (4 - gb.avail),
                        (size_t)ga.avail * sizeof ga.buf[0]);
    assert_int_equal(ga.overflow, gb.overflow);
    double na = ts_rng_u01(&ga), nb = ts_rng_u01(&gb);
    assert_memory_equal(&na, &nb, sizeof na);
}

static void fill_equals_scalar_once(int simd)
{
    double *a = malloc(2000 * sizeof *a), *b = malloc(2000 * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    /* Every n in 0..600, after 0..5 scalar draws (so 0..3 words are left
     * buffered), at two slots of two streams. */
    for (int pos = 0; pos < 4; pos++) {
        ts_rng g;
        ts_rng_init(&g, pos < 2 ? 42 : 0xfeedfacecafebeefull, 1000u + pos,
                    (uint32_t)pos, pos % 2 ? TS_STREAM_BELIEF : TS_STREAM_MC);
        ts_rng_cap_simd(&g, simd);
        ts_rng_seek(&g, pos == 3 ? 123456789u : (uint64_t)pos);
        for (int pre = 0; pre <= 5; pre++) {
            ts_rng h = g;
            for (int k = 0; k < pre; k++)
                (void)ts_rng_u01(&h);
            for (size_t n = 0; n <= 600; n++)
                compare_fill(&h, n, a, b);
        }
    }
    /* Lengths that span several 64-block chunks, and a fill after a fill. */
    ts_rng g;
    ts_rng_init(&g, 7, 8, 9, TS_STREAM_STATE);
    ts_rng_cap_simd(&g, simd);
    for (size_t n = 1020; n <= 1030; n++)
        compare_fill(&g, n, a, b);
    {
        ts_rng ga = g, gb = g;
        ts_rng_fill_u01(&ga, a, 301);
        ts_rng_fill_u01(&ga, a + 301, 700);
        for (size_t k = 0; k < 1001; k++)
            b[k] = ts_rng_u01(&gb);
        assert_memory_equal(a, b, 1001 * sizeof *a);
    }
    free(a);
    free(b);
}

/* With the CPU's widest vector kernels, AVX2's and the portable ones. */
static void fill_equals_scalar(void **unused)
{
    (void)unused;
    for (int simd = 2; simd >= 0; simd--)
        fill_equals_scalar_once(simd);
}

/* Near the end of a slot the vector path must hand over to the scalar one
 * without skipping or repeating a block. */
static void fill_near_slot_end(void **unused)
{
    (void)unused;
    double a[1200], b[1200];
    for (uint32_t back = 1; back <= 300; back += 7) {
        ts_rng g;
        ts_rng_init(&g, 99, 5, 6, TS_STREAM_AUX);
        ts_rng_seek(&g, 3);
        g.ctr[0] = (g.ctr[0] & ~MASK) | (MASK - back);
        for (size_t n = 0; n < 1100; n += 37)
            compare_fill(&g, n, a, b);
    }
}

/* ------------------------------------------------------------------ */

static void seek_replays_a_slot(void **unused)
{
    (void)unused;
    ts_rng g;
    ts_rng_init(&g, 2024, 17, 4, TS_STREAM_STATE);
    uint32_t first[1001], again[1001];
    ts_rng_seek(&g, 5);
    for (int k = 0; k < 1001; k++)
        first[k] = ts_rng_u32(&g);
    ts_rng_seek(&g, 6);
    uint32_t other = ts_rng_u32(&g);
    (void)ts_rng_u32(&g); /* leave words buffered: seek must drop them */
    ts_rng_seek(&g, 5);
    for (int k = 0; k < 1001; k++)
        again[k] = ts_rng_u32(&g);
    assert_memory_equal(first, again, sizeof first);
    assert_int_not_equal(other, first[0]);
    /* A fresh generator sought to slot 5 gives the same: slots are a pure
     * function of (seed, point, replica, stream, slot). */
    ts_rng h;
    ts_rng_init(&h, 2024, 17, 4, TS_STREAM_STATE);
    ts_rng_seek(&h, 5);
    for (int k = 0; k < 1001; k++)
        assert_int_equal(ts_rng_u32(&h), first[k]);
    /* Seek after init to slot 0 is the same as init alone. */
    ts_rng i0, i1;
    ts_rng_init(&i0, 2024, 17, 4, TS_STREAM_STATE);
    ts_rng_init(&i1, 2024, 17, 4, TS_STREAM_STATE);
    (void)ts_rng_u32(&i1);
    ts_rng_seek(&i1, 0);
    for (int k = 0; k < 50; k++)
        assert_int_equal(ts_rng_u32(&i0), ts_rng_u32(&i1));
}

static void first_words(uint64_t seed, uint32_t point, uint32_t rep,
                        unsigned stream, uint64_t slot, uint32_t out[8])
{
    ts_rng g;
    ts_rng_init(&g, seed, point, rep, stream);
    ts_rng_seek(&g, slot);
    for (int k = 0; k < 8; k++)
        out[k] = ts_rng_u32(&g);
}

static void coordinates_give_distinct_streams(void **unused)
{
    (void)unused;
    /* Base, then each coordinate changed by one (the seed also in its high
     * word, which lives in key[1]). */
    struct { uint64_t seed; uint32_t point, rep; unsigned stream; uint64_t slot; }
    c[] = {
        {1, 0, 0, 1, 0},          {2, 0, 0, 1, 0},
        {1 + (1ull << 32), 0, 0, 1, 0},
        {1, 1, 0, 1, 0},          {1, 0, 1, 1, 0},
        {1, 0, 0, 2, 0},          {1, 0, 0, 1, 1},
        {1, 0x80000000u, 0, 1, 0}, {1, 0, 0x80000000u, 1, 0},
        {1, 0, 0, 7, 0},          {1, 0, 0, 1, 0xffffffffu},
    };
    const int n = (int)(sizeof c / sizeof c[0]);
    uint32_t w[16][8];
    for (int k = 0; k < n; k++)
        first_words(c[k].seed, c[k].point, c[k].rep, c[k].stream, c[k].slot,
                    w[k]);
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++) {
            int same = 0;
            for (int k = 0; k < 8; k++)
                same += w[a][k] == w[b][k];
            if (same > 1)
                fail_msg("streams %d and %d share %d of their first 8 words",
                         a, b, same);
        }
    /* The same coordinates twice give the same words. */
    uint32_t again[8];
    first_words(1, 0, 1, 1, 0, again);
    assert_memory_equal(again, w[4], sizeof again);
}

/* ------------------------------------------------------------------ */

static double chi2(const long *count, int k, long n)
{
    double e = (double)n / k, s = 0;
    for (int i = 0; i < k; i++)
        s += (count[i] - e) * (count[i] - e) / e;
    return s;
}

static void below_range_and_uniformity(void **unused)
{
    (void)unused;
    ts_rng g;
    ts_rng_init(&g, 31337, 1, 2, TS_STREAM_STRATEGY);
    /* Range, including the extremes of n. */
    const uint32_t ns[] = {1, 2, 3, 7, 10, 1000, 0x80000001u, 0xfffffffeu,
                           0xffffffffu};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
        for (int d = 0; d < 20000; d++) {
            uint32_t v = ts_rng_below(&g, ns[k]);
            if (v >= ns[k])
                fail_msg("ts_rng_below(%u) returned %u", ns[k], v);
        }
    /* n = 10, 10^5 draws: chi-square with 9 degrees of freedom; 33.72 is
     * its 0.9999 quantile (scipy.stats.chi2.ppf(0.9999, 9)). */
    long c10[10] = {0};
    for (int d = 0; d < 100000; d++)
        c10[ts_rng_below(&g, 10)]++;
    double x10 = chi2(c10, 10, 100000);
    if (!(x10 < 33.72))
        fail_msg("chi-square %g for n = 10", x10);
    /* n = 3 * 2^30, where a biased reduction is grossly non-uniform:
     * x % n gives [0, 2^30) twice the mass of the rest (bins by v >> 30:
     * 1/2, 1/4, 1/4), and Lemire's multiply without the rejection step
     * maps 2 words to every value divisible by 3 and 1 to the others (bins
     * by v % 3: 1/2, 1/4, 1/4).  Either gives a chi-square near 7500 at
     * 6 * 10^4 draws; 18.42 is the 0.9999 quantile with 2 degrees of freedom. */
    const uint32_t n3 = 3u << 30;
    long hi[3] = {0}, mod[3] = {0};
    for (int d = 0; d < 60000; d++) {
        uint32_t v = ts_rng_below(&g, n3);
        hi[v >> 30]++;
        mod[v % 3]++;
    }
    double xh = chi2(hi, 3, 60000), xm = chi2(mod, 3, 60000);
    if (!(xh < 18.42) || !(xm < 18.42))
        fail_msg("n = 3*2^30: chi-square %g (high bins), %g (mod 3)", xh, xm);
    /* n = 1 is always 0. */
    for (int d = 0; d < 100; d++)
        assert_int_equal(ts_rng_below(&g, 1), 0);
}

static void u01_open_interval(void **unused)
{
    (void)unused;
    ts_rng g, h;
    ts_rng_init(&g, 5, 6, 7, TS_STREAM_VERIFY);
    h = g;
    double lo = 1, hi = 0;
    for (int d = 0; d < 1000000; d++) {
        uint32_t u = ts_rng_u32(&h);
        double x = ts_rng_u01(&g);
        /* The documented map (x + 1/2) 2^-32, checked draw by draw ... */
        double want = ((double)u + 0.5) / 4294967296.0;
        if (x != want)
            fail_msg("draw %d: u01 %a, want %a from word %u", d, x, want, u);
        if (x < lo)
            lo = x;
        if (x > hi)
            hi = x;
    }
    /* ... so the extreme words map strictly inside (0, 1): */
    assert_true(lo > 0 && hi < 1);
    assert_true((0.0 + 0.5) / 4294967296.0 > 0.0);
    assert_true((4294967295.0 + 0.5) / 4294967296.0 < 1.0);
    /* and the vectorised path obeys the same map. */
    double v[256];
    ts_rng a, b;
    ts_rng_init(&a, 5, 6, 7, TS_STREAM_VERIFY);
    b = a;
    ts_rng_fill_u01(&a, v, 256);
    for (int k = 0; k < 256; k++) {
        double want = ((double)ts_rng_u32(&b) + 0.5) / 4294967296.0;
        assert_true(v[k] == want && v[k] > 0 && v[k] < 1);
    }
}

static void u01_53_bits(void **unused)
{
    (void)unused;
    ts_rng g, h;
    ts_rng_init(&g, 11, 12, 13, TS_STREAM_MC);
    h = g;
    enum { ND = 200000 };
    uint32_t *low = malloc(ND * sizeof *low);
    assert_non_null(low);
    int n_low = 0;
    for (int d = 0; d < ND; d++) {
        double x = ts_rng_u01_53(&g);
        assert_true(x > 0 && x < 1);
        /* x = (k + 1/2) 2^-53 with k = (w1 >> 5) << 26 | (w2 >> 6): 27 bits
         * of the first word, 26 of the second. */
        uint64_t w1 = ts_rng_u32(&h), w2 = ts_rng_u32(&h);
        uint64_t k = ((w1 >> 5) << 26) | (w2 >> 6);
        assert_true(x == ((double)k + 0.5) / 9007199254740992.0);
        /* Below 1/2, k + 1/2 is exact: read the 21 bits below 2^-32 back
         * from x itself. */
        if (x < 0.5) {
            double kk = x * 9007199254740992.0 - 0.5;
            assert_true(kk == (double)k);
            low[n_low++] = (uint32_t)((uint64_t)kk & 0x1fffff);
        }
    }
    /* With 32-bit resolution these bits would all be equal; with 53 bits
     * ~10^5 draws of 2^21 values are ~97.7 % distinct. */
    int distinct = 0;
    unsigned char *seen = calloc(1u << 21, 1);
    assert_non_null(seen);
    for (int d = 0; d < n_low; d++)
        if (!seen[low[d]]++)
            distinct++;
    assert_true(n_low > 90000);
    if (distinct < 0.9 * n_low)
        fail_msg("only %d distinct low 21-bit patterns in %d draws", distinct,
                 n_low);
    free(seen);
    free(low);
}

/* The extreme words, put in the public buffer: all zeros give the smallest
 * value 2^-54 > 0; all ones (k = 2^53 - 1) must not give 1.0 -- k + 1/2
 * rounds up to 2^53 in double -- so that pair is drawn again and the next
 * two words are used. */
static void u01_53_extremes(void **unused)
{
    (void)unused;
    ts_rng g;
    ts_rng_init(&g, 1, 2, 3, TS_STREAM_MC);
    /* ts_rng_u32 reads buf[4 - avail] first. */
    g.buf[0] = g.buf[1] = 0xcacacacau;
    g.buf[2] = 0;
    g.buf[3] = 0;
    g.avail = 2;
    double x = ts_rng_u01_53(&g);
    assert_true(x == 0x1p-54);
    g.buf[0] = g.buf[1] = 0xffffffffu;
    g.buf[2] = 0x12345678u;
    g.buf[3] = 0x9abcdef0u;
    g.avail = 4;
    x = ts_rng_u01_53(&g);
    if (!(x < 1.0))
        fail_msg("ts_rng_u01_53 returned %a from two all-ones words", x);
    uint64_t k = ((uint64_t)(0x12345678u >> 5) << 26) | (0x9abcdef0u >> 6);
    assert_true(x == ((double)k + 0.5) / 9007199254740992.0);
    assert_int_equal(g.avail, 0);
    /* One below the top (k = 2^53 - 2) is kept: k + 1/2 ties to even,
     * 2^53 - 2, so x = 1 - 2^-52. */
    g.buf[2] = 0xffffffffu;
    g.buf[3] = 0xffffffbfu; /* >> 6 = 2^26 - 2 */
    g.avail = 2;
    x = ts_rng_u01_53(&g);
    assert_true(x == 1.0 - 0x1p-52);
}

/* A slot holds 2^24 blocks.  Start near the end by writing the block index
 * into ctr[0] (the struct is public), so no test draws 2^26 words. */
static void overflow_flag(void **unused)
{
    (void)unused;
    ts_rng g;
    ts_rng_init(&g, 3, 4, 5, TS_STREAM_BELIEF);
    ts_rng_seek(&g, 9);
    /* Blocks 2^24 - 3 and 2^24 - 2: 2^24 - 1 blocks in all, within bounds. */
    g.ctr[0] = (g.ctr[0] & ~MASK) | (MASK - 2);
    g.avail = 0;
    for (int k = 0; k < 8; k++)
        (void)ts_rng_u32(&g);
    assert_int_equal(g.overflow, 0);
    /* The stream id bits survive the block counter. */
    assert_int_equal(g.ctr[0] >> TS_RNG_BLOCK_BITS, TS_STREAM_BELIEF);
    /* The last block (2^24 - 1), then one more: more than 2^24 blocks. */
    for (int k = 0; k < 8; k++)
        (void)ts_rng_u32(&g);
    if (!g.overflow)
        fail_msg("overflow not set after asking for block 2^24 of a slot");
    /* The stream id is still intact: the block index may wrap, but never
     * into another stream's counters. */
    assert_int_equal(g.ctr[0] >> TS_RNG_BLOCK_BITS, TS_STREAM_BELIEF);
    /* A seek does not clear it: the caller checks once, after the run. */
    ts_rng_seek(&g, 10);
    assert_int_equal(g.overflow, 1);
    /* A fresh init does. */
    ts_rng_init(&g, 3, 4, 5, TS_STREAM_BELIEF);
    assert_int_equal(g.overflow, 0);

    /* The vectorised path sets it too (it hands the last blocks to the
     * scalar path), and agrees with it across the end. */
    ts_rng a;
    ts_rng_init(&a, 3, 4, 5, TS_STREAM_BELIEF);
    a.ctr[0] = (a.ctr[0] & ~MASK) | (MASK - 100);
    double v[1000];
    ts_rng_fill_u01(&a, v, 4 * 90); /* 90 blocks: still inside */
    assert_int_equal(a.overflow, 0);
    ts_rng_fill_u01(&a, v, 4 * 20); /* 110 in all: past the end */
    assert_int_equal(a.overflow, 1);
}

/* ------------------------------------------------------------------ */

static void fnv1a_hashes(void **unused)
{
    (void)unused;
    /* Reference values of 32-bit FNV-1a (Noll's test suite). */
    assert_int_equal(ts_hash_bytes(TS_HASH_INIT, "", 0), 0x811c9dc5u);
    assert_int_equal(ts_hash_bytes(TS_HASH_INIT, "a", 1), 0xe40c292cu);
    assert_int_equal(ts_hash_bytes(TS_HASH_INIT, "foobar", 6), 0xbf9cf968u);
    /* ts_hash_str includes the NUL (Python: fnv(b"\0"), fnv(b"a\0")). */
    assert_int_equal(ts_hash_str(TS_HASH_INIT, ""), 0x050c5d1fu);
    assert_int_equal(ts_hash_str(TS_HASH_INIT, "a"), 0x2b24d044u);
    assert_int_equal(ts_hash_str(TS_HASH_INIT, "bands"), 0x157e3cbdu);
    /* Chained fields stay separate: fnv(b"ab\0c\0") != fnv(b"a\0bc\0"). */
    uint32_t h1 = ts_hash_str(ts_hash_str(TS_HASH_INIT, "ab"), "c");
    uint32_t h2 = ts_hash_str(ts_hash_str(TS_HASH_INIT, "a"), "bc");
    assert_int_equal(h1, 0x35708e65u);
    assert_int_equal(h2, 0xb125c599u);
    /* Doubles by their 8 bytes: fnv(struct.pack('<d', x)). */
    assert_int_equal(ts_hash_double(TS_HASH_INIT, 0.5), 0x0c927168u);
    assert_int_equal(ts_hash_double(TS_HASH_INIT, 5.0), 0xe3b045f1u);
    assert_int_equal(ts_hash_double(TS_HASH_INIT, 0.0), 0x9be17165u);
    /* -0 and +0 are one coordinate. */
    assert_int_equal(ts_hash_double(TS_HASH_INIT, -0.0), 0x9be17165u);
}

/* Replica lanes: every lane equals its replica's own stream, from any
 * word offset and length (head, whole groups, tail), at two slots, for
 * replicas that are not consecutive, and near the end of a slot. */
static void lanes_equal_replica_streams_once(int simd)
{
    const uint32_t rep[TS_LANES] = {0, 1, 2, 3, 7, 100, 4000000000u, 5};
    ts_rng_lanes gl;
    ts_rng_lanes_init(&gl, 0x123456789abcdefull, 0xfeedu, rep, TS_STREAM_BELIEF);
    ts_rng_lanes_cap_simd(&gl, simd);
    static double want[TS_LANES][1200], got[1200 * TS_LANES];
    const size_t cases[][2] = {{0, 1}, {0, 32}, {0, 33}, {3, 1}, {1, 70},
                               {5, 1000}, {64, 256}, {999, 201}, {2, 2}};
    for (uint64_t slot = 0; slot < 2; slot++) {
        ts_rng_lanes_seek(&gl, slot * 77 + 3);
        for (int l = 0; l < TS_LANES; l++) {
            ts_rng g;
            ts_rng_init(&g, 0x123456789abcdefull, 0xfeedu, rep[l], TS_STREAM_BELIEF);
            ts_rng_cap_simd(&g, simd);
            ts_rng_seek(&g, slot * 77 + 3);
            ts_rng_fill_u01(&g, want[l], 1200);
        }
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            const size_t w0 = cases[c][0], n = cases[c][1];
            ts_rng_lanes_u01(&gl, w0, n, got);
            for (size_t k = 0; k < n; k++)
                for (int l = 0; l < TS_LANES; l++)
                    if (memcmp(&got[k * TS_LANES + l], &want[l][w0 + k],
                               sizeof(double)) != 0)
                        fail_msg("lane %d word %zu (from %zu, n %zu): %.17g vs %.17g",
                                 l, w0 + k, w0, n, got[k * TS_LANES + l],
                                 want[l][w0 + k]);
        }
    }
    /* The last words of a slot (2^26 of them). */
    const size_t last = ((size_t)1 << 26) - 40;
    ts_rng_lanes_u01(&gl, last, 40, got);
    for (int l = 0; l < TS_LANES; l++) {
        ts_rng g;
        ts_rng_init(&g, 0x123456789abcdefull, 0xfeedu, rep[l], TS_STREAM_BELIEF);
        ts_rng_seek(&g, 77 + 3);
        g.ctr[0] |= (uint32_t)(last / 4);
        for (size_t k = 0; k < 40; k++) {
            double u = ts_rng_u01(&g);
            assert_memory_equal(&got[k * TS_LANES + l], &u, sizeof u);
        }
        assert_int_equal(g.overflow, 1); /* the slot's last block was read */
    }
}

/* With the CPU's widest vector kernels, AVX2's and the portable ones. */
static void lanes_equal_replica_streams(void **unused)
{
    (void)unused;
    for (int simd = 2; simd >= 0; simd--)
        lanes_equal_replica_streams_once(simd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(philox_known_answers),
        cmocka_unit_test(philox_matches_random123),
        cmocka_unit_test(stream_layout),
        cmocka_unit_test(fill_equals_scalar),
        cmocka_unit_test(fill_near_slot_end),
        cmocka_unit_test(seek_replays_a_slot),
        cmocka_unit_test(coordinates_give_distinct_streams),
        cmocka_unit_test(below_range_and_uniformity),
        cmocka_unit_test(u01_open_interval),
        cmocka_unit_test(u01_53_bits),
        cmocka_unit_test(u01_53_extremes),
        cmocka_unit_test(overflow_flag),
        cmocka_unit_test(fnv1a_hashes),
        cmocka_unit_test(lanes_equal_replica_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

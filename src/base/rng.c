/* rng.c -- Philox4x32-10 streams.  See rng.h for the counter layout.
 *
 * The round function and constants are those of Salmon, Moraes, Dror and
 * Shaw, "Parallel random numbers: as easy as 1, 2, 3" (SC'11), as in
 * Random123's philox.h; tests/base/test_rng.c checks this code against
 * Random123's own philox4x32 on the published known-answer vectors.
 * ts_rng_fill_u01 runs many counters side by side so the compiler can put
 * them in vector lanes; its results equal the scalar path bit for bit. */
#include "base/rng.h"

#include <assert.h>
#include <string.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* golden ratio */
#define PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

void ts_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2],
                      uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

void ts_rng_init(ts_rng *g, uint64_t seed, uint32_t point, uint32_t replica,
                 unsigned stream)
{
    g->key[0] = (uint32_t)seed;
    g->key[1] = (uint32_t)(seed >> 32);
    g->ctr[0] = (uint32_t)(stream & 0xffu) << TS_RNG_BLOCK_BITS;
    g->ctr[1] = 0;
    g->ctr[2] = replica;
    g->ctr[3] = point;
    g->avail = 0;
    g->overflow = 0;
    g->simd = ts_rng_simd_cpu();
}

void ts_rng_seek(ts_rng *g, uint64_t slot)
{
    g->ctr[0] &= ~((1u << TS_RNG_BLOCK_BITS) - 1u);
    g->ctr[1] = (uint32_t)slot;
    g->avail = 0;
}

static void next_block(ts_rng *g)
{
    const uint32_t mask = (1u << TS_RNG_BLOCK_BITS) - 1u;
    ts_philox4x32_10(g->ctr, g->key, g->buf);
    if ((g->ctr[0] & mask) == mask)
        g->overflow = 1; /* the next block would wrap into a used one */
    g->ctr[0] = (g->ctr[0] & ~mask) | ((g->ctr[0] + 1u) & mask);
    g->avail = 4;
}

uint32_t ts_rng_u32(ts_rng *g)
{
    if (g->avail == 0)
        next_block(g);
    return g->buf[4 - g->avail--];
}

#define TWO_M32 2.3283064365386963e-10 /* 2^-32 */
#define TWO_M53 1.1102230246251565e-16 /* 2^-53 */

double ts_rng_u01(ts_rng *g)
{
    return ((double)ts_rng_u32(g) + 0.5) * TWO_M32;
}

double ts_rng_u01_53(ts_rng *g)
{
    uint64_t k;
    /* k + 1/2 needs 54 bits, so for k >= 2^52 it rounds to even, and
     * k = 2^53 - 1 would give exactly 1.0: that one value is drawn again
     * (probability 2^-53; every other draw is unchanged). */
    do {
        uint64_t hi = ts_rng_u32(g) >> 5; /* 27 bits */
        uint64_t lo = ts_rng_u32(g) >> 6; /* 26 bits */
        k = (hi << 26) | lo;
    } while (k == (1ull << 53) - 1);
    return ((double)k + 0.5) * TWO_M53;
}

uint32_t ts_rng_below(ts_rng *g, uint32_t n)
{
    uint64_t m = (uint64_t)ts_rng_u32(g) * n;
    uint32_t l = (uint32_t)m;
    if (l < n) {
        uint32_t t = -n % n;
        while (l < t) {
            m = (uint64_t)ts_rng_u32(g) * n;
            l = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* Many counters advance together: CHUNK consecutive blocks per call, as
 * straight-line 32x32->64 multiplies and xors over arrays, which GCC turns
 * into vpmuludq.  The rounds are a dependency chain, so many counters are
 * kept in flight.  The C is compiled twice -- AVX2 and the baseline --
 * beside a hand-written AVX-512 kernel (below), picked at run time, so the
 * binary stays portable; integer arithmetic makes all of them
 * bit-identical.  The replica lanes further down share the rounds. */
#define CHUNK 64 /* blocks per call */

/* The ten rounds on x0..x3[n].  Each 32-bit state word sits in a 64-bit
 * lane (only its low half matters): a 32x32->64 multiply is then one
 * vpmuludq giving lo and, after one shift, hi -- no shuffling of even and
 * odd lanes -- which makes it about a quarter faster than 32-bit lanes. */
#define PHILOX_ROUNDS(n, key0, key1)                                          \
    uint64_t k0 = (key0), k1 = (key1);                                        \
    for (int round = 0; round < 10; round++) {                                \
        for (int l = 0; l < (n); l++) {                                       \
            uint64_t p0 = (x0[l] & 0xffffffffu) * (uint64_t)PHILOX_M0;        \
            uint64_t p1 = (x2[l] & 0xffffffffu) * (uint64_t)PHILOX_M1;        \
            uint64_t n0 = (p1 >> 32) ^ x1[l] ^ k0;                            \
            uint64_t n2 = (p0 >> 32) ^ x3[l] ^ k1;                            \
            x1[l] = p1;                                                       \
            x3[l] = p0;                                                       \
            x0[l] = n0;                                                       \
            x2[l] = n2;                                                       \
        }                                                                     \
        k0 = (uint32_t)(k0 + PHILOX_W0);                                      \
        k1 = (uint32_t)(k1 + PHILOX_W1);                                      \
    }

#define PHILOX_CHUNK_BODY                                                     \
    uint64_t x0[CHUNK], x1[CHUNK], x2[CHUNK], x3[CHUNK];                      \
    for (int l = 0; l < CHUNK; l++) {                                         \
        x0[l] = (uint32_t)(c0base + (uint32_t)l);                             \
        x1[l] = c1;                                                           \
        x2[l] = c2;                                                           \
        x3[l] = c3;                                                           \
    }                                                                         \
    PHILOX_ROUNDS(CHUNK, key0, key1)                                          \
    for (int l = 0; l < CHUNK; l++) {                                         \
        out[4 * l + 0] = ((double)(uint32_t)x0[l] + 0.5) * TWO_M32;           \
        out[4 * l + 1] = ((double)(uint32_t)x1[l] + 0.5) * TWO_M32;           \
        out[4 * l + 2] = ((double)(uint32_t)x2[l] + 0.5) * TWO_M32;           \
        out[4 * l + 3] = ((double)(uint32_t)x3[l] + 0.5) * TWO_M32;           \
    }

#define CHUNK_ARGS                                                            \
    uint32_t c0base, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t key0,    \
        uint32_t key1, double *out /* [CHUNK*4], block-major */

static void chunk_generic(CHUNK_ARGS) { PHILOX_CHUNK_BODY }

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(TS_NO_SIMD_DISPATCH)
#define TS_SIMD_DISPATCH 1
#include <immintrin.h>

__attribute__((target("avx2"))) static void chunk_avx2(CHUNK_ARGS)
{
    PHILOX_CHUNK_BODY
}

/* AVX-512 by hand: 8 vectors of 8 counters (one per 64-bit element) go
 * through the rounds together.  512-bit integer work issues on two ports
 * only, so every op counts: the high word of a product is moved down with
 * a dword shuffle (the other port from the multiply) instead of a shift,
 * three-way xors are one ternary-logic op, and the upper halves are left
 * dirty (vpmuludq reads only the low 32 bits; the output masks them).
 * About 0.5 ns per uniform here, against 1.0 for GCC's vectorisation of
 * the C above. */
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
#define NV 8 /* vectors in flight: enough independent chains */

AVX512 static inline void rounds_avx512(__m512i x[4][NV], uint32_t k0,
                                        uint32_t k1)
{
    const __m512i m0 = _mm512_set1_epi64(PHILOX_M0);
    const __m512i m1 = _mm512_set1_epi64(PHILOX_M1);
    for (int round = 0; round < 10; round++) {
        const __m512i vk0 = _mm512_set1_epi64(k0), vk1 = _mm512_set1_epi64(k1);
        for (int v = 0; v < NV; v++) {
            __m512i p0 = _mm512_mul_epu32(x[0][v], m0);
            __m512i p1 = _mm512_mul_epu32(x[2][v], m1);
            __m512i n0 = _mm512_ternarylogic_epi64(
                _mm512_shuffle_epi32(p1, _MM_PERM_CDAB), x[1][v], vk0, 0x96);
            __m512i n2 = _mm512_ternarylogic_epi64(
                _mm512_shuffle_epi32(p0, _MM_PERM_CDAB), x[3][v], vk1, 0x96);
            x[1][v] = p1;
            x[3][v] = p0;
            x[0][v] = n0;
            x[2][v] = n2;
        }
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
}

/* The low words as uniforms without a conversion instruction: the bits
 * 0x43300000_xxxxxxxx are 2^52 + x, and subtracting 2^52 - 1/2 leaves
 * x + 1/2 exactly -- the scalar path's (double)x + 0.5, so the bits
 * agree. */
AVX512 static inline __m512d u01_avx512(__m512i x)
{
    const __m512i bits = _mm512_ternarylogic_epi64( /* (x & lo32) | magic */
        x, _mm512_set1_epi64(0xffffffffll),
        _mm512_set1_epi64(0x4330000000000000ll), 0xEA);
    const __m512d d = _mm512_sub_pd(_mm512_castsi512_pd(bits),
                                    _mm512_set1_pd(4503599627370496.0 - 0.5));
    return _mm512_mul_pd(d, _mm512_set1_pd(TWO_M32));
}

_Static_assert(CHUNK == NV * 8, "chunk_avx512 fills CHUNK blocks");

/* CHUNK = NV * 8 blocks, block-major: vector v holds blocks 8v .. 8v+7,
 * and the four words of each are interleaved into out[4 block + word]. */
AVX512 static void chunk_avx512(CHUNK_ARGS)
{
    __m512i x[4][NV];
    const __m512i iota = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    for (int v = 0; v < NV; v++) {
        x[0][v] = _mm512_and_si512(
            _mm512_add_epi64(_mm512_set1_epi64(c0base + 8u * (uint32_t)v), iota),
            _mm512_set1_epi64(0xffffffffll));
        x[1][v] = _mm512_set1_epi64(c1);
        x[2][v] = _mm512_set1_epi64(c2);
        x[3][v] = _mm512_set1_epi64(c3);
    }
    rounds_avx512(x, key0, key1);
    for (int v = 0; v < NV; v++) {
        /* Word w of block b is d[w][b]; in 128-bit units, with
         * A_b = (d0[b], d1[b]) and C_b = (d2[b], d3[b]):
         *   t0 = A0 A2 A4 A6, t1 = A1 A3 A5 A7 (and t2, t3 with C);
         * the output wants A0 C0 A1 C1 | A2 C2 A3 C3 | ... */
        const __m512d d0 = u01_avx512(x[0][v]), d1 = u01_avx512(x[1][v]);
        const __m512d d2 = u01_avx512(x[2][v]), d3 = u01_avx512(x[3][v]);
        const __m512d t0 = _mm512_unpacklo_pd(d0, d1), t1 = _mm512_unpackhi_pd(d0, d1);
        const __m512d t2 = _mm512_unpacklo_pd(d2, d3), t3 = _mm512_unpackhi_pd(d2, d3);
        const __m512d u = _mm512_shuffle_f64x2(t0, t2, 0x44);  /* A0 A2 C0 C2 */
        const __m512d w = _mm512_shuffle_f64x2(t1, t3, 0x44);  /* A1 A3 C1 C3 */
        const __m512d u2 = _mm512_shuffle_f64x2(t0, t2, 0xEE); /* A4 A6 C4 C6 */
        const __m512d w2 = _mm512_shuffle_f64x2(t1, t3, 0xEE); /* A5 A7 C5 C7 */
        double *o = out + 32 * v;
        _mm512_storeu_pd(o, _mm512_shuffle_f64x2(u, w, 0x88));       /* A0 C0 A1 C1 */
        _mm512_storeu_pd(o + 8, _mm512_shuffle_f64x2(u, w, 0xDD));   /* A2 C2 A3 C3 */
        _mm512_storeu_pd(o + 16, _mm512_shuffle_f64x2(u2, w2, 0x88));
        _mm512_storeu_pd(o + 24, _mm512_shuffle_f64x2(u2, w2, 0xDD));
    }
}
#endif

typedef void (*chunk_fn)(CHUNK_ARGS);

int ts_rng_simd_cpu(void)
{
#ifdef TS_SIMD_DISPATCH
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return 2;
    if (__builtin_cpu_supports("avx2"))
        return 1;
#endif
    return 0;
}

static int cap(int have, int level)
{
    return level < have ? level : have;
}

void ts_rng_cap_simd(ts_rng *g, int level)
{
    g->simd = cap(g->simd, level);
}

void ts_rng_lanes_cap_simd(ts_rng_lanes *g, int level)
{
    g->simd = cap(g->simd, level);
}

static chunk_fn pick_chunk(int simd)
{
#ifdef TS_SIMD_DISPATCH
    if (simd >= 2)
        return chunk_avx512;
    if (simd >= 1)
        return chunk_avx2;
#endif
    (void)simd;
    return chunk_generic;
}

void ts_rng_fill_u01(ts_rng *g, double *out, size_t n)
{
    const uint32_t mask = (1u << TS_RNG_BLOCK_BITS) - 1u;
    size_t k = 0;
    /* Drain what the scalar path left buffered, so both paths agree. */
    while (k < n && g->avail > 0)
        out[k++] = ts_rng_u01(g);
    const chunk_fn chunk = pick_chunk(g->simd);
    double tmp[CHUNK * 4];
    while (n - k >= 4 && (g->ctr[0] & mask) <= mask - CHUNK) {
        size_t want = (n - k) / 4; /* whole blocks still wanted */
        if (want >= CHUNK) {
            chunk(g->ctr[0], g->ctr[1], g->ctr[2], g->ctr[3], g->key[0],
                  g->key[1], out + k);
            g->ctr[0] += CHUNK;
            k += CHUNK * 4;
        } else {
            /* The tail: compute a whole chunk, keep the blocks wanted; the
             * counter moves past those only, as the scalar path would. */
            chunk(g->ctr[0], g->ctr[1], g->ctr[2], g->ctr[3], g->key[0],
                  g->key[1], tmp);
            memcpy(out + k, tmp, want * 4 * sizeof *tmp);
            g->ctr[0] += (uint32_t)want;
            k += want * 4;
        }
    }
    while (k < n)
        out[k++] = ts_rng_u01(g);
}

/* ------------------------------------------------------------------ */
/* Replica lanes (rng.h).  A group is LG consecutive blocks of all
 * TS_LANES lanes: out[(4 b + w) TS_LANES + l] is word w of block
 * block0 + b of lane l, already a uniform on (0,1). */
#define LG 8 /* blocks per group: enough independent chains to hide latency */

#define LANES_ARGS const ts_rng_lanes *g, uint32_t block0, double *out

#define PHILOX_GROUP_BODY \
    uint64_t x0[LG * TS_LANES], x1[LG * TS_LANES], x2[LG * TS_LANES], \
        x3[LG * TS_LANES]; \
    for (int b = 0; b < LG; b++) \
        for (int l = 0; l < TS_LANES; l++) { \
            x0[b * TS_LANES + l] = g->ctr0 | (block0 + (uint32_t)b); \
            x1[b * TS_LANES + l] = g->ctr1; \
            x2[b * TS_LANES + l] = g->ctr2[l]; \
            x3[b * TS_LANES + l] = g->ctr3; \
        } \
    PHILOX_ROUNDS(LG * TS_LANES, g->key[0], g->key[1]) \
    for (int b = 0; b < LG; b++) \
        for (int l = 0; l < TS_LANES; l++) { \
            double *o = out + 4 * b * TS_LANES + l; \
            o[0] = ((double)(uint32_t)x0[b * TS_LANES + l] + 0.5) * TWO_M32; \
            o[TS_LANES] = ((double)(uint32_t)x1[b * TS_LANES + l] + 0.5) * TWO_M32; \
            o[2 * TS_LANES] = ((double)(uint32_t)x2[b * TS_LANES + l] + 0.5) * TWO_M32; \
            o[3 * TS_LANES] = ((double)(uint32_t)x3[b * TS_LANES + l] + 0.5) * TWO_M32; \
        }

static void group_generic(LANES_ARGS) { PHILOX_GROUP_BODY }

#ifdef TS_SIMD_DISPATCH
__attribute__((target("avx2"))) static void group_avx2(LANES_ARGS)
{
    PHILOX_GROUP_BODY
}

_Static_assert(LG == NV && TS_LANES == 8, "group_avx512 fills a group");

/* Lanes are replicas here: vector b holds block block0 + b of all eight. */
AVX512 static void group_avx512(LANES_ARGS)
{
    __m512i x[4][NV];
    const __m512i c2 = _mm512_cvtepu32_epi64(
        _mm256_loadu_si256((const __m256i *)(const void *)g->ctr2));
    for (int b = 0; b < NV; b++) {
        x[0][b] = _mm512_set1_epi64((long long)(g->ctr0 | (block0 + (uint32_t)b)));
        x[1][b] = _mm512_set1_epi64((long long)g->ctr1);
        x[2][b] = c2;
        x[3][b] = _mm512_set1_epi64((long long)g->ctr3);
    }
    rounds_avx512(x, g->key[0], g->key[1]);
    for (int b = 0; b < NV; b++)
        for (int w = 0; w < 4; w++)
            _mm512_storeu_pd(out + (4 * b + w) * TS_LANES, u01_avx512(x[w][b]));
}
#endif

typedef void (*group_fn)(LANES_ARGS);

static group_fn pick_group(int simd)
{
#ifdef TS_SIMD_DISPATCH
    if (simd >= 2)
        return group_avx512;
    if (simd >= 1)
        return group_avx2;
#endif
    (void)simd;
    return group_generic;
}

void ts_rng_lanes_init(ts_rng_lanes *g, uint64_t seed, uint32_t point,
                       const uint32_t replica[TS_LANES], unsigned stream)
{
    g->key[0] = (uint32_t)seed;
    g->key[1] = (uint32_t)(seed >> 32);
    g->ctr0 = (uint32_t)(stream & 0xffu) << TS_RNG_BLOCK_BITS;
    g->ctr1 = 0;
    for (int l = 0; l < TS_LANES; l++)
        g->ctr2[l] = replica[l];
    g->ctr3 = point;
    g->simd = ts_rng_simd_cpu();
}

void ts_rng_lanes_seek(ts_rng_lanes *g, uint64_t slot)
{
    g->ctr1 = (uint32_t)slot;
}

void ts_rng_lanes_u01(const ts_rng_lanes *g, size_t word0, size_t n,
                      double *out)
{
    const size_t W = 4 * LG; /* words per lane in a group */
    assert(word0 + n <= ((size_t)1 << (TS_RNG_BLOCK_BITS + 2)));
    const group_fn group = pick_group(g->simd);
    double tmp[4 * LG * TS_LANES];
    size_t k = 0;
    while (k < n) {
        const size_t at = word0 + k;
        const uint32_t block = (uint32_t)(at / 4);
        const size_t skip = at % 4; /* words of the first block not wanted */
        if (skip == 0 && n - k >= W) { /* a whole group, straight to out */
            group(g, block, out + k * TS_LANES);
            k += W;
            continue;
        }
        group(g, block, tmp);
        size_t take = W - skip;
        if (take > n - k)
            take = n - k;
        memcpy(out + k * TS_LANES, tmp + skip * TS_LANES,
               take * TS_LANES * sizeof *tmp);
        k += take;
    }
}

/* rng.h -- counter-based random streams (Philox4x32-10, Salmon et al. SC'11).
 *
 * Every draw is a pure function of where it is used (SPEC §1, "Random
 * streams never repeat"):
 *
 *   key     = seed (64 bits)
 *   ctr[3]  = grid point id (a hash of the point's coordinates, see
 *             ts_point_id, so adding a value to a grid leaves the others'
 *             draws unchanged)
 *   ctr[2]  = replica
 *   ctr[1]  = slot (or another outer index the stream's user chooses)
 *   ctr[0]  = stream id (high 8 bits) | block index (low 24 bits)
 *
 * A stream thus holds 2^24 blocks = 2^26 32-bit words per slot; ts_rng_u32
 * reports TS_ENOMEM-like exhaustion through g->overflow rather than wrapping
 * (wrapping would silently repeat draws, the gsl_microrng trap of SPEC §1).
 * Doubles have 32-bit resolution (ts_rng_u01) unless built from two words
 * (ts_rng_u01_53) where a probability can be tiny. */
#ifndef TS_RNG_H
#define TS_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "base/streams.h"

#define TS_RNG_BLOCK_BITS 24u

typedef struct ts_rng {
    uint32_t key[2];
    uint32_t ctr[4];
    uint32_t buf[4];
    int avail;     /* unread words left in buf                             */
    int overflow;  /* set if more than 2^24 blocks were asked for one slot */
    int simd;      /* widest kernels ts_rng_fill_u01 uses (ts_rng_simd_cpu) */
} ts_rng;

/* The widest vector kernels this CPU runs: 2 AVX-512, 1 AVX2, 0 only the
 * portable C ones (always 0 without TS_SIMD_DISPATCH).  A pure function of
 * the CPU; every kernel gives the same bits, so it only decides speed. */
int ts_rng_simd_cpu(void);

/* Key the stream; the slot counter starts at 0; g->simd the CPU's widest. */
void ts_rng_init(ts_rng *g, uint64_t seed, uint32_t point, uint32_t replica,
                 unsigned stream);
/* Position at the start of slot (block index 0).  Cheap: no state but the
 * counter changes, so any slot can be replayed alone. */
void ts_rng_seek(ts_rng *g, uint64_t slot);

uint32_t ts_rng_u32(ts_rng *g);
/* Uniform on (0,1) with 32-bit resolution: (x + 1/2) 2^-32, never 0 or 1. */
double ts_rng_u01(ts_rng *g);
/* Uniform on (0,1) with 53-bit resolution, from two words. */
double ts_rng_u01_53(ts_rng *g);
/* Unbiased integer in [0, n), n >= 1 (Lemire's multiply-and-reject). */
uint32_t ts_rng_below(ts_rng *g, uint32_t n);
/* n uniforms on (0,1) with 32-bit resolution.  Equal, value for value, to n
 * calls of ts_rng_u01 from the same position, but vectorised. */
void ts_rng_fill_u01(ts_rng *g, double *out, size_t n);

/* ------------------------------------------------------------------ */
/* Replica lanes.  The engine's fast path (lanes.c) runs TS_LANES
 * replicas side by side, one per SIMD lane.  Their streams differ only in
 * the replica word ctr[2], so one vectorised Philox call serves all of
 * them.  Fixed at 8 (one AVX-512 vector of doubles): the lane count, not
 * the CPU, decides which replicas share a call, and each lane's numbers
 * are its replica's own, so results never depend on it. */
#define TS_LANES 8

typedef struct ts_rng_lanes {
    uint32_t key[2];
    uint32_t ctr0;            /* stream id << TS_RNG_BLOCK_BITS            */
    uint32_t ctr1;            /* slot                                      */
    uint32_t ctr2[TS_LANES];  /* replica of each lane                      */
    uint32_t ctr3;            /* grid point id                             */
    int simd;                 /* widest kernels used (ts_rng_simd_cpu)     */
} ts_rng_lanes;

/* Key the TS_LANES streams (seed, point, replica[l], stream); slot 0;
 * g->simd the CPU's widest. */
void ts_rng_lanes_init(ts_rng_lanes *g, uint64_t seed, uint32_t point,
                       const uint32_t replica[TS_LANES], unsigned stream);
void ts_rng_lanes_seek(ts_rng_lanes *g, uint64_t slot);
/* Uniforms by position: out[k*TS_LANES + l] (k < n) is word word0 + k of
 * lane l's stream in the current slot, the value ts_rng_fill_u01 gives
 * that replica's stream after ts_rng_seek to the same slot, bit for bit.
 * Stateless, so any range of a slot can be drawn alone.  Needs
 * word0 + n <= 2^26 (the words one slot holds, rng.h above). */
void ts_rng_lanes_u01(const ts_rng_lanes *g, size_t word0, size_t n,
                      double *out);

/* Narrow the kernels one stream's fills use to at most level (2 AVX-512,
 * 1 AVX2, 0 the portable C ones; never wider than the CPU runs), so tests
 * can compare all of them on one machine.  The values do not change. */
void ts_rng_cap_simd(ts_rng *g, int level);
void ts_rng_lanes_cap_simd(ts_rng_lanes *g, int level);

/* One Philox4x32-10 block: out = philox(ctr, key).  Exposed for the
 * known-answer test against Random123. */
void ts_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2],
                      uint32_t out[4]);


#endif

/* streams.h -- every key of every random stream, in one file.
 *
 * A stream is Philox4x32-10 keyed by (seed, point id, replica, stream id)
 * with the slot in a counter word (rng.h; Random123's value = f(counter,
 * key)).  Stream ids say what a draw is for; point ids say which grid
 * point, mechanism, worker or analysis it belongs to.  Both are fixed
 * here, so no two purposes can share a draw and a result never depends on
 * which other mechanisms or points run beside it. */
#ifndef TS_STREAMS_H
#define TS_STREAMS_H

#include <stddef.h>
#include <stdint.h>

/* Stream ids: fixed constants, never reused for another purpose. */
enum {
    TS_STREAM_STATE = 1,    /* population: true states p                    */
    TS_STREAM_BELIEF = 2,   /* population: beliefs q                        */
    TS_STREAM_VERIFY = 3,   /* verification noise (Prop. 3)                 */
    TS_STREAM_SELECT = 4,   /* limited feedback: who is heard (Sec. VI)     */
    TS_STREAM_STRATEGY = 5, /* randomised strategies                        */
    TS_STREAM_MC = 6,       /* Monte Carlo inside best responses            */
    TS_STREAM_AUX = 7,      /* anything else a population needs             */
};

/* 32-bit FNV-1a over bytes, chained from h (start with TS_HASH_INIT):
 * point ids are hashes of a point's canonical coordinates. */
#define TS_HASH_INIT 2166136261u
uint32_t ts_hash_bytes(uint32_t h, const void *data, size_t len);
uint32_t ts_hash_str(uint32_t h, const char *s);
uint32_t ts_hash_double(uint32_t h, double x);

/* A mechanism's own draws (limited feedback: who is heard): the point's
 * environment id chained with the mechanism's name, so a mechanism's draws
 * do not depend on which other mechanisms the experiment lists. */
uint32_t ts_mech_stream_id(uint32_t env_id, const char *mech_name);

/* Worker i's strategy draws when he plays strategy `strat` against
 * mechanism `mech` (stream TS_STREAM_STRATEGY, positioned at the slot). */
uint32_t ts_strategy_stream_id(uint32_t env_id, const char *mech,
                               const char *strat, int i);

/* Philox "point" ids of the trainer's random draws (stream TS_STREAM_AUX):
 * one per purpose, so no two purposes ever share a draw. */
enum {
    TS_DPO_POINT_INIT = 0x44504f01u,     /* weights                        */
    TS_DPO_POINT_LORA_INIT = 0x44504f02u,/* adapter A matrices             */
    TS_DPO_POINT_DROPOUT = 0x44504f03u,  /* adapter dropout masks          */
    TS_DPO_POINT_SHUFFLE = 0x44504f04u,  /* batch order each epoch         */
};

/* Philox "point" id of `check`'s Theorem 2 bootstrap (claims_horizon.c:
 * resampling the replicas for the regret-vs-T slope's interval, stream
 * TS_STREAM_AUX, seed 12 as the claim's experiment). */
enum { TS_CHECK_POINT_THM2_BOOT = 0x5107eu };

/* Philox "point" id of `replay --mechanism LIST`'s bootstrap over slots
 * (replay/compare.c: the mean loss's interval, stream TS_STREAM_AUX, the
 * replay's --seed, position = resample). */
enum { TS_REPLAY_POINT_BOOT = 0x7e91a7u };

#endif

/* streams.c -- the point ids of streams.h. */
#include "base/streams.h"

#include <string.h>

/* 32-bit FNV-1a. */
uint32_t ts_hash_bytes(uint32_t h, const void *data, size_t len)
{
    const unsigned char *b = data;
    for (size_t k = 0; k < len; k++) {
        h ^= b[k];
        h *= 16777619u;
    }
    return h;
}

uint32_t ts_hash_str(uint32_t h, const char *s)
{
    return ts_hash_bytes(h, s, strlen(s) + 1); /* the NUL separates fields */
}

uint32_t ts_hash_double(uint32_t h, double x)
{
    if (x == 0)
        x = 0; /* -0 and +0 are one coordinate */
    unsigned char b[sizeof x];
    memcpy(b, &x, sizeof x);
    return ts_hash_bytes(h, b, sizeof b);
}

uint32_t ts_mech_stream_id(uint32_t env_id, const char *mech_name)
{
    uint32_t h = ts_hash_bytes(TS_HASH_INIT, &env_id, sizeof env_id);
    return ts_hash_str(h, mech_name);
}

uint32_t ts_strategy_stream_id(uint32_t env_id, const char *mech,
                               const char *strat, int i)
{
    uint32_t h = ts_hash_str(ts_mech_stream_id(env_id, mech), strat);
    return ts_hash_bytes(h, &i, sizeof i);
}

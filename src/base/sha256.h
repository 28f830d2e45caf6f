/* sha256.h -- SHA-256 (FIPS 180-4) of a file, for the input_sha256
 * provenance attribute of replay results. */
#ifndef TS_SHA256_H
#define TS_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct ts_sha256 {
    uint32_t h[8];
    uint64_t len;        /* bytes so far */
    unsigned char buf[64];
    size_t n;            /* bytes in buf */
} ts_sha256;

void ts_sha256_init(ts_sha256 *s);
void ts_sha256_update(ts_sha256 *s, const void *data, size_t len);
/* 64 lowercase hex digits and a NUL. */
void ts_sha256_hex(ts_sha256 *s, char out[65]);

#endif

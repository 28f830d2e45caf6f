/* test_sha256.c -- src/sha256.c against FIPS 180-4.
 *
 * Known answers: the examples of FIPS 180-4 / NIST's "SHA256.pdf" and
 * "SHA2_Additional.pdf" ("abc", the 448-bit two-block message, the empty
 * string, one million 'a'); the 200-byte message and the digest over all its
 * prefixes were computed with Python's hashlib:
 *   msg = bytes(((k*37 + 11) & 0xff) for k in range(200))
 *   hashlib.sha256(msg).hexdigest()
 *   hashlib.sha256("".join(hashlib.sha256(msg[:n]).hexdigest()
 *                          for n in range(201)).encode()).hexdigest()
 * The prefixes cover every padding case (lengths 55, 56, 63, 64, 119, ...). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"

static void hex_of(const void *data, size_t len, char out[65])
{
    ts_sha256 s;
    ts_sha256_init(&s);
    ts_sha256_update(&s, data, len);
    memset(out, 'X', 65);
    ts_sha256_hex(&s, out);
}

static void check_hex_form(const char h[65])
{
    assert_int_equal(h[64], '\0');
    for (int k = 0; k < 64; k++)
        assert_true(isxdigit((unsigned char)h[k]) && !isupper((unsigned char)h[k]));
}

static void fips_examples(void **unused)
{
    (void)unused;
    char h[65];
    hex_of("abc", 3, h);
    check_hex_form(h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(two, strlen(two), h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    hex_of("", 0, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void one_million_a(void **unused)
{
    (void)unused;
    char h[65];
    /* All at once ... */
    char *a = malloc(1000000);
    assert_non_null(a);
    memset(a, 'a', 1000000);
    hex_of(a, 1000000, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* ... and in uneven pieces (a prime length, then the rest). */
    ts_sha256 s;
    ts_sha256_init(&s);
    size_t done = 0;
    while (done < 1000000) {
        size_t take = 1000000 - done < 997 ? 1000000 - done : 997;
        ts_sha256_update(&s, a + done, take);
        done += take;
    }
    ts_sha256_hex(&s, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

static void make_msg(unsigned char msg[200])
{
    for (int k = 0; k < 200; k++)
        msg[k] = (unsigned char)((k * 37 + 11) & 0xff);
}

static void split_at_every_offset(void **unused)
{
    (void)unused;
    static const char want[] =
        "5e48d64839a8bff5e2471507af6a49f9990817df437857f4a2007df41266e1b5";
    unsigned char msg[200];
    make_msg(msg);
    char h[65];
    /* Two pieces, split at every offset 0..200 (empty pieces included). */
    for (size_t i = 0; i <= 200; i++) {
        ts_sha256 s;
        ts_sha256_init(&s);
        ts_sha256_update(&s, msg, i);
        ts_sha256_update(&s, msg + i, 200 - i);
        ts_sha256_hex(&s, h);
        if (strcmp(h, want))
            fail_msg("split at %zu: %s", i, h);
    }
    /* Three pieces, every pair of offsets. */
    for (size_t i = 0; i <= 200; i++)
        for (size_t j = i; j <= 200; j++) {
            ts_sha256 s;
            ts_sha256_init(&s);
            ts_sha256_update(&s, msg, i);
            ts_sha256_update(&s, msg + i, j - i);
            ts_sha256_update(&s, msg + j, 200 - j);
            ts_sha256_hex(&s, h);
            if (strcmp(h, want))
                fail_msg("split at %zu and %zu: %s", i, j, h);
        }
    /* Byte by byte. */
    ts_sha256 s;
    ts_sha256_init(&s);
    for (size_t i = 0; i < 200; i++)
        ts_sha256_update(&s, msg + i, 1);
    ts_sha256_hex(&s, h);
    assert_string_equal(h, want);
}

/* Every length 0..200 (every padding case), folded into one digest. */
static void every_length(void **unused)
{
    (void)unused;
    unsigned char msg[200];
    make_msg(msg);
    ts_sha256 all;
    ts_sha256_init(&all);
    for (size_t n = 0; n <= 200; n++) {
        char h[65];
        hex_of(msg, n, h);
        check_hex_form(h);
        ts_sha256_update(&all, h, 64);
    }
    char h[65];
    ts_sha256_hex(&all, h);
    assert_string_equal(h, "5e326e10d49079c892e1957f9c2b98a13e72711c8fa0de33b2a05abc2030e087");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fips_examples),
        cmocka_unit_test(one_million_a),
        cmocka_unit_test(split_at_every_offset),
        cmocka_unit_test(every_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

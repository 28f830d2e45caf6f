/* test_io.c -- checkpoints, tokenizers, preference CSVs and the HDF5
 * output of the DPO trainer (issue 6, items 2, 3, 6 and 8): round trips
 * are bitwise, and every malformed input is refused with its location. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include "dpo/dpo.h"

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    void *b = malloc(*n);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

/* --------------------------------------------------------- checkpoints */

static const ts_dpo_config small_cfg = {12, 37, 40, 2, 2, 16};

static void test_checkpoint_roundtrip(void **state)
{
    (void)state;
    ts_err e;
    ts_dpo_model *a = ts_dpo_model_alloc(&small_cfg, 1, 4, 1, 0, &e);
    ts_dpo_model *b = ts_dpo_model_alloc(&small_cfg, 1, 4, 1, 0, &e);
    assert_non_null(a);
    assert_non_null(b);
    ts_dpo_model_init_random(a, 31);
    /* 16 tensors in llm.c's order: 40*16 + 12*16 + 2*(12*16*16 + 13*16)
     * + 2*16 = 640 + 192 + 6144 + 6656 + ... summed by the size table */
    size_t s[TS_DPO_NUM_PARAM_TENSORS];
    size_t n = ts_dpo_param_sizes(&small_cfg, s);
    /* by hand: wte 640, wpe 192, ln1 2*2*16 = 64, qkvw 2*48*16 = 1536,
     * qkvb 96, attproj 512 + 32, ln2 64, fcw 2048, fcb 128, fcproj 2048
     * + 32, lnf 32: total 7424 */
    assert_int_equal(n, 7424);
    assert_int_equal(s[0], 640);
    assert_int_equal(s[4], 1536);
    const char *path = "test_dpo_ckpt.bin";
    assert_int_equal(ts_dpo_checkpoint_save(a, path, NULL, &e), TS_OK);
    size_t len;
    int32_t *raw = read_file(path, &len);
    assert_int_equal(len, 1024 + 4 * n);
    assert_int_equal(raw[0], 20240326);
    assert_int_equal(raw[1], 3);
    assert_int_equal(raw[2], 12);
    assert_int_equal(raw[3], 37);
    assert_int_equal(raw[4], 2);
    assert_int_equal(raw[5], 2);
    assert_int_equal(raw[6], 16);
    assert_int_equal(raw[7], 40);
    /* wte comes first, right after the header */
    assert_memory_equal(raw + 256, a->params.wte, 4);
    ts_dpo_config cfg;
    assert_int_equal(ts_dpo_checkpoint_config(path, &cfg, &e), TS_OK);
    assert_memory_equal(&cfg, &small_cfg, sizeof cfg);
    assert_int_equal(ts_dpo_checkpoint_load(b, path, &e), TS_OK);
    assert_memory_equal(a->params_memory, b->params_memory, n * sizeof(float));

    /* truncated by one float */
    write_file("test_dpo_trunc.bin", raw, len - 4);
    assert_int_equal(ts_dpo_checkpoint_load(b, "test_dpo_trunc.bin", &e),
                     TS_EINPUT);
    assert_non_null(strstr(e.msg, "test_dpo_trunc.bin: truncated"));
    /* shorter than the header */
    write_file("test_dpo_trunc.bin", raw, 100);
    assert_int_equal(ts_dpo_checkpoint_config("test_dpo_trunc.bin", &cfg, &e),
                     TS_EINPUT);
    assert_non_null(strstr(e.msg, "truncated"));
    /* wrong magic */
    raw[0] = 20240328;
    write_file("test_dpo_bad.bin", raw, len);
    assert_int_equal(ts_dpo_checkpoint_load(b, "test_dpo_bad.bin", &e),
                     TS_EINPUT);
    assert_non_null(strstr(e.msg, "not a GPT-2 checkpoint"));
    /* bf16 */
    raw[0] = 20240326;
    raw[1] = 5;
    write_file("test_dpo_bad.bin", raw, len);
    assert_int_equal(ts_dpo_checkpoint_load(b, "test_dpo_bad.bin", &e),
                     TS_EUNSUPP);
    assert_non_null(strstr(e.msg, "bf16"));
    /* sizes that differ from the model's */
    raw[1] = 3;
    raw[6] = 32;
    write_file("test_dpo_bad.bin", raw, len);
    assert_int_equal(ts_dpo_checkpoint_load(b, "test_dpo_bad.bin", &e),
                     TS_EINPUT);
    /* heads that do not divide the width */
    raw[6] = 16;
    raw[5] = 3;
    write_file("test_dpo_bad.bin", raw, len);
    assert_int_equal(ts_dpo_checkpoint_config("test_dpo_bad.bin", &cfg, &e),
                     TS_EINPUT);
    assert_int_equal(ts_dpo_checkpoint_config("no/such/file", &cfg, &e),
                     TS_ENOINPUT);
    remove(path);
    remove("test_dpo_trunc.bin");
    remove("test_dpo_bad.bin");
    free(raw);
    ts_dpo_model_free(a);
    ts_dpo_model_free(b);
}

static void test_presets(void **state)
{
    (void)state;
    ts_err e;
    ts_dpo_config c;
    /* parameter counts quoted in README-dpo.md, by the size table:
     * V C + maxT C + L (12 C^2 + 13 C) + 2 C, e.g. small =
     * 512*64 + 128*64 + 2*(12*64^2 + 13*64) + 2*64 = 141,056 */
    static const struct { const char *name; size_t n; } want[] = {
        {"small", 141056}, {"medium", 875264}, {"large", 5328896},
        {"xl", 15081216}};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ts_dpo_preset_config(want[i].name, &c, &e), TS_OK);
        size_t s[TS_DPO_NUM_PARAM_TENSORS];
        assert_int_equal(ts_dpo_param_sizes(&c, s), want[i].n);
    }
}

/* ---------------------------------------------------------- tokenizers */

static void test_tokenizer_builtin(void **state)
{
    (void)state;
    ts_err e;
    ts_dpo_tokenizer *t = ts_dpo_tokenizer_builtin(&e);
    assert_non_null(t);
    assert_true(t->vocab_size <= 512);
    assert_int_equal(t->eot, 256);
    const char *text = "Band 3 energy: -71.25 dB. Is the band busy? Answer: BUSY";
    int32_t ids[128];
    int n;
    assert_int_equal(ts_dpo_tokenizer_encode(t, text, ids, 128, &n, &e), TS_OK);
    /* decoding gives the text back, and words are single tokens */
    char back[256] = "";
    size_t pos = 0;
    for (int i = 0; i < n; i++) {
        size_t l;
        const unsigned char *b = ts_dpo_tokenizer_decode(t, ids[i], &l);
        memcpy(back + pos, b, l);
        pos += l;
    }
    back[pos] = 0;
    assert_string_equal(back, text);
    assert_true(n < (int)strlen(text) / 2);
    /* " BUSY" and " IDLE" are one token each: the two completions of
     * SPEC §6 differ in exactly one position */
    assert_int_equal(ts_dpo_tokenizer_encode(t, " BUSY", ids, 4, &n, &e), TS_OK);
    assert_int_equal(n, 1);
    int32_t busy = ids[0];
    assert_int_equal(ts_dpo_tokenizer_encode(t, " IDLE", ids, 4, &n, &e), TS_OK);
    assert_int_equal(n, 1);
    assert_true(ids[0] != busy && busy > 256);
    /* "-71" is "-" then "71" */
    assert_int_equal(ts_dpo_tokenizer_encode(t, "-71", ids, 4, &n, &e), TS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], '-');
    /* too small a buffer */
    assert_int_equal(ts_dpo_tokenizer_encode(t, text, ids, 3, &n, &e),
                     TS_EINPUT);

    /* save in llm.c's format and load back: same vocabulary */
    assert_int_equal(ts_dpo_tokenizer_save(t, "test_dpo_tok.bin", &e), TS_OK);
    ts_dpo_tokenizer *u = ts_dpo_tokenizer_load("test_dpo_tok.bin", &e);
    assert_non_null(u);
    assert_int_equal(u->vocab_size, t->vocab_size);
    assert_int_equal(u->eot, t->eot);
    assert_memory_equal(u->off, t->off, (size_t)(t->vocab_size + 1) * 4);
    assert_memory_equal(u->bytes, t->bytes, t->off[t->vocab_size]);
    ts_dpo_tokenizer_free(u);
    remove("test_dpo_tok.bin");
    ts_dpo_tokenizer_free(t);
}

static void test_tokenizer_llmc(void **state)
{
    (void)state;
    ts_err e;
    /* A hand-made version-1 file (no EOT field), 5 tokens:
     * "a", "b", "ab", " ab", "abc" */
    unsigned char buf[1024 + 64];
    memset(buf, 0, sizeof buf);
    int32_t *h = (int32_t *)buf;
    h[0] = 20240328;
    h[1] = 1;
    h[2] = 5;
    const char *toks[5] = {"a", "b", "ab", " ab", "abc"};
    size_t p = 1024;
    for (int i = 0; i < 5; i++) {
        size_t l = strlen(toks[i]);
        buf[p++] = (unsigned char)l;
        memcpy(buf + p, toks[i], l);
        p += l;
    }
    write_file("test_dpo_gpt2tok.bin", buf, p);
    ts_dpo_tokenizer *t = ts_dpo_tokenizer_load("test_dpo_gpt2tok.bin", &e);
    assert_non_null(t);
    assert_int_equal(t->eot, -1);
    int32_t ids[8];
    int n;
    /* longest match: "abc" | "ab" | "a" */
    assert_int_equal(ts_dpo_tokenizer_encode(t, "abcaba", ids, 8, &n, &e),
                     TS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 4);
    assert_int_equal(ids[1], 2);
    assert_int_equal(ids[2], 0);
    /* a space is not in this vocabulary unless followed by "ab" */
    assert_int_equal(ts_dpo_tokenizer_encode(t, " ab ", ids, 8, &n, &e),
                     TS_EINPUT);
    assert_non_null(strstr(e.msg, "0x20"));
    ts_dpo_tokenizer_free(t);
    /* version 2 with an EOT id */
    h[1] = 2;
    h[3] = 4;
    write_file("test_dpo_gpt2tok.bin", buf, p);
    t = ts_dpo_tokenizer_load("test_dpo_gpt2tok.bin", &e);
    assert_non_null(t);
    assert_int_equal(t->eot, 4);
    ts_dpo_tokenizer_free(t);
    /* truncated inside the token records */
    write_file("test_dpo_gpt2tok.bin", buf, p - 2);
    assert_null(ts_dpo_tokenizer_load("test_dpo_gpt2tok.bin", &e));
    assert_non_null(strstr(e.msg, "truncated"));
    /* wrong magic */
    h[0] = 20240326;
    write_file("test_dpo_gpt2tok.bin", buf, p);
    assert_null(ts_dpo_tokenizer_load("test_dpo_gpt2tok.bin", &e));
    assert_non_null(strstr(e.msg, "not a tokenizer file"));
    remove("test_dpo_gpt2tok.bin");
}

/* ----------------------------------------------------------------- CSV */

static void test_csv(void **state)
{
    (void)state;
    ts_err e;
    ts_dpo_tokenizer *t = ts_dpo_tokenizer_builtin(&e);
    const char *csv =
        "prompt,chosen,rejected,label\r\n"
        "\"Band 1, 2 and 3: -70 dB\", BUSY, IDLE,0.385\r\n"
        "\n"
        "\"She said \"\"idle\"\"\nthen busy\", IDLE, BUSY,1\n"
        "x,y,z,0";
    write_file("test_dpo.csv", csv, strlen(csv));
    ts_dpo_prefset *s = ts_dpo_prefset_alloc(&e);
    assert_int_equal(ts_dpo_prefset_read_csv(s, t, "test_dpo.csv", 0, &e),
                     TS_OK);
    assert_int_equal(s->n, 3);
    assert_true(s->label[0] == 0.385 && s->label[1] == 1 && s->label[2] == 0);
    /* records start on lines 2, 4 (after a blank line) and 6 (the quoted
     * field of record 2 spans two lines) */
    assert_int_equal(s->line[0], 2);
    assert_int_equal(s->line[1], 4);
    assert_int_equal(s->line[2], 6);
    /* the comma stayed inside the prompt; the doubled quote became one */
    int np;
    const int32_t *p = ts_dpo_pair_prompt(s, 1, &np);
    char txt[64] = "";
    size_t pos = 0;
    for (int i = 0; i < np; i++) {
        size_t l;
        const unsigned char *b = ts_dpo_tokenizer_decode(t, p[i], &l);
        memcpy(txt + pos, b, l);
        pos += l;
    }
    txt[pos] = 0;
    assert_string_equal(txt, "She said \"idle\"\nthen busy");
    p = ts_dpo_pair_prompt(s, 0, &np);
    (void)p;
    assert_int_equal(ts_dpo_prefset_max_len(s) >= np + 1, 1);
    ts_dpo_prefset_free(s);

    /* as a test set, 0.385 is refused */
    s = ts_dpo_prefset_alloc(&e);
    assert_int_equal(ts_dpo_prefset_read_csv(s, t, "test_dpo.csv", 1, &e),
                     TS_EINPUT);
    assert_string_equal(e.msg, "test_dpo.csv:2: test label 0.385 must be 1 "
                               "(chosen is correct) or 0 (rejected is)");
    ts_dpo_prefset_free(s);

    static const struct { const char *text, *msg; } bad[] = {
        {"", "test_dpo_bad.csv:1: empty file"},
        {"prompt,chosen,label\n", "test_dpo_bad.csv:1: the header must be"},
        {"prompt,chosen,rejected,label\n", "test_dpo_bad.csv:2: no preference"},
        {"prompt,chosen,rejected,label\na,b,c\n",
         "test_dpo_bad.csv:2: expected 4 fields"},
        {"prompt,chosen,rejected,label\na,b,c,d,e\n",
         "test_dpo_bad.csv:2: expected 4 fields"},
        {"prompt,chosen,rejected,label\na,b,c,0.5\n\"open,b,c,1\n",
         "test_dpo_bad.csv:3: unterminated quoted field"},
        {"prompt,chosen,rejected,label\na,b,c,high\n",
         "test_dpo_bad.csv:2: label 'high' is not a number"},
        {"prompt,chosen,rejected,label\na,b,c,1.5\n",
         "test_dpo_bad.csv:2: label 1.5 is outside [0, 1]"},
        {"prompt,chosen,rejected,label\na,b,c,nan\n",
         "test_dpo_bad.csv:2: label 'nan' is not a number"},
        {"prompt,chosen,rejected,label\na,,c,1\n",
         "test_dpo_bad.csv:2: empty chosen"},
        {"prompt,chosen,rejected,label\na b\"c,b,c,1\n",
         "test_dpo_bad.csv:2: quote inside an unquoted field"},
        {"prompt,chosen,rejected,label\n\"a\"x,b,c,1\n",
         "test_dpo_bad.csv:2: 'x' after a closing quote"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file("test_dpo_bad.csv", bad[i].text, strlen(bad[i].text));
        s = ts_dpo_prefset_alloc(&e);
        ts_err_clear(&e);
        assert_int_equal(ts_dpo_prefset_read_csv(s, t, "test_dpo_bad.csv", 0,
                                                 &e), TS_EINPUT);
        if (strncmp(e.msg, bad[i].msg, strlen(bad[i].msg)) != 0) {
            print_error("case %zu: got '%s', want '%s...'\n", i, e.msg,
                        bad[i].msg);
            fail();
        }
        ts_dpo_prefset_free(s);
    }
    s = ts_dpo_prefset_alloc(&e);
    assert_int_equal(ts_dpo_prefset_read_csv(s, t, "no/such.csv", 0, &e),
                     TS_ENOINPUT);
    ts_dpo_prefset_free(s);
    remove("test_dpo.csv");
    remove("test_dpo_bad.csv");
    ts_dpo_tokenizer_free(t);
}

/* ---------------------------------------------------------------- HDF5 */

static void test_h5(void **state)
{
    (void)state;
    ts_err e;
    ts_dpo_metrics m[2] = {{0.69, 0.01, -0.02, 0.625, 0.03},
                           {0.61, 0.05, -0.07, 0.875, 0.12}};
    ts_dpo_eval ev = {40, 0.85, 0.5, 0.375};
    ts_dpo_h5_attr at[2] = {{"beta", NULL, 0.01}, {"preset", "small", 0}};
    assert_int_equal(ts_dpo_write_h5("test_dpo.h5", m, 2, NULL, 0, &ev, at, 2,
                                     NULL, &e), TS_OK);
    hid_t f = H5Fopen("test_dpo.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    double x[2] = {NAN, NAN}, a = NAN;
    assert_true(H5LTread_dataset_double(f, "rewards_margin", x) >= 0);
    assert_true(x[0] == 0.03 && x[1] == 0.12);
    assert_true(H5LTread_dataset_double(f, "loss", x) >= 0);
    assert_true(x[0] == 0.69 && x[1] == 0.61);
    assert_true(H5LTget_attribute_double(f, "/", "win_rate", &a) >= 0);
    assert_true(a == 0.375);
    assert_true(H5LTget_attribute_double(f, "/", "test_accuracy", &a) >= 0);
    assert_true(a == 0.85);
    assert_true(H5LTget_attribute_double(f, "/", "beta", &a) >= 0);
    assert_true(a == 0.01);
    char s[16] = "";
    assert_true(H5LTget_attribute_string(f, "/", "preset", s) >= 0);
    assert_string_equal(s, "small");
    H5Fclose(f);
    remove("test_dpo.h5");
    /* an unwritable place leaves nothing behind */
    assert_int_equal(ts_dpo_write_h5("no/such/dir/x.h5", m, 2, NULL, 0, &ev,
                                     at, 2, NULL, &e), TS_ECREATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoint_roundtrip),
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_tokenizer_builtin),
        cmocka_unit_test(test_tokenizer_llmc),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_h5),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

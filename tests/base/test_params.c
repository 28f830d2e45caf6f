/* test_params.c -- src/base/params.c: parameter tables, ranges and messages.
 *
 * A made-up owner "widget" declares one parameter of each kind; every range
 * end (open, closed, infinite), the integer flag and vectors are provoked on
 * both sides, and each refusal's message is compared in full: it names the
 * owner, the parameter, the value and the range ("hedge: eta = -1 is
 * outside (0, inf)", STYLE §4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "base/params.h"

enum { P_CLOSED, P_LO_OPEN, P_HI_OPEN, P_POS, P_INT, P_VEC, P_N };

static const ts_param_spec spec[P_N] = {
    [P_CLOSED] = {"closed", 0.0, 1.0, 0, "in [0, 1]"},
    [P_LO_OPEN] = {"lo_open", 0.0, 1.0, TS_PARAM_LO_OPEN, "in (0, 1]"},
    [P_HI_OPEN] = {"hi_open", 0.25, 0.75, TS_PARAM_HI_OPEN, "in [0.25, 0.75)"},
    [P_POS] = {"pos", 0.0, INFINITY, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,
               "positive"},
    [P_INT] = {"count", 1.0, 10000.0, TS_PARAM_INT, "an integer"},
    [P_VEC] = {"bands", 0.0, 1.0, TS_PARAM_VEC, "a list"},
};

/* A valid setting of every parameter. */
static const double vec_ok[4] = {0.0, 0.1, 0.45, 1.0};
static void valid(ts_params *p)
{
    ts_params_init(p, P_N);
    p->v[P_CLOSED] = 0.5;
    p->v[P_LO_OPEN] = 0.5;
    p->v[P_HI_OPEN] = 0.5;
    p->v[P_POS] = 3.0;
    p->v[P_INT] = 20.0;
    p->vec[P_VEC] = vec_ok;
    p->len[P_VEC] = 4;
}

/* Check p with parameter k set to x; expect msg (NULL: accepted). */
static void expect(int k, double x, const char *msg)
{
    ts_params p;
    valid(&p);
    p.v[k] = x;
    p.set[k] = 1; /* the user's value: the message blames no default */
    ts_err e;
    ts_err_clear(&e);
    int rc = ts_params_check(&p, spec, P_N, "widget", &e);
    if (!msg) {
        if (rc != TS_OK)
            fail_msg("%s = %g refused: %s", spec[k].name, x, e.msg);
        return;
    }
    if (rc != TS_EINPUT)
        fail_msg("%s = %g accepted (rc %d), expected \"%s\"", spec[k].name, x,
                 rc, msg);
    assert_int_equal(e.code, TS_EINPUT);
    assert_string_equal(e.msg, msg);
}

static void init_and_set(void **unused)
{
    (void)unused;
    ts_params p;
    memset(&p, 0x5a, sizeof p);
    ts_params_init(&p, 3);
    assert_int_equal(p.n, 3);
    for (int k = 0; k < TS_MAX_PARAMS; k++) {
        assert_true(isnan(p.v[k]));
        assert_int_equal(p.set[k], 0);
        assert_int_equal(p.len[k], 0);
        assert_null(p.vec[k]);
    }
    assert_int_equal(ts_param_find(spec, P_N, "closed"), P_CLOSED);
    assert_int_equal(ts_param_find(spec, P_N, "bands"), P_VEC);
    assert_int_equal(ts_param_find(spec, P_N, "band"), -1);
    assert_int_equal(ts_param_find(spec, P_N, ""), -1);
    /* n limits the search: "bands" is entry 5. */
    assert_int_equal(ts_param_find(spec, 5, "bands"), -1);

    ts_err e;
    ts_err_clear(&e);
    ts_params_init(&p, P_N);
    assert_int_equal(ts_params_set(&p, spec, P_N, "pos", 0.385, &e), TS_OK);
    assert_true(p.v[P_POS] == 0.385);
    assert_int_equal(p.set[P_POS], 1);
    assert_int_equal(p.set[P_CLOSED], 0);
    assert_int_equal(ts_params_set(&p, spec, P_N, "eta", 1.0, &e), TS_EINPUT);
    assert_string_equal(e.msg, "unknown parameter 'eta'");
    assert_int_equal(e.code, TS_EINPUT);
    /* The failed set changed nothing. */
    for (int k = 0; k < P_N; k++)
        assert_int_equal(p.set[k], k == P_POS);
}

static void range_strings(void **unused)
{
    (void)unused;
    char buf[96];
    const struct { int k; const char *want; } c[] = {
        {P_CLOSED, "[0, 1]"}, {P_LO_OPEN, "(0, 1]"}, {P_HI_OPEN, "[0.25, 0.75)"},
        {P_POS, "(0, inf)"}, {P_INT, "[1, 10000]"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        memset(buf, 'X', sizeof buf);
        ts_param_range_str(&spec[c[i].k], buf, sizeof buf);
        assert_string_equal(buf, c[i].want);
    }
    ts_param_spec neg = {"x", -INFINITY, 3.0, 0, ""};
    ts_param_range_str(&neg, buf, sizeof buf);
    assert_string_equal(buf, "(-inf, 3]");
    /* Truncated to the buffer, still terminated. */
    ts_param_range_str(&spec[P_HI_OPEN], buf, 6);
    assert_string_equal(buf, "[0.25");
}

static void closed_and_open_ends(void **unused)
{
    (void)unused;
    expect(P_CLOSED, 0.0, NULL);
    expect(P_CLOSED, 1.0, NULL);
    expect(P_CLOSED, 0.385, NULL);
    expect(P_CLOSED, -1e-300, "widget: closed = -1e-300 is outside [0, 1]");
    expect(P_CLOSED, nextafter(1.0, 2.0),
           "widget: closed = 1 is outside [0, 1]"); /* %g rounds 1+2^-52 */
    expect(P_CLOSED, 1.5, "widget: closed = 1.5 is outside [0, 1]");

    expect(P_LO_OPEN, 0.0, "widget: lo_open = 0 is outside (0, 1]");
    expect(P_LO_OPEN, 4.9e-324, NULL); /* the smallest positive double */
    expect(P_LO_OPEN, 1.0, NULL);

    expect(P_HI_OPEN, 0.25, NULL);
    expect(P_HI_OPEN, 0.75, "widget: hi_open = 0.75 is outside [0.25, 0.75)");
    expect(P_HI_OPEN, nextafter(0.75, 0.0), NULL);
    expect(P_HI_OPEN, 0.2, "widget: hi_open = 0.2 is outside [0.25, 0.75)");

    expect(P_POS, 1e300, NULL);
    expect(P_POS, 0.0, "widget: pos = 0 is outside (0, inf)");
    expect(P_POS, -2.0, "widget: pos = -2 is outside (0, inf)");
    expect(P_POS, INFINITY, "widget: pos = inf is outside (0, inf)");
}

static void non_numbers_refused(void **unused)
{
    (void)unused;
    /* An unset parameter the owner did not default is NaN: refused, so a
     * missing default never runs silently. */
    expect(P_CLOSED, NAN, "widget: closed = nan is outside [0, 1]");
    expect(P_POS, -INFINITY, "widget: pos = -inf is outside (0, inf)");
    expect(P_INT, INFINITY, "widget: count = inf is outside [1, 10000] or not an integer");
}

static void integers(void **unused)
{
    (void)unused;
    expect(P_INT, 1.0, NULL);
    expect(P_INT, 10000.0, NULL);
    expect(P_INT, 2.5, "widget: count = 2.5 is outside [1, 10000] or not an integer");
    expect(P_INT, 0.0, "widget: count = 0 is outside [1, 10000] or not an integer");
    expect(P_INT, 10001.0, "widget: count = 10001 is outside [1, 10000] or not an integer");
    expect(P_INT, nextafter(7.0, 8.0),
           "widget: count = 7 is outside [1, 10000] or not an integer");
}

static void vectors(void **unused)
{
    (void)unused;
    ts_params p;
    ts_err e;
    const double bad_mid[5] = {0.1, 0.2, 0.3, 1.5, 0.4};
    const double bad_nan[2] = {NAN, 0.5};
    const double bad_neg[3] = {0.0, 1.0, -0.25};

    valid(&p);
    ts_err_clear(&e);
    assert_int_equal(ts_params_check(&p, spec, P_N, "widget", &e), TS_OK);

    p.vec[P_VEC] = bad_mid;
    p.len[P_VEC] = 5;
    assert_int_equal(ts_params_check(&p, spec, P_N, "widget", &e), TS_EINPUT);
    assert_string_equal(e.msg, "widget: bands[3] = 1.5 is outside [0, 1]");

    p.vec[P_VEC] = bad_nan;
    p.len[P_VEC] = 2;
    assert_int_equal(ts_params_check(&p, spec, P_N, "widget", &e), TS_EINPUT);
    assert_string_equal(e.msg, "widget: bands[0] = nan is outside [0, 1]");

    p.vec[P_VEC] = bad_neg;
    p.len[P_VEC] = 3;
    assert_int_equal(ts_params_check(&p, spec, P_N, "widget", &e), TS_EINPUT);
    assert_string_equal(e.msg, "widget: bands[2] = -0.25 is outside [0, 1]");

    /* Only len entries are read: the bad one past len is ignored. */
    p.vec[P_VEC] = bad_mid;
    p.len[P_VEC] = 3;
    ts_err_clear(&e);
    assert_int_equal(ts_params_check(&p, spec, P_N, "widget", &e), TS_OK);

    /* An empty (unset) vector is not checked entry by entry; the owner's
     * defaults and check() decide whether one is needed. */
    p.vec[P_VEC] = NULL;
    p.len[P_VEC] = 0;
    assert_int_equal(ts_params_check(&p, spec, P_N, "widget", &e), TS_OK);
    /* A vector's scalar slot (NaN) is never read. */
    assert_true(isnan(p.v[P_VEC]));
}

/* The first bad entry in spec order is reported; later ones are not
 * reached, and n limits the check. */
static void first_failure_and_n(void **unused)
{
    (void)unused;
    ts_params p;
    ts_err e;
    valid(&p);
    p.v[P_HI_OPEN] = 0.9;
    p.v[P_INT] = 0.5;
    p.set[P_HI_OPEN] = p.set[P_INT] = 1;
    ts_err_clear(&e);
    assert_int_equal(ts_params_check(&p, spec, P_N, "widget", &e), TS_EINPUT);
    assert_string_equal(e.msg, "widget: hi_open = 0.9 is outside [0.25, 0.75)");
    /* A value the user did not set is a default derived from the shape
     * (e.g. alpha at T = 1): the message says so, and what to do. */
    p.set[P_HI_OPEN] = 0;
    assert_int_equal(ts_params_check(&p, spec, P_N, "widget", &e), TS_EINPUT);
    assert_string_equal(e.msg, "widget: hi_open = 0.9 is outside [0.25, 0.75) "
                               "(the default for this N, m, T: set it explicitly)");
    p.set[P_HI_OPEN] = 1;
    assert_int_equal(ts_params_check(&p, spec, 2, "widget", &e), TS_OK);
    /* A NULL error record is allowed; the code is still returned. */
    assert_int_equal(ts_params_check(&p, spec, P_N, "widget", NULL), TS_EINPUT);
    /* An owner with no parameters. */
    ts_params_init(&p, 0);
    assert_int_equal(ts_params_check(&p, NULL, 0, "average", &e), TS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_and_set),
        cmocka_unit_test(range_strings),
        cmocka_unit_test(closed_and_open_ends),
        cmocka_unit_test(non_numbers_refused),
        cmocka_unit_test(integers),
        cmocka_unit_test(vectors),
        cmocka_unit_test(first_failure_and_n),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

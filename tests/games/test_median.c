/* test_median.c -- games/median.c (benchmark 3, lower median).
 *
 * Every expected value is read off by hand: sort the heard reports and
 * take 1-based index n/2 (n even) or (n+1)/2 (n odd), SPEC §2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mech_test.h"

/* One prompt, N workers, all heard: the label must be exactly `expect`
 * (the median picks a report, it computes nothing). */
static void check_median(int N, const double *r, double expect)
{
    mt_mech M;
    mt_open(&M, &ts_mech_median, N, 1, 10);
    mt_start(&M);
    const double pv[1] = {1};
    double A[1];
    ts_slot s = mt_slot(0, N, 1, r, N, NULL);
    assert_int_equal(mt_step(&M, &s, pv, A), TS_OK);
    if (A[0] != expect)
        fail_msg("N = %d: median %.17g, expected %.17g", N, A[0], expect);
    mt_close(&M);
}

static void sizes_2_3_4_5(void **unused)
{
    (void)unused;
    /* N = 2: index 1 of (0.385, 0.7): the smaller. */
    check_median(2, (const double[]){0.7, 0.385}, 0.385);
    /* N = 3: index 2 of (0.385, 0.61, 0.82). */
    check_median(3, (const double[]){0.82, 0.385, 0.61}, 0.61);
    /* N = 4: index 2 of (0.385, 0.52, 0.7, 0.9): the lower middle one. */
    check_median(4, (const double[]){0.9, 0.385, 0.7, 0.52}, 0.52);
    /* N = 5: index 3 of (0.115, 0.385, 0.45, 0.7, 0.96). */
    check_median(5, (const double[]){0.96, 0.45, 0.115, 0.7, 0.385}, 0.45);
}

static void ties(void **unused)
{
    (void)unused;
    /* N = 2 equal: (0.385, 0.385) -> 0.385. */
    check_median(2, (const double[]){0.385, 0.385}, 0.385);
    /* N = 3: (0.385, 0.385, 0.9) -> index 2 = 0.385. */
    check_median(3, (const double[]){0.9, 0.385, 0.385}, 0.385);
    /* N = 4: (0.385, 0.5, 0.5, 0.5) -> index 2 = 0.5. */
    check_median(4, (const double[]){0.5, 0.385, 0.5, 0.5}, 0.5);
    /* N = 4: (0.2, 0.2, 0.7, 0.7) -> index 2 = 0.2 (lower, not the mean). */
    check_median(4, (const double[]){0.7, 0.2, 0.7, 0.2}, 0.2);
    /* N = 5: (0.2, 0.2, 0.45, 0.7, 0.7) -> index 3 = 0.45. */
    check_median(5, (const double[]){0.7, 0.2, 0.7, 0.2, 0.45}, 0.45);
}

/* Several prompts are independent columns; a subset (sel = {1, 3, 4} of
 * N = 5) uses only its rows; weights stay 1 (log 0) whatever happens. */
static void columns_subset_and_weights(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, &ts_mech_median, 5, 3, 10);
    mt_start(&M);
    /* rows: workers 1, 3, 4; columns: prompts 0..2 */
    const double r[9] = {0.61, 0.145, 0.9,
                         0.385, 0.73, 0.9,
                         0.82, 0.455, 0.1};
    const int sel[3] = {1, 3, 4};
    const double pv[3] = {1, 0, 1};
    double A[3], lw[5];
    ts_slot s = mt_slot(0, 5, 3, r, 3, sel);
    mt_step(&M, &s, pv, A);
    assert_true(A[0] == 0.61);  /* (0.385, 0.61, 0.82)  */
    assert_true(A[1] == 0.455); /* (0.145, 0.455, 0.73) */
    assert_true(A[2] == 0.9);   /* (0.1, 0.9, 0.9)      */
    M.t->log_weights(M.st, lw);
    for (int i = 0; i < 5; i++)
        assert_true(lw[i] == 0.0);
    mt_close(&M);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes_2_3_4_5),
        cmocka_unit_test(ties),
        cmocka_unit_test(columns_subset_and_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_median.c -- games/median.c (benchmark 3, lower median).
 *
 * Every expected value is read off by hand: sort the heard reports and
 * take 1-based index n/2 (n even) or (n+1)/2 (n odd), SPEC §2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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

/* Limited feedback (SPEC §2, second table): k = 3 of N = 5 heard, sel =
 * {0, 2, 4}; each label is the lower median of the three heard reports,
 * read off by hand (index 2 of 3 sorted).  Workers 1 and 3 are not in the
 * slot at all.  Weights stay 1; theta is NULL (the engine draws a uniform
 * subset) and n_heard is k. */
static void limited_k3_of_5(void **unused)
{
    (void)unused;
    mt_mech M;
    mt_open(&M, &ts_mech_median_limited, 5, 2, 10);
    mt_set(&M, "k", 3);
    mt_start(&M);
    assert_null(M.t->theta);
    assert_int_equal(M.t->n_heard(&M.g, &M.p), 3);
    const int sel[3] = {0, 2, 4};
    /* rows: workers 0, 2, 4 */
    const double r[6] = {0.73, 0.145,
                         0.385, 0.82,
                         0.61, 0.455};
    const double pv[2] = {1, 0};
    double A[2], lw[5];
    ts_slot s = mt_slot(0, 5, 2, r, 3, sel);
    mt_step(&M, &s, pv, A);
    assert_true(A[0] == 0.61);  /* (0.385, 0.61, 0.73)  */
    assert_true(A[1] == 0.455); /* (0.145, 0.455, 0.82) */
    M.t->log_weights(M.st, lw);
    for (int i = 0; i < 5; i++)
        assert_true(lw[i] == 0.0);
    /* A different subset, k = 3 again: {1, 2, 3}. */
    const int sel2[3] = {1, 2, 3};
    const double r2[6] = {0.2, 0.9, 0.2, 0.315, 0.95, 0.6};
    s = mt_slot(1, 5, 2, r2, 3, sel2);
    mt_step(&M, &s, pv, A);
    assert_true(A[0] == 0.2);  /* (0.2, 0.2, 0.95) */
    assert_true(A[1] == 0.6);  /* (0.315, 0.6, 0.9) */
    mt_close(&M);
}

/* k defaults to min(10, N) (Fig. 9: 10 of 50) and must not exceed N;
 * the refusal names both numbers. */
static void limited_k_default_and_bound(void **unused)
{
    (void)unused;
    static const struct {
        int N;
        double k;
    } dflt[] = {{2, 2}, {5, 5}, {10, 10}, {11, 10}, {50, 10}};
    for (size_t c = 0; c < sizeof dflt / sizeof dflt[0]; c++) {
        mt_mech M;
        mt_open(&M, &ts_mech_median_limited, dflt[c].N, 1, 10);
        mt_start(&M);
        assert_true(M.p.v[0] == dflt[c].k);
        assert_int_equal(M.t->n_heard(&M.g, &M.p), (int)dflt[c].k);
        mt_close(&M);
    }
    ts_err e;
    mt_mech M;
    mt_open(&M, &ts_mech_median_limited, 10, 1, 10);
    mt_set(&M, "k", 12);
    assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
    assert_string_equal(e.msg, "median: k = 12 exceeds N = 10 workers");
    void *st = calloc(1, M.t->state_size(&M.g));
    assert_int_equal(M.t->init(st, &M.g, &M.p, &e), TS_EINPUT);
    free(st);
    static const double bad[] = {0, 2.5, -1, NAN, INFINITY};
    for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++) {
        mt_open(&M, &ts_mech_median_limited, 10, 1, 10);
        mt_set(&M, "k", bad[c]);
        assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
        assert_non_null(strstr(e.msg, "k = "));
        st = calloc(1, M.t->state_size(&M.g));
        assert_int_equal(M.t->init(st, &M.g, &M.p, &e), TS_EINPUT);
        free(st);
    }
    mt_open(&M, &ts_mech_median_limited, 10, 1, 10);
    mt_set(&M, "k", 10); /* k = N is allowed */
    assert_int_equal(mt_try_start(&M, &e), TS_OK);
    mt_close(&M);
}

/* Both methods (the sorting network up to 256 rows, quickselect above)
 * against qsort, on every n from 1 to 300 and m from 1 to 19 (every lane
 * count of the last block), with ties and a coarse grid of values so that
 * most columns hold repeats; the label is the sorted column's value at
 * 0-based index (n-1)/2 exactly.  The same state serves several n in turn
 * (the network is rebuilt when n_heard changes). */
static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void network_and_select_equal_sorting(void **unused)
{
    (void)unused;
    enum { NMAX = 300, MMAX = 19 };
    static double r[NMAX * MMAX], col[NMAX];
    double A[MMAX];
    uint64_t z = 0x385;
    for (int n = 1; n <= NMAX; n += n < 70 ? 1 : 23) {
        const int m = 1 + n % MMAX;
        const int grid = n % 3 == 0 ? 7 : 1000; /* few values: many ties */
        for (int k = 0; k < n * m; k++) {
            z = z * 6364136223846793005ull + 1442695040888963407ull;
            r[k] = (double)((z >> 33) % (uint64_t)(grid + 1)) / grid;
        }
        mt_mech M;
        mt_open(&M, &ts_mech_median, n, m, 10);
        mt_start(&M);
        ts_slot s = mt_slot(0, n, m, r, n, NULL);
        assert_int_equal(ts_mech_median.aggregate(M.st, &s, A, NULL), TS_OK);
        for (int j = 0; j < m; j++) {
            for (int h = 0; h < n; h++)
                col[h] = r[h * m + j];
            qsort(col, (size_t)n, sizeof *col, cmp_double);
            if (A[j] != col[(n - 1) / 2])
                fail_msg("n = %d, m = %d, prompt %d: median %.17g, sorted %.17g",
                         n, m, j, A[j], col[(n - 1) / 2]);
        }
        /* A subset of the same state's workers: n_heard changes. */
        if (n >= 3) {
            int sel[3] = {0, n / 2, n - 1};
            double rh[3 * MMAX];
            for (int h = 0; h < 3; h++)
                for (int j = 0; j < m; j++)
                    rh[h * m + j] = r[sel[h] * m + j];
            ts_slot s3 = mt_slot(1, n, m, rh, 3, sel);
            assert_int_equal(ts_mech_median.aggregate(M.st, &s3, A, NULL), TS_OK);
            for (int j = 0; j < m; j++) {
                double c3[3] = {rh[j], rh[m + j], rh[2 * m + j]};
                qsort(c3, 3, sizeof *c3, cmp_double);
                assert_true(A[j] == c3[1]);
            }
        }
        mt_close(&M);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes_2_3_4_5),
        cmocka_unit_test(ties),
        cmocka_unit_test(columns_subset_and_weights),
        cmocka_unit_test(limited_k3_of_5),
        cmocka_unit_test(limited_k_default_and_bound),
        cmocka_unit_test(network_and_select_equal_sorting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

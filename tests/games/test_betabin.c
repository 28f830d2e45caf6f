/* test_betabin.c -- games/betabin.c, benchmark 6 (SPEC §2).
 *
 * Known answers come from tests/games/ref_mechanisms.py ("betabin a0=1
 * b0=1", "betabin a0=2.5 b0=0.75", "betabin limited a0=1 b0=1"), an
 * independent script that writes SPEC §2's rules literally (a^ = a/(a+b),
 * logit a^ = log(a^/(1 - a^)); betabin.c forms log a - log b).  The
 * incentive and long-run cases are worked by hand below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mech_test.h"

static const ts_mechanism_type *const BF = &ts_mech_betabin;
static const ts_mechanism_type *const BL = &ts_mech_betabin_limited;

static const double R[3][6] = {
    {0.385, 0.82, 0.71, 0.23, 0.64, 0.455},
    {0.91, 0.27, 0.335, 0.6, 0.58, 0.145},
    {0.27, 0.545, 0.865, 0.12, 0.43, 0.775},
};
static const double PV[3][2] = {{1, 0}, {0, 1}, {1, 1}};
static const int PICKS[3] = {2, 0, 2};

/* ref_mechanisms.py.  By hand for slot 0 with a = b = 1: every logit a^ is
 * 0, so both labels are sigma(0) = 1/2; worker 0's absolute errors are
 * 0.615 and 0.82, so a_0 = 1 + 0.385 + 0.18 = 1.565, b_0 = 1 + 1.435 =
 * 2.435, a^_0 = 0.39125, log a^_0 = -0.93840853712777... */
static void known_answer_full(void **unused)
{
    (void)unused;
    static const struct {
        double a0, b0;
        double A[2][2];
        double lw[2][3];
    } c[] = {
        {1, 1,
         {{0.5, 0.5}, {0.37886793857221568, 0.54228156077946077}},
         {{-0.93840853712777417, -0.4780358009429998, -0.60467853257233717},
          {-1.1368335014883075, -0.47133785225887226,
           -0.78015855754957508}}},
        {2.5, 0.75,
         {{0.63780901144431001, 0.50300989565260446},
          {0.50939593289228491, 0.36929120429066092}},
         {{-0.53818050721535771, -0.27694625730718608,
           -0.35395755096223241},
          {-0.74989999715239475, -0.32372622701832293,
           -0.53408248593025798}}},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        mt_mech M;
        mt_open(&M, BF, 3, 2, 100);
        mt_set(&M, "a0", c[k].a0);
        mt_set(&M, "b0", c[k].b0);
        mt_start(&M);
        double A[2], lw[3];
        for (int t = 0; t < 2; t++) {
            ts_slot s = mt_slot(t, 3, 2, R[t], 3, NULL);
            assert_int_equal(mt_step(&M, &s, PV[t], A), TS_OK);
            for (int j = 0; j < 2; j++)
                MT_CLOSE(A[j], c[k].A[t][j], 1e-15);
            M.t->log_weights(M.st, lw);
            for (int i = 0; i < 3; i++)
                MT_CLOSE(lw[i], c[k].lw[t][i], 1e-15);
        }
        mt_close(&M);
    }
}

/* ref_mechanisms.py "betabin limited a0=1 b0=1 picks [2, 0, 2]":
 * theta_i = a^_i / sum a^, the label the heard report, only he counts. */
static void known_answer_limited(void **unused)
{
    (void)unused;
    static const double th_want[4][3] = {
        {1.0 / 3, 1.0 / 3, 1.0 / 3},
        {0.32336297493936944, 0.32336297493936944, 0.35327405012126112},
        {0.24526600541027951, 0.36068530207394051, 0.39404869251578001},
        {0.24199288256227755, 0.35587188612099646, 0.40213523131672602},
    };
    static const double lw_want[3][3] = {
        {-0.69314718055994529, -0.69314718055994529, -0.60467853257233717},
        {-1.07880966137193, -0.69314718055994529, -0.60467853257233717},
        {-1.07880966137193, -0.69314718055994529, -0.57092954783569605},
    };
    mt_mech M;
    mt_open(&M, BL, 3, 2, 100);
    mt_start(&M);
    double th[3], A[2], lw[3];
    for (int t = 0; t < 3; t++) {
        th[0] = th[1] = th[2] = NAN;
        M.t->theta(M.st, th);
        for (int i = 0; i < 3; i++)
            MT_CLOSE(th[i], th_want[t][i], 1e-15);
        const int i = PICKS[t];
        ts_slot s = mt_slot(t, 3, 2, &R[t][2 * i], 1, &i);
        assert_int_equal(mt_step(&M, &s, PV[t], A), TS_OK);
        assert_true(A[0] == R[t][2 * i] && A[1] == R[t][2 * i + 1]);
        M.t->log_weights(M.st, lw);
        for (int k = 0; k < 3; k++)
            MT_CLOSE(lw[k], lw_want[t][k], 1e-15);
    }
    M.t->theta(M.st, th);
    for (int i = 0; i < 3; i++)
        MT_CLOSE(th[i], th_want[3][i], 1e-15);
    mt_close(&M);
}

/* Not truthful: the counts score the absolute error, whose expectation
 * q r + (1 - q)(1 - r) is linear in r.  m = 1, N = 3, worker 0 with
 * q = 0.8: E[a^_0'] over a grid of reports (the mechanism's own update on
 * clones) is largest at r = 1, and by hand E at r = 1 is (1 + 0.8) / 3 =
 * 0.6 against E at r = q: (1 + 0.8 * 0.8 + 0.2 * 0.2) / 3 = 0.56. */
static void not_truthful(void **unused)
{
    (void)unused;
    enum { GRID = 1000 };
    mt_mech M;
    mt_open(&M, BF, 3, 1, 100);
    mt_start(&M);
    const size_t size = M.t->state_size(&M.g);
    void *clone = malloc(size);
    assert_non_null(clone);
    const double q = 0.8;
    double best = -INFINITY, Eq = NAN;
    int kbest = -1;
    for (int k = 0; k <= GRID; k++) {
        double r[3] = {k / (double)GRID, 0.385, 0.62}, E = 0.0, lw[3];
        for (int p = 0; p < 2; p++) {
            memcpy(clone, M.st, size);
            ts_slot s = mt_slot(0, 3, 1, r, 3, NULL);
            const double pv[1] = {(double)p};
            ts_err e;
            if (M.t->update(clone, &s, pv, &e))
                fail_msg("update: %s", e.msg);
            M.t->log_weights(clone, lw);
            E += (p ? q : 1 - q) * exp(lw[0]);
        }
        if (E > best) {
            best = E;
            kbest = k;
        }
        if (k == 800)
            Eq = E;
    }
    assert_int_equal(kbest, GRID);
    MT_CLOSE(best, 0.6, 1e-15);
    MT_CLOSE(Eq, 0.56, 1e-15);
    free(clone);
    mt_close(&M);
}

/* T = 10^6, N = 3, m = 1, reports 0.9, 0.6, 0.3 on p = 1: a_i = 1 + r_i T,
 * b_i = 1 + (1 - r_i) T up to the rounding of 10^6 additions (1e-11
 * relative seen; 1e-9 is generous), so log a^_i = log((1 + r_i T) /
 * (2 + T)); everything finite, the label in (0, 1).  Limited feedback
 * runs the same horizon with mt_draw (n_i = the slots worker i was heard). */
static void long_run(void **unused)
{
    (void)unused;
    const long T = 1000000;
    const double r[3] = {0.9, 0.6, 0.3}, pv[1] = {1};
    for (int lim = 0; lim < 2; lim++) {
        mt_mech M;
        mt_open(&M, lim ? BL : BF, 3, 1, T);
        mt_start(&M);
        double A[1], lw[3], th[3];
        long heard[3] = {0, 0, 0};
        ts_err e;
        for (long t = 0; t < T; t++) {
            int i = 0;
            ts_slot s = mt_slot(t, 3, 1, r, 3, NULL);
            if (lim) {
                M.t->theta(M.st, th);
                i = mt_draw(th, 3, mt_u(t));
                s = mt_slot(t, 3, 1, &r[i], 1, &i);
                heard[i]++;
            }
            if (M.t->aggregate(M.st, &s, A, &e) ||
                M.t->update(M.st, &s, pv, &e))
                fail_msg("slot %ld: %s", t, e.msg);
        }
        M.t->log_weights(M.st, lw);
        for (int i = 0; i < 3; i++) {
            const double n = lim ? (double)heard[i] : (double)T;
            MT_CLOSE(lw[i], log((1 + r[i] * n) / (2 + n)), 1e-9);
        }
        if (!lim) {
            ts_slot s = mt_slot(T, 3, 1, r, 3, NULL);
            assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_OK);
            /* sum (2r - 1) logit a^ = 0.8 logit 0.9 + 0.2 logit 0.6 - 0.4
             * logit 0.3 (a^ -> r) */
            const double x = 0.8 * log(9.0) + 0.2 * log(1.5) - 0.4 * log(3.0 / 7);
            MT_CLOSE(A[0], 1 / (1 + exp(-x)), 1e-6);
        } else {
            M.t->theta(M.st, th);
            MT_CLOSE(th[0] + th[1] + th[2], 1.0, 1e-15);
            assert_true(th[0] > th[1] && th[1] > th[2]);
        }
        mt_close(&M);
    }
}

/* Refuse, never clamp: prior counts outside (0, inf), reports outside
 * [0,1] (aggregate and update; no count changes), a verified state other
 * than 0 or 1, a limited slot that hears two. */
static void refusals(void **unused)
{
    (void)unused;
    ts_err e;
    mt_mech M;
    static const struct {
        const char *name;
        double v;
    } bad[] = {{"a0", 0.0}, {"a0", -1.0},      {"a0", NAN},
               {"b0", 0.0}, {"b0", INFINITY}, {"b0", NAN}};
    for (int lim = 0; lim < 2; lim++)
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            mt_open(&M, lim ? BL : BF, 3, 2, 100);
            mt_set(&M, bad[k].name, bad[k].v);
            assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
            assert_non_null(strstr(e.msg, bad[k].name));
            void *st = calloc(1, M.t->state_size(&M.g));
            assert_int_equal(M.t->init(st, &M.g, &M.p, &e), TS_EINPUT);
            assert_non_null(strstr(e.msg, bad[k].name));
            free(st);
        }
    for (int lim = 0; lim < 2; lim++) {
        mt_open(&M, lim ? BL : BF, 3, 2, 100);
        mt_start(&M);
        const double r[6] = {0.385, 0.6, 0.5, 0.455, NAN, 0.5};
        const double pv[2] = {1, 0}, pvbad[2] = {1, 0.5};
        double A[2], lw[3];
        const int two = 2, pair[2] = {0, 1};
        ts_slot s = lim ? mt_slot(0, 3, 2, &r[4], 1, &two)
                        : mt_slot(0, 3, 2, r, 3, NULL);
        assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_EINVAL);
        assert_non_null(strstr(e.msg, "outside [0,1]"));
        assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL);
        s = lim ? mt_slot(0, 3, 2, r, 1, &two) : mt_slot(0, 3, 2, r, 3, NULL);
        assert_int_equal(M.t->update(M.st, &s, pvbad, &e), TS_EINVAL);
        if (lim) {
            s = mt_slot(0, 3, 2, r, 2, pair);
            assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_EINVAL);
            assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL);
        }
        M.t->log_weights(M.st, lw);
        for (int i = 0; i < 3; i++)
            MT_CLOSE(lw[i], log(0.5), 1e-15);
        assert_null(M.t->set_log_weights);
        mt_close(&M);
    }
    assert_ptr_equal(ts_mechanism_find("betabin", TS_FULL, &e), BF);
    assert_ptr_equal(ts_mechanism_find("betabin", TS_LIMITED, &e), BL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answer_full),
        cmocka_unit_test(known_answer_limited),
        cmocka_unit_test(not_truthful),
        cmocka_unit_test(long_run),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

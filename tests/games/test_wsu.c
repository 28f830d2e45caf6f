/* test_wsu.c -- games/wsu.c: WSU (full feedback) and WSU-UX (limited
 * feedback), Freeman et al., ICML 2020; SPEC §2.
 *
 * Known answers come from tests/games/ref_mechanisms.py ("wsu eta=0.3",
 * "wsu limited eta=0.05 beta=0.4", "defaults"), an independent script that
 * applies SPEC §2's update literally to linear shares pi in Python floats;
 * wsu.c keeps log pi, renormalises every slot and writes WSU-UX's factors in
 * rearranged form, so agreement is also the "log domain = plain product"
 * check of SPEC §1.  The long runs compare against a linear recursion in
 * long double (x87 extended: it holds e^-11000, so it does not underflow
 * where double would), the same check at 10^6 slots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>

#include "mech_test.h"

static const ts_mechanism_type *const WF = &ts_mech_wsu;
static const ts_mechanism_type *const WL = &ts_mech_wsu_limited;

/* ref_mechanisms.py: N = 3, m = 2, three slots (rows are workers). */
static const double R[3][6] = {
    {0.385, 0.82, 0.71, 0.23, 0.64, 0.455},
    {0.91, 0.27, 0.335, 0.6, 0.58, 0.145},
    {0.27, 0.545, 0.865, 0.12, 0.43, 0.775},
};
static const double PV[3][2] = {{1, 0}, {0, 1}, {1, 1}};
static const int PICKS[3] = {2, 0, 2};

/* Whether long double holds e^-9600 here, at run time: the x87 format
 * does (LDBL_MIN_EXP = -16381), but valgrind emulates it with doubles, so
 * the long-run comparisons with the linear recursion are skipped there. */
static int long_double_has_range(void)
{
    volatile long double x = 1e-300L;
    x *= 1e-300L;
    x *= 1e-300L;
    x *= 1e-300L * 1e-300L; /* 1e-1500 */
    return LDBL_MIN_EXP < -14000 && x > 0;
}

static double sum_exp(const double *lw, int N)
{
    double s = 0.0;
    for (int i = 0; i < N; i++)
        s += exp(lw[i]);
    return s;
}

/* ref_mechanisms.py "wsu eta=0.3".  By hand for slot 0: pi = 1/3 each, so
 * the labels are plain means 0.578333..., 0.501666...; l = 0.5253125,
 * 0.0685, 0.1683125 (Lbar = 0.2540416...), so pi_0 = (1/3)(1 - 0.3
 * (0.5253125 - 0.2540416...)) = 0.30620625, log = -1.18349638... */
static void known_answer_full(void **unused)
{
    (void)unused;
    static const double A_want[2][2] = {
        {0.57833333333333337, 0.50166666666666671},
        {0.59483562500000009, 0.34338459375000002},
    };
    static const double lw_want[2][3] = {
        {-1.1834963844711111, -1.0444437567404583, -1.0732187023050739},
        {-1.2587860564284974, -0.95754060446172895, -1.1021213548640518},
    };
    mt_mech M;
    mt_open(&M, WF, 3, 2, 100);
    mt_set(&M, "eta", 0.3);
    mt_start(&M);
    double A[2], lw[3];
    M.t->log_weights(M.st, lw);
    for (int i = 0; i < 3; i++)
        MT_CLOSE(lw[i], -log(3.0), 1e-15);
    for (int t = 0; t < 2; t++) {
        ts_slot s = mt_slot(t, 3, 2, R[t], 3, NULL);
        assert_int_equal(mt_step(&M, &s, PV[t], A), TS_OK);
        for (int j = 0; j < 2; j++)
            MT_CLOSE(A[j], A_want[t][j], 1e-15);
        M.t->log_weights(M.st, lw);
        for (int i = 0; i < 3; i++)
            MT_CLOSE(lw[i], lw_want[t][i], 1e-14);
        MT_CLOSE(sum_exp(lw, 3), 1.0, 1e-15); /* sum pi stays 1 */
    }
    mt_close(&M);
}

/* ref_mechanisms.py "wsu limited eta=0.05 beta=0.4 picks [2, 0, 2]".  By
 * hand for slot 0: theta = 1/3 each, l_2 = 0.1683125, lh_2 = 0.5049375;
 * pi_2 = (1/3)(1 - 0.05 * 0.5049375 * 2/3) = 0.32772291..., and the
 * others gain: (1/3)(1 + 0.05 * (1/3) * 0.5049375) = 0.33613854...
 * Unlike exp3, workers not heard are reweighed too (Lbar moves). */
static void known_answer_limited(void **unused)
{
    (void)unused;
    static const double th_want[4][3] = {
        {0.33333333333333331, 0.33333333333333331, 0.33333333333333331},
        {0.33501645833333332, 0.33501645833333332, 0.3299670833333333},
        {0.32141833398312303, 0.34190171071710196, 0.33667995529977501},
        {0.32319580070036141, 0.34387275225570041, 0.33293144704393818},
    };
    static const double lw_want[3][3] = {
        {-1.0902318776132096, -1.0902318776132096, -1.1155867938742507},
        {-1.1600356634507691, -1.0566627186580135, -1.0820176349190547},
        {-1.1506297011288922, -1.0472567563361366, -1.1006237417311087},
    };
    mt_mech M;
    mt_open(&M, WL, 3, 2, 100);
    mt_set(&M, "eta", 0.05);
    mt_set(&M, "beta", 0.4);
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
            MT_CLOSE(lw[k], lw_want[t][k], 1e-14);
        MT_CLOSE(sum_exp(lw, 3), 1.0, 1e-15);
    }
    M.t->theta(M.st, th);
    for (int i = 0; i < 3; i++)
        MT_CLOSE(th[i], th_want[3][i], 1e-15);
    /* theta = (1 - beta) pi + beta/N: the share pi is theta without the
     * floor (SPEC §2) */
    double sh[3];
    mt_shares(3, lw, sh);
    for (int i = 0; i < 3; i++)
        MT_CLOSE(th[i], 0.6 * sh[i] + 0.4 / 3, 1e-15);
    mt_close(&M);
}

/* SPEC §2 defaults; ref_mechanisms.py "defaults".  beta = sqrt(eta N)
 * follows the eta in use, the user's when set. */
static void defaults(void **unused)
{
    (void)unused;
    static const struct {
        int N;
        long T;
        double eta_full, eta, beta;
    } c[] = {
        {3, 100, 0.1048147073968205, 0.013598235428667328,
         0.20197699444739242},
        {50, 2500, 0.039557669321779544, 0.0014519252743242354,
         0.26943693829208304},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        mt_mech M;
        mt_open(&M, WF, c[k].N, 1, c[k].T);
        mt_start(&M);
        MT_CLOSE(M.p.v[0], c[k].eta_full, 1e-17);
        mt_close(&M);
        mt_open(&M, WL, c[k].N, 1, c[k].T);
        mt_start(&M);
        MT_CLOSE(M.p.v[0], c[k].eta, 1e-17);
        MT_CLOSE(M.p.v[1], c[k].beta, 1e-16);
        assert_int_equal(M.t->n_heard(&M.g, &M.p), 1);
        mt_close(&M);
    }
    mt_mech M;
    mt_open(&M, WL, 3, 1, 100);
    mt_set(&M, "eta", 0.01);
    mt_start(&M);
    MT_CLOSE(M.p.v[1], sqrt(0.03), 1e-16);
    mt_close(&M);
}

/* WSU-UX needs eta N / beta < 1 (wsu.c: the heard worker's factor with
 * loss 1 tends to 1 - eta N / beta as pi_I -> 0).  N = 3, eta = 0.1,
 * beta = 0.2 gives 1.5; N = 4, eta = 0.125, beta = 0.5 gives exactly 1
 * (refused); eta = 0.124 there gives 0.992 (accepted).  With the defaults
 * eta N / beta = beta, so a default beta above 1 (T < N ln N / 4: N = 50,
 * T = 40) is refused, naming the rule. */
static void precondition(void **unused)
{
    (void)unused;
    ts_err e;
    mt_mech M;
    mt_open(&M, WL, 3, 2, 100);
    mt_set(&M, "eta", 0.1);
    mt_set(&M, "beta", 0.2);
    assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
    if (!strstr(e.msg, "wsu: eta N / beta = 1.5 must be below 1") ||
        !strstr(e.msg, "pi could turn negative"))
        fail_msg("message: %s", e.msg);
    void *st = calloc(1, M.t->state_size(&M.g));
    assert_int_equal(M.t->init(st, &M.g, &M.p, &e), TS_EINPUT);
    free(st);

    mt_open(&M, WL, 4, 2, 100);
    mt_set(&M, "eta", 0.125);
    mt_set(&M, "beta", 0.5);
    assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "eta N / beta = 1 must be below 1"));
    mt_open(&M, WL, 4, 2, 100);
    mt_set(&M, "eta", 0.124);
    mt_set(&M, "beta", 0.5);
    assert_int_equal(mt_try_start(&M, &e), TS_OK);
    /* the worst case the check guards: pi_I tiny, loss 1 -- the factor
     * 1 - eta lh_I (1 - pi_I) stays positive */
    const double lw_set[4] = {-700, 0, 0, 0};
    assert_int_equal(M.t->set_log_weights(M.st, lw_set, &e), TS_OK);
    const int i = 0;
    const double r[2] = {0, 0}, pv[2] = {1, 1};
    double A[2], lw[4];
    ts_slot s = mt_slot(0, 4, 2, r, 1, &i);
    assert_int_equal(mt_step(&M, &s, pv, A), TS_OK);
    M.t->log_weights(M.st, lw);
    assert_true(isfinite(lw[0]) && lw[0] < -700 - 4.0); /* log(1 - 0.992) */
    mt_close(&M);

    mt_open(&M, WL, 50, 2, 40);
    M.t->defaults(&M.g, &M.p);
    assert_true(M.p.v[1] > 1.0);
    assert_int_equal(M.t->check(&M.g, &M.p, &e), TS_EINPUT);
    if (!strstr(e.msg, "default beta") || !strstr(e.msg, "N ln N / 4"))
        fail_msg("message: %s", e.msg);
}

/* Truthful for the share utility (Freeman et al.): worker 0's expected
 * next share E[pi_0'] is maximised at r = q.  m = 1, N = 3, after one slot
 * (so pi is not uniform), beliefs q = 0.385 and 0.8; a grid of step 1e-4
 * over the mechanism's own update on clones.  Under WSU-UX only the draw
 * that hears worker 0 depends on his report, so that term is maximised. */
static void truthful_for_shares(void **unused)
{
    (void)unused;
    enum { N = 3, GRID = 10000 };
    for (int lim = 0; lim < 2; lim++) {
        mt_mech M;
        mt_open(&M, lim ? WL : WF, N, 1, 100);
        mt_set(&M, "eta", lim ? 0.05 : 0.3);
        if (lim)
            mt_set(&M, "beta", 0.4);
        mt_start(&M);
        const double r0[3] = {0.71, 0.23, 0.455}, pv0[1] = {1};
        double A[3];
        const int one = 1;
        ts_slot s0 = lim ? mt_slot(0, N, 1, &r0[1], 1, &one)
                         : mt_slot(0, N, 1, r0, N, NULL);
        mt_step(&M, &s0, pv0, A);
        const size_t size = M.t->state_size(&M.g);
        void *clone = malloc(size);
        assert_non_null(clone);
        const double qs[2] = {0.385, 0.8};
        for (int c = 0; c < 2; c++) {
            double best = -INFINITY;
            int kbest = -1;
            for (int k = 0; k <= GRID; k++) {
                double r[3] = {k / (double)GRID, 0.62, 0.145}, E = 0.0;
                for (int p = 0; p < 2; p++) {
                    memcpy(clone, M.st, size);
                    const int zero = 0;
                    ts_slot s = lim ? mt_slot(1, N, 1, r, 1, &zero)
                                    : mt_slot(1, N, 1, r, N, NULL);
                    const double pv[1] = {(double)p};
                    ts_err e;
                    if (M.t->update(clone, &s, pv, &e))
                        fail_msg("update: %s", e.msg);
                    double lw[3];
                    M.t->log_weights(clone, lw);
                    E += (p ? qs[c] : 1 - qs[c]) * exp(lw[0]);
                }
                if (E > best) {
                    best = E;
                    kbest = k;
                }
            }
            if (!(fabs(kbest / (double)GRID - qs[c]) <= 1.0 / GRID))
                fail_msg("%s q = %g: best report %g", lim ? "WSU-UX" : "WSU",
                         qs[c], kbest / (double)GRID);
        }
        free(clone);
        mt_close(&M);
    }
}

/* SPEC §1 "Weights underflow", WSU: T = 10^6, N = 3, m = 1, fixed reports
 * 0.9, 0.6, 0.3 on p = 1 (losses 0.01, 0.16, 0.49), eta = 0.02.  pi_2 ends
 * near e^-9600, far below DBL_MIN; a linear recursion in long double keeps
 * it and must agree with exp(log pi) to 1e-9 relative in the log. */
static void long_run_full(void **unused)
{
    (void)unused;
    const long T = 1000000;
    const double eta = 0.02, r[3] = {0.9, 0.6, 0.3}, pv[1] = {1.0};
    mt_mech M;
    mt_open(&M, WF, 3, 1, T);
    mt_set(&M, "eta", eta);
    mt_start(&M);
    long double pi[3] = {1.0L / 3, 1.0L / 3, 1.0L / 3};
    double l[3], A[1], lw[3];
    for (int i = 0; i < 3; i++)
        l[i] = (1 - r[i]) * (1 - r[i]);
    ts_err e;
    for (long t = 0; t < T; t++) {
        ts_slot s = mt_slot(t, 3, 1, r, 3, NULL);
        if (M.t->aggregate(M.st, &s, A, &e) || M.t->update(M.st, &s, pv, &e))
            fail_msg("slot %ld: %s", t, e.msg);
        long double Lbar = 0;
        for (int i = 0; i < 3; i++)
            Lbar += pi[i] * l[i];
        for (int i = 0; i < 3; i++)
            pi[i] *= 1 - (long double)eta * (l[i] - Lbar);
    }
    M.t->log_weights(M.st, lw);
    assert_true(lw[0] > lw[1] && lw[1] > lw[2]);
    assert_true(lw[2] < -9000.0 && exp(lw[2]) == 0.0);
    MT_CLOSE(lw[0], 0.0, 1e-12);
    if (long_double_has_range()) /* x87 or quad: e^-9600 fits */
        for (int i = 1; i < 3; i++) {
            const double ref = (double)logl(pi[i]);
            if (!(fabs(lw[i] / ref - 1.0) <= 1e-9))
                fail_msg("worker %d: log pi = %.17g, long double %.17g", i,
                         lw[i], ref);
        }
    double sh[3];
    mt_shares(3, lw, sh);
    MT_CLOSE(sh[0] + sh[1] + sh[2], 1.0, 1e-15);
    ts_slot s = mt_slot(T, 3, 1, r, 3, NULL);
    assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_OK);
    MT_CLOSE(A[0], 0.9, 1e-12);
    mt_close(&M);
}

/* The same for WSU-UX: T = 10^6, eta = 0.01, beta = 0.5 (eta N / beta =
 * 0.06), the heard worker drawn by mt_draw from the mechanism's theta.  A
 * long double copy kept here follows the same draws; log pi agrees to
 * 1e-9 relative.  lh is unbiased, so log pi_2 - log pi_0 drifts by about
 * -eta (l_2 - l_0) per slot: -4800 (within 5 %, the log1p curvature and
 * the draw's noise); theta_2 sits at its floor beta/N. */
static void long_run_limited(void **unused)
{
    (void)unused;
    enum { N = 3 };
    const long T = 1000000;
    const double eta = 0.01, beta = 0.5, r[N] = {0.9, 0.6, 0.3},
                 pv[1] = {1.0};
    mt_mech M;
    mt_open(&M, WL, N, 1, T);
    mt_set(&M, "eta", eta);
    mt_set(&M, "beta", beta);
    mt_start(&M);
    long double pi[N] = {1.0L / 3, 1.0L / 3, 1.0L / 3};
    double th[N], lw[N], A[1];
    ts_err e;
    for (long t = 0; t < T; t++) {
        M.t->theta(M.st, th);
        const int i = mt_draw(th, N, mt_u(t));
        ts_slot s = mt_slot(t, N, 1, &r[i], 1, &i);
        if (M.t->aggregate(M.st, &s, A, &e) || M.t->update(M.st, &s, pv, &e))
            fail_msg("slot %ld: %s", t, e.msg);
        const long double thi = (1 - (long double)beta) * pi[i] + beta / N;
        const long double lh = (long double)((1 - r[i]) * (1 - r[i])) / thi;
        const long double Lbar = pi[i] * lh;
        for (int k = 0; k < N; k++)
            pi[k] *= 1 - (long double)eta * ((k == i ? lh : 0) - Lbar);
    }
    M.t->log_weights(M.st, lw);
    M.t->theta(M.st, th);
    for (int k = 0; k < N; k++)
        assert_true(isfinite(lw[k]) && th[k] > 0);
    assert_true(lw[0] > lw[1] && lw[1] > lw[2]);
    assert_true(exp(lw[2]) == 0.0);
    const double drift = -eta * (0.49 - 0.01) * (double)T;
    if (!(fabs((lw[2] - lw[0]) / drift - 1.0) < 0.05))
        fail_msg("log pi_2 - log pi_0 = %g, unbiased drift %g", lw[2] - lw[0],
                 drift);
    if (long_double_has_range())
        for (int k = 0; k < N; k++) {
            const double ref = (double)logl(pi[k]);
            if (!(fabs(lw[k] - ref) <= 1e-9 * fmax(1.0, fabs(ref))))
                fail_msg("worker %d: log pi = %.17g, long double %.17g", k,
                         lw[k], ref);
        }
    MT_CLOSE(th[2], beta / N, 1e-12);
    MT_CLOSE(th[0] + th[1] + th[2], 1.0, 1e-15);
    mt_close(&M);
}

/* set_log_weights: any log weights, renormalised to log shares; -inf (a
 * zero share) allowed, NaN, +inf and "all -inf" refused with the state
 * unchanged. */
static void set_log_weights(void **unused)
{
    (void)unused;
    for (int lim = 0; lim < 2; lim++) {
        mt_mech M;
        mt_open(&M, lim ? WL : WF, 3, 2, 100);
        mt_start(&M);
        ts_err e;
        double lw[3];
        const double in[3] = {5.0, 5.0 + log(3.0), -INFINITY};
        assert_int_equal(M.t->set_log_weights(M.st, in, &e), TS_OK);
        M.t->log_weights(M.st, lw);
        MT_CLOSE(lw[0], log(0.25), 1e-15);
        MT_CLOSE(lw[1], log(0.75), 1e-15);
        assert_true(lw[2] == -INFINITY);
        /* a zero share stays zero and the rest still sums to 1 */
        const double r[6] = {0.385, 0.82, 0.71, 0.23, 0.64, 0.455},
                     pv[2] = {1, 0};
        double A[2];
        const int two = 2;
        ts_slot s = lim ? mt_slot(0, 3, 2, &r[4], 1, &two)
                        : mt_slot(0, 3, 2, r, 3, NULL);
        mt_step(&M, &s, pv, A);
        M.t->log_weights(M.st, lw);
        assert_true(lw[2] == -INFINITY);
        MT_CLOSE(exp(lw[0]) + exp(lw[1]), 1.0, 1e-15);
        const double before[3] = {lw[0], lw[1], lw[2]};
        static const double bad[3][3] = {
            {0, NAN, 0}, {0, INFINITY, 0}, {-INFINITY, -INFINITY, -INFINITY}};
        for (int k = 0; k < 3; k++) {
            assert_int_equal(M.t->set_log_weights(M.st, bad[k], &e),
                             TS_EINVAL);
            M.t->log_weights(M.st, lw);
            assert_memory_equal(lw, before, sizeof lw);
        }
        mt_close(&M);
    }
}

/* Refuse, never clamp (STYLE §4): parameters out of range, a default eta
 * out of range at tiny T, reports outside [0,1] (no share changes), a
 * verified state other than 0 or 1, a full slot that hears a subset, a
 * limited slot that hears two. */
static void refusals(void **unused)
{
    (void)unused;
    ts_err e;
    mt_mech M;
    static const struct {
        int lim;
        const char *name;
        double v;
    } bad[] = {{0, "eta", 0.0}, {0, "eta", 1.0},  {0, "eta", NAN},
               {0, "eta", -1},  {1, "eta", 0.0},  {1, "eta", 1.0},
               {1, "beta", 0.0}, {1, "beta", 1.5}, {1, "beta", NAN}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        mt_open(&M, bad[k].lim ? WL : WF, 3, 2, 100);
        mt_set(&M, bad[k].name, bad[k].v);
        assert_int_equal(mt_try_start(&M, &e), TS_EINPUT);
        if (!strstr(e.msg, bad[k].name))
            fail_msg("%s = %g: message '%s'", bad[k].name, bad[k].v, e.msg);
        void *st = calloc(1, M.t->state_size(&M.g));
        assert_int_equal(M.t->init(st, &M.g, &M.p, &e), TS_EINPUT);
        free(st);
    }
    /* N = 3, T = 1: default eta = sqrt(ln 3) = 1.048, outside (0, 1). */
    mt_open(&M, WF, 3, 2, 1);
    M.t->defaults(&M.g, &M.p);
    assert_int_equal(M.t->check(&M.g, &M.p, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "default eta"));

    for (int lim = 0; lim < 2; lim++) {
        mt_open(&M, lim ? WL : WF, 3, 2, 100);
        mt_start(&M);
        const double r[6] = {0.385, 0.6, 0.5, 0.455, 1.25, 0.5};
        const double pv[2] = {1, 0}, pvbad[2] = {1, 0.5};
        double A[2], lw[3];
        const int two = 2, pair[2] = {0, 1};
        ts_slot s = lim ? mt_slot(0, 3, 2, &r[4], 1, &two)
                        : mt_slot(0, 3, 2, r, 3, NULL);
        assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_EINVAL);
        assert_non_null(strstr(e.msg, "outside [0,1]"));
        assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL);
        assert_non_null(strstr(e.msg, "outside [0,1]"));
        s = lim ? mt_slot(0, 3, 2, r, 1, &two) : mt_slot(0, 3, 2, r, 3, NULL);
        assert_int_equal(M.t->update(M.st, &s, pvbad, &e), TS_EINVAL);
        s = mt_slot(0, 3, 2, r, 2, pair); /* two heard: neither form */
        assert_int_equal(M.t->aggregate(M.st, &s, A, &e), TS_EINVAL);
        assert_int_equal(M.t->update(M.st, &s, pv, &e), TS_EINVAL);
        M.t->log_weights(M.st, lw);
        for (int i = 0; i < 3; i++)
            MT_CLOSE(lw[i], -log(3.0), 1e-15); /* nothing changed */
        mt_close(&M);
    }
    ts_err_clear(&e);
    assert_ptr_equal(ts_mechanism_find("wsu", TS_FULL, &e), WF);
    assert_ptr_equal(ts_mechanism_find("wsu", TS_LIMITED, &e), WL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answer_full),
        cmocka_unit_test(known_answer_limited),
        cmocka_unit_test(defaults),
        cmocka_unit_test(precondition),
        cmocka_unit_test(truthful_for_shares),
        cmocka_unit_test(long_run_full),
        cmocka_unit_test(long_run_limited),
        cmocka_unit_test(set_log_weights),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_engine.c -- src/engine/engine.c: the slot loop of SPEC §1, on small
 * experiments given as text.
 *
 *   threads            1 thread and 2 threads give the same bits in every
 *                      result array (regret, loss, best, share, status,
 *                      diag, trajectories, messages);
 *   replica_alone      ts_engine_run_replica(r) reproduces replica r of the
 *                      full run, and writes nothing else;
 *   seeds              the same seed gives the same bits, another seed
 *                      other results; a pinned digest of a small sweep's
 *                      output bits (STYLE §6);
 *   identities         regret = loss - best, regret_traj row 0 = 0 and row
 *                      T = regret, shares sum to 1, weight_traj row 0 = 1;
 *                      and, for `average`, an independent re-computation
 *                      of the whole replica from the population's draws
 *                      (two paths, one answer), which also shows best =
 *                      min_i sum_t l_i <= every worker's loss;
 *   theorem1           R(T) <= 3 sqrt(T ln N / 2) on every replica of
 *                      truthful `ours` with the default alpha;
 *   coupling           T and epsilon do not change the environment's draws;
 *                      epsilon changes `ours` but not `average`;
 *   known_answer       a two-slot game computed by hand (below);
 *   long_horizon       ours at T = 10^6 (0.3 s: suite 'unit').
 *
 * Known answer (known_answer_two_slots).  N = 2, m = 1, T = 2, ours with
 * alpha = 1/2, degenerate bands [0.2, 0.2] and [0.7, 0.7], so worker i's
 * belief is q_i = p + (1 - 2p) u_i with u = (0.2, 0.7) exactly: a belief
 * loss (q_i - p)^2 of 0.04 and 0.49 whatever p is, best = 0.08.  By hand,
 * with p = 0 (p = 1 is the mirror image and gives the same numbers, so all
 * four p-sequences have the same regret -- the bands model is symmetric in
 * p, which is why p cannot be read off the results):
 *   slot 0: w = (1, 1), A = (0.2 + 0.7)/2 = 0.45, L = 0.2025;
 *   verified pv = p: l = (0.04, 0.49), w = (1 - 0.02, 1 - 0.245)
 *       = (0.98, 0.755);
 *     pv flipped (epsilon > 0): l = (0.64, 0.09), w = (0.68, 0.955);
 *   slot 1: A = (0.98*0.2 + 0.755*0.7)/1.735 = 0.7245/1.735, L = 0.174372...
 *     or, after a flip, A = 0.8045/1.635, L = 0.242112...;
 *   R(2) = 0.2025 + L_1 - 0.08.
 * The digits below come from this Python, run over all 4 p-sequences and
 * all 4 flip patterns (the p-sequences agree to 1e-16):
 *   alpha, u = 0.5, [0.2, 0.7]
 *   def run(ps, flips):
 *       w = [1.0, 1.0]; cum = 0.0; bl = [0.0, 0.0]
 *       for p, f in zip(ps, flips):
 *           q = [p + (1 - 2*p)*ui for ui in u]
 *           A = (w[0]*q[0] + w[1]*q[1]) / (w[0] + w[1]); cum += (A - p)**2
 *           for i in range(2): bl[i] += (q[i] - p)**2
 *           pv = 1 - p if f else p
 *           w = [w[i]*(1 - alpha*(q[i] - pv)**2) for i in range(2)]
 *       return cum - min(bl), cum, min(bl), [wi/sum(w) for wi in w]
 * Which flips happened is read off the recorded weights (0.98 or 0.68
 * after slot 0), and cross-checked against the verification stream drawn
 * here directly (TS_STREAM_VERIFY at slot t, uniform < epsilon). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "games/games.h"
#include "base/sha256.h"

static ts_experiment *load(const char *text, int n_set, char *const *set)
{
    ts_experiment *x = NULL;
    ts_err e;
    ts_err_clear(&e);
    if (ts_experiment_load(&x, "t.yaml", text, n_set, set, &e) != TS_OK)
        fail_msg("load: %s", e.msg);
    return x;
}

static void get_point(const ts_experiment *x, long idx, ts_point *pt)
{
    ts_err e;
    ts_err_clear(&e);
    if (ts_experiment_point(x, idx, pt, &e) != TS_OK)
        fail_msg("point %ld: %s", idx, e.msg);
}

/* Allocate and run one point with the given thread count. */
static void run(const ts_experiment *x, const ts_point *pt, int threads,
                ts_point_result *res)
{
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_point_result_alloc(res, x, pt, &e), TS_OK);
    ts_run_opts o = {.threads = threads};
    int rc = ts_engine_run_point(x, pt, &o, res, &e);
    if (rc != TS_OK)
        fail_msg("run: %s", e.msg);
}

static size_t cells_reps(const ts_point_result *r)
{
    return (size_t)r->n_cell * (size_t)r->R;
}

/* Every array of two results, bit for bit. */
static void same_bits(const ts_point_result *a, const ts_point_result *b)
{
    assert_int_equal(a->n_cell, b->n_cell);
    assert_int_equal(a->R, b->R);
    assert_int_equal(a->N, b->N);
    assert_int_equal(a->T, b->T);
    assert_int_equal(a->traj, b->traj);
    assert_int_equal(a->n_diag, b->n_diag);
    const size_t cr = cells_reps(a), N = (size_t)a->N, rows = (size_t)a->T + 1;
    assert_memory_equal(a->regret, b->regret, cr * sizeof(double));
    assert_memory_equal(a->loss, b->loss, cr * sizeof(double));
    assert_memory_equal(a->best, b->best, cr * sizeof(double));
    assert_memory_equal(a->share, b->share, cr * N * sizeof(double));
    assert_memory_equal(a->status, b->status, cr * sizeof(int));
    if (a->n_diag)
        assert_memory_equal(a->diag, b->diag,
                            cr * (size_t)a->n_diag * sizeof(double));
    for (size_t k = 0; k < cr; k++)
        assert_string_equal(a->errmsg[k], b->errmsg[k]);
    if (a->traj) {
        assert_memory_equal(a->share_traj, b->share_traj,
                            cr * rows * N * sizeof(double));
        assert_memory_equal(a->weight_traj, b->weight_traj,
                            cr * rows * N * sizeof(double));
        assert_memory_equal(a->regret_traj, b->regret_traj,
                            cr * rows * sizeof(double));
    }
}

/* No replica failed, and every value was written (results start NaN). */
static void all_ok_and_written(const ts_point_result *r)
{
    const size_t cr = cells_reps(r), N = (size_t)r->N, rows = (size_t)r->T + 1;
    for (size_t k = 0; k < cr; k++) {
        if (r->status[k] != TS_OK)
            fail_msg("cell-replica %zu: status %d: %s", k, r->status[k],
                     r->errmsg[k]);
        assert_true(isfinite(r->regret[k]) && isfinite(r->loss[k]) &&
                    isfinite(r->best[k]));
        for (size_t i = 0; i < N; i++)
            assert_true(isfinite(r->share[k * N + i]));
        if (r->traj)
            for (size_t t = 0; t < rows; t++) {
                assert_true(isfinite(r->regret_traj[k * rows + t]));
                for (size_t i = 0; i < N; i++) {
                    assert_true(isfinite(r->share_traj[(k * rows + t) * N + i]));
                    assert_false(isnan(r->weight_traj[(k * rows + t) * N + i]));
                }
            }
    }
}

/* ------------------------------------------------------------------ */

#define TWO_MECH                                                              \
    "population: bands\nmechanisms: [ours, em]\nN: 5\nm: 3\nT: 60\n"          \
    "replicas: 9\nseed: 20261122\ntrajectory: true\n"

static void threads_give_same_bits(void **unused)
{
    (void)unused;
    /* Two points (epsilon 0 and 0.1), two mechanisms, trajectories. */
    ts_experiment *x = load(TWO_MECH "epsilon: [0, 0.1]\n", 0, NULL);
    for (long p = 0; p < x->n_points; p++) {
        ts_point pt;
        get_point(x, p, &pt);
        ts_point_result r1, r2, r2b;
        run(x, &pt, 1, &r1);
        run(x, &pt, 2, &r2);
        run(x, &pt, 2, &r2b); /* a second schedule */
        all_ok_and_written(&r1);
        assert_int_equal(r1.n_cell, 2);
        assert_true(r1.n_diag > 0); /* em's diagnostics are compared too */
        same_bits(&r1, &r2);
        same_bits(&r1, &r2b);
        ts_point_result_free(&r1);
        ts_point_result_free(&r2);
        ts_point_result_free(&r2b);
    }
    ts_experiment_free(x);
}

/* `bands` whose worker 0 sometimes believes 1.5: in a slot where its
 * first belief lies within 0.002 of p (2 % of slots), both draw paths
 * overwrite it, so some replicas fail (a belief outside [0,1]) and others
 * do not, the same ones in either path. */
static void leak(double *q0)
{
    if (*q0 < 0.002 || *q0 > 0.998)
        *q0 = 1.5;
}

static int leaky_draw(void *st, long t, int m, ts_rng *state, ts_rng *belief,
                      double *p, double *q)
{
    int rc = ts_pop_bands.draw(st, t, m, state, belief, p, q);
    leak(&q[0]);
    return rc;
}

static void leaky_beliefs(const void *st, long t, int m, int i0, int i1,
                          const double *p, const ts_rng_lanes *belief,
                          double *q)
{
    ts_pop_bands.beliefs_lanes(st, t, m, i0, i1, p, belief, q);
    for (int l = 0; i0 == 0 && l < TS_LANES; l++)
        leak(&q[l]);
}

/* The replica lanes (engine_lanes.c) against one replica at a time
 * (ts_run_opts.generic): every result array bit for bit, on 1 and 2
 * threads, over N (2, odd, 13 so rows straddle Philox blocks), m (1, 7,
 * 20), epsilon (0 and 0.2: losses against pv), R = 11 (a padded second
 * group), R = 1 and 9 (leftovers run one at a time), a base rate and a
 * band list; then the leaky population above,
 * whose failing replicas the lanes must hand back to the one-replica path
 * to fail them exactly as it does. */
static void lanes_equal_one_replica(void **unused)
{
    (void)unused;
    const char *texts[] = {
        "population: bands\nmechanisms: [ours, hedge]\nN: [2, 5, 13]\n"
        "m: [1, 7, 20]\nT: 50\nreplicas: 11\nseed: 5\nepsilon: [0, 0.2]\n",
        "population: bands\nmechanisms: [hedge, ours]\nN: 3\nm: 5\nT: 200\n"
        "replicas: 9\nseed: 6\nbase_rate: 0.3\n"
        "bands: [0.3, 0.4, 0, 0.05, 0.2, 0.9]\nalpha: 0.9\neta: 2\n",
        "population: bands\nmechanisms: [ours]\nN: 7\nm: 3\nT: 30\n"
        "replicas: 1\nseed: 2\n",
        "population: bands\nmechanisms: [ours, hedge]\nN: 4\nm: 3\nT: 50\n"
        "replicas: 24\nseed: 9\n",
    };
    ts_population_type leaky = ts_pop_bands;
    leaky.draw = leaky_draw;
    leaky.beliefs_lanes = leaky_beliefs;
    int failed = 0, ok = 0;
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        ts_experiment *x = load(texts[k], 0, NULL);
        if (k == 3)
            x->pop = &leaky;
        for (long p = 0; p < x->n_points; p++) {
            ts_point pt;
            get_point(x, p, &pt);
            assert_true(ts_lanes_eligible(x, &pt));
            ts_point_result a, b, g;
            ts_err e;
            ts_err_clear(&e);
            run(x, &pt, 1, &a);
            run(x, &pt, 2, &b);
            assert_int_equal(ts_point_result_alloc(&g, x, &pt, &e), TS_OK);
            ts_run_opts o = {.threads = 2, .generic = 1};
            assert_int_equal(ts_engine_run_point(x, &pt, &o, &g, &e), TS_OK);
            same_bits(&a, &g);
            same_bits(&b, &g);
            for (size_t c = 0; k == 3 && c < cells_reps(&g); c++) {
                failed += g.status[c] != TS_OK;
                ok += g.status[c] == TS_OK;
            }
            ts_point_result_free(&a);
            ts_point_result_free(&b);
            ts_point_result_free(&g);
        }
        ts_experiment_free(x);
    }
    assert_true(failed > 0 && ok > 0); /* both kinds of replica were seen */
}

static void replica_alone(void **unused)
{
    (void)unused;
    ts_experiment *x = load(TWO_MECH "epsilon: 0.1\n", 0, NULL);
    ts_point pt;
    get_point(x, 0, &pt);
    ts_point_result full;
    run(x, &pt, 2, &full);
    const size_t N = (size_t)full.N, rows = (size_t)full.T + 1;
    const long R = full.R;
    for (long r = 0; r < R; r += 4) { /* replicas 0, 4, 8 */
        ts_point_result one;
        ts_err e;
        ts_err_clear(&e);
        assert_int_equal(ts_point_result_alloc(&one, x, &pt, &e), TS_OK);
        assert_int_equal(ts_engine_run_replica(x, &pt, r, &one, &e), TS_OK);
        for (int c = 0; c < full.n_cell; c++)
            for (long q = 0; q < R; q++) {
                size_t k = (size_t)c * (size_t)R + (size_t)q;
                if (q == r) {
                    assert_memory_equal(&one.regret[k], &full.regret[k], sizeof(double));
                    assert_memory_equal(&one.loss[k], &full.loss[k], sizeof(double));
                    assert_memory_equal(&one.best[k], &full.best[k], sizeof(double));
                    assert_int_equal(one.status[k], full.status[k]);
                    assert_memory_equal(one.share + k * N, full.share + k * N,
                                        N * sizeof(double));
                    assert_memory_equal(one.diag + k * (size_t)one.n_diag,
                                        full.diag + k * (size_t)full.n_diag,
                                        (size_t)one.n_diag * sizeof(double));
                    assert_memory_equal(one.regret_traj + k * rows,
                                        full.regret_traj + k * rows,
                                        rows * sizeof(double));
                    assert_memory_equal(one.share_traj + k * rows * N,
                                        full.share_traj + k * rows * N,
                                        rows * N * sizeof(double));
                    assert_memory_equal(one.weight_traj + k * rows * N,
                                        full.weight_traj + k * rows * N,
                                        rows * N * sizeof(double));
                } else {
                    /* Other replicas' slots are untouched (still NaN). */
                    assert_true(isnan(one.regret[k]) && isnan(one.loss[k]) &&
                                isnan(one.best[k]) && isnan(one.share[k * N]) &&
                                isnan(one.regret_traj[k * rows]));
                }
            }
        ts_point_result_free(&one);
    }
    ts_point_result_free(&full);
    ts_experiment_free(x);
}

/* A digest of a result's bits: regret, loss, best, share, in that order. */
static void digest(const ts_point_result *r, char hex[65])
{
    const size_t cr = cells_reps(r);
    ts_sha256 s;
    ts_sha256_init(&s);
    ts_sha256_update(&s, r->regret, cr * sizeof(double));
    ts_sha256_update(&s, r->loss, cr * sizeof(double));
    ts_sha256_update(&s, r->best, cr * sizeof(double));
    ts_sha256_update(&s, r->share, cr * (size_t)r->N * sizeof(double));
    ts_sha256_hex(&s, hex);
}

static void seeds(void **unused)
{
    (void)unused;
    const char *text =
        "population: bands\nmechanisms: [ours, hedge, median, average, em]\n"
        "N: 4\nm: 2\nT: 40\nreplicas: 6\nseed: 7\nepsilon: 0.05\n";
    ts_experiment *x = load(text, 0, NULL);
    char *set[] = {"seed=8"};
    ts_experiment *y = load(text, 1, set);
    ts_point px, py;
    get_point(x, 0, &px);
    get_point(y, 0, &py);
    ts_point_result a, b, c;
    run(x, &px, 1, &a);
    run(x, &px, 2, &b);
    run(y, &py, 2, &c);
    all_ok_and_written(&a);
    same_bits(&a, &b);
    /* Another seed: every replica of every mechanism but average's shares
     * (always 1/N) differs. */
    for (size_t k = 0; k < cells_reps(&a); k++)
        if (a.regret[k] == c.regret[k])
            fail_msg("cell-replica %zu: the same regret under seeds 7 and 8", k);
    char ha[65], hc[65];
    digest(&a, ha);
    digest(&c, hc);
    assert_string_not_equal(ha, hc);
    /* The pinned digest of this sweep's output bits.  It guards
     * reproducibility: if it changes, every published number changes with
     * it.  Update it only for a deliberate change of the numerics, and say
     * so in the commit.  History: 482fd09a... (commit 8d5ab27, libm's exp
     * and log1p); 1283cae1... since weights and shares use tsmath.h's ts_exp and
     * ts_log1p (the old digest is reproduced with those two set to libm's). */
    if (strcmp(ha, "1283cae1880956278def34124ca6a409e0c9c2bd8e08d6070222960b27a19d2a"))
        fail_msg("digest of the pinned sweep changed: %s", ha);
    ts_point_result_free(&a);
    ts_point_result_free(&b);
    ts_point_result_free(&c);
    ts_experiment_free(x);
    ts_experiment_free(y);
}

/* ------------------------------------------------------------------ */

static void identities(void **unused)
{
    (void)unused;
    ts_experiment *x = load(
        "population: bands\nmechanisms: [ours, hedge, median, average, em]\n"
        "N: 6\nm: 4\nT: 80\nreplicas: 5\nseed: 3\nepsilon: [0, 0.2]\n"
        "trajectory: true\n", 0, NULL);
    for (long p = 0; p < x->n_points; p++) {
        ts_point pt;
        get_point(x, p, &pt);
        ts_point_result r;
        run(x, &pt, 2, &r);
        all_ok_and_written(&r);
        const size_t N = (size_t)r.N, rows = (size_t)r.T + 1;
        for (size_t k = 0; k < cells_reps(&r); k++) {
            /* eq. (5), per replica, as the engine stores it. */
            assert_true(r.regret[k] == r.loss[k] - r.best[k]);
            assert_true(r.loss[k] >= 0 && r.best[k] >= 0);
            /* The comparator is shared by every mechanism of a replica. */
            size_t rep = k % (size_t)r.R;
            assert_true(r.best[k] == r.best[rep]);
            /* Trajectories: R(0) = 0 (before any slot), R at row T. */
            assert_true(r.regret_traj[k * rows] == 0.0);
            assert_true(r.regret_traj[k * rows + rows - 1] == r.regret[k]);
            double s = 0;
            for (size_t i = 0; i < N; i++) {
                assert_true(r.share[k * N + i] >= 0);
                s += r.share[k * N + i];
                /* Weights start at 1 (SPEC §2) -- em's weight is its
                 * reliability a_i, which starts at A/(A + B) = 2/3 -- and
                 * shares at 1/N. */
                const double w0 = r.weight_traj[k * rows * N + i];
                if (strcmp(x->mech[k / (size_t)r.R]->name, "em"))
                    assert_true(w0 == 1.0);
                else
                    assert_true(fabs(w0 - 2.0 / 3.0) < 1e-15);
                assert_true(fabs(r.share_traj[k * rows * N + i] - 1.0 / (double)N) < 1e-15);
                /* Row T is the final share. */
                assert_true(r.share_traj[(k * rows + rows - 1) * N + i] ==
                            r.share[k * N + i]);
            }
            assert_true(fabs(s - 1.0) < 1e-14);
            for (size_t t = 0; t < rows; t++) {
                double st = 0;
                for (size_t i = 0; i < N; i++)
                    st += r.share_traj[(k * rows + t) * N + i];
                assert_true(fabs(st - 1.0) < 1e-14);
            }
        }
        ts_point_result_free(&r);
    }
    ts_experiment_free(x);
}

/* `average` recomputed from the population's own draws, positioned as
 * SPEC §1 and rng.h say: stream (seed, env_id, replica, STATE/BELIEF),
 * seeked to slot t.  The label is the plain mean, L_t the mean squared
 * error against p, best = min_i sum_t mean_j (q_ij - p_j)^2. */
static void average_recomputed(void **unused)
{
    (void)unused;
    ts_experiment *x = load(
        "population: bands\nmechanisms: [average]\nN: 7\nm: 5\nT: 30\n"
        "replicas: 4\nseed: 11\nbase_rate: 0.385\n", 0, NULL);
    ts_point pt;
    get_point(x, 0, &pt);
    ts_point_result r;
    run(x, &pt, 2, &r);
    all_ok_and_written(&r);
    const int N = 7, m = 5;
    void *pop = calloc(1, x->pop->state_size(&pt.shape));
    assert_non_null(pop);
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(x->pop->init(pop, &pt.shape, &pt.pop_par, &e), TS_OK);
    double p[5], q[35];
    for (long rep = 0; rep < r.R; rep++) {
        ts_rng rs, rb;
        ts_rng_init(&rs, x->seed, pt.env_id, (uint32_t)rep, TS_STREAM_STATE);
        ts_rng_init(&rb, x->seed, pt.env_id, (uint32_t)rep, TS_STREAM_BELIEF);
        double cum = 0, bl[7] = {0};
        for (long t = 0; t < 30; t++) {
            ts_rng_seek(&rs, (uint64_t)t);
            ts_rng_seek(&rb, (uint64_t)t);
            assert_int_equal(x->pop->draw(pop, t, m, &rs, &rb, p, q), TS_OK);
            double L = 0;
            for (int j = 0; j < m; j++) {
                double A = 0, W = 0;
                for (int i = 0; i < N; i++) {
                    A += 1.0 * q[i * m + j];
                    W += 1.0;
                }
                A /= W;
                L += (A - p[j]) * (A - p[j]);
            }
            cum += L / m;
            for (int i = 0; i < N; i++) {
                double s = 0;
                for (int j = 0; j < m; j++)
                    s += (q[i * m + j] - p[j]) * (q[i * m + j] - p[j]);
                bl[i] += s / m;
            }
        }
        double best = bl[0];
        for (int i = 1; i < N; i++)
            best = bl[i] < best ? bl[i] : best;
        /* best is the smallest worker loss, hence <= each of them. */
        for (int i = 0; i < N; i++)
            assert_true(r.best[rep] <= bl[i]);
        assert_true(r.best[rep] == best);
        assert_true(r.loss[rep] == cum);
        assert_true(r.regret[rep] == cum - best);
        /* bands puts the accurate band first: worker 0 is the best. */
        assert_true(best == bl[0]);
        for (int i = 0; i < N; i++)
            assert_true(r.share[rep * N + i] == 1.0 / 7.0);
    }
    free(pop);
    ts_point_result_free(&r);
    ts_experiment_free(x);
}

/* ------------------------------------------------------------------ */

/* Thm. 1: with alpha = (2/3) sqrt(2 ln N / T), truthful reports and
 * verified states equal to the true ones, R(T) <= 3 sqrt(T ln N / 2) on
 * every path (the bound is deterministic: Jensen puts L_t under the
 * weighted mean of the workers' losses, and the multiplicative-weights
 * argument bounds that). */
static void theorem1_pathwise(void **unused)
{
    (void)unused;
    ts_experiment *x = load(
        "population: bands\nmechanisms: [ours]\nN: [2, 5, 20]\n"
        "T: [10, 100, 1000]\nm: 3\nreplicas: 24\nseed: 5\n", 0, NULL);
    assert_int_equal(x->n_points, 9);
    for (long p = 0; p < 9; p++) {
        ts_point pt;
        get_point(x, p, &pt);
        ts_point_result r;
        run(x, &pt, 2, &r);
        all_ok_and_written(&r);
        const double bound = 3.0 * sqrt((double)pt.shape.T *
                                        log((double)pt.shape.N) / 2.0);
        double worst = -INFINITY;
        for (long k = 0; k < r.R; k++) {
            if (!(r.regret[k] <= bound))
                fail_msg("N = %d, T = %ld, replica %ld: R(T) = %g > %g",
                         pt.shape.N, pt.shape.T, k, r.regret[k], bound);
            worst = r.regret[k] > worst ? r.regret[k] : worst;
        }
        /* The bound is not vacuous here: regret is positive somewhere. */
        assert_true(worst > 0);
        ts_point_result_free(&r);
    }
    ts_experiment_free(x);
}

/* ------------------------------------------------------------------ */

static void coupling_across_T_and_epsilon(void **unused)
{
    (void)unused;
    /* Points: (T, epsilon) = (50, 0), (50, 0.2), (100, 0), (100, 0.2). */
    ts_experiment *x = load(
        "population: bands\nmechanisms: [average, ours]\nN: 4\nm: 3\n"
        "T: [50, 100]\nepsilon: [0, 0.2]\nreplicas: 6\nseed: 9\n"
        "trajectory: true\n", 0, NULL);
    assert_int_equal(x->n_points, 4);
    ts_point pt[4];
    ts_point_result r[4];
    for (int p = 0; p < 4; p++) {
        get_point(x, p, &pt[p]);
        run(x, &pt[p], 2, &r[p]);
        all_ok_and_written(&r[p]);
    }
    const long R = 6;
    /* average (cell 0) has no parameter that depends on T: the first 51
     * rows of its regret trajectory are the same at T = 50 and T = 100. */
    for (int e = 0; e < 2; e++) {
        const ts_point_result *a = &r[e], *b = &r[2 + e];
        for (long k = 0; k < R; k++)
            assert_memory_equal(a->regret_traj + (size_t)k * 51,
                                b->regret_traj + (size_t)k * 101,
                                51 * sizeof(double));
        /* and the T = 100 run goes on from there (not a copy). */
        int longer_differs = 0;
        for (long k = 0; k < R; k++)
            longer_differs |= b->regret_traj[k * 101 + 100] !=
                              b->regret_traj[k * 101 + 50];
        assert_true(longer_differs);
    }
    /* epsilon: average ignores verification, so its results are the same
     * bits at 0 and 0.2 (the environment is shared); ours reweighs on the
     * flipped states, so its results change. */
    for (int T = 0; T < 2; T++) {
        const ts_point_result *e0 = &r[2 * T], *e2 = &r[2 * T + 1];
        assert_memory_equal(e0->regret, e2->regret, (size_t)R * sizeof(double));
        assert_memory_equal(e0->best, e2->best, (size_t)R * sizeof(double));
        int differs = 0;
        for (long k = R; k < 2 * R; k++)
            differs += e0->regret[k] != e2->regret[k];
        if (differs < R)
            fail_msg("T = %ld: epsilon = 0.2 changed ours on only %d of %ld "
                     "replicas", pt[2 * T].shape.T, differs, R);
        /* The comparator is on true p and beliefs: not changed by epsilon. */
        assert_memory_equal(e0->best + R, e2->best + R, (size_t)R * sizeof(double));
    }
    for (int p = 0; p < 4; p++)
        ts_point_result_free(&r[p]);
    ts_experiment_free(x);
}

/* ------------------------------------------------------------------ */

static void close_to(double x, double want, double tol, const char *what)
{
    if (!(fabs(x - want) <= tol))
        fail_msg("%s = %.17g, want %.17g", what, x, want);
}

static void known_answer_two_slots(void **unused)
{
    (void)unused;
    const char *text =
        "population: bands\nmechanisms: [ours]\nN: 2\nm: 1\nT: 2\n"
        "bands: [0.2, 0.2, 0.7, 0.7]\nalpha: 0.5\nreplicas: 16\nseed: 4\n"
        "trajectory: true\nepsilon: [0, 0.3]\n";
    ts_experiment *x = load(text, 0, NULL);
    /* The Python above, per flip pattern (f0, f1): regret, loss, shares. */
    const struct { double R, L, s0; } want[2][2] = {
        {{0.29687243063226165, 0.37687243063226167, 0.6275381021611643},
         {0.29687243063226165, 0.37687243063226167, 0.48031425122078664}},
        {{0.36461214918310286, 0.4446121491831029, 0.48031425122078664},
         {0.36461214918310286, 0.4446121491831029, 0.33643159866853406}},
    };
    int seen[2][2] = {{0}};
    for (long p = 0; p < 2; p++) {
        ts_point pt;
        get_point(x, p, &pt);
        ts_point_result r;
        run(x, &pt, 2, &r);
        all_ok_and_written(&r);
        for (long k = 0; k < r.R; k++) {
            /* Flips, from the recorded weights of worker 0 ... */
            const double *wt = r.weight_traj + (size_t)k * 3 * 2; /* [3][2] */
            int f0 = fabs(wt[2] - 0.68) < 1e-12;
            int f1 = fabs(wt[4] / wt[2] - 0.68) < 1e-12;
            assert_true(f0 || fabs(wt[2] - 0.98) < 1e-12);
            assert_true(f1 || fabs(wt[4] / wt[2] - 0.98) < 1e-12);
            /* ... and worker 1 agrees (0.755 or 0.955) ... */
            close_to(wt[3], f0 ? 0.955 : 0.755, 1e-12, "w_1 after slot 0");
            close_to(wt[5] / wt[3], f1 ? 0.955 : 0.755, 1e-12,
                     "w_1 factor of slot 1");
            /* ... and with the verification stream drawn here. */
            int g[2];
            for (int t = 0; t < 2; t++) {
                ts_rng v;
                ts_rng_init(&v, 4, pt.env_id, (uint32_t)k, TS_STREAM_VERIFY);
                ts_rng_seek(&v, (uint64_t)t);
                g[t] = ts_rng_u01(&v) < pt.epsilon;
            }
            assert_int_equal(f0, g[0]);
            assert_int_equal(f1, g[1]);
            if (pt.epsilon == 0)
                assert_true(!f0 && !f1);
            seen[f0][f1]++;
            close_to(r.regret[k], want[f0][f1].R, 1e-15, "regret");
            close_to(r.loss[k], want[f0][f1].L, 1e-15, "loss");
            close_to(r.best[k], 0.08, 1e-16, "best");
            close_to(r.share[k * 2], want[f0][f1].s0, 1e-15, "share_0");
            close_to(r.share[k * 2 + 1], 1.0 - want[f0][f1].s0, 1e-15, "share_1");
            /* R(1) = 0.2025 - 0.04 after the first slot. */
            close_to(r.regret_traj[k * 3 + 1], 0.1625, 1e-15, "R(1)");
        }
        ts_point_result_free(&r);
    }
    /* At epsilon = 0.3 the 16 replicas met more than one flip pattern, so
     * both branches of the hand computation were checked. */
    assert_true(seen[0][0] >= 16);
    assert_true(seen[1][0] + seen[1][1] > 0 && seen[0][1] + seen[1][1] > 0);
    ts_experiment_free(x);
}

/* ------------------------------------------------------------------ */

/* T = 10^6 slots, N = 3, m = 1 (3 * 10^6 weight updates per replica).
 * alpha = (2/3) sqrt(2 ln 3 / 10^6) = 9.9e-4, so the log weights of the
 * worse workers (belief losses near 0.25 and 0.64 per slot) fall to about
 * -250 and -630: the shares must stay finite, sum to 1, and favour worker
 * 0 (band [0, 0.1]); no replica may fail. */
static void long_horizon(void **unused)
{
    (void)unused;
    ts_experiment *x = load(
        "population: bands\nmechanisms: [ours]\nN: 3\nm: 1\nT: 1000000\n"
        "replicas: 2\nseed: 1\n", 0, NULL);
    ts_point pt;
    get_point(x, 0, &pt);
    ts_point_result r;
    run(x, &pt, 2, &r);
    all_ok_and_written(&r);
    assert_int_equal(r.T, 1000000);
    for (long k = 0; k < r.R; k++) {
        /* The mean loss per slot of the best worker is E u^2 = 1/300 for u
         * uniform on [0, 0.1]: best / T must be near it (10^6 slots). */
        close_to(r.best[k] / 1e6, 1.0 / 300.0, 1e-4, "best / T");
        double s = 0;
        for (int i = 0; i < 3; i++) {
            assert_true(isfinite(r.share[k * 3 + i]) && r.share[k * 3 + i] >= 0);
            s += r.share[k * 3 + i];
        }
        close_to(s, 1.0, 1e-14, "sum of shares");
        assert_true(r.share[k * 3] > r.share[k * 3 + 1]);
        assert_true(r.share[k * 3] > r.share[k * 3 + 2]);
        const double bound = 3.0 * sqrt(1e6 * log(3.0) / 2.0);
        assert_true(r.regret[k] <= bound);
    }
    ts_point_result_free(&r);
    ts_experiment_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_give_same_bits),
        cmocka_unit_test(replica_alone),
        cmocka_unit_test(lanes_equal_one_replica),
        cmocka_unit_test(seeds),
        cmocka_unit_test(identities),
        cmocka_unit_test(average_recomputed),
        cmocka_unit_test(theorem1_pathwise),
        cmocka_unit_test(coupling_across_T_and_epsilon),
        cmocka_unit_test(known_answer_two_slots),
        /* 2 x 10^6 slots take about 0.3 s, so it stays in 'unit'. */
        cmocka_unit_test(long_horizon),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}

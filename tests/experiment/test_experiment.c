/* test_experiment.c -- src/experiment/: YAML experiments and --set
 * (yaml.c), interpretation (interpret.c), grid points and defaults
 * (resolve.c), canonical text (canonical.c) and every input error
 * (SPEC §7.2).
 *
 * Experiments are given as text (ts_experiment_load(&x, "t.yaml", text,
 * ...)), so messages start "t.yaml:LINE:COL: " (or "--set K=V: ").  Line
 * and column are 1-based and point at the key (or the offending list
 * element); they were read off the test texts by hand.
 *
 * Known answers:
 *   - ours' default alpha = (2/3) sqrt(2 ln N / T) (Thm. 1, SPEC §2), and
 *     hedge's eta the same (SPEC §2: eta = alpha of ours, as in Fig. 7);
 *   - the environment's stream id for population bands, N = 5, m = 4 and
 *     no other settings, by the Python FNV-1a of tests/base/test_rng.c:
 *       h = fnv(b"bands\0")
 *       for d in (5.0, 4.0, 4.0): h = fnv(struct.pack('<d', d), h) # N, m, m_min
 *       h = fnv(b"base_rate\0", h); h = fnv(struct.pack('<d', 0.5), h)
 *       h = fnv(b"bands\0", h)     # the 'bands' vector: name, no values
 *     -> 0x521ec830. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiment/experiment.h"
#include "games/games.h"

#define HEAD "population: bands\nmechanisms: [ours, hedge]\n"

static ts_experiment *load_set(const char *text, int n_set, char *const *set)
{
    ts_experiment *x = NULL;
    ts_err e;
    ts_err_clear(&e);
    int rc = ts_experiment_load(&x, "t.yaml", text, n_set, set, &e);
    if (rc != TS_OK)
        fail_msg("load failed (%d): %s\n--- text ---\n%s", rc, e.msg, text);
    assert_non_null(x);
    return x;
}

static ts_experiment *load(const char *text) { return load_set(text, 0, NULL); }

static void point(const ts_experiment *x, long idx, ts_point *pt)
{
    ts_err e;
    ts_err_clear(&e);
    if (ts_experiment_point(x, idx, pt, &e) != TS_OK)
        fail_msg("point %ld: %s", idx, e.msg);
}

static int mech_index(const ts_experiment *x, const char *name)
{
    for (int k = 0; k < x->n_mech; k++)
        if (!strcmp(x->mech[k]->name, name))
            return k;
    fail_msg("mechanism %s not in the experiment", name);
    return -1;
}

/* A parameter's value at a point, by owner kind and name. */
static double mech_par(const ts_experiment *x, const ts_point *pt,
                       const char *mech, const char *par)
{
    int k = mech_index(x, mech);
    int i = ts_param_find(x->mech[k]->params, x->mech[k]->n_params, par);
    assert_true(i >= 0);
    return pt->mech_par[k].v[i];
}

static double pop_par(const ts_experiment *x, const ts_point *pt,
                      const char *par)
{
    int i = ts_param_find(x->pop->params, x->pop->n_params, par);
    assert_true(i >= 0);
    return pt->pop_par.v[i];
}

static double alpha_default(int N, long T)
{
    return (2.0 / 3.0) * sqrt(2.0 * log((double)N) / (double)T);
}

static void close_rel(double x, double want)
{
    if (!(fabs(x - want) <= 4e-16 * fabs(want)))
        fail_msg("%.17g, want %.17g", x, want);
}

/* ------------------------------------------------------------------ */

static void axes_and_order(void **unused)
{
    (void)unused;
    /* Keys deliberately out of order: the axes are still N, m, T, epsilon,
     * then parameters alphabetically (base_rate < hedge.eta < ours.alpha). */
    ts_experiment *x = load(
        "ours.alpha: [0.3, 0.2]\n"
        "epsilon: [0, 0.125]\n"
        "hedge.eta: [1.5, 2.5]\n"
        "T: [10, 20, 30]\n"
        "mechanisms: [ours, hedge]\n"
        "m: [2, 3]\n"
        "base_rate: [0.25, 0.5]\n"
        "N: [3, 4]\n"
        "population: bands\n"
        "replicas: 4\n");
    const char *want[] = {"N", "m", "T", "epsilon", "base_rate", "hedge.eta",
                          "ours.alpha"};
    const int len[] = {2, 2, 3, 2, 2, 2, 2};
    assert_int_equal(x->n_axes, 7);
    long n = 1;
    for (int k = 0; k < 7; k++) {
        assert_string_equal(x->axes[k].val->key, want[k]);
        assert_int_equal(x->axes[k].val->n, len[k]);
        n *= len[k];
    }
    assert_int_equal(x->n_points, n);
    assert_int_equal(n, 192);
    assert_int_equal(x->replicas, 4);

    /* Point decomposition: C order, the last axis fastest. */
    for (long idx = 0; idx < x->n_points; idx++) {
        ts_point pt;
        point(x, idx, &pt);
        assert_int_equal(pt.index, idx);
        long back = 0;
        for (int k = 0; k < 7; k++)
            back = back * len[k] + pt.coord[k];
        assert_int_equal(back, idx);
        assert_int_equal(pt.coord[6], idx % 2);
        assert_int_equal(pt.coord[0], idx / 96);
        /* The values follow the coordinates. */
        assert_int_equal(pt.shape.N, (int)x->axes[0].val->v[pt.coord[0]]);
        assert_int_equal(pt.shape.m, (int)x->axes[1].val->v[pt.coord[1]]);
        assert_int_equal(pt.shape.T, (long)x->axes[2].val->v[pt.coord[2]]);
        assert_true(pt.epsilon == x->axes[3].val->v[pt.coord[3]]);
        assert_true(pop_par(x, &pt, "base_rate") == x->axes[4].val->v[pt.coord[4]]);
        assert_true(mech_par(x, &pt, "hedge", "eta") == x->axes[5].val->v[pt.coord[5]]);
        assert_true(mech_par(x, &pt, "ours", "alpha") == x->axes[6].val->v[pt.coord[6]]);
        assert_int_equal(pt.m_min, pt.shape.m);
        assert_int_equal(pt.shape.feedback, TS_FULL);
    }
    /* Spot checks written out: point 1 = (3, 2, 10, 0, 0.25, 1.5, 0.2),
     * point 191 = the last value of every axis, point 100 = coordinates
     * (1, 0, 0, 0, 1, 0, 0): the strides are 96, 48, 16, 8, 4, 2, 1 and
     * 100 = 96 + 4. */
    ts_point pt;
    point(x, 1, &pt);
    assert_true(pt.shape.N == 3 && pt.shape.m == 2 && pt.shape.T == 10 &&
                pt.epsilon == 0 && mech_par(x, &pt, "ours", "alpha") == 0.2);
    point(x, 191, &pt);
    assert_true(pt.shape.N == 4 && pt.shape.m == 3 && pt.shape.T == 30 &&
                pt.epsilon == 0.125 && pop_par(x, &pt, "base_rate") == 0.5 &&
                mech_par(x, &pt, "hedge", "eta") == 2.5 &&
                mech_par(x, &pt, "ours", "alpha") == 0.2);
    point(x, 100, &pt);
    const int c100[7] = {1, 0, 0, 0, 1, 0, 0};
    assert_memory_equal(pt.coord, c100, sizeof c100);
    ts_experiment_free(x);
}

static void scalars_lists_and_defaults(void **unused)
{
    (void)unused;
    ts_experiment *x = load(HEAD "N: 5\nT: [7]\nm: 3\n");
    /* A scalar is not an axis; a one-element list is. */
    assert_int_equal(x->n_axes, 1);
    assert_string_equal(x->axes[0].val->key, "T");
    assert_int_equal(x->n_points, 1);
    const ts_value *v = ts_experiment_value(x, "N");
    assert_non_null(v);
    assert_int_equal(v->is_list, 0);
    assert_int_equal(v->kind, TS_VAL_NUM);
    assert_int_equal(v->n, 1);
    assert_int_equal(v->line, 3);
    assert_int_equal(v->col, 1);
    assert_int_equal(ts_experiment_value(x, "T")->is_list, 1);
    assert_null(ts_experiment_value(x, "epsilon"));
    /* Engine defaults: replicas 100, seed 1, no trajectories, truthful,
     * full feedback, epsilon 0; the name comes from the path. */
    assert_int_equal(x->replicas, 100);
    assert_true(x->seed == 1);
    assert_int_equal(x->trajectory, 0);
    assert_int_equal(x->n_strat, 1);
    assert_string_equal(x->strat[0]->name, "truthful");
    assert_int_equal(x->feedback, TS_FULL);
    assert_string_equal(x->name, "t");
    assert_ptr_equal(x->pop, &ts_pop_bands);
    assert_int_equal(x->n_mech, 2);
    assert_ptr_equal(x->mech[0], &ts_mech_ours);
    assert_ptr_equal(x->mech[1], &ts_mech_hedge);
    ts_point pt;
    point(x, 0, &pt);
    assert_true(pt.epsilon == 0.0);
    assert_true(pop_par(x, &pt, "base_rate") == 0.5);
    ts_experiment_free(x);

    /* m defaults to 20 when absent. */
    x = load(HEAD "N: 5\nT: 7\n");
    point(x, 0, &pt);
    assert_int_equal(pt.shape.m, 20);
    assert_int_equal(x->n_axes, 0);
    ts_experiment_free(x);

    /* The other engine keys. */
    x = load("name: my-run\ndescription: \"a test, with commas\"\n"
             "population: bands\nmechanism: ours\nN: 2\nT: 3\n"
             "replicas: 12\nseed: 4294967297\ntrajectory: true\n"
             "strategy: [truthful]\nm: 4\nm_min: 2\n");
    assert_string_equal(x->name, "my-run");
    assert_string_equal(x->description, "a test, with commas");
    assert_int_equal(x->n_mech, 1);
    assert_int_equal(x->replicas, 12);
    assert_true(x->seed == 4294967297ull);
    assert_int_equal(x->trajectory, 1);
    /* A list under `strategy` is per worker (issue 5), not an axis. */
    assert_int_equal(x->strat_is_axis, 0);
    assert_int_equal(x->n_prof, 1);
    assert_int_equal(x->prof_len[0], 1);
    point(x, 0, &pt);
    assert_int_equal(pt.m_min, 2);
    assert_int_equal(pt.shape.m, 4);
    ts_experiment_free(x);

    /* `strategies:` is the axis; profiles are named after their entries. */
    x = load(HEAD "N: 3\nT: 3\nstrategies: [truthful]\n");
    assert_int_equal(x->strat_is_axis, 1);
    assert_int_equal(x->n_prof, 1);
    assert_string_equal(x->prof_name[0], "truthful");
    assert_int_equal(x->prof_identity[0], 1);
    ts_experiment_free(x);
    x = load(HEAD "N: 3\nT: 3\nstrategy: [truthful, truthful]\n");
    assert_int_equal(x->n_strat, 1); /* one distinct strategy */
    assert_string_equal(x->prof_name[0], "truthful,truthful");
    ts_experiment_free(x);
}

static void mechanism_defaults_per_point(void **unused)
{
    (void)unused;
    ts_experiment *x = load(HEAD "N: [3, 7, 50]\nT: [10, 1000, 123457]\nm: 2\n");
    assert_int_equal(x->n_points, 9);
    for (long idx = 0; idx < 9; idx++) {
        ts_point pt;
        point(x, idx, &pt);
        double a = alpha_default(pt.shape.N, pt.shape.T);
        close_rel(mech_par(x, &pt, "ours", "alpha"), a);
        close_rel(mech_par(x, &pt, "hedge", "eta"), a);
        /* Defaults are not marked as set by the user. */
        assert_int_equal(pt.mech_par[0].set[0], 0);
        assert_int_equal(pt.mech_par[1].set[0], 0);
    }
    /* By hand: N = 3, T = 10: (2/3) sqrt(2 ln 3 / 10) = (2/3) sqrt(0.219722)
     * = (2/3) 0.468746 = 0.312497. */
    ts_point pt;
    point(x, 0, &pt);
    assert_true(fabs(mech_par(x, &pt, "ours", "alpha") - 0.312497) < 1e-6);
    ts_experiment_free(x);

    /* A set value wins at every point, and is marked as set. */
    x = load(HEAD "N: [3, 7]\nT: [10, 1000]\nalpha: 0.05\n");
    for (long idx = 0; idx < 4; idx++) {
        point(x, idx, &pt);
        assert_true(mech_par(x, &pt, "ours", "alpha") == 0.05);
        assert_int_equal(pt.mech_par[0].set[0], 1);
        close_rel(mech_par(x, &pt, "hedge", "eta"),
                  alpha_default(pt.shape.N, pt.shape.T));
    }
    ts_experiment_free(x);

    /* em's defaults (SPEC §2): tol 1e-12, max_iter 10000, a0 = 2, b0 = 1. */
    x = load("population: bands\nmechanisms: [em]\nN: 4\nT: 9\n");
    point(x, 0, &pt);
    assert_true(mech_par(x, &pt, "em", "tol") == 1e-12);
    assert_true(mech_par(x, &pt, "em", "max_iter") == 10000);
    assert_true(mech_par(x, &pt, "em", "a0") == 2);
    assert_true(mech_par(x, &pt, "em", "b0") == 1);
    ts_experiment_free(x);
}

static void dotted_and_nested_keys(void **unused)
{
    (void)unused;
    ts_experiment *a = load(HEAD "N: 5\nT: 100\nhedge: {eta: 3}\n");
    ts_experiment *b = load(HEAD "N: 5\nT: 100\nhedge.eta: 3\n");
    ts_experiment *c = load(HEAD "N: 5\nT: 100\nhedge:\n  eta: 3\n");
    ts_point pa, pb, pc;
    point(a, 0, &pa);
    point(b, 0, &pb);
    point(c, 0, &pc);
    assert_true(mech_par(a, &pa, "hedge", "eta") == 3.0);
    assert_true(mech_par(b, &pb, "hedge", "eta") == 3.0);
    assert_true(mech_par(c, &pc, "hedge", "eta") == 3.0);
    /* The nested form is stored under the dotted key, at eta's position. */
    const ts_value *v = ts_experiment_value(c, "hedge.eta");
    assert_non_null(v);
    assert_int_equal(v->line, 6);
    assert_int_equal(v->col, 3);
    /* ours is untouched: its default. */
    close_rel(mech_par(a, &pa, "ours", "alpha"), alpha_default(5, 100));
    ts_experiment_free(a);
    ts_experiment_free(b);
    ts_experiment_free(c);

    /* owner.name wins over the bare name; the bare name reaches every
     * owner that declares it. */
    a = load(HEAD "N: 5\nT: 100\nalpha: 0.5\nours.alpha: 0.3\n");
    point(a, 0, &pa);
    assert_true(mech_par(a, &pa, "ours", "alpha") == 0.3);
    ts_experiment_free(a);
    a = load(HEAD "N: 5\nT: 100\neta: 0.7\nbase_rate: 0.385\n");
    point(a, 0, &pa);
    assert_true(mech_par(a, &pa, "hedge", "eta") == 0.7);
    assert_true(pop_par(a, &pa, "base_rate") == 0.385);
    ts_experiment_free(a);
    /* Population parameters by owner too, and the bands vector. */
    a = load(HEAD "N: 2\nT: 100\nbands.base_rate: 0.25\n"
                  "bands: [0.2, 0.2, 0.7, 0.7]\n");
    point(a, 0, &pa);
    assert_true(pop_par(a, &pa, "base_rate") == 0.25);
    int ib = ts_param_find(a->pop->params, a->pop->n_params, "bands");
    assert_int_equal(pa.pop_par.len[ib], 4);
    assert_true(pa.pop_par.vec[ib][0] == 0.2 && pa.pop_par.vec[ib][3] == 0.7);
    assert_int_equal(a->n_axes, 0); /* a vector is a value, not an axis */
    /* The same bands as pairs [[lo, hi], ...] are the same vector. */
    b = load(HEAD "N: 2\nT: 100\nbands.base_rate: 0.25\n"
                  "bands: [[0.2, 0.2], [0.7, 0.7]]\n");
    point(b, 0, &pb);
    assert_int_equal(b->n_axes, 0);
    assert_int_equal(pb.pop_par.len[ib], 4);
    assert_memory_equal(pb.pop_par.vec[ib], pa.pop_par.vec[ib], 4 * sizeof(double));
    assert_int_equal(pb.env_id, pa.env_id);
    ts_experiment_free(a);
    ts_experiment_free(b);
}

static void set_overrides(void **unused)
{
    (void)unused;
    char *set[] = {"T=[10,20]", "N=[5,10]", "hedge.eta=3", "replicas=8",
                   "seed=7", "ours={alpha: 0.25}", "trajectory=true"};
    ts_experiment *x = load_set(HEAD "N: 5\nT: 100\nm: 2\nreplicas: 3\n", 7, set);
    /* Scalars became axes, in the fixed order. */
    assert_int_equal(x->n_axes, 2);
    assert_string_equal(x->axes[0].val->key, "N");
    assert_string_equal(x->axes[1].val->key, "T");
    assert_int_equal(x->n_points, 4);
    assert_int_equal(x->replicas, 8);
    assert_true(x->seed == 7);
    assert_int_equal(x->trajectory, 1);
    const long Ts[2] = {10, 20};
    const int Ns[2] = {5, 10};
    for (long idx = 0; idx < 4; idx++) {
        ts_point pt;
        point(x, idx, &pt);
        assert_int_equal(pt.shape.N, Ns[idx / 2]);
        assert_int_equal(pt.shape.T, Ts[idx % 2]);
        assert_true(mech_par(x, &pt, "hedge", "eta") == 3.0);
        assert_true(mech_par(x, &pt, "ours", "alpha") == 0.25);
    }
    /* Overridden values say where they came from. */
    const ts_value *v = ts_experiment_value(x, "N");
    assert_int_equal(v->line, 0);
    char where[256];
    ts_value_where(x, v, where, sizeof where);
    assert_string_equal(where, "--set N=[5,10]: ");
    v = ts_experiment_value(x, "ours.alpha");
    assert_non_null(v);
    ts_value_where(x, v, where, sizeof where);
    assert_string_equal(where, "--set ours={alpha: 0.25}: ");
    /* Untouched keys keep their file position. */
    v = ts_experiment_value(x, "m");
    ts_value_where(x, v, where, sizeof where);
    assert_string_equal(where, "t.yaml:5:1: ");
    /* The overrides are recorded, one per line. */
    assert_string_equal(x->overrides,
                        "T=[10,20]\nN=[5,10]\nhedge.eta=3\nreplicas=8\nseed=7\n"
                        "ours={alpha: 0.25}\ntrajectory=true\n");
    ts_experiment_free(x);

    /* A later --set of the same key wins; a list can become a scalar. */
    char *set2[] = {"T=[10,20]", "T=30"};
    x = load_set(HEAD "N: 5\nT: 100\n", 2, set2);
    assert_int_equal(x->n_axes, 0);
    ts_point pt;
    point(x, 0, &pt);
    assert_int_equal(pt.shape.T, 30);
    ts_experiment_free(x);
}

/* The canonical text loads back to the same experiment: same axes, same
 * points, same parameters bit for bit, and the same canonical text. */
static void compare_points(const ts_experiment *a, const ts_experiment *b)
{
    assert_int_equal(a->n_points, b->n_points);
    assert_int_equal(a->n_axes, b->n_axes);
    for (int k = 0; k < a->n_axes; k++) {
        assert_string_equal(a->axes[k].val->key, b->axes[k].val->key);
        assert_int_equal(a->axes[k].val->n, b->axes[k].val->n);
        assert_memory_equal(a->axes[k].val->v, b->axes[k].val->v,
                            (size_t)a->axes[k].val->n * sizeof(double));
    }
    assert_int_equal(a->n_mech, b->n_mech);
    for (int k = 0; k < a->n_mech; k++)
        assert_ptr_equal(a->mech[k], b->mech[k]);
    assert_ptr_equal(a->pop, b->pop);
    assert_int_equal(a->replicas, b->replicas);
    assert_true(a->seed == b->seed);
    assert_int_equal(a->trajectory, b->trajectory);
    assert_string_equal(a->name, b->name);
    for (long idx = 0; idx < a->n_points; idx++) {
        ts_point pa, pb;
        point(a, idx, &pa);
        point(b, idx, &pb);
        assert_memory_equal(&pa.shape, &pb.shape, sizeof pa.shape);
        assert_true(pa.epsilon == pb.epsilon);
        assert_int_equal(pa.m_min, pb.m_min);
        assert_int_equal(pa.env_id, pb.env_id);
        assert_memory_equal(pa.pop_par.v, pb.pop_par.v, sizeof pa.pop_par.v);
        for (int i = 0; i < pa.pop_par.n; i++) {
            assert_int_equal(pa.pop_par.len[i], pb.pop_par.len[i]);
            if (pa.pop_par.len[i])
                assert_memory_equal(pa.pop_par.vec[i], pb.pop_par.vec[i],
                                    (size_t)pa.pop_par.len[i] * sizeof(double));
        }
        for (int k = 0; k < a->n_mech; k++) {
            assert_memory_equal(pa.mech_par[k].v, pb.mech_par[k].v,
                                sizeof pa.mech_par[k].v);
            assert_memory_equal(pa.mech_par[k].set, pb.mech_par[k].set,
                                sizeof pa.mech_par[k].set);
        }
    }
}

static void canonical_round_trip(void **unused)
{
    (void)unused;
    char *set[] = {"N=[5,10]", "hedge.eta=0.1", "replicas=8"};
    const char *texts[] = {
        "name: \"round trip: 1\"\n" HEAD
        "T: [10, 20]\nm: 3\nepsilon: [0, 0.1]\nbase_rate: 0.3\nseed: 99\n"
        "alpha: [0.3, 0.1]\ntrajectory: true\n"
        "description: \"quotes \\\" and, commas\"\n",
        "population: bands\nmechanisms: [ours]\nN: 2\nT: 5\n"
        "bands: [0.2, 0.2, 0.7, 0.7]\n",
        "population: bands\nmechanisms: [ours]\nN: 2\nT: 5\n"
        "bands: [[0.2, 0.25], [0.7, 0.75]]\n",
        ts_default_experiment,
    };
    for (int k = 0; k < 4; k++) {
        ts_experiment *x = load_set(texts[k], k == 0 ? 3 : 0, set);
        char *canon = ts_experiment_canonical(x);
        assert_non_null(canon);
        ts_experiment *y = load(canon);
        compare_points(x, y);
        char *again = ts_experiment_canonical(y);
        assert_string_equal(canon, again);
        if (k == 0)
            assert_string_equal(y->description, "quotes \" and, commas");
        free(canon);
        free(again);
        ts_experiment_free(x);
        ts_experiment_free(y);
    }
}

static void environment_stream_id(void **unused)
{
    (void)unused;
    /* Python FNV-1a (see the top of the file). */
    ts_experiment *x = load(HEAD "N: 5\nm: 4\nT: 10\n");
    ts_point pt;
    point(x, 0, &pt);
    assert_int_equal(pt.env_id, 0x521ec830u);
    ts_experiment_free(x);

    /* Not T, epsilon or mechanism parameters: every point here has one
     * environment ... */
    x = load(HEAD "N: 5\nm: 4\nT: [10, 50, 1000]\nepsilon: [0, 0.2]\n"
                  "alpha: [0.1, 0.2]\n");
    assert_int_equal(x->n_points, 12);
    for (long idx = 0; idx < 12; idx++) {
        point(x, idx, &pt);
        assert_int_equal(pt.env_id, 0x521ec830u);
    }
    ts_experiment_free(x);
    /* ... nor the mechanisms listed. */
    x = load("population: bands\nmechanisms: [average]\nN: 5\nm: 4\nT: 3\n");
    point(x, 0, &pt);
    assert_int_equal(pt.env_id, 0x521ec830u);
    ts_experiment_free(x);

    /* But N, m, m_min and population parameters each change it. */
    const char *other[] = {
        HEAD "N: 6\nm: 4\nT: 10\n",
        HEAD "N: 5\nm: 5\nT: 10\n",
        HEAD "N: 5\nm: 4\nm_min: 3\nT: 10\n",
        HEAD "N: 5\nm: 4\nT: 10\nbase_rate: 0.4\n",
        HEAD "N: 5\nm: 4\nT: 10\n"
             "bands: [0, 0.1, 0.45, 0.55, 0.55, 0.65, 0.65, 0.75, 0.75, 0.85]\n",
    };
    uint32_t ids[5];
    for (int k = 0; k < 5; k++) {
        x = load(other[k]);
        point(x, 0, &pt);
        ids[k] = pt.env_id;
        assert_int_not_equal(ids[k], 0x521ec830u);
        for (int j = 0; j < k; j++)
            assert_int_not_equal(ids[k], ids[j]);
        ts_experiment_free(x);
    }
    /* base_rate 0.5 given explicitly equals the default. */
    x = load(HEAD "N: 5\nm: 4\nT: 10\nbase_rate: 0.5\n");
    point(x, 0, &pt);
    assert_int_equal(pt.env_id, 0x521ec830u);
    ts_experiment_free(x);
}

static void default_and_file(void **unused)
{
    (void)unused;
    ts_experiment *x = NULL;
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_experiment_load(&x, NULL, ts_default_experiment, 0,
                                        NULL, &e), TS_OK);
    assert_string_equal(x->path, "<default>");
    assert_string_equal(x->name, "fig7-default");
    assert_int_equal(x->n_points, 6);
    assert_int_equal(x->n_mech, 4);
    ts_point pt;
    point(x, 5, &pt);
    assert_int_equal(pt.shape.N, 50);
    assert_int_equal(pt.shape.m, 20);
    assert_int_equal(pt.shape.T, 5000);
    ts_experiment_free(x);

    /* From a file; the name comes from the file name. */
    char dir[] = "/tmp/ts_test_exp_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/fig-x.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(HEAD "N: 3\nT: 4\n", f);
    fclose(f);
    ts_err_clear(&e);
    assert_int_equal(ts_experiment_load(&x, path, NULL, 0, NULL, &e), TS_OK);
    assert_string_equal(x->name, "fig-x");
    assert_string_equal(x->source, HEAD "N: 3\nT: 4\n");
    ts_experiment_free(x);
    remove(path);
    /* A missing file. */
    x = (ts_experiment *)1;
    assert_int_equal(ts_experiment_load(&x, path, NULL, 0, NULL, &e), TS_ENOINPUT);
    assert_null(x);
    char want[300];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory",
             path);
    assert_string_equal(e.msg, want);
    rmdir(dir);
}

/* ------------------------------------------------------------------ */
/* Input errors: one line, where, and what.                            */

typedef struct bad_case {
    const char *text;
    const char *set;      /* one --set, or NULL                           */
    const char *where;    /* exact prefix: "t.yaml:3:1: " or "--set ...: " */
    const char *what[6];  /* substrings the message must contain          */
} bad_case;

static const bad_case bad[] = {
    /* YAML syntax: the parser stops at the start of line 4. */
    {HEAD "N: [5, 10\n", NULL, "t.yaml:4:1: ",
     {"YAML syntax error", "','", "']'"}},
    {HEAD "N: [5, 10\nT: 100\n", NULL, "t.yaml:4:2: ", {"YAML syntax error"}},
    {HEAD "N: 5\nT: 10\nfoo: 3\n", NULL, "t.yaml:5:1: ",
     {"unknown key 'foo'", "engine keys", "parameters here: base_rate, bands, alpha, eta"}},
    /* eta belongs to hedge, which this experiment does not run. */
    {"population: bands\nmechanisms: [ours]\nN: 5\nT: 100\neta: 3\n", NULL,
     "t.yaml:5:1: ", {"unknown key 'eta'", "parameters here: base_rate, bands, alpha)"}},
    {HEAD "N: 5\nT: 100\nhedge: {zeta: 1.5}\n", NULL, "t.yaml:5:9: ",
     {"unknown key 'hedge.zeta'"}},
    {"population: bands\nmechanisms: [ours, zzz]\nN: 5\nT: 10\n", NULL,
     "t.yaml:2:1: ",
     {"unknown full-feedback mechanism 'zzz'", "valid: ours, hedge, median, average, em"}},
    {"population: zzz\nmechanisms: [ours]\nN: 5\nT: 10\n", NULL, "t.yaml:1:1: ",
     {"unknown population 'zzz'", "valid: bands"}},
    {HEAD "N: 5\nT: 10\nstrategy: lie\n", NULL, "t.yaml:5:1: ",
     {"unknown strategy 'lie'", "valid: truthful"}},
    {HEAD "N: 2\nT: 10\nstrategy: [truthful, truthful, truthful]\n", NULL,
     "t.yaml:5:1: ", {"'strategy' lists 3 workers but N = 2"}},
    {HEAD "N: 2\nT: 10\nstrategy: truthful\nstrategies: [truthful]\n", NULL,
     "t.yaml:6:1: ", {"not both"}},
    {HEAD "N: 1\nT: 10\n", NULL, "t.yaml:3:1: ",
     {"N = 1 is out of range", "integer", "[2, "}},
    {HEAD "N: [5, 1]\nT: 10\n", NULL, "t.yaml:3:1: ", {"N = 1 is out of range"}},
    {HEAD "N: 5\nm: 0\nT: 10\n", NULL, "t.yaml:4:1: ", {"m = 0 is out of range", "[1, "}},
    {HEAD "N: 5\nT: 0\n", NULL, "t.yaml:4:1: ", {"T = 0 is out of range", "[1, "}},
    {HEAD "N: 5\nT: 10\nepsilon: 0.7\n", NULL, "t.yaml:5:1: ",
     {"epsilon = 0.7 is out of range", "[0, 0.5)", "Prop. 3"}},
    {HEAD "N: 5\nT: 10\nepsilon: 0.5\n", NULL, "t.yaml:5:1: ",
     {"epsilon = 0.5 is out of range"}},
    {HEAD "N: 5.5\nT: 10\n", NULL, "t.yaml:3:1: ",
     {"N = 5.5 is out of range", "an integer"}},
    {HEAD "N: 5\nT: 10\nalpha: 1.5\n", NULL, "t.yaml:5:1: ",
     {"ours: alpha = 1.5 is outside (0, 1]"}},
    {HEAD "N: 5\nT: 10\nalpha: 0\n", NULL, "t.yaml:5:1: ",
     {"ours: alpha = 0 is outside (0, 1]"}},
    {HEAD "N: 5\nT: 100\nours: {alpha: 1.5}\n", NULL, "t.yaml:5:8: ",
     {"ours: alpha = 1.5 is outside (0, 1]"}},
    /* On an axis the message names the point. */
    {HEAD "N: 5\nT: 10\nalpha: [0.5, 1.5]\n", NULL, "t.yaml:5:1: ",
     {"ours: alpha = 1.5", "(at alpha = 1.5)"}},
    {HEAD "N: 5\nT: 10\nhedge.eta: -1\n", NULL, "t.yaml:5:1: ",
     {"hedge: eta = -1 is outside (0, inf)"}},
    {HEAD "N: 5\nT: 10\nN: 6\n", NULL, "t.yaml:5:1: ", {"'N' is given twice"}},
    {HEAD "N: 5\nT: 100\nhedge: {eta: 3}\nhedge.eta: 4\n", NULL, "t.yaml:6:1: ",
     {"'hedge.eta' is given twice"}},
    {HEAD "N: []\nT: 10\n", NULL, "t.yaml:3:4: ", {"'N' is an empty list"}},
    {HEAD "N: [5, ten]\nT: 10\n", NULL, "t.yaml:3:8: ",
     {"'N' mixes numbers and text in one list"}},
    {HEAD "N: 3\nT: 10\nbands: [0, 0.1, 0.5, 0.6]\n", NULL, "t.yaml:5:1: ",
     {"'bands' has 4 numbers but N = 3 needs 6"}},
    {HEAD "N: [2, 3]\nT: 10\nbands: [0, 0.1, 0.2, 0.3]\n", NULL, "t.yaml:5:1: ",
     {"'bands' has 4 numbers but N = 3 needs 6", "(at N = 3)"}},
    {HEAD "N: 2\nT: 10\nbands: [0.5, 0.4, 0.1, 0.2]\n", NULL, "t.yaml:5:1: ",
     {"band 1 is [0.5, 0.4]", "lo must not exceed hi"}},
    {HEAD "N: 2\nT: 10\nbands: [0.5, 1.4, 0.1, 0.2]\n", NULL, "t.yaml:5:1: ",
     {"bands[1] = 1.4 is outside [0, 1]"}},
    {"population: bands\nN: 3\nT: 10\n", NULL, "t.yaml: ",
     {"no 'mechanisms' key", "mechanisms: [ours, hedge]"}},
    {HEAD "T: 10\n", NULL, "t.yaml: ", {"the key 'N' is missing"}},
    {HEAD "N: 5\n", NULL, "t.yaml: ", {"the key 'T' is missing"}},
    {"population: bands\nmechanisms: [ours, ours]\nN: 2\nT: 10\n", NULL,
     "t.yaml:2:1: ", {"mechanism 'ours' is listed twice"}},
    {"population: bands\nmechanisms: [ours]\nmechanism: hedge\nN: 2\nT: 10\n",
     NULL, "t.yaml:3:1: ", {"'mechanisms' (a list) or 'mechanism', not both"}},
    {HEAD "N: 5\nT: 10\nfeedback: partial\n", NULL, "t.yaml:5:1: ",
     {"feedback 'partial' must be 'full' or 'limited'"}},
    {HEAD "N: 5\nT: \"100\"\n", NULL, "t.yaml:4:1: ",
     {"'T' must be a number or a list of numbers"}},
    {HEAD "N: 5\nT: 10\nalpha: abc\n", NULL, "t.yaml:5:1: ",
     {"parameter 'alpha' must be numeric"}},
    {HEAD "N: 5\nT: 10\nreplicas: 0\n", NULL, "t.yaml:5:1: ",
     {"'replicas' = 0 must be an integer"}},
    {HEAD "N: 5\nT: 10\nreplicas: 2.5\n", NULL, "t.yaml:5:1: ",
     {"'replicas' = 2.5 must be an integer"}},
    {HEAD "N: 5\nT: 10\nseed: -1\n", NULL, "t.yaml:5:1: ",
     {"'seed' = -1 must be an integer"}},
    {HEAD "N: 5\nT: 10\nm: 3\nm_min: 4\n", NULL, "t.yaml:6:1: ",
     {"m_min = 4 exceeds m = 3"}},
    /* Pairs are read row by row: 2 pairs are 4 numbers. */
    {HEAD "N: 5\nT: 10\nbands: [[0, 0.1], [0.2, 0.3]]\n", NULL, "t.yaml:5:1: ",
     {"'bands' has 4 numbers but N = 5 needs 10"}},
    {HEAD "N: 2\nT: 10\nbands: [[0, 0.1], [0.2, 0.3, 0.4]]\n", NULL, "t.yaml:5:",
     {"inner lists must all have the same length"}},
    {HEAD "N: 5\nT: 10\nm: {a: 1}\n", NULL, "t.yaml:5:5: ",
     {"'m.a'"}},
    {HEAD "N:\nT: 10\n", NULL, "t.yaml:3:3: ", {"'N' has no value"}},
    {"- a\n- b\n", NULL, "t.yaml:1:1: ", {"must be a mapping"}},
    {"", NULL, "t.yaml: ", {"the experiment is empty"}},
    {"# only a comment\n", NULL, "t.yaml: ", {"the experiment is empty"}},
    /* The default alpha leaves (0, 1] at N = 50, T = 1: the point is named,
     * and no line (the user wrote no alpha). */
    {HEAD "N: 50\nT: [1, 100]\n", NULL, "t.yaml: ",
     {"ours", "alpha", "(0, 1]", "(at T = 1)"}},
    /* --set errors name the --set. */
    {HEAD "N: 5\nT: 100\n", "N=[5,", "--set N=[5,: ", {"YAML syntax error"}},
    {HEAD "N: 5\nT: 100\n", "N=1", "--set N=1: ", {"N = 1 is out of range"}},
    {HEAD "N: 5\nT: 100\n", "foo=1", "--set foo=1: ", {"unknown key 'foo'"}},
    {HEAD "N: 5\nT: 100\n", "alpha=1.5", "--set alpha=1.5: ",
     {"ours: alpha = 1.5 is outside (0, 1]"}},
    {HEAD "N: 5\nT: 100\n", "replicas=[1,2]", "--set replicas=[1,2]: ",
     {"'replicas' must be a single number"}},
    {HEAD "N: 5\nT: 100\n", "N", "--set N: ", {"expected KEY=VALUE"}},
    {HEAD "N: 5\nT: 100\n", "=5", "--set =5: ", {"expected KEY=VALUE"}},
    {HEAD "N: 5\nT: 100\n", "T=", "--set T=: ", {"no value"}},
    {HEAD "N: 5\nT: 100\n", "epsilon=[0, 0.7]", "--set epsilon=[0, 0.7]: ",
     {"epsilon = 0.7 is out of range"}},
    {HEAD "N: 5\nT: 100\n", "mechanisms=[ours, nope]",
     "--set mechanisms=[ours, nope]: ", {"unknown full-feedback mechanism 'nope'"}},
};

static void input_errors(void **unused)
{
    (void)unused;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const bad_case *c = &bad[k];
        char *set[1] = {(char *)c->set};
        ts_experiment *x = (ts_experiment *)1;
        ts_err e;
        ts_err_clear(&e);
        int rc = ts_experiment_load(&x, "t.yaml", c->text, c->set ? 1 : 0, set, &e);
        if (rc == TS_OK)
            fail_msg("case %zu accepted:\n%s(--set %s)", k, c->text,
                     c->set ? c->set : "-");
        if (rc != TS_EINPUT || e.code != TS_EINPUT)
            fail_msg("case %zu: code %d, want TS_EINPUT: %s", k, rc, e.msg);
        assert_null(x); /* nothing half-built is returned */
        if (strncmp(e.msg, c->where, strlen(c->where)))
            fail_msg("case %zu: message does not start with \"%s\":\n  %s", k,
                     c->where, e.msg);
        /* The location is not followed by another location. */
        if (!strncmp(e.msg + strlen(c->where), "t.yaml:", 7))
            fail_msg("case %zu: location given twice: %s", k, e.msg);
        for (int i = 0; i < 6 && c->what[i]; i++)
            if (!strstr(e.msg, c->what[i]))
                fail_msg("case %zu: message lacks \"%s\":\n  %s", k,
                         c->what[i], e.msg);
        if (strchr(e.msg, '\n'))
            fail_msg("case %zu: message is not one line: %s", k, e.msg);
    }
}

/* A few messages in full, so their wording is pinned too. */
static void exact_messages(void **unused)
{
    (void)unused;
    const struct { const char *text; const char *msg; } c[] = {
        {HEAD "N: 1\nT: 10\n",
         "t.yaml:3:1: N = 1 is out of range: must be an integer in [2, 1e+06] "
         "(a game needs at least 2 workers)"},
        {HEAD "N: 5\nT: 10\nepsilon: 0.7\n",
         "t.yaml:5:1: epsilon = 0.7 is out of range: must be a number in "
         "[0, 0.5) (Prop. 3 needs a flip rate below 1/2)"},
        {HEAD "N: [5, ten]\nT: 10\n",
         "t.yaml:3:8: 'N' mixes numbers and text in one list"},
        {"population: bands\nmechanisms: [ours, zzz]\nN: 5\nT: 10\n",
         "t.yaml:2:1: unknown full-feedback mechanism 'zzz' (valid: ours, "
         "hedge, median, average, em, omoe, betabin, wsu)"},
        {HEAD "N: 5\nT: 10\nalpha: 1.5\n",
         "t.yaml:5:1: ours: alpha = 1.5 is outside (0, 1]"},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        ts_experiment *x;
        ts_err e;
        ts_err_clear(&e);
        assert_int_equal(ts_experiment_load(&x, "t.yaml", c[k].text, 0, NULL, &e),
                         TS_EINPUT);
        assert_string_equal(e.msg, c[k].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(axes_and_order),
        cmocka_unit_test(scalars_lists_and_defaults),
        cmocka_unit_test(mechanism_defaults_per_point),
        cmocka_unit_test(dotted_and_nested_keys),
        cmocka_unit_test(set_overrides),
        cmocka_unit_test(canonical_round_trip),
        cmocka_unit_test(environment_stream_id),
        cmocka_unit_test(default_and_file),
        cmocka_unit_test(input_errors),
        cmocka_unit_test(exact_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_check.c -- `truthsim check` catches an untruthful mechanism.
 *
 * `ours` with its squared loss replaced by an absolute loss (the issue's
 * example): w_i <- w_i (1 - alpha (1/m) sum_j |r_ij - pv_j|).  Its expected
 * next weight under belief q is linear in r on each side of nothing -- for
 * m = 1 it is w (1 - alpha (q (1 - r) + (1 - q) r)), maximised at r = 1 when
 * q > 1/2 and r = 0 when q < 1/2 -- so the best response is `extreme`, and
 * Prop. 1's check must FAIL.  The same check with the registered `ours`
 * passes: the claim, not the test, decides. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/claims.h"
#include "games/games.h"

typedef struct abs_state {
    int N, m;
    double alpha;
    double logw[];
} abs_state;

static size_t abs_size(const ts_shape *g)
{
    return sizeof(abs_state) + (size_t)g->N * sizeof(double);
}

static int abs_init(void *vst, const ts_shape *g, const ts_params *p, ts_err *e)
{
    (void)e;
    abs_state *st = vst;
    st->N = g->N;
    st->m = g->m;
    st->alpha = p->v[0];
    for (int i = 0; i < g->N; i++)
        st->logw[i] = 0;
    return TS_OK;
}

static int abs_aggregate(void *vst, const ts_slot *s, double *A, ts_err *e)
{
    (void)e;
    const abs_state *st = vst;
    double W = 0;
    for (int j = 0; j < s->m; j++)
        A[j] = 0;
    for (int h = 0; h < s->n_heard; h++) {
        double w = exp(st->logw[h]);
        W += w;
        for (int j = 0; j < s->m; j++)
            A[j] += w * s->r[h * s->m + j];
    }
    for (int j = 0; j < s->m; j++)
        A[j] /= W;
    return TS_OK;
}

static int abs_update(void *vst, const ts_slot *s, const double *pv, ts_err *e)
{
    (void)e;
    abs_state *st = vst;
    for (int h = 0; h < s->n_heard; h++) {
        double l = 0;
        for (int j = 0; j < s->m; j++)
            l += fabs(s->r[h * s->m + j] - pv[j]); /* the deliberate bug */
        st->logw[h] += log1p(-st->alpha * l / s->m);
    }
    return TS_OK;
}

static void abs_log_weights(const void *vst, double *logw)
{
    const abs_state *st = vst;
    memcpy(logw, st->logw, (size_t)st->N * sizeof *logw);
}

static void abs_defaults(const ts_shape *g, ts_params *p)
{
    ts_mech_ours.defaults(g, p); /* the same alpha as the real one */
}

static ts_mechanism_type make_abs(void)
{
    ts_mechanism_type t = ts_mech_ours; /* name, params, feedback */
    t.defaults = abs_defaults;
    t.check = NULL;
    t.state_size = abs_size;
    t.init = abs_init;
    t.aggregate = abs_aggregate;
    t.update = abs_update;
    t.log_weights = abs_log_weights;
    t.n_diag = 0;
    t.diag = NULL;
    return t;
}

static int failures(const ts_claim_list *l, const char *claim)
{
    int n = 0;
    for (int k = 0; k < l->n; k++)
        n += !strcmp(l->rows[k].claim, claim) && l->rows[k].pass == 0;
    return n;
}

static void prop1_fails_for_absolute_loss(void **unused)
{
    (void)unused;
    ts_mechanism_type bad = make_abs();
    const ts_mechanism_type *replace[] = {&bad, NULL};
    ts_check_opts o = {1, 0.25, NULL, replace, NULL};
    ts_claim_list l = {0, 0, NULL};
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_check_claim("prop1", &o, &l, &e), TS_OK);
    assert_int_equal(failures(&l, "prop1"), 3); /* m = 1, 3 and 20 */
    /* r* is extreme: |r* - q| reaches 0.45 at q = 0.05 or 0.95. */
    int found = 0;
    for (int k = 0; k < l.n; k++)
        if (l.rows[k].pass == 0 && fabs(l.rows[k].value - 0.45) < 1e-6)
            found++;
    assert_int_equal(found, 3);
    /* Prop. 3(a) fails too. */
    assert_int_equal(ts_check_claim("prop3a", &o, &l, &e), TS_OK);
    assert_true(failures(&l, "prop3a") > 0);
    ts_claim_list_free(&l);
}

/* `truthful` (Def. 2) tests exactly its subjects: ours passes at m = 1
 * and 3, the absolute-loss rule fails at both with |r* - q| = 0.45 (its
 * best response is extreme), and no subjects give no rows. */
static void truthful_tests_its_subjects(void **unused)
{
    (void)unused;
    ts_mechanism_type bad = make_abs();
    bad.name = "abs";
    const ts_mechanism_type *subj[] = {&ts_mech_ours, &bad, NULL};
    ts_check_opts o = {1, 1, NULL, NULL, subj};
    ts_claim_list l = {0, 0, NULL};
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_check_claim("truthful", &o, &l, &e), TS_OK);
    assert_int_equal(l.n, 8); /* 2 mechanisms x m = 1, 3 x 2 utilities */
    int ours_pass = 0, abs_fail = 0;
    for (int k = 0; k < l.n; k++) {
        const ts_claim_row *r = &l.rows[k];
        ours_pass += !strcmp(r->mechanism, "ours") && r->pass == 1;
        abs_fail += !strcmp(r->mechanism, "abs") && r->pass == 0 &&
                    fabs(r->value - 0.45) < 1e-6;
    }
    assert_int_equal(ours_pass, 2);
    assert_int_equal(abs_fail, 2);
    ts_claim_list_free(&l);
    ts_check_opts none = {1, 1, NULL, NULL, NULL};
    assert_int_equal(ts_check_claim("truthful", &none, &l, &e), TS_OK);
    assert_int_equal(l.n, 0);
    ts_claim_list_free(&l);
}

static void registered_ours_passes(void **unused)
{
    (void)unused;
    ts_check_opts o = {1, 0.25, NULL, NULL, NULL};
    ts_claim_list l = {0, 0, NULL};
    ts_err e;
    ts_err_clear(&e);
    const char *ids[] = {"prop1", "prop3a", "prop4", "lemma2", "lemma4", "lemma1"};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        assert_int_equal(ts_check_claim(ids[k], &o, &l, &e), TS_OK);
        assert_int_equal(failures(&l, ids[k]), 0);
    }
    assert_true(l.n > 20);
    ts_claim_list_free(&l);
}

/* Freeman et al.: WSU and WSU-UX are truthful for a worker who maximises
 * his next share -- r* = q to 1e-6 on every q of the grid -- and the rows
 * name both mechanisms under both utilities. */
static void wsu_truthful_under_share(void **unused)
{
    (void)unused;
    ts_check_opts o = {1, 1, NULL, NULL, NULL};
    ts_claim_list l = {0, 0, NULL};
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_check_claim("wsu_ic", &o, &l, &e), TS_OK);
    assert_int_equal(failures(&l, "wsu_ic"), 0);
    int share = 0, weight = 0, limited = 0;
    for (int k = 0; k < l.n; k++) {
        const ts_claim_row *r = &l.rows[k];
        share += r->pass == 1 && strstr(r->statistic, "share utility") != NULL;
        weight += r->pass == -1 && strstr(r->statistic, "weight utility") != NULL;
        limited += !strcmp(r->mechanism, "wsu(limited)");
        assert_true(r->value <= 1e-6);
    }
    assert_int_equal(share, 4);  /* m = 1, 3, 20 full; m = 1 limited */
    assert_int_equal(weight, 4); /* findings beside them */
    assert_int_equal(limited, 2);
    ts_claim_list_free(&l);
}

/* The table (claims.c): the thirteen ids of SPEC §5 in the order `truthsim
 * check` runs them, each once, each with a function; then `truthful`,
 * which tests the mechanisms `check --mechanism` names. */
static void claim_table(void **unused)
{
    (void)unused;
    static const char *const want[] = {"prop1", "prop3a", "prop4", "lemma2",
        "lemma4", "lemma1", "wsu_ic", "eps_truthful", "thm1", "thm2", "prop2",
        "prop3b", "drift", "truthful"};
    const int n = (int)(sizeof want / sizeof want[0]);
    int k = 0;
    for (; ts_claims[k].id; k++) {
        assert_true(k < n);
        assert_string_equal(ts_claims[k].id, want[k]);
        assert_non_null(ts_claims[k].run);
    }
    assert_int_equal(k, n);
}

static void unknown_claim(void **unused)
{
    (void)unused;
    ts_check_opts o = {1, 1, NULL, NULL, NULL};
    ts_claim_list l = {0, 0, NULL};
    ts_err e;
    ts_err_clear(&e);
    assert_int_equal(ts_check_claim("prop9", &o, &l, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "unknown claim 'prop9'"));
    assert_non_null(strstr(e.msg, "prop1"));
    ts_claim_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prop1_fails_for_absolute_loss),
        cmocka_unit_test(registered_ours_passes),
        cmocka_unit_test(wsu_truthful_under_share),
        cmocka_unit_test(truthful_tests_its_subjects),
        cmocka_unit_test(claim_table),
        cmocka_unit_test(unknown_claim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

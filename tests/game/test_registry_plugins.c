/* test_registry_plugins.c -- the registry (game/registry.h) with plugins
 * built from tests/game/plugin_fixture.c, whose paths meson passes in
 * TS_FIXTURE_{OK,DUP,BROKEN,NOSYM,OLDAPI}.
 *
 * Known answers: with the `oracle` population (q = p in {0,1}) and the
 * `halfway` strategy (r = (q + 1/2)/2, so r = 1/4 or 3/4), the `uniform`
 * mechanism's label is r itself and every slot's loss is (1/4)^2 =
 * 0.0625 exactly, so the platform's loss over T slots is 0.0625 T.  In
 * the end-to-end loop (src/e2e) the oracle's prompt texts drive a round:
 * truthful reports are the truths, so every label is right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "e2e/e2e.h"
#include "engine/engine.h"
#include "experiment/experiment.h"
#include "game/registry.h"

static const char *fixture(const char *which)
{
    const char *p = getenv(which);
    assert_non_null(p);
    return p;
}

static void builtins_only(void **unused)
{
    (void)unused;
    ts_err e;
    ts_err_clear(&e);
    ts_registry *r = ts_registry_new(&e);
    assert_non_null(r);
    assert_int_equal(r->n_plugins, 0);
    assert_non_null(ts_registry_mechanism(r, "ours", TS_LIMITED, &e));
    assert_null(ts_registry_mechanism(r, "uniform", TS_FULL, &e));
    assert_non_null(strstr(e.msg, "unknown full-feedback mechanism 'uniform' "
                                  "(valid: ours, hedge"));
    /* NULL: the built-ins, as ts_mechanism_find has them. */
    assert_ptr_equal(ts_registry_mechanism(NULL, "hedge", TS_FULL, &e),
                     ts_registry_mechanism(r, "hedge", TS_FULL, &e));
    char prov[64];
    assert_int_equal(ts_registry_provenance(r, prov, sizeof prov), 0);
    assert_string_equal(prov, "");
    ts_registry_free(r);
}

static void load_and_look_up(void **unused)
{
    (void)unused;
    ts_err e;
    ts_err_clear(&e);
    ts_registry *r = ts_registry_new(&e);
    const int nm = r->n_mech, np = r->n_pop, ns = r->n_strat;
    assert_int_equal(ts_registry_load(r, fixture("TS_FIXTURE_OK"), &e), TS_OK);
    assert_int_equal(r->n_mech, nm + 1);
    assert_int_equal(r->n_pop, np + 1);
    assert_int_equal(r->n_strat, ns + 1);
    const ts_mechanism_type *mt = ts_registry_mechanism(r, "uniform", TS_FULL, &e);
    assert_non_null(mt);
    assert_null(ts_registry_mechanism(r, "uniform", TS_LIMITED, &e));
    assert_non_null(ts_registry_population(r, "oracle", &e));
    assert_non_null(ts_registry_strategy(r, "halfway", &e));
    assert_ptr_equal(ts_registry_origin(r, 0, nm), &r->plugin[0]);
    assert_null(ts_registry_origin(r, 0, nm - 1));
    /* The same file again: nothing added. */
    assert_int_equal(ts_registry_load(r, fixture("TS_FIXTURE_OK"), &e), TS_OK);
    assert_int_equal(r->n_plugins, 1);
    assert_int_equal(r->n_mech, nm + 1);
    char prov[2048];
    assert_int_equal(ts_registry_provenance(r, prov, sizeof prov), 0);
    assert_non_null(strstr(prov, " sha256:"));
    assert_int_equal(strlen(strstr(prov, " sha256:")), 8 + 64);
    assert_int_equal(ts_registry_provenance(r, prov, 10), -1);
    ts_registry_free(r);
}

static void refusals(void **unused)
{
    (void)unused;
    ts_err e;
    ts_err_clear(&e);
    ts_registry *r = ts_registry_new(&e);
    const int nm = r->n_mech, np = r->n_pop;
    const char *dup = fixture("TS_FIXTURE_DUP");
    assert_int_equal(ts_registry_load(r, dup, &e), TS_EINPUT);
    assert_non_null(strstr(e.msg, "population 'bands' is already registered"));
    assert_memory_equal(e.msg, dup, strlen(dup));
    /* All or nothing: its new mechanism was not kept either. */
    assert_int_equal(r->n_mech, nm);
    assert_int_equal(r->n_pop, np);
    assert_int_equal(r->n_plugins, 0);
    assert_null(ts_registry_mechanism(r, "dup_mech", TS_FULL, &e));
    ts_err_clear(&e);
    assert_int_equal(ts_registry_load(r, fixture("TS_FIXTURE_BROKEN"), &e),
                     TS_EINPUT);
    assert_non_null(strstr(e.msg, "mechanism 0 ('uniform') lacks a function"));
    ts_err_clear(&e);
    assert_int_equal(ts_registry_load(r, fixture("TS_FIXTURE_NOSYM"), &e),
                     TS_EINPUT);
    assert_non_null(strstr(e.msg, "not a truthsim plugin (no 'ts_plugin' symbol)"));
    ts_err_clear(&e);
    /* Built before populations had prompt_text: its vtables are shorter. */
    assert_int_equal(ts_registry_load(r, fixture("TS_FIXTURE_OLDAPI"), &e),
                     TS_EINPUT);
    assert_non_null(strstr(e.msg, "plugin API version 1, this truthsim has 2"));
    ts_err_clear(&e);
    assert_int_not_equal(ts_registry_load(r, "/no/such/plugin.so", &e), TS_OK);
    assert_non_null(strstr(e.msg, "/no/such/plugin.so"));
    assert_int_equal(r->n_mech, nm);
    ts_registry_free(r);
}

/* The experiment's `plugins:` key, its vtables through the engine. */
static void experiment_runs_plugin(void **unused)
{
    (void)unused;
    char text[1024];
    snprintf(text, sizeof text,
             "name: fx\nplugins: [%s]\npopulation: oracle\nstrategy: halfway\n"
             "mechanisms: [uniform, ours]\nN: 3\nm: 2\nT: 40\nreplicas: 4\n"
             "seed: 5\n", fixture("TS_FIXTURE_OK"));
    ts_err e;
    ts_err_clear(&e);
    ts_experiment *x = NULL;
    /* Without a registry the key is refused, naming it. */
    assert_int_equal(ts_experiment_load(&x, "fx.yaml", text, 0, NULL, &e),
                     TS_EINPUT);
    assert_non_null(strstr(e.msg, "fx.yaml:2:"));
    assert_non_null(strstr(e.msg, "'plugins' needs a registry"));
    ts_registry *r = ts_registry_new(&e);
    ts_err_clear(&e);
    assert_int_equal(ts_experiment_load_reg(&x, "fx.yaml", text, 0, NULL, r, &e),
                     TS_OK);
    assert_int_equal(r->n_plugins, 1);
    ts_point pt;
    ts_point_result res;
    assert_int_equal(ts_experiment_point(x, 0, &pt, &e), TS_OK);
    assert_int_equal(ts_point_result_alloc(&res, x, &pt, &e), TS_OK);
    ts_run_opts o = {1, NULL, NULL, NULL, 0};
    assert_int_equal(ts_engine_run_point(x, &pt, &o, &res, &e), TS_OK);
    for (long k = 0; k < res.R; k++) {
        assert_int_equal(res.status[k], TS_OK);
        assert_true(res.loss[k] == 0.0625 * 40); /* cell 0: uniform */
    }
    ts_point_result_free(&res);
    ts_experiment_free(x);
    ts_registry_free(r);
}

/* A plugin's population drives the end-to-end loop through its prompt
 * texts, with the plugin's mechanism aggregating. */
static void e2e_runs_plugin_population(void **unused)
{
    (void)unused;
    ts_err e;
    ts_err_clear(&e);
    ts_registry *r = ts_registry_new(&e);
    assert_int_equal(ts_registry_load(r, fixture("TS_FIXTURE_OK"), &e), TS_OK);
    ts_e2e_config c;
    memset(&c, 0, sizeof c);
    c.pop = ts_registry_population(r, "oracle", &e);
    c.mech = ts_registry_mechanism(r, "uniform", TS_FULL, &e);
    c.strat = ts_registry_strategy(r, "truthful", &e);
    assert_non_null(c.pop);
    assert_non_null(c.pop->prompt_text);
    assert_non_null(c.mech);
    assert_non_null(c.strat);
    c.N = 3;
    c.m = 8;
    c.m_test = 4;
    c.T = 2;
    c.seed = 2;
    assert_int_equal(ts_dpo_preset_config("small", &c.model, &e), TS_OK);
    ts_dpo_options_default(&c.dpo);
    c.dpo.epochs = 1;
    c.nthreads = 1;
    ts_e2e_round out[2];
    if (ts_e2e_run(&c, out, NULL, &e))
        fail_msg("%s", e.msg);
    for (int t = 0; t < 2; t++) {
        assert_true(out[t].label_accuracy == 1.0);
        assert_true(out[t].label_mse == 0.0);
    }
    ts_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtins_only),
        cmocka_unit_test(load_and_look_up),
        cmocka_unit_test(refusals),
        cmocka_unit_test(experiment_runs_plugin),
        cmocka_unit_test(e2e_runs_plugin_population),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* e2e_exp.c -- reading an end-to-end experiment file (e2e_exp.h): the
 * project's YAML stage (experiment/yaml.c, so positions and `--set` work
 * as for `truthsim run`), then this experiment's own keys. */
#include "e2e/e2e_exp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/readfile.h"
#include "experiment/experiment_impl.h"
#include "games/games.h"
#include "games/spectrum.h"
#include "strategies/strategies.h"

static const char *const keys[] = {
    "kind", "name", "description", "population", "feedback", "mechanisms",
    "mechanism", "strategies", "strategy", "preset", "N", "m", "m_test",
    "rounds", "replicas", "seed", "epsilon", "restart", "init", "dpo.beta",
    "dpo.lr", "dpo.batch", "dpo.epochs", "dpo.lora_rank", "dpo.lora_alpha",
    "dpo.lora_dropout", "data", NULL,
};

void ts_e2e_exp_free(ts_e2e_exp *x)
{
    if (!x)
        return;
    free(x->path);
    free(x->source);
    ts_spectrum_set_free(x->set);
    free(x->canonical);
    free(x);
}

static int bad(const ts_experiment *y, const ts_value *v, ts_err *e,
               const char *what)
{
    char where[400];
    ts_value_where(y, v, where, sizeof where);
    return TS_ERROR(e, TS_EINPUT, "%s'%s' %s", where, v->key, what);
}

/* A single number in [lo, hi] (integer if asked), or the default d. */
static int num(const ts_experiment *y, const char *key, double lo, double hi,
               int integer, double d, double *out, ts_err *e)
{
    const ts_value *v = ts_experiment_value(y, key);
    *out = d;
    if (!v)
        return TS_OK;
    if (v->kind == TS_VAL_STR || v->is_list || v->n != 1)
        return bad(y, v, e, "must be a single number");
    double x = v->v[0];
    if (x < lo || x > hi || (integer && x != floor(x))) {
        char msg[160];
        snprintf(msg, sizeof msg, "= %g must be %s in [%g, %g]", x,
                 integer ? "an integer" : "a number", lo, hi);
        return bad(y, v, e, msg);
    }
    *out = x;
    return TS_OK;
}

/* Names of a list key (or of its singular form); d when neither given. */
static int names(const ts_experiment *y, const char *key, const char *one,
                 const char *d, char out[TS_E2E_MAX][32], int *n, ts_err *e)
{
    const ts_value *v = ts_experiment_value(y, key);
    if (!v && one)
        v = ts_experiment_value(y, one);
    *n = 0;
    if (!v) {
        snprintf(out[(*n)++], 32, "%s", d);
        return TS_OK;
    }
    if (v->kind != TS_VAL_STR || v->rows)
        return bad(y, v, e, "must be a name or a list of names");
    if (v->n > TS_E2E_MAX)
        return bad(y, v, e, "has more than 16 entries");
    for (int k = 0; k < v->n; k++)
        snprintf(out[(*n)++], 32, "%s", v->s[k]);
    return TS_OK;
}

static int check_keys(const ts_experiment *y, const ts_e2e_exp *x, ts_err *e)
{
    for (int k = 0; k < y->n_vals; k++) {
        const ts_value *v = &y->vals[k];
        int ok = 0;
        for (int i = 0; keys[i] && !ok; i++)
            ok = !strcmp(keys[i], v->key);
        const char *dot = strchr(v->key, '.');
        if (!ok && dot)
            ok = !strncmp(v->key, x->pop->name, (size_t)(dot - v->key)) &&
                 strlen(x->pop->name) == (size_t)(dot - v->key);
        for (int i = 0; !ok && dot && i < x->n_mech; i++)
            ok = !strncmp(v->key, x->mech[i]->name, (size_t)(dot - v->key)) &&
                 strlen(x->mech[i]->name) == (size_t)(dot - v->key);
        for (int i = 0; !ok && dot && i < x->n_strat; i++)
            ok = !strncmp(v->key, x->strat[i]->name, (size_t)(dot - v->key)) &&
                 strlen(x->strat[i]->name) == (size_t)(dot - v->key);
        if (!ok)
            return bad(y, v, e, "is not a key of an e2e experiment (kind, "
                       "name, description, population, feedback, mechanisms, "
                       "strategies, preset, N, m, m_test, rounds, replicas, "
                       "seed, epsilon, restart, init, data, dpo.*, "
                       "MECH.KEY, STRATEGY.KEY, POPULATION.KEY)");
    }
    return TS_OK;
}

/* MECH.KEY, STRATEGY.KEY and POPULATION.KEY into their owners' params. */
static int owner_params(const ts_experiment *y, const char *name,
                        const ts_owner *o, ts_params *p, ts_err *e)
{
    ts_params_init(p, o->n_params);
    const size_t n = strlen(name);
    for (int k = 0; k < y->n_vals; k++) {
        const ts_value *v = &y->vals[k];
        if (strncmp(v->key, name, n) || v->key[n] != '.')
            continue;
        if (v->kind != TS_VAL_NUM || v->is_list || v->n != 1)
            return bad(y, v, e, "must be a single number");
        char where[400];
        ts_value_where(y, v, where, sizeof where);
        ts_err sub;
        if (ts_params_set(p, o->params, o->n_params, v->key + n + 1, v->v[0],
                          &sub))
            return TS_ERROR(e, TS_EINPUT, "%s%s", where, sub.msg);
    }
    return TS_OK;
}

/* The population: a built-in with prompt texts (game.h), or deepsense,
 * which is not in the registry (it needs `data`). */
static int population(const ts_experiment *y, ts_e2e_exp *x, ts_err *e)
{
    const ts_value *v = ts_experiment_value(y, "population");
    x->pop = &ts_pop_spectrum;
    if (!v)
        return TS_OK;
    if (v->kind != TS_VAL_STR || v->is_list)
        return bad(y, v, e, "must be a population's name");
    ts_err sub;
    x->pop = !strcmp(v->s[0], ts_pop_deepsense.name)
                 ? &ts_pop_deepsense
                 : ts_population_find(v->s[0], &sub);
    if (!x->pop)
        return bad(y, v, e, sub.msg);
    if (!x->pop->prompt_text) {
        char msg[200];
        snprintf(msg, sizeof msg, "= %s: a population without prompt texts "
                 "(prompt_text, game.h) cannot drive the e2e loop; spectrum "
                 "and deepsense have them", x->pop->name);
        return bad(y, v, e, msg);
    }
    return TS_OK;
}

static int load_lists(const ts_experiment *y, ts_e2e_exp *x, ts_err *e)
{
    char nm[TS_E2E_MAX][32];
    const ts_value *v = ts_experiment_value(y, "feedback");
    x->feedback = TS_FULL;
    if (v && (v->kind != TS_VAL_STR || v->is_list ||
              (strcmp(v->s[0], "full") && strcmp(v->s[0], "limited"))))
        return bad(y, v, e, "must be full or limited");
    if (v && !strcmp(v->s[0], "limited"))
        x->feedback = TS_LIMITED;
    int rc = population(y, x, e);
    if (!rc)
        rc = names(y, "mechanisms", "mechanism", "ours", nm, &x->n_mech, e);
    for (int k = 0; !rc && k < x->n_mech; k++) {
        ts_err sub;
        x->mech[k] = ts_mechanism_find(nm[k], x->feedback, &sub);
        if (!x->mech[k])
            rc = bad(y, ts_experiment_value(y, "mechanisms"), e, sub.msg);
    }
    if (!rc)
        rc = names(y, "strategies", "strategy", "truthful", nm, &x->n_strat, e);
    for (int k = 0; !rc && k < x->n_strat; k++) {
        ts_err sub;
        x->strat[k] = ts_strategy_find(nm[k], &sub);
        if (!x->strat[k])
            rc = bad(y, ts_experiment_value(y, "strategies"), e, sub.msg);
    }
    if (!rc)
        rc = names(y, "preset", NULL, "small", x->preset, &x->n_preset, e);
    for (int k = 0; !rc && k < x->n_preset; k++) {
        ts_dpo_config cfg;
        ts_err sub;
        if (ts_dpo_preset_config(x->preset[k], &cfg, &sub))
            rc = bad(y, ts_experiment_value(y, "preset"), e, sub.msg);
    }
    if (rc)
        return rc;
    v = ts_experiment_value(y, "N");
    x->n_N = 1;
    x->Ns[0] = 5;
    if (v) {
        if (v->kind != TS_VAL_NUM || v->rows || v->n > TS_E2E_MAX)
            return bad(y, v, e, "must be a number or a list of up to 16");
        x->n_N = v->n;
        for (int k = 0; k < v->n; k++) {
            if (v->v[k] < 2 || v->v[k] > 1000 || v->v[k] != floor(v->v[k]))
                return bad(y, v, e, "must hold integers in [2, 1000]");
            x->Ns[k] = (long)v->v[k];
        }
    }
    return TS_OK;
}

static int load_scalars(const ts_experiment *y, ts_e2e_exp *x, ts_err *e)
{
    double d[14];
    ts_dpo_options_default(&x->dpo);
    int rc = num(y, "m", 1, 4096, 1, 32, &d[0], e);
    if (!rc) rc = num(y, "m_test", 1, 65536, 1, 64, &d[1], e);
    if (!rc) rc = num(y, "rounds", 1, 1e6, 1, 20, &d[2], e);
    if (!rc) rc = num(y, "replicas", 1, 1e6, 1, 3, &d[3], e);
    if (!rc) rc = num(y, "seed", 0, 4294967295.0, 1, 1, &d[4], e);
    if (!rc) rc = num(y, "epsilon", 0, 0.499999, 0, 0, &d[5], e);
    if (!rc) rc = num(y, "restart", 0, 1, 1, 0, &d[6], e);
    if (!rc) rc = num(y, "dpo.beta", 1e-9, 1e6, 0, x->dpo.beta, &d[7], e);
    if (!rc) rc = num(y, "dpo.lr", 1e-12, 10, 0, x->dpo.adamw.lr, &d[8], e);
    if (!rc) rc = num(y, "dpo.batch", 1, 4096, 1, x->dpo.batch_size, &d[9], e);
    if (!rc) rc = num(y, "dpo.epochs", 1, 1000, 1, x->dpo.epochs, &d[10], e);
    if (!rc) rc = num(y, "dpo.lora_rank", 1, 1024, 1, x->dpo.lora_rank, &d[11], e);
    if (!rc) rc = num(y, "dpo.lora_alpha", 1e-9, 1e6, 0, x->dpo.lora_alpha, &d[12], e);
    if (!rc) rc = num(y, "dpo.lora_dropout", 0, 0.99, 0, x->dpo.lora_dropout, &d[13], e);
    if (rc)
        return rc;
    x->m = (int)d[0];
    x->m_test = (int)d[1];
    x->rounds = (long)d[2];
    x->replicas = (long)d[3];
    x->seed = (uint64_t)d[4];
    x->epsilon = d[5];
    x->restart = (int)d[6];
    x->dpo.beta = d[7];
    x->dpo.adamw.lr = d[8];
    x->dpo.batch_size = (int)d[9];
    x->dpo.epochs = (int)d[10];
    x->dpo.lora_rank = (int)d[11];
    x->dpo.lora_alpha = d[12];
    x->dpo.lora_dropout = d[13];
    const ts_value *v = ts_experiment_value(y, "init");
    if (v && (v->kind != TS_VAL_STR || v->is_list))
        return bad(y, v, e, "must be the path of an llm.c checkpoint");
    if (v)
        snprintf(x->init, sizeof x->init, "%s", v->s[0]);
    const char *sk[2] = {"name", "description"};
    char *dst[2] = {x->name, x->description};
    size_t len[2] = {sizeof x->name, sizeof x->description};
    for (int k = 0; k < 2; k++) {
        v = ts_experiment_value(y, sk[k]);
        if (v && (v->kind != TS_VAL_STR || v->is_list))
            return bad(y, v, e, "must be a string");
        snprintf(dst[k], len[k], "%s", v ? v->s[0] : "e2e");
    }
    ts_err sub;
    if (ts_dpo_options_check(&x->dpo, &sub))
        return TS_ERROR(e, TS_EINPUT, "%s: %s", y->path, sub.msg);
    return TS_OK;
}

/* `data: DIR`, the DeepSense files deepsense replays, read once here so a
 * bad file stops the run before any task (messages name the file). */
static int load_data(const ts_experiment *y, ts_e2e_exp *x, ts_err *e)
{
    const ts_value *v = ts_experiment_value(y, "data");
    const int wants = x->pop == &ts_pop_deepsense;
    if (v && (v->kind != TS_VAL_STR || v->is_list))
        return bad(y, v, e, "must be the path of a directory of DeepSense "
                   "files (MASK_dayD.bin)");
    if (v && !wants)
        return bad(y, v, e, "is for population deepsense only");
    if (!v && wants)
        return bad(y, ts_experiment_value(y, "population"), e,
                   "= deepsense needs 'data: DIR', a directory of DeepSense "
                   "files (MASK_dayD.bin)");
    if (!v)
        return TS_OK;
    snprintf(x->data, sizeof x->data, "%s", v->s[0]);
    ts_err sub;
    if (ts_spectrum_set_load(&x->set, x->data, TS_E2E_DATA_MAX_BYTES, &sub))
        return bad(y, v, e, sub.msg);
    return TS_OK;
}

/* Every (mechanism, N) and (strategy, N) resolves: preconditions fail now. */
static int check_owners(const ts_e2e_exp *x, ts_err *e)
{
    for (int n = 0; n < x->n_N; n++) {
        ts_shape g = {(int)x->Ns[n], x->m > x->m_test ? x->m : x->m_test,
                      x->rounds, x->feedback};
        for (int k = 0; k < x->n_mech; k++) {
            ts_mech mm;
            int rc = ts_mech_alloc(&mm, x->mech[k], &g, &x->mech_par[k], e);
            if (rc)
                return rc;
            ts_mech_free(&mm);
        }
        ts_pop pp;
        int rc = ts_pop_alloc(&pp, x->pop, &g, &x->pop_par, e);
        if (rc)
            return rc;
        ts_pop_free(&pp);
        for (int s = 0; s < x->n_strat; s++) {
            ts_params p = x->strat_par[s];
            rc = ts_owner_resolve(&x->strat[s]->owner, &g, &p, e);
            if (rc)
                return rc;
        }
    }
    return TS_OK;
}

int ts_e2e_text_is(const char *path, const char *text)
{
    ts_err e;
    size_t flen;
    ts_experiment *y = calloc(1, sizeof *y);
    if (!y)
        return 0;
    y->path = strdup(path);
    y->source = text ? strdup(text) : ts_read_file(path, &flen, &e);
    int is = 0;
    if (y->path && y->source && !ts_yaml_load_text(y, &e)) {
        const ts_value *v = ts_experiment_value(y, "kind");
        is = v && v->kind == TS_VAL_STR && !v->is_list && !strcmp(v->s[0], "e2e");
    }
    ts_experiment_free(y);
    return is;
}

int ts_e2e_file_is(const char *path)
{
    return ts_e2e_text_is(path, NULL);
}

int ts_e2e_exp_load(ts_e2e_exp **out, const char *path, int n_set,
                    char *const *set, ts_err *e)
{
    return ts_e2e_exp_load_text(out, path, NULL, n_set, set, e);
}

int ts_e2e_exp_load_text(ts_e2e_exp **out, const char *path, const char *text,
                         int n_set, char *const *set, ts_err *e)
{
    *out = NULL;
    ts_e2e_exp *x = calloc(1, sizeof *x);
    ts_experiment *y = calloc(1, sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    size_t flen;
    y->path = strdup(path);
    if (text)
        y->source = strdup(text);
    else
        y->source = ts_read_file(path, &flen, e);
    int rc = y->path && y->source ? TS_OK
             : !text && !y->source ? e->code /* ts_read_file said why */
             : TS_ERROR(e, TS_ENOMEM, "out of memory");
    if (!rc)
        rc = ts_yaml_load_text(y, e);
    for (int k = 0; !rc && k < n_set; k++)
        rc = ts_yaml_apply_set(y, set[k], e);
    if (!rc)
        rc = load_lists(y, x, e);
    if (!rc)
        rc = check_keys(y, x, e);
    for (int k = 0; !rc && k < x->n_mech; k++)
        rc = owner_params(y, x->mech[k]->name, &x->mech[k]->owner,
                          &x->mech_par[k], e);
    for (int k = 0; !rc && k < x->n_strat; k++)
        rc = owner_params(y, x->strat[k]->name, &x->strat[k]->owner,
                          &x->strat_par[k], e);
    if (!rc)
        rc = owner_params(y, x->pop->name, &x->pop->owner, &x->pop_par, e);
    if (!rc)
        rc = load_scalars(y, x, e);
    if (!rc)
        rc = check_owners(x, e);
    if (!rc)
        rc = load_data(y, x, e);
    if (!rc) {
        size_t n = strlen(y->source) + 2;
        for (int k = 0; k < n_set; k++)
            n += strlen(set[k]) + 16;
        x->path = strdup(path);
        x->source = malloc(n);
        x->canonical = ts_experiment_canonical(y);
        if (!x->path || !x->source || !x->canonical)
            rc = TS_ERROR(e, TS_ENOMEM, "out of memory");
        else {
            strcpy(x->source, y->source);
            for (int k = 0; k < n_set; k++) {
                strcat(x->source, "\n# --set ");
                strcat(x->source, set[k]);
            }
        }
    }
    ts_experiment_free(y);
    if (rc) {
        ts_e2e_exp_free(x);
        return rc;
    }
    *out = x;
    return TS_OK;
}

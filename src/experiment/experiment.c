/* experiment.c -- load, override, check and enumerate an experiment.
 * See experiment.h for the rules; SPEC §7.2 for the keys. */
#include "experiment/experiment.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "games/games.h"
#include "strategies/strategies.h"

/* The engine's own keys; everything else is a parameter some vtable of the
 * experiment declares. */
static const char *const engine_keys[] = {
    "name", "description", "feedback", "population", "mechanisms",
    "mechanism", "strategy", "strategies", "N", "m", "m_min", "T", "epsilon", "replicas",
    "seed", "trajectory", "utility", "gain_axis", NULL,
};

/* Numeric engine keys that may be axes, in enumeration order. */
static const char *const axis_keys[] = {"N", "m", "T", "epsilon", NULL};

const char ts_default_experiment[] =
    "# The embedded default of `truthsim run`: the paper's Fig. 7 (Sec. VII-A)\n"
    "# at a reduced replica count.  experiments/fig7.yaml has the full one.\n"
    "name: fig7-default\n"
    "description: \"Fig. 7: time-average regret of em, hedge, median and ours, full feedback, N = 50\"\n"
    "feedback: full\n"
    "population: bands\n"
    "N: 50\n"
    "m: 20\n"
    "T: [100, 200, 500, 1000, 2000, 5000]\n"
    "epsilon: 0\n"
    "mechanisms: [em, hedge, median, ours]\n"
    "strategy: truthful\n"
    "replicas: 20\n"
    "seed: 1\n";

/* ------------------------------------------------------------------ */
/* Values                                                              */

static void value_free(ts_value *v)
{
    free(v->v);
    if (v->s)
        for (int k = 0; k < v->n; k++)
            free(v->s[k]);
    free(v->s);
    memset(v, 0, sizeof *v);
}

void ts_experiment_free(ts_experiment *x)
{
    if (!x)
        return;
    for (int k = 0; k < x->n_vals; k++)
        value_free(&x->vals[k]);
    free(x->path);
    free(x->source);
    free(x->overrides);
    free(x);
}

const ts_value *ts_experiment_value(const ts_experiment *x, const char *key)
{
    for (int k = 0; k < x->n_vals; k++)
        if (strcmp(x->vals[k].key, key) == 0)
            return &x->vals[k];
    return NULL;
}

void ts_value_where(const ts_experiment *x, const ts_value *v, char *buf,
                    size_t len)
{
    if (!v)
        snprintf(buf, len, "%s: ", x->path);
    else if (v->line > 0)
        snprintf(buf, len, "%s:%d:%d: ", x->path, v->line, v->col);
    else
        snprintf(buf, len, "%s: ", v->origin);
}

static int parse_number(const char *s, double *out)
{
    if (!*s)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE)
        return 0;
    /* strtod accepts "nan", "inf" and hex; experiments never mean those. */
    for (const char *c = s; *c; c++)
        if (isalpha((unsigned char)*c) && *c != 'e' && *c != 'E')
            return 0;
    *out = d;
    return 1;
}

static int parse_bool(const char *s, int *out)
{
    if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) {
        *out = 1;
        return 1;
    }
    if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")) {
        *out = 0;
        return 1;
    }
    return 0;
}

typedef struct yaml_ctx {
    yaml_document_t *doc;
    const char *where; /* path, or "--set K=V" */
    int line_offset;   /* 0 for --set values: no line numbers */
} yaml_ctx;

static void mark_where(const yaml_ctx *c, const yaml_node_t *n, char *buf,
                       size_t len)
{
    if (c->line_offset)
        snprintf(buf, len, "%s:%d:%d: ", c->where, (int)n->start_mark.line + 1,
                 (int)n->start_mark.column + 1);
    else
        snprintf(buf, len, "%s: ", c->where);
}

static int push_num(ts_value *v, double d, ts_err *e)
{
    double *nv = realloc(v->v, (size_t)(v->n + 1) * sizeof *nv);
    if (!nv)
        return TS_ERROR(e, TS_ENOMEM, "out of memory reading the experiment");
    v->v = nv;
    v->v[v->n++] = d;
    return TS_OK;
}

static int push_str(ts_value *v, const char *s, ts_err *e)
{
    char **ns = realloc(v->s, (size_t)(v->n + 1) * sizeof *ns);
    if (!ns)
        return TS_ERROR(e, TS_ENOMEM, "out of memory reading the experiment");
    v->s = ns;
    v->s[v->n] = strdup(s);
    if (!v->s[v->n])
        return TS_ERROR(e, TS_ENOMEM, "out of memory reading the experiment");
    v->n++;
    return TS_OK;
}

/* One scalar into v (which fixes v->kind on first use). */
static int add_scalar(const yaml_ctx *c, yaml_node_t *n, ts_value *v,
                      int first, ts_err *e)
{
    char where[400];
    const char *s = (const char *)n->data.scalar.value;
    int plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    double d;
    int b;
    ts_val_kind kind = TS_VAL_STR;
    if (plain && parse_number(s, &d))
        kind = TS_VAL_NUM;
    else if (plain && parse_bool(s, &b))
        kind = TS_VAL_BOOL;
    if (first)
        v->kind = kind;
    else if (kind != v->kind) {
        mark_where(c, n, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT,
                        "%s'%s' mixes numbers and text in one list", where,
                        v->key);
    }
    if (kind == TS_VAL_NUM)
        return push_num(v, d, e);
    if (kind == TS_VAL_BOOL)
        return push_num(v, b, e);
    return push_str(v, s, e);
}

static int convert(const yaml_ctx *c, yaml_node_t *n, ts_value *v, ts_err *e)
{
    char where[400];
    if (n->type == YAML_SCALAR_NODE) {
        if (n->data.scalar.length == 0 &&
            n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
            mark_where(c, n, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT, "%s'%s' has no value", where, v->key);
        }
        return add_scalar(c, n, v, 1, e);
    }
    if (n->type != YAML_SEQUENCE_NODE) {
        mark_where(c, n, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT,
                        "%s'%s' must be a scalar or a list, not a mapping",
                        where, v->key);
    }
    v->is_list = 1;
    int first = 1, inner_len = -1;
    for (yaml_node_item_t *it = n->data.sequence.items.start;
         it < n->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (item->type == YAML_SCALAR_NODE) {
            if (v->rows) {
                mark_where(c, item, where, sizeof where);
                return TS_ERROR(e, TS_EINPUT,
                                "%s'%s' mixes lists and scalars", where, v->key);
            }
            int rc = add_scalar(c, item, v, first, e);
            if (rc)
                return rc;
            first = 0;
            continue;
        }
        if (item->type != YAML_SEQUENCE_NODE || (!first && !v->rows)) {
            mark_where(c, item, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT,
                            "%s'%s' must be a list of numbers or of lists of numbers",
                            where, v->key);
        }
        int len = 0;
        for (yaml_node_item_t *jt = item->data.sequence.items.start;
             jt < item->data.sequence.items.top; jt++, len++) {
            yaml_node_t *x = yaml_document_get_node(c->doc, *jt);
            if (x->type != YAML_SCALAR_NODE) {
                mark_where(c, x, where, sizeof where);
                return TS_ERROR(e, TS_EINPUT, "%s'%s' nests lists too deeply",
                                where, v->key);
            }
            int rc = add_scalar(c, x, v, first, e);
            if (rc)
                return rc;
            first = 0;
            if (v->kind != TS_VAL_NUM) {
                mark_where(c, x, where, sizeof where);
                return TS_ERROR(e, TS_EINPUT,
                                "%s'%s': inner lists must hold numbers", where,
                                v->key);
            }
        }
        if (inner_len >= 0 && len != inner_len) {
            mark_where(c, item, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT,
                            "%s'%s': inner lists must all have the same length",
                            where, v->key);
        }
        inner_len = len;
        v->rows++;
    }
    if (first) {
        mark_where(c, n, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT, "%s'%s' is an empty list", where, v->key);
    }
    return TS_OK;
}

static ts_value *find_mut(ts_experiment *x, const char *key)
{
    for (int k = 0; k < x->n_vals; k++)
        if (strcmp(x->vals[k].key, key) == 0)
            return &x->vals[k];
    return NULL;
}

/* Add key (from node n) to x, or replace it when replace is set. */
static int add_value(ts_experiment *x, const yaml_ctx *c, const char *key,
                     yaml_node_t *kn, yaml_node_t *vn, int replace,
                     const char *origin, ts_err *e)
{
    char where[400];
    if (strlen(key) >= sizeof x->vals[0].key) {
        mark_where(c, kn, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT, "%skey '%.40s...' is too long", where, key);
    }
    ts_value *v = find_mut(x, key);
    if (v && !replace) {
        mark_where(c, kn, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT, "%s'%s' is given twice", where, key);
    }
    if (!v) {
        if (x->n_vals == TS_MAX_VALUES) {
            mark_where(c, kn, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT, "%stoo many keys (at most %d)", where,
                            TS_MAX_VALUES);
        }
        v = &x->vals[x->n_vals++];
    } else {
        value_free(v);
    }
    snprintf(v->key, sizeof v->key, "%s", key);
    if (c->line_offset) {
        v->line = (int)kn->start_mark.line + 1;
        v->col = (int)kn->start_mark.column + 1;
    } else {
        snprintf(v->origin, sizeof v->origin, "%s", origin);
    }
    return convert(c, vn, v, e);
}

/* Top-level mapping -> values.  A mapping value under a key (`hedge: {eta:
 * 3}`) becomes dotted keys (`hedge.eta`). */
static int load_mapping(ts_experiment *x, const yaml_ctx *c, yaml_node_t *map,
                        const char *prefix, int replace, const char *origin,
                        ts_err *e)
{
    char where[400], key[160];
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
        if (kn->type != YAML_SCALAR_NODE) {
            mark_where(c, kn, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT, "%skeys must be plain names", where);
        }
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "",
                 (const char *)kn->data.scalar.value);
        int rc;
        if (vn->type == YAML_MAPPING_NODE) {
            if (*prefix) {
                mark_where(c, vn, where, sizeof where);
                return TS_ERROR(e, TS_EINPUT, "%s'%s' nests mappings too deeply",
                                where, key);
            }
            rc = load_mapping(x, c, vn, key, replace, origin, e);
        } else {
            rc = add_value(x, c, key, kn, vn, replace, origin, e);
        }
        if (rc)
            return rc;
    }
    return TS_OK;
}

static int parse_yaml(ts_experiment *x, const char *text, const char *where,
                      int line_numbers, int replace, const char *origin,
                      const char *set_key, ts_err *e)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return TS_ERROR(e, TS_ENOMEM, "cannot start the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text,
                                 strlen(text));
    if (!yaml_parser_load(&parser, &doc)) {
        int rc;
        if (line_numbers)
            rc = TS_ERROR(e, TS_EINPUT, "%s:%d:%d: YAML syntax error: %s%s%s",
                          where, (int)parser.problem_mark.line + 1,
                          (int)parser.problem_mark.column + 1,
                          parser.problem ? parser.problem : "malformed",
                          parser.context ? " " : "",
                          parser.context ? parser.context : "");
        else
            rc = TS_ERROR(e, TS_EINPUT, "%s: YAML syntax error in the value: %s",
                          where, parser.problem ? parser.problem : "malformed");
        yaml_parser_delete(&parser);
        return rc;
    }
    yaml_parser_delete(&parser);
    yaml_ctx c = {&doc, where, line_numbers};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int rc = TS_OK;
    if (set_key) {
        /* --set KEY=VALUE: VALUE is one YAML node. */
        if (!root) {
            rc = TS_ERROR(e, TS_EINPUT, "%s: no value after '='", where);
        } else if (root->type == YAML_MAPPING_NODE) {
            rc = load_mapping(x, &c, root, set_key, replace, origin, e);
        } else {
            rc = add_value(x, &c, set_key, root, root, replace, origin, e);
        }
    } else if (!root) {
        rc = TS_ERROR(e, TS_EINPUT, "%s: the experiment is empty", where);
    } else if (root->type != YAML_MAPPING_NODE) {
        rc = TS_ERROR(e, TS_EINPUT,
                      "%s:%d:%d: an experiment must be a mapping of keys to values",
                      where, (int)root->start_mark.line + 1,
                      (int)root->start_mark.column + 1);
    } else {
        rc = load_mapping(x, &c, root, "", replace, origin, e);
    }
    yaml_document_delete(&doc);
    return rc;
}

static int apply_set(ts_experiment *x, const char *arg, ts_err *e)
{
    const char *eq = strchr(arg, '=');
    char key[160], origin[96];
    snprintf(origin, sizeof origin, "--set %.88s", arg);
    if (!eq || eq == arg)
        return TS_ERROR(e, TS_EINPUT, "%s: expected KEY=VALUE", origin);
    size_t kl = (size_t)(eq - arg);
    if (kl >= sizeof key)
        return TS_ERROR(e, TS_EINPUT, "%s: key too long", origin);
    memcpy(key, arg, kl);
    key[kl] = '\0';
    return parse_yaml(x, eq + 1, origin, 0, 1, origin, key, e);
}

/* ------------------------------------------------------------------ */
/* Interpretation                                                      */

static char *read_file(const char *path, ts_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        TS_ERROR(e, TS_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (len + 1 < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    if (!buf || ferror(f)) {
        TS_ERROR(e, buf ? TS_EIO : TS_ENOMEM, "%s: cannot read", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[len] = '\0';
    if (memchr(buf, '\0', len)) {
        TS_ERROR(e, TS_EINPUT, "%s: not a text file (contains NUL bytes)", path);
        free(buf);
        return NULL;
    }
    return buf;
}

static int is_engine_key(const char *k)
{
    for (int i = 0; engine_keys[i]; i++)
        if (!strcmp(engine_keys[i], k))
            return 1;
    return 0;
}

static int want_string(const ts_experiment *x, const ts_value *v, int list_ok,
                       ts_err *e)
{
    char where[400];
    ts_value_where(x, v, where, sizeof where);
    if (v->kind != TS_VAL_STR)
        return TS_ERROR(e, TS_EINPUT, "%s'%s' must be %s", where, v->key,
                        list_ok ? "a name or a list of names" : "a name");
    if (v->is_list && !list_ok)
        return TS_ERROR(e, TS_EINPUT, "%s'%s' must be a single name", where,
                        v->key);
    return TS_OK;
}

/* Find which vtable declares a parameter key ("alpha" or "hedge.alpha"). */
static int param_known(const ts_experiment *x, const char *key,
                       unsigned *flags)
{
    const char *dot = strchr(key, '.');
    if (dot) {
        size_t ol = (size_t)(dot - key);
        for (int k = 0; k < x->n_mech; k++)
            if (strlen(x->mech[k]->name) == ol &&
                !strncmp(x->mech[k]->name, key, ol)) {
                int i = ts_param_find(x->mech[k]->params, x->mech[k]->n_params,
                                      dot + 1);
                if (i >= 0) {
                    *flags = x->mech[k]->params[i].flags;
                    return 1;
                }
            }
        for (int k = 0; k < x->n_strat; k++)
            if (strlen(x->strat[k]->name) == ol &&
                !strncmp(x->strat[k]->name, key, ol)) {
                int i = ts_param_find(x->strat[k]->params,
                                      x->strat[k]->n_params, dot + 1);
                if (i >= 0) {
                    *flags = x->strat[k]->params[i].flags;
                    return 1;
                }
            }
        if (strlen(x->pop->name) == ol && !strncmp(x->pop->name, key, ol)) {
            int i = ts_param_find(x->pop->params, x->pop->n_params, dot + 1);
            if (i >= 0) {
                *flags = x->pop->params[i].flags;
                return 1;
            }
        }
        return 0;
    }
    int i = ts_param_find(x->pop->params, x->pop->n_params, key);
    if (i >= 0) {
        *flags = x->pop->params[i].flags;
        return 1;
    }
    for (int k = 0; k < x->n_mech; k++) {
        i = ts_param_find(x->mech[k]->params, x->mech[k]->n_params, key);
        if (i >= 0) {
            *flags = x->mech[k]->params[i].flags;
            return 1;
        }
    }
    for (int k = 0; k < x->n_strat; k++) {
        i = ts_param_find(x->strat[k]->params, x->strat[k]->n_params, key);
        if (i >= 0) {
            *flags = x->strat[k]->params[i].flags;
            return 1;
        }
    }
    return 0;
}

static void list_params(const ts_experiment *x, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
#define ADD_NAMES(spec, n)                                                    \
    for (int i_ = 0; i_ < (n); i_++) {                                        \
        if (strstr(buf, (spec)[i_].name))                                     \
            continue;                                                         \
        int w_ = snprintf(buf + used, len - used, ", %s", (spec)[i_].name);   \
        if (w_ > 0 && (size_t)w_ < len - used)                                \
            used += (size_t)w_;                                               \
    }
    ADD_NAMES(x->pop->params, x->pop->n_params);
    for (int k = 0; k < x->n_mech; k++)
        ADD_NAMES(x->mech[k]->params, x->mech[k]->n_params);
    for (int k = 0; k < x->n_strat; k++)
        ADD_NAMES(x->strat[k]->params, x->strat[k]->n_params);
#undef ADD_NAMES
}

/* Index of strategy t in x->strat, adding it if new; -1 if full. */
static int strat_index(ts_experiment *x, const ts_strategy_type *t)
{
    for (int k = 0; k < x->n_strat; k++)
        if (x->strat[k] == t)
            return k;
    if (x->n_strat == TS_MAX_STRAT)
        return -1;
    x->strat[x->n_strat] = t;
    return x->n_strat++;
}

static int load_strategies(ts_experiment *x, ts_err *e)
{
    char where[400];
    ts_err sub;
    const ts_value *one = ts_experiment_value(x, "strategy");
    const ts_value *axis = ts_experiment_value(x, "strategies");
    if (one && axis) {
        ts_value_where(x, axis, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT,
                        "%sgive 'strategy' (a name, or a list per worker) or "
                        "'strategies' (an axis), not both", where);
    }
    x->n_strat = 0;
    x->n_prof = 0;
    if (!one && !axis) {
        x->strat[x->n_strat++] = &ts_strat_truthful;
        x->n_prof = 1;
        x->prof_len[0] = 1;
        x->prof[0][0] = 0;
    }
    const ts_value *v = one ? one : axis;
    if (v) {
        int rc = want_string(x, v, 1, e);
        if (rc)
            return rc;
        ts_value_where(x, v, where, sizeof where);
        int per_worker = v == one; /* a list under 'strategy' */
        if ((per_worker && v->n > TS_MAX_PROFILE) ||
            (!per_worker && v->n > TS_MAX_STRAT))
            return TS_ERROR(e, TS_EINPUT, "%stoo many entries in '%s' (at most %d)",
                            where, v->key, per_worker ? TS_MAX_PROFILE : TS_MAX_STRAT);
        for (int k = 0; k < v->n; k++) {
            ts_err_clear(&sub);
            const ts_strategy_type *t = ts_strategy_find(v->s[k], &sub);
            if (!t)
                return TS_ERROR(e, TS_EINPUT, "%s%s", where, sub.msg);
            int idx = strat_index(x, t);
            if (idx < 0)
                return TS_ERROR(e, TS_EINPUT, "%sat most %d distinct strategies",
                                where, TS_MAX_STRAT);
            if (per_worker) {
                x->prof[0][k] = (unsigned char)idx;
            } else {
                for (int j = 0; j < x->n_prof; j++)
                    if (x->prof[j][0] == idx)
                        return TS_ERROR(e, TS_EINPUT, "%sstrategy '%s' is listed twice",
                                        where, v->s[k]);
                x->prof[x->n_prof][0] = (unsigned char)idx;
                x->prof_len[x->n_prof++] = 1;
            }
        }
        if (per_worker) {
            x->n_prof = 1;
            x->prof_len[0] = v->n;
        }
        x->strat_is_axis = !per_worker;
    }
    for (int p = 0; p < x->n_prof; p++) {
        x->prof_identity[p] = 1;
        size_t used = 0;
        x->prof_name[p][0] = '\0';
        for (int k = 0; k < x->prof_len[p]; k++) {
            const ts_strategy_type *t = x->strat[x->prof[p][k]];
            x->prof_identity[p] &= t->identity;
            int w = snprintf(x->prof_name[p] + used, sizeof x->prof_name[p] - used,
                             "%s%s", k ? "," : "", t->name);
            if (w > 0 && (size_t)w < sizeof x->prof_name[p] - used)
                used += (size_t)w;
        }
    }
    return TS_OK;
}

static int interpret(ts_experiment *x, ts_err *e)
{
    char where[400];
    const ts_value *v;

    v = ts_experiment_value(x, "name");
    if (v) {
        int rc = want_string(x, v, 0, e);
        if (rc)
            return rc;
        snprintf(x->name, sizeof x->name, "%s", v->s[0]);
    } else {
        /* Name after the file: "experiments/fig7.yaml" -> "fig7". */
        const char *b = strrchr(x->path, '/');
        b = b ? b + 1 : x->path;
        snprintf(x->name, sizeof x->name, "%s", b);
        char *dot = strrchr(x->name, '.');
        if (dot && dot != x->name)
            *dot = '\0';
    }
    v = ts_experiment_value(x, "description");
    if (v && v->kind == TS_VAL_STR && !v->is_list)
        snprintf(x->description, sizeof x->description, "%s", v->s[0]);

    x->feedback = TS_FULL;
    v = ts_experiment_value(x, "feedback");
    if (v) {
        int rc = want_string(x, v, 0, e);
        if (rc)
            return rc;
        if (!strcmp(v->s[0], "limited"))
            x->feedback = TS_LIMITED;
        else if (strcmp(v->s[0], "full")) {
            ts_value_where(x, v, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT,
                            "%sfeedback '%s' must be 'full' or 'limited'", where,
                            v->s[0]);
        }
    }

    v = ts_experiment_value(x, "population");
    const char *pop = "bands";
    if (v) {
        int rc = want_string(x, v, 0, e);
        if (rc)
            return rc;
        pop = v->s[0];
    }
    ts_err sub;
    ts_err_clear(&sub);
    x->pop = ts_population_find(pop, &sub);
    if (!x->pop) {
        ts_value_where(x, v, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT, "%s%s", where, sub.msg);
    }

    const ts_value *mv = ts_experiment_value(x, "mechanisms");
    const ts_value *m1 = ts_experiment_value(x, "mechanism");
    if (mv && m1) {
        ts_value_where(x, m1, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT,
                        "%sgive 'mechanisms' (a list) or 'mechanism', not both",
                        where);
    }
    if (!mv)
        mv = m1;
    if (!mv)
        return TS_ERROR(e, TS_EINPUT,
                        "%s: no 'mechanisms' key: say which mechanisms to run, "
                        "e.g. 'mechanisms: [ours, hedge]'",
                        x->path);
    int rc = want_string(x, mv, 1, e);
    if (rc)
        return rc;
    if (mv->n > TS_MAX_MECH) {
        ts_value_where(x, mv, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT, "%sat most %d mechanisms", where,
                        TS_MAX_MECH);
    }
    for (int k = 0; k < mv->n; k++) {
        ts_err_clear(&sub);
        x->mech[k] = ts_mechanism_find(mv->s[k], x->feedback, &sub);
        if (!x->mech[k]) {
            ts_value_where(x, mv, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT, "%s%s", where, sub.msg);
        }
        for (int j = 0; j < k; j++)
            if (x->mech[j] == x->mech[k]) {
                ts_value_where(x, mv, where, sizeof where);
                return TS_ERROR(e, TS_EINPUT, "%smechanism '%s' is listed twice",
                                where, mv->s[k]);
            }
    }
    x->n_mech = mv->n;

    rc = load_strategies(x, e);
    if (rc)
        return rc;

    /* Scalars that cannot be axes. */
    x->replicas = 100;
    x->seed = 1;
    x->trajectory = 0;
    struct { const char *key; double lo, hi; } scal[] = {
        {"replicas", 1, 1e9}, {"seed", 0, 18446744073709551615.0},
        {"trajectory", 0, 1}, {"utility", 0, 1},
    };
    for (size_t k = 0; k < sizeof scal / sizeof scal[0]; k++) {
        v = ts_experiment_value(x, scal[k].key);
        if (!v)
            continue;
        ts_value_where(x, v, where, sizeof where);
        if (v->is_list || v->kind == TS_VAL_STR || v->n != 1)
            return TS_ERROR(e, TS_EINPUT, "%s'%s' must be a single %s", where,
                            v->key, k >= 2 ? "true or false" : "number");
        double d = v->v[0];
        if (d != floor(d) || d < scal[k].lo || d > scal[k].hi)
            return TS_ERROR(e, TS_EINPUT, "%s'%s' = %g must be an integer in [%g, %g]",
                            where, v->key, d, scal[k].lo, scal[k].hi);
        if (k == 0)
            x->replicas = (long)d;
        else if (k == 1)
            x->seed = (uint64_t)d;
        else if (k == 2)
            x->trajectory = (int)d;
        else
            x->utility = (int)d;
    }

    /* Every other key must be an engine key or a declared parameter. */
    for (int k = 0; k < x->n_vals; k++) {
        const ts_value *u = &x->vals[k];
        unsigned flags = 0;
        if (is_engine_key(u->key))
            continue;
        if (!param_known(x, u->key, &flags)) {
            char names[512];
            list_params(x, names, sizeof names);
            ts_value_where(x, u, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT,
                            "%sunknown key '%s' (engine keys: name, description, "
                            "feedback, population, mechanisms, strategy, strategies, N, m, "
                            "m_min, T, epsilon, replicas, seed, trajectory, utility, gain_axis; "
                            "parameters here: %s)",
                            where, u->key, names[0] ? names + 2 : "none");
        }
        if (u->kind != TS_VAL_NUM) {
            ts_value_where(x, u, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT, "%sparameter '%s' must be numeric",
                            where, u->key);
        }
    }

    /* Numeric engine keys. */
    struct { const char *key; int integer; double lo, hi; int lo_open, hi_open;
             const char *why; } num[] = {
        {"N", 1, 2, 1e6, 0, 0, "a game needs at least 2 workers"},
        {"m", 1, 1, 1e6, 0, 0, "each slot needs at least 1 prompt"},
        {"m_min", 1, 1, 1e6, 0, 0, "each slot needs at least 1 prompt"},
        {"T", 1, 1, 4294967295.0, 0, 0, "slots are counted in 32 bits"},
        {"epsilon", 0, 0, 0.5, 0, 1, "Prop. 3 needs a flip rate below 1/2"},
    };
    for (size_t k = 0; k < sizeof num / sizeof num[0]; k++) {
        v = ts_experiment_value(x, num[k].key);
        if (!v) {
            if (!strcmp(num[k].key, "N") || !strcmp(num[k].key, "T"))
                return TS_ERROR(e, TS_EINPUT, "%s: the key '%s' is missing",
                                x->path, num[k].key);
            continue;
        }
        ts_value_where(x, v, where, sizeof where);
        if (v->kind != TS_VAL_NUM || v->rows)
            return TS_ERROR(e, TS_EINPUT, "%s'%s' must be a number or a list of numbers",
                            where, v->key);
        if (!strcmp(num[k].key, "m_min") && v->is_list)
            return TS_ERROR(e, TS_EINPUT, "%s'm_min' must be a single number",
                            where);
        for (int i = 0; i < v->n; i++) {
            double d = v->v[i];
            int bad = (num[k].integer && d != floor(d)) ||
                      (num[k].lo_open ? d <= num[k].lo : d < num[k].lo) ||
                      (num[k].hi_open ? d >= num[k].hi : d > num[k].hi);
            if (bad)
                return TS_ERROR(e, TS_EINPUT,
                                "%s%s = %g is out of range: must be %s in %c%g, %g%c (%s)",
                                where, v->key, d,
                                num[k].integer ? "an integer" : "a number",
                                num[k].lo_open ? '(' : '[', num[k].lo, num[k].hi,
                                num[k].hi_open ? ')' : ']', num[k].why);
        }
    }

    /* Axes: N, m, T, epsilon, then list-valued scalar parameters by name. */
    x->n_axes = 0;
    for (int k = 0; axis_keys[k]; k++) {
        v = ts_experiment_value(x, axis_keys[k]);
        if (v && v->is_list)
            x->axes[x->n_axes++].val = v;
    }
    const ts_value *pax[TS_MAX_VALUES];
    int npax = 0;
    for (int k = 0; k < x->n_vals; k++) {
        const ts_value *u = &x->vals[k];
        unsigned flags = 0;
        if (is_engine_key(u->key) || !u->is_list)
            continue;
        param_known(x, u->key, &flags);
        /* A list parameter's list (or list of lists, e.g. bands as pairs
         * [[lo, hi], ...], read row by row) is its value, never an axis. */
        if (flags & TS_PARAM_VEC)
            continue;
        if (u->rows) {
            ts_value_where(x, u, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT, "%s'%s' must be a number or a list of numbers",
                            where, u->key);
        }
        int pos = npax;
        while (pos > 0 && strcmp(pax[pos - 1]->key, u->key) > 0) {
            pax[pos] = pax[pos - 1];
            pos--;
        }
        pax[pos] = u;
        npax++;
    }
    for (int k = 0; k < npax; k++) {
        if (x->n_axes == TS_MAX_AXES) {
            ts_value_where(x, pax[k], where, sizeof where);
            return TS_ERROR(e, TS_EINPUT, "%stoo many grid axes (at most %d)",
                            where, TS_MAX_AXES);
        }
        x->axes[x->n_axes++].val = pax[k];
    }
    /* gain_axis: paired utility gains against that axis's first value. */
    x->gain_axis = -1;
    v = ts_experiment_value(x, "gain_axis");
    if (v) {
        rc = want_string(x, v, 0, e);
        if (rc)
            return rc;
        for (int k = 0; k < x->n_axes; k++)
            if (!strcmp(x->axes[k].val->key, v->s[0]))
                x->gain_axis = k;
        ts_value_where(x, v, where, sizeof where);
        if (x->gain_axis < 0)
            return TS_ERROR(e, TS_EINPUT, "%sgain_axis '%s' is not a swept key "
                            "(a key given as a list)", where, v->s[0]);
        if (!x->utility)
            return TS_ERROR(e, TS_EINPUT, "%sgain_axis needs 'utility: true'", where);
    }
    x->n_points = 1;
    for (int k = 0; k < x->n_axes; k++) {
        x->n_points *= x->axes[k].val->n;
        if (x->n_points > 100000000L)
            return TS_ERROR(e, TS_EINPUT, "%s: the grid has more than 10^8 points",
                            x->path);
    }

    /* Resolve every point now: preconditions fail at start-up, not mid-sweep. */
    for (long p = 0; p < x->n_points; p++) {
        ts_point pt;
        rc = ts_experiment_point(x, p, &pt, e);
        if (rc)
            return rc;
    }
    return TS_OK;
}

int ts_experiment_load(ts_experiment **out, const char *path, const char *text,
                       int n_set, char *const *set, ts_err *e)
{
    *out = NULL;
    ts_experiment *x = calloc(1, sizeof *x);
    if (!x)
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    x->path = strdup(path ? path : "<default>");
    x->source = text ? strdup(text) : read_file(path, e);
    if (!x->path || !x->source) {
        int rc = x->source || !x->path ? TS_ENOMEM : e->code;
        if (rc == TS_ENOMEM)
            TS_ERROR(e, TS_ENOMEM, "out of memory");
        ts_experiment_free(x);
        return rc;
    }
    size_t ol = 1;
    for (int k = 0; k < n_set; k++)
        ol += strlen(set[k]) + 1;
    x->overrides = calloc(ol, 1);
    if (!x->overrides) {
        ts_experiment_free(x);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    for (int k = 0; k < n_set; k++) {
        strcat(x->overrides, set[k]);
        strcat(x->overrides, "\n");
    }
    int rc = parse_yaml(x, x->source, x->path, 1, 0, NULL, NULL, e);
    for (int k = 0; !rc && k < n_set; k++)
        rc = apply_set(x, set[k], e);
    if (!rc)
        rc = interpret(x, e);
    if (rc) {
        ts_experiment_free(x);
        return rc;
    }
    *out = x;
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Points                                                              */

/* The value of numeric key at this point: the axis entry, the scalar, or
 * dflt when absent.  *src gets the value (for messages). */
static double at_point(const ts_experiment *x, const int *coord,
                       const char *key, double dflt, const ts_value **src)
{
    const ts_value *v = ts_experiment_value(x, key);
    if (src)
        *src = v;
    if (!v)
        return dflt;
    for (int k = 0; k < x->n_axes; k++)
        if (x->axes[k].val == v)
            return v->v[coord[k]];
    return v->v[0];
}

static void point_label(const ts_experiment *x, const int *coord, char *buf,
                        size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < x->n_axes; k++) {
        int w = snprintf(buf + used, len - used, "%s%s = %g", k ? ", " : "",
                         x->axes[k].val->key, x->axes[k].val->v[coord[k]]);
        if (w > 0 && (size_t)w < len - used)
            used += (size_t)w;
    }
}

/* Fill p from the experiment for one owner's spec: "owner.name" first, then
 * the bare "name". */
static int fill_params(const ts_experiment *x, const int *coord,
                       const char *owner, const ts_param_spec *spec, int n,
                       ts_params *p, const ts_value **first_set)
{
    char key[160];
    ts_params_init(p, n);
    *first_set = NULL;
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "%s.%s", owner, spec[i].name);
        const ts_value *v = ts_experiment_value(x, key);
        if (!v)
            v = ts_experiment_value(x, spec[i].name);
        if (!v)
            continue;
        if (!*first_set)
            *first_set = v;
        p->set[i] = 1;
        if (spec[i].flags & TS_PARAM_VEC) {
            p->vec[i] = v->v;
            p->len[i] = v->n;
        } else {
            p->v[i] = at_point(x, coord, v->key, NAN, NULL);
        }
    }
    return TS_OK;
}

/* Re-raise a vtable's complaint with the location of the key that caused it
 * (or the point's coordinates when a default did). */
static int blame(const ts_experiment *x, const int *coord,
                 const ts_param_spec *spec, int n, const ts_params *p,
                 const char *owner, ts_err *sub, ts_err *e)
{
    char where[400], label[400];
    const ts_value *culprit = NULL;
    char key[160];
    for (int i = 0; i < n && !culprit; i++) {
        if (!p->set[i] || !strstr(sub->msg, spec[i].name))
            continue;
        snprintf(key, sizeof key, "%s.%s", owner, spec[i].name);
        culprit = ts_experiment_value(x, key);
        if (!culprit)
            culprit = ts_experiment_value(x, spec[i].name);
    }
    point_label(x, coord, label, sizeof label);
    if (culprit) {
        ts_value_where(x, culprit, where, sizeof where);
        return TS_ERROR(e, sub->code, "%s%s%s%s%s", where, sub->msg,
                        label[0] ? " (at " : "", label, label[0] ? ")" : "");
    }
    return TS_ERROR(e, sub->code, "%s: %s%s%s%s", x->path, sub->msg,
                    label[0] ? " (at " : "", label, label[0] ? ")" : "");
}

int ts_experiment_point(const ts_experiment *x, long idx, ts_point *pt,
                        ts_err *e)
{
    memset(pt, 0, sizeof *pt);
    pt->index = idx;
    long rest = idx;
    for (int k = x->n_axes - 1; k >= 0; k--) {
        pt->coord[k] = (int)(rest % x->axes[k].val->n);
        rest /= x->axes[k].val->n;
    }
    const ts_value *src;
    pt->shape.N = (int)at_point(x, pt->coord, "N", 0, NULL);
    pt->shape.m = (int)at_point(x, pt->coord, "m", 20, NULL);
    pt->shape.T = (long)at_point(x, pt->coord, "T", 0, NULL);
    pt->shape.feedback = x->feedback;
    pt->epsilon = at_point(x, pt->coord, "epsilon", 0, NULL);
    pt->m_min = (int)at_point(x, pt->coord, "m_min", pt->shape.m, &src);
    if ((double)pt->shape.N * pt->shape.m > (double)(1u << 26) - 64) {
        /* One Philox stream holds 2^26 words per slot (rng.h); the beliefs
         * take N * m of them. */
        char where[400];
        ts_value_where(x, ts_experiment_value(x, "N"), where, sizeof where);
        return TS_ERROR(e, TS_EINPUT,
                        "%sN * m = %d * %d exceeds the 2^26 random numbers a "
                        "slot's stream holds", where, pt->shape.N, pt->shape.m);
    }
    if (pt->m_min > pt->shape.m) {
        char where[400];
        ts_value_where(x, src, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT, "%sm_min = %d exceeds m = %d", where,
                        pt->m_min, pt->shape.m);
    }

    if (x->n_prof == 1 && x->prof_len[0] > pt->shape.N) {
        char where[400];
        ts_value_where(x, ts_experiment_value(x, "strategy"), where, sizeof where);
        return TS_ERROR(e, TS_EINPUT,
                        "%s'strategy' lists %d workers but N = %d", where,
                        x->prof_len[0], pt->shape.N);
    }
    ts_err sub;
    const ts_value *first;
    /* Population. */
    fill_params(x, pt->coord, x->pop->name, x->pop->params, x->pop->n_params,
                &pt->pop_par, &first);
    if (x->pop->defaults)
        x->pop->defaults(&pt->shape, &pt->pop_par);
    ts_err_clear(&sub);
    if (ts_params_check(&pt->pop_par, x->pop->params, x->pop->n_params,
                        x->pop->name, &sub) ||
        (x->pop->check && x->pop->check(&pt->shape, &pt->pop_par, &sub)))
        return blame(x, pt->coord, x->pop->params, x->pop->n_params,
                     &pt->pop_par, x->pop->name, &sub, e);
    /* Mechanisms. */
    for (int k = 0; k < x->n_mech; k++) {
        const ts_mechanism_type *mt = x->mech[k];
        fill_params(x, pt->coord, mt->name, mt->params, mt->n_params,
                    &pt->mech_par[k], &first);
        if (mt->defaults)
            mt->defaults(&pt->shape, &pt->mech_par[k]);
        ts_err_clear(&sub);
        if (ts_params_check(&pt->mech_par[k], mt->params, mt->n_params,
                            mt->name, &sub) ||
            (mt->check && mt->check(&pt->shape, &pt->mech_par[k], &sub)))
            return blame(x, pt->coord, mt->params, mt->n_params,
                         &pt->mech_par[k], mt->name, &sub, e);
    }
    /* Strategies. */
    for (int k = 0; k < x->n_strat; k++) {
        const ts_strategy_type *st = x->strat[k];
        fill_params(x, pt->coord, st->name, st->params, st->n_params,
                    &pt->strat_par[k], &first);
        if (st->defaults)
            st->defaults(&pt->shape, &pt->strat_par[k]);
        ts_err_clear(&sub);
        if (ts_params_check(&pt->strat_par[k], st->params, st->n_params,
                            st->name, &sub))
            return blame(x, pt->coord, st->params, st->n_params,
                         &pt->strat_par[k], st->name, &sub, e);
    }

    /* The environment's stream id: population, N, m, m_min and population
     * parameters -- not T, epsilon or mechanism parameters, so that points
     * differing only in those see common random numbers (the first slots of
     * a longer horizon equal a shorter one's; verification flips are
     * coupled across epsilon). */
    uint32_t h = ts_hash_str(TS_HASH_INIT, x->pop->name);
    h = ts_hash_double(h, pt->shape.N);
    h = ts_hash_double(h, pt->shape.m);
    h = ts_hash_double(h, pt->m_min);
    for (int i = 0; i < x->pop->n_params; i++) {
        h = ts_hash_str(h, x->pop->params[i].name);
        if (x->pop->params[i].flags & TS_PARAM_VEC)
            for (int j = 0; j < pt->pop_par.len[i]; j++)
                h = ts_hash_double(h, pt->pop_par.vec[i][j]);
        else
            h = ts_hash_double(h, pt->pop_par.v[i]);
    }
    pt->env_id = h;
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Canonical text                                                      */

static int needs_quotes(const char *s)
{
    double d;
    int b;
    if (!*s || parse_number(s, &d) || parse_bool(s, &b))
        return 1;
    for (const char *c = s; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
            return 1;
    return 0;
}

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)w < b->cap - b->len) {
            b->len += (size_t)w;
            return;
        }
        size_t nc = b->cap * 2 + (size_t)w;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

static void sb_str(sbuf *b, const char *s)
{
    if (!needs_quotes(s)) {
        sb_printf(b, "%s", s);
        return;
    }
    sb_printf(b, "\"");
    for (const char *c = s; *c; c++) {
        if (*c == '"' || *c == '\\')
            sb_printf(b, "\\%c", *c);
        else if (*c == '\n')
            sb_printf(b, "\\n");
        else
            sb_printf(b, "%c", *c);
    }
    sb_printf(b, "\"");
}

char *ts_experiment_canonical(const ts_experiment *x)
{
    sbuf b = {malloc(1024), 0, 1024, 0};
    if (!b.p)
        return NULL;
    b.p[0] = '\0';
    for (int k = 0; k < x->n_vals; k++) {
        const ts_value *v = &x->vals[k];
        sb_printf(&b, "%s: ", v->key);
        if (v->is_list)
            sb_printf(&b, "[");
        int per = v->rows ? v->n / v->rows : v->n;
        for (int i = 0; i < v->n; i++) {
            if (v->rows && i % per == 0)
                sb_printf(&b, "%s[", i ? ", " : "");
            else if (i)
                sb_printf(&b, ", ");
            if (v->kind == TS_VAL_STR)
                sb_str(&b, v->s[i]);
            else if (v->kind == TS_VAL_BOOL)
                sb_printf(&b, "%s", v->v[i] ? "true" : "false");
            else
                sb_printf(&b, "%.17g", v->v[i]);
            if (v->rows && i % per == per - 1)
                sb_printf(&b, "]");
        }
        if (v->is_list)
            sb_printf(&b, "]");
        sb_printf(&b, "\n");
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

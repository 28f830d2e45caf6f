/* yaml.c -- the first stage of an experiment: YAML text and `--set
 * KEY=VALUE` arguments become ts_values, each remembering where it was
 * written (file:line:col, or the --set argument) for the messages of the
 * later stages (STYLE §4: input errors name where in the input).
 *
 * A scalar is a number, a boolean or a name; a list is a grid axis or a
 * list parameter; a list of lists is a list parameter read row by row
 * (e.g. bands as [[lo, hi], ...]); a mapping under a key (`hedge: {eta:
 * 3}`) becomes dotted keys (`hedge.eta`).  What the keys mean is left to
 * interpret.c. */
#include "experiment/experiment_impl.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

void ts_yaml_value_free(ts_value *v)
{
    free(v->v);
    if (v->s)
        for (int k = 0; k < v->n; k++)
            free(v->s[k]);
    free(v->s);
    memset(v, 0, sizeof *v);
}

int ts_yaml_number(const char *s, double *out)
{
    if (!*s)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end != '\0' || (errno == ERANGE && fabs(d) > 1))
        return 0; /* overflow; an underflow is the subnormal written */
    /* strtod accepts "nan", "inf" and hex; experiments never mean those. */
    for (const char *c = s; *c; c++)
        if (isalpha((unsigned char)*c) && *c != 'e' && *c != 'E')
            return 0;
    *out = d;
    return 1;
}

int ts_yaml_bool(const char *s, int *out)
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
    if (plain && ts_yaml_number(s, &d))
        kind = TS_VAL_NUM;
    else if (plain && ts_yaml_bool(s, &b))
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

/* One inner list of a list of lists (a row of a list parameter): numbers
 * only; *len gets its length. */
static int add_row(const yaml_ctx *c, yaml_node_t *item, ts_value *v,
                   int *first, int *len, ts_err *e)
{
    char where[400];
    *len = 0;
    for (yaml_node_item_t *jt = item->data.sequence.items.start;
         jt < item->data.sequence.items.top; jt++, (*len)++) {
        yaml_node_t *x = yaml_document_get_node(c->doc, *jt);
        if (x->type != YAML_SCALAR_NODE) {
            mark_where(c, x, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT, "%s'%s' nests lists too deeply",
                            where, v->key);
        }
        int rc = add_scalar(c, x, v, *first, e);
        if (rc)
            return rc;
        *first = 0;
        if (v->kind != TS_VAL_NUM) {
            mark_where(c, x, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT,
                            "%s'%s': inner lists must hold numbers", where,
                            v->key);
        }
    }
    return TS_OK;
}

/* A list node: scalars, or lists of numbers of one length. */
static int convert_list(const yaml_ctx *c, yaml_node_t *n, ts_value *v,
                        ts_err *e)
{
    char where[400];
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
        int len;
        int rc = add_row(c, item, v, &first, &len, e);
        if (rc)
            return rc;
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
    return convert_list(c, n, v, e);
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
        ts_yaml_value_free(v);
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

int ts_yaml_apply_set(ts_experiment *x, const char *arg, ts_err *e)
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

int ts_yaml_load_text(ts_experiment *x, ts_err *e)
{
    return parse_yaml(x, x->source, x->path, 1, 0, NULL, NULL, e);
}

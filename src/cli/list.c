/* list.c -- `truthsim list [--json] [--plugin P.so]`: every mechanism,
 * population and strategy with its parameters, straight from the
 * registry's vtables (the built-ins and any plugin's).
 *
 * --json is for programs: {"version", "defaults_at", "mechanisms",
 * "populations", "strategies"}, each entry {"name", ["feedback", "label"],
 * "plugin", "params": [{"name", "lo", "hi", "lo_open", "hi_open",
 * "integer", "vector", "range", "default", "doc"}]}.  Defaults depend on
 * the game's shape (SPEC §2, e.g. alpha = (2/3) sqrt(2 ln N / T)), so
 * "default" is the value at "defaults_at" (null where the owner gives
 * none).  JSON has no infinity: an unbounded "lo" or "hi" is null.
 * "plugin" is the file an entry came from, null for a built-in. */
#include <argp.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "game/registry.h"

typedef struct list_args {
    int json;
    ts_cli_plugins plugins;
} list_args;

static const struct argp_option options[] = {
    {"json", 'J', 0, 0, "Machine-readable output (JSON)", 0},
    {0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
    list_args *a = state->input;
    (void)arg;
    switch (key) {
    case 'J': a->json = 1; break;
    case ARGP_KEY_INIT: state->child_inputs[0] = &a->plugins; break;
    default: return ARGP_ERR_UNKNOWN;
    }
    return 0;
}

static const struct argp_child children[] = {
    {&ts_cli_plugin_argp, 0, NULL, 0},
    {0},
};

static const struct argp argp = {
    options, parse_opt, NULL,
    "List mechanisms (with feedback mode), populations and strategies, and the "
    "parameters each declares (name, range, meaning).\v" TS_CLI_EXIT_HELP,
    children, NULL, NULL,
};

static void print_params(const ts_param_spec *spec, int n)
{
    char range[96];
    for (int k = 0; k < n; k++) {
        ts_param_range_str(&spec[k], range, sizeof range);
        printf("      %-10s %-16s %s\n", spec[k].name, range, spec[k].doc);
    }
}

static void print_text(const ts_registry *r)
{
    printf("mechanisms:\n");
    for (int k = 0; k < r->n_mech; k++) {
        const ts_mechanism_type *t = r->mech[k];
        printf("  %-10s %-8s %s\n", t->name,
               t->feedback == TS_FULL ? "full" : "limited",
               t->label && strcmp(t->label, t->name) ? t->label : "");
        print_params(t->params, t->n_params);
    }
    printf("populations:\n");
    for (int k = 0; k < r->n_pop; k++) {
        printf("  %s\n", r->pop[k]->name);
        print_params(r->pop[k]->params, r->pop[k]->n_params);
    }
    printf("strategies:\n");
    for (int k = 0; k < r->n_strat; k++) {
        printf("  %s\n", r->strat[k]->name);
        print_params(r->strat[k]->params, r->strat[k]->n_params);
    }
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void json_num(double v)
{
    if (isfinite(v))
        printf("%.17g", v);
    else
        printf("null");
}

/* The shape "default" is given at: the paper's Fig. 7 setting at N = 5. */
static const ts_shape json_shape = {5, 1, 1000, TS_FULL};

static void json_owner(const ts_owner *o, const char *plugin)
{
    ts_params p;
    ts_params_init(&p, o->n_params);
    ts_shape g = json_shape;
    if (o->defaults)
        o->defaults(&g, &p);
    printf("\"name\": ");
    json_str(o->name);
    printf(", \"plugin\": ");
    if (plugin)
        json_str(plugin);
    else
        printf("null");
    printf(", \"params\": [");
    for (int k = 0; k < o->n_params; k++) {
        const ts_param_spec *s = &o->params[k];
        char range[96];
        ts_param_range_str(s, range, sizeof range);
        printf("%s\n      {\"name\": ", k ? "," : "");
        json_str(s->name);
        printf(", \"lo\": ");
        json_num(s->lo);
        printf(", \"hi\": ");
        json_num(s->hi);
        printf(", \"lo_open\": %s, \"hi_open\": %s, \"integer\": %s, "
               "\"vector\": %s, \"range\": ",
               s->flags & TS_PARAM_LO_OPEN ? "true" : "false",
               s->flags & TS_PARAM_HI_OPEN ? "true" : "false",
               s->flags & TS_PARAM_INT ? "true" : "false",
               s->flags & TS_PARAM_VEC ? "true" : "false");
        json_str(range);
        printf(", \"default\": ");
        json_num(s->flags & TS_PARAM_VEC ? NAN : p.v[k]);
        printf(", \"doc\": ");
        json_str(s->doc);
        printf("}");
    }
    printf("]");
}

static const char *origin(const ts_registry *r, int kind, int k)
{
    const ts_plugin_file *f = ts_registry_origin(r, kind, k);
    return f ? f->path : NULL;
}

static void print_json(const ts_registry *r)
{
    printf("{\"version\": ");
    json_str(argp_program_version);
    printf(",\n \"defaults_at\": {\"N\": %d, \"m\": %d, \"T\": %ld},\n",
           json_shape.N, json_shape.m, json_shape.T);
    printf(" \"mechanisms\": [");
    for (int k = 0; k < r->n_mech; k++) {
        const ts_mechanism_type *t = r->mech[k];
        printf("%s\n  {", k ? "," : "");
        json_owner(&t->owner, origin(r, 0, k));
        printf(", \"feedback\": \"%s\", \"label\": ",
               t->feedback == TS_FULL ? "full" : "limited");
        json_str(t->label ? t->label : t->name);
        printf("}");
    }
    printf("],\n \"populations\": [");
    for (int k = 0; k < r->n_pop; k++) {
        printf("%s\n  {", k ? "," : "");
        json_owner(&r->pop[k]->owner, origin(r, 1, k));
        printf("}");
    }
    printf("],\n \"strategies\": [");
    for (int k = 0; k < r->n_strat; k++) {
        printf("%s\n  {", k ? "," : "");
        json_owner(&r->strat[k]->owner, origin(r, 2, k));
        printf("}");
    }
    printf("]}\n");
}

int ts_cli_list(int argc, char **argv, const ts_cli_env *env)
{
    (void)env;
    list_args a;
    memset(&a, 0, sizeof a);
    argp_parse(&argp, argc, argv, 0, NULL, &a);
    ts_err e;
    ts_err_clear(&e);
    ts_registry *r = ts_cli_registry(&a.plugins, &e);
    if (!r) {
        fprintf(stderr, "truthsim list: %s\n", e.msg);
        return ts_cli_exit_code(e.code);
    }
    if (a.json)
        print_json(r);
    else
        print_text(r);
    ts_registry_free(r);
    return fflush(stdout) ? TS_EXIT_IO : TS_EXIT_OK;
}

/* list.c -- `truthsim list`: every mechanism, population and strategy
 * with its parameters, straight from the registries' vtables. */
#include <argp.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "games/games.h"
#include "strategies/strategies.h"

static const struct argp argp = {
    NULL, NULL, NULL,
    "List mechanisms (with feedback mode), populations and strategies, and the "
    "parameters each declares (name, range, meaning).\v" TS_CLI_EXIT_HELP,
    NULL, NULL, NULL,
};

static void print_params(const ts_param_spec *spec, int n)
{
    char range[96];
    for (int k = 0; k < n; k++) {
        ts_param_range_str(&spec[k], range, sizeof range);
        printf("      %-10s %-16s %s\n", spec[k].name, range, spec[k].doc);
    }
}

int ts_cli_list(int argc, char **argv, const ts_cli_env *env)
{
    (void)env;
    argp_parse(&argp, argc, argv, 0, NULL, NULL);
    printf("mechanisms:\n");
    for (int k = 0; ts_mechanism_types[k]; k++) {
        const ts_mechanism_type *t = ts_mechanism_types[k];
        printf("  %-10s %-8s %s\n", t->name,
               t->feedback == TS_FULL ? "full" : "limited",
               t->label && strcmp(t->label, t->name) ? t->label : "");
        print_params(t->params, t->n_params);
    }
    printf("populations:\n");
    for (int k = 0; ts_population_types[k]; k++) {
        printf("  %s\n", ts_population_types[k]->name);
        print_params(ts_population_types[k]->params,
                     ts_population_types[k]->n_params);
    }
    printf("strategies:\n");
    for (int k = 0; ts_strategy_types[k]; k++) {
        printf("  %s\n", ts_strategy_types[k]->name);
        print_params(ts_strategy_types[k]->params, ts_strategy_types[k]->n_params);
    }
    return TS_EXIT_OK;
}

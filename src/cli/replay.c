/* cli/replay.c -- `truthsim replay --mechanism NAME ... REPORTS.csv -o OUT.h5`
 * exactly as SPEC §7.1, or with a list of mechanisms (or `all`) one
 * comparison file.  Bad input leaves no output file. */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "base/outfile.h"
#include "cli/cli.h"
#include "game/registry.h"
#include "games/games.h"
#include "replay/replay.h"

#define MAX_SET 32
#define MAX_MECH 32 /* mechanisms in one comparison */

typedef struct replay_args {
    const char *mech, *feedback, *selected, *csv, *out;
    char *set[MAX_SET];
    int n_set;
    unsigned long long seed;
    ts_cli_plugins plugins;
} replay_args;

static const struct argp_option options[] = {
    {"mechanism", 'M', "NAME[,NAME...]|all", 0, "Mechanism(s) to run (truthsim list shows them); several, or all of the feedback mode, write one comparison file", 0},
    {"feedback", 'f', "full|limited", 0, "Feedback mode (default full)", 0},
    {"set", 'S', "KEY=VALUE", 0, "Set a mechanism parameter, e.g. --set alpha=0.05 (repeatable)", 0},
    {"seed", 's', "S", 0, "Seed for limited-feedback draws (default 1)", 0},
    {"selected", 'l', "SELECTED.csv", 0, "Limited feedback: take the heard worker of each slot from this file (slot,worker)", 0},
    {"output", 'o', "OUT.h5", 0, "Result file (required)", 0},
    {0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
    replay_args *a = state->input;
    switch (key) {
    case 'M': a->mech = arg; break;
    case 'f': a->feedback = arg; break;
    case 'l': a->selected = arg; break;
    case 'o': a->out = arg; break;
    case 'S': ts_cli_arg_set(state, a->set, &a->n_set, MAX_SET, arg); break;
    case 's': a->seed = ts_cli_arg_seed(state, arg); break;
    case ARGP_KEY_ARG:
        if (a->csv)
            argp_error(state, "one REPORTS.csv at a time");
        a->csv = arg;
        break;
    case ARGP_KEY_INIT:
        state->child_inputs[0] = &a->plugins;
        break;
    case ARGP_KEY_END:
        ts_cli_arg_require(state, a->mech, "--mechanism");
        ts_cli_arg_require(state, a->csv, "REPORTS.csv");
        ts_cli_arg_require(state, a->out, "-o OUT.h5");
        break;
    default:
        return ARGP_ERR_UNKNOWN;
    }
    return 0;
}

static const struct argp_child children[] = {
    {&ts_cli_plugin_argp, 0, NULL, 0},
    {0},
};

static const struct argp argp = {
    options, parse_opt, "REPORTS.csv",
    "Run a mechanism on recorded reports. REPORTS.csv has a header naming at "
    "least slot,prompt,worker,report,truth (any order; extra columns ignored). "
    "Writes share, label, worker_loss, loss, regret (and selected) to OUT.h5. "
    "With several mechanisms each gets a group with those datasets and the root "
    "compares them: final_regret, mean_loss with its bootstrap CI over slots, "
    "worker_rank, regret.\v" TS_CLI_EXIT_HELP,
    children, NULL, NULL,
};

/* The mechanisms named by --mechanism: NAME, a comma list, or `all` (every
 * mechanism of the feedback mode, in the registry's order). */
static int parse_mechanisms(const ts_registry *reg, const char *arg,
                            ts_feedback fb, const ts_mechanism_type **mt,
                            int *n)
{
    ts_err e;
    ts_err_clear(&e);
    *n = 0;
    if (!strcmp(arg, "all")) {
        for (int k = 0; k < reg->n_mech && *n < MAX_MECH; k++)
            if (reg->mech[k]->feedback == fb)
                mt[(*n)++] = reg->mech[k];
        return TS_EXIT_OK;
    }
    char buf[512];
    snprintf(buf, sizeof buf, "%s", arg);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        const ts_mechanism_type *t = ts_registry_mechanism(reg, tok, fb, &e);
        if (!t) {
            fprintf(stderr, "truthsim replay: --mechanism: %s\n", e.msg);
            return TS_EXIT_DATA;
        }
        for (int k = 0; k < *n; k++)
            if (mt[k] == t) {
                fprintf(stderr, "truthsim replay: --mechanism: '%s' is listed "
                                "twice\n", tok);
                return TS_EXIT_DATA;
            }
        if (*n == MAX_MECH) {
            fprintf(stderr, "truthsim replay: --mechanism: more than %d "
                            "mechanisms\n", MAX_MECH);
            return TS_EXIT_USAGE;
        }
        mt[(*n)++] = t;
    }
    if (*n == 0) {
        fprintf(stderr, "truthsim replay: --mechanism: no mechanism named\n");
        return TS_EXIT_USAGE;
    }
    return TS_EXIT_OK;
}

static void param_names(const ts_mechanism_type *mt, char *names, size_t size)
{
    names[0] = '\0';
    for (int j = 0; j < mt->n_params; j++) {
        strncat(names, j ? ", " : "", size - strlen(names) - 1);
        strncat(names, mt->params[j].name, size - strlen(names) - 1);
    }
}

/* Each --set KEY=VALUE into every listed mechanism that has KEY; a key no
 * listed mechanism has is refused (naming the parameters of the one
 * mechanism, when there is one). */
static int apply_sets(replay_args *a, const ts_mechanism_type *const *mt,
                      int n, ts_params *par)
{
    for (int k = 0; k < n; k++)
        ts_params_init(&par[k], mt[k]->n_params);
    for (int s = 0; s < a->n_set; s++) {
        double v;
        long key_len = ts_cli_set_split(a->set[s], &v);
        if (key_len < 0) {
            fprintf(stderr, "truthsim replay: --set %s: expected KEY=NUMBER\n",
                    a->set[s]);
            return TS_EXIT_USAGE;
        }
        a->set[s][key_len] = '\0';
        int used = 0;
        for (int k = 0; k < n; k++) {
            int i = ts_param_find(mt[k]->params, mt[k]->n_params, a->set[s]);
            if (i < 0 || (mt[k]->params[i].flags & TS_PARAM_VEC))
                continue;
            par[k].v[i] = v;
            par[k].set[i] = 1;
            used = 1;
        }
        if (used)
            continue;
        if (n == 1) {
            char names[256];
            param_names(mt[0], names, sizeof names);
            fprintf(stderr, "truthsim replay: --set %s: %s has no parameter '%s' "
                            "(parameters: %s)\n",
                    a->set[s], mt[0]->name, a->set[s], names[0] ? names : "none");
        } else
            fprintf(stderr, "truthsim replay: --set %s: no listed mechanism has "
                            "a parameter '%s'\n", a->set[s], a->set[s]);
        return TS_EXIT_DATA;
    }
    return TS_EXIT_OK;
}

/* The comparison's table, one row per mechanism (README "Every mechanism
 * on one file"). */
static void print_summary(const ts_replay_summary *s,
                          const ts_mechanism_type *const *mt)
{
    printf("%-10s %14s %14s %25s %12s\n", "mechanism", "final regret",
           "mean loss", "95% CI (bootstrap, slots)", "top worker");
    for (int k = 0; k < s->n; k++) {
        const int32_t *rk = s->rank + (size_t)k * (size_t)s->N;
        const double *sh = s->final_share + (size_t)k * (size_t)s->N;
        int top = 0, second = -1;
        for (int i = 0; i < s->N; i++) {
            top = rk[i] == 1 ? i : top;
            second = rk[i] == 2 ? i : second;
        }
        char who[16] = "tie";
        if (second < 0 || sh[top] > sh[second])
            snprintf(who, sizeof who, "%d", top);
        printf("%-10s %14.6g %14.6g   [%10.6g, %10.6g] %12s\n", mt[k]->name,
               s->final_regret[k], s->mean_loss[k], s->ci_lo[k], s->ci_hi[k],
               who);
    }
}

/* Run every mechanism on rp; write one §7.1 file (one mechanism named) or
 * the comparison file.  Nothing is written unless every run succeeded. */
static int run_all(const replay_args *a, const ts_registry *reg,
                   const ts_reports *rp, const ts_mechanism_type *const *mt,
                   int n, const ts_params *par, int compare,
                   const ts_cli_env *env)
{
    ts_err e;
    ts_err_clear(&e);
    ts_replay_out out[MAX_MECH];
    memset(out, 0, sizeof out);
    int rc = TS_OK, done = 0;
    for (; done < n && !rc; done++)
        rc = ts_replay_run_stop(rp, mt[done], &par[done], a->selected,
                                a->seed, env->stop, &out[done], &e);
    ts_replay_summary sum = {0};
    if (!rc && !compare)
        rc = ts_replay_write(&out[0], rp, mt[0], a->seed, a->csv,
                             env->command_line, a->out, env->stop, &e);
    else if (!rc && !(rc = ts_replay_summarise(out, n, a->seed, &sum, &e)))
        rc = ts_replay_write_many(out, mt, n, &sum, rp, a->seed, a->csv,
                                  env->command_line, a->out, env->stop, &e);
    if (!rc)
        rc = ts_cli_provenance_plugins(reg, a->out, &e);
    if (rc)
        fprintf(stderr, "truthsim replay: %s\n", e.msg);
    for (int k = 0; !rc && k < n; k++)
        if (out[k].status == TS_ENOCONV)
            fprintf(stderr, "truthsim replay: warning: %s: an iteration hit "
                            "its cap (max_iter); results written\n", mt[k]->name);
    if (!rc && !compare)
        printf("%s: %ld slots, %d workers, final regret %.6g\n", a->out,
               out[0].T, out[0].N, out[0].regret[out[0].T - 1]);
    else if (!rc) {
        printf("%s: %ld slots, %d workers, %d mechanisms\n", a->out, sum.T,
               sum.N, n);
        print_summary(&sum, mt);
    }
    ts_replay_summary_free(&sum);
    for (int k = 0; k < done; k++)
        ts_replay_out_free(&out[k]);
    return ts_cli_exit_code(rc);
}

/* Everything after the options, with the registry of built-ins and
 * --plugin files. */
static int replay(replay_args *a, const ts_registry *reg,
                  const ts_cli_env *env)
{
    ts_feedback fb = TS_FULL;
    if (a->feedback && !strcmp(a->feedback, "limited"))
        fb = TS_LIMITED;
    else if (a->feedback && strcmp(a->feedback, "full")) {
        fprintf(stderr, "truthsim replay: --feedback %s: must be full or limited\n",
                a->feedback);
        return TS_EXIT_USAGE;
    }
    const ts_mechanism_type *mt[MAX_MECH];
    ts_params par[MAX_MECH];
    int n, rc = parse_mechanisms(reg, a->mech, fb, mt, &n);
    if (rc || (rc = apply_sets(a, mt, n, par)))
        return rc;
    if (a->selected && fb != TS_LIMITED) {
        fprintf(stderr, "truthsim replay: --selected needs --feedback limited\n");
        return TS_EXIT_USAGE;
    }
    ts_err e;
    ts_err_clear(&e);
    /* A doomed output is refused before reading and replaying. */
    rc = ts_out_probe(a->out, &e);
    if (rc) {
        fprintf(stderr, "truthsim replay: %s\n", e.msg);
        return ts_cli_exit_code(rc);
    }
    ts_reports rp;
    rc = ts_reports_read_csv(&rp, a->csv, &e);
    if (rc) {
        fprintf(stderr, "truthsim replay: %s\n", e.msg);
        return ts_cli_exit_code(rc);
    }
    const int compare = n > 1 || !strcmp(a->mech, "all");
    rc = run_all(a, reg, &rp, mt, n, par, compare, env);
    ts_reports_free(&rp);
    return rc;
}

int ts_cli_replay(int argc, char **argv, const ts_cli_env *env)
{
    replay_args a;
    memset(&a, 0, sizeof a);
    a.seed = 1;
    argp_parse(&argp, argc, argv, 0, NULL, &a);
    ts_err e;
    ts_err_clear(&e);
    ts_registry *reg = ts_cli_registry(&a.plugins, &e);
    if (!reg) {
        fprintf(stderr, "truthsim replay: %s\n", e.msg);
        return ts_cli_exit_code(e.code);
    }
    int status = replay(&a, reg, env);
    ts_registry_free(reg);
    return status;
}

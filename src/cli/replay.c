/* cli_replay.c -- `truthsim replay --mechanism NAME ... REPORTS.csv -o OUT.h5`
 * exactly as SPEC §7.1.  Bad input leaves no output file. */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "base/outfile.h"
#include "cli/cli.h"
#include "games/games.h"
#include "replay/replay.h"

#define MAX_SET 32

typedef struct replay_args {
    const char *mech, *feedback, *selected, *csv, *out;
    char *set[MAX_SET];
    int n_set;
    unsigned long long seed;
} replay_args;

static const struct argp_option options[] = {
    {"mechanism", 'M', "NAME", 0, "Mechanism to run (truthsim list shows them)", 0},
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

static const struct argp argp = {
    options, parse_opt, "REPORTS.csv",
    "Run a mechanism on recorded reports. REPORTS.csv has a header naming at "
    "least slot,prompt,worker,report,truth (any order; extra columns ignored). "
    "Writes share, label, worker_loss, loss, regret (and selected) to OUT.h5.\v" TS_CLI_EXIT_HELP,
    NULL, NULL, NULL,
};

int ts_cli_replay(int argc, char **argv, const ts_cli_env *env)
{
    replay_args a;
    memset(&a, 0, sizeof a);
    a.seed = 1;
    argp_parse(&argp, argc, argv, 0, NULL, &a);
    ts_err e;
    ts_err_clear(&e);
    ts_feedback fb = TS_FULL;
    if (a.feedback && !strcmp(a.feedback, "limited"))
        fb = TS_LIMITED;
    else if (a.feedback && strcmp(a.feedback, "full")) {
        fprintf(stderr, "truthsim replay: --feedback %s: must be full or limited\n",
                a.feedback);
        return TS_EXIT_USAGE;
    }
    const ts_mechanism_type *mt = ts_mechanism_find(a.mech, fb, &e);
    if (!mt) {
        fprintf(stderr, "truthsim replay: --mechanism: %s\n", e.msg);
        return TS_EXIT_DATA;
    }
    ts_params par;
    ts_params_init(&par, mt->n_params);
    for (int k = 0; k < a.n_set; k++) {
        double v;
        long key_len = ts_cli_set_split(a.set[k], &v);
        if (key_len < 0) {
            fprintf(stderr, "truthsim replay: --set %s: expected KEY=NUMBER\n",
                    a.set[k]);
            return TS_EXIT_USAGE;
        }
        a.set[k][key_len] = '\0';
        int i = ts_param_find(mt->params, mt->n_params, a.set[k]);
        if (i < 0 || (mt->params[i].flags & TS_PARAM_VEC)) {
            char names[256] = "";
            for (int j = 0; j < mt->n_params; j++) {
                strncat(names, j ? ", " : "", sizeof names - strlen(names) - 1);
                strncat(names, mt->params[j].name, sizeof names - strlen(names) - 1);
            }
            fprintf(stderr, "truthsim replay: --set %s: %s has no parameter '%s' "
                            "(parameters: %s)\n",
                    a.set[k], mt->name, a.set[k], names[0] ? names : "none");
            return TS_EXIT_DATA;
        }
        par.v[i] = v;
        par.set[i] = 1;
    }
    /* A doomed output is refused before reading and replaying. */
    int rc = ts_out_probe(a.out, &e);
    if (rc) {
        fprintf(stderr, "truthsim replay: %s\n", e.msg);
        return ts_cli_exit_code(rc);
    }
    ts_reports rp;
    rc = ts_reports_read_csv(&rp, a.csv, &e);
    if (rc) {
        fprintf(stderr, "truthsim replay: %s\n", e.msg);
        return ts_cli_exit_code(rc);
    }
    if (a.selected && fb != TS_LIMITED) {
        fprintf(stderr, "truthsim replay: --selected needs --feedback limited\n");
        ts_reports_free(&rp);
        return TS_EXIT_USAGE;
    }
    ts_replay_out out;
    rc = ts_replay_run_stop(&rp, mt, &par, a.selected, a.seed, env->stop, &out, &e);
    if (rc) {
        fprintf(stderr, "truthsim replay: %s\n", e.msg);
        ts_reports_free(&rp);
        return ts_cli_exit_code(rc);
    }
    rc = ts_replay_write(&out, &rp, mt, a.seed, a.csv, env->command_line, a.out, &e);
    if (rc)
        fprintf(stderr, "truthsim replay: %s\n", e.msg);
    else if (out.status == TS_ENOCONV)
        fprintf(stderr, "truthsim replay: warning: an iteration hit its cap "
                        "(max_iter); results written\n");
    if (!rc)
        printf("%s: %ld slots, %d workers, final regret %.6g\n", a.out, out.T,
               out.N, out.regret[out.T - 1]);
    ts_replay_out_free(&out);
    ts_reports_free(&rp);
    return ts_cli_exit_code(rc);
}

/* best_response.c -- `truthsim best-response`: a table of single-slot
 * best responses r*(q) over a grid of beliefs (SPEC §4 `best-response`;
 * the checks of SPEC §5), computed by src/game/bestresp.c.
 *
 * The setting, unless options change it:
 *   - N = 5 workers, the deviating worker is worker 0 (the paper's worker
 *     1), the mechanism in its fresh state (every weight 1, slot t = 0),
 *     parameters at their SPEC §2 defaults for T = 500 slots (Figs. 2-3);
 *   - the other workers are truthful with fixed beliefs: worker k = 1..N-1
 *     reports 1 - c_k on every prompt, c_k = 0.5 + 0.3 (k-1)/(N-2) the
 *     centre of his `bands` band (SPEC §3; 0.5, 0.6, 0.7, 0.8 at N = 5),
 *     i.e. his belief when p = 1: reports 0.5, 0.4, 0.3, 0.2.  --others
 *     gives the N-1 reports instead (and sets N);
 *   - m prompts (default 1), every one with the same belief q, so r* is
 *     the best common report (prompts exchangeable, bestresp.h); the
 *     expectation is exact when (m+1) x (heard outcomes) is within the
 *     budget, Monte Carlo with common random numbers otherwise.
 * --mechanism takes a comma-separated list (each gets the --set values
 * it declares); with several, stdout gains a first column `mechanism`.
 * Output (stdout): TSV with the header `q r_star abs_dev gain gain_ci`;
 * with -O OUT.h5 (-o is --others) also r_star, abs_dev, gain, each with
 * its _ci, over dimensions (mechanism, q) for `truthsim plot` (kinds
 * br_rstar: r*(q) against the diagonal, br_gain), every parameter value
 * each mechanism used (group params/<mechanism>, as `truthsim run`
 * writes it) and the provenance attributes of every truthsim file.
 * Warnings and errors go to stderr; bad input exits 65 (64 for an unparsable option) with one line.
 *
 * The command runs in named steps over one br_cmd (argp's input): parse
 * the options, build each sweep value's problems (parameters through
 * ts_owner_resolve), solve the table row by row (each row printed as it
 * is found), write the file. */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/h5util.h"
#include "base/provenance.h"
#include "cli/args.h"
#include "base/outfile.h"
#include "cli/cli.h"
#include "game/bestresp.h"
#include "game/plugin.h"
#include "game/registry.h"

#define MAX_SET 32
#define MAX_LIST 1024
#define MAX_MECH 16

/* The options as given. */
typedef struct br_args {
    const char *mech, *feedback, *utility, *q, *others, *output, *sweep;
    char *set[MAX_SET];
    int n_set;
    long N, m, T, samples, budget;
    unsigned long long seed;
    int N_given;
    ts_cli_plugins plugins;
} br_args;

/* The swept parameter, if any: its name and values. */
typedef struct sweep {
    char key[64];
    int n;
    double v[MAX_LIST];
} sweep;

/* One `truthsim best-response`: the options (argp's input), what they
 * parse into, the problems of the current sweep value and the table. */
typedef struct br_cmd {
    br_args a;
    const volatile sig_atomic_t *stop; /* main's SIGINT/SIGTERM flag      */
    ts_feedback fb;
    ts_br_utility util;
    ts_br_options o;
    int nq, n_others;               /* n_others: -1 without --others     */
    double qs[MAX_LIST];            /* [nq] beliefs                      */
    double others[MAX_LIST];        /* [N-1] --others reports            */
    int nm;
    ts_registry *reg;               /* built-ins and --plugin's          */
    const ts_mechanism_type *mts[MAX_MECH];
    int n_kv;                       /* --set KEY=NUMBER, parsed once     */
    char set_key[MAX_SET + 1][64];  /* ... the swept key goes last       */
    double set_val[MAX_SET + 1];
    sweep swp;                      /* n = 1 and no key without --sweep  */
    ts_shape g;
    /* The current sweep value's problems: each mechanism's parameters
     * (resolved) and the verification flip rate (Prop. 3). */
    ts_params pars[MAX_MECH];
    double epsilon;
    /* Buffers: q [m], the reports r [N][m] (row 0 worker 0's), r* [m]. */
    double *q, *r, *rstar;
    /* The table [nm][ns][nq], NaN until written: r*, |r* - q|, gain, its
     * _ci, zeros; then max_dev [nm][ns] and the parameter values used
     * par_v [nm][ns][TS_MAX_PARAMS]. */
    double *out;
    double *o_r, *o_dev, *o_gain, *o_gci, *o_zero, *o_max, *par_v;
    int noconv;                     /* a search hit its cap (warned)     */
    ts_err e;
} br_cmd;

static const struct argp_option options[] = {
    {"mechanism", 'M', "NAME[,NAME...]", 0, "Mechanism(s) (truthsim list "
     "shows them); with several, stdout gains a first column `mechanism`", 0},
    {"output", 'O', "OUT.h5", 0, "Also write r_star, abs_dev, gain (each with "
     "_ci) over dimensions (mechanism, q) to OUT.h5 (docs/results-format.md; "
     "truthsim plot draws r*(q) against the diagonal)", 0},
    {"feedback", 'f', "full|limited", 0, "Feedback mode (default full)", 0},
    {"set", 'S', "KEY=VALUE", 0, "Set a mechanism parameter, or epsilon "
     "(the verification flip probability of Prop. 3, default 0); "
     "repeatable", 0},
    {"m", 'm', "M", 0, "Prompts in the slot, all with belief q (default 1)", 0},
    {"N", 'N', "N", 0, "Workers (default 5, or 1 + the length of --others)", 0},
    {"T", 'T', "T", 0, "Horizon the parameter defaults are computed for "
     "(default 500)", 0},
    {"utility", 'u', "weight|share", 0, "E[w_i] (the paper's, default) or "
     "E[w_i / sum w] (Freeman et al.)", 0},
    {"q", 'q', "LIST", 0, "Beliefs, comma-separated, in [0,1] (default "
     "0.05,0.10,...,0.95)", 0},
    {"others", 'o', "LIST", 0, "Reports of workers 1..N-1 (default: their "
     "bands centres for p = 1, 0.5 0.4 0.3 0.2 at N = 5)", 0},
    {"seed", 's', "S", 0, "Key of the Monte Carlo draws (default 1)", 0},
    {"samples", 'n', "S", 0, "Monte Carlo draws (default 4096)", 0},
    {"sweep", 'W', "KEY=V1,V2,...", 0, "Repeat the table for each value of a "
     "parameter (e.g. eta=0.05,0.5,3): a dimension KEY in -O's file, and "
     "max_abs_dev = max_q |r* - q| over (mechanism, KEY)", 0},
    {"budget", 'b', "B", 0, "Most outcomes enumerated exactly (default "
     "16384; 0 forces Monte Carlo)", 0},
    {0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
    br_args *a = &((br_cmd *)state->input)->a;
    switch (key) {
    case 'M': a->mech = arg; break;
    case 'O': a->output = arg; break;
    case 'W': a->sweep = arg; break;
    case 'f': a->feedback = arg; break;
    case 'u': a->utility = arg; break;
    case 'q': a->q = arg; break;
    case 'o': a->others = arg; break;
    case 'S': ts_cli_arg_set(state, a->set, &a->n_set, MAX_SET, arg); break;
    case 'm': a->m = ts_cli_arg_long(state, "--m", arg, 1); break;
    case 'N':
        a->N = ts_cli_arg_long(state, "--N", arg, 2);
        a->N_given = 1;
        break;
    case 'T': a->T = ts_cli_arg_long(state, "--T", arg, 1); break;
    case 'n': a->samples = ts_cli_arg_long(state, "--samples", arg, 2); break;
    case 'b': a->budget = ts_cli_arg_long(state, "--budget", arg, 0); break;
    case 's': a->seed = ts_cli_arg_seed(state, arg); break;
    case ARGP_KEY_ARG:
        argp_error(state, "unexpected argument '%s'", arg);
        break;
    case ARGP_KEY_INIT:
        state->child_inputs[0] = &a->plugins;
        break;
    case ARGP_KEY_END:
        ts_cli_arg_require(state, a->mech, "--mechanism");
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
    options, parse_opt, NULL,
    "Single-slot best responses: for each belief q, the report r* that "
    "maximises worker 0's expected utility after the next slot, against "
    "truthful others, and its gain over truthful reporting.  Prints TSV: "
    "q r_star abs_dev gain gain_ci (gain_ci is 0 when the expectation is "
    "exact).\v" TS_CLI_EXIT_HELP,
    children, NULL, NULL,
};

/* Comma-separated numbers in [0,1] into x[max]; the count, or -1 with a
 * message. */
static int parse_list(const char *opt, const char *s, double *x, int max)
{
    int n = 0;
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v) || (*end && *end != ',')) {
            fprintf(stderr, "truthsim best-response: %s %s: expected "
                            "comma-separated numbers\n", opt, s);
            return -1;
        }
        if (!(v >= 0.0 && v <= 1.0)) {
            fprintf(stderr, "truthsim best-response: %s: %g is outside "
                            "[0,1]\n", opt, v);
            return -1;
        }
        if (n == max) {
            fprintf(stderr, "truthsim best-response: %s: more than %d "
                            "values\n", opt, max);
            return -1;
        }
        x[n++] = v;
        if (!*end)
            return n;
        p = end + 1;
    }
}


/* ------------------------------------------------------------------ */
/* Parse                                                               */

/* argv into c->a, over the defaults of the setting above. */
static void parse_args(br_cmd *c, int argc, char **argv)
{
    br_args *a = &c->a;
    a->N = 5;
    a->m = 1;
    a->T = 500;
    a->seed = 1;
    ts_br_options_default(&c->o);
    a->samples = c->o.samples;
    a->budget = c->o.exact_budget;
    argp_parse(&argp, argc, argv, 0, NULL, c);
}

/* Feedback, utility, the beliefs, the others' reports and the shape.
 * Here and below: TS_OK, or a status with its message printed. */
static int parse_setting(br_cmd *c)
{
    br_args *a = &c->a;
    c->fb = TS_FULL;
    if (a->feedback && !strcmp(a->feedback, "limited"))
        c->fb = TS_LIMITED;
    else if (a->feedback && strcmp(a->feedback, "full")) {
        fprintf(stderr, "truthsim best-response: --feedback %s: must be full "
                        "or limited\n", a->feedback);
        return TS_EINPUT;
    }
    c->util = TS_BR_WEIGHT;
    if (a->utility && ts_br_parse_utility(a->utility, &c->util, &c->e)) {
        fprintf(stderr, "truthsim best-response: --utility: %s\n", c->e.msg);
        return TS_EINPUT;
    }
    enum { N_DEFAULT_Q = 19 }; /* 0.05, 0.10, ..., 0.95 */
    c->nq = N_DEFAULT_Q;
    for (int k = 0; k < N_DEFAULT_Q; k++)
        c->qs[k] = 0.05 * (k + 1);
    if (a->q && (c->nq = parse_list("--q", a->q, c->qs, MAX_LIST)) < 0)
        return TS_EINPUT;
    c->n_others = -1;
    if (a->others) {
        if ((c->n_others = parse_list("--others", a->others, c->others,
                                      MAX_LIST - 1)) < 0)
            return TS_EINPUT;
        if (a->N_given && a->N != c->n_others + 1) {
            fprintf(stderr, "truthsim best-response: --others has %d reports "
                            "but --N %ld needs %ld\n", c->n_others, a->N,
                    a->N - 1);
            return TS_EINPUT;
        }
        a->N = c->n_others + 1;
        if (a->N < 2) {
            fprintf(stderr, "truthsim best-response: --others needs at "
                            "least one report\n");
            return TS_EINPUT;
        }
    }
    if (a->N > MAX_LIST || a->m > 62) {
        fprintf(stderr, "truthsim best-response: N = %ld or m = %ld is too "
                        "large (N <= %d, m <= 62)\n", a->N, a->m, MAX_LIST);
        return TS_EINPUT;
    }
    c->g = (ts_shape){.N = (int)a->N, .m = (int)a->m, .T = a->T,
                      .feedback = c->fb};
    return TS_OK;
}

/* The mechanisms, comma-separated. */
static int parse_mechanisms(br_cmd *c)
{
    char mbuf[1024];
    snprintf(mbuf, sizeof mbuf, "%s", c->a.mech);
    c->nm = 0;
    if (!(c->reg = ts_cli_registry(&c->a.plugins, &c->e))) {
        fprintf(stderr, "truthsim best-response: %s\n", c->e.msg);
        return c->e.code;
    }
    for (char *sv = NULL, *tok = strtok_r(mbuf, ",", &sv); tok;
         tok = strtok_r(NULL, ",", &sv)) {
        if (c->nm == MAX_MECH) {
            fprintf(stderr, "truthsim best-response: --mechanism: at most "
                            "%d mechanisms\n", MAX_MECH);
            return TS_EINPUT;
        }
        if (!(c->mts[c->nm++] = ts_registry_mechanism(c->reg, tok, c->fb, &c->e))) {
            fprintf(stderr, "truthsim best-response: --mechanism: %s\n",
                    c->e.msg);
            return TS_EINPUT;
        }
    }
    if (c->nm == 0) {
        fprintf(stderr, "truthsim best-response: --mechanism: no name given\n");
        return TS_EINPUT;
    }
    return TS_OK;
}

/* --set KEY=VALUE, parsed once: epsilon, or a parameter of at least one
 * of the mechanisms (each mechanism takes the ones it declares; checked
 * in build_problems). */
static int parse_sets(br_cmd *c)
{
    c->n_kv = 0;
    for (int k = 0; k < c->a.n_set; k++) {
        const char *s = c->a.set[k];
        double v;
        long key_len = ts_cli_set_split(s, &v);
        if (key_len < 0 || (size_t)key_len >= sizeof c->set_key[0]) {
            fprintf(stderr, "truthsim best-response: --set %s: expected "
                            "KEY=NUMBER\n", s);
            return TS_EINPUT;
        }
        snprintf(c->set_key[c->n_kv], sizeof c->set_key[0], "%.*s",
                 (int)key_len, s);
        c->set_val[c->n_kv++] = v;
    }
    return TS_OK;
}

/* --sweep KEY=V1,V2,...: the whole table once per value. */
static int parse_sweep(br_cmd *c)
{
    sweep *swp = &c->swp;
    const char *arg = c->a.sweep;
    memset(swp, 0, sizeof *swp);
    swp->n = 1;
    if (!arg)
        return TS_OK;
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof swp->key) {
        fprintf(stderr, "truthsim best-response: --sweep %s: expected "
                        "KEY=V1,V2,...\n", arg);
        return TS_EINPUT;
    }
    snprintf(swp->key, sizeof swp->key, "%.*s", (int)(eq - arg), arg);
    swp->n = 0;
    for (const char *p = eq + 1;;) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v) || (*end && *end != ',') ||
            swp->n == MAX_LIST) {
            fprintf(stderr, "truthsim best-response: --sweep %s: expected "
                            "comma-separated numbers\n", arg);
            return TS_EINPUT;
        }
        swp->v[swp->n++] = v;
        if (!*end)
            return TS_OK;
        p = end + 1;
    }
}

/* ------------------------------------------------------------------ */
/* Build the problems                                                  */

/* The buffers and the table, NaN until written; the reports of worker 0
 * (overwritten by each candidate) and of the others: their bands centres
 * for p = 1, or --others. */
static int alloc_table(br_cmd *c)
{
    const int N = c->g.N, m = c->g.m, ns = c->swp.n;
    const size_t nr = (size_t)c->nm * (size_t)ns * (size_t)c->nq;
    const size_t nmax = (size_t)c->nm * (size_t)ns;
    const size_t n_out = 5 * nr + nmax + nmax * TS_MAX_PARAMS;
    c->q = malloc((size_t)m * sizeof(double));
    c->r = malloc((size_t)N * m * sizeof(double));
    c->rstar = malloc((size_t)m * sizeof(double));
    c->out = malloc(n_out * sizeof(double));
    if (!c->q || !c->r || !c->rstar || !c->out) {
        fprintf(stderr, "truthsim best-response: out of memory\n");
        return TS_ENOMEM;
    }
    for (size_t k = 0; k < n_out; k++)
        c->out[k] = NAN;
    c->o_r = c->out;
    c->o_dev = c->out + nr;
    c->o_gain = c->out + 2 * nr;
    c->o_gci = c->out + 3 * nr;
    c->o_zero = c->out + 4 * nr;
    c->o_max = c->out + 5 * nr;
    c->par_v = c->o_max + nmax;
    for (int k = 0; k < N; k++) {
        double rk = 0.5;
        if (k > 0)
            rk = c->n_others >= 0 ? c->others[k - 1]
                 : 1.0 - (0.5 + (N > 2 ? 0.3 * (k - 1) / (N - 2) : 0.0));
        for (int j = 0; j < m; j++)
            c->r[(size_t)k * m + j] = rk;
    }
    return TS_OK;
}

/* Setting k (a --set, or the swept value last): epsilon, or the
 * parameter of every mechanism that declares it. */
static int apply_setting(br_cmd *c, int k)
{
    const double v = c->set_val[k];
    const char *key = c->set_key[k];
    if (!strcmp(key, "epsilon")) {
        if (!(v >= 0.0 && v <= 0.5)) {
            fprintf(stderr, "truthsim best-response: epsilon = %g: "
                            "must be in [0, 0.5] (Prop. 3)\n", v);
            return TS_EINPUT;
        }
        c->epsilon = v;
        return TS_OK;
    }
    int used = 0;
    char names[512] = "";
    for (int h = 0; h < c->nm; h++) {
        const ts_mechanism_type *mt = c->mts[h];
        int i = ts_param_find(mt->params, mt->n_params, key);
        if (i >= 0 && !(mt->params[i].flags & TS_PARAM_VEC)) {
            c->pars[h].v[i] = v;
            c->pars[h].set[i] = 1;
            used = 1;
        }
        for (int j = 0; j < mt->n_params; j++) {
            strncat(names, names[0] ? ", " : "",
                    sizeof names - strlen(names) - 1);
            strncat(names, mt->params[j].name,
                    sizeof names - strlen(names) - 1);
        }
    }
    if (!used) {
        fprintf(stderr, "truthsim best-response: %s %s=%g: %s has no "
                        "parameter '%s' (parameters: %s; and epsilon)\n",
                k < c->n_kv ? "--set" : "--sweep", key, v, c->a.mech, key,
                names[0] ? names : "none");
        return TS_EINPUT;
    }
    return TS_OK;
}

/* The problems of sweep value si: epsilon, and each mechanism's
 * parameters -- the --set values, the swept one, then the one set-up of
 * every plugin (defaults for T, ranges, preconditions; plugin.h). */
static int build_problems(br_cmd *c, int si)
{
    const int ns = c->swp.n;
    for (int h = 0; h < c->nm; h++)
        ts_params_init(&c->pars[h], c->mts[h]->n_params);
    c->epsilon = 0.0;
    if (c->swp.key[0]) {
        snprintf(c->set_key[c->n_kv], sizeof c->set_key[0], "%s", c->swp.key);
        c->set_val[c->n_kv] = c->swp.v[si];
    }
    const int n_use = c->n_kv + (c->swp.key[0] ? 1 : 0);
    for (int k = 0; k < n_use; k++) {
        int rc = apply_setting(c, k);
        if (rc)
            return rc;
    }
    for (int h = 0; h < c->nm; h++) {
        int rc = ts_owner_resolve(&c->mts[h]->owner, &c->g, &c->pars[h],
                                  &c->e);
        if (rc) {
            fprintf(stderr, "truthsim best-response: %s\n", c->e.msg);
            return rc;
        }
        double *pv = c->par_v + ((size_t)h * ns + (size_t)si) * TS_MAX_PARAMS;
        for (int i = 0; i < c->mts[h]->n_params; i++)
            pv[i] = c->pars[h].v[i];
    }
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Solve the table, printing each row as it is found                   */

static void print_header(const br_cmd *c)
{
    if (c->nm > 1)
        printf("mechanism\t");
    if (c->swp.key[0])
        printf("%s\t", c->swp.key);
    printf("q\tr_star\tabs_dev\tgain\tgain_ci\n");
}

static void print_row(const br_cmd *c, int h, int si, int k, size_t ix)
{
    if (c->nm > 1)
        printf("%s\t", c->mts[h]->name);
    if (c->swp.key[0])
        printf("%g\t", c->swp.v[si]);
    printf("%.6g\t%.10g\t%.6g\t%.6g\t%.3g\n", c->qs[k], c->o_r[ix],
           c->o_dev[ix], c->o_gain[ix], c->o_gci[ix]);
}

/* Every q against mechanism h at sweep value si, from its fresh state. */
static int solve_mechanism(br_cmd *c, int si, int h)
{
    const ts_mechanism_type *mt = c->mts[h];
    const int m = c->g.m, ns = c->swp.n;
    ts_br_work *w = NULL;
    void *state = malloc(mt->state_size(&c->g));
    if (!state) {
        fprintf(stderr, "truthsim best-response: out of memory\n");
        return TS_ENOMEM;
    }
    int rc;
    if ((rc = mt->init(state, &c->g, &c->pars[h], &c->e)) ||
        (rc = ts_br_work_alloc(&w, mt, &c->g, &c->o, &c->e))) {
        fprintf(stderr, "truthsim best-response: %s\n", c->e.msg);
        free(state);
        return rc;
    }
    ts_br_problem pb = {.mt = mt, .g = c->g, .par = &c->pars[h],
                        .state = state, .t = 0, .i = 0, .m = m, .q = c->q,
                        .r_others = c->r, .epsilon = c->epsilon,
                        .utility = c->util, .exchangeable = 1};
    double mx = 0;
    for (int k = 0; k < c->nq && !rc; k++) {
        if (c->stop && *c->stop) {
            rc = TS_ERROR(&c->e, TS_EINTR, "interrupted");
            fprintf(stderr, "truthsim best-response: interrupted\n");
            break;
        }
        const double qk = c->qs[k];
        for (int j = 0; j < m; j++)
            c->q[j] = qk;
        ts_br_result res;
        rc = ts_best_response(&pb, &c->o, w, c->rstar, &res, &c->e);
        if (rc == TS_ENOCONV) {
            fprintf(stderr, "truthsim best-response: warning: %s, "
                            "q = %g: %s\n", mt->name, qk, c->e.msg);
            c->noconv = 1;
            rc = TS_OK;
        } else if (rc) {
            fprintf(stderr, "truthsim best-response: %s, q = %g: %s\n",
                    mt->name, qk, c->e.msg);
            break;
        }
        const size_t ix = ((size_t)h * ns + (size_t)si) * c->nq + (size_t)k;
        c->o_r[ix] = c->rstar[0];
        c->o_dev[ix] = fabs(c->rstar[0] - qk);
        c->o_gain[ix] = res.gain;
        c->o_gci[ix] = res.gain_ci;
        c->o_zero[ix] = 0.0;
        if (c->o_dev[ix] > mx)
            mx = c->o_dev[ix];
        print_row(c, h, si, k, ix);
    }
    if (!rc)
        c->o_max[(size_t)h * ns + (size_t)si] = mx;
    ts_br_work_free(w);
    free(state);
    return rc;
}

static int solve_table(br_cmd *c)
{
    print_header(c);
    for (int si = 0; si < c->swp.n; si++) {
        int rc = build_problems(c, si);
        for (int h = 0; !rc && h < c->nm; h++)
            rc = solve_mechanism(c, si, h);
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Write                                                               */

/* Every parameter value each mechanism used, as `truthsim run` writes
 * them (defaults such as alpha depend on N, m and T): group
 * params/<mechanism>, a dataset per parameter over KEY when swept (scale
 * ss), else a scalar.  List parameters are left out: --set gives numbers
 * only, and no mechanism declares one. */
static int write_params(hid_t root, const br_cmd *c, hid_t ss)
{
    const int ns = c->swp.n, swept = c->swp.key[0] != 0;
    const hsize_t dims[1] = {(hsize_t)ns};
    double *tmp = malloc((size_t)ns * sizeof *tmp);
    hid_t g = H5Gcreate2(root, "params", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int bad = g < 0 || !tmp;
    for (int h = 0; !bad && h < c->nm; h++) {
        const ts_mechanism_type *mt = c->mts[h];
        if (!mt->n_params)
            continue;
        hid_t gm = H5Gcreate2(g, mt->name, H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT);
        bad = gm < 0;
        for (int i = 0; !bad && i < mt->n_params; i++) {
            if (mt->params[i].flags & TS_PARAM_VEC)
                continue;
            for (int si = 0; si < ns; si++)
                tmp[si] = c->par_v[((size_t)h * ns + (size_t)si) *
                                   TS_MAX_PARAMS + (size_t)i];
            bad = ts_h5_write(gm, mt->params[i].name, H5T_NATIVE_DOUBLE, tmp,
                              swept, dims, swept ? &ss : NULL,
                              mt->params[i].doc) != TS_OK;
        }
        /* The swept axis as the group's own coordinate (xarray group=). */
        if (!bad && swept)
            bad = ts_h5_link_scales(gm, 1, &ss);
        if (gm >= 0)
            H5Gclose(gm);
    }
    if (g >= 0)
        H5Gclose(g);
    free(tmp);
    return bad;
}

/* The setting as root attributes, beside the provenance of every truthsim
 * file (base/provenance.h). */
static int write_attrs(hid_t root, const br_cmd *c, const char *command_line)
{
    const ts_shape *g = &c->g;
    const ts_br_options *o = &c->o;
    char plugins[4096];
    ts_registry_provenance(c->reg, plugins, sizeof plugins);
    ts_provenance prov = {.command_line = command_line, .plugins = plugins};
    return ts_h5_attr_str(root, "name", "best_response") ||
           ts_h5_attr_str(root, "kind", "best-response") ||
           ts_h5_attr_long(root, "N", g->N) || ts_h5_attr_long(root, "m", g->m) ||
           ts_h5_attr_long(root, "T", g->T) ||
           ts_h5_attr_str(root, "feedback", g->feedback == TS_FULL ? "full" : "limited") ||
           ts_h5_attr_double(root, "epsilon", c->epsilon) ||
           ts_h5_attr_str(root, "utility", c->util == TS_BR_SHARE ? "share" : "weight") ||
           ts_h5_attr_long(root, "samples", o->samples) ||
           ts_h5_attr_long(root, "exact_budget", o->exact_budget) ||
           ts_h5_attr_long(root, "seed", (long)o->seed) ||
           ts_provenance_write(root, &prov);
}

/* The table as HDF5: datasets over (mechanism, [KEY,] q), each with its
 * _ci companion (r*'s is 0: the search is deterministic; gain_ci is the
 * Monte Carlo half-width, 0 when exact). */
static int write_h5(const br_cmd *c, const char *path,
                    const char *command_line, ts_err *e)
{
    const sweep *sw = &c->swp;
    const int nm = c->nm, nq = c->nq;
    const char *names[MAX_MECH];
    for (int h = 0; h < nm; h++)
        names[h] = c->mts[h]->name;
    ts_h5file f;
    int rc = ts_h5_create(&f, path, e);
    if (rc)
        return rc;
    hid_t sm = ts_h5_scale_str(f.id, "mechanism", names, (size_t)nm);
    hid_t ss = sw->key[0] ? ts_h5_scale_double(f.id, sw->key, sw->v, (size_t)sw->n) : -1;
    hid_t sq = ts_h5_scale_double(f.id, "q", c->qs, (size_t)nq);
    int ok = sm >= 0 && sq >= 0 && (!sw->key[0] || ss >= 0);
    /* (mechanism, [KEY,] q) */
    const int rank = sw->key[0] ? 3 : 2;
    const hsize_t dims[3] = {(hsize_t)nm, sw->key[0] ? (hsize_t)sw->n : (hsize_t)nq,
                             (hsize_t)nq};
    const hid_t sc[3] = {sm, sw->key[0] ? ss : sq, sq};
    const struct {
        const char *name;
        const double *v;
        const char *what;
    } ds[] = {
        {"r_star", c->o_r, "best response r*(q) of worker 0 (first prompt)"},
        {"r_star_ci", c->o_zero, "0: the search is deterministic"},
        {"abs_dev", c->o_dev, "|r* - q|"},
        {"abs_dev_ci", c->o_zero, "0: the search is deterministic"},
        {"gain", c->o_gain, "U(r*) - U(q), expected utility after one slot"},
        {"gain_ci", c->o_gci, "95 % half-width of gain (Monte Carlo; 0 exact)"},
    };
    for (size_t k = 0; ok && k < sizeof ds / sizeof ds[0]; k++)
        ok = !ts_h5_write(f.id, ds[k].name, H5T_NATIVE_DOUBLE, ds[k].v, rank,
                          dims, sc, ds[k].what);
    if (ok && sw->key[0]) {
        /* The size of the deviation against the swept parameter (Lemma 2:
         * small at the paper's eta, large at eta ~ 3), with a zero _ci. */
        ok = !ts_h5_write(f.id, "max_abs_dev", H5T_NATIVE_DOUBLE, c->o_max, 2,
                          dims, sc, "max over q of |r* - q|") &&
             !ts_h5_write(f.id, "max_abs_dev_ci", H5T_NATIVE_DOUBLE, c->o_zero,
                          2, dims, sc, "0: the search is deterministic");
    }
    ok = ok && !write_params(f.id, c, ss) &&
         !write_attrs(f.id, c, command_line);
    if (sm >= 0)
        H5Dclose(sm);
    if (ss >= 0)
        H5Dclose(ss);
    if (sq >= 0)
        H5Dclose(sq);
    return ts_cli_h5_finish(&f, !ok, path, "writing the best-response table",
                            c->stop, e);
}

/* ------------------------------------------------------------------ */

static void br_cmd_free(br_cmd *c)
{
    free(c->q);
    free(c->r);
    free(c->rstar);
    free(c->out);
    ts_registry_free(c->reg);
    free(c);
}

int ts_cli_best_response(int argc, char **argv, const ts_cli_env *env)
{
    br_cmd *c = calloc(1, sizeof *c);
    if (!c) {
        fprintf(stderr, "truthsim best-response: out of memory\n");
        return TS_EXIT_SOFTWARE;
    }
    parse_args(c, argc, argv);
    ts_err_clear(&c->e);
    c->stop = env->stop;
    int rc = parse_setting(c);
    /* A doomed -O file is refused before the table is solved. */
    if (!rc && c->a.output && (rc = ts_out_probe(c->a.output, &c->e)))
        fprintf(stderr, "truthsim best-response: %s\n", c->e.msg);
    if (!rc)
        rc = parse_mechanisms(c);
    if (!rc)
        rc = parse_sets(c);
    if (!rc)
        rc = parse_sweep(c);
    if (!rc)
        rc = alloc_table(c);
    if (!rc)
        rc = solve_table(c);
    if (!rc && fflush(stdout)) {
        fprintf(stderr, "truthsim best-response: writing stdout failed\n");
        rc = TS_EIO;
    }
    if (!rc && c->a.output) {
        rc = write_h5(c, c->a.output, env->command_line, &c->e);
        if (rc)
            fprintf(stderr, "truthsim best-response: %s\n", c->e.msg);
    }
    const int noconv = c->noconv;
    br_cmd_free(c);
    if (rc)
        return ts_cli_exit_code(rc);
    return noconv ? TS_EXIT_FAILED : TS_EXIT_OK;
}

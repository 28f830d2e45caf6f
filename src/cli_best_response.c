/* cli_best_response.c -- `truthsim best-response`: a table of single-slot
 * best responses r*(q) over a grid of beliefs (SPEC §4 `best-response`;
 * the checks of SPEC §5), computed by src/bestresp.c.
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
 * Output (stdout): TSV with the header `q r_star abs_dev gain gain_ci`.
 * Warnings and errors go to stderr; bad input exits 2 with one line. */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bestresp.h"
#include "cli.h"
#include "games.h"

#define MAX_SET 32
#define MAX_LIST 1024

typedef struct br_args {
    const char *mech, *feedback, *utility, *q, *others;
    char *set[MAX_SET];
    int n_set;
    long N, m, T, samples, budget;
    unsigned long long seed;
    int N_given;
} br_args;

static const struct argp_option options[] = {
    {"mechanism", 'M', "NAME", 0, "Mechanism (truthsim list shows them)", 0},
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
    {"budget", 'b', "B", 0, "Most outcomes enumerated exactly (default "
     "16384; 0 forces Monte Carlo)", 0},
    {0},
};

static long parse_long(struct argp_state *state, const char *opt,
                       const char *arg, long lo)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (*end || end == arg || errno || v < lo)
        argp_error(state, "%s %s: expected an integer >= %ld", opt, arg, lo);
    return v;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
    br_args *a = state->input;
    char *end;
    switch (key) {
    case 'M': a->mech = arg; break;
    case 'f': a->feedback = arg; break;
    case 'u': a->utility = arg; break;
    case 'q': a->q = arg; break;
    case 'o': a->others = arg; break;
    case 'S':
        if (a->n_set == MAX_SET)
            argp_error(state, "at most %d --set options", MAX_SET);
        a->set[a->n_set++] = arg;
        break;
    case 'm': a->m = parse_long(state, "--m", arg, 1); break;
    case 'N':
        a->N = parse_long(state, "--N", arg, 2);
        a->N_given = 1;
        break;
    case 'T': a->T = parse_long(state, "--T", arg, 1); break;
    case 'n': a->samples = parse_long(state, "--samples", arg, 2); break;
    case 'b': a->budget = parse_long(state, "--budget", arg, 0); break;
    case 's':
        errno = 0;
        a->seed = strtoull(arg, &end, 10);
        if (*end || errno || arg[0] == '-' || end == arg)
            argp_error(state, "--seed %s: expected a non-negative integer", arg);
        break;
    case ARGP_KEY_ARG:
        argp_error(state, "unexpected argument '%s'", arg);
        break;
    case ARGP_KEY_END:
        if (!a->mech)
            argp_error(state, "--mechanism is required");
        break;
    default:
        return ARGP_ERR_UNKNOWN;
    }
    return 0;
}

static const struct argp argp = {
    options, parse_opt, NULL,
    "Single-slot best responses: for each belief q, the report r* that "
    "maximises worker 0's expected utility after the next slot, against "
    "truthful others, and its gain over truthful reporting.  Prints TSV: "
    "q r_star abs_dev gain gain_ci (gain_ci is 0 when the expectation is "
    "exact).",
    NULL, NULL, NULL,
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

int ts_cli_best_response(int argc, char **argv, const ts_cli_env *env)
{
    (void)env;
    br_args a;
    memset(&a, 0, sizeof a);
    a.N = 5;
    a.m = 1;
    a.T = 500;
    a.seed = 1;
    ts_br_options o;
    ts_br_options_default(&o);
    a.samples = o.samples;
    a.budget = o.exact_budget;
    argp_parse(&argp, argc, argv, 0, NULL, &a);
    ts_err e;
    ts_err_clear(&e);

    ts_feedback fb = TS_FULL;
    if (a.feedback && !strcmp(a.feedback, "limited"))
        fb = TS_LIMITED;
    else if (a.feedback && strcmp(a.feedback, "full")) {
        fprintf(stderr, "truthsim best-response: --feedback %s: must be full "
                        "or limited\n", a.feedback);
        return TS_EXIT_USAGE;
    }
    ts_br_utility util = TS_BR_WEIGHT;
    if (a.utility && ts_br_parse_utility(a.utility, &util, &e)) {
        fprintf(stderr, "truthsim best-response: --utility: %s\n", e.msg);
        return TS_EXIT_USAGE;
    }
    const ts_mechanism_type *mt = ts_mechanism_find(a.mech, fb, &e);
    if (!mt) {
        fprintf(stderr, "truthsim best-response: --mechanism: %s\n", e.msg);
        return TS_EXIT_USAGE;
    }

    enum { N_DEFAULT_Q = 19 }; /* 0.05, 0.10, ..., 0.95 */
    double qs[MAX_LIST], others[MAX_LIST];
    int nq = N_DEFAULT_Q;
    for (int k = 0; k < N_DEFAULT_Q; k++)
        qs[k] = 0.05 * (k + 1);
    if (a.q && (nq = parse_list("--q", a.q, qs, MAX_LIST)) < 0)
        return TS_EXIT_USAGE;
    int n_others = -1;
    if (a.others) {
        if ((n_others = parse_list("--others", a.others, others,
                                   MAX_LIST - 1)) < 0)
            return TS_EXIT_USAGE;
        if (a.N_given && a.N != n_others + 1) {
            fprintf(stderr, "truthsim best-response: --others has %d reports "
                            "but --N %ld needs %ld\n", n_others, a.N,
                    a.N - 1);
            return TS_EXIT_USAGE;
        }
        a.N = n_others + 1;
        if (a.N < 2) {
            fprintf(stderr, "truthsim best-response: --others needs at "
                            "least one report\n");
            return TS_EXIT_USAGE;
        }
    }
    if (a.N > MAX_LIST || a.m > 62) {
        fprintf(stderr, "truthsim best-response: N = %ld or m = %ld is too "
                        "large (N <= %d, m <= 62)\n", a.N, a.m, MAX_LIST);
        return TS_EXIT_USAGE;
    }

    const int N = (int)a.N, m = (int)a.m;
    ts_shape g = {.N = N, .m = m, .T = a.T, .feedback = fb};
    ts_params par;
    ts_params_init(&par, mt->n_params);
    double epsilon = 0.0;
    for (int k = 0; k < a.n_set; k++) {
        char *eq = strchr(a.set[k], '=');
        char *end = NULL;
        double v = eq ? strtod(eq + 1, &end) : NAN;
        if (!eq || !end || *end || end == eq + 1 || !isfinite(v)) {
            fprintf(stderr, "truthsim best-response: --set %s: expected "
                            "KEY=NUMBER\n", a.set[k]);
            return TS_EXIT_USAGE;
        }
        *eq = '\0';
        if (!strcmp(a.set[k], "epsilon")) {
            if (!(v >= 0.0 && v <= 0.5)) {
                fprintf(stderr, "truthsim best-response: --set epsilon=%g: "
                                "must be in [0, 0.5] (Prop. 3)\n", v);
                return TS_EXIT_USAGE;
            }
            epsilon = v;
            continue;
        }
        int i = ts_param_find(mt->params, mt->n_params, a.set[k]);
        if (i < 0 || (mt->params[i].flags & TS_PARAM_VEC)) {
            char names[256] = "";
            for (int j = 0; j < mt->n_params; j++) {
                strncat(names, j ? ", " : "", sizeof names - strlen(names) - 1);
                strncat(names, mt->params[j].name,
                        sizeof names - strlen(names) - 1);
            }
            fprintf(stderr, "truthsim best-response: --set %s: %s has no "
                            "parameter '%s' (parameters: %s; and epsilon)\n",
                    a.set[k], mt->name, a.set[k], names[0] ? names : "none");
            return TS_EXIT_USAGE;
        }
        par.v[i] = v;
        par.set[i] = 1;
    }
    mt->defaults(&g, &par);
    int rc = ts_params_check(&par, mt->params, mt->n_params, mt->name, &e);
    if (!rc && mt->check)
        rc = mt->check(&g, &par, &e);
    if (rc) {
        fprintf(stderr, "truthsim best-response: %s\n", e.msg);
        return TS_EXIT_USAGE;
    }

    o.samples = a.samples;
    o.exact_budget = a.budget;
    o.seed = a.seed;
    void *state = malloc(mt->state_size(&g));
    double *q = malloc((size_t)m * sizeof(double));
    double *r = malloc((size_t)N * m * sizeof(double));
    double *rstar = malloc((size_t)m * sizeof(double));
    ts_br_work *w = NULL;
    int noconv = 0;
    if (!state || !q || !r || !rstar) {
        fprintf(stderr, "truthsim best-response: out of memory\n");
        rc = TS_ENOMEM;
        goto done;
    }
    if ((rc = mt->init(state, &g, &par, &e)) ||
        (rc = ts_br_work_alloc(&w, mt, &g, &o, &e))) {
        fprintf(stderr, "truthsim best-response: %s\n", e.msg);
        goto done;
    }
    /* Worker 0 deviates; the others report their bands centres (p = 1). */
    for (int k = 0; k < N; k++) {
        double rk = 0.5;
        if (k > 0)
            rk = n_others >= 0 ? others[k - 1]
                 : 1.0 - (0.5 + (N > 2 ? 0.3 * (k - 1) / (N - 2) : 0.0));
        for (int j = 0; j < m; j++)
            r[(size_t)k * m + j] = rk;
    }
    ts_br_problem pb = {.mt = mt, .g = g, .par = &par, .state = state,
                        .t = 0, .i = 0, .m = m, .q = q, .r_others = r,
                        .epsilon = epsilon, .utility = util,
                        .exchangeable = 1};
    printf("q\tr_star\tabs_dev\tgain\tgain_ci\n");
    for (int h = 0; h < nq; h++) {
        for (int j = 0; j < m; j++)
            q[j] = qs[h];
        ts_br_result res;
        rc = ts_best_response(&pb, &o, w, rstar, &res, &e);
        if (rc == TS_ENOCONV) {
            fprintf(stderr, "truthsim best-response: warning: q = %g: %s\n",
                    qs[h], e.msg);
            noconv = 1;
            rc = TS_OK;
        } else if (rc) {
            fprintf(stderr, "truthsim best-response: q = %g: %s\n", qs[h],
                    e.msg);
            goto done;
        }
        printf("%.6g\t%.10g\t%.6g\t%.6g\t%.3g\n", qs[h], rstar[0],
               fabs(rstar[0] - qs[h]), res.gain, res.gain_ci);
    }
    if (fflush(stdout)) {
        fprintf(stderr, "truthsim best-response: writing stdout failed\n");
        rc = TS_EIO;
    }
done:
    ts_br_work_free(w);
    free(state);
    free(q);
    free(r);
    free(rstar);
    if (rc)
        return ts_cli_exit_code(rc);
    return noconv ? TS_EXIT_FAILED : TS_EXIT_OK;
}

/* cli_best_response.c -- `truthsim best-response`: a table of single-slot
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
 * br_rstar: r*(q) against the diagonal, br_gain).
 * Warnings and errors go to stderr; bad input exits 2 with one line. */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "game/bestresp.h"
#include "cli/cli.h"
#include "games/games.h"
#include "base/h5util.h"

#define MAX_SET 32
#define MAX_LIST 1024

typedef struct br_args {
    const char *mech, *feedback, *utility, *q, *others, *output, *sweep;
    char *set[MAX_SET];
    int n_set;
    long N, m, T, samples, budget;
    unsigned long long seed;
    int N_given;
} br_args;

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
    case 'O': a->output = arg; break;
    case 'W': a->sweep = arg; break;
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

/* The table as HDF5: datasets over (mechanism, q), each with its _ci
 * companion (r*'s is 0: the search is deterministic; gain_ci is the Monte
 * Carlo half-width, 0 when exact). */
/* The swept parameter, if any: its name and values. */
typedef struct sweep {
    char key[64];
    int n;
    double v[MAX_LIST];
} sweep;

static int write_h5(const char *path, const char *const *names, int nm,
                    const sweep *sw, const double *qs, int nq,
                    const double *r_star, const double *dev,
                    const double *gain, const double *gain_ci,
                    const double *zero, const double *max_dev,
                    const ts_shape *g, double epsilon, ts_br_utility util,
                    const ts_br_options *o, ts_err *e)
{
    ts_h5file f;
    int rc = ts_h5_create(&f, path, e);
    if (rc)
        return rc;
    hid_t sm = ts_h5_scale_str(f.id, "mechanism", names, (size_t)nm);
    hid_t ss = sw->key[0] ? ts_h5_scale_double(f.id, sw->key, sw->v, (size_t)sw->n) : -1;
    hid_t sq = ts_h5_scale_double(f.id, "q", qs, (size_t)nq);
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
        {"r_star", r_star, "best response r*(q) of worker 0 (first prompt)"},
        {"r_star_ci", zero, "0: the search is deterministic"},
        {"abs_dev", dev, "|r* - q|"},
        {"abs_dev_ci", zero, "0: the search is deterministic"},
        {"gain", gain, "U(r*) - U(q), expected utility after one slot"},
        {"gain_ci", gain_ci, "95 % half-width of gain (Monte Carlo; 0 exact)"},
    };
    for (size_t k = 0; ok && k < sizeof ds / sizeof ds[0]; k++)
        ok = !ts_h5_write(f.id, ds[k].name, H5T_NATIVE_DOUBLE, ds[k].v, rank,
                          dims, sc, ds[k].what);
    if (ok && sw->key[0]) {
        /* The size of the deviation against the swept parameter (Lemma 2:
         * small at the paper's eta, large at eta ~ 3), with a zero _ci. */
        ok = !ts_h5_write(f.id, "max_abs_dev", H5T_NATIVE_DOUBLE, max_dev, 2,
                          dims, sc, "max over q of |r* - q|") &&
             !ts_h5_write(f.id, "max_abs_dev_ci", H5T_NATIVE_DOUBLE, zero, 2,
                          dims, sc, "0: the search is deterministic");
    }
    ok = ok && !ts_h5_attr_str(f.id, "name", "best_response") &&
         !ts_h5_attr_str(f.id, "kind", "best-response") &&
         !ts_h5_attr_long(f.id, "N", g->N) && !ts_h5_attr_long(f.id, "m", g->m) &&
         !ts_h5_attr_long(f.id, "T", g->T) &&
         !ts_h5_attr_str(f.id, "feedback", g->feedback == TS_FULL ? "full" : "limited") &&
         !ts_h5_attr_double(f.id, "epsilon", epsilon) &&
         !ts_h5_attr_str(f.id, "utility", util == TS_BR_SHARE ? "share" : "weight") &&
         !ts_h5_attr_long(f.id, "samples", o->samples) &&
         !ts_h5_attr_long(f.id, "exact_budget", o->exact_budget) &&
         !ts_h5_attr_long(f.id, "seed", (long)o->seed);
    if (sm >= 0)
        H5Dclose(sm);
    if (ss >= 0)
        H5Dclose(ss);
    if (sq >= 0)
        H5Dclose(sq);
    if (!ok) {
        ts_h5_close(&f, 0, e);
        return TS_ERROR(e, TS_EIO, "%s: writing the best-response table failed",
                        path);
    }
    return ts_h5_close(&f, 1, e);
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

    /* The mechanisms, comma-separated. */
    enum { MAX_MECH = 16 };
    const ts_mechanism_type *mts[MAX_MECH];
    int nm = 0;
    char mbuf[1024];
    snprintf(mbuf, sizeof mbuf, "%s", a.mech);
    for (char *sv = NULL, *tok = strtok_r(mbuf, ",", &sv); tok;
         tok = strtok_r(NULL, ",", &sv)) {
        if (nm == MAX_MECH) {
            fprintf(stderr, "truthsim best-response: --mechanism: at most "
                            "%d mechanisms\n", MAX_MECH);
            return TS_EXIT_USAGE;
        }
        if (!(mts[nm++] = ts_mechanism_find(tok, fb, &e))) {
            fprintf(stderr, "truthsim best-response: --mechanism: %s\n", e.msg);
            return TS_EXIT_USAGE;
        }
    }
    if (nm == 0) {
        fprintf(stderr, "truthsim best-response: --mechanism: no name given\n");
        return TS_EXIT_USAGE;
    }

    /* --set KEY=VALUE, parsed once: epsilon, or a parameter of at least one
     * of the mechanisms (each mechanism takes the ones it declares). */
    char set_key[MAX_SET + 1][64];
    double set_val[MAX_SET + 1];
    int n_kv = 0;
    for (int k = 0; k < a.n_set; k++) {
        char *eq = strchr(a.set[k], '=');
        char *end = NULL;
        double v = eq ? strtod(eq + 1, &end) : NAN;
        if (!eq || !end || *end || end == eq + 1 || !isfinite(v) ||
            (size_t)(eq - a.set[k]) >= sizeof set_key[0]) {
            fprintf(stderr, "truthsim best-response: --set %s: expected "
                            "KEY=NUMBER\n", a.set[k]);
            return TS_EXIT_USAGE;
        }
        snprintf(set_key[n_kv], sizeof set_key[0], "%.*s", (int)(eq - a.set[k]),
                 a.set[k]);
        set_val[n_kv++] = v;
    }
    /* --sweep KEY=V1,V2,...: the whole table once per value. */
    static sweep swp;
    memset(&swp, 0, sizeof swp);
    swp.n = 1;
    if (a.sweep) {
        const char *eq = strchr(a.sweep, '=');
        if (!eq || eq == a.sweep || (size_t)(eq - a.sweep) >= sizeof swp.key) {
            fprintf(stderr, "truthsim best-response: --sweep %s: expected "
                            "KEY=V1,V2,...\n", a.sweep);
            return TS_EXIT_USAGE;
        }
        snprintf(swp.key, sizeof swp.key, "%.*s", (int)(eq - a.sweep), a.sweep);
        swp.n = 0;
        for (const char *p = eq + 1;;) {
            char *end;
            errno = 0;
            double v = strtod(p, &end);
            if (end == p || errno || !isfinite(v) || (*end && *end != ',') ||
                swp.n == MAX_LIST) {
                fprintf(stderr, "truthsim best-response: --sweep %s: expected "
                                "comma-separated numbers\n", a.sweep);
                return TS_EXIT_USAGE;
            }
            swp.v[swp.n++] = v;
            if (!*end)
                break;
            p = end + 1;
        }
    }
    const int ns = swp.n;

    o.samples = a.samples;
    o.exact_budget = a.budget;
    o.seed = a.seed;
    int rc = TS_OK;
    void *state = NULL;
    double *q = malloc((size_t)m * sizeof(double));
    double *r = malloc((size_t)N * m * sizeof(double));
    double *rstar = malloc((size_t)m * sizeof(double));
    /* [nm][ns][nq] results, NaN until written; then max_dev [nm][ns] */
    const size_t nr = (size_t)nm * (size_t)ns * (size_t)nq;
    double *out = malloc((5 * nr + (size_t)nm * ns) * sizeof(double));
    ts_br_work *w = NULL;
    int noconv = 0;
    double epsilon = 0.0;
    if (!q || !r || !rstar || !out) {
        fprintf(stderr, "truthsim best-response: out of memory\n");
        rc = TS_ENOMEM;
        goto done;
    }
    double *o_r = out, *o_dev = out + nr, *o_gain = out + 2 * nr,
           *o_gci = out + 3 * nr, *o_zero = out + 4 * nr, *o_max = out + 5 * nr;
    for (size_t k = 0; k < 5 * nr + (size_t)nm * ns; k++)
        out[k] = NAN;
    /* Worker 0 deviates; the others report their bands centres (p = 1). */
    for (int k = 0; k < N; k++) {
        double rk = 0.5;
        if (k > 0)
            rk = n_others >= 0 ? others[k - 1]
                 : 1.0 - (0.5 + (N > 2 ? 0.3 * (k - 1) / (N - 2) : 0.0));
        for (int j = 0; j < m; j++)
            r[(size_t)k * m + j] = rk;
    }
    if (nm > 1)
        printf("mechanism\t");
    if (swp.key[0])
        printf("%s\t", swp.key);
    printf("q\tr_star\tabs_dev\tgain\tgain_ci\n");
    for (int si = 0; si < ns && !rc; si++) {
        ts_params pars[MAX_MECH];
        for (int k = 0; k < nm; k++)
            ts_params_init(&pars[k], mts[k]->n_params);
        epsilon = 0.0;
        /* The --set values, then the swept one. */
        if (swp.key[0]) {
            snprintf(set_key[n_kv], sizeof set_key[0], "%s", swp.key);
            set_val[n_kv] = swp.v[si];
        }
        const int n_use = n_kv + (swp.key[0] ? 1 : 0);
        for (int k = 0; k < n_use; k++) {
            const double v = set_val[k];
            if (!strcmp(set_key[k], "epsilon")) {
                if (!(v >= 0.0 && v <= 0.5)) {
                    fprintf(stderr, "truthsim best-response: epsilon = %g: "
                                    "must be in [0, 0.5] (Prop. 3)\n", v);
                    rc = TS_EINPUT;
                    goto done;
                }
                epsilon = v;
                continue;
            }
            int used = 0;
            char names[512] = "";
            for (int h = 0; h < nm; h++) {
                const ts_mechanism_type *mt = mts[h];
                int i = ts_param_find(mt->params, mt->n_params, set_key[k]);
                if (i >= 0 && !(mt->params[i].flags & TS_PARAM_VEC)) {
                    pars[h].v[i] = v;
                    pars[h].set[i] = 1;
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
                        k < n_kv ? "--set" : "--sweep", set_key[k], v, a.mech,
                        set_key[k], names[0] ? names : "none");
                rc = TS_EINPUT;
                goto done;
            }
        }
        for (int h = 0; h < nm; h++) {
            mts[h]->defaults(&g, &pars[h]);
            rc = ts_params_check(&pars[h], mts[h]->params, mts[h]->n_params,
                                 mts[h]->name, &e);
            if (!rc && mts[h]->check)
                rc = mts[h]->check(&g, &pars[h], &e);
            if (rc) {
                fprintf(stderr, "truthsim best-response: %s\n", e.msg);
                goto done;
            }
        }
        for (int h = 0; h < nm; h++) {
            const ts_mechanism_type *mt = mts[h];
            free(state);
            state = malloc(mt->state_size(&g));
            ts_br_work_free(w);
            w = NULL;
            if (!state) {
                fprintf(stderr, "truthsim best-response: out of memory\n");
                rc = TS_ENOMEM;
                goto done;
            }
            if ((rc = mt->init(state, &g, &pars[h], &e)) ||
                (rc = ts_br_work_alloc(&w, mt, &g, &o, &e))) {
                fprintf(stderr, "truthsim best-response: %s\n", e.msg);
                goto done;
            }
            ts_br_problem pb = {.mt = mt, .g = g, .par = &pars[h],
                                .state = state, .t = 0, .i = 0, .m = m, .q = q,
                                .r_others = r, .epsilon = epsilon,
                                .utility = util, .exchangeable = 1};
            double mx = 0;
            for (int k = 0; k < nq; k++) {
                for (int j = 0; j < m; j++)
                    q[j] = qs[k];
                ts_br_result res;
                rc = ts_best_response(&pb, &o, w, rstar, &res, &e);
                if (rc == TS_ENOCONV) {
                    fprintf(stderr, "truthsim best-response: warning: %s, "
                                    "q = %g: %s\n", mt->name, qs[k], e.msg);
                    noconv = 1;
                    rc = TS_OK;
                } else if (rc) {
                    fprintf(stderr, "truthsim best-response: %s, q = %g: %s\n",
                            mt->name, qs[k], e.msg);
                    goto done;
                }
                const size_t ix = ((size_t)h * ns + (size_t)si) * nq + (size_t)k;
                o_r[ix] = rstar[0];
                o_dev[ix] = fabs(rstar[0] - qs[k]);
                o_gain[ix] = res.gain;
                o_gci[ix] = res.gain_ci;
                o_zero[ix] = 0.0;
                if (o_dev[ix] > mx)
                    mx = o_dev[ix];
                if (nm > 1)
                    printf("%s\t", mt->name);
                if (swp.key[0])
                    printf("%g\t", swp.v[si]);
                printf("%.6g\t%.10g\t%.6g\t%.6g\t%.3g\n", qs[k], rstar[0],
                       o_dev[ix], res.gain, res.gain_ci);
            }
            o_max[(size_t)h * ns + (size_t)si] = mx;
        }
    }
    if (fflush(stdout)) {
        fprintf(stderr, "truthsim best-response: writing stdout failed\n");
        rc = TS_EIO;
    }
    if (!rc && a.output) {
        const char *names[MAX_MECH];
        for (int h = 0; h < nm; h++)
            names[h] = mts[h]->name;
        rc = write_h5(a.output, names, nm, &swp, qs, nq, o_r, o_dev, o_gain,
                      o_gci, o_zero, o_max, &g, epsilon, util, &o, &e);
        if (rc)
            fprintf(stderr, "truthsim best-response: %s\n", e.msg);
    }
done:
    ts_br_work_free(w);
    free(state);
    free(q);
    free(r);
    free(rstar);
    free(out);
    if (rc)
        return ts_cli_exit_code(rc);
    return noconv ? TS_EXIT_FAILED : TS_EXIT_OK;
}

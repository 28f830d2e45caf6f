/* cli_check.c -- `truthsim check [--claims LIST] [-o OUT.h5]`: runs the
 * paper's claims, prints a table (claim, mechanism, statistic, value,
 * relation, expected or bound, CI, PASS/FAIL/finding), writes the rows to
 * HDF5, and exits 1 when a claim fails. */
#include <argp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/claims.h"
#include "base/h5util.h"
#include "base/provenance.h"
#include "cli/args.h"
#include "base/outfile.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "game/registry.h"

typedef struct check_args {
    char *claims;
    const char *out;
    int threads;
    double scale;
    char *mechs;
    ts_cli_plugins plugins;
} check_args;

static const struct argp_option options[] = {
    {"claims", 'c', "LIST", 0, "Comma-separated claim ids (default: all)", 0},
    {"output", 'o', "OUT.h5", 0, "Also write the rows to this HDF5 file", 0},
    {"threads", 'j', "K", 0, "OpenMP threads (results do not depend on it)", 0},
    {"scale", 's', "X", 0, "Replica counts times X (default 1; 0.25 for a quick look)", 0},
    {"mechanism", 'M', "LIST", 0, "Mechanisms (comma-separated; built-in or "
     "from --plugin) for the claim 'truthful', which is then the default", 0},
    {0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
    check_args *a = state->input;
    char *end;
    switch (key) {
    case 'c': a->claims = arg; break;
    case 'o': a->out = arg; break;
    case 'M': a->mechs = arg; break;
    case ARGP_KEY_INIT: state->child_inputs[0] = &a->plugins; break;
    case 'j': a->threads = ts_cli_arg_threads(state, arg); break;
    case 's':
        a->scale = strtod(arg, &end);
        if (*end || !(a->scale > 0) || a->scale > 100)
            argp_error(state, "--scale %s: expected a number in (0, 100]", arg);
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
    "Run the paper's claims (SPEC section 5) and print PASS/FAIL for each. "
    "Claims: thm1, thm2, lemma1, eps_truthful (and the best-response claims "
    "where available). Rows marked 'finding' report a number the paper makes "
    "no claim about (e.g. the share utility model). With --mechanism: the "
    "claim 'truthful' (r*(q) = q, Def. 2) for those mechanisms.\v"
    TS_CLI_EXIT_HELP,
    children, NULL, NULL,
};

static int write_rows(const ts_claim_list *l, const char *path,
                      const char *cmdline, const char *plugins,
                      const volatile sig_atomic_t *stop, ts_err *e)
{
    ts_h5file f;
    int rc = ts_h5_create(&f, path, e);
    if (rc)
        return rc;
    int n = l->n;
    long *idx = malloc((size_t)(n ? n : 1) * sizeof *idx);
    const char **claim = malloc((size_t)(n ? n : 1) * sizeof *claim);
    const char **mech = malloc((size_t)(n ? n : 1) * sizeof *mech);
    const char **stat = malloc((size_t)(n ? n : 1) * sizeof *stat);
    const char **rel = malloc((size_t)(n ? n : 1) * sizeof *rel);
    double *v = malloc((size_t)(n ? n : 1) * 3 * sizeof *v);
    int32_t *pass = malloc((size_t)(n ? n : 1) * sizeof *pass);
    int bad = !idx || !claim || !mech || !stat || !rel || !v || !pass;
    for (int k = 0; !bad && k < n; k++) {
        idx[k] = k;
        claim[k] = l->rows[k].claim;
        mech[k] = l->rows[k].mechanism;
        stat[k] = l->rows[k].statistic;
        rel[k] = l->rows[k].relation;
        v[k] = l->rows[k].value;
        v[n + k] = l->rows[k].expected;
        v[2 * n + k] = l->rows[k].ci;
        pass[k] = l->rows[k].pass;
    }
    hid_t s_row = bad ? -1 : ts_h5_scale_long(f.id, "row", idx, (size_t)n);
    bad |= s_row < 0;
    hsize_t d = (hsize_t)n;
    if (!bad) {
        bad |= ts_h5_write_strs(f.id, "claim", claim, (size_t)n, s_row, "claim id");
        bad |= ts_h5_write_strs(f.id, "mechanism", mech, (size_t)n, s_row, "mechanism");
        bad |= ts_h5_write_strs(f.id, "statistic", stat, (size_t)n, s_row, "what value measures");
        bad |= ts_h5_write_strs(f.id, "relation", rel, (size_t)n, s_row,
                                "how value must relate to expected");
        bad |= ts_h5_write(f.id, "value", H5T_NATIVE_DOUBLE, v, 1, &d, &s_row, "the statistic");
        bad |= ts_h5_write(f.id, "expected", H5T_NATIVE_DOUBLE, v + n, 1, &d, &s_row,
                           "the bound or target");
        bad |= ts_h5_write(f.id, "ci", H5T_NATIVE_DOUBLE, v + 2 * n, 1, &d, &s_row,
                           "95% CI half-width (0 when exact)");
        bad |= ts_h5_write(f.id, "pass", H5T_NATIVE_INT32, pass, 1, &d, &s_row,
                           "1 pass, 0 fail, -1 finding (no claim asserted)");
        ts_provenance prov = {.command_line = cmdline, .plugins = plugins};
        bad |= ts_provenance_write(f.id, &prov);
    }
    if (s_row >= 0)
        H5Dclose(s_row);
    free(idx);
    free(claim);
    free(mech);
    free(stat);
    free(rel);
    free(v);
    free(pass);
    return ts_cli_h5_finish(&f, bad, path, "writing the check results", stop, e);
}

/* Every id known, before any runs: "--claims prop1,bogus" must not spend
 * prop1's minutes before refusing bogus. */
static int claims_known(const char *const *ids, int n_ids)
{
    for (int k = 0; k < n_ids; k++) {
        int found = 0;
        for (int c = 0; ts_claims[c].id && !found; c++)
            found = !strcmp(ids[k], ts_claims[c].id);
        if (!found) {
            fprintf(stderr, "truthsim check: --claims: unknown claim '%s' (valid:",
                    ids[k]);
            for (int c = 0; ts_claims[c].id; c++)
                fprintf(stderr, "%s %s", c ? "," : "", ts_claims[c].id);
            fprintf(stderr, ")\n");
            return 0;
        }
    }
    return 1;
}

/* --mechanism's names, each full feedback if there is one of that name,
 * else limited, into subj[] (NULL-terminated); 0 or -1 with a message. */
static int find_subjects(char *list, const ts_registry *reg,
                         const ts_mechanism_type **subj, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        ts_err e;
        ts_err_clear(&e);
        const ts_mechanism_type *mt =
            ts_registry_mechanism(reg, tok, TS_FULL, NULL);
        if (!mt)
            mt = ts_registry_mechanism(reg, tok, TS_LIMITED, &e);
        if (!mt || n == max) {
            fprintf(stderr, "truthsim check: --mechanism: %s\n",
                    mt ? "too many mechanisms" : e.msg);
            return -1;
        }
        subj[n++] = mt;
    }
    subj[n] = NULL;
    return 0;
}

/* The claims (--claims, or `truthful` alone with --mechanism, or all but
 * `truthful`), printed as they finish, and the file; the exit status. */
static int check(check_args *pa, const ts_mechanism_type *const *subj,
                 const ts_registry *reg, const ts_cli_env *env)
{
    check_args a = *pa;
    const char *ids[32];
    int n_ids = 0;
    char *save = NULL;
    if (a.claims) {
        for (char *tok = strtok_r(a.claims, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            if (n_ids == 32) {
                fprintf(stderr, "truthsim check: --claims: more than 32 claims\n");
                return TS_EXIT_USAGE;
            }
            ids[n_ids++] = tok;
        }
    } else if (subj) {
        ids[n_ids++] = "truthful";
    } else {
        /* `truthful` tests only what --mechanism names. */
        for (int k = 0; ts_claims[k].id && n_ids < 32; k++)
            if (strcmp(ts_claims[k].id, "truthful"))
                ids[n_ids++] = ts_claims[k].id;
    }
    if (!claims_known(ids, n_ids))
        return TS_EXIT_DATA;
    ts_check_opts o = {a.threads, a.scale, env->stop, NULL, subj};
    ts_claim_list l = {0, 0, NULL};
    ts_err e;
    ts_err_clear(&e);
    /* An output that cannot be written is refused before the claims run. */
    if (a.out && ts_out_probe(a.out, &e)) {
        fprintf(stderr, "truthsim check: %s\n", e.msg);
        return ts_cli_exit_code(e.code);
    }
    int status = TS_EXIT_OK;
    printf("%-13s %-14s %-9s %-9s %-3s %-9s  %-8s %s\n", "claim", "mechanism",
           "result", "value", "", "expected", "ci", "statistic");
    for (int k = 0; k < n_ids; k++) {
        int first = l.n;
        double t0 = ts_now();
        int rc = env->stop && *env->stop
                     ? TS_ERROR(&e, TS_EINTR, "interrupted")
                     : ts_check_claim(ids[k], &o, &l, &e);
        if (rc) {
            fprintf(stderr, "truthsim check: %s: %s\n", ids[k], e.msg);
            ts_claim_list_free(&l);
            return ts_cli_exit_code(rc);
        }
        for (int r = first; r < l.n; r++) {
            const ts_claim_row *w = &l.rows[r];
            const char *res = w->pass < 0 ? "finding" : w->pass ? "PASS" : "FAIL";
            if (w->pass == 0)
                status = TS_EXIT_FAILED;
            printf("%-13s %-14s %-9s %-9.4g %-3s %-9.4g  %-8.2g %s\n", w->claim,
                   w->mechanism, res, w->value, w->relation, w->expected, w->ci,
                   w->statistic);
        }
        fprintf(stderr, "truthsim check: %s done in %.1f s\n", ids[k], ts_now() - t0);
        fflush(stdout);
    }
    if (env->stop && *env->stop) { /* after the last claim: no file */
        fprintf(stderr, "truthsim check: interrupted\n");
        ts_claim_list_free(&l);
        return TS_EXIT_INTR;
    }
    int npass = 0, nfail = 0;
    for (int r = 0; r < l.n; r++) {
        npass += l.rows[r].pass == 1;
        nfail += l.rows[r].pass == 0;
    }
    printf("%d claims checked: %d passed, %d failed\n", npass + nfail, npass, nfail);
    char plugins[4096];
    ts_registry_provenance(reg, plugins, sizeof plugins);
    if (a.out && write_rows(&l, a.out, env->command_line, plugins, env->stop, &e)) {
        fprintf(stderr, "truthsim check: %s\n", e.msg);
        status = ts_cli_exit_code(e.code);
    }
    ts_claim_list_free(&l);
    return status;
}

int ts_cli_check(int argc, char **argv, const ts_cli_env *env)
{
    check_args a = {NULL, NULL, 0, 1.0, NULL, {{0}, 0}};
    argp_parse(&argp, argc, argv, 0, NULL, &a);
    ts_err e;
    ts_err_clear(&e);
    ts_registry *reg = ts_cli_registry(&a.plugins, &e);
    if (!reg) {
        fprintf(stderr, "truthsim check: %s\n", e.msg);
        return ts_cli_exit_code(e.code);
    }
    const ts_mechanism_type *subj[33] = {NULL};
    if (a.mechs && find_subjects(a.mechs, reg, subj, 32)) {
        ts_registry_free(reg);
        return TS_EXIT_USAGE;
    }
    int status = check(&a, a.mechs ? subj : NULL, reg, env);
    ts_registry_free(reg);
    return status;
}

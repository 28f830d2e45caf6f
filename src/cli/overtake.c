/* cli_overtake.c -- `truthsim overtake -o OUT.h5`: how fast a better
 * newcomer overtakes an incumbent (Prop. 2, App. H), over a grid of the
 * weight ratio w_k/w_i at arrival and the loss gap Delta, for several
 * mechanisms.  Writes `overtake_time` (the first slot where E[w_i] >=
 * E[w_k]: the exact recursion where it applies, else the Monte Carlo
 * means) with `_ci` (the spread of the per-path overtaking slot), and
 * `p_ahead_at_bound`, over the dimensions mechanism x gap x ratio.  The
 * bound ceil(ln(w_k/w_i)/(alpha Delta)) is the extra mechanism row
 * "bound (Prop. 2)", so `truthsim plot` draws it beside the curves. */
#include <argp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/overtake.h"
#include "base/h5util.h"
#include "base/provenance.h"
#include "cli/args.h"
#include "base/outfile.h"
#include "cli/cli.h"
#include "games/games.h"

#define MAXM 8

typedef struct ot_args {
    const char *out;
    char *mechs;
    long R;
} ot_args;

static const struct argp_option options[] = {
    {"output", 'o', "OUT.h5", 0, "Result file (required)", 0},
    {"mechanisms", 'M', "LIST", 0, "Comma-separated full-feedback mechanisms (default ours,hedge)", 0},
    {"replicas", 'r', "R", 0, "Monte Carlo replicas per grid point (default 200)", 0},
    {0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
    ot_args *a = state->input;
    switch (key) {
    case 'o': a->out = arg; break;
    case 'M': a->mechs = arg; break;
    case 'r': a->R = ts_cli_arg_long(state, "--replicas", arg, 2); break;
    case ARGP_KEY_END:
        ts_cli_arg_require(state, a->out, "-o OUT.h5");
        break;
    default:
        return ARGP_ERR_UNKNOWN;
    }
    return 0;
}

static const struct argp argp = {
    options, parse_opt, NULL,
    "Overtaking time of a better newcomer (Prop. 2) against w_k/w_i and the "
    "loss gap, with the bound ceil(ln(w_k/w_i)/(alpha Delta)); N = 5, one "
    "prompt per slot, alpha of `ours` at T = 200.\v" TS_CLI_EXIT_HELP,
    NULL, NULL, NULL,
};

static const double ratios[] = {1.5, 2, 5, 10, 30, 100};
static const double gaps[] = {0.05, 0.1, 0.2};
enum { NR = 6, NG = 3 };

/* The grid [rows][NG][NR] with its scales and the provenance. */
static int write_file(const char *out, const char *const *names, int rows,
                      const double *tau, const double *ci, const double *ahead,
                      long R, const ts_cli_env *env, ts_err *e)
{
    ts_h5file f;
    int rc = ts_h5_create(&f, out, e);
    if (rc)
        return rc;
    hid_t sm = ts_h5_scale_str(f.id, "mechanism", names, (size_t)rows);
    hid_t sg = ts_h5_scale_double(f.id, "gap", gaps, NG);
    hid_t sr = ts_h5_scale_double(f.id, "ratio", ratios, NR);
    hsize_t d[3] = {(hsize_t)rows, NG, NR};
    hid_t sc[3] = {sm, sg, sr};
    int bad = sm < 0 || sg < 0 || sr < 0;
    bad |= ts_h5_write_strs(f.id, "mechanism_label", names, (size_t)rows, sm,
                            "display name") != TS_OK;
    bad |= ts_h5_write(f.id, "overtake_time", H5T_NATIVE_DOUBLE, tau, 3, d, sc,
                       "first slot after arrival with E[w_i] >= E[w_k]") != TS_OK;
    bad |= ts_h5_write(f.id, "overtake_time_ci", H5T_NATIVE_DOUBLE, ci, 3, d, sc,
                       "95% CI half-width of the per-path overtaking slot") != TS_OK;
    bad |= ts_h5_write(f.id, "p_ahead_at_bound", H5T_NATIVE_DOUBLE, ahead, 3, d,
                       sc, "P(w_i >= w_k on a path at the bound's slot)") != TS_OK;
    bad |= ts_h5_attr_str(f.id, "name", "overtake");
    ts_provenance prov = {.command_line = env->command_line};
    bad |= ts_provenance_write(f.id, &prov);
    bad |= ts_h5_attr_long(f.id, "replicas", R);
    bad |= ts_h5_attr_long(f.id, "N", 5);
    bad |= ts_h5_attr_long(f.id, "T", 200);
    for (int k = 0; k < 3; k++)
        if (sc[k] >= 0)
            H5Dclose(sc[k]);
    return ts_cli_h5_finish(&f, bad, out, "writing", env->stop, e);
}

int ts_cli_overtake(int argc, char **argv, const ts_cli_env *env)
{
    char def[] = "ours,hedge";
    ot_args a = {NULL, def, 200};
    argp_parse(&argp, argc, argv, 0, NULL, &a);
    const ts_mechanism_type *mt[MAXM];
    const char *names[MAXM + 1];
    int nm = 0;
    ts_err e;
    ts_err_clear(&e);
    char *save = NULL;
    for (char *tok = strtok_r(a.mechs, ",", &save); tok && nm < MAXM;
         tok = strtok_r(NULL, ",", &save)) {
        mt[nm] = ts_mechanism_find(tok, TS_FULL, &e);
        if (!mt[nm]) {
            fprintf(stderr, "truthsim overtake: --mechanisms: %s\n", e.msg);
            return TS_EXIT_DATA;
        }
        names[nm] = mt[nm]->name;
        nm++;
    }
    const ts_population_type *pt = ts_population_find("newcomer", &e);
    if (!pt) {
        fprintf(stderr, "truthsim overtake: %s\n", e.msg);
        return ts_cli_exit_code(TS_EINVAL);
    }
    /* A doomed output is refused before the Monte Carlo runs. */
    if (ts_out_probe(a.out, &e)) {
        fprintf(stderr, "truthsim overtake: %s\n", e.msg);
        return ts_cli_exit_code(e.code);
    }
    names[nm] = "bound (Prop. 2)";
    const int rows = nm + 1;
    double *tau = malloc((size_t)rows * NG * NR * sizeof *tau);
    double *ci = malloc((size_t)rows * NG * NR * sizeof *ci);
    double *ahead = malloc((size_t)rows * NG * NR * sizeof *ahead);
    if (!tau || !ci || !ahead) {
        free(tau);
        free(ci);
        free(ahead);
        return TS_EXIT_SOFTWARE;
    }
    int rc = TS_OK;
    for (int g = 0; g < NG && !rc; g++)
        for (int r = 0; r < NR && !rc; r++) {
            ts_params pp; /* the newcomer better by the gap */
            ts_params_init(&pp, pt->n_params);
            rc = ts_params_set(&pp, pt->params, pt->n_params, "gap", gaps[g], &e);
            for (int k = 0; k < nm && !rc; k++) {
                ts_overtake_cfg c = {.N = 5, .T = 200, .ratio = ratios[r],
                                     .gap = gaps[g], .horizon = 4000, .R = a.R,
                                     .seed = 7, .pop = &pp};
                ts_overtake o;
                rc = ts_overtake_run(mt[k], pt, &c, &o, &e);
                size_t at = ((size_t)k * NG + (size_t)g) * NR + (size_t)r;
                tau[at] = ci[at] = ahead[at] = NAN;
                if (!rc && o.applicable) {
                    long t = o.exact ? o.tau_exact : o.tau_mc;
                    tau[at] = t >= 0 ? (double)t : NAN;
                    ci[at] = o.tau_path_ci;
                    ahead[at] = o.p_ahead_at_bound;
                }
                size_t b = ((size_t)nm * NG + (size_t)g) * NR + (size_t)r;
                if (!rc) {
                    tau[b] = (double)o.bound;
                    ci[b] = 0;
                    ahead[b] = NAN;
                }
            }
            if (!rc && env->stop && *env->stop)
                rc = TS_ERROR(&e, TS_EINTR, "interrupted");
        }
    if (!rc)
        rc = write_file(a.out, names, rows, tau, ci, ahead, a.R, env, &e);
    free(tau);
    free(ci);
    free(ahead);
    if (rc) {
        fprintf(stderr, "truthsim overtake: %s\n", e.msg);
        return ts_cli_exit_code(rc);
    }
    printf("%s\n", a.out);
    return TS_EXIT_OK;
}

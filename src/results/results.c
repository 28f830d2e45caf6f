/* results.c -- reduce replicas per point and write the result file
 * (docs/results-format.md). */
#include "results/results.h"

#include <gsl/gsl_version.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/h5util.h"
#include "base/stats.h"
#include "ts_config.h"
#include "ts_vcs.h"

void ts_sweep_free(ts_sweep *sw)
{
    if (!sw)
        return;
    double **arrs[] = {
        &sw->tar, &sw->tar_ci, &sw->regret, &sw->regret_ci, &sw->loss,
        &sw->loss_ci, &sw->best, &sw->best_ci, &sw->share, &sw->share_ci,
        &sw->regret_rep, &sw->diag, &sw->diag_ci, &sw->share_traj,
        &sw->share_traj_ci, &sw->weight_traj, &sw->weight_traj_ci,
        &sw->regret_traj, &sw->regret_traj_ci, &sw->param, &sw->sel_freq,
        &sw->sel_freq_ci, &sw->drawn_loss, &sw->drawn_loss_ci,
        &sw->theta_traj, &sw->theta_traj_ci, &sw->util_w, &sw->util_w_ci,
        &sw->util_s, &sw->util_s_ci, &sw->pop_param, &sw->util_w_rep,
        &sw->util_s_rep,
    };
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++)
        free(*arrs[k]);
    free(sw->n_failed);
    free(sw->n_noconv);
    free(sw->completed);
    memset(sw, 0, sizeof *sw);
}

static double *nans(size_t n, int *ok)
{
    double *a = malloc((n ? n : 1) * sizeof *a);
    if (!a) {
        *ok = 0;
        return NULL;
    }
    for (size_t k = 0; k < n; k++)
        a[k] = NAN;
    return a;
}

int ts_sweep_alloc(ts_sweep *sw, const ts_experiment *x, ts_err *e)
{
    memset(sw, 0, sizeof *sw);
    sw->x = x;
    sw->n_points = x->n_points;
    sw->n_cell = x->n_mech * x->n_prof;
    sw->R = x->replicas;
    sw->traj = x->trajectory;
    for (long p = 0; p < x->n_points; p++) {
        ts_point pt;
        int rc = ts_experiment_point(x, p, &pt, e);
        if (rc)
            return rc;
        if (pt.shape.N > sw->N_max)
            sw->N_max = pt.shape.N;
        if (pt.shape.T > sw->T_max)
            sw->T_max = pt.shape.T;
    }
    for (int k = 0; k < x->n_mech; k++)
        for (int d = 0; d < x->mech[k]->n_diag; d++) {
            int found = 0;
            for (int j = 0; j < sw->n_diag; j++)
                if (!strcmp(sw->diag_names[j], x->mech[k]->diag_names[d]))
                    found = 1;
            if (!found && sw->n_diag < TS_MAX_DIAG)
                sw->diag_names[sw->n_diag++] = x->mech[k]->diag_names[d];
        }
    const size_t cp = (size_t)sw->n_cell * (size_t)sw->n_points;
    const size_t rows = (size_t)sw->T_max + 1, Nm = (size_t)sw->N_max;
    int ok = 1;
    sw->tar = nans(cp, &ok);
    sw->tar_ci = nans(cp, &ok);
    sw->regret = nans(cp, &ok);
    sw->regret_ci = nans(cp, &ok);
    sw->loss = nans(cp, &ok);
    sw->loss_ci = nans(cp, &ok);
    sw->best = nans(cp, &ok);
    sw->best_ci = nans(cp, &ok);
    sw->share = nans(cp * Nm, &ok);
    sw->share_ci = nans(cp * Nm, &ok);
    sw->regret_rep = nans(cp * (size_t)sw->R, &ok);
    sw->diag = nans(cp * (size_t)sw->n_diag, &ok);
    sw->diag_ci = nans(cp * (size_t)sw->n_diag, &ok);
    sw->param = nans((size_t)x->n_mech * (size_t)sw->n_points * TS_MAX_PARAMS, &ok);
    sw->pop_param = nans((size_t)sw->n_points * TS_MAX_PARAMS, &ok);
    if (sw->traj) {
        sw->share_traj = nans(cp * rows * Nm, &ok);
        sw->share_traj_ci = nans(cp * rows * Nm, &ok);
        sw->weight_traj = nans(cp * rows * Nm, &ok);
        sw->weight_traj_ci = nans(cp * rows * Nm, &ok);
        sw->regret_traj = nans(cp * rows, &ok);
        sw->regret_traj_ci = nans(cp * rows, &ok);
    }
    if (x->utility) {
        sw->util_w = nans(cp * Nm, &ok);
        sw->util_w_ci = nans(cp * Nm, &ok);
        sw->util_s = nans(cp * Nm, &ok);
        sw->util_s_ci = nans(cp * Nm, &ok);
        sw->util_w_rep = nans(cp * (size_t)sw->R * Nm, &ok);
        sw->util_s_rep = nans(cp * (size_t)sw->R * Nm, &ok);
    }
    sw->limited = x->feedback == TS_LIMITED;
    if (sw->limited) {
        sw->sel_freq = nans(cp * Nm, &ok);
        sw->sel_freq_ci = nans(cp * Nm, &ok);
        sw->drawn_loss = nans(cp, &ok);
        sw->drawn_loss_ci = nans(cp, &ok);
        if (sw->traj) {
            sw->theta_traj = nans(cp * rows * Nm, &ok);
            sw->theta_traj_ci = nans(cp * rows * Nm, &ok);
        }
    }
    sw->n_failed = calloc(cp ? cp : 1, sizeof *sw->n_failed);
    sw->n_noconv = calloc(cp ? cp : 1, sizeof *sw->n_noconv);
    sw->completed = calloc(sw->n_points ? (size_t)sw->n_points : 1, 1);
    if (!ok || !sw->n_failed || !sw->n_noconv || !sw->completed) {
        ts_sweep_free(sw);
        return TS_ERROR(e, TS_ENOMEM, "out of memory for the sweep's results");
    }
    return TS_OK;
}

void ts_sweep_add_point(ts_sweep *sw, const ts_point *pt,
                        const ts_point_result *res)
{
    const ts_experiment *x = sw->x;
    const long R = res->R, P = sw->n_points, p = pt->index;
    const int N = res->N;
    const double T = (double)res->T;
    const size_t rows = (size_t)sw->T_max + 1, Nm = (size_t)sw->N_max;
    const size_t prow = (size_t)res->T + 1;
    for (int c = 0; c < res->n_cell; c++) {
        const size_t o = (size_t)c * (size_t)P + (size_t)p; /* [cell][point] */
        const size_t r0 = (size_t)c * (size_t)R;            /* [cell][R]     */
        int nf = 0, nc = 0;
        for (long r = 0; r < R; r++) {
            int s = res->status[r0 + (size_t)r];
            if (s == TS_ENOCONV)
                nc++;
            else if (s != TS_OK) {
                nf++;
                if (!sw->first_error[0])
                    snprintf(sw->first_error, sizeof sw->first_error,
                             "%s, replica %ld: %s",
                             x->mech[c / x->n_prof]->name, r,
                             res->errmsg[r0 + (size_t)r]);
            }
            sw->regret_rep[o * (size_t)R + (size_t)r] = res->regret[r0 + (size_t)r];
        }
        sw->n_failed[o] = nf;
        sw->n_noconv[o] = nc;
        ts_mean_ci(res->regret + r0, R, 1, &sw->regret[o], &sw->regret_ci[o]);
        sw->tar[o] = sw->regret[o] / T;
        sw->tar_ci[o] = sw->regret_ci[o] / T;
        ts_mean_ci(res->loss + r0, R, 1, &sw->loss[o], &sw->loss_ci[o]);
        sw->loss[o] /= T;
        sw->loss_ci[o] /= T;
        ts_mean_ci(res->best + r0, R, 1, &sw->best[o], &sw->best_ci[o]);
        sw->best[o] /= T;
        sw->best_ci[o] /= T;
        for (int i = 0; i < N; i++)
            ts_mean_ci(res->share + r0 * (size_t)N + (size_t)i, R, N,
                       &sw->share[o * Nm + (size_t)i],
                       &sw->share_ci[o * Nm + (size_t)i]);
        if (sw->util_w && res->util_weight)
            for (long r = 0; r < R; r++)
                for (int i = 0; i < N; i++) {
                    size_t d = (o * (size_t)R + (size_t)r) * Nm + (size_t)i;
                    size_t s0 = (r0 + (size_t)r) * (size_t)N + (size_t)i;
                    sw->util_w_rep[d] = res->util_weight[s0];
                    sw->util_s_rep[d] = res->util_share[s0];
                }
        if (sw->util_w && res->util_weight)
            for (int i = 0; i < N; i++) {
                ts_mean_ci(res->util_weight + r0 * (size_t)N + (size_t)i, R, N,
                           &sw->util_w[o * Nm + (size_t)i],
                           &sw->util_w_ci[o * Nm + (size_t)i]);
                ts_mean_ci(res->util_share + r0 * (size_t)N + (size_t)i, R, N,
                           &sw->util_s[o * Nm + (size_t)i],
                           &sw->util_s_ci[o * Nm + (size_t)i]);
            }
        if (sw->limited && res->limited) {
            for (int i = 0; i < N; i++)
                ts_mean_ci(res->sel_frac + r0 * (size_t)N + (size_t)i, R, N,
                           &sw->sel_freq[o * Nm + (size_t)i],
                           &sw->sel_freq_ci[o * Nm + (size_t)i]);
            ts_mean_ci(res->drawn_loss + r0, R, 1, &sw->drawn_loss[o],
                       &sw->drawn_loss_ci[o]);
        }
        const ts_mechanism_type *mt = x->mech[c / x->n_prof];
        for (int d = 0; d < mt->n_diag; d++)
            for (int j = 0; j < sw->n_diag; j++)
                if (!strcmp(sw->diag_names[j], mt->diag_names[d]))
                    ts_mean_ci(res->diag + r0 * (size_t)res->n_diag + (size_t)d,
                               R, res->n_diag,
                               &sw->diag[o * (size_t)sw->n_diag + (size_t)j],
                               &sw->diag_ci[o * (size_t)sw->n_diag + (size_t)j]);
        if (sw->traj && res->traj) {
            for (size_t t = 0; t < prow; t++) {
                for (int i = 0; i < N; i++) {
                    size_t src = (r0 * prow + t) * (size_t)N + (size_t)i;
                    size_t dst = (o * rows + t) * Nm + (size_t)i;
                    long stride = (long)(prow * (size_t)N);
                    ts_mean_ci(res->share_traj + src, R, stride,
                               &sw->share_traj[dst], &sw->share_traj_ci[dst]);
                    ts_mean_ci(res->weight_traj + src, R, stride,
                               &sw->weight_traj[dst], &sw->weight_traj_ci[dst]);
                    if (sw->theta_traj && res->theta_traj)
                        ts_mean_ci(res->theta_traj + src, R, stride,
                                   &sw->theta_traj[dst], &sw->theta_traj_ci[dst]);
                }
                ts_mean_ci(res->regret_traj + r0 * prow + t, R, (long)prow,
                           &sw->regret_traj[o * rows + t],
                           &sw->regret_traj_ci[o * rows + t]);
            }
        }
    }
    for (int k = 0; k < x->n_mech; k++)
        for (int i = 0; i < x->mech[k]->n_params; i++)
            sw->param[((size_t)k * (size_t)P + (size_t)p) * TS_MAX_PARAMS +
                      (size_t)i] = pt->mech_par[k].v[i];
    for (int i = 0; i < x->pop->n_params; i++)
        sw->pop_param[(size_t)p * TS_MAX_PARAMS + (size_t)i] = pt->pop_par.v[i];
    sw->completed[p] = 1;
}

int ts_sweep_fields(const ts_sweep *sw, ts_sweep_field *f)
{
    const size_t Nm = (size_t)sw->N_max, rows = (size_t)sw->T_max + 1;
    const size_t R = (size_t)sw->R, D = (size_t)sw->n_diag;
    int n = 0, c = sw->n_cell;
#define F(nm, arr, per_)                                                     \
    do {                                                                     \
        if (arr)                                                             \
            f[n++] = (ts_sweep_field){nm, arr, NULL, c, per_};               \
    } while (0)
    F("time_avg_regret", sw->tar, 1);
    F("time_avg_regret_ci", sw->tar_ci, 1);
    F("regret", sw->regret, 1);
    F("regret_ci", sw->regret_ci, 1);
    F("platform_loss", sw->loss, 1);
    F("platform_loss_ci", sw->loss_ci, 1);
    F("best_worker_loss", sw->best, 1);
    F("best_worker_loss_ci", sw->best_ci, 1);
    F("final_share", sw->share, Nm);
    F("final_share_ci", sw->share_ci, Nm);
    F("regret_replica", sw->regret_rep, R);
    if (D) {
        F("diag", sw->diag, D);
        F("diag_ci", sw->diag_ci, D);
    }
    F("share_traj", sw->share_traj, rows * Nm);
    F("share_traj_ci", sw->share_traj_ci, rows * Nm);
    F("weight_traj", sw->weight_traj, rows * Nm);
    F("weight_traj_ci", sw->weight_traj_ci, rows * Nm);
    F("regret_traj", sw->regret_traj, rows);
    F("regret_traj_ci", sw->regret_traj_ci, rows);
    F("selection_freq", sw->sel_freq, Nm);
    F("selection_freq_ci", sw->sel_freq_ci, Nm);
    F("drawn_loss", sw->drawn_loss, 1);
    F("drawn_loss_ci", sw->drawn_loss_ci, 1);
    F("theta_traj", sw->theta_traj, rows * Nm);
    F("theta_traj_ci", sw->theta_traj_ci, rows * Nm);
    F("utility_weight", sw->util_w, Nm);
    F("utility_weight_ci", sw->util_w_ci, Nm);
    F("utility_share", sw->util_s, Nm);
    F("utility_share_ci", sw->util_s_ci, Nm);
    F("utility_weight_replica", sw->util_w_rep, R * Nm);
    F("utility_share_replica", sw->util_s_rep, R * Nm);
#undef F
    f[n++] = (ts_sweep_field){"n_failed", NULL, sw->n_failed, c, 1};
    f[n++] = (ts_sweep_field){"n_capped", NULL, sw->n_noconv, c, 1};
    f[n++] = (ts_sweep_field){"param", sw->param, NULL, sw->x->n_mech, TS_MAX_PARAMS};
    f[n++] = (ts_sweep_field){"pop_param", sw->pop_param, NULL, 1, TS_MAX_PARAMS};
    return n;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

typedef struct dims {
    int rank;
    hsize_t d[TS_MAX_AXES + 4];
    hid_t s[TS_MAX_AXES + 4];
} dims;

static void dims_push(dims *d, hsize_t n, hid_t scale)
{
    d->d[d->rank] = n;
    d->s[d->rank] = scale;
    d->rank++;
}

/* A mean over replicas and its 95 % half-width, `name` and `name_ci`. */
static int write_mean_ci(hid_t loc, const char *name, const double *mean,
                         const double *ci, const dims *d, const char *desc)
{
    char cname[200], cdesc[240];
    snprintf(cname, sizeof cname, "%s_ci", name);
    snprintf(cdesc, sizeof cdesc, "95%% CI half-width of %s", name);
    int bad = ts_h5_write(loc, name, H5T_NATIVE_DOUBLE, mean, d->rank, d->d,
                          d->s, desc) != TS_OK;
    bad |= ts_h5_write(loc, cname, H5T_NATIVE_DOUBLE, ci, d->rank, d->d, d->s,
                       cdesc) != TS_OK;
    return bad;
}

/* Paired utility gains (SPEC §4, horizon deviations): for each point,
 * replica by replica, a worker's utility minus his utility at the point
 * that differs only in being at the first value of the gain axis (e.g.
 * kappa = 0: truthful).  Every point sees the same environment draws
 * (common random numbers), so the difference is paired and its CI is
 * narrow; this is the measured epsilon of epsilon-truthfulness. */
static int write_gains(const ts_sweep *sw, hid_t root, const dims *dw)
{
    const ts_experiment *x = sw->x;
    const size_t P = (size_t)sw->n_points, R = (size_t)sw->R,
                 Nm = (size_t)sw->N_max, C = (size_t)sw->n_cell;
    /* stride of the gain axis in the point index (last axis fastest) */
    size_t stride = 1;
    for (int a = x->n_axes - 1; a > x->gain_axis; a--)
        stride *= (size_t)x->axes[a].val->n;
    const size_t len = (size_t)x->axes[x->gain_axis].val->n;
    double *g = malloc(4 * C * P * Nm * sizeof *g);
    double *diff = malloc((R ? R : 1) * sizeof *diff);
    int bad = !g || !diff;
    for (size_t c = 0; !bad && c < C; c++)
        for (size_t p = 0; p < P; p++) {
            size_t p0 = p - ((p / stride) % len) * stride; /* coordinate 0 */
            for (size_t i = 0; i < Nm; i++)
                for (int model = 0; model < 2; model++) {
                    const double *rep = model ? sw->util_s_rep : sw->util_w_rep;
                    for (size_t r = 0; r < R; r++)
                        diff[r] = rep[((c * P + p) * R + r) * Nm + i] -
                                  rep[((c * P + p0) * R + r) * Nm + i];
                    double mean, ci;
                    ts_mean_ci(diff, (long)R, 1, &mean, &ci);
                    size_t o = (c * P + p) * Nm + i;
                    g[(2 * (size_t)model) * C * P * Nm + o] = mean;
                    g[(2 * (size_t)model + 1) * C * P * Nm + o] = ci;
                }
        }
    const size_t n = C * P * Nm;
    if (!bad) {
        bad |= write_mean_ci(root, "utility_weight_gain", g, g + n, dw,
                             "paired gain of utility_weight over the gain axis's "
                             "first value (common random numbers)");
        bad |= write_mean_ci(root, "utility_share_gain", g + 2 * n, g + 3 * n, dw,
                             "paired gain of utility_share over the gain axis's "
                             "first value (common random numbers)");
        bad |= ts_h5_attr_str(root, "gain_axis", x->axes[x->gain_axis].val->key);
    }
    free(g);
    free(diff);
    return bad;
}

int ts_sweep_write(const ts_sweep *sw, const char *path,
                   const ts_provenance *prov, ts_err *e)
{
    const ts_experiment *x = sw->x;
    ts_h5file f;
    int rc = ts_h5_create(&f, path, e);
    if (rc)
        return rc;
    hid_t root = f.id;
    int bad = 0;

    /* Coordinates. */
    const char *mnames[TS_MAX_MECH], *mlabels[TS_MAX_MECH];
    for (int k = 0; k < x->n_mech; k++) {
        mnames[k] = x->mech[k]->name;
        mlabels[k] = x->mech[k]->label ? x->mech[k]->label : x->mech[k]->name;
    }
    hid_t s_mech = ts_h5_scale_str(root, "mechanism", mnames, (size_t)x->n_mech);
    hid_t s_strat = -1;
    if (x->strat_is_axis) {
        const char *sn[TS_MAX_STRAT];
        for (int s = 0; s < x->n_prof; s++)
            sn[s] = x->prof_name[s];
        s_strat = ts_h5_scale_str(root, "strategy", sn, (size_t)x->n_prof);
        bad |= s_strat < 0;
    }
    hid_t s_axis[TS_MAX_AXES];
    for (int a = 0; a < x->n_axes; a++) {
        const ts_value *v = x->axes[a].val;
        int integer = !strcmp(v->key, "N") || !strcmp(v->key, "m") ||
                      !strcmp(v->key, "T");
        if (integer) {
            long iv[4096];
            size_t n = (size_t)v->n < 4096 ? (size_t)v->n : 4096;
            for (size_t k = 0; k < n; k++)
                iv[k] = (long)v->v[k];
            s_axis[a] = ts_h5_scale_long(root, v->key, iv, n);
        } else {
            s_axis[a] = ts_h5_scale_double(root, v->key, v->v, (size_t)v->n);
        }
        bad |= s_axis[a] < 0;
    }
    long *idx = malloc(((size_t)(sw->N_max > sw->R ? sw->N_max : sw->R) +
                        (size_t)sw->T_max + 2) * sizeof *idx);
    if (!idx) {
        ts_h5_close(&f, 0, e);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    for (long k = 0; k < (sw->N_max > sw->R ? sw->N_max : sw->R) + sw->T_max + 1; k++)
        idx[k] = k;
    hid_t s_worker = ts_h5_scale_long(root, "worker", idx, (size_t)sw->N_max);
    hid_t s_rep = ts_h5_scale_long(root, "replica", idx, (size_t)sw->R);
    hid_t s_slot = sw->traj ? ts_h5_scale_long(root, "slot", idx,
                                               (size_t)sw->T_max + 1) : -1;
    free(idx);
    bad |= s_mech < 0 || s_worker < 0 || s_rep < 0 || (sw->traj && s_slot < 0);

    dims base = {0};
    dims_push(&base, (hsize_t)x->n_mech, s_mech);
    if (x->strat_is_axis)
        dims_push(&base, (hsize_t)x->n_prof, s_strat);
    for (int a = 0; a < x->n_axes; a++)
        dims_push(&base, (hsize_t)x->axes[a].val->n, s_axis[a]);

    struct { const char *name; const double *v, *ci; const char *desc; } scalars[] = {
        {"time_avg_regret", sw->tar, sw->tar_ci,
         "R(T)/T, eq. (5) (full) or eq. (12) (limited)"},
        {"regret", sw->regret, sw->regret_ci, "R(T), mean over replicas"},
        {"platform_loss", sw->loss, sw->loss_ci, "sum_t L_t / T"},
        {"best_worker_loss", sw->best, sw->best_ci,
         "min_i sum_t l_i / T on true beliefs and true p"},
    };
    for (size_t k = 0; !bad && k < sizeof scalars / sizeof scalars[0]; k++)
        bad |= write_mean_ci(root, scalars[k].name, scalars[k].v, scalars[k].ci,
                             &base, scalars[k].desc);
    if (!bad)
        bad |= ts_h5_write(root, "n_failed", H5T_NATIVE_INT32, sw->n_failed,
                           base.rank, base.d, base.s,
                           "replicas stopped by an error (non-finite value, ...)");
    if (!bad)
        bad |= ts_h5_write(root, "n_capped", H5T_NATIVE_INT32, sw->n_noconv,
                           base.rank, base.d, base.s,
                           "replicas in which an iteration (EM) hit its cap");
    if (!bad) {
        /* completed[point] over the swept axes: 0 where an interrupted run
         * left a point unfinished (its values are NaN). */
        dims dc = {0};
        for (int a = 0; a < x->n_axes; a++)
            dims_push(&dc, (hsize_t)x->axes[a].val->n, s_axis[a]);
        bad |= ts_h5_write(root, "completed", H5T_NATIVE_UINT8, sw->completed,
                           dc.rank, dc.d, dc.s,
                           "1 where the grid point finished") != TS_OK;
    }
    dims dw = base;
    dims_push(&dw, (hsize_t)sw->N_max, s_worker);
    if (!bad)
        bad |= write_mean_ci(root, "final_share", sw->share, sw->share_ci, &dw,
                             "w_i^{T+1} / sum_k w_k^{T+1}");
    if (sw->util_w && !bad) {
        bad |= write_mean_ci(root, "utility_weight", sw->util_w, sw->util_w_ci,
                             &dw, "sum_{t=1..T} w_i^t, eq. (4) (the paper's utility)");
        bad |= write_mean_ci(root, "utility_share", sw->util_s, sw->util_s_ci,
                             &dw, "sum_{t=1..T} w_i^t / sum_k w_k^t (Freeman et al.)");
        dims dru = base;
        dims_push(&dru, (hsize_t)sw->R, s_rep);
        dims_push(&dru, (hsize_t)sw->N_max, s_worker);
        bad |= ts_h5_write(root, "utility_weight_replica", H5T_NATIVE_DOUBLE,
                           sw->util_w_rep, dru.rank, dru.d, dru.s,
                           "utility_weight of each replica");
        bad |= ts_h5_write(root, "utility_share_replica", H5T_NATIVE_DOUBLE,
                           sw->util_s_rep, dru.rank, dru.d, dru.s,
                           "utility_share of each replica");
        if (x->gain_axis >= 0 && !bad)
            bad |= write_gains(sw, root, &dw);
    }
    if (sw->limited && !bad) {
        bad |= write_mean_ci(root, "selection_freq", sw->sel_freq,
                             sw->sel_freq_ci, &dw,
                             "fraction of slots in which worker i was heard");
        bad |= write_mean_ci(root, "drawn_loss", sw->drawn_loss,
                             sw->drawn_loss_ci, &base,
                             "sum_t (realised loss of the heard worker(s)) / T");
    }
    dims dr = base;
    dims_push(&dr, (hsize_t)sw->R, s_rep);
    if (!bad)
        bad |= ts_h5_write(root, "regret_replica", H5T_NATIVE_DOUBLE,
                           sw->regret_rep, dr.rank, dr.d, dr.s,
                           "R(T) of each replica");
    if (!bad)
        bad |= ts_h5_write_strs(root, "mechanism_label", mlabels,
                                (size_t)x->n_mech, s_mech,
                                "display name of each mechanism");
    /* Diagnostics: one dataset each, over the base axes. */
    if (sw->n_diag) {
        size_t cp = (size_t)sw->n_cell * (size_t)sw->n_points;
        double *tmp = malloc(2 * cp * sizeof *tmp);
        for (int d = 0; !bad && tmp && d < sw->n_diag; d++) {
            for (size_t o = 0; o < cp; o++) {
                tmp[o] = sw->diag[o * (size_t)sw->n_diag + (size_t)d];
                tmp[cp + o] = sw->diag_ci[o * (size_t)sw->n_diag + (size_t)d];
            }
            char name[160];
            snprintf(name, sizeof name, "diag_%s", sw->diag_names[d]);
            bad |= write_mean_ci(root, name, tmp, tmp + cp, &base,
                                 "a mechanism's diagnostic, mean over replicas");
        }
        bad |= !tmp;
        free(tmp);
    }
    if (sw->traj && !bad) {
        dims dt = base;
        dims_push(&dt, (hsize_t)sw->T_max + 1, s_slot);
        bad |= write_mean_ci(root, "regret_traj", sw->regret_traj,
                             sw->regret_traj_ci, &dt, "R(t) after t slots");
        dims_push(&dt, (hsize_t)sw->N_max, s_worker);
        bad |= write_mean_ci(root, "share_traj", sw->share_traj,
                             sw->share_traj_ci, &dt,
                             "w_i^t / sum_k w_k^t before slot t");
        bad |= write_mean_ci(root, "weight_traj", sw->weight_traj,
                             sw->weight_traj_ci, &dt, "w_i^t before slot t");
        if (sw->theta_traj)
            bad |= write_mean_ci(root, "theta_traj", sw->theta_traj,
                                 sw->theta_traj_ci, &dt,
                                 "probability that worker i is heard in slot t "
                                 "(theta of eq. 12; k/N for a k-subset)");
    }
    /* Every parameter value each mechanism used, over the swept axes. */
    if (!bad) {
        hid_t g = H5Gcreate2(root, "params", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        dims dp = {0};
        for (int a = 0; a < x->n_axes; a++)
            dims_push(&dp, (hsize_t)x->axes[a].val->n, s_axis[a]);
        double *tmp = malloc((size_t)sw->n_points * sizeof *tmp);
        bad |= g < 0 || !tmp;
        for (int k = 0; !bad && k < x->n_mech; k++) {
            if (!x->mech[k]->n_params)
                continue;
            hid_t gm = H5Gcreate2(g, x->mech[k]->name, H5P_DEFAULT, H5P_DEFAULT,
                                  H5P_DEFAULT);
            bad |= gm < 0;
            for (int i = 0; !bad && i < x->mech[k]->n_params; i++) {
                for (long p = 0; p < sw->n_points; p++)
                    tmp[p] = sw->param[((size_t)k * (size_t)sw->n_points +
                                        (size_t)p) * TS_MAX_PARAMS + (size_t)i];
                bad |= ts_h5_write(gm, x->mech[k]->params[i].name,
                                   H5T_NATIVE_DOUBLE, tmp, dp.rank, dp.d, dp.s,
                                   x->mech[k]->params[i].doc) != TS_OK;
            }
            if (gm >= 0)
                H5Gclose(gm);
        }
        /* The population's scalar parameters (list parameters such as
         * `bands` are in the experiment text attribute). */
        hid_t gp = bad ? -1 : H5Gcreate2(g, x->pop->name, H5P_DEFAULT,
                                         H5P_DEFAULT, H5P_DEFAULT);
        bad |= gp < 0;
        for (int i = 0; !bad && i < x->pop->n_params; i++) {
            if (x->pop->params[i].flags & TS_PARAM_VEC)
                continue;
            for (long p = 0; p < sw->n_points; p++)
                tmp[p] = sw->pop_param[(size_t)p * TS_MAX_PARAMS + (size_t)i];
            bad |= ts_h5_write(gp, x->pop->params[i].name, H5T_NATIVE_DOUBLE,
                               tmp, dp.rank, dp.d, dp.s,
                               x->pop->params[i].doc) != TS_OK;
        }
        if (gp >= 0)
            H5Gclose(gp);
        free(tmp);
        if (g >= 0)
            H5Gclose(g);
    }

    /* Provenance and the experiment's scalars. */
    char *canon = ts_experiment_canonical(x);
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    char h5v[32];
    snprintf(h5v, sizeof h5v, "%u.%u.%u", maj, min, rel);
    bad |= ts_h5_attr_str(root, "program", "truthsim");
    bad |= ts_h5_attr_str(root, "version", TS_VERSION);
    bad |= ts_h5_attr_str(root, "git_commit", TS_GIT_COMMIT);
    bad |= ts_h5_attr_str(root, "experiment", canon ? canon : "");
    bad |= ts_h5_attr_str(root, "experiment_source", x->source);
    bad |= ts_h5_attr_str(root, "overrides", x->overrides);
    bad |= ts_h5_attr_str(root, "experiment_path", x->path);
    bad |= ts_h5_attr_str(root, "name", x->name);
    bad |= ts_h5_attr_str(root, "description", x->description);
    bad |= ts_h5_attr_str(root, "feedback", x->feedback == TS_FULL ? "full" : "limited");
    bad |= ts_h5_attr_str(root, "population", x->pop->name);
    if (!x->strat_is_axis)
        bad |= ts_h5_attr_str(root, "strategy", x->prof_name[0]);
    bad |= ts_h5_attr_long(root, "seed", (long)x->seed);
    bad |= ts_h5_attr_long(root, "replicas", x->replicas);
    bad |= ts_h5_attr_long(root, "trajectory", x->trajectory);
    bad |= ts_h5_attr_str(root, "command_line",
                          prov && prov->command_line ? prov->command_line : "");
    bad |= ts_h5_attr_str(root, "compiler", TS_COMPILER);
    bad |= ts_h5_attr_str(root, "hdf5_version", h5v);
    bad |= ts_h5_attr_str(root, "gsl_version", GSL_VERSION);
    bad |= ts_h5_attr_long(root, "openmp", TS_HAVE_OPENMP);
    free(canon);
    for (int k = 0; k < x->n_vals; k++) {
        const ts_value *v = &x->vals[k];
        int is_axis = 0;
        for (int a = 0; a < x->n_axes; a++)
            if (x->axes[a].val == v)
                is_axis = 1;
        if (is_axis || v->is_list || v->kind != TS_VAL_NUM ||
            H5Aexists(root, v->key) > 0)
            continue;
        bad |= ts_h5_attr_double(root, v->key, v->v[0]);
    }
    /* Defaults the user did not give still belong in the file. */
    static const char *const eng[] = {"N", "m", "T", "epsilon", NULL};
    ts_point pt0;
    if (ts_experiment_point(x, 0, &pt0, NULL) == TS_OK) {
        double vals[] = {pt0.shape.N, pt0.shape.m, (double)pt0.shape.T, pt0.epsilon};
        for (int k = 0; eng[k]; k++)
            if (!ts_experiment_value(x, eng[k]) && H5Aexists(root, eng[k]) <= 0)
                bad |= ts_h5_attr_double(root, eng[k], vals[k]);
    }

    hid_t scs[] = {s_mech, s_strat, s_worker, s_rep, s_slot};
    for (size_t k = 0; k < sizeof scs / sizeof scs[0]; k++)
        if (scs[k] >= 0)
            H5Dclose(scs[k]);
    for (int a = 0; a < x->n_axes; a++)
        if (s_axis[a] >= 0)
            H5Dclose(s_axis[a]);
    if (bad) {
        ts_h5_close(&f, 0, e);
        return TS_ERROR(e, TS_EIO, "%s: writing the results failed", path);
    }
    return ts_h5_close(&f, 1, e);
}

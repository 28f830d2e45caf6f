/* results.c -- a sweep's results in memory: replicas reduced per point,
 * in replica order, to means and 95 % CI half-widths (Student t), and the
 * table of its arrays that point files and merging go through.
 *
 * Left out: writing the file (results_write.c) and point files (points.c). */
#include "results/results.h"

#include "base/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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

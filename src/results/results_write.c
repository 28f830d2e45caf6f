/* results_write.c -- the result file of a sweep (docs/results-format.md):
 * every array of ts_sweep over its coordinates, each a dimension scale, a
 * mean with its 95 % CI half-width beside it ("name" and "name_ci"), the
 * parameters each plugin used, and the root attributes that say what made
 * the file (base/provenance.h) and which experiment it ran.
 *
 * Writing goes in named steps: the coordinates, the per-cell datasets
 * (scalars, per worker, diagnostics, trajectories), the parameter groups,
 * then provenance and the experiment's scalars.  The file is written under
 * a temporary name and renamed into place (base/h5util.h).
 *
 * Left out: the reduction itself (results.c) and point files (points.c). */
#include "results/results.h"

#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/h5util.h"
#include "base/stats.h"

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

/* The coordinates of the file, each a dimension scale. */
typedef struct sweep_scales {
    hid_t mech, strat, worker, rep, slot; /* strat, slot: -1 when absent    */
    hid_t axis[TS_MAX_AXES];              /* the swept axes                */
    dims base;  /* [mechanism][strategy?][axis0]...: one value per cell    */
    dims grid;  /* [axis0]...: one value per grid point                    */
} sweep_scales;

/* mechanism, strategy (when it is an axis), each swept axis (N, m and T as
 * integers), worker, replica and slot (with trajectories). */
static int write_scales(const ts_sweep *sw, hid_t root, sweep_scales *sc)
{
    const ts_experiment *x = sw->x;
    const char *mnames[TS_MAX_MECH];
    for (int k = 0; k < x->n_mech; k++)
        mnames[k] = x->mech[k]->name;
    sc->mech = ts_h5_scale_str(root, "mechanism", mnames, (size_t)x->n_mech);
    int bad = 0;
    if (x->strat_is_axis) {
        const char *sn[TS_MAX_STRAT];
        for (int s = 0; s < x->n_prof; s++)
            sn[s] = x->prof_name[s];
        sc->strat = ts_h5_scale_str(root, "strategy", sn, (size_t)x->n_prof);
        bad |= sc->strat < 0;
    }
    for (int a = 0; a < x->n_axes; a++) {
        const ts_value *v = x->axes[a].val;
        int integer = !strcmp(v->key, "N") || !strcmp(v->key, "m") ||
                      !strcmp(v->key, "T");
        if (integer) { /* every value: an axis may hold any number */
            long *iv = malloc(((size_t)v->n + 1) * sizeof *iv);
            for (size_t k = 0; iv && k < (size_t)v->n; k++)
                iv[k] = (long)v->v[k];
            sc->axis[a] = iv ? ts_h5_scale_long(root, v->key, iv, (size_t)v->n) : -1;
            free(iv);
        } else {
            sc->axis[a] = ts_h5_scale_double(root, v->key, v->v, (size_t)v->n);
        }
        bad |= sc->axis[a] < 0;
    }
    /* 0, 1, ... for the worker, replica and (with trajectories only) slot
     * scales: no 8 T bytes when there is no slot axis. */
    long n_idx = sw->N_max > sw->R ? sw->N_max : sw->R;
    if (sw->traj && sw->T_max + 1 > n_idx)
        n_idx = sw->T_max + 1;
    long *idx = malloc(((size_t)n_idx + 1) * sizeof *idx);
    if (!idx)
        return TS_ENOMEM;
    for (long k = 0; k < n_idx; k++)
        idx[k] = k;
    sc->worker = ts_h5_scale_long(root, "worker", idx, (size_t)sw->N_max);
    sc->rep = ts_h5_scale_long(root, "replica", idx, (size_t)sw->R);
    sc->slot = sw->traj ? ts_h5_scale_long(root, "slot", idx,
                                           (size_t)sw->T_max + 1) : -1;
    free(idx);
    bad |= sc->mech < 0 || sc->worker < 0 || sc->rep < 0 ||
           (sw->traj && sc->slot < 0);

    dims_push(&sc->base, (hsize_t)x->n_mech, sc->mech);
    if (x->strat_is_axis)
        dims_push(&sc->base, (hsize_t)x->n_prof, sc->strat);
    for (int a = 0; a < x->n_axes; a++) {
        dims_push(&sc->base, (hsize_t)x->axes[a].val->n, sc->axis[a]);
        dims_push(&sc->grid, (hsize_t)x->axes[a].val->n, sc->axis[a]);
    }
    return bad ? TS_EIO : TS_OK;
}

static void close_scales(const ts_sweep *sw, const sweep_scales *sc)
{
    const hid_t scs[] = {sc->mech, sc->strat, sc->worker, sc->rep, sc->slot};
    for (size_t k = 0; k < sizeof scs / sizeof scs[0]; k++)
        if (scs[k] >= 0)
            H5Dclose(scs[k]);
    for (int a = 0; a < sw->x->n_axes; a++)
        if (sc->axis[a] >= 0)
            H5Dclose(sc->axis[a]);
}

/* One value per cell: the regret of eq. (5) or eq. (12) and the losses,
 * the replicas that failed or were capped, and which points finished. */
static int write_cell_scalars(const ts_sweep *sw, hid_t root,
                              const sweep_scales *sc)
{
    const dims *base = &sc->base;
    struct { const char *name; const double *v, *ci; const char *desc; } scalars[] = {
        {"time_avg_regret", sw->tar, sw->tar_ci,
         "R(T)/T, eq. (5) (full) or eq. (12) (limited)"},
        {"regret", sw->regret, sw->regret_ci, "R(T), mean over replicas"},
        {"platform_loss", sw->loss, sw->loss_ci, "sum_t L_t / T"},
        {"best_worker_loss", sw->best, sw->best_ci,
         "min_i sum_t l_i / T on true beliefs and true p"},
    };
    int bad = 0;
    for (size_t k = 0; !bad && k < sizeof scalars / sizeof scalars[0]; k++)
        bad |= write_mean_ci(root, scalars[k].name, scalars[k].v, scalars[k].ci,
                             base, scalars[k].desc);
    if (!bad)
        bad |= ts_h5_write(root, "n_failed", H5T_NATIVE_INT32, sw->n_failed,
                           base->rank, base->d, base->s,
                           "replicas stopped by an error (non-finite value, ...)");
    if (!bad)
        bad |= ts_h5_write(root, "n_capped", H5T_NATIVE_INT32, sw->n_noconv,
                           base->rank, base->d, base->s,
                           "replicas in which an iteration (EM) hit its cap");
    if (!bad)
        /* completed[point] over the swept axes: 0 where an interrupted run
         * left a point unfinished (its values are NaN). */
        bad |= ts_h5_write(root, "completed", H5T_NATIVE_UINT8, sw->completed,
                           sc->grid.rank, sc->grid.d, sc->grid.s,
                           "1 where the grid point finished") != TS_OK;
    return bad;
}

/* Per worker and per replica: final shares, utilities (eq. 4 and the
 * share model) with their paired gains, limited feedback's selection
 * frequencies, each replica's regret, and the mechanisms' display names. */
static int write_worker_datasets(const ts_sweep *sw, hid_t root,
                                 const sweep_scales *sc)
{
    const ts_experiment *x = sw->x;
    dims dw = sc->base;
    dims_push(&dw, (hsize_t)sw->N_max, sc->worker);
    int bad = write_mean_ci(root, "final_share", sw->share, sw->share_ci, &dw,
                            "w_i^{T+1} / sum_k w_k^{T+1}");
    if (sw->util_w && !bad) {
        bad |= write_mean_ci(root, "utility_weight", sw->util_w, sw->util_w_ci,
                             &dw, "sum_{t=1..T} w_i^t, eq. (4) (the paper's utility)");
        bad |= write_mean_ci(root, "utility_share", sw->util_s, sw->util_s_ci,
                             &dw, "sum_{t=1..T} w_i^t / sum_k w_k^t (Freeman et al.)");
        dims dru = sc->base;
        dims_push(&dru, (hsize_t)sw->R, sc->rep);
        dims_push(&dru, (hsize_t)sw->N_max, sc->worker);
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
                             sw->drawn_loss_ci, &sc->base,
                             "sum_t (realised loss of the heard worker(s)) / T");
    }
    dims dr = sc->base;
    dims_push(&dr, (hsize_t)sw->R, sc->rep);
    if (!bad)
        bad |= ts_h5_write(root, "regret_replica", H5T_NATIVE_DOUBLE,
                           sw->regret_rep, dr.rank, dr.d, dr.s,
                           "R(T) of each replica");
    const char *mlabels[TS_MAX_MECH];
    for (int k = 0; k < x->n_mech; k++)
        mlabels[k] = x->mech[k]->label ? x->mech[k]->label : x->mech[k]->name;
    if (!bad)
        bad |= ts_h5_write_strs(root, "mechanism_label", mlabels,
                                (size_t)x->n_mech, sc->mech,
                                "display name of each mechanism");
    return bad;
}

/* Diagnostics: one dataset each (diag_NAME), over the base axes. */
static int write_diagnostics(const ts_sweep *sw, hid_t root,
                             const sweep_scales *sc)
{
    if (!sw->n_diag)
        return 0;
    const size_t cp = (size_t)sw->n_cell * (size_t)sw->n_points;
    double *tmp = malloc(2 * cp * sizeof *tmp);
    int bad = !tmp;
    for (int d = 0; !bad && d < sw->n_diag; d++) {
        for (size_t o = 0; o < cp; o++) {
            tmp[o] = sw->diag[o * (size_t)sw->n_diag + (size_t)d];
            tmp[cp + o] = sw->diag_ci[o * (size_t)sw->n_diag + (size_t)d];
        }
        char name[160];
        snprintf(name, sizeof name, "diag_%s", sw->diag_names[d]);
        bad |= write_mean_ci(root, name, tmp, tmp + cp, &sc->base,
                             "a mechanism's diagnostic, mean over replicas");
    }
    free(tmp);
    return bad;
}

/* Trajectories over slot t (Figs. 2-5): R(t), shares, weights, theta. */
static int write_trajectories(const ts_sweep *sw, hid_t root,
                              const sweep_scales *sc)
{
    dims dt = sc->base;
    dims_push(&dt, (hsize_t)sw->T_max + 1, sc->slot);
    int bad = write_mean_ci(root, "regret_traj", sw->regret_traj,
                            sw->regret_traj_ci, &dt, "R(t) after t slots");
    dims_push(&dt, (hsize_t)sw->N_max, sc->worker);
    bad |= write_mean_ci(root, "share_traj", sw->share_traj, sw->share_traj_ci,
                         &dt, "w_i^t / sum_k w_k^t before slot t");
    bad |= write_mean_ci(root, "weight_traj", sw->weight_traj,
                         sw->weight_traj_ci, &dt, "w_i^t before slot t");
    if (sw->theta_traj)
        bad |= write_mean_ci(root, "theta_traj", sw->theta_traj,
                             sw->theta_traj_ci, &dt,
                             "probability that worker i is heard in slot t "
                             "(theta of eq. 12; k/N for a k-subset)");
    return bad;
}

/* The grid axis swept under the bare name of a parameter, or -1. */
static int param_axis(const ts_experiment *x, const char *name)
{
    for (int k = 0; k < x->n_axes; k++)
        if (!strcmp(x->axes[k].val->key, name))
            return k;
    return -1;
}

/* The group params/<owner>/<name>: one value per grid point. */
static int write_param_group(const ts_sweep *sw, hid_t g, const char *owner,
                             const ts_param_spec *params, int n_params,
                             const double *vals, size_t row_stride,
                             const dims *dp, double *tmp)
{
    hid_t go = H5Gcreate2(g, owner, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int bad = go < 0;
    for (int i = 0; !bad && i < n_params; i++) {
        if (params[i].flags & TS_PARAM_VEC)
            continue; /* list parameters (`bands`) are in the experiment text */
        int k = param_axis(sw->x, params[i].name);
        if (k >= 0) {
            /* Swept under its own name: its value is the axis, so it is
             * written over that axis alone (xarray refuses a variable named
             * as one of several dimensions it spans). */
            long stride = 1;
            for (int a = k + 1; a < sw->x->n_axes; a++)
                stride *= sw->x->axes[a].val->n;
            for (hsize_t j = 0; j < dp->d[k]; j++)
                tmp[j] = vals[(size_t)j * (size_t)stride * row_stride + (size_t)i];
            bad |= ts_h5_write(go, params[i].name, H5T_NATIVE_DOUBLE, tmp, 1,
                               &dp->d[k], &dp->s[k], params[i].doc) != TS_OK;
            continue;
        }
        for (long p = 0; p < sw->n_points; p++)
            tmp[p] = vals[(size_t)p * row_stride + (size_t)i];
        bad |= ts_h5_write(go, params[i].name, H5T_NATIVE_DOUBLE, tmp, dp->rank,
                           dp->d, dp->s, params[i].doc) != TS_OK;
    }
    /* The axes as the group's own coordinates, after the parameters: a
     * swept parameter is its own axis and keeps its name. */
    if (!bad)
        bad = ts_h5_link_scales(go, dp->rank, dp->s);
    if (go >= 0)
        H5Gclose(go);
    return bad;
}

/* Every parameter value each mechanism used, and the population's scalar
 * parameters, over the swept axes. */
static int write_params(const ts_sweep *sw, hid_t root, const sweep_scales *sc)
{
    const ts_experiment *x = sw->x;
    hid_t g = H5Gcreate2(root, "params", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    double *tmp = malloc((size_t)sw->n_points * sizeof *tmp);
    int bad = g < 0 || !tmp;
    for (int k = 0; !bad && k < x->n_mech; k++) {
        const ts_mechanism_type *mt = x->mech[k];
        if (!mt->n_params)
            continue;
        bad |= write_param_group(sw, g, mt->name, mt->params, mt->n_params,
                                 sw->param + (size_t)k * (size_t)sw->n_points *
                                                 TS_MAX_PARAMS,
                                 TS_MAX_PARAMS, &sc->grid, tmp);
    }
    if (!bad)
        bad |= write_param_group(sw, g, x->pop->name, x->pop->params,
                                 x->pop->n_params, sw->pop_param, TS_MAX_PARAMS,
                                 &sc->grid, tmp);
    free(tmp);
    if (g >= 0)
        H5Gclose(g);
    return bad;
}

/* The experiment as run (its canonical text, source and overrides) and
 * its scalars as root attributes, with the defaults the user left unset. */
static int write_experiment_attrs(const ts_sweep *sw, hid_t root)
{
    const ts_experiment *x = sw->x;
    char *canon = ts_experiment_canonical(x);
    int bad = ts_h5_attr_str(root, "experiment", canon ? canon : "");
    free(canon);
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
    return bad;
}

int ts_sweep_write(const ts_sweep *sw, const char *path,
                   const ts_provenance *prov, ts_err *e)
{
    return ts_sweep_write_stop(sw, path, prov, NULL, e);
}

int ts_sweep_write_stop(const ts_sweep *sw, const char *path,
                        const ts_provenance *prov,
                        const volatile sig_atomic_t *stop, ts_err *e)
{
    ts_h5file f;
    int rc = ts_h5_create(&f, path, e);
    if (rc)
        return rc;
    f.out.stop = stop;
    hid_t root = f.id;
    sweep_scales sc = {.mech = -1, .strat = -1, .worker = -1, .rep = -1,
                       .slot = -1};
    for (int a = 0; a < TS_MAX_AXES; a++)
        sc.axis[a] = -1;
    rc = write_scales(sw, root, &sc);
    if (rc == TS_ENOMEM) {
        close_scales(sw, &sc);
        ts_h5_close(&f, 0, e);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    int bad = rc != TS_OK;
    if (!bad)
        bad |= write_cell_scalars(sw, root, &sc);
    if (!bad)
        bad |= write_worker_datasets(sw, root, &sc);
    if (!bad)
        bad |= write_diagnostics(sw, root, &sc);
    if (sw->traj && !bad)
        bad |= write_trajectories(sw, root, &sc);
    if (!bad)
        bad |= write_params(sw, root, &sc);
    bad |= ts_provenance_write(root, prov);
    bad |= write_experiment_attrs(sw, root);
    close_scales(sw, &sc);
    if (bad) {
        ts_h5_close(&f, 0, e);
        return TS_ERROR(e, TS_EIO, "%s: writing the results failed", path);
    }
    return ts_h5_close(&f, 1, e);
}

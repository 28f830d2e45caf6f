/* cell.c -- what both engine paths write a replica's results through
 * (cell.h): the result arrays of a point (ts_point_result, engine.h),
 * workspace carving, a cell's failure note and its end-of-replica values
 * (regret of eq. 5 / eq. 12, shares, diagnostics).  The slot loops are in
 * replica.c and lanes.c; scheduling in scheduler.c. */
#include "engine/cell.h"
#include "base/tsmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void *ts_ws_carve(const size_t *sizes, void **const *ptrs, size_t n)
{
    size_t total = 0;
    for (size_t k = 0; k < n; k++)
        total += sizes[k];
    unsigned char *c = aligned_alloc(TS_WS_ALIGN, ts_ws_round(total));
    if (!c)
        return NULL;
    void *block = c;
    for (size_t k = 0; k < n; k++) {
        *ptrs[k] = c;
        c += sizes[k];
    }
    return block;
}

void ts_point_result_free(ts_point_result *res)
{
    if (!res)
        return;
    free(res->regret);
    free(res->loss);
    free(res->best);
    free(res->share);
    free(res->status);
    free(res->diag);
    free(res->share_traj);
    free(res->weight_traj);
    free(res->regret_traj);
    free(res->errmsg);
    free(res->sel_frac);
    free(res->drawn_loss);
    free(res->theta_traj);
    free(res->util_weight);
    free(res->util_share);
    memset(res, 0, sizeof *res);
}

static double *nan_array(size_t n)
{
    double *a = malloc((n ? n : 1) * sizeof *a);
    if (a)
        for (size_t k = 0; k < n; k++)
            a[k] = NAN; /* an unwritten value fails loudly (STYLE §6) */
    return a;
}

/* The arrays only some experiments have: trajectories, utilities and the
 * limited-feedback ones (Sec. VI).  0 when out of memory. */
static int alloc_optional(ts_point_result *res, const ts_experiment *x,
                          size_t cr, size_t rows)
{
    int ok = 1;
    if (res->traj) {
        res->share_traj = nan_array(cr * rows * (size_t)res->N);
        res->weight_traj = nan_array(cr * rows * (size_t)res->N);
        res->regret_traj = nan_array(cr * rows);
        ok = res->share_traj && res->weight_traj && res->regret_traj;
    }
    if (ok && x->utility) {
        res->util_weight = nan_array(cr * (size_t)res->N);
        res->util_share = nan_array(cr * (size_t)res->N);
        ok = res->util_weight && res->util_share;
    }
    if (ok && res->limited) {
        res->sel_frac = nan_array(cr * (size_t)res->N);
        res->drawn_loss = nan_array(cr);
        ok = res->sel_frac && res->drawn_loss;
        if (ok && res->traj) {
            res->theta_traj = nan_array(cr * rows * (size_t)res->N);
            ok = res->theta_traj != NULL;
        }
    }
    return ok;
}

int ts_point_result_alloc(ts_point_result *res, const ts_experiment *x,
                          const ts_point *pt, ts_err *e)
{
    memset(res, 0, sizeof *res);
    res->n_cell = x->n_mech * x->n_prof;
    res->R = x->replicas;
    res->N = pt->shape.N;
    res->T = pt->shape.T;
    res->traj = x->trajectory;
    for (int k = 0; k < x->n_mech; k++)
        if (x->mech[k]->n_diag > res->n_diag)
            res->n_diag = x->mech[k]->n_diag;
    size_t cr = (size_t)res->n_cell * (size_t)res->R;
    size_t rows = (size_t)res->T + 1;
    if (res->traj) {
        double bytes = (double)cr * (double)rows * (2.0 * res->N + 1) * 8.0;
        if (bytes > 8e9)
            return TS_ERROR(e, TS_EINPUT,
                            "%s: trajectories would need %.1f GB at N = %d, T = %ld "
                            "(%ld replicas): drop 'trajectory' or reduce T or replicas",
                            x->path, bytes / 1e9, res->N, res->T, res->R);
    }
    res->limited = x->feedback == TS_LIMITED;
    res->regret = nan_array(cr);
    res->loss = nan_array(cr);
    res->best = nan_array(cr);
    res->share = nan_array(cr * (size_t)res->N);
    res->status = calloc(cr ? cr : 1, sizeof *res->status);
    res->diag = nan_array(cr * (size_t)res->n_diag);
    res->errmsg = calloc(cr ? cr : 1, sizeof *res->errmsg);
    int ok = res->regret && res->loss && res->best && res->share &&
             res->status && res->diag && res->errmsg;
    if (!ok || !alloc_optional(res, x, cr, rows)) {
        ts_point_result_free(res);
        return TS_ERROR(e, TS_ENOMEM, "out of memory for the results of a point");
    }
    return TS_OK;
}

void ts_cell_fail(ts_point_result *res, size_t idx, int code, const char *msg)
{
    if (res->status[idx] == TS_OK || res->status[idx] == TS_ENOCONV) {
        res->status[idx] = code;
        /* Keep the head of the message: the slot holds 256 bytes. */
        size_t n = strlen(msg);
        if (n >= sizeof res->errmsg[idx])
            n = sizeof res->errmsg[idx] - 1;
        memcpy(res->errmsg[idx], msg, n);
        res->errmsg[idx][n] = '\0';
    }
}

int ts_engine_store_cell(ts_point_result *res, size_t idx,
                         const ts_mechanism_type *mt, const void *mst,
                         double cum_loss, double best, double *logw,
                         double *share)
{
    const int N = res->N;
    mt->log_weights(mst, logw);
    ts_shares_from_log(N, logw, share);
    for (int i = 0; i < N; i++)
        if (isnan(logw[i]) || logw[i] == INFINITY) {
            ts_cell_fail(res, idx, TS_ENONFINITE, "a weight became NaN or infinite");
            return TS_ENONFINITE;
        }
    res->regret[idx] = cum_loss - best;
    res->loss[idx] = cum_loss;
    res->best[idx] = best;
    memcpy(res->share + idx * (size_t)N, share, (size_t)N * sizeof *share);
    if (mt->diag && res->n_diag)
        mt->diag(mst, res->diag + idx * (size_t)res->n_diag);
    return TS_OK;
}

/* results.h -- a sweep's results: replicas reduced per point, then written.
 *
 * ts_sweep holds every output of docs/results-format.md in the layout the
 * file uses: [mechanism][strategy][point][...], where the point index runs
 * over the swept axes with the last fastest, which is C order over
 * [axis0][axis1]...  Replicas are reduced in replica order (never with an
 * OpenMP reduction), so results do not depend on the thread count. */
#ifndef TS_RESULTS_H
#define TS_RESULTS_H

#include <signal.h>

#include "base/provenance.h"
#include "engine/engine.h"

#define TS_MAX_DIAG 16

typedef struct ts_sweep {
    const ts_experiment *x;
    long n_points;
    int n_cell;           /* n_mech * n_strat                              */
    long R;
    int N_max;
    long T_max;
    int traj;
    int n_diag;           /* union of the mechanisms' diagnostics          */
    const char *diag_names[TS_MAX_DIAG];
    /* [cell][point] */
    double *tar, *tar_ci;       /* R(T)/T                                   */
    double *regret, *regret_ci; /* R(T)                                     */
    double *loss, *loss_ci;     /* sum_t L_t / T                            */
    double *best, *best_ci;     /* min_i sum_t l_i / T                      */
    int *n_failed;              /* replicas with a hard failure             */
    int *n_noconv;              /* replicas where an iteration hit its cap  */
    /* [cell][point][N_max] */
    double *share, *share_ci;
    /* [cell][point][R] */
    double *regret_rep;
    /* [cell][point][n_diag] */
    double *diag, *diag_ci;
    /* [cell][point][T_max+1][N_max] and [cell][point][T_max+1] */
    double *share_traj, *share_traj_ci, *weight_traj, *weight_traj_ci;
    double *regret_traj, *regret_traj_ci;
    /* Limited feedback only: [cell][point][N_max], [cell][point],
     * [cell][point][T_max+1][N_max] */
    int limited;
    double *sel_freq, *sel_freq_ci;
    double *drawn_loss, *drawn_loss_ci;
    double *theta_traj, *theta_traj_ci;
    /* With `utility: true`, [cell][point][N_max], and per replica
     * [cell][point][R][N_max] (paired gains are built from these) */
    double *util_w, *util_w_ci, *util_s, *util_s_ci;
    double *util_w_rep, *util_s_rep;
    /* [mech][point][TS_MAX_PARAMS]: every parameter value used */
    double *param;
    /* [point][TS_MAX_PARAMS]: the population's scalar parameters */
    double *pop_param;
    unsigned char *completed;   /* [point]                                  */
    char first_error[512];      /* the first replica failure, for the user  */
} ts_sweep;

/* One array of the sweep as a per-point slice: data[(row * n_points + p) *
 * per + k] for rows 0..rows-1 (cells, or mechanisms for `param`).  Point
 * files and merging go through this table, so a new output array is one
 * line in ts_sweep_fields. */
typedef struct ts_sweep_field {
    const char *name;
    double *data;    /* double arrays, or NULL                       */
    int *idata;      /* int arrays, or NULL                          */
    int rows;
    size_t per;
} ts_sweep_field;

#define TS_MAX_FIELDS 48
/* The sweep's arrays that exist for this experiment; returns the count. */
int ts_sweep_fields(const ts_sweep *sw, ts_sweep_field *f);

int ts_sweep_alloc(ts_sweep *sw, const ts_experiment *x, ts_err *e);
void ts_sweep_free(ts_sweep *sw);
/* Reduce one point's replicas into the sweep. */
void ts_sweep_add_point(ts_sweep *sw, const ts_point *pt,
                        const ts_point_result *res);

/* Write the sweep to path through a temporary file and a rename: a failed
 * write leaves no file behind. */
int ts_sweep_write(const ts_sweep *sw, const char *path,
                   const ts_provenance *prov, ts_err *e);
/* The same, and no file either when *stop (SIGINT/SIGTERM; stop may be
 * NULL) is set just before the rename: TS_EINTR (base/outfile.h). */
int ts_sweep_write_stop(const ts_sweep *sw, const char *path,
                        const ts_provenance *prov,
                        const volatile sig_atomic_t *stop, ts_err *e);

#endif

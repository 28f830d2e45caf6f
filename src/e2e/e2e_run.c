/* e2e_run.c -- running an end-to-end experiment's grid (e2e_exp.h) and
 * writing its HDF5 file (docs/results-format.md, "End-to-end files").
 *
 * Tasks (cell, replica) run in parallel, each on its own trainer with one
 * thread, writing only their own rows; the reduction over replicas runs
 * afterwards in replica order (base/stats.h), so the file does not depend
 * on the thread count.  A cell whose replicas have all finished goes to
 * the caller's cell_done at once (its point file: cli/e2e.c), one at a
 * time, while the other tasks run on. */
#include "e2e/e2e_exp.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/h5util.h"
#include "base/provenance.h"
#include "base/stats.h"
#include "base/streams.h"
#include "games/games.h"

#ifdef _OPENMP
#include <omp.h>
#endif

const char *const ts_e2e_metric_names[TS_E2E_N_METRIC] = {
    "win_rate", "test_accuracy", "reference_accuracy", "label_accuracy",
    "label_mse", "dpo_loss", "dpo_rewards_chosen", "dpo_rewards_rejected",
    "dpo_rewards_accuracy", "dpo_rewards_margin",
};

static const char *const metric_doc[TS_E2E_N_METRIC] = {
    "fraction of test prompts the policy gets right and the reference wrong",
    "policy's test accuracy (BUSY vs IDLE by sequence log-likelihood)",
    "reference model's test accuracy",
    "aggregated labels on the right side of 1/2 (a tie counts 1/2)",
    "(1/m) sum_j (A_j - p_j)^2, the platform's loss of eq. (5)",
    "DPO loss, last epoch's mean",
    "beta (log pi - log ref) of BUSY, last epoch's mean",
    "beta (log pi - log ref) of IDLE, last epoch's mean",
    "fraction of pairs with chosen reward > rejected, last epoch",
    "chosen minus rejected reward, last epoch's mean",
};

long ts_e2e_exp_cells(const ts_e2e_exp *x)
{
    return (long)x->n_mech * x->n_strat * x->n_preset * x->n_N;
}

static void pack(const ts_e2e_round *r, double *m)
{
    const double v[TS_E2E_N_METRIC] = {
        r->win_rate, r->test_accuracy, r->reference_accuracy,
        r->label_accuracy, r->label_mse, r->dpo.loss, r->dpo.rewards_chosen,
        r->dpo.rewards_rejected, r->dpo.rewards_accuracy,
        r->dpo.rewards_margin,
    };
    memcpy(m, v, sizeof v);
}

/* Task t = cell * R + replica. */
static int task(const ts_e2e_exp *x, long t, double *out, ts_e2e_timing *tm,
                ts_err *e)
{
    const long R = x->replicas;
    long cell = t / R, n = cell % x->n_N, rest = cell / x->n_N;
    const int p = (int)(rest % x->n_preset);
    rest /= x->n_preset;
    const int s = (int)(rest % x->n_strat), k = (int)(rest / x->n_strat);
    ts_e2e_config c = {
        .mech = x->mech[k], .mech_par = &x->mech_par[k],
        .pop = x->pop, .pop_par = &x->pop_par, .data = x->set,
        .strat = x->strat[s], .strat_par = &x->strat_par[s],
        .N = (int)x->Ns[n], .m = x->m, .m_test = x->m_test, .T = x->rounds,
        .epsilon = x->epsilon, .seed = x->seed,
        /* Common random numbers across mechanisms, strategies and
         * presets: the point id depends on N only. */
        .point = ts_hash_double(ts_hash_str(TS_HASH_INIT, "e2e"),
                                (double)x->Ns[n]),
        .replica = (uint32_t)(t % R), .init = x->init[0] ? x->init : NULL,
        .dpo = x->dpo, .restart = x->restart, .nthreads = 1,
    };
    int rc = ts_dpo_preset_config(x->preset[p], &c.model, e);
    ts_e2e_round *r = calloc((size_t)x->rounds, sizeof *r);
    if (!rc && !r)
        rc = TS_ERROR(e, TS_ENOMEM, "out of memory");
    if (!rc)
        rc = ts_e2e_run(&c, r, tm, e);
    for (long i = 0; !rc && i < x->rounds; i++)
        pack(&r[i], out + ((size_t)t * (size_t)x->rounds + (size_t)i) *
                              TS_E2E_N_METRIC);
    free(r);
    return rc;
}

/* What the tasks of one ts_e2e_exp_run share; each writes only its own
 * slots (task i, or cell c under the critical section). */
typedef struct tasks {
    long n, *todo;       /* tasks to run, t = cell * R + replica          */
    int *rc;             /* [n]                                           */
    ts_err *errs;        /* [n]                                           */
    ts_e2e_timing *tms;  /* [n]                                           */
    int *left;           /* [cells]: replicas not yet finished            */
    int *cell_rc;        /* [cells]: cell_done's status                   */
    ts_err *cell_err;    /* [cells]                                       */
} tasks;

static void tasks_free(tasks *k)
{
    free(k->todo);
    free(k->rc);
    free(k->errs);
    free(k->tms);
    free(k->left);
    free(k->cell_rc);
    free(k->cell_err);
}

static int tasks_alloc(tasks *k, const ts_e2e_exp *x, const ts_e2e_run_opts *o,
                       ts_err *e)
{
    const long C = ts_e2e_exp_cells(x), R = x->replicas;
    k->n = 0;
    for (long c = 0; c < C; c++)
        if (!o->skip || !o->skip[c])
            k->n += R;
    const size_t n = (size_t)(k->n ? k->n : 1);
    k->todo = malloc(n * sizeof *k->todo);
    k->rc = calloc(n, sizeof *k->rc);
    k->errs = calloc(n, sizeof *k->errs);
    k->tms = calloc(n, sizeof *k->tms);
    k->left = calloc((size_t)C, sizeof *k->left);
    k->cell_rc = calloc((size_t)C, sizeof *k->cell_rc);
    k->cell_err = calloc((size_t)C, sizeof *k->cell_err);
    if (!k->todo || !k->rc || !k->errs || !k->tms || !k->left ||
        !k->cell_rc || !k->cell_err) {
        tasks_free(k);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    long i = 0;
    for (long c = 0; c < C; c++)
        if (!o->skip || !o->skip[c]) {
            k->left[c] = (int)R;
            for (long r = 0; r < R; r++)
                k->todo[i++] = c * R + r;
        }
    return TS_OK;
}

/* The first failure in task order, then in cell order; else TS_EINTR if
 * a task was stopped. */
static int first_error(const tasks *k, long C, ts_err *e)
{
    int stopped = 0;
    for (long i = 0; i < k->n; i++) {
        if (k->rc[i] == TS_EINTR)
            stopped = 1;
        else if (k->rc[i])
            return TS_ERROR(e, k->rc[i], "%s", k->errs[i].msg);
    }
    for (long c = 0; c < C; c++)
        if (k->cell_rc[c])
            return TS_ERROR(e, k->cell_rc[c], "%s", k->cell_err[c].msg);
    return stopped ? TS_ERROR(e, TS_EINTR, "stopped") : TS_OK;
}

int ts_e2e_exp_run(const ts_e2e_exp *x, const ts_e2e_run_opts *o, double *out,
                   ts_e2e_timing *tm, ts_err *e)
{
    tasks k;
    int rc = tasks_alloc(&k, x, o, e);
    if (rc)
        return rc;
    int failed = 0; /* a cell_done failure: start nothing more */
    int threads = o->threads;
#ifdef _OPENMP
    if (threads <= 0)
        threads = omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
#endif
    for (long i = 0; i < k.n; i++) {
        int f;
#ifdef _OPENMP
#pragma omp atomic read
#endif
        f = failed;
        if (f || (o->stop && *o->stop)) {
            k.rc[i] = TS_EINTR;
            continue;
        }
        const long t = k.todo[i], c = t / x->replicas;
        k.rc[i] = task(x, t, out, &k.tms[i], &k.errs[i]);
        int left = 1;
        if (!k.rc[i]) {
#ifdef _OPENMP
#pragma omp atomic capture seq_cst
#endif
            left = --k.left[c];
        }
        if (left == 0 && o->cell_done) {
#ifdef _OPENMP
#pragma omp critical(ts_e2e_cell_done)
#endif
            k.cell_rc[c] = o->cell_done(o->ctx, c, &k.cell_err[c]);
            if (k.cell_rc[c]) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
                failed = 1;
            }
        }
    }
    (void)threads;
    rc = first_error(&k, ts_e2e_exp_cells(x), e);
    for (long i = 0; tm && i < k.n; i++) {
        tm->simulation += k.tms[i].simulation;
        tm->aggregation += k.tms[i].aggregation;
        tm->dpo += k.tms[i].dpo;
    }
    tasks_free(&k);
    return rc;
}

/* Means and CIs over replicas: [cell][round][metric] -> per metric
 * [cell][round]. */
static void reduce(const ts_e2e_exp *x, const double *out, double *mean,
                   double *ci)
{
    const long C = ts_e2e_exp_cells(x), R = x->replicas, T = x->rounds;
    const long M = TS_E2E_N_METRIC;
    for (long c = 0; c < C; c++)
        for (long t = 0; t < T; t++)
            for (long k = 0; k < M; k++) {
                const double *first = out + ((c * R) * T + t) * M + k;
                size_t o = ((size_t)k * (size_t)C + (size_t)c) * (size_t)T +
                           (size_t)t;
                ts_mean_ci(first, R, T * M, &mean[o], &ci[o]);
            }
}

/* The last round's win-rate and accuracies against model size (Figs. 12,
 * 14-16): [mechanism][strategy][N][model_params], model_params the
 * preset's parameter count in millions; only with two or more presets
 * of different sizes. */
static int write_final(hid_t f, const ts_e2e_exp *x, const double *mean,
                       const double *ci)
{
    double mp[TS_E2E_MAX];
    if (x->n_preset < 2)
        return TS_OK; /* one size: nothing to draw against it */
    for (int p = 0; p < x->n_preset; p++) {
        ts_dpo_config cfg;
        size_t sz[TS_DPO_NUM_PARAM_TENSORS];
        ts_err e;
        if (ts_dpo_preset_config(x->preset[p], &cfg, &e))
            return TS_EIO;
        mp[p] = (double)ts_dpo_param_sizes(&cfg, sz) / 1e6;
        for (int q = 0; q < p; q++)
            if (mp[q] == mp[p])
                return TS_OK; /* same size twice: no size axis */
    }
    hid_t sc[4] = {
        H5Dopen2(f, "mechanism", H5P_DEFAULT),
        H5Dopen2(f, "strategy", H5P_DEFAULT),
        H5Dopen2(f, "N", H5P_DEFAULT),
        ts_h5_scale_double(f, "model_params", mp, (size_t)x->n_preset),
    };
    const int M = x->n_mech, S = x->n_strat, P = x->n_preset, NN = x->n_N;
    const long T = x->rounds, C = ts_e2e_exp_cells(x);
    const hsize_t dims[4] = {(hsize_t)M, (hsize_t)S, (hsize_t)NN, (hsize_t)P};
    double *buf = malloc(2 * (size_t)(M * S * P * NN) * sizeof *buf);
    int rc = buf && sc[3] >= 0 ? TS_OK : TS_EIO;
    const int which[3] = {0, 1, 2};
    for (int w = 0; !rc && w < 3; w++) {
        const int k = which[w];
        for (int m = 0; m < M; m++)
            for (int s = 0; s < S; s++)
                for (int p = 0; p < P; p++)
                    for (int n = 0; n < NN; n++) {
                        long c = ((long)(m * S + s) * P + p) * NN + n;
                        size_t o = ((size_t)k * (size_t)C + (size_t)c) *
                                   (size_t)T + (size_t)(T - 1);
                        size_t d = (((size_t)m * S + s) * NN + n) * P + p;
                        buf[d] = mean[o];
                        buf[(size_t)(M * S * P * NN) + d] = ci[o];
                    }
        char name[64], nci[64];
        snprintf(name, sizeof name, "final_%s", ts_e2e_metric_names[k]);
        snprintf(nci, sizeof nci, "final_%s_ci", ts_e2e_metric_names[k]);
        rc = ts_h5_write(f, name, H5T_NATIVE_DOUBLE, buf, 4, dims, sc,
                         metric_doc[k]);
        if (!rc)
            rc = ts_h5_write(f, nci, H5T_NATIVE_DOUBLE,
                             buf + (size_t)(M * S * P * NN), 4, dims, sc,
                             "95 % CI half-width over replicas");
    }
    for (int k = 0; k < 4; k++)
        if (sc[k] >= 0)
            H5Dclose(sc[k]);
    free(buf);
    return rc;
}

static int write_body(hid_t f, const ts_e2e_exp *x, const double *mean,
                      const double *ci, const char *command_line)
{
    const char *mn[TS_E2E_MAX], *sn[TS_E2E_MAX], *pn[TS_E2E_MAX];
    for (int k = 0; k < x->n_mech; k++)
        mn[k] = x->mech[k]->name;
    for (int k = 0; k < x->n_strat; k++)
        sn[k] = x->strat[k]->name;
    for (int k = 0; k < x->n_preset; k++)
        pn[k] = x->preset[k];
    long *rounds = malloc((size_t)x->rounds * sizeof *rounds);
    if (!rounds)
        return TS_ENOMEM;
    for (long t = 0; t < x->rounds; t++)
        rounds[t] = t + 1;
    hid_t sc[5] = {
        ts_h5_scale_str(f, "mechanism", mn, (size_t)x->n_mech),
        ts_h5_scale_str(f, "strategy", sn, (size_t)x->n_strat),
        ts_h5_scale_str(f, "preset", pn, (size_t)x->n_preset),
        ts_h5_scale_long(f, "N", x->Ns, (size_t)x->n_N),
        ts_h5_scale_long(f, "round", rounds, (size_t)x->rounds),
    };
    free(rounds);
    int rc = TS_OK;
    for (int k = 0; k < 5; k++)
        if (sc[k] < 0)
            rc = TS_EIO;
    const hsize_t dims[5] = {(hsize_t)x->n_mech, (hsize_t)x->n_strat,
                             (hsize_t)x->n_preset, (hsize_t)x->n_N,
                             (hsize_t)x->rounds};
    const size_t per = (size_t)ts_e2e_exp_cells(x) * (size_t)x->rounds;
    for (int k = 0; !rc && k < TS_E2E_N_METRIC; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s_ci", ts_e2e_metric_names[k]);
        rc = ts_h5_write(f, ts_e2e_metric_names[k], H5T_NATIVE_DOUBLE,
                         mean + (size_t)k * per, 5, dims, sc, metric_doc[k]);
        if (!rc)
            rc = ts_h5_write(f, name, H5T_NATIVE_DOUBLE, ci + (size_t)k * per,
                             5, dims, sc, "95 % CI half-width over replicas");
    }
    for (int k = 0; k < 5; k++)
        if (sc[k] >= 0)
            H5Dclose(sc[k]);
    if (!rc)
        rc = write_final(f, x, mean, ci);
    if (!rc)
        rc = ts_h5_attr_str(f, "kind", "e2e") ||
             ts_h5_attr_str(f, "name", x->name) ||
             ts_h5_attr_str(f, "description", x->description) ||
             ts_h5_attr_str(f, "experiment", x->source) ||
             ts_provenance_write(f, &(ts_provenance){.command_line = command_line}) ||
             ts_h5_attr_long(f, "replicas", x->replicas) ||
             ts_h5_attr_long(f, "seed", (long)x->seed) ||
             ts_h5_attr_long(f, "m", x->m) ||
             ts_h5_attr_long(f, "m_test", x->m_test) ||
             ts_h5_attr_double(f, "epsilon", x->epsilon) ||
             ts_h5_attr_long(f, "restart", x->restart) ||
             ts_h5_attr_double(f, "dpo_beta", x->dpo.beta) ||
             ts_h5_attr_double(f, "dpo_lr", x->dpo.adamw.lr) ||
             ts_h5_attr_long(f, "dpo_batch", x->dpo.batch_size) ||
             ts_h5_attr_long(f, "dpo_epochs", x->dpo.epochs) ||
             ts_h5_attr_long(f, "dpo_lora_rank", x->dpo.lora_rank) ||
             ts_h5_attr_double(f, "dpo_lora_alpha", x->dpo.lora_alpha) ||
             ts_h5_attr_double(f, "dpo_lora_dropout", x->dpo.lora_dropout)
                 ? TS_EIO : TS_OK;
    return rc;
}

int ts_e2e_exp_write(const ts_e2e_exp *x, const double *out,
                     const char *path, const char *command_line,
                     const volatile sig_atomic_t *stop, ts_err *e)
{
    const size_t n = (size_t)TS_E2E_N_METRIC *
                     (size_t)ts_e2e_exp_cells(x) * (size_t)x->rounds;
    double *mean = malloc(n * sizeof *mean), *ci = malloc(n * sizeof *ci);
    if (!mean || !ci) {
        free(mean);
        free(ci);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    reduce(x, out, mean, ci);
    ts_h5file f;
    int rc = ts_h5_create(&f, path, e);
    if (!rc) {
        f.out.stop = stop;
        int wr = write_body(f.id, x, mean, ci, command_line);
        if (wr)
            TS_ERROR(e, TS_EIO, "%s: cannot write the results", path);
        rc = ts_h5_close(&f, wr == TS_OK, e);
        if (!rc)
            rc = wr;
    }
    free(mean);
    free(ci);
    return rc;
}

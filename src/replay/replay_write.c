/* replay_write.c -- a replay's result file (SPEC §7.1): share, label,
 * worker_loss, loss, regret (and, under limited feedback, selected and
 * theta), each over its coordinates as dimension scales, with the root
 * attributes that say what made it (base/provenance.h) and on what input.
 *
 * The file is written under a temporary name and renamed into place, so a
 * failed write leaves none behind (base/h5util.h).  With several
 * mechanisms (ts_replay_write_many) each gets a group with the same
 * datasets, and the root holds their summary (compare.c) over `mechanism`.  Left out: anything not
 * computed by ts_replay_run (the recorded reports themselves are named by
 * path and SHA-256, not copied). */
#include "replay/replay.h"

#include <stdlib.h>
#include <string.h>

#include "base/h5util.h"
#include "base/provenance.h"

/* The coordinates: slot [T], boundary [T+1] (before each slot and after
 * the last), worker [N], prompt [M].  TS_OK, TS_ENOMEM or TS_EIO. */
typedef struct replay_scales {
    hid_t slot, bound, worker, prompt;
} replay_scales;

static int write_scales(hid_t root, const ts_replay_out *o, replay_scales *s)
{
    long big = o->T + 1 > o->N ? o->T + 1 : o->N;
    if (o->M > big)
        big = o->M;
    long *idx = malloc((size_t)big * sizeof *idx);
    if (!idx)
        return TS_ENOMEM;
    for (long k = 0; k < big; k++)
        idx[k] = k;
    s->slot = ts_h5_scale_long(root, "slot", idx, (size_t)o->T);
    s->bound = ts_h5_scale_long(root, "boundary", idx, (size_t)o->T + 1);
    s->worker = ts_h5_scale_long(root, "worker", idx, (size_t)o->N);
    s->prompt = ts_h5_scale_long(root, "prompt", idx, (size_t)o->M);
    free(idx);
    return s->slot < 0 || s->bound < 0 || s->worker < 0 || s->prompt < 0
               ? TS_EIO : TS_OK;
}

static void close_scales(const replay_scales *s)
{
    const hid_t scs[] = {s->slot, s->bound, s->worker, s->prompt};
    for (size_t k = 0; k < sizeof scs / sizeof scs[0]; k++)
        if (scs[k] >= 0)
            H5Dclose(scs[k]);
}

/* Sec. VI: who was heard in each slot, and with what probability. */
static int write_limited(hid_t root, const ts_replay_out *o,
                         const replay_scales *s)
{
    hid_t s_heard = -1;
    hsize_t d_sel[2] = {(hsize_t)o->T, (hsize_t)o->k};
    hid_t sc_sel[2] = {s->slot, -1};
    if (o->k > 1) {
        long *hk = malloc((size_t)o->k * sizeof *hk);
        for (int h = 0; hk && h < o->k; h++)
            hk[h] = h;
        s_heard = hk ? ts_h5_scale_long(root, "heard", hk, (size_t)o->k) : -1;
        free(hk);
        sc_sel[1] = s_heard;
    }
    const hsize_t d_wl[2] = {(hsize_t)o->T, (hsize_t)o->N};
    const hid_t sc_wl[2] = {s->slot, s->worker};
    int bad = ts_h5_write(root, "selected", H5T_NATIVE_INT32, o->selected,
                          o->k > 1 ? 2 : 1, d_sel, sc_sel,
                          "the worker(s) heard in slot t (I_t)");
    bad |= ts_h5_write(root, "theta", H5T_NATIVE_DOUBLE, o->theta, 2, d_wl,
                       sc_wl, "probability that worker i is heard in slot t "
                       "(theta of eq. 12; k/N for a k-subset)");
    if (s_heard >= 0)
        H5Dclose(s_heard);
    return bad;
}

static int write_datasets(hid_t root, const ts_replay_out *o,
                          const replay_scales *s)
{
    const hsize_t d_share[2] = {(hsize_t)o->T + 1, (hsize_t)o->N};
    const hid_t sc_share[2] = {s->bound, s->worker};
    const hsize_t d_label[2] = {(hsize_t)o->T, (hsize_t)o->M};
    const hid_t sc_label[2] = {s->slot, s->prompt};
    const hsize_t d_wl[2] = {(hsize_t)o->T, (hsize_t)o->N};
    const hid_t sc_wl[2] = {s->slot, s->worker};
    const hsize_t d_t[1] = {(hsize_t)o->T};
    const hid_t sc_t[1] = {s->slot};
    int bad = ts_h5_write(root, "share", H5T_NATIVE_DOUBLE, o->share, 2, d_share,
                          sc_share, "w_i^t / sum_k w_k^t before slot t (row T: after the last)");
    if (!bad)
        bad |= ts_h5_write(root, "label", H5T_NATIVE_DOUBLE, o->label, 2, d_label,
                           sc_label, "aggregated label A_j; NaN past m_t");
    if (!bad)
        bad |= ts_h5_write(root, "worker_loss", H5T_NATIVE_DOUBLE, o->worker_loss,
                           2, d_wl, sc_wl, "(1/m_t) sum_j (r_ij - truth_j)^2");
    if (!bad)
        bad |= ts_h5_write(root, "loss", H5T_NATIVE_DOUBLE, o->loss, 1, d_t, sc_t,
                           "(1/m_t) sum_j (A_j - truth_j)^2");
    if (!bad)
        bad |= ts_h5_write(root, "regret", H5T_NATIVE_DOUBLE, o->regret, 1, d_t,
                           sc_t, "sum_{s<=t} loss_s - min_i sum_{s<=t} worker_loss_i^s");
    if (!bad && o->selected)
        bad |= write_limited(root, o, s);
    return bad;
}

/* The mechanism: its name, feedback mode and every parameter value used. */
static int write_mech_attrs(hid_t loc, const ts_replay_out *o,
                            const ts_mechanism_type *mt)
{
    int bad = ts_h5_attr_str(loc, "mechanism", mt->name);
    bad |= ts_h5_attr_str(loc, "mechanism_label", mt->label ? mt->label : mt->name);
    bad |= ts_h5_attr_str(loc, "feedback", mt->feedback == TS_FULL ? "full" : "limited");
    for (int k = 0; k < mt->n_params; k++) {
        if (mt->params[k].flags & TS_PARAM_VEC)
            continue;
        bad |= ts_h5_attr_double(loc, mt->params[k].name, o->par.v[k]);
    }
    return bad;
}

/* What made the file and on what input. */
static int write_input_attrs(hid_t root, const ts_reports *rp, uint64_t seed,
                             const char *input_path, const char *command_line)
{
    const ts_provenance prov = {.command_line = command_line};
    int bad = ts_provenance_write(root, &prov);
    bad |= ts_h5_attr_long(root, "seed", (long)seed);
    bad |= ts_h5_attr_str(root, "input_sha256", rp->sha256);
    bad |= ts_h5_attr_str(root, "input_path", input_path);
    bad |= ts_h5_attr_long(root, "N", rp->N);
    bad |= ts_h5_attr_long(root, "T", rp->T);
    bad |= ts_h5_attr_long(root, "M", rp->M);
    return bad;
}

/* One replay's coordinates, datasets and mechanism attributes into loc
 * (the root, or a mechanism's group).  TS_OK, TS_ENOMEM or TS_EIO. */
static int write_replay(hid_t loc, const ts_replay_out *o,
                        const ts_mechanism_type *mt)
{
    replay_scales s = {-1, -1, -1, -1};
    int rc = write_scales(loc, o, &s);
    if (!rc && (write_datasets(loc, o, &s) | write_mech_attrs(loc, o, mt)))
        rc = TS_EIO;
    close_scales(&s);
    return rc;
}

static int finish(ts_h5file *f, int rc, const char *path, ts_err *e)
{
    if (rc == TS_ENOMEM) {
        ts_h5_close(f, 0, e);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    if (rc) {
        ts_h5_close(f, 0, e);
        return TS_ERROR(e, TS_EIO, "%s: writing the results failed", path);
    }
    return ts_h5_close(f, 1, e);
}

int ts_replay_write(const ts_replay_out *o, const ts_reports *rp,
                    const ts_mechanism_type *mt, uint64_t seed,
                    const char *input_path, const char *command_line,
                    const char *path, const volatile sig_atomic_t *stop,
                    ts_err *e)
{
    ts_h5file f;
    int rc = ts_h5_create(&f, path, e);
    if (rc)
        return rc;
    f.out.stop = stop;
    rc = write_replay(f.id, o, mt);
    if (write_input_attrs(f.id, rp, seed, input_path, command_line) && !rc)
        rc = TS_EIO;
    return finish(&f, rc, path, e);
}

/* The root of a comparison file: the summary over `mechanism`. */
static int write_summary(hid_t root, const ts_replay_out *o,
                         const ts_mechanism_type *const *mt,
                         const ts_replay_summary *s)
{
    const char **names = malloc((size_t)s->n * sizeof *names);
    long *idx = malloc((size_t)(s->T > s->N ? s->T : s->N) * sizeof *idx);
    double *reg = malloc((size_t)s->n * (size_t)s->T * sizeof *reg);
    if (!names || !idx || !reg) {
        free(names);
        free(idx);
        free(reg);
        return TS_ENOMEM;
    }
    const char **labels = malloc((size_t)s->n * sizeof *labels);
    if (!labels) {
        free(names);
        free(idx);
        free(reg);
        return TS_ENOMEM;
    }
    for (int k = 0; k < s->n; k++) {
        names[k] = mt[k]->name;
        labels[k] = mt[k]->label ? mt[k]->label : mt[k]->name;
        memcpy(reg + (size_t)k * (size_t)s->T, o[k].regret,
               (size_t)s->T * sizeof *reg);
    }
    for (long k = 0; k < (s->T > s->N ? s->T : s->N); k++)
        idx[k] = k;
    const hid_t sm = ts_h5_scale_str(root, "mechanism", names, (size_t)s->n);
    const hid_t sw = ts_h5_scale_long(root, "worker", idx, (size_t)s->N);
    const hid_t st = ts_h5_scale_long(root, "slot", idx, (size_t)s->T);
    free(idx);
    free(names);
    int bad = sm < 0 || sw < 0 || st < 0;
    const hsize_t d1[1] = {(hsize_t)s->n};
    const hid_t c1[1] = {sm};
    const hsize_t dw[2] = {(hsize_t)s->n, (hsize_t)s->N};
    const hid_t cw[2] = {sm, sw};
    const hsize_t dt[2] = {(hsize_t)s->n, (hsize_t)s->T};
    const hid_t ct[2] = {sm, st};
    if (!bad)
        bad = ts_h5_write(root, "final_regret", H5T_NATIVE_DOUBLE,
                          s->final_regret, 1, d1, c1, "R(T), SPEC §7.1") ||
              ts_h5_write(root, "mean_loss", H5T_NATIVE_DOUBLE, s->mean_loss,
                          1, d1, c1, "(1/T) sum_t L_t, the mean loss per slot") ||
              ts_h5_write(root, "mean_loss_ci_low", H5T_NATIVE_DOUBLE,
                          s->ci_lo, 1, d1, c1,
                          "2.5 % point of the paired bootstrap over slots") ||
              ts_h5_write(root, "mean_loss_ci_high", H5T_NATIVE_DOUBLE,
                          s->ci_hi, 1, d1, c1,
                          "97.5 % point of the paired bootstrap over slots") ||
              ts_h5_write(root, "final_share", H5T_NATIVE_DOUBLE,
                          s->final_share, 2, dw, cw,
                          "w_i / sum_k w_k after the last slot") ||
              ts_h5_write(root, "worker_rank", H5T_NATIVE_INT32, s->rank, 2,
                          dw, cw, "rank by final share, 1 = largest") ||
              ts_h5_write(root, "regret", H5T_NATIVE_DOUBLE, reg, 2, dt, ct,
                          "R(t) after slot t, each mechanism's regret");
    if (!bad)
        bad = ts_h5_write_strs(root, "mechanism_label", labels,
                               (size_t)s->n, sm,
                               "display name (\"omoe (stand-in)\")");
    free(labels);
    free(reg);
    const hid_t scs[] = {sm, sw, st};
    for (size_t k = 0; k < 3; k++)
        if (scs[k] >= 0)
            H5Dclose(scs[k]);
    bad |= ts_h5_attr_long(root, "bootstrap_resamples", TS_REPLAY_BOOT_B);
    return bad ? TS_EIO : TS_OK;
}

int ts_replay_write_many(const ts_replay_out *o,
                         const ts_mechanism_type *const *mt, int n,
                         const ts_replay_summary *s, const ts_reports *rp,
                         uint64_t seed, const char *input_path,
                         const char *command_line, const char *path,
                         const volatile sig_atomic_t *stop, ts_err *e)
{
    ts_h5file f;
    int rc = ts_h5_create(&f, path, e);
    if (rc)
        return rc;
    f.out.stop = stop;
    rc = write_summary(f.id, o, mt, s);
    for (int k = 0; !rc && k < n; k++) {
        hid_t g = H5Gcreate2(f.id, mt[k]->name, H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
        rc = g < 0 ? TS_EIO : write_replay(g, &o[k], mt[k]);
        if (g >= 0)
            H5Gclose(g);
    }
    if (write_input_attrs(f.id, rp, seed, input_path, command_line) && !rc)
        rc = TS_EIO;
    if (!rc)
        rc = ts_h5_attr_str(f.id, "feedback",
                            mt[0]->feedback == TS_FULL ? "full" : "limited")
                 ? TS_EIO : TS_OK;
    return finish(&f, rc, path, e);
}

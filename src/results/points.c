/* points.c -- point files, resume and merge; see points.h.  Each point
 * file carries the provenance attributes of every truthsim file
 * (base/provenance.h) beside the experiment's hash and text.
 *
 * Left out: the merged file itself (results_write.c writes it). */
#include "results/points.h"

#include <dirent.h>
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/h5util.h"
#include "base/outfile.h"
#include "base/provenance.h"
#include "base/sha256.h"

void ts_text_hash(const char *text, char out[65])
{
    ts_sha256 s;
    ts_sha256_init(&s);
    ts_sha256_update(&s, text, strlen(text));
    ts_sha256_hex(&s, out);
}

int ts_experiment_hash(const ts_experiment *x, char out[65], ts_err *e)
{
    char *canon = ts_experiment_canonical(x);
    if (!canon)
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    ts_text_hash(canon, out);
    free(canon);
    return TS_OK;
}

void ts_points_of_sweep(ts_points *ps, const ts_sweep *sw, const char *canon)
{
    ps->n_points = sw->n_points;
    ps->nf = ts_sweep_fields(sw, ps->f);
    ps->completed = sw->completed;
    ps->canon = canon;
    ps->source = sw->x->source;
    ps->path = sw->x->path;
}

void ts_points_dir(const char *out, char *buf, size_t len)
{
    snprintf(buf, len, "%s.points", out);
}

void ts_point_path(const char *dir, long p, char *buf, size_t len)
{
    snprintf(buf, len, "%s/point-%06ld.h5", dir, p);
}

static size_t field_count(const ts_sweep_field *f)
{
    return (size_t)f->rows * f->per;
}

/* One buffer that holds any single field of a point (nf fields f), for
 * writing or reading them one at a time; NULL when out of memory. */
static double *field_buffer(const ts_sweep_field *f, int nf)
{
    size_t big = 0;
    for (int k = 0; k < nf; k++)
        if (field_count(&f[k]) > big)
            big = field_count(&f[k]);
    return malloc((big ? big : 1) * sizeof(double));
}

/* Copy point p's slice of f to or from buf [rows][per]. */
static void slice(const ts_points *ps, const ts_sweep_field *f, long p,
                  void *buf, int to_buf)
{
    for (int r = 0; r < f->rows; r++) {
        size_t off = ((size_t)r * (size_t)ps->n_points + (size_t)p) * f->per;
        if (f->data) {
            double *b = (double *)buf + (size_t)r * f->per;
            if (to_buf)
                memcpy(b, f->data + off, f->per * sizeof(double));
            else
                memcpy(f->data + off, b, f->per * sizeof(double));
        } else {
            int *b = (int *)buf + (size_t)r * f->per;
            if (to_buf)
                memcpy(b, f->idata + off, f->per * sizeof(int));
            else
                memcpy(f->idata + off, b, f->per * sizeof(int));
        }
    }
}

int ts_points_write_one(const ts_points *ps, long p, const char *path,
                        const char *hash, const char *command_line, ts_err *e)
{
    const ts_sweep_field *f = ps->f;
    const int nf = ps->nf;
    double *buf = field_buffer(f, nf);
    if (!buf)
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    ts_h5file h;
    int rc = ts_h5_create_many(&h, path, e); /* the run removed stale ones */
    if (rc) {
        free(buf);
        return rc;
    }
    int bad = 0;
    for (int k = 0; !bad && k < nf; k++) {
        slice(ps, &f[k], p, buf, 1);
        hsize_t d[2] = {(hsize_t)f[k].rows, (hsize_t)f[k].per};
        bad |= ts_h5_write(h.id, f[k].name,
                           f[k].data ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT, buf,
                           2, d, NULL, NULL) != TS_OK;
    }
    bad |= !ps->canon;
    if (!bad) {
        bad |= ts_h5_attr_str(h.id, "experiment_sha256", hash);
        bad |= ts_h5_attr_long(h.id, "point_index", p);
        bad |= ts_h5_attr_str(h.id, "experiment", ps->canon);
        bad |= ts_h5_attr_str(h.id, "experiment_source", ps->source);
        bad |= ts_h5_attr_str(h.id, "experiment_path", ps->path);
        const ts_provenance prov = {.command_line = command_line};
        bad |= ts_provenance_write(h.id, &prov);
    }
    free(buf);
    if (bad) {
        ts_h5_close(&h, 0, e);
        return TS_ERROR(e, TS_EIO, "%s: writing the point file failed", path);
    }
    return ts_h5_close(&h, 1, e);
}

int ts_point_write(const ts_sweep *sw, long p, const char *path,
                   const char *hash, const char *command_line, ts_err *e)
{
    char *canon = ts_experiment_canonical(sw->x);
    if (!canon)
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    ts_points ps;
    ts_points_of_sweep(&ps, sw, canon);
    int rc = ts_points_write_one(&ps, p, path, hash, command_line, e);
    free(canon);
    return rc;
}

static int read_str_attr(hid_t obj, const char *name, char **out)
{
    *out = NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    hid_t t = H5Aget_type(a);
    int rc = -1;
    if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5T_CSET_UTF8);
        char *v = NULL;
        if (H5Aread(a, mt, &v) >= 0 && v) {
            *out = strdup(v);
            H5free_memory(v);
            rc = *out ? 0 : -1;
        }
        H5Tclose(mt);
    }
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}

/* HDF5's own error stack is silenced once, in main: a file that is not a
 * point file gets one line from us. */
static hid_t open_point(const char *path, ts_err *e)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        TS_ERROR(e, TS_EINPUT, "%s: not a readable HDF5 point file", path);
    return f;
}

int ts_point_peek(const char *path, char hash[65], long *index, ts_err *e)
{
    hid_t f = open_point(path, e);
    if (f < 0)
        return TS_EINPUT;
    char *h = NULL;
    int rc = TS_OK;
    hid_t a = H5Aopen(f, "point_index", H5P_DEFAULT);
    if (read_str_attr(f, "experiment_sha256", &h) || strlen(h) != 64 || a < 0 ||
        H5Aread(a, H5T_NATIVE_LONG, index) < 0)
        rc = TS_ERROR(e, TS_EINPUT, "%s: not a truthsim point file (no experiment hash "
                      "or point index)", path);
    else
        memcpy(hash, h, 65);
    if (a >= 0)
        H5Aclose(a);
    free(h);
    H5Fclose(f);
    return rc;
}

char *ts_point_experiment(const char *path, char **exp_path, ts_err *e)
{
    *exp_path = NULL;
    hid_t f = open_point(path, e);
    if (f < 0)
        return NULL;
    char *text = NULL;
    if (read_str_attr(f, "experiment", &text) ||
        read_str_attr(f, "experiment_path", exp_path)) {
        TS_ERROR(e, TS_EINPUT, "%s: no experiment text", path);
        free(text);
        free(*exp_path);
        *exp_path = NULL;
        text = NULL;
    }
    H5Fclose(f);
    return text;
}

char *ts_point_source(const char *path)
{
    ts_err e;
    hid_t f = open_point(path, &e);
    if (f < 0)
        return NULL;
    char *text = NULL;
    if (read_str_attr(f, "experiment_source", &text))
        text = NULL;
    H5Fclose(f);
    return text;
}

int ts_points_read_one(ts_points *ps, long p, const char *path,
                       const char *hash, ts_err *e)
{
    char h[65];
    long idx;
    int rc = ts_point_peek(path, h, &idx, e);
    if (rc)
        return rc;
    if (hash && strcmp(h, hash))
        return TS_ERROR(e, TS_EINPUT,
                        "%s was written by a different experiment (sha256 %.12s..., "
                        "this one %.12s...): rerun with --force to discard it",
                        path, h, hash);
    if (idx != p)
        return TS_ERROR(e, TS_EINPUT, "%s holds point %ld, not %ld", path, idx, p);
    const ts_sweep_field *f = ps->f;
    const int nf = ps->nf;
    double *buf = field_buffer(f, nf);
    hid_t fid = open_point(path, e);
    if (!buf || fid < 0) {
        free(buf);
        if (fid >= 0)
            H5Fclose(fid);
        return buf ? TS_EINPUT : TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    for (int k = 0; !rc && k < nf; k++) {
        hid_t ds = H5Dopen2(fid, f[k].name, H5P_DEFAULT);
        hsize_t d[2] = {0, 0};
        hid_t sp = ds >= 0 ? H5Dget_space(ds) : -1;
        int ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 2 &&
                 H5Sget_simple_extent_dims(sp, d, NULL) == 2 &&
                 d[0] == (hsize_t)f[k].rows && d[1] == (hsize_t)f[k].per &&
                 H5Dread(ds, f[k].data ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT,
                         H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
        if (sp >= 0)
            H5Sclose(sp);
        if (ds >= 0)
            H5Dclose(ds);
        if (!ok)
            rc = TS_ERROR(e, TS_EINPUT, "%s: dataset '%s' is missing or has the wrong "
                          "shape", path, f[k].name);
        else
            slice(ps, &f[k], p, buf, 0);
    }
    H5Fclose(fid);
    free(buf);
    if (!rc)
        ps->completed[p] = 1;
    return rc;
}

int ts_point_read(ts_sweep *sw, long p, const char *path, const char *hash,
                  ts_err *e)
{
    ts_points ps;
    ts_points_of_sweep(&ps, sw, NULL);
    return ts_points_read_one(&ps, p, path, hash, e);
}

int ts_points_load(ts_sweep *sw, const char *dir, const char *hash, int force,
                   long *n_loaded, ts_err *e)
{
    return ts_points_load_stop(sw, dir, hash, force, NULL, n_loaded, e);
}

int ts_points_load_stop(ts_sweep *sw, const char *dir, const char *hash,
                        int force, const volatile sig_atomic_t *stop,
                        long *n_loaded, ts_err *e)
{
    ts_points ps;
    ts_points_of_sweep(&ps, sw, NULL);
    return ts_points_load_all(&ps, dir, hash, force, stop, n_loaded, e);
}

int ts_points_load_all(ts_points *ps, const char *dir, const char *hash,
                       int force, const volatile sig_atomic_t *stop,
                       long *n_loaded, ts_err *e)
{
    *n_loaded = 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? TS_OK
                               : TS_ERROR(e, TS_EIO, "%s: cannot open: %s", dir,
                                          strerror(errno));
    int rc = TS_OK;
    struct dirent *de;
    char path[4096];
    while (!rc && (de = readdir(d))) {
        if (stop && *stop) {
            rc = TS_ERROR(e, TS_EINTR, "%s: interrupted", dir);
            break;
        }
        long p;
        char tail[8];
        if (sscanf(de->d_name, "point-%ld.h5%7s", &p, tail) != 1 ||
            strncmp(de->d_name, "point-", 6))
            continue; /* temporaries (.tmp.PID) and other files */
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        char h[65];
        long idx;
        rc = ts_point_peek(path, h, &idx, e);
        if (rc)
            break;
        if (strcmp(h, hash) || idx != p || p < 0 || p >= ps->n_points) {
            if (force) {
                if (remove(path) != 0)
                    rc = TS_ERROR(e, TS_EIO, "%s: cannot remove: %s", path, strerror(errno));
                continue;
            }
            rc = TS_ERROR(e, TS_EINPUT,
                          "%s was written by a different experiment (sha256 %.12s..., "
                          "this one %.12s...): rerun with --force to discard it, or "
                          "write to another -o",
                          path, h, hash);
            break;
        }
        rc = ts_points_read_one(ps, p, path, hash, e);
        if (!rc)
            (*n_loaded)++;
    }
    closedir(d);
    return rc;
}

int ts_points_resume(ts_points *ps, const char *dir, const char *hash,
                     int force, const volatile sig_atomic_t *stop,
                     long *n_loaded, ts_err *e)
{
    int rc = ts_points_load_all(ps, dir, hash, force, stop, n_loaded, e);
    if (!rc && stop && *stop) /* before anything exists */
        rc = TS_ERROR(e, TS_EINTR, "interrupted before the first point");
    if (!rc && mkdir(dir, 0777) != 0 && errno != EEXIST)
        rc = TS_ERROR(e, TS_ECREATE, "%s: cannot create: %s", dir,
                      strerror(errno));
    if (!rc) /* point files of a SIGKILLed run (base/outfile.h) */
        ts_out_remove_stale_in(dir);
    return rc;
}

/* plot_read.c -- a result file of `truthsim run` read generically for
 * `truthsim plot` (docs/results-format.md): coordinates from the dimension
 * scales attached to each dataset, strings (fixed or variable length) and
 * numbers as doubles, and the root attributes a title needs.
 *
 * Left out: writing anything; what to draw (plot_kinds.c). */
#include "results/plot_read.h"

#include <errno.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results/plot_text.h"

void ts_plot_free_strings(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t k = 0; k < n; k++)
        free(s[k]);
    free(s);
}

void ts_plot_var_fini(ts_plot_var *v)
{
    free(v->v);
    v->v = NULL;
}

void ts_plot_in_close(ts_plot_in *in)
{
    for (int k = 0; k < in->nax; k++) {
        free(in->ax[k].name);
        ts_plot_free_strings(in->ax[k].str, in->ax[k].len);
        free(in->ax[k].num);
    }
    in->nax = 0;
    ts_plot_free_strings(in->mech_label, in->n_mech_label);
    in->mech_label = NULL;
    if (in->f >= 0)
        H5Fclose(in->f);
    in->f = -1;
}

/* The whole of a dataset (is_attr = 0) or attribute (1) as memory type mt. */
static herr_t read_all(hid_t obj, int is_attr, hid_t mt, void *buf)
{
    return is_attr ? H5Aread(obj, mt, buf)
                   : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
}

/* Read the n strings of a dataset (is_attr = 0) or attribute (1), fixed or
 * variable length, into a new array of new strings. */
static int read_strings(hid_t obj, int is_attr, size_t n, char ***out)
{
    int rc = -1;
    char **res = NULL;
    hid_t ft = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
    hid_t mt = -1, sp = -1;
    if (ft < 0 || H5Tget_class(ft) != H5T_STRING)
        goto done;
    res = calloc(n ? n : 1, sizeof *res);
    if (!res)
        goto done;
    htri_t is_var = H5Tis_variable_str(ft);
    if (is_var < 0)
        goto done;
    if (is_var) {
        char **buf = calloc(n ? n : 1, sizeof *buf);
        if (!buf)
            goto done;
        mt = H5Tcopy(H5T_C_S1);
        if (mt < 0 || H5Tset_size(mt, H5T_VARIABLE) < 0 ||
            H5Tset_cset(mt, H5Tget_cset(ft)) < 0) {
            free(buf);
            goto done;
        }
        if (read_all(obj, is_attr, mt, buf) < 0) {
            free(buf);
            goto done;
        }
        int ok = 1;
        for (size_t k = 0; k < n; k++)
            if (!(res[k] = strdup(buf[k] ? buf[k] : "")))
                ok = 0;
        sp = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
#if H5_VERSION_GE(1, 12, 0)
        H5Treclaim(mt, sp, H5P_DEFAULT, buf);
#else
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
#endif
        free(buf);
        if (!ok)
            goto done;
    } else {
        size_t sz = H5Tget_size(ft);
        if (sz == 0)
            goto done;
        char *raw = malloc(n * sz + 1);
        if (!raw)
            goto done;
        mt = H5Tcopy(ft);
        if (read_all(obj, is_attr, mt, raw) < 0) {
            free(raw);
            goto done;
        }
        int ok = 1;
        for (size_t k = 0; k < n; k++) {
            size_t l = strnlen(raw + k * sz, sz);
            while (l > 0 && raw[k * sz + l - 1] == ' ') /* space padding */
                l--;
            if (!(res[k] = strndup(raw + k * sz, l)))
                ok = 0;
        }
        free(raw);
        if (!ok)
            goto done;
    }
    *out = res;
    res = NULL;
    rc = 0;
done:
    if (res)
        ts_plot_free_strings(res, n);
    if (sp >= 0)
        H5Sclose(sp);
    if (mt >= 0)
        H5Tclose(mt);
    if (ft >= 0)
        H5Tclose(ft);
    return rc;
}

/* A root attribute as text: strings as they are, numbers formatted.  Missing
 * or of another shape: buf = "". */
static void root_attr(hid_t f, const char *name, char *buf, size_t len)
{
    buf[0] = '\0';
    if (H5Aexists(f, name) <= 0)
        return;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0)
        return;
    hid_t sp = H5Aget_space(a);
    hid_t ft = H5Aget_type(a);
    hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (np == 1 && ft >= 0) {
        H5T_class_t cls = H5Tget_class(ft);
        if (cls == H5T_STRING) {
            char **s = NULL;
            if (read_strings(a, 1, 1, &s) == 0) {
                snprintf(buf, len, "%s", s[0]);
                ts_plot_free_strings(s, 1);
            }
        } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
            double v;
            if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0)
                ts_plot_fmt_num(v, buf, len);
        }
    }
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    H5Aclose(a);
    ts_plot_flatten_ws(buf);
}

int ts_plot_dataset_exists(const ts_plot_in *in, const char *name)
{
    if (H5Lexists(in->f, name, H5P_DEFAULT) <= 0)
        return 0;
    hid_t d = H5Dopen2(in->f, name, H5P_DEFAULT); /* a group fails here */
    if (d < 0)
        return 0;
    H5Dclose(d);
    return 1;
}

/* A dataset with its dataspace and file type, opened and closed together
 * (load_axis, ts_plot_read_var); handles that failed to open are < 0. */
typedef struct dset {
    hid_t d, sp, ft;
} dset;

/* Open dataset path of in; TS_EINPUT "cannot open WHAT PATH" when it is
 * missing.  The dataspace and type may still be < 0: callers check the
 * shape they need. */
static int dset_open(const ts_plot_in *in, const char *path, const char *what,
                     dset *h, ts_err *e)
{
    h->sp = h->ft = -1;
    h->d = H5Dopen2(in->f, path, H5P_DEFAULT);
    if (h->d < 0)
        return TS_ERROR(e, TS_EINPUT, "%s: cannot open %s %s", in->path, what, path);
    h->sp = H5Dget_space(h->d);
    h->ft = H5Dget_type(h->d);
    return TS_OK;
}

static void dset_close(dset *h)
{
    if (h->ft >= 0)
        H5Tclose(h->ft);
    if (h->sp >= 0)
        H5Sclose(h->sp);
    if (h->d >= 0)
        H5Dclose(h->d);
}

/* Load the coordinate dataset at path (a dimension scale) as axis name,
 * or find it among those already loaded; returns its index or -1. */
static int load_axis(ts_plot_in *in, const char *path, ts_err *e)
{
    const char *name = ts_plot_base_name(path);
    for (int k = 0; k < in->nax; k++)
        if (strcmp(in->ax[k].name, name) == 0)
            return k;
    if (in->nax == TS_PLOT_MAX_AXES) {
        TS_ERROR(e, TS_EINPUT, "%s: more than %d dimensions", in->path, TS_PLOT_MAX_AXES);
        return -1;
    }
    int idx = -1;
    dset h;
    if (dset_open(in, path, "coordinate dataset", &h, e))
        goto done;
    const hid_t d = h.d, sp = h.sp, ft = h.ft;
    if (sp < 0 || ft < 0 || H5Sget_simple_extent_ndims(sp) != 1) {
        TS_ERROR(e, TS_EINPUT, "%s: coordinate %s is not one-dimensional", in->path, name);
        goto done;
    }
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    if (np < 0) {
        TS_ERROR(e, TS_EINPUT, "%s: cannot read the size of coordinate %s", in->path, name);
        goto done;
    }
    ts_plot_axis a = {0};
    a.len = (size_t)np;
    if (!(a.name = strdup(name))) {
        TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
        goto done;
    }
    H5T_class_t cls = H5Tget_class(ft);
    if (cls == H5T_STRING) {
        if (read_strings(d, 0, a.len, &a.str) < 0) {
            free(a.name);
            TS_ERROR(e, TS_EINPUT, "%s: cannot read the strings of coordinate %s",
                     in->path, name);
            goto done;
        }
    } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
        a.num = malloc((a.len ? a.len : 1) * sizeof *a.num);
        if (!a.num) {
            free(a.name);
            TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
            goto done;
        }
        if (a.len && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.num) < 0) {
            free(a.name);
            free(a.num);
            TS_ERROR(e, TS_EINPUT, "%s: cannot read coordinate %s", in->path, name);
            goto done;
        }
    } else {
        free(a.name);
        TS_ERROR(e, TS_EINPUT, "%s: coordinate %s is neither numbers nor strings",
                 in->path, name);
        goto done;
    }
    in->ax[in->nax] = a;
    idx = in->nax++;
done:
    dset_close(&h);
    return idx;
}

typedef struct scale_path {
    char path[512];
    int found;
} scale_path;

static herr_t first_scale(hid_t did, unsigned dim, hid_t dsid, void *data)
{
    (void)did;
    (void)dim;
    scale_path *sp = data;
    ssize_t n = H5Iget_name(dsid, sp->path, sizeof sp->path);
    if (n > 0 && (size_t)n < sizeof sp->path)
        sp->found = 1;
    return 1; /* the first scale names the dimension */
}

/* Read dataset name: shape, dimension names (from the attached scales) and,
 * when with_data, its values as doubles. */
int ts_plot_read_var(ts_plot_in *in, const char *name, int with_data, ts_plot_var *v, ts_err *e)
{
    int rc = TS_EINPUT;
    memset(v, 0, sizeof *v);
    dset h;
    if (dset_open(in, name, "dataset", &h, e))
        goto done;
    const hid_t d = h.d, sp = h.sp, ft = h.ft;
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (rank < 0 || ft < 0) {
        TS_ERROR(e, TS_EINPUT, "%s: cannot read the shape of dataset %s", in->path, name);
        goto done;
    }
    H5T_class_t cls = H5Tget_class(ft);
    if (with_data && cls != H5T_INTEGER && cls != H5T_FLOAT) {
        TS_ERROR(e, TS_EINPUT, "%s: dataset %s is not numeric", in->path, name);
        goto done;
    }
    hsize_t hd[H5S_MAX_RANK];
    H5Sget_simple_extent_dims(sp, hd, NULL);
    v->rank = rank;
    size_t n = 1;
    for (int k = 0; k < rank; k++) {
        v->dims[k] = (size_t)hd[k];
        n *= v->dims[k];
        int ns = H5DSget_num_scales(d, (unsigned)k);
        if (ns <= 0) {
            TS_ERROR(e, TS_EINPUT,
                     "%s: dimension %d of dataset %s has no dimension scale "
                     "(docs/results-format.md: every dimension is a coordinate)",
                     in->path, k, name);
            goto done;
        }
        scale_path spath = {.found = 0};
        if (H5DSiterate_scales(d, (unsigned)k, NULL, first_scale, &spath) < 0 ||
            !spath.found) {
            TS_ERROR(e, TS_EINPUT, "%s: cannot read the dimension scale of "
                     "dimension %d of dataset %s", in->path, k, name);
            goto done;
        }
        int a = load_axis(in, spath.path, e);
        if (a < 0) {
            rc = e ? e->code : TS_EINPUT;
            goto done;
        }
        if (in->ax[a].len != v->dims[k]) {
            TS_ERROR(e, TS_EINPUT, "%s: dataset %s has %zu entries along %s, "
                     "but coordinate %s has %zu", in->path, name, v->dims[k],
                     in->ax[a].name, in->ax[a].name, in->ax[a].len);
            goto done;
        }
        for (int j = 0; j < k; j++)
            if (v->ax[j] == a) {
                TS_ERROR(e, TS_EINPUT, "%s: dataset %s uses dimension %s twice",
                         in->path, name, in->ax[a].name);
                goto done;
            }
        v->ax[k] = a;
    }
    if (with_data) {
        v->v = malloc((n ? n : 1) * sizeof *v->v);
        if (!v->v) {
            rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory reading %s", in->path, name);
            goto done;
        }
        if (n && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v->v) < 0) {
            TS_ERROR(e, TS_EINPUT, "%s: cannot read dataset %s", in->path, name);
            goto done;
        }
    }
    rc = TS_OK;
done:
    if (rc != TS_OK)
        ts_plot_var_fini(v);
    dset_close(&h);
    return rc;
}

int ts_plot_in_open(ts_plot_in *in, const char *path, ts_err *e)
{
    memset(in, 0, sizeof *in);
    in->path = path;
    in->f = -1;
    struct stat st;
    if (stat(path, &st) != 0)
        return TS_ERROR(e, TS_ENOINPUT, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return TS_ERROR(e, TS_ENOINPUT, "%s: is a directory", path);
    if (access(path, R_OK) != 0)
        return TS_ERROR(e, TS_ENOINPUT, "%s: %s", path, strerror(errno));
    htri_t is = H5Fis_hdf5(path);
    if (is <= 0)
        return TS_ERROR(e, TS_EINPUT, "%s: not an HDF5 file", path);
    in->f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (in->f < 0)
        return TS_ERROR(e, TS_EINPUT, "%s: cannot open as HDF5 (damaged or "
                        "truncated?)", path);
    root_attr(in->f, "name", in->name, sizeof in->name);
    root_attr(in->f, "feedback", in->feedback, sizeof in->feedback);
    root_attr(in->f, "population", in->population, sizeof in->population);
    root_attr(in->f, "N", in->N, sizeof in->N);
    root_attr(in->f, "strategy", in->strategy, sizeof in->strategy);
    root_attr(in->f, "replicas", in->replicas, sizeof in->replicas);
    /* N reaches the script as a number (Prop. 3(b)'s bound), so it is kept
     * as the double it parses to, never as the attribute's text: a file is
     * data, and its strings must not become script (README, Safety). */
    in->N_val = NAN;
    if (in->N[0]) {
        char *end;
        double v = strtod(in->N, &end);
        if (*end || !isfinite(v) || v < 1.0)
            return TS_ERROR(e, TS_EINPUT, "%s: root attribute N is not a "
                            "positive number", path);
        in->N_val = v;
    }
    if (!in->name[0]) {
        /* not in the layout, but a stem is still needed: the file's own */
        const char *b = ts_plot_base_name(path);
        size_t l = strlen(b);
        if (l > 3 && strcmp(b + l - 3, ".h5") == 0)
            l -= 3;
        if (l >= sizeof in->name)
            l = sizeof in->name - 1;
        memcpy(in->name, b, l);
        in->name[l] = '\0';
    }
    ts_plot_sanitize_stem(in->name);

    /* display names of the mechanisms ("omoe (stand-in)") */
    if (ts_plot_dataset_exists(in, "mechanism_label")) {
        ts_plot_var lab;
        int rc = ts_plot_read_var(in, "mechanism_label", 0, &lab, e);
        if (rc)
            return rc;
        if (lab.rank != 1 || strcmp(in->ax[lab.ax[0]].name, "mechanism") != 0)
            return TS_ERROR(e, TS_EINPUT, "%s: mechanism_label is not over the "
                            "mechanism dimension", path);
        hid_t d = H5Dopen2(in->f, "mechanism_label", H5P_DEFAULT);
        int bad = d < 0 || read_strings(d, 0, lab.dims[0], &in->mech_label) < 0;
        if (d >= 0)
            H5Dclose(d);
        if (bad)
            return TS_ERROR(e, TS_EINPUT, "%s: cannot read mechanism_label as "
                            "strings", path);
        in->n_mech_label = lab.dims[0];
        for (size_t k = 0; k < lab.dims[0]; k++)
            ts_plot_flatten_ws(in->mech_label[k]);
    }
    return TS_OK;
}

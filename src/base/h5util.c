/* h5util.c -- see h5util.h.  HDF5's own error printing is left as the
 * program set it: main silences it once for the whole process. */
#include "base/h5util.h"

#include <errno.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <string.h>

static int create(ts_h5file *f, const char *path, int many, ts_err *e)
{
    f->id = -1;
    int rc = many ? ts_out_open_many(&f->out, path, e)
                  : ts_out_open(&f->out, path, e);
    if (rc)
        return rc;
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* The oldest format that has what we use: readable by every h5py. */
    H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_LATEST);
    f->id = H5Fcreate(f->out.tmp, H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fcpl);
    H5Pclose(fapl);
    if (f->id < 0) {
        ts_out_finish(&f->out, 0, e);
        return TS_ERROR(e, TS_ECREATE, "%s: cannot create the output file", path);
    }
    return TS_OK;
}

int ts_h5_create(ts_h5file *f, const char *path, ts_err *e)
{
    return create(f, path, 0, e);
}

int ts_h5_create_many(ts_h5file *f, const char *path, ts_err *e)
{
    return create(f, path, 1, e);
}

int ts_h5_close(ts_h5file *f, int ok, ts_err *e)
{
    int rc = TS_OK;
    if (f->id >= 0 && H5Fclose(f->id) < 0 && ok) {
        rc = TS_ERROR(e, TS_EIO, "%s: cannot finish writing", f->out.path);
        ok = 0;
    }
    f->id = -1;
    int rc2 = ts_out_finish(&f->out, ok, e);
    return rc ? rc : rc2;
}

hid_t ts_h5_dcpl(void)
{
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(p, 0);
    return p;
}

static hid_t scale(hid_t loc, const char *name, hid_t mem, hid_t file,
                   const void *v, size_t n)
{
    hsize_t d = n;
    hid_t sp = H5Screate_simple(1, &d, NULL);
    hid_t dcpl = ts_h5_dcpl();
    hid_t ds = H5Dcreate2(loc, name, file, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(sp);
    if (ds < 0)
        return -1;
    if ((n && H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) ||
        H5DSset_scale(ds, name) < 0) {
        H5Dclose(ds);
        return -1;
    }
    return ds;
}

hid_t ts_h5_scale_long(hid_t loc, const char *name, const long *v, size_t n)
{
    return scale(loc, name, H5T_NATIVE_LONG, H5T_STD_I64LE, v, n);
}

hid_t ts_h5_scale_double(hid_t loc, const char *name, const double *v,
                         size_t n)
{
    return scale(loc, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, v, n);
}

static hid_t str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

hid_t ts_h5_scale_str(hid_t loc, const char *name, const char *const *s,
                      size_t n)
{
    hid_t t = str_type();
    hid_t ds = scale(loc, name, t, t, s, n);
    H5Tclose(t);
    return ds;
}

static hid_t file_type(hid_t mem)
{
    if (H5Tequal(mem, H5T_NATIVE_DOUBLE) > 0)
        return H5T_IEEE_F64LE;
    if (H5Tequal(mem, H5T_NATIVE_INT32) > 0)
        return H5T_STD_I32LE;
    if (H5Tequal(mem, H5T_NATIVE_INT64) > 0 || H5Tequal(mem, H5T_NATIVE_LONG) > 0)
        return H5T_STD_I64LE;
    return H5T_STD_U8LE;
}

int ts_h5_write(hid_t loc, const char *name, hid_t type, const void *data,
                int rank, const hsize_t *dims, const hid_t *scales,
                const char *description)
{
    hid_t sp = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t dcpl = ts_h5_dcpl();
    hid_t ds = H5Dcreate2(loc, name, file_type(type), sp, H5P_DEFAULT, dcpl,
                          H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(sp);
    if (ds < 0)
        return TS_EIO;
    int bad = H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0;
    for (int k = 0; !bad && scales && k < rank; k++)
        if (scales[k] >= 0)
            bad = H5DSattach_scale(ds, scales[k], (unsigned)k) < 0;
    if (!bad && description)
        bad = ts_h5_attr_str(ds, "long_name", description) != TS_OK;
    H5Dclose(ds);
    return bad ? TS_EIO : TS_OK;
}

int ts_h5_write_strs(hid_t loc, const char *name, const char *const *s,
                     size_t n, hid_t sc, const char *description)
{
    hsize_t d = n;
    hid_t t = str_type();
    hid_t sp = H5Screate_simple(1, &d, NULL);
    hid_t dcpl = ts_h5_dcpl();
    hid_t ds = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(sp);
    int bad = ds < 0 || H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) < 0;
    if (!bad && sc >= 0)
        bad = H5DSattach_scale(ds, sc, 0) < 0;
    if (!bad && description)
        bad = ts_h5_attr_str(ds, "long_name", description) != TS_OK;
    if (ds >= 0)
        H5Dclose(ds);
    H5Tclose(t);
    return bad ? TS_EIO : TS_OK;
}

int ts_h5_attr_str(hid_t obj, const char *name, const char *value)
{
    hid_t t = str_type();
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int bad = a < 0 || H5Awrite(a, t, &value) < 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return bad ? TS_EIO : TS_OK;
}

static int attr_num(hid_t obj, const char *name, hid_t mem, hid_t file,
                    const void *v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, file, sp, H5P_DEFAULT, H5P_DEFAULT);
    int bad = a < 0 || H5Awrite(a, mem, v) < 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return bad ? TS_EIO : TS_OK;
}

int ts_h5_attr_double(hid_t obj, const char *name, double value)
{
    return attr_num(obj, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, &value);
}

int ts_h5_attr_long(hid_t obj, const char *name, long value)
{
    return attr_num(obj, name, H5T_NATIVE_LONG, H5T_STD_I64LE, &value);
}

int ts_h5_link_scales(hid_t g, int n, const hid_t *scales)
{
    int bad = 0;
    for (int k = 0; k < n && !bad; k++) {
        char path[256];
        if (scales[k] < 0)
            continue;
        ssize_t len = H5Iget_name(scales[k], path, sizeof path);
        bad = len <= 0 || (size_t)len >= sizeof path;
        const char *base = bad ? NULL : strrchr(path, '/');
        base = base ? base + 1 : path;
        /* Two dimensions of one scale would link it twice. */
        if (!bad && H5Lexists(g, base, H5P_DEFAULT) == 0)
            bad = H5Lcreate_hard(scales[k], path, g, base, H5P_DEFAULT,
                                 H5P_DEFAULT) < 0;
    }
    return bad;
}

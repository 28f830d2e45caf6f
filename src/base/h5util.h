/* h5util.h -- the few HDF5 operations every writer here needs: files that
 * appear only when complete, dimension scales that xarray reads as
 * coordinates, and attributes.  All functions return TS_OK or TS_EIO. */
#ifndef TS_H5UTIL_H
#define TS_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>

#include "base/err.h"
#include "base/outfile.h"

typedef struct ts_h5file {
    hid_t id;
    ts_outfile out; /* the temporary beside the final name (outfile.h) */
} ts_h5file;

/* Create path's temporary sibling safely (ts_out_open: O_EXCL, refused
 * non-regular outputs), then let HDF5 truncate and write that very file. */
int ts_h5_create(ts_h5file *f, const char *path, ts_err *e);
/* The same through ts_out_open_many (point files: no scan per file). */
int ts_h5_create_many(ts_h5file *f, const char *path, ts_err *e);
/* Close; rename into place when ok, else remove the temporary file. */
int ts_h5_close(ts_h5file *f, int ok, ts_err *e);

/* 1-D coordinate datasets registered as dimension scales. */
hid_t ts_h5_scale_long(hid_t loc, const char *name, const long *v, size_t n);
hid_t ts_h5_scale_double(hid_t loc, const char *name, const double *v,
                         size_t n);
hid_t ts_h5_scale_str(hid_t loc, const char *name, const char *const *s,
                      size_t n);

/* A dataset of rank dims (rank 0 = scalar) with scales[k] attached to
 * dimension k (scales may be NULL).  type: H5T_NATIVE_DOUBLE,
 * H5T_NATIVE_INT32, H5T_NATIVE_INT64 or H5T_NATIVE_UINT8.  description
 * goes into a `long_name` attribute. */
int ts_h5_write(hid_t loc, const char *name, hid_t type, const void *data,
                int rank, const hsize_t *dims, const hid_t *scales,
                const char *description);
/* Each of scales[0..n) (n <= 8, negative entries skipped) also under its
 * own name in group g, as a hard link to the same dataset: a group opened
 * alone (xarray's group=) then has its coordinates, while a reader that
 * visits objects sees each scale once (pinned digests stay as they are).
 * A name g already holds is left as it is. */
int ts_h5_link_scales(hid_t g, int n, const hid_t *scales);

/* A 1-D dataset of strings (variable-length UTF-8). */
int ts_h5_write_strs(hid_t loc, const char *name, const char *const *s,
                     size_t n, hid_t scale, const char *description);

int ts_h5_attr_str(hid_t obj, const char *name, const char *value);
int ts_h5_attr_double(hid_t obj, const char *name, double value);
int ts_h5_attr_long(hid_t obj, const char *name, long value);

/* Dataset-creation properties: no timestamps, so the same run gives the
 * same bytes. */
hid_t ts_h5_dcpl(void);

#endif

/* h5.c -- HDF5 output of the trainer (see dpo_h5.h).
 *
 * The root also carries the provenance attributes every truthsim file
 * has (base/provenance.h: program, version, git_commit, command_line,
 * compiler, library versions, openmp).  The command line comes in attrs
 * under the name "command_line", if the caller has one; it is written
 * with the provenance, not among the settings.  HDF5's own error printing
 * is left as the program set it (main silences it once). */
#include "dpo/dpo_h5.h"

#include "base/outfile.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/h5util.h"
#include "base/provenance.h"

#define COMMAND_LINE "command_line"

/* A series over epochs 1..n, with that coordinate as its dimension scale
 * (`scale`, named epoch or sft_epoch), so xarray names the axis. */
static int put_series(hid_t f, const char *name, const double *x, int n,
                      const char *scale)
{
    hsize_t dims[1] = {(hsize_t)n};
    long *ep = malloc((size_t)(n > 0 ? n : 1) * sizeof *ep);
    if (!ep)
        return 1;
    for (int i = 0; i < n; i++)
        ep[i] = i + 1;
    hid_t sc = H5Lexists(f, scale, H5P_DEFAULT) > 0
                   ? H5Dopen2(f, scale, H5P_DEFAULT)
                   : ts_h5_scale_long(f, scale, ep, (size_t)n);
    free(ep);
    int bad = sc < 0 || ts_h5_write(f, name, H5T_NATIVE_DOUBLE, x, 1, dims,
                                    &sc, NULL) != TS_OK;
    if (sc >= 0)
        H5Dclose(sc);
    return bad;
}

/* The "command_line" entry of attrs, or NULL. */
static const char *command_line(const ts_dpo_h5_attr *attrs, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(attrs[i].name, COMMAND_LINE) && attrs[i].text)
            return attrs[i].text;
    return NULL;
}

int ts_dpo_write_h5(const char *path, const ts_dpo_metrics *metrics,
                    int epochs, const double *sft_loss, int sft_epochs,
                    const ts_dpo_eval *ev, const ts_dpo_h5_attr *attrs,
                    int nattrs, const volatile sig_atomic_t *stop, ts_err *e)
{
    double *col = malloc(((size_t)epochs + 1) * sizeof *col);
    if (!col)
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    /* The temporary is created safely first (outfile.h), then HDF5
     * truncates and writes that very file. */
    ts_outfile out;
    int rc = ts_out_open(&out, path, e);
    if (rc) {
        free(col);
        return rc;
    }
    out.stop = stop;
    hid_t f = H5Fcreate(out.tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    int bad = f < 0;
    if (!bad) {
        ts_provenance prov = {.command_line = command_line(attrs, nattrs)};
        bad = ts_provenance_write(f, &prov) != 0;
        static const char *const names[5] = {"loss", "rewards_chosen",
                                             "rewards_rejected",
                                             "rewards_accuracy",
                                             "rewards_margin"};
        for (int k = 0; k < 5 && !bad; k++) {
            for (int i = 0; i < epochs; i++) {
                const ts_dpo_metrics *m = &metrics[i];
                const double v[5] = {m->loss, m->rewards_chosen,
                                     m->rewards_rejected, m->rewards_accuracy,
                                     m->rewards_margin};
                col[i] = v[k];
            }
            bad = put_series(f, names[k], col, epochs, "epoch");
        }
        if (!bad && sft_epochs > 0)
            bad = put_series(f, "sft_loss", sft_loss, sft_epochs, "sft_epoch");
        if (!bad && ev) {
            double n = (double)ev->n;
            bad = H5LTset_attribute_double(f, "/", "test_accuracy",
                                           &ev->accuracy, 1) < 0 ||
                  H5LTset_attribute_double(f, "/", "reference_accuracy",
                                           &ev->reference_accuracy, 1) < 0 ||
                  H5LTset_attribute_double(f, "/", "win_rate", &ev->win_rate,
                                           1) < 0 ||
                  H5LTset_attribute_double(f, "/", "n_test", &n, 1) < 0;
        }
        for (int i = 0; i < nattrs && !bad; i++) {
            if (!strcmp(attrs[i].name, COMMAND_LINE))
                continue; /* written with the provenance */
            bad = attrs[i].text
                      ? H5LTset_attribute_string(f, "/", attrs[i].name,
                                                 attrs[i].text) < 0
                      : H5LTset_attribute_double(f, "/", attrs[i].name,
                                                 &attrs[i].value, 1) < 0;
        }
        bad = (H5Fclose(f) < 0) || bad;
    }
    rc = ts_out_finish(&out, !bad, e);
    if (bad && rc != TS_EINTR)
        rc = TS_ERROR(e, TS_EIO, "%s: cannot write the HDF5 file", path);
    free(col);
    return rc;
}

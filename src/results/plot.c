/* plot.c -- `truthsim plot`: TSV tables, gnuplot scripts and pictures from
 * a result file of `truthsim run` (SPEC §5 figures; layout:
 * docs/results-format.md).  The work is split by concern:
 *
 *   plot_read.c    the result file read generically (coordinates from the
 *                  dimension scales, data as doubles);
 *   plot_kinds.c   the table of picture kinds and the pictures built in
 *                  memory;
 *   plot_write.c   TSV, script, gnuplot, and the rename into place;
 *   plot_text.c    string buffers and number formatting they share.
 *
 * This file holds the entry points.  Work goes in passes so that a failure
 * leaves nothing behind: read every picture into memory (HDF5 closed
 * afterwards), then write and draw them under temporary names, then rename
 * everything into place.  HDF5's own error stack is silenced once, in
 * main; errors here are one line, "FILE: what is wrong".
 *
 * Left out: any simulation (plots only draw, STYLE §1). */
#include "results/plot.h"

#include <stdlib.h>
#include <string.h>

#include "results/plot_picture.h"

void ts_plot_opts_init(ts_plot_opts *o)
{
    o->out_dir = NULL;
    o->render = 1;
    o->gnuplot = "gnuplot";
    o->path = NULL;
    o->envp = NULL;
    o->formats = "png,svg";
    o->width = 800;
    o->height = 560;
    o->facet = "auto";
    o->stop = NULL;
}

void ts_plot_out_fini(ts_plot_out *out)
{
    if (!out)
        return;
    ts_plot_out_drop_pics(out);
    free(out->dir);
    memset(out, 0, sizeof *out);
}

int ts_plot_check(const char *h5path, ts_err *e)
{
    ts_plot_picture_list pl = {0};
    ts_plot_in in;
    int rc = ts_plot_in_open(&in, h5path, e);
    for (const ts_plot_kind *k = ts_plot_kinds; !rc && k->kind; k++)
        rc = ts_plot_build_kind(&in, k, "auto", &pl, e);
    ts_plot_in_close(&in);
    ts_plot_picture_list_fini(&pl);
    return rc;
}

int ts_plot_file(const char *h5path, const ts_plot_opts *o, ts_plot_out *out,
                 ts_err *e)
{
    ts_plot_opts defaults;
    if (!o) {
        ts_plot_opts_init(&defaults);
        o = &defaults;
    }
    memset(out, 0, sizeof *out);
    if (!h5path)
        return TS_ERROR(e, TS_EINVAL, "ts_plot_file: no file given");

    ts_plot_picture_list pl = {0};
    ts_plot_in in;
    int rc = ts_plot_in_open(&in, h5path, e);
    const char *facet = o->facet ? o->facet : "auto";
    if (!rc && strcmp(facet, "auto") != 0 && strcmp(facet, "none") != 0 &&
        !ts_plot_dataset_exists(&in, facet))
        rc = TS_ERROR(e, TS_EINPUT, "%s: facet axis '%s' is not a coordinate "
                      "of the file", h5path, facet);
    for (const ts_plot_kind *k = ts_plot_kinds; !rc && k->kind; k++)
        rc = ts_plot_build_kind(&in, k, facet, &pl, e);
    ts_plot_in_close(&in);

    if (!rc && pl.n == 0) {
        char *dir = NULL, *prefix = NULL;
        if (ts_plot_out_location(h5path, o->out_dir, &dir, &prefix) < 0)
            rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", h5path);
        out->dir = dir;
        free(prefix);
    } else if (!rc) {
        rc = ts_plot_write_pictures(&pl, h5path, o, out, e);
    }
    ts_plot_picture_list_fini(&pl);
    if (rc)
        ts_plot_out_fini(out);
    return rc;
}

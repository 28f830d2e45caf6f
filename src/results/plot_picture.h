/* plot_picture.h -- the picture kinds of `truthsim plot` and pictures in
 * memory (not installed).  plot_kinds.c turns a result file into pictures
 * by the table of kinds; plot_write.c writes each as TSV data and a
 * gnuplot script and lets gnuplot draw it. */
#ifndef TS_PLOT_PICTURE_H
#define TS_PLOT_PICTURE_H

#include "results/plot.h"
#include "results/plot_read.h"

/* One picture kind: a mean dataset (its "_ci" companion gives the 95 %
 * band), the dimension along x, and optionally the dimension that makes
 * one line per value (the workers of a trajectory). */
typedef struct ts_plot_kind {
    const char *kind;     /* stem part: <name>_<kind>[_<mechanism>...]        */
    const char *dataset;  /* mean over replicas; "<dataset>_ci" is the band   */
    const char *x_dim;    /* dimension along x (numeric coordinate)           */
    const char *line_dim; /* NULL: one picture, a line per combination of the
                             other dimensions; else a line per value of this
                             one and a picture per combination of the others */
    const char *tmpl;     /* plots/<tmpl>.gp                                  */
    const char *what;     /* title, after "<name>: "                          */
    const char *x_label;  /* gnuplot enhanced text                            */
    const char *y_label;
    double y_min, y_max;  /* fixed y range, or NaN for automatic              */
    int tic_rows;         /* 1: a tic at each x of the data (when few)        */
    int recorded;         /* 1: data of one recorded path (`replay`), without
                             a "_ci" companion: drawn without a band          */
} ts_plot_kind;

/* The kinds, ending with a row whose kind is NULL. */
extern const ts_plot_kind ts_plot_kinds[];

typedef struct ts_plot_picture {
    const ts_plot_kind *k;
    char *stem;
    char *title;
    char *x_name;    /* column 1 of the TSV                          */
    size_t nx, ns;   /* rows, lines                                  */
    double *x;       /* [nx]                                         */
    double *y;       /* [nx][ns][2], y[(ix*ns + s)*2 + 0|1] = mean|ci */
    char **stitle;   /* [ns] legend entries                          */
    int *style;      /* [ns] style index within its panel: picks the
                        colour, point and dash, the same in every panel */
    int *bound;      /* [ns] 1: a bound, not data (drawn dashed black) */
    size_t *panel;   /* [ns] panel of each line (0 when not faceted)  */
    size_t npanel;   /* panels: 1, or the values of the facet axis    */
    char **ptitle;   /* [npanel] panel titles ("gap=0.05"), or NULL  */
    char *coords;    /* gnuplot lines "coord_T = 500" for the fixed
                        numeric coordinates of the picture (and N)     */
} ts_plot_picture;

/* Above this many lines in one picture, facet="auto" splits them into
 * panels by one swept axis (issue 16: a 12-series plot must be readable). */
#define TS_PLOT_FACET_AUTO 8

typedef struct ts_plot_picture_list {
    ts_plot_picture *p;
    size_t n, cap;
} ts_plot_picture_list;

void ts_plot_picture_list_fini(ts_plot_picture_list *l);

/* Append the pictures of kind k, if the file has its dataset and
 * dimensions (a kind that does not apply adds nothing).  facet: "auto"
 * (panels past TS_PLOT_FACET_AUTO lines), "none", or the axis whose values
 * make the panels of one picture (gnuplot multiplot). */
int ts_plot_build_kind(ts_plot_in *in, const ts_plot_kind *k,
                       const char *facet, ts_plot_picture_list *out, ts_err *e);

/* The output directory and the prefix joined to stems: "" for an input in
 * the current directory, so printed paths stay as short as the input's.
 * Returns 0, or -1 when out of memory. */
int ts_plot_out_location(const char *h5path, const char *out_dir, char **dir,
                         char **prefix);

/* Write every picture of pl (TSV, script, and with gnuplot png and svg)
 * under temporary names, then rename all into place; on failure nothing
 * is left behind and out lists nothing. */
int ts_plot_write_pictures(const ts_plot_picture_list *pl, const char *h5path,
                           const ts_plot_opts *o, ts_plot_out *out, ts_err *e);

/* Free out's pictures (every path of each) and list none: the one release
 * of out->pic, for a failed write and for ts_plot_out_fini. */
void ts_plot_out_drop_pics(ts_plot_out *out);

#endif

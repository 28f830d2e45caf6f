/* plot_read.h -- a result file read generically, for `truthsim plot` (not
 * installed): a dataset's dimension names come from the dimension scales
 * attached to it (the path of the coordinate dataset), coordinates are
 * read as strings or doubles, data as doubles (docs/results-format.md).
 *
 * Messages are one line, "FILE: what is wrong"; HDF5's own error stack is
 * silenced once, in main. */
#ifndef TS_PLOT_READ_H
#define TS_PLOT_READ_H

#include <hdf5.h>

#include "base/err.h"

#define TS_PLOT_MAX_AXES 64

/* A coordinate: one dimension of the file. */
typedef struct ts_plot_axis {
    char *name;   /* dimension name = coordinate dataset name            */
    size_t len;
    char **str;   /* [len] for string coordinates (mechanism, strategy) */
    double *num;  /* [len] for numeric coordinates                      */
} ts_plot_axis;

/* An open result file and the coordinates met so far. */
typedef struct ts_plot_in {
    const char *path;    /* for messages                                  */
    hid_t f;
    ts_plot_axis ax[TS_PLOT_MAX_AXES];
    int nax;
    char **mech_label;   /* [len of mechanism], NULL if the file has none */
    size_t n_mech_label;
    char name[256];      /* root attributes, "" when missing              */
    char feedback[64];
    char population[128];
    char strategy[128];
    char replicas[32];
    char N[32];          /* the root attribute N when N is not swept      */
    double N_val;        /* N as parsed (NaN when absent): what plots use  */
} ts_plot_in;

/* A dataset: its shape, the coordinate of each dimension, its values. */
typedef struct ts_plot_var {
    int rank;
    size_t dims[H5S_MAX_RANK];
    int ax[H5S_MAX_RANK]; /* index into ts_plot_in.ax                     */
    double *v;            /* row-major, [dims[0]]...[dims[rank-1]]        */
} ts_plot_var;

/* Open path and read its root attributes and mechanism labels.  TS_EIO
 * when the file is missing or unreadable, TS_EINPUT when it is not HDF5
 * or not laid out as a result file.  Close it even after a failure. */
int ts_plot_in_open(ts_plot_in *in, const char *path, ts_err *e);
void ts_plot_in_close(ts_plot_in *in);

/* 1 when name is a dataset of the file (not a group, not missing). */
int ts_plot_dataset_exists(const ts_plot_in *in, const char *name);

/* Read dataset name: shape, dimension names (from the attached scales)
 * and, when with_data, its values as doubles. */
int ts_plot_read_var(ts_plot_in *in, const char *name, int with_data,
                     ts_plot_var *v, ts_err *e);
void ts_plot_var_fini(ts_plot_var *v);

/* Free n strings and the array holding them (NULL is fine). */
void ts_plot_free_strings(char **s, size_t n);

#endif

/* plot.c -- `truthsim plot`: TSV tables, gnuplot scripts and pictures from a
 * result file of `truthsim run` (SPEC §5 figures; layout: docs/results-format.md).
 *
 * The reader is generic: a dataset's dimension names come from the dimension
 * scales attached to it (the path of the coordinate dataset), coordinates are
 * read as strings or doubles, data as doubles.  What to draw is the table
 * `kinds` below: a picture kind is a mean dataset (its "_ci" companion gives
 * the 95 % band), the dimension along x, and optionally the dimension that
 * makes one line per value (the workers of a trajectory).  Every other
 * dimension of the dataset either multiplies the lines (line_dim == NULL:
 * "ours N=5", "ours N=10" in one picture) or the pictures (one per mechanism,
 * strategy, N ...).  A kind applies when its dataset has its dimensions;
 * adding a kind is a row here plus a template in plots/.
 *
 * Symbols: N workers, T horizon, t slot, w_i^t weight of worker i before
 * slot t, R(T) regret after T slots.
 *
 * Work goes in three passes so that a failure leaves nothing behind: read
 * every picture into memory (HDF5 closed afterwards), write each TSV and
 * script (and let gnuplot draw each picture) under temporary names, then
 * rename everything into place.  Temporary names carry the process id, so
 * two processes never collide; two threads plotting into one directory in
 * the same process could (HDF5 serial is not thread-safe anyway).
 *
 * Left out: picture kinds beyond the table (regret_traj, final_share, ...)
 * and any styling beyond the templates; users restyle the written scripts. */
#include "results/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

/* ------------------------------------------------------------------------ */
/* The picture kinds.                                                        */

typedef struct plot_kind {
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
} plot_kind;

static const plot_kind kinds[] = {
    /* Figs. 6-9: eq. (5) (full) or eq. (12) (limited) against T */
    {"time_avg_regret", "time_avg_regret", "T", NULL, "time_avg_regret",
     "time-averaged regret R(T)/T", "horizon T (slots)", "R(T) / T", NAN, NAN, 1},
    /* Figs. 3, 5: w_i^t / sum_k w_k^t */
    {"share_traj", "share_traj", "slot", "worker", "trajectory",
     "shares w_i/Σw", "slot t", "share  w_i^t / Σ_k w_k^t", 0.0, 1.0, 0},
    /* Figs. 2, 4: w_i^t (may underflow to 0 at long horizons) */
    {"weight_traj", "weight_traj", "slot", "worker", "trajectory", "weights",
     "slot t", "weight  w_i^t", NAN, NAN, 0},
    /* Figs. 4, 5 (limited feedback): theta_i^t, the probability that
     * worker i is heard in slot t (eq. 12) */
    {"theta_traj", "theta_traj", "slot", "worker", "trajectory",
     "selection probabilities θ_i", "slot t", "θ_i^t", 0.0, 1.0, 0},
    /* Prop. 3(b): R(T)/T against the flip rate eps, a line per mechanism,
     * a picture per T; the template draws 3 sqrt(ln N / 2T) + 2 eps from
     * the picture's coord_N and coord_T */
    {"regret_eps", "time_avg_regret", "epsilon", "mechanism", "regret_eps",
     "R(T)/T vs flip rate ε, Prop. 3(b) dashed",
     "flip rate ε", "R(T) / T", NAN, NAN, 1},
    /* Prop. 2: overtaking time against w_k/w_i, a line per mechanism and
     * gap, the bound as the row "bound (Prop. 2)" (truthsim overtake) */
    {"overtake", "overtake_time", "ratio", NULL, "time_avg_regret",
     "overtaking time of a better newcomer", "w_k / w_i at arrival",
     "slots until E[w_i] ≥ E[w_k]", NAN, NAN, 1},
    /* SPEC §4/§5 best responses (truthsim best-response -O): r*(q) per
     * mechanism against the diagonal r = q; the gain U(r*) - U(q) */
    {"br_rstar", "r_star", "q", "mechanism", "br_rstar",
     "single-slot best response r*(q), dashed: truthful",
     "belief q", "best report r*", NAN, NAN, 0},
    {"br_gain", "gain", "q", "mechanism", "linear",
     "expected gain of the best response over truth", "belief q",
     "U(r*) − U(q)", NAN, NAN, 0},
    /* SPEC §4 horizon deviations: horizon utility (eq. 4) against
     * exaggerate's kappa (kappa = 0 truthful), a line per worker, common
     * random numbers across kappa (experiments/deviation-kappa.yaml) */
    {"util_kappa", "utility_weight", "exaggerate.kappa", "worker", "linear",
     "horizon utility Σ_t w_i^t vs exaggeration κ of worker 1",
     "κ (worker 1: r = q + κ(q − ½))", "Σ_t w_i^t", NAN, NAN, 1},
    {"share_kappa", "utility_share", "exaggerate.kappa", "worker", "linear",
     "horizon share Σ_t w_i^t/Σw vs exaggeration κ of worker 1",
     "κ (worker 1: r = q + κ(q − ½))", "Σ_t share_i^t", NAN, NAN, 1},
    /* Lemma 2: the size of hedge's best-response deviation against eta
     * (truthsim best-response --sweep eta=... -O) */
    {"dev_eta", "max_abs_dev", "eta", NULL, "time_avg_regret",
     "largest best-response deviation", "η", "max_q |r* − q|", 0.0, NAN, 1},
    /* The paired gain of worker utilities over kappa = 0 (gain_axis:
     * exaggerate.kappa), with its CI band: the measured epsilon */
    {"gain_kappa", "utility_weight_gain", "exaggerate.kappa", "worker", "linear",
     "utility gain over truthful play (paired, CRN)", "κ (exaggerate)",
     "Σ_t w_i^t minus its value at κ = 0", NAN, NAN, 1},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.0, 0.0, 0},
};

/* Line colours, by line index: distinct on white, colour-blind friendlier
 * first (blue, orange, green, purple, vermillion ...). */
static const char *const colours[] = {
    "#0072b2", "#e69f00", "#009e73", "#7f3c8d", "#d55e00",
    "#56b4e9", "#cc79a7", "#8c6d31", "#000000", "#b8b800",
};
#define N_COLOURS (sizeof colours / sizeof colours[0])
/* gnuplot point types (filled circle, square, diamond, triangles ...), by
 * mechanism, so the curves of one mechanism share a marker. */
static const int point_types[] = {7, 5, 13, 9, 11, 15, 4, 6, 12, 8};
#define N_POINT_TYPES (sizeof point_types / sizeof point_types[0])

/* Above this many lines the legend would crowd the picture: leave it out. */
#define MAX_KEY_ENTRIES 20
/* Up to this many x values each gets a labelled tic (tic_rows kinds). */
#define MAX_X_TICS 10

/* ------------------------------------------------------------------------ */
/* Small helpers.                                                            */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_addn(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_add(sbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_addf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        sb_addn(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_addn(b, big, (size_t)n);
    free(big);
}

/* Take the buffer's string (never NULL unless out of memory). */
static char *sb_take(sbuf *b)
{
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    if (!b->p)
        return strdup("");
    return b->p;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as v, so the TSV holds
 * the exact doubles without the noise of always printing 17 digits. */
static void fmt_num(double v, char *buf, size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, len, v > 0 ? "Inf" : "-Inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* Characters allowed in a file stem; the rest becomes '-'. */
static void sanitize_stem_part(char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
                 c == '+';
        if (!ok)
            *s = '-';
    }
}

/* Tabs and line breaks would break a TSV header or a script line. */
static void flatten_ws(char *s)
{
    for (; *s; s++)
        if (*s == '\t' || *s == '\n' || *s == '\r')
            *s = ' ';
}

/* A gnuplot double-quoted string; '\n' in s becomes a line break. */
static void sb_gp_string(sbuf *b, const char *s)
{
    sb_add(b, "\"");
    for (; *s; s++) {
        if (*s == '\\')
            sb_add(b, "\\\\");
        else if (*s == '"')
            sb_add(b, "\\\"");
        else if (*s == '\n')
            sb_add(b, "\\n");
        else if ((unsigned char)*s < 0x20)
            sb_add(b, " ");
        else
            sb_addn(b, s, 1);
    }
    sb_add(b, "\"");
}

/* A gnuplot single-quoted string (no escapes inside; '' is a quote). */
static void sb_gp_squote(sbuf *b, const char *s)
{
    sb_add(b, "'");
    for (; *s; s++) {
        if (*s == '\'')
            sb_add(b, "''");
        else
            sb_addn(b, s, 1);
    }
    sb_add(b, "'");
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static char *str_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ------------------------------------------------------------------------ */
/* Reading the result file.                                                  */

#define MAX_AXES 64

typedef struct axis {
    char *name;   /* dimension name = coordinate dataset name            */
    size_t len;
    char **str;   /* [len] for string coordinates (mechanism, strategy) */
    double *num;  /* [len] for numeric coordinates                      */
} axis;

typedef struct h5in {
    const char *path;    /* for messages                                  */
    hid_t f;
    axis ax[MAX_AXES];
    int nax;
    char **mech_label;   /* [len of mechanism], NULL if the file has none */
    size_t n_mech_label;
    char name[256];      /* root attributes, "" when missing              */
    char feedback[64];
    char population[128];
    char strategy[128];
    char replicas[32];
    char N[32];          /* the root attribute N when N is not swept      */
} h5in;

typedef struct var {
    int rank;
    size_t dims[H5S_MAX_RANK];
    int ax[H5S_MAX_RANK]; /* index into h5in.ax                           */
    double *v;            /* row-major, [dims[0]]...[dims[rank-1]]        */
} var;

static void free_strings(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t k = 0; k < n; k++)
        free(s[k]);
    free(s);
}

static void var_fini(var *v)
{
    free(v->v);
    v->v = NULL;
}

static void h5in_close(h5in *in)
{
    for (int k = 0; k < in->nax; k++) {
        free(in->ax[k].name);
        free_strings(in->ax[k].str, in->ax[k].len);
        free(in->ax[k].num);
    }
    in->nax = 0;
    free_strings(in->mech_label, in->n_mech_label);
    in->mech_label = NULL;
    if (in->f >= 0)
        H5Fclose(in->f);
    in->f = -1;
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
        herr_t st = is_attr ? H5Aread(obj, mt, buf)
                            : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        if (st < 0) {
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
        herr_t st = is_attr ? H5Aread(obj, mt, raw)
                            : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw);
        if (st < 0) {
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
        free_strings(res, n);
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
                free_strings(s, 1);
            }
        } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
            double v;
            if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0)
                fmt_num(v, buf, len);
        }
    }
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    H5Aclose(a);
    flatten_ws(buf);
}

static int dataset_exists(const h5in *in, const char *name)
{
    if (H5Lexists(in->f, name, H5P_DEFAULT) <= 0)
        return 0;
    hid_t d = H5Dopen2(in->f, name, H5P_DEFAULT); /* a group fails here */
    if (d < 0)
        return 0;
    H5Dclose(d);
    return 1;
}

/* Load the coordinate dataset at path (a dimension scale) as axis name,
 * or find it among those already loaded; returns its index or -1. */
static int load_axis(h5in *in, const char *path, ts_err *e)
{
    const char *name = base_name(path);
    for (int k = 0; k < in->nax; k++)
        if (strcmp(in->ax[k].name, name) == 0)
            return k;
    if (in->nax == MAX_AXES) {
        TS_ERROR(e, TS_EINPUT, "%s: more than %d dimensions", in->path, MAX_AXES);
        return -1;
    }
    int idx = -1;
    hid_t d = H5Dopen2(in->f, path, H5P_DEFAULT);
    hid_t sp = -1, ft = -1;
    if (d < 0) {
        TS_ERROR(e, TS_EINPUT, "%s: cannot open coordinate dataset %s", in->path, path);
        goto done;
    }
    sp = H5Dget_space(d);
    ft = H5Dget_type(d);
    if (sp < 0 || ft < 0 || H5Sget_simple_extent_ndims(sp) != 1) {
        TS_ERROR(e, TS_EINPUT, "%s: coordinate %s is not one-dimensional", in->path, name);
        goto done;
    }
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    if (np < 0) {
        TS_ERROR(e, TS_EINPUT, "%s: cannot read the size of coordinate %s", in->path, name);
        goto done;
    }
    axis a = {0};
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
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
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
static int read_var(h5in *in, const char *name, int with_data, var *v, ts_err *e)
{
    int rc = TS_EINPUT;
    memset(v, 0, sizeof *v);
    hid_t d = H5Dopen2(in->f, name, H5P_DEFAULT);
    hid_t sp = -1, ft = -1;
    if (d < 0) {
        TS_ERROR(e, TS_EINPUT, "%s: cannot open dataset %s", in->path, name);
        goto done;
    }
    sp = H5Dget_space(d);
    ft = H5Dget_type(d);
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
        var_fini(v);
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    return rc;
}

static int h5in_open(h5in *in, const char *path, ts_err *e)
{
    memset(in, 0, sizeof *in);
    in->path = path;
    in->f = -1;
    struct stat st;
    if (stat(path, &st) != 0)
        return TS_ERROR(e, TS_EIO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return TS_ERROR(e, TS_EIO, "%s: is a directory", path);
    if (access(path, R_OK) != 0)
        return TS_ERROR(e, TS_EIO, "%s: %s", path, strerror(errno));
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
    if (!in->name[0]) {
        /* not in the layout, but a stem is still needed: the file's own */
        const char *b = base_name(path);
        size_t l = strlen(b);
        if (l > 3 && strcmp(b + l - 3, ".h5") == 0)
            l -= 3;
        if (l >= sizeof in->name)
            l = sizeof in->name - 1;
        memcpy(in->name, b, l);
        in->name[l] = '\0';
    }
    sanitize_stem_part(in->name);

    /* display names of the mechanisms ("omoe (stand-in)") */
    if (dataset_exists(in, "mechanism_label")) {
        var lab;
        int rc = read_var(in, "mechanism_label", 0, &lab, e);
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
            flatten_ws(in->mech_label[k]);
    }
    return TS_OK;
}

/* ------------------------------------------------------------------------ */
/* Pictures in memory.                                                       */

typedef struct picture {
    const plot_kind *k;
    char *stem;
    char *title;
    char *x_name;    /* column 1 of the TSV                          */
    size_t nx, ns;   /* rows, lines                                  */
    double *x;       /* [nx]                                         */
    double *y;       /* [nx][ns][2], y[(ix*ns + s)*2 + 0|1] = mean|ci */
    char **stitle;   /* [ns] legend entries                          */
    int *group;      /* [ns] mechanism index, picks the point type   */
    char *coords;    /* gnuplot lines "coord_T = 500" for the fixed
                        numeric coordinates of the picture (and N)     */
} picture;

static void picture_fini(picture *p)
{
    free(p->stem);
    free(p->title);
    free(p->x_name);
    free(p->x);
    free(p->y);
    free_strings(p->stitle, p->ns);
    free(p->group);
    free(p->coords);
    memset(p, 0, sizeof *p);
}

typedef struct picture_list {
    picture *p;
    size_t n, cap;
} picture_list;

static void picture_list_fini(picture_list *l)
{
    for (size_t k = 0; k < l->n; k++)
        picture_fini(&l->p[k]);
    free(l->p);
    memset(l, 0, sizeof *l);
}

/* Label of entry i of axis a: mechanisms by display name, workers 1-based,
 * strings as they are, other numbers as "N=5". */
static void value_label(const h5in *in, const axis *a, size_t i, char *buf, size_t len)
{
    char num[64];
    if (strcmp(a->name, "mechanism") == 0 && in->mech_label && i < in->n_mech_label)
        snprintf(buf, len, "%s", in->mech_label[i]);
    else if (a->str)
        snprintf(buf, len, "%s", a->str[i]);
    else if (strcmp(a->name, "worker") == 0) {
        fmt_num(a->num[i] + 1.0, num, sizeof num);
        snprintf(buf, len, "worker %s", num);
    } else {
        fmt_num(a->num[i], num, sizeof num);
        snprintf(buf, len, "%s=%s", a->name, num);
    }
    flatten_ws(buf);
}

/* Stem part of entry i of axis a: "ours", "truthful", "N5". */
static void value_stem(const axis *a, size_t i, char *buf, size_t len)
{
    char num[64];
    if (a->str)
        snprintf(buf, len, "%s", a->str[i]);
    else {
        fmt_num(a->num[i], num, sizeof num);
        snprintf(buf, len, "%s%s", a->name, num);
    }
    sanitize_stem_part(buf);
}

/* Row-major multi-index of combination c over the dimensions dl[0..nd-1] of
 * v (the last varies fastest); writes idx[dl[j]]. */
static void unflatten(const var *v, const int *dl, int nd, size_t c, size_t *idx)
{
    for (int j = nd - 1; j >= 0; j--) {
        size_t len = v->dims[dl[j]];
        idx[dl[j]] = c % len;
        c /= len;
    }
}

static size_t flat_offset(const var *v, const size_t *idx)
{
    size_t off = 0;
    for (int k = 0; k < v->rank; k++)
        off = off * v->dims[k] + idx[k];
    return off;
}

static int is_mechanism(const h5in *in, const var *v, int k)
{
    return strcmp(in->ax[v->ax[k]].name, "mechanism") == 0;
}

/* A dimension worth naming in a legend or stem: the mechanism always, others
 * only when they have more than one value. */
static int worth_naming(const h5in *in, const var *v, int k)
{
    return is_mechanism(in, v, k) || v->dims[k] > 1;
}

/* The second title line: the fixed setting and what the band is. */
static void context_line(const h5in *in, const var *v, sbuf *b)
{
    int strategy_is_dim = 0;
    for (int k = 0; k < v->rank; k++)
        if (strcmp(in->ax[v->ax[k]].name, "strategy") == 0)
            strategy_is_dim = 1;
    const char *sep = "";
    if (in->feedback[0]) {
        sb_addf(b, "%s feedback", in->feedback);
        sep = ", ";
    }
    if (in->population[0]) {
        sb_addf(b, "%spopulation %s", sep, in->population);
        sep = ", ";
    }
    if (in->strategy[0] && !strategy_is_dim) {
        sb_addf(b, "%sstrategy %s", sep, in->strategy);
        sep = ", ";
    }
    if (*sep)
        sb_add(b, "; ");
    if (in->replicas[0])
        sb_addf(b, "mean of %s replicas, band: 95 %% CI", in->replicas);
    else
        sb_add(b, "mean over replicas, band: 95 % CI");
}

/* Drop lines whose means are all NaN (workers past N at this point) and then
 * rows where every kept line is NaN (slots past T), compacting in place. */
static void prune_nan(picture *p)
{
    size_t ns = 0;
    for (size_t s = 0; s < p->ns; s++) {
        int any = 0;
        for (size_t ix = 0; ix < p->nx && !any; ix++)
            any = !isnan(p->y[(ix * p->ns + s) * 2]);
        if (!any) {
            free(p->stitle[s]);
            continue;
        }
        for (size_t ix = 0; ix < p->nx; ix++) {
            p->y[(ix * p->ns + ns) * 2] = p->y[(ix * p->ns + s) * 2];
            p->y[(ix * p->ns + ns) * 2 + 1] = p->y[(ix * p->ns + s) * 2 + 1];
        }
        p->stitle[ns] = p->stitle[s];
        p->group[ns] = p->group[s];
        ns++;
    }
    /* re-pack the rows with the new stride ns */
    size_t nx = 0;
    for (size_t ix = 0; ix < p->nx; ix++) {
        int any = 0;
        for (size_t s = 0; s < ns && !any; s++)
            any = !isnan(p->y[(ix * p->ns + s) * 2]);
        if (!any)
            continue;
        p->x[nx] = p->x[ix];
        for (size_t s = 0; s < ns; s++) {
            p->y[(nx * ns + s) * 2] = p->y[(ix * p->ns + s) * 2];
            p->y[(nx * ns + s) * 2 + 1] = p->y[(ix * p->ns + s) * 2 + 1];
        }
        nx++;
    }
    p->ns = ns;
    p->nx = nx;
}

/* Append the pictures of kind k, if the file has its dataset and dimensions. */
static int build_kind(h5in *in, const plot_kind *k, picture_list *out, ts_err *e)
{
    if (!dataset_exists(in, k->dataset))
        return TS_OK;
    var m = {0}, ci = {0};
    size_t *idx = NULL;
    int *dl = NULL;
    picture p = {0};
    int rc = read_var(in, k->dataset, 0, &m, e);
    if (rc)
        return rc;
    int ix = -1, il = -1;
    for (int d = 0; d < m.rank; d++) {
        if (strcmp(in->ax[m.ax[d]].name, k->x_dim) == 0)
            ix = d;
        if (k->line_dim && strcmp(in->ax[m.ax[d]].name, k->line_dim) == 0)
            il = d;
    }
    if (ix < 0 || (k->line_dim && il < 0))
        goto done; /* not this kind: e.g. T is a scalar of the experiment */

    rc = read_var(in, k->dataset, 1, &m, e);
    if (rc)
        goto done;
    char ci_name[256];
    snprintf(ci_name, sizeof ci_name, "%s_ci", k->dataset);
    if (!dataset_exists(in, ci_name)) {
        rc = TS_ERROR(e, TS_EINPUT, "%s: dataset %s has no companion %s "
                      "(docs/results-format.md)", in->path, k->dataset, ci_name);
        goto done;
    }
    rc = read_var(in, ci_name, 1, &ci, e);
    if (rc)
        goto done;
    int same = ci.rank == m.rank;
    for (int d = 0; same && d < m.rank; d++)
        same = ci.ax[d] == m.ax[d];
    if (!same) {
        rc = TS_ERROR(e, TS_EINPUT, "%s: %s and %s have different dimensions",
                      in->path, k->dataset, ci_name);
        goto done;
    }
    const axis *xa = &in->ax[m.ax[ix]];
    if (!xa->num) {
        rc = TS_ERROR(e, TS_EINPUT, "%s: coordinate %s is not numeric",
                      in->path, xa->name);
        goto done;
    }

    /* the other dimensions: lines (line_dim NULL) or pictures */
    idx = calloc((size_t)m.rank + 1, sizeof *idx);
    dl = calloc((size_t)m.rank + 1, sizeof *dl);
    if (!idx || !dl) {
        rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
        goto done;
    }
    int nd = 0, imech = -1;
    size_t ncomb = 1;
    for (int d = 0; d < m.rank; d++) {
        if (d == ix || d == il)
            continue;
        dl[nd++] = d;
        ncomb *= m.dims[d];
        if (is_mechanism(in, &m, d))
            imech = d;
    }
    size_t npic = il < 0 ? 1 : ncomb;
    size_t nlines = il < 0 ? ncomb : m.dims[il];
    size_t nx = m.dims[ix];

    for (size_t pc = 0; pc < npic; pc++) {
        char part[256];
        sbuf stem = {0}, title = {0}, coords = {0};
        p.k = k;
        p.nx = nx;
        p.ns = nlines;
        p.x = malloc((nx ? nx : 1) * sizeof *p.x);
        p.y = malloc((nx * nlines > 0 ? nx * nlines : 1) * 2 * sizeof *p.y);
        p.stitle = calloc(nlines ? nlines : 1, sizeof *p.stitle);
        p.group = calloc(nlines ? nlines : 1, sizeof *p.group);
        p.x_name = strdup(xa->name);
        if (!p.x || !p.y || !p.stitle || !p.group || !p.x_name) {
            rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
            goto done;
        }
        if (nx)
            memcpy(p.x, xa->num, nx * sizeof *p.x);

        /* stem and first title line */
        sb_addf(&stem, "%s_%s", in->name, k->kind);
        sb_addf(&title, "%s: %s", in->name, k->what);
        if (il >= 0) {
            unflatten(&m, dl, nd, pc, idx);
            const char *sep = ", ";
            for (int j = 0; j < nd; j++) {
                const axis *a = &in->ax[m.ax[dl[j]]];
                if (!a->str) {
                    fmt_num(a->num[idx[dl[j]]], part, sizeof part);
                    sb_addf(&coords, "coord_%s = %s\n", a->name, part);
                }
                if (!worth_naming(in, &m, dl[j]))
                    continue;
                value_stem(a, idx[dl[j]], part, sizeof part);
                sb_addf(&stem, "_%s", part);
                value_label(in, a, idx[dl[j]], part, sizeof part);
                sb_addf(&title, "%s%s", sep, part);
                sep = ", ";
            }
        }
        sb_add(&title, "\n");
        context_line(in, &m, &title);
        if (in->N[0])
            sb_addf(&coords, "if (!exists(\"coord_N\")) { coord_N = %s }\n", in->N);
        sb_add(&coords, "");
        p.coords = sb_take(&coords);
        p.stem = sb_take(&stem);
        p.title = sb_take(&title);
        if (!p.stem || !p.title || !p.coords) {
            rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
            goto done;
        }

        for (size_t s = 0; s < nlines; s++) {
            sbuf lab = {0};
            if (il >= 0) {
                idx[il] = s;
                value_label(in, &in->ax[m.ax[il]], s, part, sizeof part);
                sb_add(&lab, part);
                p.group[s] = imech >= 0 ? (int)idx[imech] : 0;
            } else {
                unflatten(&m, dl, nd, s, idx);
                const char *sep = "";
                for (int j = 0; j < nd; j++) {
                    if (!worth_naming(in, &m, dl[j]))
                        continue;
                    value_label(in, &in->ax[m.ax[dl[j]]], idx[dl[j]], part, sizeof part);
                    sb_addf(&lab, "%s%s", sep, part);
                    sep = " ";
                }
                if (!lab.len && !lab.oom)
                    sb_add(&lab, k->dataset);
                p.group[s] = imech >= 0 ? (int)idx[imech] : (int)s;
            }
            if (!(p.stitle[s] = sb_take(&lab))) {
                rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
                goto done;
            }
            for (size_t x = 0; x < nx; x++) {
                idx[ix] = x;
                size_t off = flat_offset(&m, idx);
                p.y[(x * nlines + s) * 2] = m.v[off];
                p.y[(x * nlines + s) * 2 + 1] = ci.v[off];
            }
        }
        prune_nan(&p);
        if (p.ns == 0 || p.nx == 0) { /* nothing but padding */
            picture_fini(&p);
            continue;
        }
        for (size_t q = 0; q < out->n; q++)
            if (strcmp(out->p[q].stem, p.stem) == 0) {
                rc = TS_ERROR(e, TS_EINPUT, "%s: two pictures would both be "
                              "named %s", in->path, p.stem);
                goto done;
            }
        if (out->n == out->cap) {
            size_t cap = out->cap ? 2 * out->cap : 8;
            picture *np = realloc(out->p, cap * sizeof *np);
            if (!np) {
                rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
                goto done;
            }
            out->p = np;
            out->cap = cap;
        }
        out->p[out->n++] = p;
        memset(&p, 0, sizeof p);
    }
    rc = TS_OK;
done:
    picture_fini(&p);
    free(idx);
    free(dl);
    var_fini(&m);
    var_fini(&ci);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Writing.                                                                  */

static char *tsv_text(const picture *p)
{
    sbuf b = {0};
    char num[64];
    sb_addf(&b, "# %s", p->x_name);
    for (size_t s = 0; s < p->ns; s++)
        sb_addf(&b, "\t%s: mean\t%s: ci95", p->stitle[s], p->stitle[s]);
    sb_add(&b, "\n");
    for (size_t ix = 0; ix < p->nx; ix++) {
        fmt_num(p->x[ix], num, sizeof num);
        sb_add(&b, num);
        for (size_t s = 0; s < p->ns; s++)
            for (int c = 0; c < 2; c++) {
                fmt_num(p->y[(ix * p->ns + s) * 2 + c], num, sizeof num);
                sb_addf(&b, "\t%s", num);
            }
        sb_add(&b, "\n");
    }
    return sb_take(&b);
}

static char *script_text(const picture *p, const char *h5name, const char *tmpl)
{
    sbuf b = {0};
    char num[64];
    sb_addf(&b, "# %s.gp -- written by truthsim plot from %s.\n", p->stem, h5name);
    sb_addf(&b, "# Draw it again, in this directory:  gnuplot %s.gp\n", p->stem);
    sb_addf(&b, "# Restyle freely: the variables below feed the template that "
                "follows\n# (plots/%s.gp in the truthsim sources).\n\n",
            p->k->tmpl);
    sb_addf(&b, "if (!exists(\"datafile\")) { datafile = \"%s.tsv\" }\n", p->stem);
    sb_addf(&b, "if (!exists(\"outbase\")) { outbase = \"%s\" }\n", p->stem);
    sb_add(&b, "plot_title = ");
    if (p->ns > MAX_KEY_ENTRIES) {
        /* no legend: say so where the reader looks for one */
        const char *nl = strchr(p->title, '\n');
        size_t l1 = nl ? (size_t)(nl - p->title) : strlen(p->title);
        char *t = str_printf("%.*s (%zu lines, no legend)%s", (int)l1, p->title,
                             p->ns, nl ? nl : "");
        if (!t) {
            free(sb_take(&b));
            return NULL;
        }
        sb_gp_string(&b, t);
        free(t);
    } else {
        sb_gp_string(&b, p->title);
    }
    sb_add(&b, "\nx_label = ");
    sb_gp_string(&b, p->k->x_label);
    sb_add(&b, "\ny_label = ");
    sb_gp_string(&b, p->k->y_label);
    sb_addf(&b, "\nnseries = %zu\n", p->ns);
    sb_add(&b, p->coords ? p->coords : "");
    sb_addf(&b, "show_key = %d\n", p->ns <= MAX_KEY_ENTRIES ? 1 : 0);
    if (!isnan(p->k->y_min) && !isnan(p->k->y_max)) {
        fmt_num(p->k->y_min, num, sizeof num);
        sb_addf(&b, "y_min = %s\n", num);
        fmt_num(p->k->y_max, num, sizeof num);
        sb_addf(&b, "y_max = %s\n", num);
    }
    if (p->k->tic_rows && p->nx <= MAX_X_TICS) {
        sb_add(&b, "x_tics = \"");
        for (size_t ix = 0; ix < p->nx; ix++) {
            fmt_num(p->x[ix], num, sizeof num);
            sb_addf(&b, "%s%s", ix ? ", " : "", num);
        }
        sb_add(&b, "\"\n");
    }
    sb_addf(&b, "array stitle[%zu] = [", p->ns);
    for (size_t s = 0; s < p->ns; s++) {
        sb_add(&b, s ? ", " : "");
        sb_gp_string(&b, p->stitle[s]);
    }
    sb_addf(&b, "]\narray scolor[%zu] = [", p->ns);
    for (size_t s = 0; s < p->ns; s++)
        sb_addf(&b, "%s\"%s\"", s ? ", " : "", colours[s % N_COLOURS]);
    sb_addf(&b, "]\narray spt[%zu] = [", p->ns);
    for (size_t s = 0; s < p->ns; s++)
        sb_addf(&b, "%s%d", s ? ", " : "",
                point_types[(size_t)p->group[s] % N_POINT_TYPES]);
    sb_add(&b, "]\n\n");
    sb_add(&b, tmpl);
    return sb_take(&b);
}

/* One output file under its temporary name until renamed into place. */
typedef struct pending {
    char *tmp, *final;
} pending;

typedef struct pending_list {
    pending *f;
    size_t n, cap;
} pending_list;

static int pending_add(pending_list *l, char *tmp, char *final)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        pending *np = realloc(l->f, cap * sizeof *np);
        if (!np)
            return -1;
        l->f = np;
        l->cap = cap;
    }
    l->f[l->n].tmp = tmp;
    l->f[l->n].final = final;
    l->n++;
    return 0;
}

static void pending_fini(pending_list *l, int remove_tmp)
{
    for (size_t k = 0; k < l->n; k++) {
        if (remove_tmp)
            unlink(l->f[k].tmp);
        free(l->f[k].tmp);
        free(l->f[k].final);
    }
    free(l->f);
    memset(l, 0, sizeof *l);
}

static int write_file(const char *path, const char *shown, const char *text, ts_err *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0)
        return TS_ERROR(e, TS_EIO, "%s: cannot write: %s", shown, strerror(errno));
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int err = errno;
            close(fd);
            return TS_ERROR(e, TS_EIO, "%s: cannot write: %s", shown, strerror(err));
        }
        done += (size_t)w;
    }
    if (close(fd) != 0)
        return TS_ERROR(e, TS_EIO, "%s: cannot write: %s", shown, strerror(errno));
    return TS_OK;
}

/* gnuplot as a path: prog itself when it holds a '/', else the first
 * executable prog in the colon-separated search list (an empty entry is the
 * current directory, as in PATH).  NULL when not found. */
static char *find_program(const char *prog, const char *search)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0 ? strdup(prog) : NULL;
    if (!search)
        return NULL;
    const char *s = search;
    for (;;) {
        const char *colon = strchr(s, ':');
        size_t l = colon ? (size_t)(colon - s) : strlen(s);
        char *cand = l ? str_printf("%.*s/%s", (int)l, s, prog) : strdup(prog);
        if (!cand)
            return NULL;
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
            if (!l) { /* "./gnuplot", so that posix_spawn takes it as a path */
                char *dot = str_printf("./%s", prog);
                free(cand);
                return dot;
            }
            return cand;
        }
        free(cand);
        if (!colon)
            return NULL;
        s = colon + 1;
    }
}

/* Run gnuplot on script with datafile and outbase overridden (-e comes
 * before the script, whose header only sets them when unset).  Its stdout
 * goes to our stderr, keeping our stdout a list of pictures. */
static int run_gnuplot(const char *gnuplot, char *const *envp, const char *script,
                       const char *datafile, const char *outbase,
                       const char *shown, ts_err *e)
{
    sbuf ex = {0};
    sb_add(&ex, "datafile = ");
    sb_gp_squote(&ex, datafile);
    sb_add(&ex, "; outbase = ");
    sb_gp_squote(&ex, outbase);
    char *expr = sb_take(&ex);
    char *argv_buf[] = {(char *)"gnuplot", (char *)"-e", expr, (char *)script, NULL};
    char *empty_env[] = {NULL};
    if (!expr)
        return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", shown);

    posix_spawn_file_actions_t fa;
    int rc = TS_OK;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        free(expr);
        return TS_ERROR(e, TS_ENOMEM, "%s: cannot start gnuplot", shown);
    }
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
    pid_t pid;
    int err = posix_spawn(&pid, gnuplot, &fa, NULL, argv_buf,
                          envp ? envp : empty_env);
    posix_spawn_file_actions_destroy(&fa);
    free(expr);
    if (err != 0)
        return TS_ERROR(e, TS_EIO, "%s: cannot run %s: %s", shown, gnuplot, strerror(err));
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return TS_ERROR(e, TS_EIO, "%s: waiting for gnuplot: %s", shown,
                            strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        rc = TS_ERROR(e, TS_EIO, "%s: gnuplot failed (exit status %d)", shown,
                      WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        rc = TS_ERROR(e, TS_EIO, "%s: gnuplot was killed by signal %d", shown,
                      WTERMSIG(status));
    return rc;
}

static int file_nonempty(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* The output directory and the prefix joined to stems: "" for an input in
 * the current directory, so printed paths stay as short as the input's. */
static int out_location(const char *h5path, const char *out_dir, char **dir,
                        char **prefix)
{
    if (out_dir && out_dir[0]) {
        size_t l = strlen(out_dir);
        *dir = strdup(out_dir);
        *prefix = str_printf("%s%s", out_dir, out_dir[l - 1] == '/' ? "" : "/");
    } else {
        const char *slash = strrchr(h5path, '/');
        if (!slash) {
            *dir = strdup(".");
            *prefix = strdup("");
        } else if (slash == h5path) {
            *dir = strdup("/");
            *prefix = strdup("/");
        } else {
            *dir = strndup(h5path, (size_t)(slash - h5path));
            *prefix = strndup(h5path, (size_t)(slash - h5path) + 1);
        }
    }
    if (!*dir || !*prefix) {
        free(*dir);
        free(*prefix);
        *dir = *prefix = NULL;
        return -1;
    }
    return 0;
}

/* Sets *created when it made the directory, so a failure can remove it. */
static int ensure_dir(const char *dir, int *created, ts_err *e)
{
    struct stat st;
    *created = 0;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return TS_ERROR(e, TS_EIO, "%s: not a directory", dir);
        return TS_OK;
    }
    if (errno != ENOENT || mkdir(dir, 0777) != 0)
        return TS_ERROR(e, TS_EIO, "%s: cannot create the output directory: %s",
                        dir, strerror(errno));
    *created = 1;
    return TS_OK;
}

static int write_pictures(const picture_list *pl, const char *h5path,
                          const ts_plot_opts *o, ts_plot_out *out, ts_err *e)
{
    char *dir = NULL, *prefix = NULL, *gnuplot = NULL;
    pending_list pend = {0};
    int rc = TS_OK, created_dir = 0;
    long pid = (long)getpid();

    if (out_location(h5path, o->out_dir, &dir, &prefix) < 0)
        return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", h5path);
    rc = ensure_dir(dir, &created_dir, e);
    if (rc)
        goto done;
    if (o->render) {
        gnuplot = find_program(o->gnuplot ? o->gnuplot : "gnuplot", o->path);
        out->gnuplot_missing = gnuplot == NULL;
    }
    out->pic = calloc(pl->n, sizeof *out->pic);
    if (!out->pic) {
        rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", h5path);
        goto done;
    }
    out->n = pl->n;

    for (size_t q = 0; q < pl->n; q++) {
        const picture *p = &pl->p[q];
        ts_plot_file_set *fs = &out->pic[q];
        const char *tmpl = ts_plot_template_text(p->k->tmpl);
        if (!tmpl) { /* a kind whose template was not listed in plots/meson.build */
            rc = TS_ERROR(e, TS_EINVAL, "plot kind %s: no embedded template %s.gp",
                          p->k->kind, p->k->tmpl);
            goto done;
        }
        char *tsv = tsv_text(p);
        char *gp = script_text(p, base_name(h5path), tmpl);
        fs->tsv = str_printf("%s%s.tsv", prefix, p->stem);
        fs->gp = str_printf("%s%s.gp", prefix, p->stem);
        char *tsv_tmp = str_printf("%s.%s.%ld.tsv.tmp", prefix, p->stem, pid);
        char *gp_tmp = str_printf("%s.%s.%ld.gp.tmp", prefix, p->stem, pid);
        if (!tsv || !gp || !fs->tsv || !fs->gp || !tsv_tmp || !gp_tmp) {
            free(tsv);
            free(gp);
            free(tsv_tmp);
            free(gp_tmp);
            rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", h5path);
            goto done;
        }
        /* registered before writing, so a failure removes a partial file */
        int reg = pending_add(&pend, tsv_tmp, strdup(fs->tsv));
        if (reg == 0)
            reg = pending_add(&pend, gp_tmp, strdup(fs->gp));
        else
            free(gp_tmp);
        if (reg != 0) {
            free(tsv);
            free(gp);
            rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", h5path);
            goto done;
        }
        rc = write_file(tsv_tmp, fs->tsv, tsv, e);
        if (!rc)
            rc = write_file(gp_tmp, fs->gp, gp, e);
        free(tsv);
        free(gp);
        if (rc)
            goto done;

        if (!gnuplot)
            continue;
        char *base = str_printf("%s.%s.%ld.tmp", prefix, p->stem, pid);
        char *png_tmp = str_printf("%s.%s.%ld.tmp.png", prefix, p->stem, pid);
        char *svg_tmp = str_printf("%s.%s.%ld.tmp.svg", prefix, p->stem, pid);
        fs->png = str_printf("%s%s.png", prefix, p->stem);
        fs->svg = str_printf("%s%s.svg", prefix, p->stem);
        reg = -1;
        if (base && png_tmp && svg_tmp && fs->png && fs->svg) {
            reg = pending_add(&pend, png_tmp, strdup(fs->png));
            if (reg == 0)
                reg = pending_add(&pend, svg_tmp, strdup(fs->svg));
            else
                free(svg_tmp);
        } else {
            free(png_tmp);
            free(svg_tmp);
        }
        if (reg != 0) {
            free(base);
            rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", h5path);
            goto done;
        }
        rc = run_gnuplot(gnuplot, o->envp, gp_tmp, tsv_tmp, base, fs->gp, e);
        free(base);
        if (rc)
            goto done;
        if (!file_nonempty(pend.f[pend.n - 2].tmp) || !file_nonempty(pend.f[pend.n - 1].tmp)) {
            rc = TS_ERROR(e, TS_EIO, "%s: gnuplot wrote no picture", fs->gp);
            goto done;
        }
    }

    /* everything is written: rename into place */
    for (size_t k = 0; k < pend.n; k++) {
        if (!pend.f[k].final) {
            rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", h5path);
            goto done;
        }
    }
    for (size_t k = 0; k < pend.n; k++) {
        if (rename(pend.f[k].tmp, pend.f[k].final) != 0) {
            rc = TS_ERROR(e, TS_EIO, "%s: cannot rename into place: %s",
                          pend.f[k].final, strerror(errno));
            goto done;
        }
    }
    out->rendered = gnuplot != NULL;
    out->dir = dir;
    dir = NULL;
done:
    pending_fini(&pend, 1); /* after the renames, unlink finds nothing */
    if (rc && created_dir)
        rmdir(dir); /* empty again: leave no trace */
    if (rc) {
        /* the output lists only what exists, so on failure nothing */
        for (size_t q = 0; q < out->n; q++) {
            free(out->pic[q].tsv);
            free(out->pic[q].gp);
            free(out->pic[q].png);
            free(out->pic[q].svg);
        }
        free(out->pic);
        out->pic = NULL;
        out->n = 0;
        out->rendered = 0;
    }
    if (!out->rendered)
        for (size_t q = 0; q < out->n; q++) {
            free(out->pic[q].png);
            free(out->pic[q].svg);
            out->pic[q].png = out->pic[q].svg = NULL;
        }
    free(gnuplot);
    free(dir);
    free(prefix);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Entry points.                                                             */

void ts_plot_kinds_describe(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const plot_kind *k = kinds; k->kind; k++) {
        int w = snprintf(buf + used, len - used, "%s%s over %s%s%s",
                         k == kinds ? "" : "; ", k->dataset, k->x_dim,
                         k->line_dim ? " and " : "", k->line_dim ? k->line_dim : "");
        if (w < 0 || (size_t)w >= len - used)
            return;
        used += (size_t)w;
    }
}

void ts_plot_opts_init(ts_plot_opts *o)
{
    o->out_dir = NULL;
    o->render = 1;
    o->gnuplot = "gnuplot";
    o->path = NULL;
    o->envp = NULL;
}

void ts_plot_out_fini(ts_plot_out *out)
{
    if (!out)
        return;
    for (size_t q = 0; q < out->n; q++) {
        free(out->pic[q].tsv);
        free(out->pic[q].gp);
        free(out->pic[q].png);
        free(out->pic[q].svg);
    }
    free(out->pic);
    free(out->dir);
    memset(out, 0, sizeof *out);
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

    /* HDF5 would print its own error stack; we report one line instead */
    H5E_auto2_t old_func = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    picture_list pl = {0};
    h5in in;
    int rc = h5in_open(&in, h5path, e);
    for (const plot_kind *k = kinds; !rc && k->kind; k++)
        rc = build_kind(&in, k, &pl, e);
    h5in_close(&in);
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);

    if (!rc && pl.n == 0) {
        char *dir = NULL, *prefix = NULL;
        if (out_location(h5path, o->out_dir, &dir, &prefix) < 0)
            rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", h5path);
        out->dir = dir;
        free(prefix);
    } else if (!rc) {
        rc = write_pictures(&pl, h5path, o, out, e);
    }
    picture_list_fini(&pl);
    if (rc)
        ts_plot_out_fini(out);
    return rc;
}

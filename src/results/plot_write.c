/* plot_write.c -- the files of `truthsim plot`: for each picture a TSV
 * table and a complete gnuplot script (a header of variables, then the
 * template of plots/ embedded at build time), and, when gnuplot is there,
 * the png and svg it draws (plot.h lists the files).
 *
 * Everything is written under temporary names carrying the process id and
 * renamed into place only when every picture succeeded, so a failure
 * leaves nothing behind and two processes never collide (two threads
 * plotting into one directory in the same process could; HDF5 serial is
 * not thread-safe anyway).  gnuplot runs through posix_spawn with the
 * caller's environment, its stdout sent to our stderr.
 *
 * Left out: styling beyond the templates (users restyle the scripts). */
#include "results/plot_picture.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/outfile.h"
#include "results/plot_text.h"

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

static char *tsv_text(const ts_plot_picture *p)
{
    ts_sbuf b = {0};
    char num[64];
    ts_sb_addf(&b, "# %s", p->x_name);
    for (size_t s = 0; s < p->ns; s++)
        ts_sb_addf(&b, "\t%s: mean\t%s: ci95", p->stitle[s], p->stitle[s]);
    ts_sb_add(&b, "\n");
    for (size_t ix = 0; ix < p->nx; ix++) {
        ts_plot_fmt_num(p->x[ix], num, sizeof num);
        ts_sb_add(&b, num);
        for (size_t s = 0; s < p->ns; s++)
            for (int c = 0; c < 2; c++) {
                ts_plot_fmt_num(p->y[(ix * p->ns + s) * 2 + c], num, sizeof num);
                ts_sb_addf(&b, "\t%s", num);
            }
        ts_sb_add(&b, "\n");
    }
    return ts_sb_take(&b);
}

static char *script_text(const ts_plot_picture *p, const char *h5name, const char *tmpl)
{
    ts_sbuf b = {0};
    char num[64];
    ts_sb_addf(&b, "# %s.gp -- written by truthsim plot from %s.\n", p->stem, h5name);
    ts_sb_addf(&b, "# Draw it again, in this directory:  gnuplot %s.gp\n", p->stem);
    ts_sb_addf(&b, "# Restyle freely: the variables below feed the template that "
                "follows\n# (plots/%s.gp in the truthsim sources).\n\n",
            p->k->tmpl);
    ts_sb_addf(&b, "if (!exists(\"datafile\")) { datafile = \"%s.tsv\" }\n", p->stem);
    ts_sb_addf(&b, "if (!exists(\"outbase\")) { outbase = \"%s\" }\n", p->stem);
    ts_sb_add(&b, "plot_title = ");
    if (p->ns > MAX_KEY_ENTRIES) {
        /* no legend: say so where the reader looks for one */
        const char *nl = strchr(p->title, '\n');
        size_t l1 = nl ? (size_t)(nl - p->title) : strlen(p->title);
        char *t = ts_plot_strf("%.*s (%zu lines, no legend)%s", (int)l1, p->title,
                             p->ns, nl ? nl : "");
        if (!t) {
            free(ts_sb_take(&b));
            return NULL;
        }
        ts_sb_gp_string(&b, t);
        free(t);
    } else {
        ts_sb_gp_string(&b, p->title);
    }
    ts_sb_add(&b, "\nx_label = ");
    ts_sb_gp_string(&b, p->k->x_label);
    ts_sb_add(&b, "\ny_label = ");
    ts_sb_gp_string(&b, p->k->y_label);
    ts_sb_addf(&b, "\nnseries = %zu\n", p->ns);
    ts_sb_add(&b, p->coords ? p->coords : "");
    ts_sb_addf(&b, "show_key = %d\n", p->ns <= MAX_KEY_ENTRIES ? 1 : 0);
    if (!isnan(p->k->y_min) && !isnan(p->k->y_max)) {
        ts_plot_fmt_num(p->k->y_min, num, sizeof num);
        ts_sb_addf(&b, "y_min = %s\n", num);
        ts_plot_fmt_num(p->k->y_max, num, sizeof num);
        ts_sb_addf(&b, "y_max = %s\n", num);
    }
    if (p->k->tic_rows && p->nx <= MAX_X_TICS) {
        ts_sb_add(&b, "x_tics = \"");
        for (size_t ix = 0; ix < p->nx; ix++) {
            ts_plot_fmt_num(p->x[ix], num, sizeof num);
            ts_sb_addf(&b, "%s%s", ix ? ", " : "", num);
        }
        ts_sb_add(&b, "\"\n");
    }
    ts_sb_addf(&b, "array stitle[%zu] = [", p->ns);
    for (size_t s = 0; s < p->ns; s++) {
        ts_sb_add(&b, s ? ", " : "");
        ts_sb_gp_string(&b, p->stitle[s]);
    }
    ts_sb_addf(&b, "]\narray scolor[%zu] = [", p->ns);
    for (size_t s = 0; s < p->ns; s++)
        ts_sb_addf(&b, "%s\"%s\"", s ? ", " : "", colours[s % N_COLOURS]);
    ts_sb_addf(&b, "]\narray spt[%zu] = [", p->ns);
    for (size_t s = 0; s < p->ns; s++)
        ts_sb_addf(&b, "%s%d", s ? ", " : "",
                point_types[(size_t)p->group[s] % N_POINT_TYPES]);
    ts_sb_add(&b, "]\n\n");
    ts_sb_add(&b, tmpl);
    return ts_sb_take(&b);
}

/* One output file under its temporary name until renamed into place
 * (base/outfile.h: created with O_EXCL under an unpredictable name). */
typedef struct pending_list {
    ts_outfile *f;
    size_t n, cap;
} pending_list;

/* A new entry for final: its temporary created (tmp: that name, else a
 * fresh one from ts_out_open). */
static int pending_add(pending_list *l, const char *final, const char *tmp,
                       ts_err *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        ts_outfile *np = realloc(l->f, cap * sizeof *np);
        if (!np)
            return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", final);
        l->f = np;
        l->cap = cap;
    }
    int rc = tmp ? ts_out_open_as(&l->f[l->n], final, tmp, e)
                 : ts_out_open(&l->f[l->n], final, e);
    if (!rc)
        l->n++;
    return rc;
}

static void pending_fini(pending_list *l)
{
    for (size_t k = 0; k < l->n; k++)
        ts_out_finish(&l->f[k], 0, NULL);
    free(l->f);
    memset(l, 0, sizeof *l);
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
        char *cand = l ? ts_plot_strf("%.*s/%s", (int)l, s, prog) : strdup(prog);
        if (!cand)
            return NULL;
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
            if (!l) { /* "./gnuplot", so that posix_spawn takes it as a path */
                char *dot = ts_plot_strf("./%s", prog);
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
    ts_sbuf ex = {0};
    ts_sb_add(&ex, "datafile = ");
    ts_sb_gp_squote(&ex, datafile);
    ts_sb_add(&ex, "; outbase = ");
    ts_sb_gp_squote(&ex, outbase);
    char *expr = ts_sb_take(&ex);
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
int ts_plot_out_location(const char *h5path, const char *out_dir, char **dir,
                        char **prefix)
{
    if (out_dir && out_dir[0]) {
        size_t l = strlen(out_dir);
        *dir = strdup(out_dir);
        *prefix = ts_plot_strf("%s%s", out_dir, out_dir[l - 1] == '/' ? "" : "/");
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
    if (errno != ENOENT)
        return TS_ERROR(e, TS_ECREATE, "%s: cannot create the output directory: %s",
                        dir, strerror(errno));
    int rc = ts_out_mkdirs(dir, e); /* with its parents, as -o promises */
    *created = rc == TS_OK;
    return rc;
    return TS_OK;
}

/* Where and how one call writes: the prefix joined to stems, the process
 * id in temporary names, gnuplot (NULL: do not draw), the files so far. */
typedef struct write_ctx {
    const char *h5path;
    const char *prefix;
    const char *gnuplot;
    char *const *envp;
    pending_list pend;
} write_ctx;

/* Picture p's TSV and script under temporary names (registered before
 * writing, so a failure removes a partial file); *tsv_tmp and *gp_tmp
 * point at those names, owned by the pending list. */
static int write_picture_text(write_ctx *w, const ts_plot_picture *p,
                              ts_plot_file_set *fs, const char **tsv_tmp,
                              const char **gp_tmp, ts_err *e)
{
    const char *tmpl = ts_plot_template_text(p->k->tmpl);
    if (!tmpl) /* a kind whose template was not listed in plots/meson.build */
        return TS_ERROR(e, TS_EINVAL, "plot kind %s: no embedded template %s.gp",
                        p->k->kind, p->k->tmpl);
    char *tsv = tsv_text(p);
    char *gp = script_text(p, ts_plot_base_name(w->h5path), tmpl);
    fs->tsv = ts_plot_strf("%s%s.tsv", w->prefix, p->stem);
    fs->gp = ts_plot_strf("%s%s.gp", w->prefix, p->stem);
    int rc = TS_OK;
    if (!tsv || !gp || !fs->tsv || !fs->gp)
        rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", w->h5path);
    if (!rc)
        rc = pending_add(&w->pend, fs->tsv, NULL, e);
    if (!rc)
        rc = ts_out_write(&w->pend.f[w->pend.n - 1], tsv, strlen(tsv), e);
    if (!rc)
        rc = pending_add(&w->pend, fs->gp, NULL, e);
    if (!rc)
        rc = ts_out_write(&w->pend.f[w->pend.n - 1], gp, strlen(gp), e);
    free(tsv);
    free(gp);
    if (!rc) {
        *tsv_tmp = w->pend.f[w->pend.n - 2].tmp;
        *gp_tmp = w->pend.f[w->pend.n - 1].tmp;
    }
    return rc;
}

/* Let gnuplot draw picture p from its temporary script and data into
 * temporary png and svg files, registered for the rename. */
static int render_picture(write_ctx *w, const ts_plot_picture *p,
                          ts_plot_file_set *fs, const char *tsv_tmp,
                          const char *gp_tmp, ts_err *e)
{
    /* gnuplot writes OUTBASE.png and OUTBASE.svg: OUTBASE is an
     * unpredictable name reserved with ts_out_open, and both pictures'
     * temporaries are created (O_EXCL) before gnuplot opens them. */
    char *stem = ts_plot_strf("%s%s", w->prefix, p->stem);
    fs->png = ts_plot_strf("%s%s.png", w->prefix, p->stem);
    fs->svg = ts_plot_strf("%s%s.svg", w->prefix, p->stem);
    ts_outfile base = {.fd = -1};
    int rc = stem && fs->png && fs->svg
                 ? ts_out_open(&base, stem, e)
                 : TS_ERROR(e, TS_ENOMEM, "%s: out of memory", w->h5path);
    char *png_tmp = rc ? NULL : ts_plot_strf("%s.png", base.tmp);
    char *svg_tmp = rc ? NULL : ts_plot_strf("%s.svg", base.tmp);
    if (!rc && (!png_tmp || !svg_tmp))
        rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", w->h5path);
    if (!rc)
        rc = pending_add(&w->pend, fs->png, png_tmp, e);
    if (!rc)
        rc = pending_add(&w->pend, fs->svg, svg_tmp, e);
    if (!rc)
        rc = run_gnuplot(w->gnuplot, w->envp, gp_tmp, tsv_tmp, base.tmp, fs->gp, e);
    if (!rc) {
        const ts_outfile *f = w->pend.f + w->pend.n - 2; /* png, svg */
        if (!file_nonempty(f[0].tmp) || !file_nonempty(f[1].tmp))
            rc = TS_ERROR(e, TS_EIO, "%s: gnuplot wrote no picture", fs->gp);
    }
    ts_out_finish(&base, 0, NULL);
    free(stem);
    free(png_tmp);
    free(svg_tmp);
    return rc;
}

/* Everything is written: rename it all into place. */
static int rename_all(pending_list *pend, ts_err *e)
{
    int rc = TS_OK;
    for (size_t k = 0; k < pend->n; k++) {
        int r = ts_out_finish(&pend->f[k], rc == TS_OK, e);
        if (!rc)
            rc = r;
    }
    pend->n = 0;
    return rc;
}

void ts_plot_out_drop_pics(ts_plot_out *out)
{
    for (size_t q = 0; q < out->n; q++) {
        free(out->pic[q].tsv);
        free(out->pic[q].gp);
        free(out->pic[q].png);
        free(out->pic[q].svg);
    }
    free(out->pic);
    out->pic = NULL;
    out->n = 0;
}

/* The output lists only what exists: on failure nothing, and png and svg
 * only when gnuplot drew them. */
static void list_what_exists(ts_plot_out *out, int failed)
{
    if (failed) {
        ts_plot_out_drop_pics(out);
        out->rendered = 0;
    }
    if (!out->rendered)
        for (size_t q = 0; q < out->n; q++) {
            free(out->pic[q].png);
            free(out->pic[q].svg);
            out->pic[q].png = out->pic[q].svg = NULL;
        }
}

int ts_plot_write_pictures(const ts_plot_picture_list *pl, const char *h5path,
                           const ts_plot_opts *o, ts_plot_out *out, ts_err *e)
{
    char *dir = NULL, *prefix = NULL, *gnuplot = NULL;
    int created_dir = 0;
    if (ts_plot_out_location(h5path, o->out_dir, &dir, &prefix) < 0)
        return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", h5path);
    int rc = ensure_dir(dir, &created_dir, e);
    if (!rc && o->render) {
        gnuplot = find_program(o->gnuplot ? o->gnuplot : "gnuplot", o->path);
        out->gnuplot_missing = gnuplot == NULL;
    }
    if (!rc) {
        out->pic = calloc(pl->n, sizeof *out->pic);
        if (!out->pic)
            rc = TS_ERROR(e, TS_ENOMEM, "%s: out of memory", h5path);
        else
            out->n = pl->n;
    }
    write_ctx w = {.h5path = h5path, .prefix = prefix, .gnuplot = gnuplot, .envp = o->envp};
    for (size_t q = 0; !rc && q < pl->n; q++) {
        const char *tsv_tmp = NULL, *gp_tmp = NULL;
        rc = write_picture_text(&w, &pl->p[q], &out->pic[q], &tsv_tmp, &gp_tmp, e);
        if (!rc && gnuplot)
            rc = render_picture(&w, &pl->p[q], &out->pic[q], tsv_tmp, gp_tmp, e);
        if (!rc && o->stop && *o->stop)
            rc = TS_ERROR(e, TS_EINTR, "%s: interrupted", h5path);
    }
    if (!rc)
        rc = rename_all(&w.pend, e);
    if (!rc) {
        out->rendered = gnuplot != NULL;
        out->dir = dir;
        dir = NULL;
    }
    pending_fini(&w.pend); /* after the renames, nothing is left */
    if (rc && created_dir)
        rmdir(dir); /* empty again: leave no trace */
    list_what_exists(out, rc != 0);
    free(gnuplot);
    free(dir);
    free(prefix);
    return rc;
}

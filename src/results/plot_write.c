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

/* Line styles by a line's style index (its place in its panel), so that
 * the same series looks the same in every panel.  Colours: distinct on
 * white, colour-blind friendlier first (Okabe-Ito, then Tol); black is
 * kept for bounds.  Points alternate filled and open, and dash patterns
 * cycle with another period, so two curves that coincide (hedge under ours
 * in Fig. 7) both stay visible: colour, marker and dash all differ for the
 * first 12 lines, marker and dash together for the first 20.  Dash type 2
 * (dashed) is kept for bounds (issue 16). */
static const char *const colours[] = {
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9",
    "#7f3c8d", "#8c6d31", "#332288", "#b8a000", "#882255", "#44aa99",
};
#define N_COLOURS (sizeof colours / sizeof colours[0])
static const int point_types[] = {7, 4, 9, 12, 5, 6, 11, 8, 13, 10};
#define N_POINT_TYPES (sizeof point_types / sizeof point_types[0])
static const int dash_types[] = {1, 4, 5, 3};
#define N_DASH_TYPES (sizeof dash_types / sizeof dash_types[0])
#define BOUND_COLOUR "#000000"
#define BOUND_DASH 2

/* Above this many lines in a panel the legend would crowd it: leave it out. */
#define MAX_KEY_ENTRIES 20
/* Up to this many x values each gets a labelled tic (tic_rows kinds). */
#define MAX_X_TICS 10
/* Roughly the pixels per character of the 12 pt title font: a title line
 * longer than width / this is wrapped, so that it is never clipped. */
#define TITLE_PX_PER_CHAR 9.0

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

/* title with every line longer than maxc characters (UTF-8 code points)
 * broken at its last space before the limit. */
static char *wrap_title(const char *title, size_t maxc)
{
    ts_sbuf b = {0};
    const char *line = title;
    while (*line) {
        size_t chars = 0;
        const char *q = line, *cut = NULL, *semi = NULL;
        for (; *q && *q != '\n'; q++) {
            if (((unsigned char)*q & 0xc0) != 0x80)
                chars++;
            if (*q == ' ' && chars <= maxc) {
                cut = q;
                if (q > line && q[-1] == ';')
                    semi = q; /* the context line's parts: break there */
            }
            if (chars > maxc && cut)
                break;
        }
        if (*q && *q != '\n') { /* too long: break at semi, else cut */
            cut = semi ? semi : cut;
            ts_sb_addn(&b, line, (size_t)(cut - line));
            ts_sb_add(&b, "\n");
            line = cut + 1;
            continue;
        }
        ts_sb_addn(&b, line, (size_t)(q - line) + (*q ? 1 : 0));
        line = *q ? q + 1 : q;
    }
    return ts_sb_take(&b);
}

/* The title, with "(N lines, no legend)" when there is no legend. */
static char *picture_title(const ts_plot_picture *p, int show_key, int width)
{
    char *t = NULL;
    if (!show_key) {
        const char *nl = strchr(p->title, '\n');
        size_t l1 = nl ? (size_t)(nl - p->title) : strlen(p->title);
        t = ts_plot_strf("%.*s (%zu lines, no legend)%s", (int)l1, p->title,
                         p->ns, nl ? nl : "");
    }
    size_t maxc = (size_t)(width / TITLE_PX_PER_CHAR);
    char *w = wrap_title(t ? t : p->title, maxc > 20 ? maxc : 20);
    free(t);
    return w;
}

/* Lines per panel, the largest. */
static size_t max_per_panel(const ts_plot_picture *p)
{
    size_t best = 0;
    for (size_t q = 0; q < p->npanel; q++) {
        size_t c = 0;
        for (size_t s = 0; s < p->ns; s++)
            c += p->panel[s] == q;
        best = c > best ? c : best;
    }
    return best;
}

/* The arrays of the lines: legend entries (the file's text, single-quoted),
 * colours, point and dash types, point sizes. */
static void script_lines(ts_sbuf *b, const ts_plot_picture *p)
{
    ts_sb_addf(b, "nseries = %zu\narray stitle[%zu] = [", p->ns, p->ns);
    for (size_t s = 0; s < p->ns; s++) {
        ts_sb_add(b, s ? ", " : "");
        ts_sb_gp_text(b, p->stitle[s]);
    }
    ts_sb_addf(b, "]\narray scolor[%zu] = [", p->ns);
    for (size_t s = 0; s < p->ns; s++)
        ts_sb_addf(b, "%s\"%s\"", s ? ", " : "",
                   p->bound[s] ? BOUND_COLOUR
                               : colours[(size_t)p->style[s] % N_COLOURS]);
    ts_sb_addf(b, "]\narray spt[%zu] = [", p->ns);
    for (size_t s = 0; s < p->ns; s++)
        ts_sb_addf(b, "%s%d", s ? ", " : "",
                   p->bound[s] ? 0 : point_types[(size_t)p->style[s] % N_POINT_TYPES]);
    ts_sb_addf(b, "]\narray sdt[%zu] = [", p->ns);
    for (size_t s = 0; s < p->ns; s++)
        ts_sb_addf(b, "%s%d", s ? ", " : "",
                   p->bound[s] ? BOUND_DASH : dash_types[(size_t)p->style[s] % N_DASH_TYPES]);
    ts_sb_addf(b, "]\narray sps[%zu] = [", p->ns);
    for (size_t s = 0; s < p->ns; s++)
        ts_sb_addf(b, "%s%s", s ? ", " : "", p->bound[s] ? "0" : "1.2");
    /* markers on lines of many points (trajectories): about 12 per line */
    ts_sb_addf(b, "]\npint = %zu\n", p->nx > 24 ? p->nx / 12 : (size_t)1);
}

/* Lines of text in s. */
static size_t count_lines(const char *s)
{
    size_t n = 1;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The panels: first and last line of each (1-based) and titles; the grid
 * of the multiplot (in a row up to 3 panels, else near square) inside
 * screen margins that leave the title room above and the shared legend,
 * in as many columns as fit the width, room below. */
static void script_panels(ts_sbuf *b, const ts_plot_picture *p, int show_key,
                          const char *title, int width, int height)
{
    size_t np = p->npanel;
    ts_sb_addf(b, "npanels = %zu\n", np);
    if (np <= 1)
        return;
    size_t cols = 1;
    if (np <= 3)
        cols = np;
    else
        while (cols * cols < np)
            cols++;
    size_t rows = (np + cols - 1) / cols;
    ts_sb_addf(b, "prows = %zu\npcols = %zu\n", rows, cols);
    ts_sb_addf(b, "array pfirst[%zu]\narray plast[%zu]\narray ptitle[%zu]\n", np, np, np);
    size_t nkey = 0, longest = 0;
    for (size_t q = 0; q < np; q++) {
        size_t first = 0, last = 0;
        for (size_t s = 0; s < p->ns; s++)
            if (p->panel[s] == q) {
                first = first ? first : s + 1;
                last = s + 1;
                if (q == 0) {
                    nkey++;
                    size_t l = strlen(p->stitle[s]);
                    longest = l > longest ? l : longest;
                }
            }
        ts_sb_addf(b, "pfirst[%zu] = %zu; plast[%zu] = %zu; ptitle[%zu] = ", q + 1,
                   first, q + 1, last, q + 1);
        ts_sb_gp_text(b, p->ptitle[q] ? p->ptitle[q] : "");
        ts_sb_add(b, "\n");
    }
    /* the legend: entries of about 8 px a character plus the sample; two
     * more for a template's own entry (a bound), 20 px a row */
    size_t kcols = (size_t)width / (longest * 8 + 70);
    kcols = kcols < 1 ? 1 : kcols;
    size_t krows = show_key ? (nkey + 1 + kcols - 1) / kcols : 0;
    /* pixels: tics and a label left of and below each panel, a panel
     * title above it, the page title and the legend */
    double key_h = show_key ? krows * 20.0 + 16.0 : 0.0;
    double bottom = (key_h + 58.0) / height;
    double top = 1.0 - (count_lines(title) * 20.0 + 46.0) / height;
    ts_sb_addf(b, "key_rows = %zu\n", krows ? krows : 1);
    ts_sb_addf(b, "mp_left = %.4f\nmp_right = %.4f\n", 84.0 / width,
               1.0 - 16.0 / width);
    ts_sb_addf(b, "mp_bottom = %.4f\nmp_top = %.4f\n", bottom, top);
    ts_sb_addf(b, "mp_xgap = %.4f\nmp_ygap = %.4f\n", 92.0 / width, 88.0 / height);
    ts_sb_addf(b, "key_x = 0.5\nkey_y = %.4f\n", key_h / 2.0 / height + 4.0 / height);
}

static char *script_text(const ts_plot_picture *p, const char *h5name,
                         const char *tmpl, const char *frame,
                         const ts_plot_opts *o, const char *formats)
{
    ts_sbuf b = {0};
    char num[64];
    char *shown = strdup(h5name);
    if (shown)
        ts_plot_flatten_ctrl(shown); /* a line break would end the comment */
    ts_sb_addf(&b, "# %s.gp -- written by truthsim plot from %s.\n", p->stem,
               shown ? shown : "");
    free(shown);
    ts_sb_addf(&b, "# Draw it again, in this directory:  gnuplot %s.gp\n", p->stem);
    ts_sb_addf(&b, "# Restyle freely: the variables below feed the template that "
                "follows\n# (plots/%s.gp and plots/frame.gp in the truthsim sources).\n"
                "# Text from the result file is only ever in single quotes.\n\n",
            p->k->tmpl);
    ts_sb_addf(&b, "if (!exists(\"datafile\")) { datafile = '%s.tsv' }\n", p->stem);
    ts_sb_addf(&b, "if (!exists(\"outbase\")) { outbase = '%s' }\n", p->stem);
    ts_sb_addf(&b, "if (!exists(\"formats\")) { formats = '%s' }\n", formats);
    ts_sb_addf(&b, "width = %d\nheight = %d\n", o->width, o->height);
    int show_key = max_per_panel(p) <= MAX_KEY_ENTRIES;
    char *title = picture_title(p, show_key, o->width);
    if (!title) {
        free(ts_sb_take(&b));
        return NULL;
    }
    ts_sb_add(&b, "plot_title = ");
    ts_sb_gp_text(&b, title);
    ts_sb_add(&b, "\nx_label = ");
    ts_sb_gp_text(&b, p->k->x_label);
    ts_sb_add(&b, "\ny_label = ");
    ts_sb_gp_text(&b, p->k->y_label);
    ts_sb_add(&b, "\n");
    ts_sb_add(&b, p->coords ? p->coords : "");
    ts_sb_addf(&b, "show_key = %d\n", show_key);
    if (!isnan(p->k->y_min) && !isnan(p->k->y_max)) {
        ts_plot_fmt_num(p->k->y_min, num, sizeof num);
        ts_sb_addf(&b, "y_min = %s\n", num);
        ts_plot_fmt_num(p->k->y_max, num, sizeof num);
        ts_sb_addf(&b, "y_max = %s\n", num);
    }
    if (p->k->tic_rows && p->nx <= MAX_X_TICS) {
        ts_sb_add(&b, "x_tics = '");
        const char *sep = "";
        for (size_t ix = 0; ix < p->nx; ix++) {
            if (!isfinite(p->x[ix]))
                continue; /* a number only: the tics are eval'd */
            ts_plot_fmt_num(p->x[ix], num, sizeof num);
            ts_sb_addf(&b, "%s%s", sep, num);
            sep = ", ";
        }
        ts_sb_add(&b, "'\n");
    }
    script_lines(&b, p);
    script_panels(&b, p, show_key, title, o->width, o->height);
    free(title);
    ts_sb_add(&b, "\n");
    ts_sb_add(&b, tmpl);
    ts_sb_add(&b, "\n");
    ts_sb_add(&b, frame);
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
    const ts_plot_opts *o;
    unsigned formats;       /* bit f: format_names[f] is drawn          */
    char formats_words[16]; /* the same as gnuplot words: "png svg"     */
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
    const char *frame = ts_plot_template_text("frame");
    char *gp = frame ? script_text(p, ts_plot_base_name(w->h5path), tmpl, frame,
                                   w->o, w->formats_words)
                     : NULL;
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

static const char *const format_names[] = {"png", "svg", "pdf"};
#define N_FORMATS 3

int ts_plot_formats_parse(const char *list, unsigned *mask)
{
    *mask = 0;
    if (!list || !list[0])
        list = "png,svg";
    const char *s = list;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t l = comma ? (size_t)(comma - s) : strlen(s);
        int found = -1;
        for (int f = 0; f < N_FORMATS; f++)
            if (l == strlen(format_names[f]) && strncmp(s, format_names[f], l) == 0)
                found = f;
        if (found < 0)
            return -1;
        *mask |= 1u << found;
        if (!comma)
            return 0;
        s = comma + 1;
    }
}

/* The slot of ts_plot_file_set for format f. */
static char **format_slot(ts_plot_file_set *fs, int f)
{
    return f == 0 ? &fs->png : f == 1 ? &fs->svg : &fs->pdf;
}

/* Let gnuplot draw picture p from its temporary script and data into
 * temporary files of each format, registered for the rename. */
static int render_picture(write_ctx *w, const ts_plot_picture *p,
                          ts_plot_file_set *fs, const char *tsv_tmp,
                          const char *gp_tmp, ts_err *e)
{
    /* gnuplot writes OUTBASE.<format>: OUTBASE is an unpredictable name
     * reserved with ts_out_open, and every picture's temporary is created
     * (O_EXCL) before gnuplot opens it. */
    char *stem = ts_plot_strf("%s%s", w->prefix, p->stem);
    ts_outfile base = {.fd = -1};
    int rc = stem ? ts_out_open(&base, stem, e)
                  : TS_ERROR(e, TS_ENOMEM, "%s: out of memory", w->h5path);
    const size_t first = w->pend.n;
    for (int f = 0; !rc && f < N_FORMATS; f++) {
        if (!(w->formats & (1u << f)))
            continue;
        char **slot = format_slot(fs, f);
        *slot = ts_plot_strf("%s%s.%s", w->prefix, p->stem, format_names[f]);
        char *tmp = ts_plot_strf("%s.%s", base.tmp, format_names[f]);
        rc = *slot && tmp ? pending_add(&w->pend, *slot, tmp, e)
                          : TS_ERROR(e, TS_ENOMEM, "%s: out of memory", w->h5path);
        free(tmp);
    }
    if (!rc)
        rc = run_gnuplot(w->gnuplot, w->envp, gp_tmp, tsv_tmp, base.tmp, fs->gp, e);
    for (size_t k = first; !rc && k < w->pend.n; k++)
        if (!file_nonempty(w->pend.f[k].tmp))
            rc = TS_ERROR(e, TS_EIO, "%s: gnuplot wrote no picture %s", fs->gp,
                          w->pend.f[k].path);
    ts_out_finish(&base, 0, NULL);
    free(stem);
    return rc;
}

/* Everything is written: rename it all into place, unless a stop came
 * after the last poll (one look before the first rename: every picture or
 * none; base/outfile.h). */
static int rename_all(pending_list *pend, const volatile sig_atomic_t *stop,
                      const char *h5path, ts_err *e)
{
    int rc = stop && *stop ? TS_ERROR(e, TS_EINTR, "%s: interrupted", h5path)
                           : TS_OK;
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
        free(out->pic[q].pdf);
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
            free(out->pic[q].pdf);
            out->pic[q].png = out->pic[q].svg = out->pic[q].pdf = NULL;
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
    write_ctx w = {.h5path = h5path, .prefix = prefix, .gnuplot = gnuplot,
                   .envp = o->envp, .o = o};
    if (!rc && ts_plot_formats_parse(o->formats, &w.formats) != 0)
        rc = TS_ERROR(e, TS_EINVAL, "picture formats '%s': not a list of png, "
                      "svg, pdf", o->formats);
    if (!rc && (o->width < 100 || o->height < 100 || o->width > 20000 ||
                o->height > 20000))
        rc = TS_ERROR(e, TS_EINVAL, "picture size %dx%d: not within 100 to "
                      "20000 pixels", o->width, o->height);
    for (int f = 0; f < N_FORMATS; f++)
        if (w.formats & (1u << f)) {
            size_t l = strlen(w.formats_words);
            snprintf(w.formats_words + l, sizeof w.formats_words - l, "%s%s",
                     l ? " " : "", format_names[f]);
        }
    for (size_t q = 0; !rc && q < pl->n; q++) {
        const char *tsv_tmp = NULL, *gp_tmp = NULL;
        rc = write_picture_text(&w, &pl->p[q], &out->pic[q], &tsv_tmp, &gp_tmp, e);
        if (!rc && gnuplot)
            rc = render_picture(&w, &pl->p[q], &out->pic[q], tsv_tmp, gp_tmp, e);
        if (!rc && o->stop && *o->stop)
            rc = TS_ERROR(e, TS_EINTR, "%s: interrupted", h5path);
    }
    if (!rc)
        rc = rename_all(&w.pend, o->stop, h5path, e);
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

/* plot_kinds.c -- what `truthsim plot` draws from a result file: the table
 * of picture kinds, and the pictures of each kind built in memory.
 *
 * A picture kind is a mean dataset (its "_ci" companion gives the 95 %
 * band), the dimension along x, and optionally the dimension that makes
 * one line per value (the workers of a trajectory).  Every other
 * dimension of the dataset either multiplies the lines (line_dim == NULL:
 * "ours N=5", "ours N=10" in one picture) or the pictures (one per
 * mechanism, strategy, N ...).  A kind applies when its dataset has its
 * dimensions; adding a kind is a row here plus a template in plots/.
 *
 * Symbols: N workers, T horizon, t slot, w_i^t weight of worker i before
 * slot t, R(T) regret after T slots.
 *
 * Left out: picture kinds beyond the table (drawn_loss, selection_freq, ...)
 * and any styling beyond the templates; users restyle the written scripts. */
#include "results/plot_picture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/plot_text.h"

const ts_plot_kind ts_plot_kinds[] = {
    /* Figs. 6-9: eq. (5) (full) or eq. (12) (limited) against T */
    {"time_avg_regret", "time_avg_regret", "T", NULL, "time_avg_regret",
     "time-averaged regret R(T)/T", "horizon T (slots)", "R(T) / T", NAN, NAN, 1, 0},
    /* Figs. 3, 5: w_i^t / sum_k w_k^t */
    {"share_traj", "share_traj", "slot", "worker", "trajectory",
     "shares w_i/Σw", "slot t", "share  w_i^t / Σ_k w_k^t", 0.0, 1.0, 0, 0},
    /* Figs. 2, 4: w_i^t (may underflow to 0 at long horizons) */
    {"weight_traj", "weight_traj", "slot", "worker", "trajectory", "weights",
     "slot t", "weight  w_i^t", NAN, NAN, 0, 0},
    /* Figs. 4, 5 (limited feedback): theta_i^t, the probability that
     * worker i is heard in slot t (eq. 12) */
    {"theta_traj", "theta_traj", "slot", "worker", "trajectory",
     "selection probabilities θ_i", "slot t", "θ_i^t", 0.0, 1.0, 0, 0},
    /* Prop. 3(b): R(T)/T against the flip rate eps, a line per mechanism,
     * a picture per T; the template draws 3 sqrt(ln N / 2T) + 2 eps from
     * the picture's coord_N and coord_T */
    {"regret_eps", "time_avg_regret", "epsilon", "mechanism", "regret_eps",
     "R(T)/T vs flip rate ε, Prop. 3(b) dashed",
     "flip rate ε", "R(T) / T", NAN, NAN, 1, 0},
    /* Prop. 2: overtaking time against w_k/w_i, a line per mechanism and
     * gap, the bound as the row "bound (Prop. 2)" (truthsim overtake) */
    {"overtake", "overtake_time", "ratio", NULL, "time_avg_regret",
     "overtaking time of a better newcomer", "w_k / w_i at arrival",
     "slots until E[w_i] ≥ E[w_k]", NAN, NAN, 1, 0},
    /* SPEC §4/§5 best responses (truthsim best-response -O): r*(q) per
     * mechanism against the diagonal r = q; the gain U(r*) - U(q) */
    {"br_rstar", "r_star", "q", "mechanism", "br_rstar",
     "single-slot best response r*(q), dashed: truthful",
     "belief q", "best report r*", NAN, NAN, 0, 0},
    {"br_gain", "gain", "q", "mechanism", "linear",
     "expected gain of the best response over truth", "belief q",
     "U(r*) − U(q)", NAN, NAN, 0, 0},
    /* SPEC §4 horizon deviations: horizon utility (eq. 4) against
     * exaggerate's kappa (kappa = 0 truthful), a line per worker, common
     * random numbers across kappa (experiments/deviation-kappa.yaml) */
    {"util_kappa", "utility_weight", "exaggerate.kappa", "worker", "linear",
     "horizon utility Σ_t w_i^t vs exaggeration κ of worker 0",
     "κ (worker 0: r = q + κ(q − ½))", "Σ_t w_i^t", NAN, NAN, 1, 0},
    {"share_kappa", "utility_share", "exaggerate.kappa", "worker", "linear",
     "horizon share Σ_t w_i^t/Σw vs exaggeration κ of worker 0",
     "κ (worker 0: r = q + κ(q − ½))", "Σ_t share_i^t", NAN, NAN, 1, 0},
    /* Lemma 2: the size of hedge's best-response deviation against eta
     * (truthsim best-response --sweep eta=... -O) */
    {"dev_eta", "max_abs_dev", "eta", NULL, "time_avg_regret",
     "largest best-response deviation", "η", "max_q |r* − q|", 0.0, NAN, 1, 0},
    /* The paired gain of worker utilities over kappa = 0 (gain_axis:
     * exaggerate.kappa), with its CI band: the measured epsilon */
    {"gain_kappa", "utility_weight_gain", "exaggerate.kappa", "worker", "linear",
     "utility gain over truthful play (paired, CRN)", "κ (exaggerate)",
     "Σ_t w_i^t minus its value at κ = 0", NAN, NAN, 1, 0},
    /* R(t) over slots with trajectory: true, a line per mechanism (and
     * per value of any swept key): how the regret grows, e.g. Freeman et
     * al.'s Sec. 6 figure (experiments/freeman.yaml) */
    {"regret_traj", "regret_traj", "slot", NULL, "linear",
     "regret R(t) over slots", "slot t", "R(t)", NAN, NAN, 0, 0},
    /* Recorded reports (truthsim replay, SPEC §7.1): R(t) over slots, a
     * line per mechanism in a comparison file; the final shares per
     * worker, a line per mechanism; one replay's share trajectories */
    {"regret", "regret", "slot", NULL, "linear",
     "cumulative regret R(t) on recorded reports", "slot t",
     "R(t) = Σ L − min_i Σ ℓ_i", NAN, NAN, 0, 1},
    {"final_share", "final_share", "worker", NULL, "linear",
     "final shares w_i / Σ_k w_k", "worker (as numbered in the file)",
     "final share", 0.0, NAN, 1, 1},
    {"share", "share", "boundary", "worker", "trajectory",
     "shares w_i/Σw on recorded reports", "slot t",
     "share  w_i^t / Σ_k w_k^t", 0.0, 1.0, 0, 1},
    /* Sec. VII-B (kind: e2e files, src/e2e): Figs. 11, 13 against the
     * round; Figs. 12, 14-16 at the last round against model size */
    {"win_rate", "win_rate", "round", NULL, "linear",
     "win-rate (policy right, reference wrong)", "round", "win-rate",
     0.0, NAN, 1, 0},
    {"test_accuracy", "test_accuracy", "round", NULL, "linear",
     "policy's test accuracy", "round", "accuracy", NAN, NAN, 1, 0},
    {"label_accuracy", "label_accuracy", "round", NULL, "linear",
     "aggregated labels on the right side of 1/2", "round",
     "label accuracy", NAN, NAN, 1, 0},
    {"win_rate_size", "final_win_rate", "model_params", NULL, "linear",
     "win-rate at the last round vs model size", "model parameters (millions)",
     "win-rate", 0.0, NAN, 1, 0},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0.0, 0.0, 0, 0},
};

/* ------------------------------------------------------------------------ */
/* Pictures in memory.                                                       */

static void picture_fini(ts_plot_picture *p)
{
    free(p->stem);
    free(p->title);
    free(p->x_name);
    free(p->x);
    free(p->y);
    ts_plot_free_strings(p->stitle, p->ns);
    free(p->style);
    free(p->bound);
    free(p->panel);
    ts_plot_free_strings(p->ptitle, p->npanel);
    free(p->coords);
    memset(p, 0, sizeof *p);
}

void ts_plot_picture_list_fini(ts_plot_picture_list *l)
{
    for (size_t k = 0; k < l->n; k++)
        picture_fini(&l->p[k]);
    free(l->p);
    memset(l, 0, sizeof *l);
}

/* Label of entry i of axis a: mechanisms by display name, workers by the
 * file's own worker coordinate (0-based there: "worker 0" is the worker
 * the file calls 0), strings as they are, other numbers as "N=5". */
static void value_label(const ts_plot_in *in, const ts_plot_axis *a, size_t i, char *buf, size_t len)
{
    char num[64];
    if (strcmp(a->name, "mechanism") == 0 && in->mech_label && i < in->n_mech_label)
        snprintf(buf, len, "%s", in->mech_label[i]);
    else if (a->str)
        snprintf(buf, len, "%s", a->str[i]);
    else if (strcmp(a->name, "worker") == 0) {
        ts_plot_fmt_num(a->num[i], num, sizeof num);
        snprintf(buf, len, "worker %s", num);
    } else {
        ts_plot_fmt_num(a->num[i], num, sizeof num);
        snprintf(buf, len, "%s=%s", a->name, num);
    }
    ts_plot_flatten_ws(buf);
}

/* Stem part of entry i of axis a: "ours", "truthful", "N5". */
static void value_stem(const ts_plot_axis *a, size_t i, char *buf, size_t len)
{
    char num[64];
    if (a->str)
        snprintf(buf, len, "%s", a->str[i]);
    else {
        ts_plot_fmt_num(a->num[i], num, sizeof num);
        snprintf(buf, len, "%s%s", a->name, num);
    }
    ts_plot_sanitize_stem(buf);
}

/* Row-major multi-index of combination c over the dimensions dl[0..nd-1] of
 * v (the last varies fastest); writes idx[dl[j]]. */
static void unflatten(const ts_plot_var *v, const int *dl, int nd, size_t c, size_t *idx)
{
    for (int j = nd - 1; j >= 0; j--) {
        size_t len = v->dims[dl[j]];
        idx[dl[j]] = c % len;
        c /= len;
    }
}

static size_t flat_offset(const ts_plot_var *v, const size_t *idx)
{
    size_t off = 0;
    for (int k = 0; k < v->rank; k++)
        off = off * v->dims[k] + idx[k];
    return off;
}

static int is_mechanism(const ts_plot_in *in, const ts_plot_var *v, int k)
{
    return strcmp(in->ax[v->ax[k]].name, "mechanism") == 0;
}

/* A dimension worth naming in a legend or stem: the mechanism always, others
 * only when they have more than one value. */
static int worth_naming(const ts_plot_in *in, const ts_plot_var *v, int k)
{
    return is_mechanism(in, v, k) || v->dims[k] > 1;
}

/* The second title line: the fixed setting and what the band is. */
static void context_line(const ts_plot_in *in, const ts_plot_kind *k,
                         const ts_plot_var *v, ts_sbuf *b)
{
    int strategy_is_dim = 0;
    for (int d = 0; d < v->rank; d++)
        if (strcmp(in->ax[v->ax[d]].name, "strategy") == 0)
            strategy_is_dim = 1;
    const char *sep = "";
    if (in->feedback[0]) {
        ts_sb_addf(b, "%s feedback", in->feedback);
        sep = ", ";
    }
    if (in->population[0]) {
        ts_sb_addf(b, "%spopulation %s", sep, in->population);
        sep = ", ";
    }
    if (in->strategy[0] && !strategy_is_dim) {
        ts_sb_addf(b, "%sstrategy %s", sep, in->strategy);
        sep = ", ";
    }
    if (*sep)
        ts_sb_add(b, "; ");
    if (k->recorded && !in->replicas[0])
        ts_sb_add(b, "recorded reports (truthsim replay), one path");
    else if (in->replicas[0])
        ts_sb_addf(b, "mean of %s replicas, band: 95 %% CI", in->replicas);
    else
        ts_sb_add(b, "mean over replicas, band: 95 % CI");
}

/* Drop lines whose means are all NaN (workers past N at this point) and then
 * rows where every kept line is NaN (slots past T), compacting in place. */
static void prune_nan(ts_plot_picture *p)
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
        p->style[ns] = p->style[s];
        p->bound[ns] = p->bound[s];
        p->panel[ns] = p->panel[s];
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

/* What a kind's dataset looks like in this file: its mean and band, which
 * dimension is x and which makes the lines, and the rest (dl[0..nd-1]),
 * which multiply the lines (line_dim NULL) or the pictures. */
typedef struct kind_layout {
    ts_plot_var m, ci;         /* mean and 95 % half-width, with data      */
    int ix, il;                /* x and line dimensions; il = -1: none     */
    int *dl, nd;               /* [rank] the other dimensions              */
    int imech;                 /* the mechanism dimension, or -1           */
    int faceted;               /* 1: dl[0] makes the panels (lines kinds)  */
    size_t per_panel;          /* lines in each panel                      */
    size_t *idx;               /* [rank] a multi-index into m              */
    size_t npic, nlines, nx;
    const ts_plot_axis *xa;    /* the x coordinate (numeric)               */
} kind_layout;

static void layout_fini(kind_layout *L)
{
    ts_plot_var_fini(&L->m);
    ts_plot_var_fini(&L->ci);
    free(L->dl);
    free(L->idx);
}

/* One recorded path has no band: a zero half-width of the mean's shape. */
static int no_band(const ts_plot_in *in, kind_layout *L, ts_err *e)
{
    size_t n = 1;
    L->ci = L->m;
    for (int d = 0; d < L->m.rank; d++)
        n *= L->m.dims[d];
    L->ci.v = calloc(n ? n : 1, sizeof *L->ci.v);
    if (!L->ci.v)
        return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
    L->xa = &in->ax[L->m.ax[L->ix]];
    if (!L->xa->num)
        return TS_ERROR(e, TS_EINPUT, "%s: coordinate %s is not numeric",
                        in->path, L->xa->name);
    return TS_OK;
}

/* Read the mean and its band if the dataset has k's dimensions; *applies
 * is 0 when not (e.g. T is a scalar of the experiment, not an axis). */
static int read_kind_data(ts_plot_in *in, const ts_plot_kind *k, kind_layout *L,
                          int *applies, ts_err *e)
{
    *applies = 0;
    int rc = ts_plot_read_var(in, k->dataset, 0, &L->m, e);
    if (rc)
        return rc;
    L->ix = L->il = -1;
    for (int d = 0; d < L->m.rank; d++) {
        if (strcmp(in->ax[L->m.ax[d]].name, k->x_dim) == 0)
            L->ix = d;
        if (k->line_dim && strcmp(in->ax[L->m.ax[d]].name, k->line_dim) == 0)
            L->il = d;
    }
    if (L->ix < 0 || (k->line_dim && L->il < 0))
        return TS_OK;
    *applies = 1;
    rc = ts_plot_read_var(in, k->dataset, 1, &L->m, e);
    if (rc)
        return rc;
    char ci_name[256];
    snprintf(ci_name, sizeof ci_name, "%s_ci", k->dataset);
    if (k->recorded && !ts_plot_dataset_exists(in, ci_name))
        return no_band(in, L, e);
    if (!ts_plot_dataset_exists(in, ci_name))
        return TS_ERROR(e, TS_EINPUT, "%s: dataset %s has no companion %s "
                        "(docs/results-format.md)", in->path, k->dataset, ci_name);
    rc = ts_plot_read_var(in, ci_name, 1, &L->ci, e);
    if (rc)
        return rc;
    int same = L->ci.rank == L->m.rank;
    for (int d = 0; same && d < L->m.rank; d++)
        same = L->ci.ax[d] == L->m.ax[d];
    if (!same)
        return TS_ERROR(e, TS_EINPUT, "%s: %s and %s have different dimensions",
                        in->path, k->dataset, ci_name);
    L->xa = &in->ax[L->m.ax[L->ix]];
    if (!L->xa->num)
        return TS_ERROR(e, TS_EINPUT, "%s: coordinate %s is not numeric",
                        in->path, L->xa->name);
    return TS_OK;
}

/* The panel axis among the line dimensions dl, as its index j, or -1.
 * Named: that axis if it makes the lines of this kind.  "auto": past
 * TS_PLOT_FACET_AUTO lines, the non-mechanism axis with the most values
 * (the last of equals: the innermost sweep), so mechanisms stay side by
 * side in each panel; the mechanism when nothing else is swept. */
static int choose_facet(const ts_plot_in *in, const kind_layout *L,
                        const char *facet)
{
    const ts_plot_var *m = &L->m;
    if (!facet || strcmp(facet, "none") == 0)
        return -1;
    int automatic = strcmp(facet, "auto") == 0;
    if (automatic && L->nlines <= TS_PLOT_FACET_AUTO)
        return -1;
    int best = -1;
    for (int j = 0; j < L->nd; j++) {
        int d = L->dl[j];
        if (m->dims[d] < 2)
            continue;
        if (!automatic) {
            if (strcmp(in->ax[m->ax[d]].name, facet) == 0)
                return j;
            continue;
        }
        if (is_mechanism(in, m, d) && best >= 0)
            continue;
        if (best < 0 || is_mechanism(in, m, L->dl[best]) ||
            m->dims[d] >= m->dims[L->dl[best]])
            best = j;
    }
    return best;
}

/* The other dimensions: lines (line_dim NULL) or pictures. */
static int layout_dims(const ts_plot_in *in, kind_layout *L, const char *facet,
                       ts_err *e)
{
    const ts_plot_var *m = &L->m;
    L->idx = calloc((size_t)m->rank + 1, sizeof *L->idx);
    L->dl = calloc((size_t)m->rank + 1, sizeof *L->dl);
    if (!L->idx || !L->dl)
        return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
    L->nd = 0;
    L->imech = -1;
    size_t ncomb = 1;
    for (int d = 0; d < m->rank; d++) {
        if (d == L->ix || d == L->il)
            continue;
        L->dl[L->nd++] = d;
        ncomb *= m->dims[d];
        if (is_mechanism(in, m, d))
            L->imech = d;
    }
    L->npic = L->il < 0 ? 1 : ncomb;
    L->nlines = L->il < 0 ? ncomb : m->dims[L->il];
    L->nx = m->dims[L->ix];
    L->per_panel = L->nlines;
    int j = L->il < 0 ? choose_facet(in, L, facet) : -1;
    if (j >= 0) { /* the facet axis first: it then varies slowest */
        int d = L->dl[j];
        memmove(L->dl + 1, L->dl, (size_t)j * sizeof *L->dl);
        L->dl[0] = d;
        L->faceted = 1;
        L->per_panel = L->nlines / m->dims[d];
    }
    return TS_OK;
}

static int picture_alloc(const ts_plot_in *in, const ts_plot_kind *k,
                         const kind_layout *L, ts_plot_picture *p, ts_err *e)
{
    const size_t nx = L->nx, nlines = L->nlines;
    p->k = k;
    p->nx = nx;
    p->ns = nlines;
    p->x = malloc((nx ? nx : 1) * sizeof *p->x);
    p->y = malloc((nx * nlines > 0 ? nx * nlines : 1) * 2 * sizeof *p->y);
    p->stitle = calloc(nlines ? nlines : 1, sizeof *p->stitle);
    p->style = calloc(nlines ? nlines : 1, sizeof *p->style);
    p->bound = calloc(nlines ? nlines : 1, sizeof *p->bound);
    p->panel = calloc(nlines ? nlines : 1, sizeof *p->panel);
    p->npanel = L->faceted ? L->m.dims[L->dl[0]] : 1;
    p->ptitle = calloc(p->npanel, sizeof *p->ptitle);
    p->x_name = strdup(L->xa->name);
    if (!p->x || !p->y || !p->stitle || !p->style || !p->bound || !p->panel ||
        !p->ptitle || !p->x_name)
        return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
    if (nx)
        memcpy(p->x, L->xa->num, nx * sizeof *p->x);
    return TS_OK;
}

/* Picture pc's stem, title (what, then the fixed coordinates worth naming,
 * then the context line) and the script's coord_ variables. */
static int picture_names(const ts_plot_in *in, const ts_plot_kind *k,
                         kind_layout *L, size_t pc, ts_plot_picture *p,
                         ts_err *e)
{
    char part[256];
    ts_sbuf stem = {0}, title = {0}, coords = {0};
    ts_sb_addf(&stem, "%s_%s", in->name, k->kind);
    ts_sb_addf(&title, "%s: %s", in->name, k->what);
    if (L->il >= 0) {
        unflatten(&L->m, L->dl, L->nd, pc, L->idx);
        const char *sep = ", ";
        for (int j = 0; j < L->nd; j++) {
            const int d = L->dl[j];
            const ts_plot_axis *a = &in->ax[L->m.ax[d]];
            /* the axis name is the file's: only a plain identifier may
             * become a variable name, and only a finite value its value */
            if (!a->str && ts_plot_is_ident(a->name) &&
                isfinite(a->num[L->idx[d]])) {
                ts_plot_fmt_num(a->num[L->idx[d]], part, sizeof part);
                ts_sb_addf(&coords, "coord_%s = %s\n", a->name, part);
            }
            if (!worth_naming(in, &L->m, d))
                continue;
            value_stem(a, L->idx[d], part, sizeof part);
            ts_sb_addf(&stem, "_%s", part);
            value_label(in, a, L->idx[d], part, sizeof part);
            ts_sb_addf(&title, "%s%s", sep, part);
            sep = ", ";
        }
    }
    ts_sb_add(&title, "\n");
    context_line(in, k, &L->m, &title);
    if (!isnan(in->N_val)) { /* formatted from the parsed number only */
        ts_plot_fmt_num(in->N_val, part, sizeof part);
        ts_sb_addf(&coords, "if (!exists(\"coord_N\")) { coord_N = %s }\n", part);
    }
    ts_sb_add(&coords, "");
    p->coords = ts_sb_take(&coords);
    p->stem = ts_sb_take(&stem);
    p->title = ts_sb_take(&title);
    if (!p->stem || !p->title || !p->coords)
        return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
    return TS_OK;
}

/* 1 when the line at idx is a bound rather than data: its mechanism's name
 * or display name starts with "bound" (truthsim overtake writes Prop. 2's
 * bound as the mechanism "bound (Prop. 2)"); bounds are drawn dashed. */
static int is_bound(const ts_plot_in *in, const ts_plot_var *m, int imech,
                    const size_t *idx)
{
    if (imech < 0)
        return 0;
    const ts_plot_axis *a = &in->ax[m->ax[imech]];
    size_t i = idx[imech];
    const char *lab = in->mech_label && i < in->n_mech_label ? in->mech_label[i]
                      : a->str ? a->str[i] : "";
    return strncmp(lab, "bound", 5) == 0;
}

/* The panel titles (the facet axis's value labels). */
static int panel_titles(const ts_plot_in *in, const kind_layout *L,
                        ts_plot_picture *p, ts_err *e)
{
    char part[256];
    if (!L->faceted)
        return TS_OK;
    const ts_plot_axis *a = &in->ax[L->m.ax[L->dl[0]]];
    for (size_t q = 0; q < p->npanel; q++) {
        value_label(in, a, q, part, sizeof part);
        if (!(p->ptitle[q] = strdup(part)))
            return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
    }
    return TS_OK;
}

/* After prune_nan: drop the panels left without lines, renumbering. */
static void prune_panels(ts_plot_picture *p)
{
    size_t np = 0;
    for (size_t q = 0; q < p->npanel; q++) {
        int any = 0;
        for (size_t s = 0; s < p->ns; s++)
            if (p->panel[s] == q) {
                p->panel[s] = np;
                any = 1;
            }
        if (!any) {
            free(p->ptitle[q]);
            p->ptitle[q] = NULL;
            continue;
        }
        if (np != q) {
            p->ptitle[np] = p->ptitle[q];
            p->ptitle[q] = NULL;
        }
        np++;
    }
    p->npanel = np ? np : 1;
    if (np == 1 && p->ptitle[0]) { /* one panel left: its value is the title's */
        const char *nl = strchr(p->title, '\n');
        size_t l1 = nl ? (size_t)(nl - p->title) : strlen(p->title);
        char *t = ts_plot_strf("%.*s, %s%s", (int)l1, p->title, p->ptitle[0],
                               nl ? nl : "");
        if (t) { /* out of memory: the title merely says less */
            free(p->title);
            p->title = t;
        }
    }
}

/* Each line's legend entry, style, panel and values along x. */
static int picture_lines(const ts_plot_in *in, const ts_plot_kind *k,
                         kind_layout *L, ts_plot_picture *p, ts_err *e)
{
    char part[256];
    size_t *idx = L->idx;
    for (size_t s = 0; s < L->nlines; s++) {
        ts_sbuf lab = {0};
        if (L->il >= 0) {
            idx[L->il] = s;
            value_label(in, &in->ax[L->m.ax[L->il]], s, part, sizeof part);
            ts_sb_add(&lab, part);
            p->style[s] = (int)s;
        } else {
            unflatten(&L->m, L->dl, L->nd, s, idx);
            const char *sep = "";
            p->panel[s] = s / L->per_panel;
            p->style[s] = (int)(s % L->per_panel);
            p->bound[s] = is_bound(in, &L->m, L->imech, idx);
            for (int j = L->faceted; j < L->nd; j++) {
                if (!worth_naming(in, &L->m, L->dl[j]))
                    continue;
                value_label(in, &in->ax[L->m.ax[L->dl[j]]], idx[L->dl[j]], part,
                            sizeof part);
                ts_sb_addf(&lab, "%s%s", sep, part);
                sep = " ";
            }
            if (!lab.len && !lab.oom)
                ts_sb_add(&lab, k->dataset);
        }
        if (!(p->stitle[s] = ts_sb_take(&lab)))
            return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
        for (size_t x = 0; x < L->nx; x++) {
            idx[L->ix] = x;
            size_t off = flat_offset(&L->m, idx);
            p->y[(x * L->nlines + s) * 2] = L->m.v[off];
            p->y[(x * L->nlines + s) * 2 + 1] = L->ci.v[off];
        }
    }
    return TS_OK;
}

/* Move *p onto the list (and zero it); two pictures may not share a stem. */
static int picture_push(const ts_plot_in *in, ts_plot_picture_list *out,
                        ts_plot_picture *p, ts_err *e)
{
    for (size_t q = 0; q < out->n; q++)
        if (strcmp(out->p[q].stem, p->stem) == 0)
            return TS_ERROR(e, TS_EINPUT, "%s: two pictures would both be "
                            "named %s", in->path, p->stem);
    if (out->n == out->cap) {
        size_t cap = out->cap ? 2 * out->cap : 8;
        ts_plot_picture *np = realloc(out->p, cap * sizeof *np);
        if (!np)
            return TS_ERROR(e, TS_ENOMEM, "%s: out of memory", in->path);
        out->p = np;
        out->cap = cap;
    }
    out->p[out->n++] = *p;
    memset(p, 0, sizeof *p);
    return TS_OK;
}

int ts_plot_build_kind(ts_plot_in *in, const ts_plot_kind *k,
                       const char *facet, ts_plot_picture_list *out, ts_err *e)
{
    if (!ts_plot_dataset_exists(in, k->dataset))
        return TS_OK;
    kind_layout L = {0};
    ts_plot_picture p = {0};
    int applies = 0;
    int rc = read_kind_data(in, k, &L, &applies, e);
    if (!rc && applies)
        rc = layout_dims(in, &L, facet, e);
    for (size_t pc = 0; !rc && applies && pc < L.npic; pc++) {
        rc = picture_alloc(in, k, &L, &p, e);
        if (!rc)
            rc = picture_names(in, k, &L, pc, &p, e);
        if (!rc)
            rc = panel_titles(in, &L, &p, e);
        if (!rc)
            rc = picture_lines(in, k, &L, &p, e);
        if (rc)
            break;
        prune_nan(&p);
        prune_panels(&p);
        if (p.ns == 0 || p.nx == 0) { /* nothing but padding */
            picture_fini(&p);
            continue;
        }
        rc = picture_push(in, out, &p, e);
    }
    picture_fini(&p);
    layout_fini(&L);
    return rc;
}

void ts_plot_kinds_describe(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const ts_plot_kind *k = ts_plot_kinds; k->kind; k++) {
        int w = snprintf(buf + used, len - used, "%s%s over %s%s%s",
                         k == ts_plot_kinds ? "" : "; ", k->dataset, k->x_dim,
                         k->line_dim ? " and " : "", k->line_dim ? k->line_dim : "");
        if (w < 0 || (size_t)w >= len - used)
            return;
        used += (size_t)w;
    }
}

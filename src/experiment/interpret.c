/* interpret.c -- the second stage of an experiment: what the keys mean
 * (SPEC §7.2).  The values of yaml.c become the experiment's name,
 * feedback mode, population, mechanisms, strategy profiles, scalars and
 * grid axes; every key must be an engine key or a parameter some vtable of
 * the experiment declares.  The last step resolves every grid point once
 * (resolve.c), so a precondition such as Def. 5's alpha < theta fails at
 * start-up, never mid-sweep (STYLE §4).
 *
 * Each step is a function named after what it settles, run in a fixed
 * order by ts_experiment_interpret: the first error in that order is the
 * one reported.  Parameter values themselves are left to resolve.c. */
#include "experiment/experiment_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "game/registry.h"
#include "strategies/strategies.h"

/* The engine's own keys; everything else is a parameter some vtable of the
 * experiment declares. */
static const char *const engine_keys[] = {
    "name", "description", "feedback", "population", "mechanisms",
    "mechanism", "strategy", "strategies", "N", "m", "m_min", "T", "epsilon", "replicas",
    "seed", "trajectory", "utility", "gain_axis", "plugins", NULL,
};

/* Numeric engine keys that may be axes, in enumeration order. */
static const char *const axis_keys[] = {"N", "m", "T", "epsilon", NULL};

static int is_engine_key(const char *k)
{
    for (int i = 0; engine_keys[i]; i++)
        if (!strcmp(engine_keys[i], k))
            return 1;
    return 0;
}

static int want_string(const ts_experiment *x, const ts_value *v, int list_ok,
                       ts_err *e)
{
    char where[400];
    ts_value_where(x, v, where, sizeof where);
    if (v->kind != TS_VAL_STR)
        return TS_ERROR(e, TS_EINPUT, "%s'%s' must be %s", where, v->key,
                        list_ok ? "a name or a list of names" : "a name");
    if (v->is_list && !list_ok)
        return TS_ERROR(e, TS_EINPUT, "%s'%s' must be a single name", where,
                        v->key);
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Which owner declares a key                                          */

/* Does owner o declare parameter `name`?  *flags gets its flags. */
static int owner_declares(const ts_owner *o, const char *name,
                          unsigned *flags)
{
    int i = ts_param_find(o->params, o->n_params, name);
    if (i < 0)
        return 0;
    *flags = o->params[i].flags;
    return 1;
}

/* Is o named by the prefix key[0..len)? */
static int owner_named(const ts_owner *o, const char *key, size_t len)
{
    return strlen(o->name) == len && !strncmp(o->name, key, len);
}

/* Find which vtable declares a parameter key ("alpha" or "hedge.alpha").
 * A dotted key looks at mechanisms, strategies, then the population; a
 * bare one at the population first. */
static int param_known(const ts_experiment *x, const char *key,
                       unsigned *flags)
{
    const char *dot = strchr(key, '.');
    if (dot) {
        size_t ol = (size_t)(dot - key);
        for (int k = 0; k < x->n_mech; k++)
            if (owner_named(&x->mech[k]->owner, key, ol) &&
                owner_declares(&x->mech[k]->owner, dot + 1, flags))
                return 1;
        for (int k = 0; k < x->n_strat; k++)
            if (owner_named(&x->strat[k]->owner, key, ol) &&
                owner_declares(&x->strat[k]->owner, dot + 1, flags))
                return 1;
        return owner_named(&x->pop->owner, key, ol) &&
               owner_declares(&x->pop->owner, dot + 1, flags);
    }
    if (owner_declares(&x->pop->owner, key, flags))
        return 1;
    for (int k = 0; k < x->n_mech; k++)
        if (owner_declares(&x->mech[k]->owner, key, flags))
            return 1;
    for (int k = 0; k < x->n_strat; k++)
        if (owner_declares(&x->strat[k]->owner, key, flags))
            return 1;
    return 0;
}

/* ", name" for each parameter of o not yet in buf. */
static void add_names(const ts_owner *o, char *buf, size_t len, size_t *used)
{
    for (int i = 0; i < o->n_params; i++) {
        if (strstr(buf, o->params[i].name))
            continue;
        int w = snprintf(buf + *used, len - *used, ", %s", o->params[i].name);
        if (w > 0 && (size_t)w < len - *used)
            *used += (size_t)w;
    }
}

static void list_params(const ts_experiment *x, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    add_names(&x->pop->owner, buf, len, &used);
    for (int k = 0; k < x->n_mech; k++)
        add_names(&x->mech[k]->owner, buf, len, &used);
    for (int k = 0; k < x->n_strat; k++)
        add_names(&x->strat[k]->owner, buf, len, &used);
}

/* ------------------------------------------------------------------ */
/* Name, feedback, population, mechanisms                              */

static int interpret_name(ts_experiment *x, ts_err *e)
{
    const ts_value *v = ts_experiment_value(x, "name");
    if (v) {
        int rc = want_string(x, v, 0, e);
        if (rc)
            return rc;
        /* The name becomes OUT.h5 without -o and the pictures' stems: a
         * file name in the current directory, never a path (README
         * "Safety"), and not a hidden or special name. */
        const char *n = v->s[0];
        if (!*n || strchr(n, '/') || n[0] == '.' || strlen(n) >= sizeof x->name) {
            char where[400];
            ts_value_where(x, v, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT, "%sname '%s' must be a plain file name "
                            "(no '/', not starting with '.', under %zu bytes)",
                            where, n, sizeof x->name);
        }
        snprintf(x->name, sizeof x->name, "%s", n);
    } else {
        /* Name after the file: "experiments/fig7.yaml" -> "fig7". */
        const char *b = strrchr(x->path, '/');
        b = b ? b + 1 : x->path;
        snprintf(x->name, sizeof x->name, "%s", b);
        char *dot = strrchr(x->name, '.');
        if (dot && dot != x->name)
            *dot = '\0';
    }
    v = ts_experiment_value(x, "description");
    if (v && v->kind == TS_VAL_STR && !v->is_list)
        snprintf(x->description, sizeof x->description, "%s", v->s[0]);
    return TS_OK;
}

static int interpret_feedback(ts_experiment *x, ts_err *e)
{
    char where[400];
    x->feedback = TS_FULL;
    const ts_value *v = ts_experiment_value(x, "feedback");
    if (!v)
        return TS_OK;
    int rc = want_string(x, v, 0, e);
    if (rc)
        return rc;
    if (!strcmp(v->s[0], "limited"))
        x->feedback = TS_LIMITED;
    else if (strcmp(v->s[0], "full")) {
        ts_value_where(x, v, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT,
                        "%sfeedback '%s' must be 'full' or 'limited'", where,
                        v->s[0]);
    }
    return TS_OK;
}

/* plugins: [a.so, ...] -- loaded into the caller's registry before any
 * name is looked up; a relative path is relative to the experiment file,
 * so an experiment and its plugin travel together. */
static int interpret_plugins(ts_experiment *x, ts_err *e)
{
    char where[400], path[1024];
    const ts_value *v = ts_experiment_value(x, "plugins");
    if (!v)
        return TS_OK;
    int rc = want_string(x, v, 1, e);
    if (rc)
        return rc;
    ts_value_where(x, v, where, sizeof where);
    if (!x->reg)
        return TS_ERROR(e, TS_EINPUT, "%s'plugins' needs a registry to load "
                        "into (ts_experiment_load_reg)", where);
    const char *slash = strrchr(x->path, '/');
    int dir = v->line && slash ? (int)(slash - x->path) + 1 : 0;
    for (int k = 0; k < v->n; k++) {
        const char *f = v->s[k];
        int w = snprintf(path, sizeof path, "%.*s%s", f[0] == '/' ? 0 : dir,
                         x->path, f);
        if (w < 0 || (size_t)w >= sizeof path)
            return TS_ERROR(e, TS_EINPUT, "%splugin path too long", where);
        ts_err sub;
        ts_err_clear(&sub);
        if (ts_registry_load(x->reg, path, &sub))
            return TS_ERROR(e, TS_EINPUT, "%s%s", where, sub.msg);
    }
    return TS_OK;
}

static int interpret_population(ts_experiment *x, ts_err *e)
{
    char where[400];
    const ts_value *v = ts_experiment_value(x, "population");
    const char *pop = "bands";
    if (v) {
        int rc = want_string(x, v, 0, e);
        if (rc)
            return rc;
        pop = v->s[0];
    }
    ts_err sub;
    ts_err_clear(&sub);
    x->pop = ts_registry_population(x->reg, pop, &sub);
    if (!x->pop) {
        ts_value_where(x, v, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT, "%s%s", where, sub.msg);
    }
    return TS_OK;
}

static int interpret_mechanisms(ts_experiment *x, ts_err *e)
{
    char where[400];
    const ts_value *mv = ts_experiment_value(x, "mechanisms");
    const ts_value *m1 = ts_experiment_value(x, "mechanism");
    if (mv && m1) {
        ts_value_where(x, m1, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT,
                        "%sgive 'mechanisms' (a list) or 'mechanism', not both",
                        where);
    }
    if (!mv)
        mv = m1;
    if (!mv)
        return TS_ERROR(e, TS_EINPUT,
                        "%s: no 'mechanisms' key: say which mechanisms to run, "
                        "e.g. 'mechanisms: [ours, hedge]'",
                        x->path);
    int rc = want_string(x, mv, 1, e);
    if (rc)
        return rc;
    if (mv->n > TS_MAX_MECH) {
        ts_value_where(x, mv, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT, "%sat most %d mechanisms", where,
                        TS_MAX_MECH);
    }
    ts_err sub;
    for (int k = 0; k < mv->n; k++) {
        ts_err_clear(&sub);
        x->mech[k] = ts_registry_mechanism(x->reg, mv->s[k], x->feedback, &sub);
        if (!x->mech[k]) {
            ts_value_where(x, mv, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT, "%s%s", where, sub.msg);
        }
        for (int j = 0; j < k; j++)
            if (x->mech[j] == x->mech[k]) {
                ts_value_where(x, mv, where, sizeof where);
                return TS_ERROR(e, TS_EINPUT, "%smechanism '%s' is listed twice",
                                where, mv->s[k]);
            }
    }
    x->n_mech = mv->n;
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Strategies (SPEC §4)                                                */

/* Index of strategy t in x->strat, adding it if new; -1 if full. */
static int strat_index(ts_experiment *x, const ts_strategy_type *t)
{
    for (int k = 0; k < x->n_strat; k++)
        if (x->strat[k] == t)
            return k;
    if (x->n_strat == TS_MAX_STRAT)
        return -1;
    x->strat[x->n_strat] = t;
    return x->n_strat++;
}

/* The names under 'strategy' (one profile, an entry per worker) or
 * 'strategies' (one single-entry profile per name: an axis). */
static int strategy_profiles(ts_experiment *x, const ts_value *v,
                             int per_worker, ts_err *e)
{
    char where[400];
    ts_err sub;
    int rc = want_string(x, v, 1, e);
    if (rc)
        return rc;
    ts_value_where(x, v, where, sizeof where);
    if ((per_worker && v->n > TS_MAX_PROFILE) ||
        (!per_worker && v->n > TS_MAX_STRAT))
        return TS_ERROR(e, TS_EINPUT, "%stoo many entries in '%s' (at most %d)",
                        where, v->key, per_worker ? TS_MAX_PROFILE : TS_MAX_STRAT);
    for (int k = 0; k < v->n; k++) {
        ts_err_clear(&sub);
        const ts_strategy_type *t = ts_registry_strategy(x->reg, v->s[k], &sub);
        if (!t)
            return TS_ERROR(e, TS_EINPUT, "%s%s", where, sub.msg);
        int idx = strat_index(x, t);
        if (idx < 0)
            return TS_ERROR(e, TS_EINPUT, "%sat most %d distinct strategies",
                            where, TS_MAX_STRAT);
        if (per_worker) {
            x->prof[0][k] = (unsigned char)idx;
        } else {
            for (int j = 0; j < x->n_prof; j++)
                if (x->prof[j][0] == idx)
                    return TS_ERROR(e, TS_EINPUT, "%sstrategy '%s' is listed twice",
                                    where, v->s[k]);
            x->prof[x->n_prof][0] = (unsigned char)idx;
            x->prof_len[x->n_prof++] = 1;
        }
    }
    if (per_worker) {
        x->n_prof = 1;
        x->prof_len[0] = v->n;
    }
    x->strat_is_axis = !per_worker;
    return TS_OK;
}

/* Each profile's name ("a,b") and whether every worker reports q. */
static void name_profiles(ts_experiment *x)
{
    for (int p = 0; p < x->n_prof; p++) {
        x->prof_identity[p] = 1;
        size_t used = 0;
        x->prof_name[p][0] = '\0';
        for (int k = 0; k < x->prof_len[p]; k++) {
            const ts_strategy_type *t = x->strat[x->prof[p][k]];
            x->prof_identity[p] &= t->identity;
            int w = snprintf(x->prof_name[p] + used, sizeof x->prof_name[p] - used,
                             "%s%s", k ? "," : "", t->name);
            if (w > 0 && (size_t)w < sizeof x->prof_name[p] - used)
                used += (size_t)w;
        }
    }
}

static int interpret_strategies(ts_experiment *x, ts_err *e)
{
    char where[400];
    const ts_value *one = ts_experiment_value(x, "strategy");
    const ts_value *axis = ts_experiment_value(x, "strategies");
    if (one && axis) {
        ts_value_where(x, axis, where, sizeof where);
        return TS_ERROR(e, TS_EINPUT,
                        "%sgive 'strategy' (a name, or a list per worker) or "
                        "'strategies' (an axis), not both", where);
    }
    x->n_strat = 0;
    x->n_prof = 0;
    if (!one && !axis) {
        x->strat[x->n_strat++] = &ts_strat_truthful;
        x->n_prof = 1;
        x->prof_len[0] = 1;
        x->prof[0][0] = 0;
    } else {
        int rc = strategy_profiles(x, one ? one : axis, one != NULL, e);
        if (rc)
            return rc;
    }
    name_profiles(x);
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Scalars and the check of every key                                  */

/* Keys that cannot be axes: replicas, seed, trajectory, utility. */
static int interpret_scalars(ts_experiment *x, ts_err *e)
{
    char where[400];
    x->replicas = 100;
    x->seed = 1;
    x->trajectory = 0;
    struct { const char *key; double lo, hi; } scal[] = {
        {"replicas", 1, 1e9}, {"seed", 0, 18446744073709551615.0},
        {"trajectory", 0, 1}, {"utility", 0, 1},
    };
    for (size_t k = 0; k < sizeof scal / sizeof scal[0]; k++) {
        const ts_value *v = ts_experiment_value(x, scal[k].key);
        if (!v)
            continue;
        ts_value_where(x, v, where, sizeof where);
        if (v->is_list || v->kind == TS_VAL_STR || v->n != 1)
            return TS_ERROR(e, TS_EINPUT, "%s'%s' must be a single %s", where,
                            v->key, k >= 2 ? "true or false" : "number");
        double d = v->v[0];
        if (d != floor(d) || d < scal[k].lo || d > scal[k].hi)
            return TS_ERROR(e, TS_EINPUT, "%s'%s' = %g must be an integer in [%g, %g]",
                            where, v->key, d, scal[k].lo, scal[k].hi);
        if (k == 0)
            x->replicas = (long)d;
        else if (k == 1)
            x->seed = (uint64_t)d;
        else if (k == 2)
            x->trajectory = (int)d;
        else
            x->utility = (int)d;
    }
    return TS_OK;
}

/* Every other key must be an engine key or a declared, numeric parameter. */
static int check_keys(const ts_experiment *x, ts_err *e)
{
    char where[400];
    for (int k = 0; k < x->n_vals; k++) {
        const ts_value *u = &x->vals[k];
        unsigned flags = 0;
        if (is_engine_key(u->key))
            continue;
        if (!param_known(x, u->key, &flags)) {
            char names[512];
            list_params(x, names, sizeof names);
            ts_value_where(x, u, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT,
                            "%sunknown key '%s' (engine keys: name, description, "
                            "feedback, population, mechanisms, strategy, strategies, N, m, "
                            "m_min, T, epsilon, replicas, seed, trajectory, utility, gain_axis; "
                            "parameters here: %s)",
                            where, u->key, names[0] ? names + 2 : "none");
        }
        if (u->kind != TS_VAL_NUM) {
            ts_value_where(x, u, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT, "%sparameter '%s' must be numeric",
                            where, u->key);
        }
    }
    return TS_OK;
}

/* The numeric engine keys N, m, m_min, T, epsilon: present where needed,
 * numbers (or lists of numbers) in range. */
static int check_shape_keys(const ts_experiment *x, ts_err *e)
{
    char where[400];
    struct { const char *key; int integer; double lo, hi; int lo_open, hi_open;
             const char *why; } num[] = {
        {"N", 1, 2, 1e6, 0, 0, "a game needs at least 2 workers"},
        {"m", 1, 1, 1e6, 0, 0, "each slot needs at least 1 prompt"},
        {"m_min", 1, 1, 1e6, 0, 0, "each slot needs at least 1 prompt"},
        {"T", 1, 1, 4294967295.0, 0, 0, "slots are counted in 32 bits"},
        {"epsilon", 0, 0, 0.5, 0, 1, "Prop. 3 needs a flip rate below 1/2"},
    };
    for (size_t k = 0; k < sizeof num / sizeof num[0]; k++) {
        const ts_value *v = ts_experiment_value(x, num[k].key);
        if (!v) {
            if (!strcmp(num[k].key, "N") || !strcmp(num[k].key, "T"))
                return TS_ERROR(e, TS_EINPUT, "%s: the key '%s' is missing",
                                x->path, num[k].key);
            continue;
        }
        ts_value_where(x, v, where, sizeof where);
        if (v->kind != TS_VAL_NUM || v->rows)
            return TS_ERROR(e, TS_EINPUT, "%s'%s' must be a number or a list of numbers",
                            where, v->key);
        if (!strcmp(num[k].key, "m_min") && v->is_list)
            return TS_ERROR(e, TS_EINPUT, "%s'm_min' must be a single number",
                            where);
        for (int i = 0; i < v->n; i++) {
            double d = v->v[i];
            int bad = (num[k].integer && d != floor(d)) ||
                      (num[k].lo_open ? d <= num[k].lo : d < num[k].lo) ||
                      (num[k].hi_open ? d >= num[k].hi : d > num[k].hi);
            if (bad)
                return TS_ERROR(e, TS_EINPUT,
                                "%s%s = %g is out of range: must be %s in %c%g, %g%c (%s)",
                                where, v->key, d,
                                num[k].integer ? "an integer" : "a number",
                                num[k].lo_open ? '(' : '[', num[k].lo, num[k].hi,
                                num[k].hi_open ? ')' : ']', num[k].why);
        }
    }
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Axes and the grid                                                   */

/* Axes: N, m, T, epsilon, then list-valued scalar parameters by name. */
static int build_axes(ts_experiment *x, ts_err *e)
{
    char where[400];
    x->n_axes = 0;
    for (int k = 0; axis_keys[k]; k++) {
        const ts_value *v = ts_experiment_value(x, axis_keys[k]);
        if (v && v->is_list)
            x->axes[x->n_axes++].val = v;
    }
    const ts_value *pax[TS_MAX_VALUES];
    int npax = 0;
    for (int k = 0; k < x->n_vals; k++) {
        const ts_value *u = &x->vals[k];
        unsigned flags = 0;
        if (is_engine_key(u->key) || !u->is_list)
            continue;
        param_known(x, u->key, &flags);
        /* A list parameter's list (or list of lists, e.g. bands as pairs
         * [[lo, hi], ...], read row by row) is its value, never an axis. */
        if (flags & TS_PARAM_VEC)
            continue;
        if (u->rows) {
            ts_value_where(x, u, where, sizeof where);
            return TS_ERROR(e, TS_EINPUT, "%s'%s' must be a number or a list of numbers",
                            where, u->key);
        }
        int pos = npax;
        while (pos > 0 && strcmp(pax[pos - 1]->key, u->key) > 0) {
            pax[pos] = pax[pos - 1];
            pos--;
        }
        pax[pos] = u;
        npax++;
    }
    for (int k = 0; k < npax; k++) {
        if (x->n_axes == TS_MAX_AXES) {
            ts_value_where(x, pax[k], where, sizeof where);
            return TS_ERROR(e, TS_EINPUT, "%stoo many grid axes (at most %d)",
                            where, TS_MAX_AXES);
        }
        x->axes[x->n_axes++].val = pax[k];
    }
    return TS_OK;
}

/* gain_axis: paired utility gains against that axis's first value. */
static int interpret_gain_axis(ts_experiment *x, ts_err *e)
{
    char where[400];
    x->gain_axis = -1;
    const ts_value *v = ts_experiment_value(x, "gain_axis");
    if (!v)
        return TS_OK;
    int rc = want_string(x, v, 0, e);
    if (rc)
        return rc;
    for (int k = 0; k < x->n_axes; k++)
        if (!strcmp(x->axes[k].val->key, v->s[0]))
            x->gain_axis = k;
    ts_value_where(x, v, where, sizeof where);
    if (x->gain_axis < 0)
        return TS_ERROR(e, TS_EINPUT, "%sgain_axis '%s' is not a swept key "
                        "(a key given as a list)", where, v->s[0]);
    if (!x->utility)
        return TS_ERROR(e, TS_EINPUT, "%sgain_axis needs 'utility: true'", where);
    return TS_OK;
}

static int count_points(ts_experiment *x, ts_err *e)
{
    x->n_points = 1;
    for (int k = 0; k < x->n_axes; k++) {
        x->n_points *= x->axes[k].val->n;
        if (x->n_points > 100000000L)
            return TS_ERROR(e, TS_EINPUT, "%s: the grid has more than 10^8 points",
                            x->path);
    }
    /* What the sweep will hold at least (results.c: 12 arrays per cell and
     * point, one value per replica, the parameters of every mechanism and
     * the population per point), counted before any point is resolved or
     * stored: a small file must not ask for tens of gigabytes.  The cap
     * is the one on trajectories (engine/cell.c). */
    double cells = (double)x->n_mech * (x->n_prof > 0 ? x->n_prof : 1);
    double n_max = 2; /* shares: 2 values per worker, cell and point */
    const ts_value *nv = ts_experiment_value(x, "N");
    for (int k = 0; nv && nv->kind == TS_VAL_NUM && k < nv->n; k++)
        if (nv->v[k] > n_max)
            n_max = nv->v[k];
    double bytes = (double)x->n_points * 8.0 *
                   (cells * (12.0 + 2.0 * n_max + (double)x->replicas) +
                    (double)(x->n_mech + 1) * TS_MAX_PARAMS);
    if (bytes > 8e9)
        return TS_ERROR(e, TS_EINPUT, "%s: the grid's %ld points would need at "
                        "least %.1f GB of results: reduce the grid or replicas",
                        x->path, x->n_points, bytes / 1e9);
    return TS_OK;
}

/* Resolve every point now: preconditions fail at start-up, not mid-sweep.
 * Up to ~2e7 points fit the 8 GB cap, tens of seconds: a stop is looked
 * at every 4096 points (~10 ms), so Ctrl-C ends a load promptly. */
static int resolve_every_point(const ts_experiment *x,
                               const volatile sig_atomic_t *stop, ts_err *e)
{
    for (long p = 0; p < x->n_points; p++) {
        if (stop && (p & 4095) == 0 && *stop)
            return TS_ERROR(e, TS_EINTR, "%s: interrupted while loading",
                            x->path);
        ts_point pt;
        int rc = ts_experiment_point(x, p, &pt, e);
        if (rc)
            return rc;
    }
    return TS_OK;
}

int ts_experiment_interpret(ts_experiment *x, const volatile sig_atomic_t *stop,
                            ts_err *e)
{
    int rc = interpret_name(x, e);
    if (!rc)
        rc = interpret_feedback(x, e);
    if (!rc)
        rc = interpret_plugins(x, e);
    if (!rc)
        rc = interpret_population(x, e);
    if (!rc)
        rc = interpret_mechanisms(x, e);
    if (!rc)
        rc = interpret_strategies(x, e);
    if (!rc)
        rc = interpret_scalars(x, e);
    if (!rc)
        rc = check_keys(x, e);
    if (!rc)
        rc = check_shape_keys(x, e);
    if (!rc)
        rc = build_axes(x, e);
    if (!rc)
        rc = interpret_gain_axis(x, e);
    if (!rc)
        rc = count_points(x, e);
    if (!rc)
        rc = resolve_every_point(x, stop, e);
    return rc;
}

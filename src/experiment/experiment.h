/* experiment.h -- an experiment file, parsed and checked once (STYLE §1).
 *
 * The YAML of SPEC §7.2 is read into a read-only ts_experiment: a list value
 * is a grid axis, a scalar a fixed value, and `--set KEY=VALUE` overrides any
 * key before checking.  Every input error surfaces here, before any run,
 * with the file, line and column ("fig7.yaml:12:5: ...").  Mechanism and
 * population parameters are whatever their vtables declare; their defaults
 * depend on (N, m, T) and are resolved per grid point by ts_experiment_point,
 * and every point's preconditions (e.g. Def. 5's alpha < theta) are checked
 * at load time.
 *
 * Grid points are enumerated in a fixed order: the axes N, m, T, epsilon,
 * then swept parameters in alphabetical order of their keys, the last
 * varying fastest.  Mechanisms and strategies are not points: the engine
 * runs all of them on each point's common random numbers. */
#ifndef TS_EXPERIMENT_H
#define TS_EXPERIMENT_H

#include <signal.h>
#include <stdint.h>

#include "game/game.h"
#include "game/strategy.h"

#define TS_MAX_MECH 32
#define TS_MAX_STRAT 16
#define TS_MAX_AXES 16
#define TS_MAX_VALUES 96
#define TS_MAX_PROFILE 64 /* per-worker strategy entries */

typedef enum { TS_VAL_NUM, TS_VAL_STR, TS_VAL_BOOL } ts_val_kind;

/* One key of the experiment as given (file or --set). */
typedef struct ts_value {
    char key[64];        /* "N", "alpha", "hedge.eta"                        */
    ts_val_kind kind;
    int is_list;         /* written as a list                                */
    int rows;            /* a list of lists: number of inner lists, else 0   */
    int n;               /* numbers in v / strings in s                      */
    double *v;
    char **s;
    int line, col;       /* 1-based; 0 when it came from --set               */
    char origin[96];     /* "--set N=[5,10]" when line == 0                  */
} ts_value;

typedef struct ts_axis {
    const ts_value *val; /* the key and its values                           */
} ts_axis;

typedef struct ts_experiment {
    char *path;          /* as given, for messages; "<default>" if embedded  */
    char *source;        /* the file's text, verbatim                        */
    char *overrides;     /* the --set arguments, one per line                */
    char name[128];
    char description[512];
    ts_feedback feedback;
    const ts_population_type *pop;
    int n_mech;
    const ts_mechanism_type *mech[TS_MAX_MECH];
    /* Strategies (SPEC §4).  strat[] holds each distinct strategy once (its
     * parameters live in ts_point.strat_par[]); a profile says which one each
     * worker plays: prof[p][i] for worker i < prof_len[p], the last entry for
     * the workers after it.  `strategy: NAME` is one profile for everyone;
     * `strategy: [a, b]` one profile, worker 1 plays a and the rest b;
     * `strategies: [a, b]` two profiles -- an output dimension. */
    int n_strat;
    const ts_strategy_type *strat[TS_MAX_STRAT];
    int n_prof;
    int prof_len[TS_MAX_STRAT];
    unsigned char prof[TS_MAX_STRAT][TS_MAX_PROFILE];
    char prof_name[TS_MAX_STRAT][160];
    int prof_identity[TS_MAX_STRAT]; /* every worker reports q           */
    int strat_is_axis;   /* `strategies:` was given: an output dimension     */
    long replicas;
    uint64_t seed;
    int trajectory;      /* record per-slot shares, weights and regret       */
    int utility;         /* record each worker's horizon utilities (eq. 4)   */
    int gain_axis;       /* `gain_axis: KEY`: utilities are also reported as
                            paired gains over the point at KEY's first value
                            (an index into axes[]), or -1                    */
    int n_vals;
    ts_value vals[TS_MAX_VALUES];
    int n_axes;
    ts_axis axes[TS_MAX_AXES];
    long n_points;
    /* Where names were looked up (NULL: the built-ins); `plugins:` loaded
     * into it.  Not owned: the caller's registry outlives x. */
    struct ts_registry *reg;
} ts_experiment;

/* One grid point, fully resolved: shape, noise, every owner's parameters
 * with defaults filled in and preconditions checked. */
typedef struct ts_point {
    long index;                  /* position in the enumeration              */
    int coord[TS_MAX_AXES];      /* index along each axis                    */
    ts_shape shape;
    int m_min;                   /* prompts per slot drawn in [m_min, m]     */
    double epsilon;              /* verification flip probability (Prop. 3) */
    ts_params pop_par;
    ts_params mech_par[TS_MAX_MECH];
    ts_params strat_par[TS_MAX_STRAT];
    uint32_t env_id;             /* RNG point id of the environment          */
} ts_point;

/* Parse and check.  text may be NULL (read path) or the experiment itself
 * (path then only names it in messages).  set: n_set "KEY=VALUE" strings. */
int ts_experiment_load(ts_experiment **out, const char *path, const char *text,
                       int n_set, char *const *set, ts_err *e);
/* The same, names looked up in reg (game/registry.h; NULL: the built-ins
 * only).  The experiment's `plugins: [a.so, ...]` key loads those files
 * into reg first, each path relative to the experiment file's directory;
 * without a registry that key is refused. */
int ts_experiment_load_reg(ts_experiment **out, const char *path,
                           const char *text, int n_set, char *const *set,
                           struct ts_registry *reg, ts_err *e);
/* The same, polling *stop (the caller's SIGINT/SIGTERM flag; NULL: never
 * stops) while the grid's points are resolved, which takes tens of
 * seconds for a grid of 10^7 points: TS_EINTR "PATH: interrupted while
 * loading", nothing kept. */
int ts_experiment_load_stop(ts_experiment **out, const char *path,
                            const char *text, int n_set, char *const *set,
                            struct ts_registry *reg,
                            const volatile sig_atomic_t *stop, ts_err *e);
void ts_experiment_free(ts_experiment *x);

/* Resolve point idx (0 <= idx < n_points). */
int ts_experiment_point(const ts_experiment *x, long idx, ts_point *pt,
                        ts_err *e);

/* The experiment as run (after --set), as canonical YAML; caller frees. */
char *ts_experiment_canonical(const ts_experiment *x);

/* The value of a key, or NULL. */
const ts_value *ts_experiment_value(const ts_experiment *x, const char *key);

/* "file:line:col: " or "--set K=V: " for messages about a value. */
void ts_value_where(const ts_experiment *x, const ts_value *v, char *buf,
                    size_t len);

/* The embedded default: the paper's Fig. 7 at a reduced replica count. */
extern const char ts_default_experiment[];

#endif

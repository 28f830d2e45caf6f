/* e2e_exp.h -- an end-to-end experiment file (`kind: e2e`; paper Sec.
 * VII-B, SPEC §6), its run over the grid mechanism x strategy x preset x N
 * with R replicas of T rounds each, and its HDF5 file
 * (docs/results-format.md, "End-to-end files").
 *
 * Keys: kind: e2e; name; description; population (one with prompt
 * texts, game.h: spectrum by default, or deepsense with data: DIR, the
 * directory of DeepSense files it replays, games/spectrum.h);
 * feedback (full | limited); mechanisms; strategies (or strategy);
 * preset (a name or a list: the trainer's presets, dpo_model.h); N (a
 * number or a list); m (training prompts a round); m_test (test prompts a
 * round); rounds; replicas; seed; epsilon; restart (policy from the
 * reference each round); init (an llm.c checkpoint, every preset then
 * being the checkpoint's size); dpo: {beta, lr, batch, epochs, lora_rank,
 * lora_alpha, lora_dropout} (the paper's values by default);
 * MECH.KEY / STRATEGY.KEY / POPULATION.KEY scalar parameters.
 *
 * Common random numbers: every cell of an (N, replica) shares the game's
 * draws and the reference model (point id = hash of N).  Yet each
 * (cell, replica) is computed on its own from those keys, so a cell's
 * numbers do not depend on which other cells run, where or when: the
 * cells are the grid points of point files, resume, merge and
 * truthsim-mpi (cli/e2e.c, results/points.h). */
#ifndef TS_E2E_EXP_H
#define TS_E2E_EXP_H

#include <signal.h>

#include "e2e/e2e.h"

#define TS_E2E_MAX 16
/* The most bytes of DeepSense windows `data` may hold in memory (8 GiB). */
#define TS_E2E_DATA_MAX_BYTES ((size_t)8 << 30)

/* Metrics per round, in file order (ts_e2e_metric_names). */
enum { TS_E2E_N_METRIC = 10 };
extern const char *const ts_e2e_metric_names[TS_E2E_N_METRIC];

typedef struct ts_e2e_exp {
    char *path, *source;   /* as given; the file's text (with --set lines) */
    char *canonical;       /* the values as run (after --set), canonical
                              YAML (experiment.h): its hash names the
                              experiment's point files                   */
    char name[128], description[512];
    ts_feedback feedback;
    int n_mech, n_strat, n_preset, n_N;
    const ts_mechanism_type *mech[TS_E2E_MAX];
    const ts_strategy_type *strat[TS_E2E_MAX];
    ts_params mech_par[TS_E2E_MAX], strat_par[TS_E2E_MAX], pop_par;
    char preset[TS_E2E_MAX][32];
    long Ns[TS_E2E_MAX];
    int m, m_test, restart;
    long rounds, replicas;
    uint64_t seed;
    double epsilon;
    char init[1024];       /* "" for none                                  */
    const ts_population_type *pop;
    char data[1024];       /* `data: DIR` as given, "" for none            */
    struct ts_spectrum_set *set; /* its windows, read once at load         */
    ts_dpo_options dpo;
} ts_e2e_exp;

/* 1 when the YAML file at path says `kind: e2e` (0 on any error: the
 * ordinary loader then reports it). */
int ts_e2e_file_is(const char *path);
/* The same for an experiment's text (path only names it). */
int ts_e2e_text_is(const char *path, const char *text);

/* Read and check; every error names file:line:col. */
int ts_e2e_exp_load(ts_e2e_exp **out, const char *path, int n_set,
                    char *const *set, ts_err *e);
/* The same from text (NULL: read path), e.g. a point file's canonical
 * text; path names it in messages. */
int ts_e2e_exp_load_text(ts_e2e_exp **out, const char *path, const char *text,
                         int n_set, char *const *set, ts_err *e);
void ts_e2e_exp_free(ts_e2e_exp *x);

/* Cells: (mechanism, strategy, preset, N), C order. */
long ts_e2e_exp_cells(const ts_e2e_exp *x);

/* Called when every replica of `cell` has finished, its rows of out
 * (from out + cell * R * T * M) complete; one call at a time (the caller
 * may write files).  A non-zero status starts no more tasks and fails the
 * run. */
typedef int (*ts_e2e_cell_fn)(void *ctx, long cell, ts_err *e);

typedef struct ts_e2e_run_opts {
    int threads;                  /* OpenMP threads; <= 0: all           */
    volatile sig_atomic_t *stop;  /* polled between tasks, or NULL       */
    const unsigned char *skip;    /* [cells]: 1 = not to run (finished
                                     earlier, or another rank's), or NULL */
    ts_e2e_cell_fn cell_done;     /* or NULL                              */
    void *ctx;
} ts_e2e_run_opts;

/* Run every (cell, replica) of the cells not skipped -- in parallel over
 * them, each trainer on one thread, so the results do not depend on the
 * thread count -- into out[cell][replica][round][metric].  A stop gives
 * TS_EINTR once the running tasks are done (cells they complete still
 * reach cell_done).  tm (may be NULL) sums the time of every task. */
int ts_e2e_exp_run(const ts_e2e_exp *x, const ts_e2e_run_opts *o, double *out,
                   ts_e2e_timing *tm, ts_err *e);

/* Means over replicas and 95 % CI half-widths of out into one HDF5 file
 * (complete or absent). */
int ts_e2e_exp_write(const ts_e2e_exp *x, const double *out,
                     const char *path, const char *command_line,
                     const volatile sig_atomic_t *stop, ts_err *e);

#endif

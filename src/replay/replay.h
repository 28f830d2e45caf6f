/* replay.h -- run a mechanism on recorded reports (SPEC §7.1): no
 * simulation, the reports and the verified states come from a CSV file. */
#ifndef TS_REPLAY_H
#define TS_REPLAY_H

#include <signal.h>
#include <stdint.h>

#include "game/game.h"

/* A recorded game.  Symbols: T slots, N workers, M = max_t m_t. */
typedef struct ts_reports {
    long T;
    int N, M;
    int *m;          /* [T]        prompts in slot t                         */
    double *r;       /* [T][N][M]  r[(t*N + i)*M + j]; NaN past m_t          */
    double *truth;   /* [T][M]     verified state pv (0/1); NaN past m_t     */
    char sha256[65]; /* of the file's bytes                                  */
} ts_reports;

/* Read and check a CSV with a header naming at least slot, prompt, worker,
 * report, truth (any order, extra columns ignored, rows in any order).
 * Errors name the file and line: "r.csv:17: report 1.25 is outside [0,1]". */
int ts_reports_read_csv(ts_reports *rp, const char *path, ts_err *e);
void ts_reports_free(ts_reports *rp);

/* Read SELECTED.csv (header slot,worker): the k workers heard in each slot
 * (k = 1 for Def. 5 and exp3), into sel[T][k], each slot's increasing.  A
 * slot with other than k distinct workers is refused with file and line. */
int ts_selected_read_csv(int32_t *sel, long T, int N, int k, const char *path,
                         ts_err *e);

typedef struct ts_replay_out {
    long T;
    int N, M;
    double *share;       /* [T+1][N]  w^t / sum w before slot t              */
    double *label;       /* [T][M]    A_j (limited: the heard report); NaN past m_t */
    double *worker_loss; /* [T][N]    (1/m_t) sum_j (r_ij - truth_j)^2       */
    double *loss;        /* [T]       platform loss (eq. 12 when limited)    */
    double *regret;      /* [T]       cumulative regret                      */
    int k;               /* workers heard per slot (limited), else N          */
    int32_t *selected;   /* [T][k]    limited feedback only, else NULL       */
    double *theta;       /* [T][N]    limited: probability each was heard    */
    ts_params par;       /* every parameter value used                       */
    int status;          /* TS_OK, or TS_ENOCONV if an iteration hit its cap */
} ts_replay_out;

/* Run mt on rp.  par holds the user's settings (set[] flags); defaults
 * are filled from (N, M, T) and preconditions checked.  Under limited
 * feedback the heard workers come from selected_path (SELECTED.csv) or,
 * when it is NULL, are drawn from theta (or uniformly, for the subset
 * baselines) with a Philox stream keyed by seed and the mechanism's name. */
int ts_replay_run(const ts_reports *rp, const ts_mechanism_type *mt,
                  const ts_params *par, const char *selected_path,
                  uint64_t seed, ts_replay_out *out, ts_err *e);
/* The same, polling the caller's stop flag (its SIGINT/SIGTERM handler's)
 * after each slot: TS_EINTR, nothing kept. */
int ts_replay_run_stop(const ts_reports *rp, const ts_mechanism_type *mt,
                       const ts_params *par, const char *selected_path,
                       uint64_t seed, const volatile sig_atomic_t *stop,
                       ts_replay_out *out, ts_err *e);
void ts_replay_out_free(ts_replay_out *o);

/* One mechanism's file, SPEC §7.1: the datasets and every attribute at
 * the root. */
int ts_replay_write(const ts_replay_out *o, const ts_reports *rp,
                    const ts_mechanism_type *mt, uint64_t seed,
                    const char *input_path, const char *command_line,
                    const char *path, const volatile sig_atomic_t *stop,
                    ts_err *e);

/* ------------------------------------------------------------------ */
/* Several mechanisms on one file of reports (compare.c).              */

/* Resamples of the slots behind each mean loss's bootstrap interval. */
enum { TS_REPLAY_BOOT_B = 2000 };

typedef struct ts_replay_summary {
    int n;                /* mechanisms                                    */
    int N;                /* workers                                       */
    long T;               /* slots                                         */
    double *final_regret; /* [n] R(T)                                      */
    double *mean_loss;    /* [n] (1/T) sum_t L_t                           */
    double *ci_lo, *ci_hi;/* [n] its 95 % percentile bootstrap interval
                             over slots (paired: the same resamples for
                             every mechanism, keyed by the seed alone)     */
    double *final_share;  /* [n][N] w_i^{T+1} / sum_k w_k^{T+1}            */
    int32_t *rank;        /* [n][N] 1 = largest final share, ties to the
                             lower worker index                            */
} ts_replay_summary;

/* Summarise n replays of the same reports (equal T and N). */
int ts_replay_summarise(const ts_replay_out *o, int n, uint64_t seed,
                        ts_replay_summary *s, ts_err *e);
void ts_replay_summary_free(ts_replay_summary *s);

/* The comparison file: one group per mechanism (named after it) holding
 * ts_replay_write's datasets and mechanism attributes, and at the root,
 * over a `mechanism` coordinate: final_regret, mean_loss,
 * mean_loss_ci_low, mean_loss_ci_high, final_share and worker_rank
 * [mechanism][worker] and regret [mechanism][slot], with the provenance and input attributes. */
int ts_replay_write_many(const ts_replay_out *o,
                         const ts_mechanism_type *const *mt, int n,
                         const ts_replay_summary *s, const ts_reports *rp,
                         uint64_t seed, const char *input_path,
                         const char *command_line, const char *path,
                         const volatile sig_atomic_t *stop, ts_err *e);

#endif

/* progress.h -- progress on stderr: a bar with rate and ETA on a terminal,
 * a plain line every few seconds otherwise (logs, CI). */
#ifndef TS_PROGRESS_H
#define TS_PROGRESS_H

typedef struct ts_progress {
    long total;      /* units of work (replicas over all points)   */
    long base;       /* units finished before the current point    */
    long done;
    int tty;         /* stderr is a terminal                       */
    int quiet;
    double t0, last; /* seconds (monotonic)                        */
    const char *what;
} ts_progress;

void ts_progress_init(ts_progress *p, long total, const char *what, int quiet);
/* Callback for ts_run_opts.progress: done within the current point. */
void ts_progress_update(void *ctx, long done);
void ts_progress_next_point(ts_progress *p, long point_units);
void ts_progress_finish(ts_progress *p);
double ts_now(void);

#endif

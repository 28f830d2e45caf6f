/* points.h -- one file per grid point, resume, and merge (issue "sweeps").
 *
 * `truthsim run EXP -o OUT.h5` writes each finished point to
 * OUT.h5.points/point-NNNNNN.h5 (a temporary name, then a rename, so a
 * file there is always complete), and merges them into OUT.h5 at the end.
 * Each point file carries the SHA-256 of the experiment as run (canonical
 * text after --set) and the point's coordinates; a rerun skips points whose
 * hash matches and refuses (unless --force) files made by another
 * experiment.  Point files hold the point's slice of every ts_sweep array
 * (ts_sweep_fields), so merging is exact: the merged file equals an
 * uninterrupted run's, bit for bit in every dataset.
 *
 * The same files serve any experiment whose results split into points:
 * ts_points is the view these functions need -- the arrays, the done
 * mask and the texts -- and the ts_sweep functions below are that view
 * of a sweep; end-to-end experiments (cli/e2e.c) have their own. */
#ifndef TS_POINTS_H
#define TS_POINTS_H

#include <signal.h>
#include "results/results.h"

/* SHA-256 of the canonical experiment text, as 64 hex digits. */
int ts_experiment_hash(const ts_experiment *x, char out[65], ts_err *e);
/* SHA-256 of any text, as 64 hex digits. */
void ts_text_hash(const char *text, char out[65]);

/* What point files hold: n_points points, point p's slice of each array
 * f[k] being f[k].data[(row * n_points + p) * per ...] for every row
 * (ts_sweep_field's layout), and the experiment's canonical text (whose
 * hash the files carry; merge reloads the experiment from it), its text
 * as given and the path it was loaded from. */
typedef struct ts_points {
    long n_points;
    int nf;
    ts_sweep_field f[TS_MAX_FIELDS];
    unsigned char *completed;         /* [n_points]: set as points load   */
    const char *canon, *source, *path; /* canon may be NULL for reading   */
} ts_points;

/* The view of a sweep (canon NULL: read only). */
void ts_points_of_sweep(ts_points *ps, const ts_sweep *sw, const char *canon);
int ts_points_write_one(const ts_points *ps, long p, const char *path,
                        const char *hash, const char *command_line, ts_err *e);
int ts_points_read_one(ts_points *ps, long p, const char *path,
                       const char *hash, ts_err *e);
/* ts_points_load_stop for any view. */
int ts_points_load_all(ts_points *ps, const char *dir, const char *hash,
                       int force, const volatile sig_atomic_t *stop,
                       long *n_loaded, ts_err *e);
/* A run's start: the points an earlier run of the same experiment left
 * in dir (ts_points_load_all), then -- unless stop is up: TS_EINTR before
 * anything exists -- dir created if need be and a SIGKILLed run's
 * temporaries in it removed. */
int ts_points_resume(ts_points *ps, const char *dir, const char *hash,
                     int force, const volatile sig_atomic_t *stop,
                     long *n_loaded, ts_err *e);

/* OUT.h5.points -- the directory of point files for output path out. */
void ts_points_dir(const char *out, char *buf, size_t len);
/* DIR/point-NNNNNN.h5 */
void ts_point_path(const char *dir, long p, char *buf, size_t len);

/* Write point p's slice of sw. */
int ts_point_write(const ts_sweep *sw, long p, const char *path,
                   const char *hash, const char *command_line, ts_err *e);

/* Read a point file's hash and index without loading it.  TS_EINPUT if the
 * file cannot be read as a point file. */
int ts_point_peek(const char *path, char hash[65], long *index, ts_err *e);

/* Load point p's slice into sw and mark it completed.  The file's hash
 * must equal hash (TS_EINPUT otherwise, naming both). */
int ts_point_read(ts_sweep *sw, long p, const char *path, const char *hash,
                  ts_err *e);

/* The experiment text stored in a point file and the path it was loaded
 * from (caller frees both). */
char *ts_point_experiment(const char *path, char **exp_path, ts_err *e);
/* The experiment's text as given (attribute experiment_source), or NULL
 * when the file has none or cannot be read; caller frees. */
char *ts_point_source(const char *path);

/* Load every point file of dir whose hash matches into sw.  With force,
 * mismatching files are deleted; without, the first one is an error.
 * *n_loaded gets the number of points loaded. */
int ts_points_load(ts_sweep *sw, const char *dir, const char *hash, int force,
                   long *n_loaded, ts_err *e);
/* The same, polling the caller's SIGINT/SIGTERM flag before each file
 * (merge): TS_EINTR. */
int ts_points_load_stop(ts_sweep *sw, const char *dir, const char *hash,
                        int force, const volatile sig_atomic_t *stop,
                        long *n_loaded, ts_err *e);

#endif

/* e2e.h -- an end-to-end experiment's results as `run` and `merge` hold
 * them (e2e.c): every (cell, replica, round, metric) of the run, the cells
 * finished, and their point-file view (results/points.h), in which the
 * grid points are the cells (mechanism x strategy x preset x N; e2e_exp.h
 * says why each is independent of the others). */
#ifndef TS_CLI_E2E_H
#define TS_CLI_E2E_H

#include <signal.h>

#include "e2e/e2e_exp.h"
#include "results/points.h"

typedef struct ts_cli_e2e {
    ts_e2e_exp *x;
    double *res;          /* [cell][replica][round][metric]                */
    unsigned char *done;  /* [cell]                                        */
    ts_points ps;         /* one array, replica_metrics: [1][cell][R T M]  */
    char hash[65];        /* SHA-256 of x->canonical: names point files    */
} ts_cli_e2e;

/* The results of x (owned from now on, freed with r even on failure). */
int ts_cli_e2e_init(ts_cli_e2e *r, ts_e2e_exp *x, ts_err *e);
/* The experiment a point file stores (ts_point_experiment: its path,
 * canonical text and text as given, or NULL), ready for its point files. */
int ts_cli_e2e_from_text(ts_cli_e2e *r, const char *path, const char *canon,
                         const char *source, ts_err *e);
void ts_cli_e2e_free(ts_cli_e2e *r);

/* The result file (ts_e2e_exp_write); every cell must be done, else
 * TS_EINPUT naming how many are missing from dir.  stop (may be NULL) is
 * looked at once more before the rename (base/outfile.h): TS_EINTR. */
int ts_cli_e2e_write(const ts_cli_e2e *r, const char *out, const char *dir,
                     const char *command_line,
                     const volatile sig_atomic_t *stop, ts_err *e);

#endif

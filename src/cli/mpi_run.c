/* mpi_run.c -- truthsim-mpi's distribution hook (cli.h ts_cli_dist): the
 * grid points of `run` spread over MPI ranks (issue "sweeps").
 *
 * Rank 0 hands grid points to the other ranks one at a time, largest first
 * (the caller's cost), so the long points start early and the short ones
 * fill the gaps; each worker runs its point with OpenMP inside and writes
 * the point file itself (the directory must be shared by the ranks).
 * Results are those of the plain run bit for bit: a point's numbers do not
 * depend on who computes it.  On SIGINT/SIGTERM the master stops handing
 * out work; finished points stay on disk and a rerun completes the rest.
 *
 * Messages: worker -> master {kind, value}: kind 0 = ready (value = the
 * point it finished, or -1), 1 = failed; master -> worker: a point index,
 * or -1 to stop.  Compiled into truthsim-mpi only. */
#include <mpi.h>
#include <stdlib.h>

#include "cli/cli.h"

enum { TAG_TO_MASTER = 1, TAG_TO_WORKER = 2 };

/* The points not completed, largest cost first; ties keep grid order.
 * *n gets their number; NULL when out of memory. */
static long *hand_out_order(const ts_cli_grid *g, long *n)
{
    const size_t len = (size_t)(g->n_points ? g->n_points : 1);
    long *order = malloc(len * sizeof *order);
    double *cost = malloc(len * sizeof *cost);
    if (!order || !cost) {
        free(order);
        free(cost);
        return NULL;
    }
    *n = 0;
    for (long p = 0; p < g->n_points; p++)
        if (!g->completed[p]) {
            cost[p] = g->cost ? g->cost(g->ctx, p) : 0;
            /* Insertion by cost, largest first; ties keep grid order. */
            long k = (*n)++;
            while (k > 0 && cost[order[k - 1]] < cost[p]) {
                order[k] = order[k - 1];
                k--;
            }
            order[k] = p;
        }
    free(cost);
    return order;
}

static int master(const ts_cli_grid *g, volatile sig_atomic_t *stop,
                  int *interrupted, int *failed, ts_err *e)
{
    long n = 0, *order = hand_out_order(g, &n);
    if (!order)
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long next = 0;
    int active = size - 1, rc = TS_OK;
    while (active > 0) {
        long msg[2];
        MPI_Status st;
        MPI_Recv(msg, 2, MPI_LONG, MPI_ANY_SOURCE, TAG_TO_MASTER, MPI_COMM_WORLD, &st);
        if (msg[0] == 1) {
            *failed = 1;
            if (!rc)
                rc = TS_ERROR(e, TS_EIO, "rank %d failed on grid point %ld",
                              st.MPI_SOURCE, msg[1]);
        }
        if (stop && *stop)
            *interrupted = 1;
        long give = -1;
        if (!*interrupted && !*failed && next < n)
            give = order[next++];
        MPI_Send(&give, 1, MPI_LONG, st.MPI_SOURCE, TAG_TO_WORKER, MPI_COMM_WORLD);
        if (give < 0)
            active--;
    }
    if (next < n)
        *interrupted = *interrupted || !*failed;
    free(order);
    return rc;
}

static int worker(ts_cli_point_fn run_point, void *ctx, int *interrupted,
                  ts_err *e)
{
    long msg[2] = {0, -1};
    int rc = TS_OK;
    for (;;) {
        long p;
        MPI_Send(msg, 2, MPI_LONG, 0, TAG_TO_MASTER, MPI_COMM_WORLD);
        MPI_Recv(&p, 1, MPI_LONG, 0, TAG_TO_WORKER, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (p < 0)
            break;
        rc = run_point(ctx, p, e);
        if (rc == TS_EINTR)
            *interrupted = 1;
        msg[0] = rc && rc != TS_EINTR ? 1 : 0;
        msg[1] = p;
        if (rc == TS_EINTR)
            msg[1] = -1; /* not finished: nothing to report */
    }
    return rc;
}

void ts_cli_mpi_dist(ts_cli_dist *d)
{
    d->rank = 0;
    d->size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    d->master = master;
    d->worker = worker;
}

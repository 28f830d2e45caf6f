/* replay.c -- a mechanism run on recorded reports (SPEC §7.1): its labels,
 * shares and regret, slot by slot, through the one slot step (game/slot.h)
 * that the simulation uses too.
 *
 * With recorded data there are no beliefs and no hidden true states: the
 * recorded verified state is both the platform's truth p (its loss, eq. 5
 * or eq. 12) and the verified state pv of the update, and the regret
 * comparator is each worker's loss on his reports against it:
 *   regret_t = sum_{s<=t} L_s - min_i sum_{s<=t} l_i^s.
 * Under limited feedback (Sec. VI) the heard workers come from SELECTED.csv
 * or are drawn from theta (uniform k-subsets for the subset baselines).
 *
 * Symbols: T slots, N workers, m = m_t prompts in slot t, M = max_t m_t,
 * r reports, A labels, L platform loss, l worker loss, theta draw
 * probabilities, k workers heard per slot.
 *
 * Left out: strategies and verification noise (the reports and the
 * verified states are as recorded). */
#include "replay/replay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "base/streams.h"
#include "game/slot.h"

void ts_replay_out_free(ts_replay_out *o)
{
    if (!o)
        return;
    free(o->share);
    free(o->label);
    free(o->worker_loss);
    free(o->loss);
    free(o->regret);
    free(o->selected);
    free(o->theta);
    memset(o, 0, sizeof *o);
}

/* The replay's scratch, sized for (N, M): allocated once, no malloc in the
 * slot loop (STYLE §3). */
typedef struct replay_ws {
    double *r;    /* [N][m] this slot's reports, packed densely            */
    double *rh;   /* [N][m] the heard rows (the slot step's scratch)       */
    double *hl;   /* [N] the heard rows' losses (the slot step's scratch)  */
    double *cum;  /* [N] sum_{s<=t} l_i^s, the regret comparator           */
    double *logw; /* [N] log weights, for the shares                       */
    int *sel;     /* [N] heard workers (the slot step's scratch)           */
    int *given;   /* [N] this slot's row of SELECTED.csv                   */
} replay_ws;

static void ws_free(replay_ws *w)
{
    free(w->r);
    free(w->rh);
    free(w->hl);
    free(w->cum);
    free(w->logw);
    free(w->sel);
    free(w->given);
}

/* The output arrays and the scratch; out->T, N, M and k are set. */
static int replay_alloc(ts_replay_out *out, int limited, replay_ws *w,
                        ts_err *e)
{
    const size_t T = (size_t)out->T, N = (size_t)out->N, M = (size_t)out->M;
    out->share = malloc((T + 1) * N * sizeof(double));
    out->label = malloc(T * M * sizeof(double));
    out->worker_loss = malloc(T * N * sizeof(double));
    out->loss = malloc(T * sizeof(double));
    out->regret = malloc(T * sizeof(double));
    if (limited) {
        out->selected = malloc(T * (size_t)out->k * sizeof *out->selected);
        out->theta = malloc(T * N * sizeof *out->theta);
    }
    w->r = malloc(N * M * sizeof *w->r);
    w->rh = malloc(N * M * sizeof *w->rh);
    w->hl = malloc(N * sizeof *w->hl);
    w->cum = calloc(N, sizeof *w->cum);
    w->logw = malloc(N * sizeof *w->logw);
    w->sel = malloc(N * sizeof *w->sel);
    w->given = malloc(N * sizeof *w->given);
    if (!out->share || !out->label || !out->worker_loss || !out->loss ||
        !out->regret || !w->r || !w->rh || !w->hl || !w->cum || !w->logw ||
        !w->sel || !w->given || (limited && (!out->selected || !out->theta)))
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    return TS_OK;
}

/* Def. 5 and exp3 draw a worker with probability theta_i: a heard worker
 * with theta_i = 0 could never have been drawn, so the recorded selection
 * (or a draw) naming one is refused. */
static int check_heard(const ts_mechanism_type *mt, const double *theta,
                       const int *heard, int k, const char *who, long t,
                       ts_err *e)
{
    if (!mt->theta)
        return TS_OK;
    for (int h = 0; h < k; h++)
        if (!(theta[heard[h]] > 0))
            return TS_ERROR(e, TS_EINPUT,
                            "%s: slot %ld: worker %d cannot be drawn (theta = 0)",
                            who, t, heard[h]);
    return TS_OK;
}

/* Everything a slot of the replay shares with the next. */
typedef struct replay_run {
    const ts_reports *rp;
    ts_mech *mech;
    const char *selected_path; /* NULL: the heard workers are drawn       */
    ts_rng *draw;
    replay_ws *w;
    ts_replay_out *out;
    double cum_loss;           /* sum_{s<t} L_s                            */
} replay_run;

/* Sec. VI: who may be heard in slot t (theta, into out->theta) and, with
 * SELECTED.csv, who is: its row, checked, handed to the step as given. */
static int limited_setup(replay_run *run, long t, ts_step *s, ts_err *e)
{
    const ts_mech *mech = run->mech;
    ts_replay_out *out = run->out;
    const int N = out->N, k = out->k;
    double *theta = out->theta + (size_t)t * (size_t)N;
    ts_step_theta(mech->type, mech->st, N, k, theta);
    s->theta = theta;
    s->k = k;
    s->draw = run->draw;
    s->given = NULL;
    if (!run->selected_path)
        return TS_OK;
    const int32_t *srow = out->selected + (size_t)t * (size_t)k;
    for (int h = 0; h < k; h++)
        run->w->given[h] = srow[h];
    s->given = run->w->given;
    return check_heard(mech->type, theta, s->given, k, run->selected_path, t, e);
}

/* One recorded slot: shares before it, the slot step on its reports with
 * the recorded truth as p and pv, then the worker losses and the regret. */
static int replay_slot(replay_run *run, long t, ts_err *e)
{
    const ts_reports *rp = run->rp;
    const ts_mechanism_type *mt = run->mech->type;
    ts_replay_out *out = run->out;
    replay_ws *w = run->w;
    const int N = rp->N, M = rp->M, m = rp->m[t];
    const double *truth = rp->truth + (size_t)t * (size_t)M;
    /* Pack this slot's reports densely: [N][m_t]. */
    for (int i = 0; i < N; i++)
        memcpy(w->r + (size_t)i * m, rp->r + ((size_t)t * N + (size_t)i) * M,
               (size_t)m * sizeof *w->r);
    mt->log_weights(run->mech->st, w->logw);
    ts_shares_from_log(N, w->logw, out->share + (size_t)t * N);
    double *wl = out->worker_loss + (size_t)t * N;
    ts_sq_loss_rows(w->r, N, m, truth, wl, NULL);

    ts_step s = {.t = t, .N = N, .m = m, .r = w->r, .p = truth, .pv = truth,
                 .rl = wl, .loss = NULL, .rh = w->rh, .sel = w->sel,
                 .hl = w->hl, .A = out->label + (size_t)t * M, .L = 0};
    int rc = mt->feedback == TS_LIMITED ? limited_setup(run, t, &s, e) : TS_OK;
    if (rc)
        return rc;
    rc = ts_slot_step(mt, run->mech->st, &s, e);
    if (rc == TS_ENOCONV) { /* the labels are usable: noted, and on */
        out->status = TS_ENOCONV;
        rc = TS_OK;
    }
    if (rc == TS_ENONFINITE && !isfinite(s.L)) /* the step's own check */
        return TS_ERROR(e, TS_ENONFINITE, "slot %ld: a label or loss is not finite", t);
    if (rc)
        return rc;
    if (s.heard && !run->selected_path) {
        int32_t *srow = out->selected + (size_t)t * (size_t)out->k;
        for (int h = 0; h < s.n_heard; h++)
            srow[h] = s.heard[h];
        rc = check_heard(mt, s.theta, s.heard, s.n_heard, "draw", t, e);
        if (rc)
            return rc;
    }
    for (int j = m; j < M; j++)
        s.A[j] = NAN;
    out->loss[t] = s.L;
    double best = INFINITY;
    for (int i = 0; i < N; i++) {
        w->cum[i] += wl[i];
        if (w->cum[i] < best)
            best = w->cum[i];
    }
    run->cum_loss += s.L;
    out->regret[t] = run->cum_loss - best;
    return TS_OK;
}

int ts_replay_run(const ts_reports *rp, const ts_mechanism_type *mt,
                  const ts_params *par, const char *selected_path,
                  uint64_t seed, ts_replay_out *out, ts_err *e)
{
    return ts_replay_run_stop(rp, mt, par, selected_path, seed, NULL, out, e);
}

int ts_replay_run_stop(const ts_reports *rp, const ts_mechanism_type *mt,
                       const ts_params *par, const char *selected_path,
                       uint64_t seed, const volatile sig_atomic_t *stop,
                       ts_replay_out *out, ts_err *e)
{
    memset(out, 0, sizeof *out);
    const int N = rp->N;
    const int limited = mt->feedback == TS_LIMITED;
    const ts_shape g = {N, rp->M, rp->T, mt->feedback};
    ts_mech mech;
    int rc = ts_mech_alloc(&mech, mt, &g, par, e);
    if (rc)
        return rc;
    out->par = mech.par;
    if (selected_path && !limited) {
        ts_mech_free(&mech);
        return TS_ERROR(e, TS_EINPUT, "--selected needs a limited-feedback mechanism");
    }
    const int k = ts_step_k(mt, &g, &mech.par);
    if (k < 1 || k > N) {
        ts_mech_free(&mech);
        return TS_ERROR(e, TS_EINVAL, "%s hears %d of %d workers", mt->name, k, N);
    }
    out->T = rp->T;
    out->N = N;
    out->M = rp->M;
    out->k = k;
    replay_ws w = {0};
    rc = replay_alloc(out, limited, &w, e);
    if (!rc && selected_path)
        rc = ts_selected_read_csv(out->selected, rp->T, N, k, selected_path, e);
    /* Who is heard: a Philox stream keyed by the seed and the mechanism's
     * name (base/streams.h), positioned at the slot by the step. */
    ts_rng draw;
    ts_rng_init(&draw, seed, ts_mech_stream_id(0, mt->name), 0, TS_STREAM_SELECT);
    replay_run run = {rp, &mech, selected_path, &draw, &w, out, 0};
    for (long t = 0; !rc && t < rp->T; t++) {
        rc = replay_slot(&run, t, e);
        if (!rc && stop && *stop)
            rc = TS_ERROR(e, TS_EINTR, "interrupted at slot %ld", t);
    }
    if (!rc) {
        mt->log_weights(mech.st, w.logw);
        ts_shares_from_log(N, w.logw, out->share + (size_t)rp->T * N);
    }
    ws_free(&w);
    ts_mech_free(&mech);
    if (rc)
        ts_replay_out_free(out);
    return rc;
}

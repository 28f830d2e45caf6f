/* claim.h -- what every claim of `truthsim check` shares (SPEC §5): the
 * rows a claim yields (claim id, mechanism, statistic, value, expected or
 * bound, CI, pass), the options it runs under, and the helpers each claim
 * file uses -- adding a row, scaling a size, resolving a mechanism (with a
 * test's stand-ins), and running an experiment given as YAML text through
 * the loader and engine users run.  The table of claims is claims.h; the
 * claims themselves are claims_slot.c, claims_horizon.c and
 * claims_dynamics.c, declared at the end.  Nothing here prints. */
#ifndef TS_CLAIM_H
#define TS_CLAIM_H

#include <signal.h>

#include "base/err.h"
#include "engine/engine.h"
#include "game/game.h"

typedef struct ts_claim_row {
    char claim[16];      /* prop1, thm1, ...                                 */
    char mechanism[24];
    char statistic[96];  /* what value measures                              */
    double value;
    double expected;     /* the bound or target value                        */
    double ci;           /* 95 % half-width, 0 when exact                    */
    char relation[4];    /* how value must relate to expected: "<=", ">", ...*/
    int pass;            /* 1, 0, or -1 for a finding reported, not asserted */
} ts_claim_row;

typedef struct ts_check_opts {
    int threads;
    double scale;                /* 1 = the default sizes; < 1 smaller      */
    volatile sig_atomic_t *stop;
    /* Vtables that stand in for the registered mechanism of the same name
     * and feedback in the claims computed from vtables (best responses,
     * Lemma 1) -- how a test shows that a claim fails for a mechanism made
     * untruthful on purpose.  NULL-terminated, or NULL. */
    const struct ts_mechanism_type *const *replace;
    /* The mechanisms the claim `truthful` tests (any mechanism: a plugin's
     * too, `check --mechanism`), NULL-terminated, or NULL for none. */
    const struct ts_mechanism_type *const *subjects;
} ts_check_opts;

typedef struct ts_claim_list {
    int n, cap;
    ts_claim_row *rows;
} ts_claim_list;

/* A claim: run it under o, appending its rows to out. */
typedef int (*ts_claim_fn)(const ts_check_opts *o, ts_claim_list *out,
                           ts_err *e);

void ts_claim_list_free(ts_claim_list *l);

/* Append a row (printf-style statistic); NULL when out of memory. */
ts_claim_row *ts_claim_add(ts_claim_list *l, const char *claim,
                           const char *mech, double value, double expected,
                           double ci, const char *rel, int pass,
                           const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 9, 10)))
#endif
    ;

/* A size scaled by o->scale, at least `least`. */
long ts_check_scaled(double base, const ts_check_opts *o, long least);

/* The mechanism a vtable-level claim uses: a stand-in from o->replace, or
 * the registered one (NULL and a message in e if there is none). */
const ts_mechanism_type *ts_claim_mech(const ts_check_opts *o,
                                       const char *name, ts_feedback fb,
                                       ts_err *e);

/* "name" or "name(limited)", as the rows show a mechanism. */
const char *ts_claim_mech_label(const ts_mechanism_type *mt, char *buf,
                                size_t n);

/* An experiment given as YAML text, run through the engine with every
 * point's replicas kept. */
typedef struct ts_claim_run {
    ts_experiment *x;
    ts_point *pt;          /* [n_points] */
    ts_point_result *res;  /* [n_points] */
} ts_claim_run;

/* Load and run text (name labels messages); a replica that failed other
 * than by TS_ENOCONV fails the run.  Nothing is left allocated on failure. */
int ts_claim_run_text(const char *name, const char *text,
                      const ts_check_opts *o, ts_claim_run *r, ts_err *e);
void ts_claim_run_free(ts_claim_run *r);

/* ------------------------------------------------------------------ */
/* The claims, one function each (rows as above).                      */

/* claims_slot.c: single-slot claims, from best responses (SPEC §4) or
 * one slot's expected weight. */
int ts_claim_prop1(const ts_check_opts *o, ts_claim_list *out, ts_err *e);
int ts_claim_truthful(const ts_check_opts *o, ts_claim_list *out, ts_err *e);
int ts_claim_prop3a(const ts_check_opts *o, ts_claim_list *out, ts_err *e);
int ts_claim_prop4(const ts_check_opts *o, ts_claim_list *out, ts_err *e);
int ts_claim_lemma2(const ts_check_opts *o, ts_claim_list *out, ts_err *e);
int ts_claim_lemma4(const ts_check_opts *o, ts_claim_list *out, ts_err *e);
int ts_claim_lemma1(const ts_check_opts *o, ts_claim_list *out, ts_err *e);
int ts_claim_wsu_ic(const ts_check_opts *o, ts_claim_list *out, ts_err *e);

/* claims_horizon.c: claims over whole horizons, through the engine. */
int ts_claim_thm1(const ts_check_opts *o, ts_claim_list *out, ts_err *e);
int ts_claim_thm2(const ts_check_opts *o, ts_claim_list *out, ts_err *e);
int ts_claim_eps_truthful(const ts_check_opts *o, ts_claim_list *out,
                          ts_err *e);

/* claims_dynamics.c: responsiveness and robustness (overtake.h, drift.h). */
int ts_claim_prop2(const ts_check_opts *o, ts_claim_list *out, ts_err *e);
int ts_claim_prop3b(const ts_check_opts *o, ts_claim_list *out, ts_err *e);
int ts_claim_drift(const ts_check_opts *o, ts_claim_list *out, ts_err *e);

#endif

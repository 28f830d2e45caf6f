/* check.h -- the paper's claims as checks (SPEC §5, issue "strategic
 * workers"): each claim runs a small simulation or exact computation and
 * yields rows (claim id, mechanism, statistic, value, expected or bound,
 * CI, pass).  Nothing here prints; the CLI formats the table. */
#ifndef TS_CHECK_H
#define TS_CHECK_H

#include <signal.h>

#include "base/err.h"

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
} ts_check_opts;

typedef struct ts_claim_list {
    int n, cap;
    ts_claim_row *rows;
} ts_claim_list;

/* The claim ids, NULL-terminated, in the order they run. */
extern const char *const ts_claim_ids[];

/* Run one claim, appending its rows.  TS_EINPUT for an unknown id. */
int ts_check_claim(const char *id, const ts_check_opts *o, ts_claim_list *out,
                   ts_err *e);
void ts_claim_list_free(ts_claim_list *l);

/* Append a row (printf-style statistic); NULL when out of memory.  Shared by
 * every file that implements claims. */
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

#endif

/* claims.h -- the paper's claims as checks (SPEC §5): one table of
 * {id, function}, in the order `truthsim check` runs them, and the one
 * dispatch by id.  Each claim runs a small simulation or exact computation
 * and appends rows (claim.h).  Nothing here prints; the CLI formats the
 * table. */
#ifndef TS_CLAIMS_H
#define TS_CLAIMS_H

#include "analysis/claim.h"

typedef struct ts_claim {
    const char *id;      /* prop1, thm1, ...: what --claims takes          */
    ts_claim_fn run;
} ts_claim;

/* Every claim, terminated by {NULL, NULL}. */
extern const ts_claim ts_claims[];

/* Run the claim `id`, appending its rows.  TS_EINPUT, naming the valid
 * ids, for an unknown one. */
int ts_check_claim(const char *id, const ts_check_opts *o, ts_claim_list *out,
                   ts_err *e);

#endif

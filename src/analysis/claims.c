/* claims.c -- the table of the paper's claims (SPEC §5) and the dispatch
 * by id.  What each claim checks is said where it is implemented:
 *
 *   claims_slot.c     prop1, prop3a, prop4, lemma2, lemma4, wsu_ic, truthful
 *                     (single-slot best responses, SPEC §4) and lemma1 (one EM slot's
 *                     expected weight, App. A);
 *   claims_horizon.c  thm1, thm2 (regret bounds) and eps_truthful (horizon
 *                     deviations);
 *   claims_dynamics.c prop2 (a better newcomer overtakes), prop3b (noisy
 *                     verification) and drift (tracking the best worker).
 *
 * A new claim is one function and one line here. */
#include "analysis/claims.h"

#include <string.h>

const ts_claim ts_claims[] = {
    {"prop1", ts_claim_prop1},
    {"prop3a", ts_claim_prop3a},
    {"prop4", ts_claim_prop4},
    {"lemma2", ts_claim_lemma2},
    {"lemma4", ts_claim_lemma4},
    {"lemma1", ts_claim_lemma1},
    {"wsu_ic", ts_claim_wsu_ic},
    {"eps_truthful", ts_claim_eps_truthful},
    {"thm1", ts_claim_thm1},
    {"thm2", ts_claim_thm2},
    {"prop2", ts_claim_prop2},
    {"prop3b", ts_claim_prop3b},
    {"drift", ts_claim_drift},
    /* Def. 2 for any mechanism (o->subjects): what Prop. 1 shows for ours. */
    {"truthful", ts_claim_truthful},
    {NULL, NULL},
};

int ts_check_claim(const char *id, const ts_check_opts *o, ts_claim_list *out,
                   ts_err *e)
{
    for (int k = 0; ts_claims[k].id; k++)
        if (!strcmp(id, ts_claims[k].id))
            return ts_claims[k].run(o, out, e);
    char valid[256] = "";
    for (int k = 0; ts_claims[k].id; k++) {
        strncat(valid, k ? ", " : "", sizeof valid - strlen(valid) - 1);
        strncat(valid, ts_claims[k].id, sizeof valid - strlen(valid) - 1);
    }
    return TS_ERROR(e, TS_EINPUT, "unknown claim '%s' (valid: %s)", id, valid);
}

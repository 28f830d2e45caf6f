/* eval.c -- classification accuracy and win-rate (SPEC §6; issue 6,
 * item 6).  A prompt is classified by which of its two completions the
 * model gives the higher sequence log-likelihood; a tie counts as wrong,
 * so a constant model earns no accuracy.  Win-rate is the fraction of test
 * prompts the fine-tuned policy gets right and the reference gets wrong. */
#include <stdlib.h>

#include "dpo/dpo_trainer.h"

static int right(double lp_chosen, double lp_rejected, double label)
{
    return label == 1 ? lp_chosen > lp_rejected : lp_rejected > lp_chosen;
}

int ts_dpo_trainer_evaluate(ts_dpo_trainer *tr, const ts_dpo_prefset *test,
                            ts_dpo_eval *out, ts_err *e)
{
    if (test->n == 0)
        return TS_ERROR(e, TS_EINPUT, "empty test set");
    if (!test->ref_cached)
        return TS_ERROR(e, TS_EINVAL, "the test set's reference log-probs "
                        "are not cached (ts_dpo_trainer_reference)");
    for (size_t i = 0; i < test->n; i++)
        if (test->label[i] != 0 && test->label[i] != 1)
            return TS_ERROR(e, TS_EINPUT, "%s:%d: test label %g must be 0 or 1",
                            test->source ? test->source : "(test set)",
                            test->line[i], test->label[i]);
    double *lp = malloc(2 * test->n * sizeof *lp);
    if (!lp)
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    int rc = ts_dpo_trainer_logprobs(tr, test, 1, lp, lp + test->n, e);
    if (rc == TS_OK) {
        size_t acc = 0, ref = 0, win = 0;
        for (size_t i = 0; i < test->n; i++) {
            int p = right(lp[i], lp[test->n + i], test->label[i]);
            int r = right(test->ref_chosen[i], test->ref_rejected[i],
                          test->label[i]);
            acc += (size_t)p;
            ref += (size_t)r;
            win += (size_t)(p && !r);
        }
        double n = (double)test->n;
        out->n = test->n;
        out->accuracy = (double)acc / n;
        out->reference_accuracy = (double)ref / n;
        out->win_rate = (double)win / n;
    }
    free(lp);
    return rc;
}

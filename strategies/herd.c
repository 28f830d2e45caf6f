/* herd.c -- strategy `herd` (SPEC §4): report what the majority is
 * expected to report, App. A's "always high" (paper Lemma 1).
 *
 *     r = side on every prompt, side in {0, 1} [default 1].
 *
 * Why this is App. A's strategy.  Lemma 1's counterexample to EM's
 * truthfulness fixes the other N-1 workers' reports at 1 and shows that
 * worker k, whatever his belief q, earns a higher expected next weight by
 * reporting 1 (S_lie, "always high") than by reporting truthfully: EM's
 * E-step is majority-consistent and its M-step rewards agreement with that
 * estimate.  A worker herds when he expects the others to report `side`
 * and copies them, ignoring his own belief.  The strategy sees nothing of
 * the others' reports in this slot (Stage I reports are simultaneous), so
 * "what the majority is expected to report" cannot be computed from the
 * slot; it is the worker's fixed expectation, the parameter `side`.  We do
 * not guess a side from the worker's own belief or share: that would be a
 * different strategy (close to `extreme`), not App. A's.
 *
 * With side = 1 this equals constant(c = 1); `herd` exists so experiments
 * can name App. A's strategy and sweep it with everyone herding.
 *
 * Symbols: r report. */
#include "strategies/strategies.h"

enum { P_SIDE, P_COUNT };

static const ts_param_spec params[P_COUNT] = {
    [P_SIDE] = {"side", 0.0, 1.0, TS_PARAM_INT,
                "the report the majority is expected to give (App. A: 1, "
                "\"always high\"); r = side on every prompt"},
};

static void defaults(const ts_shape *g, ts_params *p)
{
    (void)g;
    if (!p->set[P_SIDE])
        p->v[P_SIDE] = 1.0;
}

static int report(void *st, const ts_params *p, const ts_strategy_ctx *c,
                  int m, const double *q, double *r, ts_rng *rng, ts_err *e)
{
    (void)st; (void)c; (void)q; (void)rng; (void)e;
    const double side = p->v[P_SIDE] + 0.0; /* -0.0 -> +0.0 */
    for (int j = 0; j < m; j++)
        r[j] = side;
    return TS_OK;
}

const ts_strategy_type ts_strat_herd = {
    .name = "herd",
    .params = params,
    .n_params = P_COUNT,
    .defaults = defaults,
    .identity = 0,
    .report = report,
};

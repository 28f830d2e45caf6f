/* bench_e2e.c -- the cost of one round of the end-to-end experiment
 * (src/e2e; paper Sec. VII-B) split into simulation (the spectrum
 * population's test and training draws, the SUs' reports), aggregation
 * (the slot step: labels and update) and DPO (fine-tuning on the m labels
 * and evaluation on the test prompts), for `ours` with truthful SUs and
 * with best-responding SUs, at Fig. 11's committed size (N = 5, m = 32,
 * m_test = 64, preset small, 3 epochs), one thread.  Prints; never fails
 * on speed. */
#include <stdio.h>
#include <string.h>

#include "e2e/e2e.h"
#include "games/games.h"
#include "strategies/strategies.h"

static int one(const char *strat, long T)
{
    ts_err e;
    ts_e2e_config c;
    memset(&c, 0, sizeof c);
    c.mech = ts_mechanism_find("ours", TS_FULL, &e);
    c.pop = &ts_pop_spectrum;
    c.strat = ts_strategy_find(strat, &e);
    c.N = 5;
    c.m = 32;
    c.m_test = 64;
    c.T = T;
    c.seed = 1;
    c.point = 1;
    c.nthreads = 1;
    if (!c.mech || !c.strat || ts_dpo_preset_config("small", &c.model, &e))
        return 1;
    ts_dpo_options_default(&c.dpo);
    c.dpo.adamw.lr = 2e-3;
    c.dpo.beta = 0.1;
    ts_e2e_round out[16];
    ts_e2e_timing tm = {0, 0, 0};
    if (ts_e2e_run(&c, out, &tm, &e)) {
        fprintf(stderr, "bench_e2e: %s\n", e.msg);
        return 1;
    }
    printf("ours, %-13s per round: simulation %8.3f ms, aggregation %8.4f "
           "ms, DPO %8.1f ms\n", strat, 1e3 * tm.simulation / (double)T,
           1e3 * tm.aggregation / (double)T, 1e3 * tm.dpo / (double)T);
    return 0;
}

int main(void)
{
    return one("truthful", 10) | one("best_response", 10);
}

/* claims_horizon.c -- the claims over whole horizons (SPEC §5), each a
 * small experiment given as YAML text and run through the loader and
 * engine users run (ts_claim_run_text).
 *
 *   thm1          Thm. 1: R(T) <= 3 sqrt(T ln N / 2) on every replica (the
 *                 proof is pathwise), `ours`, full feedback.
 *   thm2          Thm. 2: E[R(T)] (+ 95 % CI) <= 2 sqrt(7) sqrt(N T ln N),
 *                 and the log-log slope of mean R(T) in T (bootstrap CI) < 1,
 *                 `ours`, limited feedback, where the bound holds (N <= 10;
 *                 README "Findings" for larger N).
 *   eps_truthful  horizon deviations (SPEC §4): worker 1 plays a strategy
 *                 for all T slots against truthful others, on common random
 *                 numbers with the all-truthful run; the paired gain in
 *                 utility (eq. 4) and its CI are the measured epsilon.
 *                 Asserted under the `weight` model (ours: no gain;
 *                 hedge, em, exp3: a gain for some deviation) and, for
 *                 wsu and WSU-UX (Freeman et al.), under the `share`
 *                 model (no gain); the other model's figures are
 *                 reported as findings.
 *
 * Sizes scale with opts->scale; single-slot claims are claims_slot.c's. */
#include "analysis/claim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/stats.h"
#include "base/streams.h"

/* ------------------------------------------------------------------ */
/* Theorems 1 and 2                                                    */

int ts_claim_thm1(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    char text[512];
    snprintf(text, sizeof text,
             "name: thm1\nfeedback: full\npopulation: bands\nN: [2, 5, 20]\n"
             "m: 5\nT: [100, 1000, 5000]\nmechanisms: [ours]\nreplicas: %ld\n"
             "seed: 11\n", ts_check_scaled(20, o, 4));
    ts_claim_run r;
    int rc = ts_claim_run_text("check:thm1", text, o, &r, e);
    if (rc)
        return rc;
    for (long p = 0; p < r.x->n_points; p++) {
        const ts_point_result *res = &r.res[p];
        const double N = res->N, T = (double)res->T;
        const double bound = 3 * sqrt(T * log(N) / 2);
        double worst = -INFINITY;
        for (long k = 0; k < res->R; k++)
            if (res->regret[k] / bound > worst)
                worst = res->regret[k] / bound;
        ts_claim_add(out, "thm1", "ours", worst, 1, 0, "<=", worst <= 1,
                "max over %ld replicas of R(T)/(3 sqrt(T ln N/2)), N=%d T=%ld",
                res->R, res->N, res->T);
    }
    ts_claim_run_free(&r);
    return TS_OK;
}

int ts_claim_thm2(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    enum { NT = 3, NB = 400 };
    char text[512];
    snprintf(text, sizeof text,
             "name: thm2\nfeedback: limited\npopulation: bands\nN: [3, 5, 10]\n"
             "m: 5\nT: [500, 2000, 8000]\nmechanisms: [ours]\nreplicas: %ld\n"
             "seed: 12\n", ts_check_scaled(20, o, 4));
    ts_claim_run r;
    int rc = ts_claim_run_text("check:thm2", text, o, &r, e);
    if (rc)
        return rc;
    for (long p = 0; p < r.x->n_points; p++) {
        const ts_point_result *res = &r.res[p];
        const double N = res->N, T = (double)res->T;
        const double bound = 2 * sqrt(7.0) * sqrt(N * T * log(N));
        double mean, ci;
        ts_mean_ci(res->regret, res->R, 1, &mean, &ci);
        ts_claim_add(out, "thm2", "ours", (mean + ci) / bound, 1, ci / bound, "<=",
                mean + ci <= bound,
                "(mean R(T) + 95%% CI) / (2 sqrt(7 N T ln N)), N=%d T=%ld",
                res->N, res->T);
    }
    /* Slope per N: the points are N-major with NT horizons each. */
    ts_rng g;
    ts_rng_init(&g, 12, TS_CHECK_POINT_THM2_BOOT, 0, TS_STREAM_AUX);
    for (long p0 = 0; p0 + NT <= r.x->n_points; p0 += NT) {
        double lx[NT], ly[NT], boots[NB];
        const long R = r.res[p0].R;
        for (int k = 0; k < NT; k++) {
            double mean, ci;
            ts_mean_ci(r.res[p0 + k].regret, R, 1, &mean, &ci);
            lx[k] = log((double)r.res[p0 + k].T);
            ly[k] = log(mean);
        }
        double s = ts_ls_slope(lx, ly, NT);
        ts_rng_seek(&g, (uint64_t)p0);
        for (int b = 0; b < NB; b++) {
            for (int k = 0; k < NT; k++) {
                double sum = 0;
                for (long j = 0; j < R; j++)
                    sum += r.res[p0 + k].regret[ts_rng_below(&g, (uint32_t)R)];
                ly[k] = log(sum / (double)R);
            }
            boots[b] = ts_ls_slope(lx, ly, NT);
        }
        ts_sort_doubles(boots, NB);
        double lo = boots[(int)(0.025 * NB)], hi = boots[(int)(0.975 * NB) - 1];
        ts_claim_add(out, "thm2", "ours", s, 1, (hi - lo) / 2, "<", hi < 1,
                "log-log slope of mean R(T) in T (bootstrap 95%% up to %.3f), N=%d",
                hi, r.res[p0].N);
    }
    ts_claim_run_free(&r);
    return TS_OK;
}


/* ------------------------------------------------------------------ */
/* Horizon deviations: the measured epsilon of epsilon-truthfulness.    */

typedef struct deviation {
    const char *label;
    const char *strategy;
    const char *param; /* "exaggerate.kappa: 0.5" or "" */
} deviation;

static const deviation deviations[] = {
    {"exaggerate(kappa=-0.5)", "exaggerate", "exaggerate.kappa: -0.5\n"},
    {"exaggerate(kappa=0.1)", "exaggerate", "exaggerate.kappa: 0.1\n"},
    {"exaggerate(kappa=0.25)", "exaggerate", "exaggerate.kappa: 0.25\n"},
    {"exaggerate(kappa=0.5)", "exaggerate", "exaggerate.kappa: 0.5\n"},
    {"exaggerate(kappa=2)", "exaggerate", "exaggerate.kappa: 2\n"},
    {"extreme", "extreme", ""},
    {"herd", "herd", ""},
    {"constant(c=0.5)", "constant", "constant.c: 0.5\n"},
};

typedef struct target {
    const char *label;     /* as shown                                      */
    const char *feedback;
    const char *mech;
    const char *extra;     /* parameter lines                               */
    int truthful;          /* 1: assert no gain; 0: assert a gain somewhere;
                              -1: report only (a finding)                   */
    int model;             /* the utility asserted: 0 weight (eq. 4), 1
                              share (Freeman et al.); the other is a finding */
    int rep_mult;          /* replicas times this                          */
} target;

/* Lemmas 2 and 4 put hedge's and exp3's gains at O(eta^2): at the paper's
 * step sizes (eta ~ 0.03-0.05 here) they are below what a horizon
 * simulation resolves, so the claim is asserted at a large eta and the
 * default-eta figures are reported as findings. */
static const target targets[] = {
    {"ours", "full", "ours", "", 1, 0, 1},
    {"ours(limited)", "limited", "ours", "", 1, 0, 1},
    {"hedge(eta=3)", "full", "hedge", "hedge.eta: 3\n", 0, 0, 1},
    {"hedge", "full", "hedge", "", -1, 0, 1},
    {"em", "full", "em", "", 0, 0, 1},
    {"exp3(eta=3)", "limited", "exp3", "exp3.eta: 3\n", 0, 0, 1},
    {"exp3", "limited", "exp3", "", -1, 0, 1},
    /* Freeman et al.'s claim is about the share (their utility); WSU's
     * weights are its shares, so the weight model is reported beside it. */
    {"wsu", "full", "wsu", "", 1, 1, 1},
    /* WSU-UX's loss from a small exaggeration is O(kappa^2) and its
     * importance-weighted update is noisy: at 400 replicas the kappa = 0.1
     * gain (-4e-4) sits inside its CI (+-7e-4), at 3200 it does not
     * (-8.2e-4 +- 2.6e-4).  More replicas, not a looser test. */
    {"wsu(limited)", "limited", "wsu", "", 1, 1, 8},
};

int ts_claim_eps_truthful(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const int n_dev = (int)(sizeof deviations / sizeof deviations[0]);
    for (size_t tg = 0; tg < sizeof targets / sizeof targets[0]; tg++) {
        const target *t = &targets[tg];
        const long R = ts_check_scaled(400.0 * t->rep_mult, o, 16);
        char text[1024];
        const char *head =
            /* Gaussian signals: continuous, calibrated beliefs (SPEC §3), so
             * a gain in simulation is a gain for a worker holding them. */
            "name: eps\nfeedback: %s\npopulation: signals\nnoise: 1\nN: 5\nm: 3\nT: 50\n"
            "mechanisms: [%s]\n%sreplicas: %ld\nseed: 21\nutility: true\n%s%s";
        snprintf(text, sizeof text, head, t->feedback, t->mech, t->extra, R,
                 "strategy: truthful\n", "");
        ts_claim_run base;
        int rc = ts_claim_run_text("check:eps_truthful", text, o, &base, e);
        if (rc)
            return rc;
        double best_lo[2] = {-INFINITY, -INFINITY}, worst_hi = -INFINITY;
        for (int d = 0; d < n_dev && !rc; d++) {
            char strat[128];
            snprintf(strat, sizeof strat, "strategy: [%s, truthful]\n",
                     deviations[d].strategy);
            snprintf(text, sizeof text, head, t->feedback, t->mech, t->extra, R,
                     strat, deviations[d].param);
            ts_claim_run dev;
            rc = ts_claim_run_text("check:eps_truthful", text, o, &dev, e);
            if (rc)
                break;
            /* Worker 1's paired gain, replica by replica: same seed and
             * environment, so the same states and beliefs (CRN). */
            for (int model = 0; model < 2; model++) {
                double *gain = malloc((size_t)R * sizeof *gain), mean, ci;
                if (!gain) {
                    rc = TS_ERROR(e, TS_ENOMEM, "out of memory");
                    break;
                }
                const double *ub = model ? base.res[0].util_share : base.res[0].util_weight;
                const double *ud = model ? dev.res[0].util_share : dev.res[0].util_weight;
                const int N = base.res[0].N;
                for (long k = 0; k < R; k++)
                    gain[k] = ud[k * N] - ub[k * N];
                ts_mean_ci(gain, R, 1, &mean, &ci);
                free(gain);
                if (model == t->model) {
                    if (mean - ci > best_lo[0])
                        best_lo[0] = mean - ci;
                    if (mean + ci > worst_hi)
                        worst_hi = mean + ci;
                }
                ts_claim_add(out, "eps_truthful", t->label, mean, 0, ci,
                        model == t->model && t->truthful == 1 ? "<=" : "", -1,
                        "%s utility gain of worker 1 playing %s, T=50",
                        model ? "share" : "weight", deviations[d].label);
            }
            ts_claim_run_free(&dev);
        }
        ts_claim_run_free(&base);
        if (rc)
            return rc;
        const char *um = t->model ? "share" : "weight";
        if (t->truthful == 1)
            ts_claim_add(out, "eps_truthful", t->label, worst_hi, 0, 0, "<=",
                    worst_hi <= 1e-12,
                    "largest upper CI end of the %s-utility gain over deviations", um);
        else if (t->truthful < 0)
            ts_claim_add(out, "eps_truthful", t->label, best_lo[0], 0, 0, "", -1,
                    "largest lower CI end of the %s-utility gain over deviations", um);
        else
            ts_claim_add(out, "eps_truthful", t->label, best_lo[0], 0, 0, ">",
                    best_lo[0] > 0,
                    "largest lower CI end of the %s-utility gain over deviations", um);
    }
    return TS_OK;
}


/* claims_slot.c -- the claims about one slot (SPEC §5): a worker's
 * single-slot best response (SPEC §4) against a fresh state, and one EM
 * slot's expected weight.
 *
 *   prop1   Prop. 1: `ours` (full) best response r*(q) = q, m = 1, 3, 20.
 *   prop3a  Prop. 3(a): with flip rate eps, r*(q) = (1 - 2 eps) q + eps.
 *   prop4   Prop. 4: `ours` (limited, alpha < theta_i) r*(q) = q.
 *   lemma2  Lemma 2: `hedge` is not truthful: r* > q for q > 1/2 with a
 *           positive gain; r* is the root of the first-order condition of
 *           q e^{-eta (r-1)^2} + (1-q) e^{-eta r^2} (found here by
 *           bisection, independently of the numeric search); the size of
 *           the deviation against eta.
 *   lemma4  Lemma 4: `exp3` is not truthful: r* != q with a gain.
 *   wsu_ic  Freeman et al.: `wsu` and WSU-UX r*(q) = q under the share
 *           utility.
 *   lemma1  Lemma 1, App. A: under `em`, with the other N-1 workers
 *           reporting 1, "always high" earns a higher expected next weight
 *           than truthful sampling, for every belief q < 1.
 *
 * Every mechanism comes through ts_claim_mech, so a test can stand in an
 * untruthful one; horizons are claims_horizon.c's. */
#include "analysis/claim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "game/bestresp.h"
#include "game/slot.h"

/* ------------------------------------------------------------------ */
/* Single-slot best responses (SPEC §4), from a fresh state: N = 5
 * workers, the other four reporting fixed non-round values on every
 * prompt, worker 1 holding the same belief q on every prompt.          */

enum { BR_N = 5, BR_NQ = 19 };

typedef struct br_setup {
    ts_mech mech;          /* the mechanism at (BR_N, m, 1000), fresh state */
    double *r_others;      /* [BR_N][m] the others' reports                 */
    ts_br_work *work;
    ts_br_options opt;
} br_setup;

static void br_free(br_setup *b)
{
    ts_mech_free(&b->mech);
    free(b->r_others);
    ts_br_work_free(b->work);
    memset(b, 0, sizeof *b);
}

/* sets: "name=value" parameter settings, NULL-terminated or NULL. */
static int br_open(br_setup *b, const ts_mechanism_type *mt, int m,
                   const char *const *sets, ts_err *e)
{
    memset(b, 0, sizeof *b);
    const ts_shape g = {BR_N, m, 1000, mt->feedback};
    ts_params user;
    ts_params_init(&user, mt->n_params);
    for (int k = 0; sets && sets[k]; k++) {
        char key[64];
        const char *eq = strchr(sets[k], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - sets[k]), sets[k]);
        int rc = ts_params_set(&user, mt->params, mt->n_params, key,
                               strtod(eq + 1, NULL), e);
        if (rc)
            return rc;
    }
    int rc = ts_mech_alloc(&b->mech, mt, &g, &user, e);
    if (rc)
        return rc;
    b->r_others = malloc((size_t)BR_N * (size_t)m * sizeof *b->r_others);
    if (!b->r_others) {
        br_free(b);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    static const double others[BR_N] = {0, 0.62, 0.385, 0.71, 0.27};
    for (int k = 0; k < BR_N; k++)
        for (int j = 0; j < m; j++)
            b->r_others[(size_t)k * m + (size_t)j] = others[k];
    ts_br_options_default(&b->opt);
    rc = ts_br_work_alloc(&b->work, mt, &g, &b->opt, e);
    if (rc)
        br_free(b);
    return rc;
}

/* r*(q) of worker 1 (index 0) for the first prompt, all prompts at q. */
static int br_solve(br_setup *b, double q, double eps, ts_br_utility u,
                    double *r_star, ts_br_result *res, ts_err *e)
{
    double qv[64], rv[64];
    const int m = b->mech.g.m;
    for (int j = 0; j < m; j++)
        qv[j] = q;
    ts_br_problem pb = {
        .mt = b->mech.type, .g = b->mech.g, .par = &b->mech.par,
        .state = b->mech.st, .t = 0,
        .i = 0, .m = m, .q = qv, .r_others = b->r_others, .epsilon = eps,
        .utility = u, .exchangeable = 1,
    };
    int rc = ts_best_response(&pb, &b->opt, b->work, rv, res, e);
    if (rc == TS_ENOCONV)
        rc = TS_OK;
    *r_star = rv[0];
    return rc;
}

static double q_at(int k)
{
    return 0.05 * (k + 1); /* 0.05, 0.10, ..., 0.95 */
}

/* max_q |r*(q) - target(q)| for target = (1 - 2 eps) q + eps. */
static int br_max_dev(br_setup *b, double eps, ts_br_utility u, double *dev,
                      ts_err *e)
{
    *dev = 0;
    for (int k = 0; k < BR_NQ; k++) {
        double q = q_at(k), r;
        ts_br_result res;
        int rc = br_solve(b, q, eps, u, &r, &res, e);
        if (rc)
            return rc;
        double d = fabs(r - ((1 - 2 * eps) * q + eps));
        if (d > *dev)
            *dev = d;
    }
    return TS_OK;
}

/* Rows "max over q of |r* - q|" for mt at each m of ms, both utility
 * models; the one asserted (<= 1e-6) is `asserted`, the other a finding.
 * Prop. 1 (ours), Def. 2 for any mechanism (`truthful`) and Freeman et
 * al.'s WSU (`wsu_ic`) are this check with another subject. */
static int rstar_is_q(const ts_mechanism_type *mt, const char *claim,
                      const char *label, const int *ms, size_t n_m,
                      ts_br_utility asserted, ts_claim_list *out, ts_err *e)
{
    for (size_t k = 0; k < n_m; k++) {
        br_setup b;
        int rc = br_open(&b, mt, ms[k], NULL, e);
        for (int u = 0; !rc && u < 2; u++) {
            double dev;
            rc = br_max_dev(&b, 0, (ts_br_utility)u, &dev, e);
            const int on = (ts_br_utility)u == asserted;
            if (!rc)
                ts_claim_add(out, claim, label, dev, 1e-6, 0, on ? "<=" : "",
                             on ? dev <= 1e-6 : -1,
                             "max over q of |r* - q|, %s utility, m=%d",
                             u ? "share" : "weight", ms[k]);
        }
        br_free(&b);
        if (rc)
            return rc;
    }
    return TS_OK;
}

int ts_claim_prop1(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const ts_mechanism_type *mt = ts_claim_mech(o, "ours", TS_FULL, e);
    if (!mt)
        return TS_EINVAL;
    static const int ms[] = {1, 3, 20};
    return rstar_is_q(mt, "prop1", mt->name, ms, 3, TS_BR_WEIGHT, out, e);
}

/* Truthfulness (Def. 2, SPEC §4) of any mechanism, as Prop. 1 states it
 * for ours: r*(q) = q for every belief, weight utility (the share utility
 * a finding), m = 1 and 3.  The mechanisms are o->subjects -- a plugin's
 * as well as a built-in, with its default parameters at (5, m, 1000). */
int ts_claim_truthful(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    static const int ms[] = {1, 3};
    for (int s = 0; o->subjects && o->subjects[s]; s++) {
        char lab[80];
        ts_claim_mech_label(o->subjects[s], lab, sizeof lab);
        int rc = rstar_is_q(o->subjects[s], "truthful", lab, ms, 2,
                            TS_BR_WEIGHT, out, e);
        if (rc)
            return rc;
    }
    return TS_OK;
}

int ts_claim_prop3a(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const ts_mechanism_type *mt = ts_claim_mech(o, "ours", TS_FULL, e);
    if (!mt)
        return TS_EINVAL;
    static const double eps[] = {0.05, 0.1, 0.2, 0.3};
    br_setup b;
    int rc = br_open(&b, mt, 1, NULL, e);
    for (size_t k = 0; !rc && k < sizeof eps / sizeof eps[0]; k++) {
        double dev;
        rc = br_max_dev(&b, eps[k], TS_BR_WEIGHT, &dev, e);
        if (!rc)
            ts_claim_add(out, "prop3a", mt->name, dev, 1e-6, 0, "<=", dev <= 1e-6,
                    "max over q of |r* - ((1-2eps) q + eps)|, eps=%.2f", eps[k]);
    }
    br_free(&b);
    return rc;
}

int ts_claim_prop4(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const ts_mechanism_type *mt = ts_claim_mech(o, "ours", TS_LIMITED, e);
    if (!mt)
        return TS_EINVAL;
    br_setup b;
    int rc = br_open(&b, mt, 1, NULL, e);
    for (int u = 0; !rc && u < 2; u++) {
        double dev;
        rc = br_max_dev(&b, 0, (ts_br_utility)u, &dev, e);
        if (!rc)
            ts_claim_add(out, "prop4", "ours(limited)", dev, 1e-6, 0, u ? "" : "<=",
                    u ? -1 : dev <= 1e-6,
                    "max over q of |r* - q|, %s utility, alpha < theta_i", u ? "share" : "weight");
    }
    br_free(&b);
    return rc;
}

/* Freeman et al. (ICML 2020), Thm. 4.1 and its bandit form: WSU and
 * WSU-UX are incentive compatible for a worker who maximises his expected
 * next *share* -- (W2) moves pi_i linearly in -l_i, so the proper
 * quadratic score's r* = q.  Asserted under the share utility; the weight
 * utility's figures are findings (under WSU the weights are the shares,
 * so the two should agree; under `ours` it is the other way round, Prop. 1). */
int ts_claim_wsu_ic(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    static const int ms_full[] = {1, 3, 20}, ms_limited[] = {1};
    const ts_mechanism_type *full = ts_claim_mech(o, "wsu", TS_FULL, e);
    const ts_mechanism_type *lim = full ? ts_claim_mech(o, "wsu", TS_LIMITED, e)
                                        : NULL;
    if (!lim)
        return TS_EINVAL;
    int rc = rstar_is_q(full, "wsu_ic", "wsu", ms_full, 3, TS_BR_SHARE, out, e);
    return rc ? rc : rstar_is_q(lim, "wsu_ic", "wsu(limited)", ms_limited, 1,
                                TS_BR_SHARE, out, e);
}

/* F'(r) of Lemma 2 up to the factor 2 eta:
 *   q (1 - r) e^{-eta (r-1)^2} - (1 - q) r e^{-eta r^2}. */
static double hedge_foc(double r, double q, double eta)
{
    return q * (1 - r) * exp(-eta * (r - 1) * (r - 1)) -
           (1 - q) * r * exp(-eta * r * r);
}

int ts_claim_lemma2(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const ts_mechanism_type *mt = ts_claim_mech(o, "hedge", TS_FULL, e);
    if (!mt)
        return TS_EINVAL;
    static const char *const etas[] = {"0.05", "0.5", "1", "2", "3"};
    for (size_t k = 0; k < sizeof etas / sizeof etas[0]; k++) {
        char set[32];
        snprintf(set, sizeof set, "eta=%s", etas[k]);
        const char *sets[] = {set, NULL};
        const double eta = strtod(etas[k], NULL);
        br_setup b;
        int rc = br_open(&b, mt, 1, sets, e);
        double worst_root = 0, size = 0, min_gain = INFINITY;
        int above = 1;
        for (int j = 0; !rc && j < BR_NQ; j++) {
            double q = q_at(j), r;
            if (q <= 0.5 + 1e-12)
                continue;
            ts_br_result res;
            rc = br_solve(&b, q, 0, TS_BR_WEIGHT, &r, &res, e);
            if (rc)
                break;
            above &= r > q;
            if (res.gain < min_gain)
                min_gain = res.gain;
            if (r - q > size)
                size = r - q;
            /* Bisection on the first-order condition in [q, 1]: F' > 0 at
             * r = q for q > 1/2 (App. B) and F' < 0 at r = 1.  At large
             * eta F' can change sign more than once; the numeric r* is
             * the global maximiser, so compare with the bracketed root
             * nearest to it. */
            double lo = r - 0.02 > q ? r - 0.02 : q, hi = r + 0.02 < 1 ? r + 0.02 : 1;
            if (hedge_foc(lo, q, eta) <= 0 || hedge_foc(hi, q, eta) >= 0) {
                lo = q;
                hi = 1;
            }
            for (int it = 0; it < 200; it++) {
                double mid = 0.5 * (lo + hi);
                if (hedge_foc(mid, q, eta) > 0)
                    lo = mid;
                else
                    hi = mid;
            }
            double d = fabs(r - 0.5 * (lo + hi));
            if (d > worst_root)
                worst_root = d;
        }
        br_free(&b);
        if (rc)
            return rc;
        ts_claim_add(out, "lemma2", "hedge", above && min_gain > 0 ? 1 : 0, 1, 0, "=",
                above && min_gain > 0,
                "r* > q with a positive gain for every q > 1/2, eta=%s", etas[k]);
        ts_claim_add(out, "lemma2", "hedge", worst_root, 1e-9, 0, "<=", worst_root <= 1e-9,
                "max |r* - root of the first-order condition|, eta=%s", etas[k]);
        ts_claim_add(out, "lemma2", "hedge", size, 0, 0, "", -1,
                "size of the deviation max_q (r* - q), eta=%s", etas[k]);
    }
    return TS_OK;
}

int ts_claim_lemma4(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const ts_mechanism_type *mt = ts_claim_mech(o, "exp3", TS_LIMITED, e);
    if (!mt)
        return TS_EINVAL;
    static const char *const etas[] = {NULL, "eta=1", "eta=3"};
    for (size_t k = 0; k < sizeof etas / sizeof etas[0]; k++) {
        const char *sets[] = {etas[k], NULL};
        br_setup b;
        int rc = br_open(&b, mt, 1, etas[k] ? sets : NULL, e);
        double best = 0, at_q = 0, dev = 0;
        for (int j = 0; !rc && j < BR_NQ; j++) {
            double q = q_at(j), r;
            ts_br_result res;
            rc = br_solve(&b, q, 0, TS_BR_WEIGHT, &r, &res, e);
            if (!rc && res.gain > best) {
                best = res.gain;
                at_q = q;
                dev = fabs(r - q);
            }
        }
        br_free(&b);
        if (rc)
            return rc;
        ts_claim_add(out, "lemma4", "exp3", best, 0, 0, ">", best > 0 && dev > 1e-6,
                "largest single-slot gain over q (at q=%.2f, |r*-q|=%.3g), %s",
                at_q, dev, etas[k] ? etas[k] : "default eta");
    }
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Lemma 1 (App. A): EM rewards "always high".                          */

/* Worker 0's weight after one EM slot in which the others report 1 and he
 * reports y (m = 1, fresh state; the one slot step of game/slot.h).  EM
 * ignores the verified state. */
static int em_weight_after(const ts_mechanism_type *mt, int N, double y,
                           double *w, ts_err *e)
{
    const ts_shape g = {N, 1, 10, TS_FULL};
    ts_mech em;
    int rc = ts_mech_alloc(&em, mt, &g, NULL, e);
    if (rc)
        return rc;
    double *r = malloc(2 * (size_t)N * sizeof *r), *lw = r + N;
    if (!r) {
        ts_mech_free(&em);
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    }
    for (int i = 0; i < N; i++)
        r[i] = i ? 1.0 : y;
    double A, pv = 1.0;
    ts_step s = {.t = 0, .N = N, .m = 1, .r = r, .p = &pv, .pv = &pv, .A = &A};
    rc = ts_slot_step(mt, em.st, &s, e);
    if (rc == TS_ENOCONV)
        rc = TS_OK;
    if (!rc) {
        mt->log_weights(em.st, lw);
        *w = exp(lw[0]);
    }
    free(r);
    ts_mech_free(&em);
    return rc;
}

int ts_claim_lemma1(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const ts_mechanism_type *mt = ts_claim_mech(o, "em", TS_FULL, e);
    if (!mt)
        return TS_EINVAL;
    const int N = 5;
    double w1, w0;
    int rc = em_weight_after(mt, N, 1.0, &w1, e);
    if (!rc)
        rc = em_weight_after(mt, N, 0.0, &w0, e);
    for (int k = 1; !rc && k <= 9; k += 2) {
        double q = 0.1 * k, wq;
        /* App. A: truthful = a binary report sampled from the belief. */
        double gain = w1 - (q * w1 + (1 - q) * w0);
        ts_claim_add(out, "lemma1", "em", gain, 0, 0, ">", gain > 0,
                "E[w] always-high minus truthful sampling, q=%.1f, N=%d", q, N);
        rc = em_weight_after(mt, N, q, &wq, e);
        if (!rc)
            ts_claim_add(out, "lemma1", "em", w1 - wq, 0, 0, ">", w1 - wq > 0,
                    "E[w] always-high minus soft truthful report r=q, q=%.1f", q);
    }
    return rc;
}


/* claims_dynamics.c -- the claims about how the mechanisms respond to
 * change (SPEC §5):
 *
 *   prop2   Prop. 2 (App. H): a newcomer better by Delta, arriving w_k/w_i
 *           behind, overtakes within ceil(ln(w_k/w_i) / (alpha Delta))
 *           slots in expectation -- the exact recursion for `ours` against
 *           the bound, its Monte Carlo check, and every other mechanism's
 *           figures as findings (overtake.h, on the `newcomer`
 *           population).
 *   prop3b  Prop. 3(b) (App. I): E[R(T)]/T <= 3 sqrt(ln N / (2T)) + 2 eps
 *           under verification flipped with probability eps, through the
 *           engine (which flips p into pv, SPEC §1).
 *   drift   tracking the best worker when accuracies change (drift.h, on
 *           the `drift` population): Thm. 1's pathwise bound under drift
 *           for `ours`, regret against fixed and per-segment comparators,
 *           and overtaking within Prop. 2's bound after each switch.
 *
 * The populations are resolved here, by name from the registry, and
 * handed to the analyses, which know them only through their hooks.
 * Symbols: N workers, T slots, alpha Prop. 2's step, B its bound, eps the
 * flip rate. */
#include "analysis/claim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/drift.h"
#include "analysis/overtake.h"
#include "base/stats.h"
#include "games/games.h"

/* ------------------------------------------------------------------ */
/* Prop. 2. */

/* The rows of one mechanism at one (ratio, gap) that applies. */
static void prop2_rows(const ts_mechanism_type *mt, const char *lab, long B,
                       const ts_overtake_cfg *c, const ts_overtake *r,
                       ts_claim_list *out)
{
    const double ratio = c->ratio, gap = c->gap;
    if (!strcmp(mt->name, "ours") && mt->feedback == TS_FULL) {
        ts_claim_add(out, "prop2", lab, (double)r->tau_exact, (double)B, 0, "<=",
            r->tau_exact >= 0 && r->tau_exact <= B,
            "exact first tau with E[w_i]>=E[w_k] vs bound, w_k/w_i=%g D=%g",
            ratio, gap);
        ts_claim_add(out, "prop2", lab, r->diff_at_bound, 0, r->diff_at_bound_ci, ">=",
            r->diff_at_bound + r->diff_at_bound_ci >= 0,
            "MC mean w_i-w_k at tau=bound=%ld (R=%ld), w_k/w_i=%g D=%g",
            B, c->R, ratio, gap);
        ts_claim_add(out, "prop2", lab, r->tau_path, (double)B, r->tau_path_ci, "", -1,
            "MC mean path overtaking tau (MC E-cross %ld, P(ahead at B)=%.2f), "
            "w_k/w_i=%g D=%g", r->tau_mc, r->p_ahead_at_bound, ratio, gap);
    } else {
        ts_claim_add(out, "prop2", lab, r->tau_path, (double)B, r->tau_path_ci, "", -1,
            "path tau (%.0f%% overtook in %ld; exact %ld, MC E %ld), "
            "w_k/w_i=%g D=%g", 100 * r->frac_overtaken, c->horizon,
            r->tau_exact, r->tau_mc, ratio, gap);
    }
}

/* Every (ratio, gap) of one mechanism on population pt. */
static int prop2_mech(const ts_check_opts *o, const ts_mechanism_type *mt,
                      const ts_population_type *pt, ts_claim_list *out,
                      ts_err *e)
{
    static const double ratios[] = {2, 10, 100};
    static const double gaps[] = {0.05, 0.1, 0.2};
    const int N = 5;
    const long T = 200, R = ts_check_scaled(200, o, 20);
    const double alpha = ts_overtake_alpha(N, T);
    const int lim = mt->feedback == TS_LIMITED;
    char lab[32];
    ts_claim_mech_label(mt, lab, sizeof lab);
    for (size_t a = 0; a < sizeof ratios / sizeof ratios[0]; a++)
        for (size_t b = 0; b < sizeof gaps / sizeof gaps[0]; b++) {
            if (o->stop && *o->stop)
                return TS_EINTR;
            const double ratio = ratios[a], gap = gaps[b];
            const long B = ts_overtake_bound(ratio, alpha, gap);
            /* Limited feedback: horizon from Thm. 2's step
             * sqrt(ln N / (7 N T)) (the default of Def. 5 and exp3),
             * fewer replicas since it is ~6x longer. */
            const long BL = ts_overtake_bound(
                ratio, sqrt(log((double)N) / (7.0 * N * (double)T)), gap);
            ts_params pp; /* the newcomer better by gap */
            ts_params_init(&pp, pt->n_params);
            int rc = ts_params_set(&pp, pt->params, pt->n_params, "gap", gap, e);
            if (rc)
                return rc;
            ts_overtake_cfg c = {.N = N, .T = T, .ratio = ratio, .gap = gap,
                                 .horizon = 2 * (lim ? BL : B) + 10,
                                 .R = lim ? (R + 3) / 4 : R, .seed = 31, .pop = &pp};
            ts_overtake r;
            rc = ts_overtake_run(mt, pt, &c, &r, e);
            if (rc)
                return rc;
            if (!mt->set_log_weights) {
                ts_claim_add(out, "prop2", lab, NAN, NAN, 0, "", -1,
                    "not applicable: %s", r.why);
                return TS_OK;
            }
            if (!r.applicable)
                ts_claim_add(out, "prop2", lab, NAN, (double)B, 0, "", -1,
                    "not applicable at w_k/w_i=%g: %s", ratio, r.why);
            else
                prop2_rows(mt, lab, B, &c, &r, out);
        }
    return TS_OK;
}

int ts_claim_prop2(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    const ts_population_type *pt = ts_population_find("newcomer", e);
    if (!pt)
        return TS_EINVAL;
    for (int k = 0; ts_mechanism_types[k]; k++) {
        int rc = prop2_mech(o, ts_mechanism_types[k], pt, out, e);
        if (rc)
            return rc;
    }
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Prop. 3(b). */

int ts_claim_prop3b(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    char text[512];
    snprintf(text, sizeof text,
             "name: prop3b\nfeedback: full\npopulation: bands\nN: 5\nm: 5\n"
             "T: [200, 2000]\nepsilon: [0, 0.05, 0.1, 0.2]\n"
             "mechanisms: [ours, hedge, median]\nreplicas: %ld\nseed: 13\n",
             ts_check_scaled(30, o, 6));
    ts_claim_run run;
    int rc = ts_claim_run_text("check:prop3b", text, o, &run, e);
    if (rc)
        return rc;
    const ts_experiment *x = run.x;
    for (long k = 0; k < x->n_points; k++) {
        const ts_point_result *r = &run.res[k];
        const double T = (double)r->T, eps = run.pt[k].epsilon;
        const double bound = 3 * sqrt(log((double)r->N) / (2 * T)) + 2 * eps;
        for (int c = 0; c < r->n_cell; c++) {
            double mean, ci;
            ts_mean_ci(r->regret + (size_t)c * r->R, r->R, 1, &mean, &ci);
            mean /= T;
            ci /= T;
            const int ours = !strcmp(x->mech[c]->name, "ours");
            ts_claim_add(out, "prop3b", x->mech[c]->name, mean + ci, bound, ci,
                ours ? "<=" : "", ours ? mean + ci <= bound : -1,
                "mean R(T)/T + 95%% CI vs 3 sqrt(ln N/2T) + 2 eps, eps=%.2f T=%ld",
                eps, r->T);
        }
    }
    ts_claim_run_free(&run);
    return TS_OK;
}

/* ------------------------------------------------------------------ */
/* Drift. */

/* The rows of one mechanism (switches at sw[S]). */
static void drift_rows(const ts_mechanism_type *mt, const ts_drift_cfg *c,
                       const double *sw, int S, const ts_drift_out *d,
                       ts_claim_list *out)
{
    char lab[32];
    ts_claim_mech_label(mt, lab, sizeof lab);
    const int ours = !strcmp(mt->name, "ours") && mt->feedback == TS_FULL;
    if (mt->feedback == TS_FULL)
        ts_claim_add(out, "drift", lab, d->worst_regret_over_bound, 1, 0, ours ? "<=" : "",
            ours ? d->worst_regret_over_bound <= 1 : -1,
            "max over paths of R(T)/(3 sqrt(T ln N/2)) under drift, T=%ld", c->T);
    ts_claim_add(out, "drift", lab, d->regret, 0, d->regret_ci, "", -1,
        "R(T)/T against the best fixed worker, switches at 500, 1000");
    ts_claim_add(out, "drift", lab, d->seg_regret, 0, d->seg_regret_ci, "", -1,
        "R(T)/T against the best worker of each segment");
    for (int s = 0; s < S; s++) {
        ts_claim_add(out, "drift", lab, d->tracked[s], 1, 0, ours ? ">=" : "",
            ours ? d->tracked[s] >= 1 : -1,
            "fraction of paths whose new best holds share > 1/2 before "
            "the segment ends, switch %d", s + 1);
        ts_claim_add(out, "drift", lab, d->delay[s], 0, d->delay_ci[s], "", -1,
            "slots until the new best's share > 1/2, switch at %g", sw[s]);
        if (mt->set_log_weights && mt->feedback == TS_FULL)
            ts_claim_add(out, "drift", lab, d->within_bound[s], 0.9, 0, ours ? ">=" : "",
                ours ? d->within_bound[s] >= 0.9 : -1,
                "fraction overtaking old best within Prop.2 bound (mean tau %.0f, "
                "mean bound %.0f), switch %d", d->overtake[s], d->overtake_bound[s], s + 1);
    }
}

int ts_claim_drift(const ts_check_opts *o, ts_claim_list *out, ts_err *e)
{
    static const double sw[] = {500, 1000};
    const int S = 2;
    static const struct {
        const char *name;
        ts_feedback fb;
    } list[] = {{"ours", TS_FULL},  {"hedge", TS_FULL},   {"median", TS_FULL},
                {"average", TS_FULL}, {"em", TS_FULL},  {"ours", TS_LIMITED},
                {"exp3", TS_LIMITED}};
    const ts_population_type *pt = ts_population_find("drift", e);
    if (!pt)
        return TS_EINVAL;
    ts_params pp; /* switches at sw, the rest drift's defaults (mode 0) */
    ts_params_init(&pp, pt->n_params);
    const int ks = ts_param_find(pt->params, pt->n_params, "switch_at");
    if (ks < 0)
        return TS_ERROR(e, TS_EINVAL, "%s: no parameter switch_at", pt->name);
    pp.vec[ks] = sw;
    pp.len[ks] = S;
    pp.set[ks] = 1;
    ts_drift_cfg c = {.N = 5, .m = 10, .T = 1500, .pop = &pp,
                      .R = ts_check_scaled(30, o, 6), .seed = 41};
    for (size_t k = 0; k < sizeof list / sizeof list[0]; k++) {
        if (o->stop && *o->stop)
            return TS_EINTR;
        const ts_mechanism_type *mt = ts_mechanism_find(list[k].name, list[k].fb, e);
        if (!mt)
            return TS_EINVAL;
        ts_drift_out d;
        int rc = ts_drift_run(mt, pt, &c, &d, e);
        if (rc)
            return rc;
        drift_rows(mt, &c, sw, d.n_switch < S ? d.n_switch : S, &d, out);
    }
    return TS_OK;
}

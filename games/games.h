/* games.h -- the mechanism and population registries (STYLE §1, §8). */
#ifndef TS_GAMES_H
#define TS_GAMES_H

#include "game/game.h"

/* Mechanisms, full feedback (SPEC §2, first table). */
extern const ts_mechanism_type ts_mech_ours;
extern const ts_mechanism_type ts_mech_hedge;
extern const ts_mechanism_type ts_mech_median;
extern const ts_mechanism_type ts_mech_average;
extern const ts_mechanism_type ts_mech_em;

/* Mechanisms, limited feedback (SPEC §2, second table; paper Sec. VI).
 * Same names as their full-feedback siblings, except exp3 (limited only). */
extern const ts_mechanism_type ts_mech_ours_limited;
extern const ts_mechanism_type ts_mech_exp3;
extern const ts_mechanism_type ts_mech_median_limited;
extern const ts_mechanism_type ts_mech_em_limited;
extern const ts_mechanism_type ts_mech_average_limited;

/* Populations (SPEC §3). */
extern const ts_population_type ts_pop_bands;
extern const ts_population_type ts_pop_signals;
extern const ts_population_type ts_pop_newcomer;
extern const ts_population_type ts_pop_drift;

/* Benchmarks 5 and 6 and Freeman et al.'s WSU / WSU-UX (SPEC §2, both
 * tables; full and limited vtables under one name each), and their
 * synthetic population (Freeman et al. 2020, Sec. 6). */
extern const ts_mechanism_type ts_mech_omoe;
extern const ts_mechanism_type ts_mech_omoe_limited;
extern const ts_mechanism_type ts_mech_betabin;
extern const ts_mechanism_type ts_mech_betabin_limited;
extern const ts_mechanism_type ts_mech_wsu;
extern const ts_mechanism_type ts_mech_wsu_limited;
extern const ts_population_type ts_pop_freeman;

/* What the claims of src/analysis/dynamics.c need to know about two populations.
 * newcomer (Prop. 2): the incumbent's (index 0) and the newcomer's (index
 * 1) bands from the population's parameters (defaults filled), so that
 * their expected losses differ by `gap`; TS_EINPUT when they cannot. */
int ts_newcomer_bands(const ts_params *p, double lo[2], double hi[2],
                      ts_err *e);
/* E[u^2] for u ~ Uniform[lo, hi]: the expected squared loss of a worker
 * with that band (bands, newcomer, drift). */
double ts_band_sq_loss(double lo, double hi);
/* drift: the segment of slot t (the number of switches at or before t)
 * and worker i's band at slot t, from an initialised drift state. */
int ts_drift_segment(const void *st, long t);
void ts_drift_band(const void *st, long t, int i, double *lo, double *hi);

/* NULL-terminated tables, one line per entry. */
extern const ts_mechanism_type *const ts_mechanism_types[];
extern const ts_population_type *const ts_population_types[];

/* Find by name and feedback mode; NULL and a message listing the valid
 * names if there is none. */
const ts_mechanism_type *ts_mechanism_find(const char *name,
                                           ts_feedback feedback, ts_err *e);
const ts_population_type *ts_population_find(const char *name, ts_err *e);

#endif

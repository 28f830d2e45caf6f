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
extern const ts_population_type ts_pop_spectrum; /* games/spectrum.h: its API */

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


/* NULL-terminated tables, one line per entry. */
extern const ts_mechanism_type *const ts_mechanism_types[];
extern const ts_population_type *const ts_population_types[];

/* Find by name and feedback mode; NULL and a message listing the valid
 * names if there is none. */
const ts_mechanism_type *ts_mechanism_find(const char *name,
                                           ts_feedback feedback, ts_err *e);
/* The same lookup over the first n entries of arr (or up to its NULL):
 * a per-process registry's mechanisms, plugins included. */
const ts_mechanism_type *ts_mechanism_lookup(const ts_mechanism_type *const *arr,
                                             int n, const char *name,
                                             ts_feedback feedback, ts_err *e);
const ts_population_type *ts_population_find(const char *name, ts_err *e);

#endif

/* pop_util.h -- pieces the belief populations of SPEC §3 share.
 *
 * One copy of what games/signals.c (the Gaussian signal model) and
 * games/spectrum.c (energy detection, Sec. VII) both need: the logistic
 * posterior q = logistic(logit pi + LLR) and standard normals by
 * Box-Muller with 53-bit uniforms for the tails (SPEC §1).  Left out: the
 * streams the uniforms come from, which each population draws itself.
 *
 * Internal to games/: nothing here is exported under the ts_ prefix, and
 * nothing here allocates, prints or keeps state. */
#ifndef TS_POP_UTIL_H
#define TS_POP_UTIL_H

#include <stddef.h>

/* logistic(x) = 1/(1 + e^-x), in the form that cannot overflow to NaN and
 * keeps relative precision for x < 0. */
double pop_logistic(double x);

/* n standard normals into z by Box-Muller, from 3 ceil(n/2) uniforms u
 * (32-bit resolution, as ts_rng_fill_u01 gives them).  Pair k uses
 * (h, l, v) = u[3k .. 3k+2]:
 *     u1 = (x_h + l) 2^-32,  x_h = h 2^32 - 1/2 the first word itself,
 *     R = sqrt(-2 ln u1),  z_2k = R cos(2 pi v),  z_2k+1 = R sin(2 pi v).
 * u1 has at least 53 bits of resolution (SPEC §1: a tail probability
 * needs them; with 32 bits |z| would stop at 6.7), lies in (0, 1] (it can
 * round up to 1, which gives z = 0 harmlessly) and is never 0, so the log
 * is finite.  For odd n the last sine is not kept. */
void pop_box_muller(const double *u, size_t n, double *z);

#endif

/* pop_util.c -- the logistic posterior and Box-Muller normals shared by
 * the belief populations (pop_util.h).  Left out: drawing the uniforms. */
#include <math.h>

#include "games/pop_util.h"

#define TWO_P32 4294967296.0              /* 2^32 */
#define TWO_M32 2.3283064365386963e-10    /* 2^-32 */
#define TWO_PI 6.283185307179586476925287 /* 2 pi */

double pop_logistic(double x)
{
    if (x >= 0.0)
        return 1.0 / (1.0 + exp(-x));
    double ex = exp(x);
    return ex / (1.0 + ex);
}

void pop_box_muller(const double *u, size_t n, double *z)
{
    for (size_t k = 0; 2 * k < n; k++) {
        const double h = u[3 * k], l = u[3 * k + 1], v = u[3 * k + 2];
        const double u1 = ((h * TWO_P32 - 0.5) + l) * TWO_M32;
        const double R = sqrt(-2.0 * log(u1));
        z[2 * k] = R * cos(TWO_PI * v);
        if (2 * k + 1 < n)
            z[2 * k + 1] = R * sin(TWO_PI * v);
    }
}

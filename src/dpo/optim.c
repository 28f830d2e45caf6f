/* optim.c -- AdamW (see dpo_optim.h). */
#include "dpo/dpo_optim.h"

#include <math.h>

#include "dpo/dpo_layers.h"

#ifdef TS_DPO_F64
#define SQRT sqrt
#else
#define SQRT sqrtf
#endif

typedef ts_dpo_real real;

/* Elements per parallel chunk, and the fewest elements worth a parallel
 * region (an update is ~10 flops an element: below this, a fork costs
 * more than it saves, the more so on shared cores). */
#define CHUNK 16384
#define PAR_MIN_ELEMENTS 262144

static void adamw_chunk(real *restrict p, const real *restrict g,
                        real *restrict m, real *restrict v, size_t n,
                        real lr, real b1, real b2, real eps, real decay,
                        real c1, real c2)
{
    for (size_t i = 0; i < n; i++) {
        real gi = g[i];
        real mi = b1 * m[i] + (1 - b1) * gi;
        real vi = b2 * v[i] + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        /* m-hat = m / (1 - b1^t), v-hat = v / (1 - b2^t) */
        real step = (mi * c1) / (SQRT(vi * c2) + eps);
        p[i] = p[i] * decay - lr * step;
    }
}

void ts_dpo_adamw_step(real *p, const real *g, real *m, real *v, size_t n,
                       const ts_dpo_adamw *o, long t, int nthreads)
{
    real c1 = (real)(1 / (1 - pow(o->beta1, (double)t)));
    real c2 = (real)(1 / (1 - pow(o->beta2, (double)t)));
    real decay = (real)(1 - o->lr * o->weight_decay);
    long nc = (long)((n + CHUNK - 1) / CHUNK);
    (void)nthreads;
    TS_DPO_OMP(omp parallel for schedule(static) num_threads(nthreads) if (n >= PAR_MIN_ELEMENTS))
    for (long c = 0; c < nc; c++) {
        size_t i0 = (size_t)c * CHUNK;
        size_t k = n - i0 < CHUNK ? n - i0 : CHUNK;
        adamw_chunk(p + i0, g + i0, m + i0, v + i0, k, (real)o->lr,
                    (real)o->beta1, (real)o->beta2, (real)o->eps, decay, c1,
                    c2);
    }
}

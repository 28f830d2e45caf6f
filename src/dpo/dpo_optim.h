/* dpo_optim.h -- AdamW (Loshchilov & Hutter, ICLR 2019), the optimiser of
 * SPEC §6 (lr 5e-5 in the paper), in PyTorch's form: decoupled weight decay
 * p <- p (1 - lr wd), then the bias-corrected Adam step. */
#ifndef TS_DPO_OPTIM_H
#define TS_DPO_OPTIM_H

#include <stddef.h>

#include "dpo/dpo_model.h"

typedef struct ts_dpo_adamw {
    double lr;           /* learning rate                                 */
    double beta1, beta2; /* moment decay rates                            */
    double eps;          /* added to sqrt(v-hat); keeps the step finite   */
    double weight_decay; /* decoupled, per step: p *= 1 - lr wd           */
} ts_dpo_adamw;

/* One AdamW step over n parameters p with gradients g and moments m, v;
 * t >= 1 counts steps (bias correction).  Elementwise, so the result does
 * not depend on the thread count. */
void ts_dpo_adamw_step(ts_dpo_real *p, const ts_dpo_real *g, ts_dpo_real *m,
                       ts_dpo_real *v, size_t n, const ts_dpo_adamw *o,
                       long t, int nthreads);

#endif

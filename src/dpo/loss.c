/* loss.c -- DPO, robust DPO and their gradients (see dpo_loss.h). */
#include "dpo/dpo_loss.h"

#include <math.h>

double ts_dpo_sigmoid(double x)
{
    if (x >= 0)
        return 1 / (1 + exp(-x));
    double z = exp(x);
    return z / (1 + z);
}

double ts_dpo_neg_log_sigmoid(double x)
{
    /* log(1 + e^-x): for x < 0 write it as -x + log(1 + e^x). */
    if (x >= 0)
        return log1p(exp(-x));
    return -x + log1p(exp(x));
}

double ts_dpo_loss_soft(double h, double A, double *dldh)
{
    if (dldh)
        *dldh = -(A - ts_dpo_sigmoid(h));
    return A * ts_dpo_neg_log_sigmoid(h) +
           (1 - A) * ts_dpo_neg_log_sigmoid(-h);
}

double ts_dpo_loss_robust(double h, double A, double eps, double *dldh)
{
    if (eps == 0)
        return ts_dpo_loss_soft(h, A, dldh);
    double dp, dm;
    double lp = ts_dpo_loss_soft(h, A, &dp);
    double lm = ts_dpo_loss_soft(-h, A, &dm);
    /* d/dh loss_A(-h) = -loss_A'(-h) */
    if (dldh)
        *dldh = ((1 - eps) * dp + eps * dm) / (1 - 2 * eps);
    return ((1 - eps) * lp - eps * lm) / (1 - 2 * eps);
}

void ts_dpo_pair(double lp_chosen, double lp_rejected, double ref_chosen,
                 double ref_rejected, double A, double beta, double flip,
                 ts_dpo_pair_loss *out)
{
    double rc = beta * (lp_chosen - ref_chosen);
    double rr = beta * (lp_rejected - ref_rejected);
    double h = rc - rr, dh;
    out->h = h;
    out->reward_chosen = rc;
    out->reward_rejected = rr;
    out->loss = ts_dpo_loss_robust(h, A, flip, &dh);
    out->dlogp_chosen = beta * dh;
    out->dlogp_rejected = -beta * dh;
}

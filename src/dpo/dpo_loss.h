/* dpo_loss.h -- the objectives, as functions of sequence log-probabilities
 * (SPEC §6, Sec. VII-B of the paper).
 *
 * DPO with a soft label A in [0, 1] (SPEC §6):
 *   h    = beta [(log pi(y|x) - log ref(y|x)) - (log pi(y'|x) - log ref(y'|x))]
 *   loss = -A log sigma(h) - (1 - A) log sigma(-h)
 *   dloss/dh = -(A - sigma(h)),
 * so the loss is minimised at sigma(h) = A: the policy's implied preference
 * matches the aggregated label.  A = 1 is Rafailov et al.'s DPO.
 *
 * Robust DPO (Chowdhury et al., ICML 2024) debiases labels flipped with a
 * known rate eps in [0, 1/2):
 *   loss_eps(h) = [(1 - eps) loss_A(h) - eps loss_A(-h)] / (1 - 2 eps).
 *
 * SFT: mean negative log-likelihood of the completion tokens. */
#ifndef TS_DPO_LOSS_H
#define TS_DPO_LOSS_H

/* sigma(x) and -log sigma(x) = log(1 + e^-x), both without overflow. */
double ts_dpo_sigmoid(double x);
double ts_dpo_neg_log_sigmoid(double x);

/* Soft-label DPO loss at margin h; *dldh (if not NULL) = dloss/dh. */
double ts_dpo_loss_soft(double h, double A, double *dldh);
/* Robust DPO loss with flip rate eps (eps = 0 gives ts_dpo_loss_soft). */
double ts_dpo_loss_robust(double h, double A, double eps, double *dldh);

/* Everything one preference pair contributes to a step. */
typedef struct ts_dpo_pair_loss {
    double h;               /* margin, as above                          */
    double loss;
    double reward_chosen;   /* beta (log pi(y|x) - log ref(y|x)), as TRL  */
    double reward_rejected; /* beta (log pi(y'|x) - log ref(y'|x))        */
    double dlogp_chosen;    /* dloss / d log pi(y|x)  =  beta dloss/dh    */
    double dlogp_rejected;  /* dloss / d log pi(y'|x) = -beta dloss/dh    */
} ts_dpo_pair_loss;

/* lp_*: policy sequence log-probs; ref_*: cached reference ones. */
void ts_dpo_pair(double lp_chosen, double lp_rejected, double ref_chosen,
                 double ref_rejected, double A, double beta, double flip,
                 ts_dpo_pair_loss *out);

#endif

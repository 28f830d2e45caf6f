/* e2e.h -- the paper's end-to-end experiment (Sec. VII-B; SPEC §6): each
 * round a slot of the spectrum sensing game, its aggregated labels
 * fine-tune a GPT-style policy by soft-label DPO, and the policy is scored
 * against the reference on fresh test prompts.
 *
 * One call runs one replica of one (mechanism, strategy, model) cell for T
 * rounds.  Round t:
 *   1. a test slot: m_test prompts and their true states from the
 *      population's streams under the test point id (ts_e2e_test_point),
 *      positioned at t -- never the training draws;
 *   2. a training slot t: the population draws p[m] and beliefs q[N][m]
 *      (streams keyed by `point`), each SU's strategy reports, the
 *      verified states pv (flipped with probability epsilon, Prop. 3), and
 *      the one slot step (game/slot.h): who is heard, labels A_j =
 *      P(BUSY > IDLE), the update;
 *   3. Stage II's fine-tuning: pairs (prompt text of the measured sub-band,
 *      " BUSY", " IDLE", A_j) train the policy (dpo/dpo_trainer.h); the
 *      policy carries over between rounds unless `restart`;
 *   4. evaluation on the test prompts by the two completions' sequence
 *      log-likelihoods: accuracy, the reference's accuracy, win-rate.
 * Every draw is keyed by (seed, point, replica) (base/streams.h); the DPO
 * trainer's by a seed derived from them.  Nothing depends on nthreads. */
#ifndef TS_E2E_H
#define TS_E2E_H

#include <stdint.h>

#include "game/game.h"
#include "game/strategy.h"
#include "dpo/dpo_trainer.h"

typedef struct ts_e2e_config {
    const ts_mechanism_type *mech;
    const ts_params *mech_par;   /* what the user set, or NULL              */
    /* Any population with prompt texts (game.h, prompt_text): `spectrum`,
     * `deepsense` (then data is its windows), a plugin's. */
    const ts_population_type *pop;
    const ts_params *pop_par;    /* what the user set, or NULL              */
    const struct ts_spectrum_set *data; /* deepsense only (spectrum.h)      */
    const ts_strategy_type *strat;
    const ts_params *strat_par;  /* what the user set, or NULL              */
    int N, m, m_test;            /* SUs; training and test prompts a round  */
    long T;                      /* rounds                                  */
    double epsilon;              /* verification flip rate (Prop. 3)        */
    uint64_t seed;
    uint32_t point, replica;
    ts_dpo_config model;         /* a preset's config (dpo_model.h)         */
    const char *init;            /* llm.c checkpoint to start from, or NULL */
    ts_dpo_options dpo;          /* the paper's values by default; seed and
                                    nthreads are set here                   */
    int restart;                 /* 1: policy from the reference each round */
    int nthreads;
} ts_e2e_config;

/* Per round. */
typedef struct ts_e2e_round {
    double win_rate, test_accuracy, reference_accuracy;
    double label_accuracy;   /* labels on the right side of 1/2 (a tie: 1/2) */
    double label_mse;        /* (1/m) sum_j (A_j - p_j)^2, the loss of eq. (5) */
    ts_dpo_metrics dpo;      /* the last epoch's means                       */
} ts_e2e_round;

/* CPU seconds of the running thread, summed over rounds. */
typedef struct ts_e2e_timing {
    double simulation, aggregation, dpo;
} ts_e2e_timing;

/* The point id of round t's test prompts for training point `point`. */
uint32_t ts_e2e_test_point(uint32_t point);

/* Run c->T rounds; out[T]; tm may be NULL. */
int ts_e2e_run(const ts_e2e_config *c, ts_e2e_round *out, ts_e2e_timing *tm,
               ts_err *e);

#endif

/* dpo_h5.h -- the trainer's results as HDF5 (issue 6, items 6 and 8).
 *
 * Datasets (float64, one value per epoch): loss, rewards_chosen,
 * rewards_rejected, rewards_accuracy, rewards_margin -- TRL's DPO metrics --
 * and sft_loss when SFT ran.  Root attributes: test_accuracy,
 * reference_accuracy, win_rate, n_test, and every setting that shaped the
 * result (passed in attrs: STYLE §3, whatever affects a result is stored). */
#ifndef TS_DPO_H5_H
#define TS_DPO_H5_H

#include "dpo/dpo_trainer.h"

typedef struct ts_dpo_h5_attr {
    const char *name;
    const char *text;  /* a string attribute if not NULL ...             */
    double value;      /* ... else this number                           */
} ts_dpo_h5_attr;

/* Write through path.tmp, renamed into place when complete.  ev may be
 * NULL (no test set); sft_loss may be NULL when sft_epochs is 0. */
int ts_dpo_write_h5(const char *path, const ts_dpo_metrics *metrics,
                    int epochs, const double *sft_loss, int sft_epochs,
                    const ts_dpo_eval *ev, const ts_dpo_h5_attr *attrs,
                    int nattrs, const volatile sig_atomic_t *stop, ts_err *e);

#endif

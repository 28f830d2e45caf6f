/* dpo.h -- the DPO trainer of truthsim (SPEC §6), all public headers. */
#ifndef TS_DPO_H
#define TS_DPO_H

#include "dpo_checkpoint.h"
#include "dpo_data.h"
#include "dpo_h5.h"
#include "dpo_lora.h"
#include "dpo_loss.h"
#include "dpo_model.h"
#include "dpo_optim.h"
#include "dpo_tokenizer.h"
#include "dpo_trainer.h"

#endif

/* dpo.h -- the DPO trainer of truthsim (SPEC §6), all public headers. */
#ifndef TS_DPO_H
#define TS_DPO_H

#include "dpo/dpo_checkpoint.h"
#include "dpo/dpo_data.h"
#include "dpo/dpo_h5.h"
#include "dpo/dpo_lora.h"
#include "dpo/dpo_loss.h"
#include "dpo/dpo_model.h"
#include "dpo/dpo_optim.h"
#include "dpo/dpo_tokenizer.h"
#include "dpo/dpo_trainer.h"

#endif

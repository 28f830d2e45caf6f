/* dpo.c -- `truthsim dpo`: fine-tune a GPT-2 policy on a preference
 * CSV with LoRA and soft-label DPO, then report win-rate (SPEC §6;
 * issue 6, item 8).
 *
 *   truthsim dpo --train TRAIN.csv --test TEST.csv [--preset NAME]
 *                [--init CHECKPOINT] [--epochs E] [--beta B] [--lr LR]
 *                [--lora-rank R] ... -o OUT.h5 [-s MODEL.bin]
 *
 * The reference policy is the initial model: --init, or the preset's
 * seeded random initialisation (after --sft-epochs of SFT if asked).
 * Options are parsed with argp; nothing here exits: errors come back to
 * main as a status, each printed as one line.  The result file carries
 * the provenance attributes of every truthsim file (with the command
 * line when main hands it over, ts_cli_dpo_env) and the settings. */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "base/outfile.h"
#include "dpo/dpo.h"
#include "ts_config.h"

#ifdef _OPENMP
#include <omp.h>
#endif

enum {
    OPT_TRAIN = 256, OPT_TEST, OPT_PRESET, OPT_INIT, OPT_TOKENIZER, OPT_EPOCHS,
    OPT_BETA, OPT_LR, OPT_BATCH, OPT_RANK, OPT_ALPHA, OPT_DROPOUT,
    OPT_TARGETS, OPT_FULL, OPT_WD, OPT_FLIP, OPT_SFT_EPOCHS, OPT_SFT_LR,
    OPT_SEED, OPT_THREADS, OPT_USAGE, OPT_BETAS, OPT_EPS
};

static const struct argp_option options[] = {
    {0, 0, 0, 0, "Data and model:", 1},
    {"train", OPT_TRAIN, "CSV", 0,
     "Preferences to train on: prompt,chosen,rejected,label with label = "
     "P(chosen preferred) in [0,1] (required)", 1},
    {"test", OPT_TEST, "CSV", 0,
     "Test prompts, same columns, label 1 if chosen is correct, 0 if "
     "rejected is", 1},
    {"preset", OPT_PRESET, "NAME", 0,
     "Model size: small, medium, large or xl (default small)", 1},
    {"init", OPT_INIT, "CHECKPOINT", 0,
     "Start from (and use as reference) an llm.c GPT-2 checkpoint", 1},
    {"tokenizer", OPT_TOKENIZER, "FILE", 0,
     "llm.c tokenizer file (e.g. GPT-2's) instead of the built-in "
     "sensing vocabulary", 1},
    {"output", 'o', "OUT.h5", 0, "Metrics and win-rate (required)", 1},
    {"save", 's', "MODEL.bin", 0,
     "Save the fine-tuned policy, adapters merged, as a checkpoint", 1},
    {0, 0, 0, 0, "Training (defaults are the paper's, Sec. VII-B):", 2},
    {"epochs", OPT_EPOCHS, "E", 0, "DPO epochs (3)", 2},
    {"beta", OPT_BETA, "B", 0, "DPO beta (0.01)", 2},
    {"lr", OPT_LR, "LR", 0, "AdamW learning rate (5e-5)", 2},
    {"batch-size", OPT_BATCH, "N", 0, "Pairs per step (8)", 2},
    {"weight-decay", OPT_WD, "WD", 0, "AdamW decoupled weight decay (0)", 2},
    {"adam-betas", OPT_BETAS, "B1,B2", 0, "AdamW moment decay rates (0.9,0.999)",
     2},
    {"adam-eps", OPT_EPS, "EPS", 0, "AdamW epsilon (1e-8)", 2},
    {"flip-rate", OPT_FLIP, "EPS", 0,
     "Robust DPO: assumed label flip rate in [0, 0.5) (0 = plain DPO)", 2},
    {"lora-rank", OPT_RANK, "R", 0, "LoRA rank (8)", 2},
    {"lora-alpha", OPT_ALPHA, "A", 0,
     "LoRA scale alpha; adapters are multiplied by alpha/rank (16)", 2},
    {"lora-dropout", OPT_DROPOUT, "P", 0, "LoRA input dropout (0.05)", 2},
    {"lora-targets", OPT_TARGETS, "WHICH", 0,
     "Adapted projections: qkv, proj or all (all)", 2},
    {"full", OPT_FULL, 0, 0, "Fine-tune every weight instead of LoRA", 2},
    {"sft-epochs", OPT_SFT_EPOCHS, "E", 0,
     "First fine-tune on the preferred completions for E epochs; the "
     "result becomes the reference (0)", 2},
    {"sft-lr", OPT_SFT_LR, "LR", 0, "Learning rate of the SFT epochs (1e-3)",
     2},
    {"seed", OPT_SEED, "S", 0,
     "Seed of the initial weights, adapters, dropout and shuffling (1)", 2},
    {"threads", OPT_THREADS, "N", 0,
     "Threads (default: OpenMP's); results do not depend on it", 2},
    {"quiet", 'q', 0, 0, "No progress line", 3},
    {"help", '?', 0, 0, "Give this help list", -1},
    {"usage", OPT_USAGE, 0, 0, "Give a short usage message", -1},
    {"version", 'V', 0, 0, "Print program version", -1},
    {0, 0, 0, 0, 0, 0},
};

typedef struct cli {
    const char *train, *test, *preset, *init, *tokenizer, *out, *save;
    ts_dpo_options o;
    int sft_epochs;
    double sft_lr;
    int quiet;
    int done;          /* --help or --usage was given                    */
    char err[512];     /* first option error                             */
    int tty;
} cli;

static int bad(cli *c, const char *fmt, const char *opt, const char *arg)
{
    if (!c->err[0])
        snprintf(c->err, sizeof c->err, fmt, opt, arg);
    return EINVAL;
}

static int get_double(cli *c, const char *opt, const char *arg, double *x)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end || errno == ERANGE || !isfinite(v))
        return bad(c, "%s: '%s' is not a number", opt, arg);
    *x = v;
    return 0;
}

static int get_int(cli *c, const char *opt, const char *arg, long lo,
                   long hi, int *x)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || errno == ERANGE)
        return bad(c, "%s: '%s' is not an integer", opt, arg);
    if (v < lo || v > hi) {
        if (!c->err[0])
            snprintf(c->err, sizeof c->err, "%s: %ld is outside [%ld, %ld]",
                     opt, v, lo, hi);
        return EINVAL;
    }
    *x = (int)v;
    return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
    cli *c = state->input;
    switch (key) {
    case OPT_TRAIN: c->train = arg; return 0;
    case OPT_TEST: c->test = arg; return 0;
    case OPT_PRESET: c->preset = arg; return 0;
    case OPT_INIT: c->init = arg; return 0;
    case OPT_TOKENIZER: c->tokenizer = arg; return 0;
    case 'o': c->out = arg; return 0;
    case 's': c->save = arg; return 0;
    case 'q': c->quiet = 1; return 0;
    case OPT_FULL: c->o.full = 1; return 0;
    case OPT_EPOCHS: return get_int(c, "--epochs", arg, 0, 1000000, &c->o.epochs);
    case OPT_BETA: return get_double(c, "--beta", arg, &c->o.beta);
    case OPT_LR: return get_double(c, "--lr", arg, &c->o.adamw.lr);
    case OPT_BATCH:
        return get_int(c, "--batch-size", arg, 1, 65536, &c->o.batch_size);
    case OPT_WD:
        return get_double(c, "--weight-decay", arg, &c->o.adamw.weight_decay);
    case OPT_FLIP: return get_double(c, "--flip-rate", arg, &c->o.flip_rate);
    case OPT_EPS: return get_double(c, "--adam-eps", arg, &c->o.adamw.eps);
    case OPT_BETAS: {
        char b1[64];
        const char *comma = strchr(arg, ',');
        size_t n = comma ? (size_t)(comma - arg) : 0;
        if (!comma || n >= sizeof b1)
            return bad(c, "%s: '%s' is not two numbers B1,B2", "--adam-betas",
                       arg);
        memcpy(b1, arg, n);
        b1[n] = '\0';
        if (get_double(c, "--adam-betas", b1, &c->o.adamw.beta1))
            return EINVAL;
        return get_double(c, "--adam-betas", comma + 1, &c->o.adamw.beta2);
    }
    case OPT_RANK:
        return get_int(c, "--lora-rank", arg, 1, 65536, &c->o.lora_rank);
    case OPT_ALPHA: return get_double(c, "--lora-alpha", arg, &c->o.lora_alpha);
    case OPT_DROPOUT:
        return get_double(c, "--lora-dropout", arg, &c->o.lora_dropout);
    case OPT_TARGETS:
        if (strcmp(arg, "qkv") == 0)
            c->o.lora_targets = TS_DPO_LORA_QKV;
        else if (strcmp(arg, "proj") == 0)
            c->o.lora_targets = TS_DPO_LORA_PROJ;
        else if (strcmp(arg, "all") == 0)
            c->o.lora_targets = TS_DPO_LORA_ALL;
        else
            return bad(c, "%s: '%s' is not one of qkv, proj, all",
                       "--lora-targets", arg);
        return 0;
    case OPT_SFT_EPOCHS:
        return get_int(c, "--sft-epochs", arg, 0, 1000000, &c->sft_epochs);
    case OPT_SFT_LR: return get_double(c, "--sft-lr", arg, &c->sft_lr);
    case OPT_SEED: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(arg, &end, 10);
        if (end == arg || *end || errno == ERANGE || arg[0] == '-')
            return bad(c, "%s: '%s' is not a non-negative integer", "--seed",
                       arg);
        c->o.seed = (uint64_t)v;
        return 0;
    }
    case OPT_THREADS:
        return get_int(c, "--threads", arg, 1, 4096, &c->o.nthreads);
    case '?':
        argp_state_help(state, stdout, ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK);
        c->done = 1;
        return 0;
    case OPT_USAGE:
        argp_state_help(state, stdout, ARGP_HELP_USAGE);
        c->done = 1;
        return 0;
    case 'V': /* as argp's own --version in the other commands (args.c) */
        printf("%s\n", argp_program_version);
        c->done = 1;
        return 0;
    case ARGP_KEY_ARG:
        return bad(c, "%s'%s': unexpected argument (options only)", "", arg);
    default:
        return ARGP_ERR_UNKNOWN;
    }
}

static const char doc[] =
    "Fine-tune a GPT-2-architecture policy on aggregated preference labels "
    "with LoRA and soft-label DPO (loss = -A log sigma(h) - (1-A) log "
    "sigma(-h)), then classify the test prompts by comparing the two "
    "completions' log-likelihoods and report accuracy and win-rate (policy "
    "right, reference wrong).  SPEC section 6; paper Sec. VII-B."
    "\v" TS_CLI_EXIT_HELP;

static void progress(void *ctx, const ts_dpo_progress *p)
{
    const cli *c = ctx;
    int last = p->step == p->steps;
    if (c->quiet || (!c->tty && !last))
        return;
    if (strcmp(p->phase, "sft") == 0)
        fprintf(stderr, "\rsft epoch %d/%d step %ld/%ld loss %.4f%s", p->epoch,
                p->epochs, p->step, p->steps, p->running.loss,
                last ? "\n" : "");
    else
        fprintf(stderr,
                "\rdpo epoch %d/%d step %ld/%ld loss %.4f rewards/chosen "
                "%+.4f rewards/rejected %+.4f rewards/accuracies %.3f "
                "rewards/margins %+.4f%s",
                p->epoch, p->epochs, p->step, p->steps, p->running.loss,
                p->running.rewards_chosen, p->running.rewards_rejected,
                p->running.rewards_accuracy, p->running.rewards_margin,
                last ? "\n" : "");
}

/* The first pair of s longer than maxT tokens, as an error. */
static int check_lengths(const ts_dpo_prefset *s, int maxT, ts_err *e)
{
    for (size_t i = 0; i < s->n; i++)
        for (int k = 0; k < 2; k++) {
            int np, nc;
            ts_dpo_pair_prompt(s, i, &np);
            ts_dpo_pair_completion(s, i, k, &nc);
            if (np + nc > maxT)
                return TS_ERROR(e, TS_EINPUT,
                                "%s:%d: prompt + %s is %d tokens, more than "
                                "the model's context of %d (HINT: shorten "
                                "the prompt or use a larger preset)",
                                s->source, s->line[i],
                                k ? "rejected" : "chosen", np + nc, maxT);
        }
    return TS_OK;
}

/* What one `truthsim dpo` builds, freed together by dpo_run_free. */
typedef struct dpo_run {
    ts_dpo_config cfg;
    ts_dpo_tokenizer *tok;
    ts_dpo_prefset *train, *test; /* test may stay NULL                */
    ts_dpo_trainer *tr;
    ts_dpo_metrics *mt;           /* [epochs + 1]                      */
    double *sft;                  /* [sft_epochs] SFT losses, or NULL  */
    ts_dpo_eval ev;               /* filled when there is a test set   */
} dpo_run;

static void dpo_run_free(dpo_run *r)
{
    free(r->mt);
    free(r->sft);
    ts_dpo_trainer_free(r->tr);
    ts_dpo_prefset_free(r->train);
    ts_dpo_prefset_free(r->test);
    ts_dpo_tokenizer_free(r->tok);
}

/* The status of a constructor that returned NULL. */
static int failed(const ts_err *e)
{
    return e->code ? e->code : TS_ENOMEM;
}

/* The model's sizes (--preset or the checkpoint of --init) and the
 * training options, checked. */
static int model_config(const cli *c, ts_dpo_config *cfg, ts_err *e)
{
    if (c->init && c->preset)
        return TS_ERROR(e, TS_EINPUT, "give --preset or --init, not both "
                        "(a checkpoint carries its own sizes)");
    int rc;
    if (c->init)
        rc = ts_dpo_checkpoint_config(c->init, cfg, e);
    else
        rc = ts_dpo_preset_config(c->preset ? c->preset : "small", cfg, e);
    if (rc)
        return rc;
    return ts_dpo_options_check(&c->o, e);
}

/* The tokenizer and the training (and test) preferences, every pair
 * within the model's context. */
static int load_data(const cli *c, dpo_run *r, ts_err *e)
{
    r->tok = c->tokenizer ? ts_dpo_tokenizer_load(c->tokenizer, e)
                          : ts_dpo_tokenizer_builtin(e);
    if (!r->tok)
        return e->code;
    if (r->tok->vocab_size > r->cfg.vocab_size)
        return TS_ERROR(e, TS_EINPUT, "%s: the tokenizer has %d tokens, the "
                        "model's vocabulary only %d",
                        c->tokenizer ? c->tokenizer : "built-in tokenizer",
                        r->tok->vocab_size, r->cfg.vocab_size);
    r->train = ts_dpo_prefset_alloc(e);
    if (!r->train || ts_dpo_prefset_read_csv(r->train, r->tok, c->train, 0, e))
        return failed(e);
    if (c->test) {
        r->test = ts_dpo_prefset_alloc(e);
        if (!r->test ||
            ts_dpo_prefset_read_csv(r->test, r->tok, c->test, 1, e))
            return failed(e);
    }
    int rc = check_lengths(r->train, r->cfg.max_seq_len, e);
    if (!rc && r->test)
        rc = check_lengths(r->test, r->cfg.max_seq_len, e);
    return rc;
}

/* The trainer, sized for the longest pair, with --init's weights. */
static int build_trainer(const cli *c, dpo_run *r, ts_err *e)
{
    int max_len = ts_dpo_prefset_max_len(r->train);
    if (r->test && ts_dpo_prefset_max_len(r->test) > max_len)
        max_len = ts_dpo_prefset_max_len(r->test);
    if (max_len < 2)
        max_len = 2;
    r->tr = ts_dpo_trainer_alloc(&r->cfg, NULL, &c->o, max_len, e);
    if (!r->tr)
        return failed(e);
    if (c->init)
        return ts_dpo_trainer_load(r->tr, c->init, e);
    return TS_OK;
}

/* SFT if asked, the reference log-probabilities, the DPO epochs and the
 * evaluation on the test set. */
static int train(cli *c, dpo_run *r, ts_err *e)
{
    int rc;
    if (c->sft_epochs > 0) {
        r->sft = malloc((size_t)c->sft_epochs * sizeof *r->sft);
        if (!r->sft)
            return TS_ERROR(e, TS_ENOMEM, "out of memory");
        if ((rc = ts_dpo_trainer_sft(r->tr, r->train, c->sft_epochs, c->sft_lr,
                                     r->sft, progress, c, e)))
            return rc;
    }
    if ((rc = ts_dpo_trainer_reference(r->tr, r->train, e)) ||
        (r->test && (rc = ts_dpo_trainer_reference(r->tr, r->test, e))))
        return rc;
    r->mt = calloc((size_t)c->o.epochs + 1, sizeof *r->mt);
    if (!r->mt)
        return TS_ERROR(e, TS_ENOMEM, "out of memory");
    if ((rc = ts_dpo_trainer_train(r->tr, r->train, r->mt, progress, c, e)))
        return rc;
    if (r->test)
        return ts_dpo_trainer_evaluate(r->tr, r->test, &r->ev, e);
    return TS_OK;
}

static void print_metrics(const cli *c, const dpo_run *r)
{
    const ts_dpo_metrics *mt = r->mt;
    for (int i = 0; i < c->o.epochs; i++)
        printf("epoch %d: loss %.6f rewards/chosen %+.6f rewards/rejected "
               "%+.6f rewards/accuracies %.4f rewards/margins %+.6f\n",
               i + 1, mt[i].loss, mt[i].rewards_chosen, mt[i].rewards_rejected,
               mt[i].rewards_accuracy, mt[i].rewards_margin);
    if (r->test)
        printf("test: %zu prompts, accuracy %.4f, reference accuracy %.4f, "
               "win-rate %.4f\n",
               r->ev.n, r->ev.accuracy, r->ev.reference_accuracy,
               r->ev.win_rate);
}

/* The model (-s) and the result file: metrics, and every setting that
 * shaped them as root attributes beside the provenance (dpo_h5.h). */
static int write_results(const cli *c, const dpo_run *r,
                         const char *command_line, ts_err *e)
{
    const ts_dpo_config *cfg = &r->cfg;
    const ts_dpo_h5_attr at[] = {
        {"command_line", command_line, 0},
        {"truthsim_version", TS_VERSION, 0},
        {"train_csv", c->train, 0},
        {"test_csv", c->test ? c->test : "", 0},
        {"model", c->init ? c->init : (c->preset ? c->preset : "small"), 0},
        {"tokenizer", c->tokenizer ? c->tokenizer : "built-in sensing", 0},
        {"n_train", NULL, (double)r->train->n},
        {"n_params", NULL, (double)r->tr->m->num_params},
        {"max_seq_len", NULL, cfg->max_seq_len},
        {"vocab_size", NULL, cfg->vocab_size},
        {"num_layers", NULL, cfg->num_layers},
        {"num_heads", NULL, cfg->num_heads},
        {"channels", NULL, cfg->channels},
        {"beta", NULL, c->o.beta},
        {"flip_rate", NULL, c->o.flip_rate},
        {"lr", NULL, c->o.adamw.lr},
        {"adam_beta1", NULL, c->o.adamw.beta1},
        {"adam_beta2", NULL, c->o.adamw.beta2},
        {"adam_eps", NULL, c->o.adamw.eps},
        {"weight_decay", NULL, c->o.adamw.weight_decay},
        {"batch_size", NULL, c->o.batch_size},
        {"epochs", NULL, c->o.epochs},
        {"full_finetune", NULL, c->o.full},
        {"lora_rank", NULL, c->o.full ? 0 : c->o.lora_rank},
        {"lora_alpha", NULL, c->o.lora_alpha},
        {"lora_dropout", NULL, c->o.lora_dropout},
        {"lora_targets", c->o.lora_targets == TS_DPO_LORA_QKV ? "qkv"
                         : c->o.lora_targets == TS_DPO_LORA_PROJ ? "proj"
                                                                 : "all", 0},
        {"sft_epochs", NULL, c->sft_epochs},
        {"sft_lr", NULL, c->sft_lr},
        {"seed", NULL, (double)c->o.seed},
        {"threads", NULL, r->tr->m->nthreads},
    };
    int rc;
    if (c->save && (rc = ts_dpo_trainer_save(r->tr, c->save, e)))
        return rc;
    rc = ts_dpo_write_h5(c->out, r->mt, c->o.epochs, r->sft, c->sft_epochs,
                         r->test ? &r->ev : NULL, at,
                         (int)(sizeof at / sizeof at[0]), c->o.stop, e);
    if (rc && c->save)
        remove(c->save);
    return rc;
}

static int run(cli *c, const char *command_line, ts_err *e)
{
    dpo_run r;
    memset(&r, 0, sizeof r);
    int rc = model_config(c, &r.cfg, e);
    /* Outputs that cannot be written are refused before any training. */
    if (!rc)
        rc = ts_out_probe(c->out, e);
    if (!rc && c->save)
        rc = ts_out_probe(c->save, e);
    if (rc)
        return rc;
    rc = load_data(c, &r, e);
    if (!rc)
        rc = build_trainer(c, &r, e);
    if (!rc)
        rc = train(c, &r, e);
    if (!rc) {
        print_metrics(c, &r);
        rc = write_results(c, &r, command_line, e);
    }
    dpo_run_free(&r);
    return rc;
}

int ts_cli_dpo_env(int argc, char **argv, const ts_cli_env *env)
{
    cli c;
    memset(&c, 0, sizeof c);
    ts_dpo_options_default(&c.o);
    c.sft_lr = 1e-3;
    c.tty = isatty(2);
    /* argp names the program after argv[0] in --help: show the subcommand */
    char **av = malloc(((size_t)argc + 1) * sizeof *av);
    if (!av) {
        fprintf(stderr, "truthsim dpo: out of memory\n");
        return TS_EXIT_SOFTWARE;
    }
    char name[] = "truthsim dpo";
    av[0] = name;
    for (int i = 1; i < argc; i++)
        av[i] = argv[i];
    av[argc] = NULL;
    struct argp argp = {options, parse_opt, NULL, doc, NULL, NULL, NULL};
    error_t r = argp_parse(&argp, argc, av, ARGP_NO_EXIT | ARGP_NO_HELP, NULL,
                           &c);
    free(av);
    if (c.err[0]) {
        fprintf(stderr, "truthsim dpo: %s (try --help)\n", c.err);
        return TS_EXIT_USAGE;
    }
    if (r) {
        /* argp printed what was wrong (an unknown option) */
        return TS_EXIT_USAGE;
    }
    if (c.done)
        return 0;
    if (!c.train || !c.out) {
        fprintf(stderr, "truthsim dpo: --train and -o are required (try "
                        "--help)\n");
        return TS_EXIT_USAGE;
    }
    ts_err e;
    ts_err_clear(&e);
    c.o.stop = env ? env->stop : NULL; /* Ctrl-C ends training (TS_EINTR) */
    int rc = run(&c, env ? env->command_line : NULL, &e);
    if (rc) {
        fprintf(stderr, "truthsim dpo: %s\n",
                e.msg[0] ? e.msg : ts_strerror(rc));
        return ts_cli_exit_code(rc);
    }
    return 0;
}

int ts_cli_dpo(int argc, char **argv)
{
    return ts_cli_dpo_env(argc, argv, NULL);
}

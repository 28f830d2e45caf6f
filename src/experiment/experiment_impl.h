/* experiment_impl.h -- how the stages of loading an experiment hand over
 * to each other (internal to src/experiment; experiment.h is the API).
 *
 *   yaml.c       text and --set values -> ts_value (with positions)
 *   interpret.c  ts_value -> the experiment's fields, axes and grid size
 *   resolve.c    (experiment, index) -> ts_point (public: experiment.h)
 *   canonical.c  the values as run -> canonical YAML (public)
 *   experiment.c reads the file and runs the stages in that order. */
#ifndef TS_EXPERIMENT_IMPL_H
#define TS_EXPERIMENT_IMPL_H

#include "experiment/experiment.h"

/* Free what a value holds and zero it. */
void ts_yaml_value_free(ts_value *v);

/* A plain scalar as a number (no nan, inf or hex: experiments never mean
 * those) or as a YAML boolean; 1 if it is one, else 0. */
int ts_yaml_number(const char *s, double *out);
int ts_yaml_bool(const char *s, int *out);

/* The experiment's text (x->source, named x->path in messages, with line
 * and column) into x->vals; a key given twice is refused. */
int ts_yaml_load_text(ts_experiment *x, ts_err *e);

/* One `--set KEY=VALUE` (VALUE is YAML): adds or replaces KEY. */
int ts_yaml_apply_set(ts_experiment *x, const char *arg, ts_err *e);

/* Check the values and fill the experiment's fields, axes and point count;
 * resolves every grid point once, so preconditions fail at start-up,
 * polling *stop (may be NULL) as it goes: TS_EINTR. */
int ts_experiment_interpret(ts_experiment *x, const volatile sig_atomic_t *stop,
                            ts_err *e);

#endif

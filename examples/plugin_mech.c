/* plugin_mech.c -- a mechanism written outside truthsim, as a plugin.
 *
 * "damped": exponential weights on each worker's absolute loss,
 *   Stage II   A_j = sum_i w_i r_ij / sum_i w_i
 *   Stage III  w_i <- w_i exp(-eta l_i),  l_i = (1/m) sum_j |r_ij - pv_j|
 * (the absolute loss is not a proper scoring rule, so this rule is not
 * truthful: `truthsim best-response` shows workers pushed to the extremes).
 *
 * Build and use it against the installed library:
 *   cc $(pkg-config --cflags truthsim) -shared -fPIC -o damped.so \
 *      plugin_mech.c $(pkg-config --libs truthsim)
 *   truthsim run --plugin ./damped.so --set mechanisms=[damped,hedge] ...
 *   truthsim best-response --plugin ./damped.so --mechanism damped ...
 *   truthsim check --plugin ./damped.so --mechanism damped
 */
#include <math.h>
#include <stddef.h>

#include <truthsim/game.h>
#include <truthsim/registry.h>

static const ts_param_spec params[] = {
    {"eta", 0.0, INFINITY, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,
     "step size of the exponential update [sqrt(8 ln N / T)]"},
};

/* Hedge's tuning for losses in [0, 1] (Freund & Schapire). */
static void defaults(const ts_shape *g, ts_params *p)
{
    if (!p->set[0])
        p->v[0] = sqrt(8.0 * log((double)g->N) / (double)g->T);
}

/* The state: eta and then log w_i for every worker (flat, memcpy-able). */
typedef struct damped {
    int N;
    double eta;
    double logw[];
} damped;

static size_t state_size(const ts_shape *g)
{
    return sizeof(damped) + (size_t)g->N * sizeof(double);
}

static int init(void *st, const ts_shape *g, const ts_params *p, ts_err *e)
{
    (void)e;
    damped *d = st;
    d->N = g->N;
    d->eta = p->v[0];
    for (int i = 0; i < g->N; i++)
        d->logw[i] = 0.0; /* w_i = 1 */
    return TS_OK;
}

static int aggregate(void *st, const ts_slot *s, double *A, ts_err *e)
{
    const damped *d = st;
    double top = -INFINITY, total = 0.0;
    for (int i = 0; i < s->N; i++)
        top = fmax(top, d->logw[i]);
    for (int j = 0; j < s->m; j++)
        A[j] = 0.0;
    for (int i = 0; i < s->N; i++) {
        double w = exp(d->logw[i] - top); /* shifted: no underflow */
        total += w;
        for (int j = 0; j < s->m; j++)
            A[j] += w * s->r[i * s->m + j];
    }
    for (int j = 0; j < s->m; j++)
        A[j] /= total;
    if (!isfinite(total))
        return TS_ERROR(e, TS_ENONFINITE, "damped: weights are not finite");
    return TS_OK;
}

static int update(void *st, const ts_slot *s, const double *pv, ts_err *e)
{
    (void)e;
    damped *d = st;
    for (int i = 0; i < s->N; i++) {
        double l = 0.0;
        for (int j = 0; j < s->m; j++)
            l += fabs(s->r[i * s->m + j] - pv[j]);
        d->logw[i] -= d->eta * l / s->m;
    }
    return TS_OK;
}

static void log_weights(const void *st, double *logw)
{
    const damped *d = st;
    for (int i = 0; i < d->N; i++)
        logw[i] = d->logw[i];
}

static const ts_mechanism_type damped_type = {
    .name = "damped",
    .params = params,
    .n_params = 1,
    .defaults = defaults,
    .label = "damped (plugin)",
    .feedback = TS_FULL,
    .state_size = state_size,
    .init = init,
    .aggregate = aggregate,
    .update = update,
    .log_weights = log_weights,
};

static const ts_mechanism_type *const mechanisms[] = {&damped_type, NULL};

/* The one symbol truthsim looks for. */
const ts_plugin_info ts_plugin = {
    .api_version = TS_PLUGIN_API_VERSION,
    .name = "damped example",
    .mechanisms = mechanisms,
};

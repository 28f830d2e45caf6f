/* signals.c -- population `signals` (SPEC §3): calibrated beliefs, for
 * incentive checks.
 *
 * p_j ~ Bernoulli(prior), the common prior pi = P(p_j = 1).  Worker i sees
 * a private signal s_ij about p_j, independent across (i, j, t) given p_j,
 * and believes the Bayesian posterior q_ij = P(p_j = 1 | s_ij).  Because q
 * is the posterior under the very model that draws p, a worker's subjective
 * expectation of any payoff equals its expectation in the simulation
 * (among draws with belief q, p = 1 with frequency q): a deviation that
 * gains in simulation gains for real (SPEC §3).  `bands` lacks this.
 *
 * Two signal models, parameter `noise`:
 *
 * noise = 0, binary symmetric.  s = p with probability a_i, else 1 - p.
 *     q = pi a / (pi a + (1 - pi)(1 - a))            if s = 1,
 *     q = pi (1 - a) / (pi (1 - a) + (1 - pi) a)      if s = 0.
 *   Accuracies `accuracy` (one per worker, each in (1/2, 1)).  Default
 *   rule: a_1 = 0.9; a_i for i = 2..N evenly from 0.8 down to 0.6,
 *   a_i = 0.8 - 0.2 (i-2)/(N-2); at N = 2 the single other worker takes
 *   the middle, 0.7.  (N = 5: 0.9, 0.8, 0.7333, 0.6667, 0.6.)
 *
 * noise = 1, Gaussian.  s = (2p - 1) + sigma_i z, z ~ N(0, 1).  The
 *   likelihood ratio of N(1, sigma^2) against N(-1, sigma^2) at s is
 *     exp(-(s-1)^2/(2 sigma^2)) / exp(-(s+1)^2/(2 sigma^2))
 *       = exp(((s+1)^2 - (s-1)^2) / (2 sigma^2)) = exp(2 s / sigma^2),
 *   so by Bayes' rule in log-odds form
 *     q = logistic(logit pi + 2 s / sigma^2).
 *   Noise levels `sigma` (one per worker, each > 0).  Default rule:
 *   sigma_1 = 0.5; sigma_i for i = 2..N evenly from 1 to 2,
 *   sigma_i = 1 + (i-2)/(N-2); at N = 2 the other worker takes 1.5.
 *   A Gaussian belief can round to exactly 0 or 1 when |s| is large; it
 *   stays in [0, 1].
 *
 * Both vectors may be given whatever `noise` is (a grid can sweep noise);
 * only the one of the chosen model is used.  A given vector must have N
 * entries.
 *
 * The vectors' defaults depend on N, so they are applied in init (a
 * ts_params cannot own a vector) and are not in the ts_params the output
 * attributes are written from: a run that leaves them unset used the rule
 * above.
 *
 * Randomness: p from the `state` stream (m uniforms); signals from the
 * `belief` stream, N*m uniforms for the binary model and 3 per pair of
 * normals for the Gaussian (Box-Muller, games/pop_util.c), drawn in bulk with
 * ts_rng_fill_u01, so slot t's draws are a pure function of (seed, point,
 * replica, t).
 *
 * Symbols: N workers, m prompts, pi prior, a accuracy, sigma noise, s
 * signal, p[m] true states, q[N][m] beliefs. */
#include "games/games.h"
#include "games/pop_util.h"

#include <math.h>

enum { P_PRIOR, P_NOISE, P_ACCURACY, P_SIGMA, P_COUNT };
enum { NOISE_BINARY = 0, NOISE_GAUSS = 1 };

static const ts_param_spec params[P_COUNT] = {
    [P_PRIOR] = {"prior", 0, 1, TS_PARAM_LO_OPEN | TS_PARAM_HI_OPEN,
                 "common prior pi = P(p_j = 1)"},
    [P_NOISE] = {"noise", 0, 1, TS_PARAM_INT,
                 "signal model: 0 = binary symmetric (accuracy), "
                 "1 = Gaussian (sigma)"},
    [P_ACCURACY] = {"accuracy", 0.5, 1, TS_PARAM_VEC | TS_PARAM_LO_OPEN |
                                            TS_PARAM_HI_OPEN,
                    "binary model: per-worker accuracies a_i = P(s = p), "
                    "N numbers (default 0.9, then 0.8 down to 0.6)"},
    [P_SIGMA] = {"sigma", 0, INFINITY, TS_PARAM_VEC | TS_PARAM_LO_OPEN |
                                           TS_PARAM_HI_OPEN,
                 "Gaussian model: per-worker noise sigma_i, s = 2p - 1 + "
                 "sigma_i z, N numbers (default 0.5, then 1 up to 2)"},
};

typedef struct signals_state {
    int N, m;
    int noise;
    double prior;
    double logit_prior;
    /* Per worker, [N] each: a_i (binary) or sigma_i (Gaussian); q given
     * s = 1 (binary) or 2/sigma_i^2 (Gaussian); q given s = 0 (binary).
     * Then the Gaussian model's scratch, [3 ceil(N m / 2)] uniforms. */
    double w[];
} signals_state;

static void defaults(const ts_shape *g, ts_params *p)
{
    (void)g;
    if (!p->set[P_PRIOR])
        p->v[P_PRIOR] = 0.5;
    if (!p->set[P_NOISE])
        p->v[P_NOISE] = NOISE_BINARY;
    /* The vectors' defaults depend on N and are applied in init (a
     * ts_params cannot own a vector): see default_accuracy/default_sigma. */
}

static int check_len(const ts_shape *g, const ts_params *p, int k,
                     ts_err *e)
{
    if ((p->set[k] || p->len[k] > 0) && p->len[k] != g->N)
        return TS_ERROR(e, TS_EINPUT,
                        "signals: '%s' has %d numbers but N = %d needs %d "
                        "(one per worker)",
                        params[k].name, p->len[k], g->N, g->N);
    return TS_OK;
}

static int check(const ts_shape *g, const ts_params *p, ts_err *e)
{
    int rc = check_len(g, p, P_ACCURACY, e);
    return rc ? rc : check_len(g, p, P_SIGMA, e);
}

static size_t scratch_len(const ts_shape *g)
{
    size_t n = (size_t)g->N * (size_t)g->m;
    return 3 * ((n + 1) / 2);
}

static size_t state_size(const ts_shape *g)
{
    return sizeof(signals_state) +
           (3 * (size_t)g->N + scratch_len(g)) * sizeof(double);
}

/* The documented default rules, worker i 0-based. */
static double default_accuracy(int N, int i)
{
    if (i == 0)
        return 0.9;
    return N > 2 ? 0.8 - 0.2 * (double)(i - 1) / (double)(N - 2) : 0.7;
}

static double default_sigma(int N, int i)
{
    if (i == 0)
        return 0.5;
    return N > 2 ? 1.0 + (double)(i - 1) / (double)(N - 2) : 1.5;
}

static int init(void *vst, const ts_shape *g, const ts_params *p, ts_err *e)
{
    signals_state *st = vst;
    const int N = g->N;
    st->N = N;
    st->m = g->m;
    st->noise = (int)p->v[P_NOISE];
    st->prior = p->v[P_PRIOR];
    st->logit_prior = log(st->prior) - log1p(-st->prior);
    const double pi = st->prior;
    double *a = st->w, *q1 = st->w + N, *q0 = st->w + 2 * N;
    for (int i = 0; i < N; i++) {
        if (st->noise == NOISE_BINARY) {
            a[i] = p->len[P_ACCURACY] == N ? p->vec[P_ACCURACY][i]
                                           : default_accuracy(N, i);
            q1[i] = pi * a[i] / (pi * a[i] + (1.0 - pi) * (1.0 - a[i]));
            q0[i] = pi * (1.0 - a[i]) /
                    (pi * (1.0 - a[i]) + (1.0 - pi) * a[i]);
        } else {
            a[i] = p->len[P_SIGMA] == N ? p->vec[P_SIGMA][i]
                                        : default_sigma(N, i);
            q1[i] = 2.0 / (a[i] * a[i]);
            q0[i] = NAN;
        }
    }
    (void)e;
    return TS_OK;
}

static int draw(void *vst, long t, int m, ts_rng *state, ts_rng *belief,
                double *p, double *q)
{
    (void)t;
    signals_state *st = vst;
    const int N = st->N;
    const size_t n = (size_t)N * (size_t)m;
    const double *a = st->w, *q1 = st->w + N, *q0 = st->w + 2 * N;

    ts_rng_fill_u01(state, p, (size_t)m);
    for (int j = 0; j < m; j++)
        p[j] = p[j] < st->prior ? 1.0 : 0.0;

    if (st->noise == NOISE_BINARY) {
        /* u_ij < a_i: the signal tells the truth, s = p; else s = 1 - p. */
        ts_rng_fill_u01(belief, q, n);
        for (int i = 0; i < N; i++) {
            double *qi = q + (size_t)i * m;
            for (int j = 0; j < m; j++) {
                const int s = (qi[j] < a[i]) == (p[j] == 1.0);
                qi[j] = s ? q1[i] : q0[i];
            }
        }
        return TS_OK;
    }

    /* Gaussian: q = logistic(logit pi + (2/sigma^2) s), s = 2p-1 + sigma z. */
    double *u = st->w + 3 * N;
    ts_rng_fill_u01(belief, u, 3 * ((n + 1) / 2));
    pop_box_muller(u, n, q);
    for (int i = 0; i < N; i++) {
        double *qi = q + (size_t)i * m;
        for (int j = 0; j < m; j++) {
            const double s = (2.0 * p[j] - 1.0) + a[i] * qi[j];
            qi[j] = pop_logistic(st->logit_prior + q1[i] * s);
        }
    }
    return TS_OK;
}

const ts_population_type ts_pop_signals = {
    .name = "signals",
    .params = params,
    .n_params = P_COUNT,
    .defaults = defaults,
    .check = check,
    .state_size = state_size,
    .init = init,
    .draw = draw,
};

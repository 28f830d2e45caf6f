/* game.h -- the interfaces the engine drives: mechanisms and populations.
 *
 * The repeated game of SPEC §1 (paper Sec. III).  The engine owns the loop
 * (STYLE §1): per slot t it asks the population for true states p and
 * beliefs q, the strategies for reports r, the mechanism for labels A
 * (Stage II), and after verification (p~, here `pv`) for the update
 * (Stage III).  The engine never knows a mechanism or population by name:
 * it calls through these const vtables, resolved once in games/registry.c.
 *
 * Symbols (paper notation): N workers, m prompts in this slot, T slots,
 * q beliefs, r reports, w weights, A labels, p true states, pv verified
 * states, theta draw probabilities (limited feedback, eq. 12).
 *
 * Mechanism state is flat and pointer-free: the engine allocates
 * state_size() bytes, so a clone is one memcpy (best responses clone it).
 * Slot functions never allocate; scratch space belongs in the state. */
#ifndef TS_GAME_H
#define TS_GAME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/err.h"
#include "base/params.h"
#include "base/rng.h"
#include "game/plugin.h"

/* One slot as the mechanism sees it. */
typedef struct ts_slot {
    long t;          /* 0-based slot index (the paper's t-1)                 */
    int N;           /* workers in the game                                  */
    int m;           /* prompts in this slot, 1 <= m <= shape.m              */
    const double *r; /* reports [n_heard][m], r[h*m + j], rows in sel order  */
    int n_heard;     /* full feedback: N; limited: the workers heard         */
    const int *sel;  /* [n_heard] worker ids, increasing; NULL means 0..N-1  */
    /* Optional, for update(): loss[h] = (1/m) sum_j (r_hj - pv_j)^2 of each
     * heard row, already computed (and its reports checked to lie in
     * [0,1]) by the caller, bit for bit as ts_sq_loss_rows gives it; NULL
     * when not.  The engine passes it when reports are beliefs and pv = p,
     * where it is the regret comparator's own loss. */
    const double *loss;
} ts_slot;

/* Replica lanes (engine_lanes.c): TS_LANES replicas of one point run
 * side by side, one per SIMD lane, arrays lane-major (x[k*TS_LANES + l]).
 * Each lane's arithmetic is exactly its replica's in the one-replica path,
 * in the same order, so the results agree bit for bit; the lanes only put
 * independent replicas into one vector.  Functions carrying these clones
 * are compiled for AVX-512, AVX2 and the baseline and picked at run time;
 * ISO C keeps FP contraction off, so no clone adds an FMA.  Building with
 * -DTS_NO_LANES_CLONES (and, say, -mavx2) compiles one variant only, so
 * the bitwise tests can check a variant this CPU would not pick. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(TS_NO_LANES_CLONES)
#define TS_LANES_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define TS_LANES_CLONES
#endif

/* One lane group's values as one vector (GCC's vector extension, which
 * Clang shares): arithmetic is lane by lane, IEEE, with the width of the
 * clone's registers (one AVX-512 register, two AVX2 or four SSE2); a
 * comparison gives -1 (true) or 0 per lane.  Lane-major arrays are
 * 64-byte aligned in rows of TS_LANES, so they are read as ts_lv arrays. */
typedef double ts_lv __attribute__((vector_size(TS_LANES * sizeof(double))));
typedef unsigned long long ts_lvu
    __attribute__((vector_size(TS_LANES * sizeof(unsigned long long))));

/* ------------------------------------------------------------------ */
/* Mechanisms (SPEC §2).                                               */

/* Optional lanes form of a full-feedback mechanism with truthful workers.
 * st[l] is lane l's state (as init() left it, state_size() bytes); work is
 * work_size() bytes of lane-major scratch the engine keeps per lane group.
 * Per slot the engine calls begin, then rows for every worker in order
 * (rows i0..i1-1 of the reports per call, r[((i-i0)*m + j)*TS_LANES + l]),
 * then labels (A[j*TS_LANES + l]) and update, whose loss[i*TS_LANES + l]
 * is ts_slot.loss's value for lane l (the row's squared loss against the
 * verified states, reports checked to lie in [0,1]).  update returns a bit
 * mask of the lanes where the one-replica update would have failed; the
 * engine reruns those replicas the ordinary way, which reports the error. */
typedef struct ts_mech_lanes {
    size_t (*work_size)(const ts_shape *g);
    void (*begin)(void *const *st, void *work, int m);
    void (*rows)(void *const *st, void *work, int i0, int i1, int m,
                 const double *r);
    void (*labels)(void *const *st, void *work, int m, double *A);
    unsigned (*update)(void *const *st, void *work, int m,
                       const double *loss);
} ts_mech_lanes;

typedef struct ts_mechanism_type {
    /* name is the registry key ("ours", "hedge", ...); defaults and check
     * (plugin.h) give the SPEC §2 defaults, e.g. alpha = (2/3) sqrt(2 ln
     * N/T), and preconditions such as Def. 5's alpha < theta_i. */
    TS_OWNER_MEMBERS;
    const char *label;  /* for outputs and plots: "omoe (stand-in)"          */
    ts_feedback feedback;

    size_t (*state_size)(const ts_shape *g);
    /* Weights start at w_i = 1 (SPEC §2). */
    int (*init)(void *st, const ts_shape *g, const ts_params *p, ts_err *e);

    /* Stage II: labels A[m] from the reports heard.  May cache work for
     * update() in the state (EM runs here).  Returns TS_OK, TS_ENOCONV
     * (result usable, but an iteration hit its cap) or an error. */
    int (*aggregate)(void *st, const ts_slot *s, double *A, ts_err *e);
    /* Stage III: reweigh after verification; pv[m] in {0,1}.  TS_OK or an
     * error; never TS_ENOCONV (the slot step would read it as a failure). */
    int (*update)(void *st, const ts_slot *s, const double *pv, ts_err *e);

    /* The quantity a worker values, as a natural log: log w_i for `ours` and
     * `hedge`, log a_i for `em`, log v_i for `omoe`, ...  -inf is allowed
     * (a zero weight).  share_i = w_i / sum_k w_k is derived from these
     * generically (uniform if every weight is zero). */
    void (*log_weights)(const void *st, double *logw /* [N] */);

    /* Limited feedback only (Sec. VI), NULL otherwise.
     * theta: the draw probabilities of eq. (12), sum 1.  NULL for mechanisms
     * that hear a uniform random subset (the subset baselines).
     * n_heard: workers heard per slot (1 for Def. 5, k for a subset). */
    void (*theta)(const void *st, double *theta /* [N] */);
    int (*n_heard)(const ts_shape *g, const ts_params *p);

    /* Optional per-replica diagnostics (e.g. which stationary point EM
     * reached); n_diag names, written as mean over replicas. */
    int n_diag;
    const char *const *diag_names;
    void (*diag)(const void *st, double *out /* [n_diag] */);

    /* Optional: start from given weights instead of w_i = 1, as the
     * inverse of log_weights (up to a common shift where the mechanism
     * only uses ratios).  Prop. 2 (App. H) needs a worker who arrives at
     * slot t0 with a weight disadvantage.  TS_EINVAL (state unchanged) for
     * weights the mechanism cannot hold, e.g. Def. 5's floor w_i > beta.
     * NULL: the weights cannot be set (fixed weights, or a quantity that is
     * not a weight, such as EM's reliabilities). */
    int (*set_log_weights)(void *st, const double *logw /* [N] */, ts_err *e);

    /* Optional: the replica-lanes form (above); NULL if not offered. */
    const ts_mech_lanes *lanes;
} ts_mechanism_type;

/* ------------------------------------------------------------------ */
/* Worker populations (SPEC §3): where p and q come from.               */

typedef struct ts_population_type {
    TS_OWNER_MEMBERS; /* name, parameters, defaults, check (plugin.h) */
    size_t (*state_size)(const ts_shape *g);
    int (*init)(void *st, const ts_shape *g, const ts_params *p, ts_err *e);
    /* Draw slot t: true states p[m] in {0,1} and beliefs q[N][m] (q[i*m+j]).
     * The engine has positioned both streams at slot t: `state` for p
     * (TS_STREAM_STATE) and `belief` for q (TS_STREAM_BELIEF). */
    int (*draw)(void *st, long t, int m, ts_rng *state, ts_rng *belief,
                double *p, double *q);

    /* Optional replica lanes (see ts_mech_lanes), for populations whose
     * draw() neither changes the state nor fails: lane l of each equals
     * what draw() gives lane l's replica, bit for bit, the streams
     * positioned at slot t.  states_lanes: p[j*TS_LANES + l].
     * beliefs_lanes: rows i0..i1-1 of q given p, q[((i-i0)*m + j)*TS_LANES
     * + l], so a slot can be drawn a few rows at a time.  Both or neither. */
    void (*states_lanes)(const void *st, long t, int m,
                         const ts_rng_lanes *state, double *p);
    void (*beliefs_lanes)(const void *st, long t, int m, int i0, int i1,
                          const double *p, const ts_rng_lanes *belief,
                          double *q);

    /* Optional hooks for the analyses (src/analysis), which know a
     * population only through them; st is an initialised state.
     * band: worker i's belief-error band at slot t, for populations that
     * draw beliefs as `bands` does (Sec. VII-A): |q_ij - p_j| = u with
     * u ~ Uniform[lo, hi], so the worker's expected squared loss is
     * E[u^2] = (lo^2 + lo hi + hi^2) / 3 whatever m is.  NULL when the
     * beliefs are not of that form (signals).
     * segment: the regime slot t is in, 0 at t = 0 and one more after
     * each change of the workers' accuracies (drift's switches), so a
     * change falls at the slots where segment(t) != segment(t - 1).  NULL
     * when the accuracies never change. */
    void (*band)(const void *st, long t, int i, double *lo, double *hi);
    int (*segment)(const void *st, long t);

    /* Optional, for the end-to-end loop (src/e2e; SPEC §6), which knows a
     * population only through it: the text of prompt j (0 <= j < m) of
     * the slot drawn last, what the policy reads before " BUSY" / " IDLE"
     * -- for `spectrum` and `deepsense` the measured sub-band's bin powers
     * (games/spectrum.h).  Written into buf[len], cut and NUL-terminated
     * when longer; TS_EINVAL when j is not a prompt of that slot or
     * nothing was drawn yet.  NULL: the population cannot drive the loop
     * (its loader refuses it). */
    int (*prompt_text)(const void *st, int j, char *buf, size_t len,
                       ts_err *e);
} ts_population_type;

/* A flag whose top bit is set exactly when x is outside [0,1] or NaN (-0
 * counts as inside).  With b the bits of x + 0.0 (which turns -0 into +0),
 * x is in [0,1] exactly when b <= bits(1.0); then neither b nor b +
 * (2^63 - 1 - bits(1.0)) reaches 2^63, while any x outside sets the top
 * bit of one of them.  OR the flags of many values and test the top bit
 * once: integer adds and ors, which vectorise on every x86-64 (SSE2 has no
 * 64-bit compare) and cost no branch per value. */
static inline uint64_t ts_unit_flag(double x)
{
    uint64_t b;
    x += 0.0;
    memcpy(&b, &x, sizeof b);
    return b | (b + (0x7FFFFFFFFFFFFFFFull - 0x3FF0000000000000ull));
}

/* out[h] = (1/m) sum_j (x[h*m + j] - p[j])^2 for rows h < n: the squared
 * loss of SPEC §1 for many workers at once.  Each row is summed in prompt
 * order (the result is the plain loop's, bit for bit); four rows run side by
 * side so their add chains overlap.  If bad is not NULL, *bad is set when
 * an entry of x is outside [0,1] or NaN. */
void ts_sq_loss_rows(const double *x, int n, int m, const double *p,
                     double *out, int *bad);

/* Limited feedback (Sec. VI): the worker drawn with probabilities theta[N]
 * by one uniform u in (0,1): the first i with u * sum(theta) < theta_0 +
 * ... + theta_i, summed in index order.  Workers with theta_i = 0 are never
 * drawn. */
int ts_draw_index(const double *theta, int N, double u);

/* A uniform random k-subset of 0..N-1 in increasing order (Knuth's
 * selection sampling, Algorithm S: N uniforms, O(N), no scratch). */
void ts_draw_subset(ts_rng *g, int N, int k, int *sel);

/* Populations: true states p_j ~ Bernoulli(rate), one uniform each. */
void ts_pop_states(ts_rng *state, int m, double rate, double *p);
/* The `bands` rule for the less accurate workers (Sec. VII-A; SPEC §3):
 * the k-th of n such bands (k = 0..n-1) has width 0.1 and centre
 * 0.5 + 0.3 k/(n-1) (0.5 when n = 1) -- the paper's bands at N = 5. */
void ts_pop_band_rule(int n, int k, double *lo, double *hi);

/* Check a list of belief-error bands an experiment gives, [lo, hi, lo,
 * hi, ...] in v[len]: it must hold the bands of workers first..N (1-based),
 * two numbers each, with lo <= hi.  `who` and `key` name the population
 * and its parameter in the message. */
int ts_pop_check_bands(const char *who, const char *key, const double *v,
                       int len, int N, int first, ts_err *e);

/* Populations of the `bands` family (Sec. VII-A): the row q[m] holds
 * uniforms on entry and q_j = p_j + (1 - 2 p_j) (lo + width u_j) on
 * return -- the belief's distance from the truth is uniform on the band. */
void ts_pop_band_row(const double *p, int m, double lo, double width,
                     double *q);

/* ------------------------------------------------------------------ */
/* Instances: a type, its shape and resolved parameters, and its flat    */
/* state (plugin.h).  Whoever calls *_alloc calls *_free.               */

typedef struct ts_mech {
    const ts_mechanism_type *type;
    ts_shape g;
    ts_params par;  /* resolved: user's values, defaults, checked          */
    void *st;       /* [type->state_size(&g)] bytes                        */
} ts_mech;

/* Resolve the parameters (user: what the user set, or NULL for none),
 * allocate the state and init it (w_i = 1).  On failure nothing is left
 * allocated and *m is zeroed. */
int ts_mech_alloc(ts_mech *m, const ts_mechanism_type *mt, const ts_shape *g,
                  const ts_params *user, ts_err *e);
/* Back to the start (a new replica): the type's init again. */
int ts_mech_init(ts_mech *m, ts_err *e);
/* dst becomes an independent copy of src, state included (one memcpy). */
int ts_mech_clone(ts_mech *dst, const ts_mech *src, ts_err *e);
void ts_mech_free(ts_mech *m);

typedef struct ts_pop {
    const ts_population_type *type;
    ts_shape g;
    ts_params par;
    void *st;       /* [type->state_size(&g)] bytes                        */
} ts_pop;

int ts_pop_alloc(ts_pop *p, const ts_population_type *pt, const ts_shape *g,
                 const ts_params *user, ts_err *e);
void ts_pop_free(ts_pop *p);

/* Shares from log weights: share_i = exp(logw_i - lse(logw)); uniform when
 * every logw_i is -inf.  Summed in index order. */
void ts_shares_from_log(int N, const double *logw, double *share);

#endif

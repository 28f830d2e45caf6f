/* slot.c -- the one slot step (slot.h): who is heard, the heard rows,
 * Stage II, the platform's loss of eq. (5) or eq. (12), Stage III. */
#include "game/slot.h"

#include <math.h>
#include <string.h>

int ts_step_k(const ts_mechanism_type *mt, const ts_shape *g,
              const ts_params *par)
{
    if (mt->feedback == TS_FULL)
        return g->N;
    return mt->n_heard ? mt->n_heard(g, par) : 1;
}

void ts_step_theta(const ts_mechanism_type *mt, const void *st, int N, int k,
                   double *theta)
{
    if (mt->theta) {
        mt->theta(st, theta);
        return;
    }
    for (int i = 0; i < N; i++)
        theta[i] = (double)k / N;
}

/* Sec. VI: who is heard this slot, and their rows packed densely. */
static void hear(const ts_mechanism_type *mt, ts_step *s, ts_slot *slot)
{
    const int m = s->m;
    if (s->given) {
        memcpy(s->sel, s->given, (size_t)s->k * sizeof *s->sel);
        s->n_heard = s->k;
    } else {
        ts_rng_seek(s->draw, (uint64_t)s->t);
        if (mt->theta) {
            s->sel[0] = ts_draw_index(s->theta, s->N, ts_rng_u01_53(s->draw));
            s->n_heard = 1;
        } else {
            ts_draw_subset(s->draw, s->N, s->k, s->sel);
            s->n_heard = s->k;
        }
    }
    for (int h = 0; h < s->n_heard; h++)
        memcpy(s->rh + (size_t)h * m, s->r + (size_t)s->sel[h] * m,
               (size_t)m * sizeof *s->rh);
    slot->r = s->rh;
    slot->n_heard = s->n_heard;
    slot->sel = s->sel;
    s->heard = s->sel;
}

/* The platform's loss L_t and, under limited feedback, the heard workers'
 * mean realised loss. */
static double platform_loss(const ts_mechanism_type *mt, ts_step *s)
{
    const int m = s->m;
    double L = 0;
    if (mt->feedback == TS_LIMITED && mt->theta) {
        /* Eq. (12): the expected loss of the draw, sum_i theta_i l^_i. */
        for (int i = 0; i < s->N; i++)
            L += s->theta[i] * s->rl[i];
        double d = 0;
        for (int h = 0; h < s->n_heard; h++)
            d += s->rl[s->sel[h]];
        s->drawn = d / s->n_heard;
        return L;
    }
    for (int j = 0; j < m; j++) {
        double d = s->A[j] - s->p[j];
        L += d * d;
    }
    L /= m;
    if (mt->feedback == TS_LIMITED) {
        ts_sq_loss_rows(s->rh, s->n_heard, m, s->p, s->hl, NULL);
        double d = 0;
        for (int h = 0; h < s->n_heard; h++)
            d += s->hl[h];
        s->drawn = d / s->n_heard;
    }
    return L;
}

int ts_slot_step(const ts_mechanism_type *mt, void *st, ts_step *s, ts_err *e)
{
    ts_slot slot = {.t = s->t, .N = s->N, .m = s->m, .r = s->r,
                    .n_heard = s->N, .sel = NULL, .loss = NULL};
    s->n_heard = s->N;
    s->heard = NULL;
    s->drawn = 0;
    if (mt->feedback == TS_LIMITED)
        hear(mt, s, &slot);
    else
        slot.loss = s->loss;

    ts_err_clear(e);
    int rc = mt->aggregate(st, &slot, s->A, e);
    if (rc && rc != TS_ENOCONV)
        return rc;
    const int noconv = rc == TS_ENOCONV; /* noted; the labels are usable */
    s->L = platform_loss(mt, s);
    if (!isfinite(s->L))
        return TS_ERROR(e, TS_ENONFINITE, "a label or loss became non-finite");

    ts_err up;
    ts_err_clear(&up);
    rc = mt->update(st, &slot, s->pv, &up);
    if (rc == TS_ENOCONV) /* only aggregate may cap (game.h): a failure */
        rc = TS_ERROR(&up, TS_EINVAL, "%s: update returned TS_ENOCONV in slot "
                      "%ld; only aggregate may stop at a cap", mt->name, s->t);
    if (rc) {
        *e = up;
        return rc;
    }
    return noconv ? TS_ENOCONV : TS_OK;
}

/* progress.c -- see progress.h. */
#include "cli/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double ts_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ts_progress_init(ts_progress *p, long total, const char *what, int quiet)
{
    p->total = total;
    p->base = 0;
    p->done = 0;
    p->tty = isatty(STDERR_FILENO);
    p->quiet = quiet;
    p->t0 = p->last = ts_now();
    p->what = what;
}

static void fmt_time(double s, char *buf, size_t len)
{
    if (s < 0 || s > 1e7) {
        snprintf(buf, len, "--:--");
        return;
    }
    long v = (long)(s + 0.5);
    if (v >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", v / 3600, v / 60 % 60, v % 60);
    else
        snprintf(buf, len, "%ld:%02ld", v / 60, v % 60);
}

static void draw(ts_progress *p, int final)
{
    double now = ts_now(), el = now - p->t0;
    double rate = el > 0 ? (double)p->done / el : 0;
    double eta = rate > 0 ? (double)(p->total - p->done) / rate : -1;
    char e1[32], e2[32];
    fmt_time(el, e1, sizeof e1);
    fmt_time(eta, e2, sizeof e2);
    double frac = p->total ? (double)p->done / (double)p->total : 1;
    if (p->tty) {
        char bar[31];
        int fill = (int)(frac * 30);
        for (int k = 0; k < 30; k++)
            bar[k] = k < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %3.0f%% %ld/%ld %s  %.1f/s  %s  ETA %s%s", bar,
                100 * frac, p->done, p->total, p->what, rate, e1, e2,
                final ? "\n" : "  ");
    } else {
        fprintf(stderr, "truthsim: %ld/%ld %s (%.0f%%), %.1f/s, elapsed %s, ETA %s\n",
                p->done, p->total, p->what, 100 * frac, rate, e1, e2);
    }
    fflush(stderr);
}

void ts_progress_update(void *ctx, long done)
{
    ts_progress *p = ctx;
    p->done = p->base + done;
    if (p->quiet)
        return;
    double now = ts_now();
    if (now - p->last < (p->tty ? 0.2 : 10.0))
        return;
    p->last = now;
    draw(p, 0);
}

void ts_progress_next_point(ts_progress *p, long point_units)
{
    p->base += point_units;
    p->done = p->base;
}

void ts_progress_finish(ts_progress *p)
{
    if (!p->quiet && (p->tty || ts_now() - p->t0 > 10.0))
        draw(p, 1);
}

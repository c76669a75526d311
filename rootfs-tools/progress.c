/* Progress of a long import or from-host on stderr: on a terminal one line
 * redrawn in place at most ten times a second; elsewhere, only when asked
 * (--progress always), a plain line at most once a second. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define TERMINAL_INTERVAL_NS 100000000LL
#define LINE_INTERVAL_NS 1000000000LL

void nsl_progress_init(struct nsl_progress *p, enum nsl_progress_when when, const char *verb)
{
        bool tty = isatty(STDERR_FILENO);

        *p = (struct nsl_progress){ .fd = -1, .verb = verb, .phase = "" };
        if (when == NSL_PROGRESS_ALWAYS || (when == NSL_PROGRESS_AUTO && tty)) {
                p->fd = STDERR_FILENO;
                p->in_place = tty;
        }
}

static long long now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void human(uint64_t bytes, char *buf, size_t len)
{
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        double v = (double)bytes;
        size_t u = 0;

        while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
                v /= 1024;
                u++;
        }
        snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void draw(struct nsl_progress *p)
{
        char line[256], done[32], total[32], step[64] = "";
        int n;

        human(p->done, done, sizeof done);
        human(p->total, total, sizeof total);
        if (p->n_steps)
                snprintf(step, sizeof step, " %s %zu/%zu", p->unit, p->step, p->n_steps);
        else if (p->unit[0])
                snprintf(step, sizeof step, " %zu %ss", p->step, p->unit);
        n = snprintf(line, sizeof line, "%snslaunch: %s: %s%s, %s%s%s%s", p->in_place ? "\r" : "", p->verb, p->phase,
                     step, done, p->total ? " of " : "", p->total ? total : "", p->in_place ? "\033[K" : "\n");
        if (n > (int)sizeof line - 1)
                n = (int)sizeof line - 1;
        /* Progress is best effort: a full pipe or a closed stderr does not
         * stop the work. */
        while (write(p->fd, line, (size_t)n) < 0 && errno == EINTR)
                ;
        p->last_ns = now_ns();
        p->shown = true;
}

static void maybe_draw(struct nsl_progress *p)
{
        long long interval = p->in_place ? TERMINAL_INTERVAL_NS : LINE_INTERVAL_NS;

        if (p->fd >= 0 && (!p->shown || now_ns() - p->last_ns >= interval))
                draw(p);
}

void nsl_progress_phase(struct nsl_progress *p, const char *phase, const char *unit, uint64_t total, size_t n_steps)
{
        if (!p)
                return;
        p->phase = phase;
        snprintf(p->unit, sizeof p->unit, "%s", unit ? unit : "");
        p->total = total;
        p->done = 0;
        p->step = 0;
        p->n_steps = n_steps;
}

void nsl_progress_step(struct nsl_progress *p, size_t step)
{
        if (!p)
                return;
        p->step = step;
        maybe_draw(p);
}

void nsl_progress_add(struct nsl_progress *p, uint64_t bytes)
{
        if (!p)
                return;
        p->done += bytes;
        maybe_draw(p);
}

void nsl_progress_end(struct nsl_progress *p, bool ok)
{
        static const char erase[] = "\r\033[K";

        if (!p || p->fd < 0 || !p->shown)
                return;
        if (ok) {
                draw(p);
                if (p->in_place)
                        while (write(p->fd, "\n", 1) < 0 && errno == EINTR)
                                ;
        } else if (p->in_place) {
                /* The error is then the one line left. */
                while (write(p->fd, erase, sizeof erase - 1) < 0 && errno == EINTR)
                        ;
        }
        p->fd = -1;
}

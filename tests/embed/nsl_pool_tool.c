/* The library's pool through the public header alone, for
 * tests/integration/test_pool.py and bench/pool.sh:
 *
 *   nsl-pool [--size N] [--runs N] [--loops N] [--memory SIZE] [--timeout S] [--bind SRC:DST]
 *            [--env NAME=VALUE]... [--out FILE] [--delay-ms N] [--interval-ms N] [--free-early]
 *            [--bench SECONDS] -- CMD...
 *
 * runs CMD --runs times (default 1), each in a sandbox of its own taken from
 * a pool of --size (default 2); --loops threads each do so (default 1).
 * --env goes with each command at start, --out FILE becomes its standard
 * output (opened for appending); --delay-ms waits that long after the pool
 * is made, before the first start, and --interval-ms between runs (the pool
 * refilled meanwhile: the hand-over alone is measured); --free-early frees the pool before
 * waiting for the first command. One line per run: "run I: exit E signal S
 * timed_out T to_exec_ms X". --bench S instead runs for S seconds and prints
 * "bench: N runs in S s: R runs/s, to_exec median M ms p90 P ms".
 * --direct makes each sandbox with nsl_sandbox_create instead, the command in
 * its spec, and starts it --interval-ms later (the hand-over without a pool,
 * for comparison; --env and --out are then unused); --whole does so with
 * no wait and counts from nsl_sandbox_create (a whole launch, as nsl_run).
 * --out-dir DIR hands a directory as the command's stdout, which must be
 * refused: by nsl_pool_start, or, with --via-handle (a sandbox made with
 * nsl_sandbox_create, its command written by this tool straight to
 * nsl_sandbox_start_handle in the format of docs/cli.md), by the sandbox.
 * A failure is nslaunch's one line on stderr and exit status 125. */
#include <stdint.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <nslaunch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

struct options {
        unsigned size, runs, loops, delay_ms, interval_ms;
        double bench_s;
        bool free_early, direct, whole;
        const nsl_spec *spec;
        char *env[64];
        size_t n_env;
        const char *out, *out_dir;     /* --out-dir: a directory as the command's stdout (refused) */
        bool via_handle;                /* the command written to the start handle by this tool */
        char **argv;
};

struct loop {
        nsl_pool *pool;
        const struct options *o;
        double deadline;
        double *to_exec;        /* one per run */
        size_t n, cap;
        int rc;
        nsl_error error;
};

static double now_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int usage(void)
{
        fprintf(stderr, "usage: nsl-pool [OPTIONS] -- CMD... (see its source)\n");
        return 2;
}

static int parse(int argc, char **argv, struct options *o, nsl_spec *spec, nsl_error *error)
{
        int i = 1, r = 0;

        for (; i < argc && strcmp(argv[i], "--") && r == 0; i++) {
                const char *opt = argv[i];
                if (!strcmp(opt, "--via-handle")) {
                        o->via_handle = true;
                        continue;
                }
                if (!strcmp(opt, "--free-early") || !strcmp(opt, "--direct") || !strcmp(opt, "--whole")) {
                        *(opt[2] == 'f' ? &o->free_early : opt[2] == 'd' ? &o->direct : &o->whole) = true;
                        o->direct |= o->whole;
                        continue;
                }
                if (i + 1 >= argc)
                        return -1;
                const char *v = argv[++i];
                if (!strcmp(opt, "--size"))
                        o->size = (unsigned)atoi(v);
                else if (!strcmp(opt, "--runs"))
                        o->runs = (unsigned)atoi(v);
                else if (!strcmp(opt, "--loops"))
                        o->loops = (unsigned)atoi(v);
                else if (!strcmp(opt, "--delay-ms"))
                        o->delay_ms = (unsigned)atoi(v);
                else if (!strcmp(opt, "--interval-ms"))
                        o->interval_ms = (unsigned)atoi(v);
                else if (!strcmp(opt, "--bench"))
                        o->bench_s = atof(v);
                else if (!strcmp(opt, "--out"))
                        o->out = v;
                else if (!strcmp(opt, "--out-dir"))
                        o->out_dir = v;
                else if (!strcmp(opt, "--env") && o->n_env < 63)
                        o->env[o->n_env++] = (char *)v;
                else if (!strcmp(opt, "--memory"))
                        r = nsl_spec_set_memory(spec, v, error);
                else if (!strcmp(opt, "--timeout"))
                        r = nsl_spec_set_timeout(spec, v, error);
                else if (!strcmp(opt, "--bind"))
                        r = nsl_spec_add_bind(spec, v, true, error);
                else
                        return -1;
        }
        if (r < 0)
                return r;
        if (i + 1 >= argc)
                return -1;
        o->argv = argv + i + 1;
        return 0;
}

static int record(struct loop *l, double ms)
{
        if (l->n == l->cap) {
                size_t cap = l->cap ? 2 * l->cap : 1024;
                double *v = realloc(l->to_exec, cap * sizeof *v);
                if (!v)
                        return -1;
                l->to_exec = v;
                l->cap = cap;
        }
        l->to_exec[l->n++] = ms;
        return 0;
}

/* *created_ms: how long before start nsl_sandbox_create was called. */
static int start_direct(struct loop *l, nsl_sandbox **sb, double *created_ms)
{
        double t0 = now_s();
        int r = nsl_sandbox_create(l->o->spec, sb, &l->error);

        if (r == 0 && l->o->interval_ms && !l->o->whole)
                usleep(l->o->interval_ms * 1000);
        *created_ms = l->o->whole ? (now_s() - t0) * 1e3 : 0;
        if (r == 0 && (r = nsl_sandbox_start(*sb, &l->error)) < 0)
                nsl_sandbox_free(*sb);
        return r;
}

/* The command as docs/cli.md's message, out_fd as its stdout, written to
 * the start handle of a sandbox made here: what another process given the
 * handle could send. */
static int start_via_handle(struct loop *l, int out_fd, nsl_sandbox **sb)
{
        char buf[4096];
        size_t at = 16;
        uint32_t header[3] = { 0, 0, 2 };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control = { 0 };
        int r = nsl_sandbox_create(l->o->spec, sb, &l->error);

        if (r < 0)
                return r;
        for (char **a = l->o->argv; *a && at + strlen(*a) + 1 <= sizeof buf; a++, header[0]++) {
                memcpy(buf + at, *a, strlen(*a) + 1);
                at += strlen(*a) + 1;
        }
        memcpy(buf, "NSLC", 4);
        memcpy(buf + 4, header, sizeof header);
        struct iovec iov = { .iov_base = buf, .iov_len = at };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof control.buf };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &out_fd, sizeof out_fd);
        if (sendmsg(nsl_sandbox_start_handle(*sb), &mh, MSG_NOSIGNAL) < 0) {
                perror("sendmsg");
                nsl_sandbox_free(*sb);
                return -1;
        }
        return 0;
}

/* One command in a pooled sandbox; its line unless benchmarking. */
static int run_one(struct loop *l, int out_fd, unsigned index)
{
        int stdio[3] = { -1, out_fd, -1 };
        nsl_sandbox *sb;
        nsl_result result;
        double created_ms = 0;
        int r = l->o->via_handle ? start_via_handle(l, out_fd, &sb)
                : l->o->direct   ? start_direct(l, &sb, &created_ms)
                                 : nsl_pool_start(l->pool, l->o->argv, l->o->n_env ? (char *const *)l->o->env : NULL,
                                              stdio, &sb, &l->error);

        if (r < 0)
                return r;
        if (l->o->free_early) {
                nsl_pool_free(l->pool);
                l->pool = NULL;
        }
        r = nsl_sandbox_wait(sb, -1, &result, &l->error);
        if (r == 0 && record(l, created_ms + nsl_sandbox_ms_to_exec(sb)) < 0)
                r = -1;
        nsl_sandbox_free(sb);
        if (r == 0 && l->o->bench_s == 0)
                printf("run %u: exit %d signal %d timed_out %d to_exec_ms %.3f\n", index, result.exit_status,
                       result.signal, result.timed_out, l->to_exec[l->n - 1]);
        nsl_result_release(&result);
        return r;
}

static void *loop_main(void *data)
{
        struct loop *l = data;
        int out_fd = -1;

        if (l->o->out_dir && (out_fd = open(l->o->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                perror(l->o->out_dir);
                l->rc = 1;
                return NULL;
        }
        if (l->o->out && (out_fd = open(l->o->out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0) {
                perror(l->o->out);
                l->rc = 1;
                return NULL;
        }
        for (unsigned i = 0; l->rc == 0; i++) {
                if (l->o->bench_s > 0 ? now_s() >= l->deadline : i >= l->o->runs)
                        break;
                if (i > 0 && l->o->interval_ms && (!l->o->direct || l->o->whole))
                        usleep(l->o->interval_ms * 1000);
                if (run_one(l, out_fd, i) < 0)
                        l->rc = 125;
        }
        if (out_fd >= 0)
                close(out_fd);
        return NULL;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static void report_bench(struct loop *loops, unsigned n_loops, double seconds)
{
        size_t n = 0, at = 0;
        for (unsigned i = 0; i < n_loops; i++)
                n += loops[i].n;
        double *all = calloc(n ? n : 1, sizeof *all);
        if (!all)
                return;
        for (unsigned i = 0; i < n_loops; i++) {
                memcpy(all + at, loops[i].to_exec, loops[i].n * sizeof *all);
                at += loops[i].n;
        }
        qsort(all, n, sizeof *all, cmp_double);
        printf("bench: %zu runs in %.2f s: %.0f runs/s, to_exec median %.3f ms p90 %.3f ms\n", n, seconds,
               (double)n / seconds, n ? all[n / 2] : -1, n ? all[n * 9 / 10] : -1);
        free(all);
}

/* The spec made and the pool of it, or the tool's exit status. */
static int prepare(int argc, char **argv, struct options *o, nsl_spec *spec, nsl_pool **pool)
{
        nsl_error error = { 0 };
        int r = parse(argc, argv, o, spec, &error);

        if (r == -1 || o->loops == 0 || o->loops > 16 ||
            (o->free_early && (o->runs != 1 || o->loops != 1 || o->bench_s > 0)))
                return usage();
        if (r < 0)
                return tool_fail(&error);
        o->env[o->n_env] = NULL;
        o->spec = spec;
        if (o->direct)
                r = nsl_spec_set_command(spec, o->argv, &error);
        else
                nsl_spec_set_command_at_start(spec);
        if (r < 0 || (!o->direct && !o->via_handle && nsl_pool_new(spec, o->size, pool, &error) < 0))
                return tool_fail(&error);
        return 0;
}

int main(int argc, char **argv)
{
        struct options o = { .size = 2, .runs = 1, .loops = 1 };
        nsl_spec *spec = nsl_spec_new();
        nsl_pool *pool = NULL;
        int r;

        if (!spec)
                return 125;
        if ((r = prepare(argc, argv, &o, spec, &pool)) != 0) {
                nsl_spec_free(spec);
                return r;
        }
        if (o.delay_ms)
                usleep(o.delay_ms * 1000);

        struct loop loops[16] = { 0 };
        pthread_t threads[16];
        double start = now_s();
        for (unsigned i = 0; i < o.loops; i++) {
                loops[i] = (struct loop){ .pool = pool, .o = &o, .deadline = start + o.bench_s };
                if (o.loops > 1)
                        pthread_create(&threads[i], NULL, loop_main, &loops[i]);
        }
        if (o.loops == 1)
                loop_main(&loops[0]);
        else
                for (unsigned i = 0; i < o.loops; i++)
                        pthread_join(threads[i], NULL);
        double seconds = now_s() - start;

        if (!o.free_early)
                nsl_pool_free(pool);
        r = 0;
        for (unsigned i = 0; i < o.loops; i++) {
                if (loops[i].rc == 125 && r == 0)
                        r = tool_fail(&loops[i].error);
                else if (loops[i].rc && r == 0)
                        r = loops[i].rc;
        }
        if (r == 0 && o.bench_s > 0)
                report_bench(loops, o.loops, seconds);
        for (unsigned i = 0; i < o.loops; i++)
                free(loops[i].to_exec);
        nsl_spec_free(spec);
        return r;
}

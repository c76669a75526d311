/* The machine's own floor under bench/pool.sh's rows, with no sandbox at all,
 * printed in the line nsl_pool_tool prints:
 *
 *   bare-floor --interval-ms MS --bench S -- CMD...
 *       the hand-over: a process that waits in read() as a pooled sandbox's
 *       payload waits for its command (sharing its parent's memory, the
 *       parent suspended until the execve, as init is), woken by one byte
 *       MS after it started waiting; "to_exec" from the write to the
 *       parent's return from that vfork, as nsl_sandbox_ms_to_exec measures.
 *   bare-floor --loops N --bench S -- CMD...
 *       throughput: N processes, each spawning CMD and waiting for it in a
 *       loop; "to_exec" from posix_spawn's call to its return (after CMD's
 *       execve).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_SAMPLES (1 << 20)   /* per loop: more than 10 s of anything here */

struct samples {
        size_t n;
        double ms[MAX_SAMPLES];
};

static double now_ms(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void *shared_alloc(size_t size)
{
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
                perror("bare-floor: mmap");
                exit(2);
        }
        return p;
}

struct waiter {
        int read_fd;
        char **command;
};

static int wait_then_exec(void *arg)
{
        const struct waiter *w = arg;
        char byte;

        if (read(w->read_fd, &byte, 1) != 1)
                _exit(126);
        execv(w->command[0], w->command);
        _exit(127);
}

/* One hand-over; returns its time in ms, or a negative number. */
static double hand_over(char **command, unsigned interval_ms, double *execed_at)
{
        static char stack[64 * 1024] __attribute__((aligned(16)));
        int pipe_fds[2];
        int status;

        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return -1;
        pid_t init = fork();
        if (init == 0) {
                struct waiter w = { .read_fd = pipe_fds[0], .command = command };
                close(pipe_fds[1]);
                pid_t child = clone(wait_then_exec, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &w);
                *execed_at = now_ms();
                _exit(child < 0 || waitpid(child, &status, 0) < 0 || status != 0);
        }
        close(pipe_fds[0]);
        usleep(interval_ms * 1000);
        double written_at = now_ms();
        ssize_t n = write(pipe_fds[1], "x", 1);
        close(pipe_fds[1]);
        if (init < 0 || waitpid(init, &status, 0) < 0 || status != 0 || n != 1)
                return -1;
        return *execed_at - written_at;
}

static void spawn_loop(char **command, double until_ms, struct samples *out)
{
        while (now_ms() < until_ms && out->n < MAX_SAMPLES) {
                pid_t pid;
                int status;
                double at = now_ms();
                if (posix_spawn(&pid, command[0], NULL, NULL, command, environ) != 0)
                        _exit(1);
                double spawned = now_ms();
                if (waitpid(pid, &status, 0) < 0 || status != 0)
                        _exit(1);
                out->ms[out->n++] = spawned - at;
        }
        _exit(0);
}

static int by_value(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static int report(double *all, size_t n, double seconds)
{
        if (n == 0) {
                fprintf(stderr, "bare-floor: no run completed\n");
                return 1;
        }
        qsort(all, n, sizeof *all, by_value);
        printf("bench: %zu runs in %.2f s: %.0f runs/s, to_exec median %.3f ms p90 %.3f ms\n", n, seconds,
               (double)n / seconds, all[n / 2], all[n * 9 / 10]);
        return 0;
}

static int bench_hand_over(char **command, unsigned interval_ms, double seconds)
{
        double *execed_at = shared_alloc(sizeof *execed_at);
        struct samples *s = shared_alloc(sizeof *s);
        double start = now_ms(), end = start + seconds * 1e3;

        while (now_ms() < end && s->n < MAX_SAMPLES) {
                double ms = hand_over(command, interval_ms, execed_at);
                if (ms < 0) {
                        fprintf(stderr, "bare-floor: %s did not run\n", command[0]);
                        return 1;
                }
                s->ms[s->n++] = ms;
        }
        return report(s->ms, s->n, (now_ms() - start) / 1e3);
}

static int bench_loops(char **command, unsigned loops, double seconds)
{
        struct samples *s = shared_alloc(loops * sizeof *s);
        double start = now_ms();
        size_t total = 0;
        int failed = 0, status;

        for (unsigned i = 0; i < loops; i++) {
                pid_t loop = fork();
                if (loop == 0)
                        spawn_loop(command, start + seconds * 1e3, &s[i]);
                failed |= loop < 0;     /* fewer loops than asked: no figure */
        }
        while (wait(&status) > 0)
                failed |= status != 0;
        double elapsed = (now_ms() - start) / 1e3;
        if (failed) {
                fprintf(stderr, "bare-floor: %s failed\n", command[0]);
                return 1;
        }
        for (unsigned i = 0; i < loops; i++) {
                size_t take = s[i].n < MAX_SAMPLES - total ? s[i].n : MAX_SAMPLES - total;
                memmove(s->ms + total, s[i].ms, take * sizeof(double));
                total += take;
        }
        return report(s->ms, total, elapsed);
}

int main(int argc, char **argv)
{
        unsigned interval_ms = 0, loops = 1;
        double seconds = 4;
        int i = 1;

        for (; i < argc && strcmp(argv[i], "--"); i += 2) {
                if (i + 1 >= argc)
                        break;
                if (!strcmp(argv[i], "--interval-ms"))
                        interval_ms = (unsigned)atoi(argv[i + 1]);
                else if (!strcmp(argv[i], "--loops"))
                        loops = (unsigned)atoi(argv[i + 1]);
                else if (!strcmp(argv[i], "--bench"))
                        seconds = atof(argv[i + 1]);
                else
                        break;
        }
        if (i >= argc || strcmp(argv[i], "--") || i + 1 >= argc || loops == 0 || loops > 64 || seconds <= 0) {
                fprintf(stderr, "usage: bare-floor (--interval-ms MS | --loops N) [--bench S] -- CMD...\n");
                return 2;
        }
        char **command = argv + i + 1;
        return interval_ms ? bench_hand_over(command, interval_ms, seconds) : bench_loops(command, loops, seconds);
}

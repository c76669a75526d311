/* nsl_run: plan, clone3 into the new namespaces, map ids, let the child go,
 * supervise, and turn what happened into a result or an error. */
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "idmap.h"
#include "plan.h"
#include "sandbox/ctx.h"
#include "sandbox/init.h"
#include "sandbox/sources.h"
#include "supervise.h"
#include "sync.h"
#include "syscalls.h"

static _Noreturn void child_main(const struct nsl_plan *plan, int sync_fd)
{
        struct nsl_ctx ctx;

        /* Never outlive nslaunch. If it died before this line, the sync
         * socket is already at end of stream and wait-for-idmap fails. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        nsl_ctx_init(&ctx, plan, sync_fd);
        nsl_init_main(&ctx);
}

static int die_with_parent(nsl_error *error)
{
        pid_t parent = getppid();

        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                return nsl_fail(error, errno, "--die-with-parent", "", NULL);
        if (getppid() != parent)
                return nsl_fail(error, ESRCH, "--die-with-parent", "", "the caller has already exited");
        return 0;
}

static int start_child(const struct nsl_plan *plan, const struct nsl_cgroup *cg, int *pidfd, pid_t *pid,
                       int *sync_fd, nsl_error *error)
{
        int pair[2];
        struct nsl_clone_args args = {
                .flags = plan->clone_flags | CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)pidfd,
                .exit_signal = SIGCHLD,
        };

        if (cg->version == 2) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t)cg->fd;
        }

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return nsl_fail(error, errno, "launch", "socketpair", NULL);
        *pid = nsl_clone3(&args);
        if (*pid < 0) {
                int e = errno;
                close(pair[0]);
                close(pair[1]);
                if (e == EPERM || e == ENOSPC || e == EUSERS)
                        return nsl_fail(error, e, "launch", "clone3",
                                        "cannot create namespaces: %s (are user namespaces enabled? see README)",
                                        strerror(e));
                return nsl_fail(error, e, "launch", "clone3", NULL);
        }
        if (*pid == 0) {
                close(pair[0]);
                child_main(plan, pair[1]);
        }
        close(pair[1]);
        *sync_fd = pair[0];
        return 0;
}

static int result_from(const struct nsl_supervision *s, int init_status, bool oom_killed, nsl_result *result,
                       nsl_error *error)
{
        result->exit_status = -1;
        result->timed_out = s->timed_out;
        result->oom_killed = oom_killed;

        if (s->have_error && !s->timed_out && !oom_killed) {
                *error = s->child_error;
                return -(error->errnum ? error->errnum : EINVAL);
        }
        if (s->have_status) {
                int st = s->payload_status;
                if (WIFEXITED(st)) {
                        result->exit_status = WEXITSTATUS(st);
                        result->exit_code = result->exit_status;
                } else {
                        result->signal = WTERMSIG(st);
                        result->exit_code = 128 + result->signal;
                }
        } else if (s->timed_out || oom_killed) {
                /* init itself was killed: by us after the grace period, or
                 * with the whole cgroup by the OOM killer (memory.oom.group) */
                result->signal = SIGKILL;
                result->exit_code = 128 + SIGKILL;
        } else {
                if (WIFSIGNALED(init_status))
                        return nsl_fail(error, EIO, "init", "", "the sandbox's init was killed by signal %d",
                                        WTERMSIG(init_status));
                return nsl_fail(error, EIO, "init", "", "the sandbox's init exited with %d before the command ran",
                                WEXITSTATUS(init_status));
        }
        if (s->timed_out)
                result->exit_code = NSL_EXIT_TIMEOUT;
        return 0;
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
        return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static double tv_ms(const struct timeval *tv)
{
        return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

static void warn(const struct nsl_spec *spec, const char *line)
{
        if (spec->warn)
                spec->warn(line, spec->warn_data);
}

/* --limits best-effort without a cgroup: what rlimits can stand in for. */
static void fall_back_to_rlimits(struct nsl_plan *plan, const nsl_error *why)
{
        const struct nsl_spec *spec = plan->spec;
        char line[1400];

        snprintf(line, sizeof line, "limits: no cgroup (%s); falling back to rlimits", why->cause);
        warn(spec, line);
        if (plan->limits.memory) {
                nsl_plan_set_rlimit(plan, RLIMIT_AS, plan->limits.memory, plan->limits.memory);
                warn(spec, "limits: --memory is now RLIMIT_AS, a limit on address space, not on memory used");
        }
        if (plan->limits.pids) {
                nsl_plan_set_rlimit(plan, RLIMIT_NPROC, plan->limits.pids, plan->limits.pids);
                warn(spec, "limits: --pids is now RLIMIT_NPROC, counted per user");
        }
        if (plan->limits.cpu_quota_us)
                warn(spec, "limits: --cpus has no rlimit equivalent and is not enforced");
        plan->limits = (struct nsl_cgroup_limits){ 0 };
}

/* Ends the sandbox (its pid namespace dies with init) and reaps init, so
 * that nothing of it is left when nsl_run returns. */
static void kill_and_reap(int pidfd)
{
        siginfo_t info;

        nsl_pidfd_send_signal(pidfd, SIGKILL);
        while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED) < 0 && errno == EINTR)
                ;
}

/* The child's first stages run while nslaunch writes the id maps: when one
 * of them failed, what nslaunch then ran into (a gone process, a closed
 * socket) is only the consequence; the child's own report says why. */
static int child_error_first(int sync_fd, int r, nsl_error *error)
{
        struct nsl_msg msg;

        while (nsl_msg_recv(sync_fd, &msg, MSG_DONTWAIT) > 0)
                if (msg.type == NSL_MSG_ERROR) {
                        *error = msg.error;
                        return -(error->errnum ? error->errnum : EINVAL);
                }
        return r;
}

static void release_cgroup(struct nsl_cgroup *cg)
{
        nsl_cgroup_destroy(cg);
}

static int run_plan(struct nsl_plan *plan, const struct timespec *start, nsl_result *result, nsl_error *error)
{
        __attribute__((cleanup(release_cgroup))) struct nsl_cgroup cg = NSL_CGROUP_INIT;
        __attribute__((cleanup(nsl_sources_close))) struct nsl_sources sources;
        _cleanup_close_ int pidfd = -1;
        _cleanup_close_ int sync_fd = -1;
        struct nsl_supervision s = {
                .timeout_ms = plan->spec->timeout_ms,
                .kill_after_ms = plan->spec->kill_after_ms,
        };
        struct nsl_notify notify = {
                .listener = -1,
                .filter = plan->filter,
                .filter_len = plan->filter_len,
                .native_arch = seccomp_arch_native(),
                .learn = plan->spec->seccomp_learn,
                .result = result,
        };
        struct nsl_msg go = { .type = NSL_MSG_GO };
        struct rusage before, after;
        struct timespec end;
        int init_status = 0;
        bool oom_killed = false;
        pid_t pid = -1;
        int r;

        nsl_sources_init(&sources);
        r = nsl_cgroup_create(&plan->limits, plan->spec->cgroup_parent, &cg, error);
        if (r == -ENOTSUP && plan->spec->limits_best_effort)
                fall_back_to_rlimits(plan, error);
        else if (r < 0)
                return r;
        plan->cgroupns_after_enter = cg.version == 1;
        plan->cgroup_tasks = cg.version == 1 ? cg.tasks : NULL;
        getrusage(RUSAGE_CHILDREN, &before);

        /* The sandbox must not inherit root's supplementary groups: once
         * setgroups is denied it could never drop them. */
        if (!plan->rootless && setgroups(0, NULL) < 0)
                return nsl_fail(error, errno, "launch", "setgroups", NULL);
        if (plan->spec->die_with_parent && (r = die_with_parent(error)) < 0)
                return r;
        if (!plan->rootless && (r = nsl_sources_open(plan, &sources, error)) < 0)
                return r;

        NSL_TIMING_MARK("clone3");
        r = start_child(plan, &cg, &pidfd, &pid, &sync_fd, error);
        if (r < 0)
                return r;
        s.pidfd = pidfd;
        s.sync_fd = sync_fd;
        s.notify = plan->seccomp_notify ? &notify : NULL;
        result->seccomp_reported = plan->seccomp_notify;

        NSL_TIMING_MARK("idmap");
        r = nsl_idmap_write(pid, pidfd, plan, error);
        if (r == 0)
                r = nsl_sources_send(sync_fd, &sources, error);
        nsl_sources_close(&sources);
        if (r == 0 && nsl_msg_send(sync_fd, &go) < 0)
                r = nsl_fail(error, EPIPE, "launch", "", "the sandbox went away during set-up");
        if (r < 0) {
                kill_and_reap(pidfd);
                return child_error_first(sync_fd, r, error);
        }
        NSL_TIMING_MARK("supervise");
        r = nsl_supervise(&s, &init_status, error);
        nsl_notify_close(&notify);
        NSL_TIMING_MARK("reaped");
        if (r < 0) {
                kill_and_reap(pidfd);
                return r;
        }
        clock_gettime(CLOCK_MONOTONIC, &end);
        getrusage(RUSAGE_CHILDREN, &after);
        nsl_cgroup_stats(&cg, &result->peak_memory_bytes, &oom_killed);
        result->wall_ms = ms_between(start, &end);
        result->setup_ms = s.execed && !s.have_error ? ms_between(start, &s.execed_at) : -1;
        result->cpu_user_ms = tv_ms(&after.ru_utime) - tv_ms(&before.ru_utime);
        result->cpu_sys_ms = tv_ms(&after.ru_stime) - tv_ms(&before.ru_stime);
        return result_from(&s, init_status, oom_killed, result, error);
}

int nsl_run(const nsl_spec *spec, nsl_result *result, nsl_error *error)
{
        struct nsl_plan plan;
        struct timespec start;
        sigset_t set, saved;
        nsl_error status_error;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &start);
        *error = (nsl_error){ 0 };
        *result = (nsl_result){ .exit_status = -1, .setup_ms = -1, .peak_memory_bytes = -1 };
        sigemptyset(&set);
        for (size_t i = 0; i < nsl_n_forwarded_signals; i++)
                sigaddset(&set, nsl_forwarded_signals[i]);
        if (sigprocmask(SIG_BLOCK, &set, &saved) < 0)
                return nsl_fail(error, errno, "launch", "sigprocmask", NULL);

        NSL_TIMING_MARK("plan");
        r = nsl_plan_build(spec, &plan, error);
        if (r == 0)
                r = run_plan(&plan, &start, result, error);
        nsl_plan_free(&plan);
        sigprocmask(SIG_SETMASK, &saved, NULL);
        if (nsl_write_status(spec, result, r < 0 ? error : NULL, &status_error) < 0 && r == 0) {
                *error = status_error;
                r = -EIO;
        }
        return r;
}

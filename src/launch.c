/* nsl_run: plan, clone3 into the new namespaces, map ids, let the child go,
 * supervise, and turn what happened into a result or an error. */
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "idmap.h"
#include "plan.h"
#include "sandbox/ctx.h"
#include "sandbox/init.h"
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

static int start_child(const struct nsl_plan *plan, int *pidfd, pid_t *pid, int *sync_fd, nsl_error *error)
{
        int pair[2];
        struct nsl_clone_args args = {
                .flags = plan->clone_flags | CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)pidfd,
                .exit_signal = SIGCHLD,
        };

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

static int result_from(const struct nsl_supervision *s, int init_status, nsl_result *result, nsl_error *error)
{
        *result = (nsl_result){ .exit_status = -1, .timed_out = s->timed_out };

        if (s->have_error && !s->timed_out) {
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
        } else if (s->timed_out) {
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

static int run_plan(const struct nsl_plan *plan, nsl_result *result, nsl_error *error)
{
        _cleanup_close_ int pidfd = -1;
        _cleanup_close_ int sync_fd = -1;
        struct nsl_supervision s = {
                .timeout_ms = plan->spec->timeout_ms,
                .kill_after_ms = plan->spec->kill_after_ms,
        };
        struct nsl_msg go = { .type = NSL_MSG_GO };
        int init_status = 0;
        pid_t pid = -1;
        int r;

        /* The sandbox must not inherit root's supplementary groups: once
         * setgroups is denied it could never drop them. */
        if (!plan->rootless && setgroups(0, NULL) < 0)
                return nsl_fail(error, errno, "launch", "setgroups", NULL);
        if (plan->spec->die_with_parent && (r = die_with_parent(error)) < 0)
                return r;

        NSL_TIMING_MARK("clone3");
        r = start_child(plan, &pidfd, &pid, &sync_fd, error);
        if (r < 0)
                return r;
        s.pidfd = pidfd;
        s.sync_fd = sync_fd;

        NSL_TIMING_MARK("idmap");
        r = nsl_idmap_write(pid, pidfd, plan, error);
        if (r == 0 && nsl_msg_send(sync_fd, &go) < 0)
                r = nsl_fail(error, EPIPE, "launch", "", "the sandbox went away during set-up");
        if (r < 0) {
                nsl_pidfd_send_signal(pidfd, SIGKILL);
                siginfo_t info;
                waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED);
                return r;
        }
        NSL_TIMING_MARK("supervise");
        r = nsl_supervise(&s, &init_status, error);
        NSL_TIMING_MARK("reaped");
        if (r < 0) {
                nsl_pidfd_send_signal(pidfd, SIGKILL);
                return r;
        }
        return result_from(&s, init_status, result, error);
}

int nsl_run(const nsl_spec *spec, nsl_result *result, nsl_error *error)
{
        struct nsl_plan plan;
        sigset_t set, saved;
        int r;

        *error = (nsl_error){ 0 };
        sigemptyset(&set);
        for (size_t i = 0; i < nsl_n_forwarded_signals; i++)
                sigaddset(&set, nsl_forwarded_signals[i]);
        if (sigprocmask(SIG_BLOCK, &set, &saved) < 0)
                return nsl_fail(error, errno, "launch", "sigprocmask", NULL);

        NSL_TIMING_MARK("plan");
        r = nsl_plan_build(spec, &plan, error);
        if (r == 0)
                r = run_plan(&plan, result, error);
        nsl_plan_free(&plan);
        sigprocmask(SIG_SETMASK, &saved, NULL);
        return r;
}

/* The payload's last stages before execve. seccomp is the last of them, so
 * the filter only ever has to allow what the command itself does. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../seccomp/setid-guard.h"
#include "../fds.h"
#include "../seccomp/agent.h"
#include "../seccomp/filter.h"
#include "../seccomp/notify-filter.h"
#include "../sync.h"
#include "../syscalls.h"
#include "caps.h"
#include "init.h"
#include "mount.h"

int nsl_stage_setsid(struct nsl_ctx *ctx, nsl_error *error)
{
        (void)ctx;
        if (setsid() < 0)
                return nsl_fail(error, errno, "setsid", "", NULL);
        return 0;
}

int nsl_stage_signals(struct nsl_ctx *ctx, nsl_error *error)
{
        sigset_t none;

        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);   /* fails harmlessly for the reserved real-time ones */
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
                return nsl_fail(error, errno, "signals", "", NULL);
        /* init's end ends a pid namespace of its own, and the command with
         * it; a shared one outlives init (init's ids are the command's: no
         * later change of them clears this) */
        if (nsl_pid_ns_shared(ctx->plan) && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                return nsl_fail(error, errno, "signals", "parent-death signal", NULL);
        return 0;
}

int nsl_stage_cwd(struct nsl_ctx *ctx, nsl_error *error)
{
        const char *cwd = ctx->plan->cwd;
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int dir = -1;

        if (root < 0)
                return nsl_fail(error, errno, "--cwd", "/", NULL);
        dir = nsl_open_in_root(root, cwd, O_PATH | O_DIRECTORY, 0);
        if (dir == -ELOOP)
                return nsl_fail(error, ELOOP, "--cwd", cwd, "refused: resolves through a magic link or out of the sandbox");
        if (dir < 0)
                return nsl_fail(error, -dir, "--cwd", cwd, NULL);
        if (fchdir(dir) < 0)
                return nsl_fail(error, errno, "--cwd", cwd, NULL);
        return 0;
}

int nsl_stage_rlimits(struct nsl_ctx *ctx, nsl_error *error)
{
        for (size_t i = 0; i < ctx->host->rlimits->n; i++) {
                const struct nsl_rlimit *rl = &ctx->host->rlimits->v[i];
                struct rlimit v = {
                        .rlim_cur = rl->soft == UINT64_MAX ? RLIM_INFINITY : (rlim_t)rl->soft,
                        .rlim_max = rl->hard == UINT64_MAX ? RLIM_INFINITY : (rlim_t)rl->hard,
                };
                if (setrlimit(rl->resource, &v) < 0)
                        return nsl_fail(error, errno, "--rlimit", nsl_rlimit_name(rl->resource), "cannot set: %s%s",
                                        strerror(errno), errno == EPERM ? " (a hard limit can only be lowered)" : "");
        }
        return 0;
}

int nsl_stage_umask(struct nsl_ctx *ctx, nsl_error *error)
{
        (void)error;
        if (ctx->plan->umask_set)
                umask(ctx->plan->umask);
        return 0;
}

/* Raw: the payload may share init's memory, and glibc's setgroups would
 * try to reach every thread it believes it has. Needs CAP_SETGID, so
 * before the caps stage. */
int nsl_stage_groups(struct nsl_ctx *ctx, nsl_error *error)
{
        const struct nsl_plan *plan = ctx->plan;

        if (!plan->n_groups)
                return 0;
        if (syscall(SYS_setgroups, plan->n_groups, plan->groups) < 0)
                return nsl_fail(error, errno, "group", "", "cannot set the supplementary groups");
        return 0;
}

/* Without no_new_privs the kernel loads a seccomp filter or a Landlock
 * ruleset only for a holder of CAP_SYS_ADMIN: kept for those stages, and
 * gone with execve. */
int nsl_stage_caps(struct nsl_ctx *ctx, nsl_error *error)
{
        uint64_t until_exec = ctx->plan->new_privs_allowed ? 1ULL << CAP_SYS_ADMIN : 0;

        return nsl_caps_drop(ctx->plan->caps, until_exec, error);
}

int nsl_stage_no_new_privs(struct nsl_ctx *ctx, nsl_error *error)
{
        if (ctx->plan->new_privs_allowed)
                return 0;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return nsl_fail(error, errno, "no-new-privs", "", NULL);
        return 0;
}

/* Everything above 2 is closed but --keep-fd and the sync socket, which is
 * close-on-exec: it carries an exec failure back and vanishes on success;
 * a seccomp agent's socket and state pipe, for the seccomp stage; and the
 * start pipe's reading end (close-on-exec), which a starter watches to see
 * the command executed. */
int nsl_stage_close_fds(struct nsl_ctx *ctx, nsl_error *error)
{
        const struct nsl_plan *plan = ctx->plan;
        int keep[NSL_MAX_KEEP_FDS + 3];
        size_t n = plan->n_keep_fds;

        memcpy(keep, plan->keep_fds, n * sizeof *keep);
        nsl_agent_keep_fds(&plan->seccomp_agent, ctx->host->agent_state_fd, keep, &n);
        if (ctx->start_fd >= 0)
                nsl_fd_list_insert(keep, &n, ctx->start_fd);
        int r = nsl_close_all_except_plus(keep, n, ctx->sync_fd);

        if (r < 0)
                return nsl_fail(error, -r, "close-fds", "", NULL);
        for (size_t i = 0; i < plan->n_keep_fds; i++) {
                int fd = plan->keep_fds[i], flags = fcntl(fd, F_GETFD);
                char num[16];
                if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0) {
                        snprintf(num, sizeof num, "%d", fd);
                        return nsl_fail(error, errno, "--keep-fd", num, NULL);
                }
        }
        if (fcntl(ctx->sync_fd, F_SETFD, FD_CLOEXEC) < 0)
                return nsl_fail(error, errno, "close-fds", "sync", NULL);
        return 0;
}

/* Report or learn: nslaunch must hold the filter's listener before the
 * payload execs (the listener is close-on-exec). The payload sends its own
 * pidfd and the fd number the listener will get, loads the filter, then
 * blocks in the marker call, which only nslaunch can answer, and only once
 * it has copied the listener with pidfd_getfd. The profile need not allow
 * anything for this: the marker is answered before the profile's rules. */
static int load_with_listener(struct nsl_ctx *ctx, nsl_error *error)
{
        const struct nsl_plan *plan = ctx->plan;
        struct nsl_msg msg = { .type = NSL_MSG_LISTENER };
        int self, number, listener;

        /* pidfd_getfd needs ptrace access: a non-dumpable process (what
         * the payload inherits from init until execve resets it) is only
         * reachable with CAP_SYS_PTRACE over its mm's user namespace, the
         * host's, which a rootless nslaunch lacks. execve makes it dumpable
         * in a moment anyway. In this mode init started the payload with a
         * copy of its memory, not a share of it, so init stays non-dumpable. */
        if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
                return nsl_fail(error, errno, "seccomp-report", "dumpable", NULL);
        self = nsl_pidfd_open(getpid(), 0);
        if (self < 0)
                return nsl_fail(error, errno, "seccomp-report", "pidfd_open", NULL);
        /* the lowest free number is the one the listener will take */
        number = fcntl(ctx->sync_fd, F_DUPFD_CLOEXEC, 0);
        if (number < 0 || close(number) < 0)
                return nsl_fail(error, errno, "seccomp-report", "fd", NULL);
        msg.status = number;
        if (nsl_msg_send_fd(ctx->sync_fd, &msg, self) < 0)
                return nsl_fail(error, errno, "seccomp-report", "sync", NULL);
        /* self stays open until execve closes it: a close() now would go
         * through the filter */
        listener = nsl_sc_load_listener(plan->seccomp.notify_filter, plan->seccomp.notify_len, plan->seccomp.flags,
                                             error);
        if (listener < 0)
                return listener;
        if (listener != number)
                return nsl_fail(error, EBADF, "seccomp-report", "listener", "got fd %d, announced %d", listener,
                                number);
        if (syscall(NSL_NOTIFY_MARKER) != 0)
                return nsl_fail(error, errno, "seccomp-report", "listener", "nslaunch did not take the listener");
        return 0;
}

/* Stacked first, so that it holds whatever profile follows (unconfined
 * included): the kernel takes the most restrictive answer of all filters. */
static int load_setid_guard(nsl_error *error)
{
        struct sock_filter guard[NSL_SETID_GUARD_MAX];
        int len = nsl_setid_guard(guard);

        if (len < 0)
                return nsl_fail(error, -len, "seccomp", "", "writable idmapped binds need the set-id guard, which "
                                                           "this architecture lacks: use :noidmap");
        return nsl_sc_load(guard, (unsigned short)len, 0, error);
}

int nsl_stage_seccomp(struct nsl_ctx *ctx, nsl_error *error)
{
        if (ctx->host->setid_guard) {
                int r = load_setid_guard(error);
                if (r < 0)
                        return r;
        }
        if (!ctx->plan->seccomp.filter)
                return 0;
        if (ctx->plan->seccomp.notify)
                return load_with_listener(ctx, error);
        if (ctx->plan->seccomp_agent.socket >= 0)
                return nsl_agent_load_and_hand_over(&ctx->plan->seccomp_agent, ctx->host->agent_state_fd,
                                                    ctx->plan->seccomp.filter, ctx->plan->seccomp.len,
                                                    ctx->plan->seccomp.flags, error);
        return nsl_sc_load(ctx->plan->seccomp.filter, ctx->plan->seccomp.len, ctx->plan->seccomp.flags, error);
}

static int exec_failure(const char *cmd, int err, nsl_error *error)
{
        bool missing = err == ENOENT || err == ENOTDIR;
        int r = nsl_fail_errno(error, err, false, "exec", cmd, missing ? "command not found" : "cannot execute: %s",
                               strerror(err));
        error->exit_code = missing ? NSL_EXIT_NOT_FOUND : NSL_EXIT_CANNOT_EXEC;
        return r;
}

bool nsl_search_candidate(const char *dir, size_t dirlen, const char *cmd, char *out, size_t size)
{
        int n = dirlen ? snprintf(out, size, "%.*s/%s", (int)dirlen, dir, cmd) : snprintf(out, size, "./%s", cmd);
        return n >= 0 && (size_t)n < size;
}

/* execve with the sandbox's PATH, as a shell would: the first hit wins, a
 * permission error is remembered while the search goes on. */
static int exec_command(const struct nsl_ctx *ctx, nsl_error *error)
{
        char *const *argv = ctx->argv;
        const char *cmd = argv[0];
        int saved = ENOENT;

        if (strchr(cmd, '/')) {
                execve(cmd, argv, ctx->envp);
                return exec_failure(cmd, errno, error);
        }
        for (const char *p = ctx->search_path;;) {
                const char *end = strchrnul(p, ':');
                size_t dirlen = (size_t)(end - p);
                char path[PATH_MAX];

                if (nsl_search_candidate(p, dirlen, cmd, path, sizeof path)) {
                        execve(path, argv, ctx->envp);
                        if (errno != ENOENT && errno != ENOTDIR)
                                saved = errno;
                        if (errno != ENOENT && errno != ENOTDIR && errno != EACCES)
                                break;
                }
                if (!*end)
                        break;
                p = end + 1;
        }
        return exec_failure(cmd, saved, error);
}

_Noreturn void nsl_payload_main(struct nsl_ctx *ctx)
{
        nsl_error error = { 0 };

        if (nsl_stages_run(nsl_payload_stages, nsl_n_payload_stages, ctx, &error) >= 0) {
                NSL_TIMING_MARK("execve");
                exec_command(ctx, &error);
                nsl_error_set_stage(&error, "exec");
        }
        nsl_msg_write_error(ctx->sync_fd, &error);
        _exit(error.exit_code ? error.exit_code : NSL_EXIT_LAUNCHER);
}

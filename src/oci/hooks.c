/* nsl_oci_run_hooks: the config's hooks of one kind, in order, each a
 * program (never a shell) with its args and env, the container's state JSON
 * on its standard input, and its timeout. createContainer and
 * startContainer hooks run in the container's namespaces (config.md),
 * entered through its init's pidfd: the first's path resolved in the
 * runtime's mount namespace, the second's in the container's. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "oci.h"

/* The state as a sealed memfd: any size reaches the hook, however much of
 * it the hook reads, and nslaunch never blocks writing a pipe. */
static int state_fd(const char *state_json, nsl_error *error)
{
        _cleanup_close_ int fd = memfd_create("oci-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        int r;

        if (fd < 0)
                return nsl_fail(error, errno, "hooks", "state", NULL);
        if ((r = nsl_write_all(fd, state_json, strlen(state_json))) < 0)
                return nsl_fail(error, -r, "hooks", "state", NULL);
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return nsl_fail(error, errno, "hooks", "state", NULL);
        return TAKE_FD(fd);
}

/* Where a hook runs. */
struct hook_place {
        int init_pidfd;                 /* the container's init; -1: the runtime's namespaces */
        bool path_in_container;         /* startContainer: the path is the container's */
        int report;                     /* the child says here why it could not enter */
};

#define CONTAINER_NAMESPACES \
        (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP)

static __attribute__((noreturn)) void exit_like(int status)
{
        if (WIFSIGNALED(status)) {
                struct sigaction dfl = { .sa_handler = SIG_DFL };
                sigset_t set;

                sigemptyset(&set);
                sigaddset(&set, WTERMSIG(status));
                sigaction(WTERMSIG(status), &dfl, NULL);
                sigprocmask(SIG_UNBLOCK, &set, NULL);
                kill(getpid(), WTERMSIG(status));
                _exit(128 + WTERMSIG(status));
        }
        _exit(WEXITSTATUS(status));
}

/* In the child: the container's namespaces, as its root where the container
 * maps one. A new pid namespace takes only children: the hook is forked once
 * more, and this process waits for it and ends as it did. Returns in the
 * hook's process. */
static void enter_container(const struct hook_place *place)
{
        int status, e;
        pid_t pid;

        if (setns(place->init_pidfd, CONTAINER_NAMESPACES) < 0) {
                e = errno;
                (void)!write(place->report, &e, sizeof e);
                _exit(126);
        }
        /* the runtime's supplementary groups stay behind where the container
         * lets them go; root of the container where it has one */
        (void)syscall(SYS_setgroups, 0, NULL);
        (void)syscall(SYS_setresgid, 0, 0, 0);
        (void)syscall(SYS_setresuid, 0, 0, 0);
        pid = fork();
        if (pid < 0)
                _exit(126);
        if (pid == 0)
                return;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        _exit(126);
        exit_like(status);
}

/* In the child: only async-signal-safe calls. */
static __attribute__((noreturn)) void exec_hook(const struct nsl_oci_hook *hook, int state,
                                               const struct hook_place *place)
{
        char *const default_argv[] = { hook->path, NULL };
        char *const empty_env[] = { NULL };
        char *const *argv = hook->n_args ? hook->args : default_argv, *const *envp = hook->n_env ? hook->env : empty_env;
        int program = -1;

        /* its own process group: a timeout ends what the hook started too */
        if (setpgid(0, 0) < 0 || lseek(state, 0, SEEK_SET) < 0 || dup2(state, STDIN_FILENO) < 0)
                _exit(127);
        if (place->init_pidfd >= 0 && !place->path_in_container) {
                /* resolved here, run there; not close-on-exec: a script's
                 * interpreter opens it as /dev/fd/3 */
                program = open(hook->path, O_PATH);
                if (program < 0)
                        _exit(errno == ENOENT ? 127 : 126);
        }
        if (place->init_pidfd >= 0)
                enter_container(place);
        if (program >= 0 && dup2(program, 3) < 0)
                _exit(126);
        if (close_range(program >= 0 ? 4 : 3, ~0U, 0) < 0)
                _exit(127);
        if (program >= 0)
                syscall(SYS_execveat, 3, "", argv, envp, AT_EMPTY_PATH);
        else
                execve(hook->path, argv, envp);
        _exit(errno == ENOENT ? 127 : 126);
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for the hook; at its timeout it is killed. */
static int wait_hook(pid_t pid, int pidfd, unsigned timeout, int *status, bool *timed_out)
{
        long long deadline = timeout ? now_ms() + (long long)timeout * 1000 : 0;
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

        *timed_out = false;
        for (;;) {
                long long left = deadline ? deadline - now_ms() : -1;
                int n;

                if (deadline && left <= 0) {
                        *timed_out = true;
                        kill(-pid, SIGKILL);
                        break;
                }
                n = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n > 0)
                        break;
        }
        while (waitpid(pid, status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return 0;
}

#define NOT_ENTERED "cannot enter the container's namespaces"
#define NOT_DUMPABLE NOT_ENTERED ": its init is not dumpable, and entering takes ptrace access to it, which only " \
                     "root has (or the root of the user namespace the container was made in)"

/* The child's word on entering the container: 0, or the errno it failed with. */
static int entry_errno(int report)
{
        int e = 0;

        return read(report, &e, sizeof e) == (ssize_t)sizeof e ? e : 0;
}

static int run_hook(const struct nsl_oci_hook *hook, const char *where, int state, const struct hook_place *at,
                    nsl_error *error)
{
        _cleanup_close_ int pidfd = -1, report_read = -1, report_write = -1;
        struct hook_place place = *at;
        int fds[2], entered, status, r;
        bool timed_out;
        pid_t pid;

        if (place.init_pidfd >= 0) {
                if (pipe2(fds, O_CLOEXEC) < 0)
                        return nsl_fail(error, errno, where, hook->path, NULL);
                report_read = fds[0];
                report_write = place.report = fds[1];
        }
        pid = fork();
        if (pid < 0)
                return nsl_fail(error, errno, where, hook->path, NULL);
        if (pid == 0)
                exec_hook(hook, state, &place);
        nsl_closep(&report_write);
        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0) {
                r = -errno;
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return nsl_fail(error, -r, where, hook->path, NULL);
        }
        if ((r = wait_hook(pid, pidfd, hook->timeout, &status, &timed_out)) < 0)
                return nsl_fail(error, -r, where, hook->path, NULL);
        if (report_read >= 0 && (entered = entry_errno(report_read)) != 0)
                return nsl_fail(error, entered, where, hook->path, "%s",
                                entered == EPERM && geteuid() != 0 ? NOT_DUMPABLE : NOT_ENTERED);
        if (timed_out)
                return nsl_fail(error, ETIMEDOUT, where, hook->path, "killed after its timeout of %u s", hook->timeout);
        if (WIFSIGNALED(status))
                return nsl_fail(error, ECANCELED, where, hook->path, "killed by signal %d", WTERMSIG(status));
        if (WEXITSTATUS(status) == 127 || WEXITSTATUS(status) == 126)
                return nsl_fail(error, ENOEXEC, where, hook->path, "could not be executed (exit status %d)",
                                WEXITSTATUS(status));
        if (WEXITSTATUS(status))
                return nsl_fail(error, ECANCELED, where, hook->path, "exited with status %d", WEXITSTATUS(status));
        return 0;
}

static bool in_container(const char *kind)
{
        return !strcmp(kind, "createContainer") || !strcmp(kind, "startContainer");
}

static int kind_index(const char *kind)
{
        int k = 0;

        while (k < NSL_OCI_HOOK_KINDS && strcmp(kind, nsl_oci_hook_kinds[k]))
                k++;
        return k;
}

size_t nsl_oci_n_hooks(const nsl_oci *oci, const char *kind)
{
        int k = kind_index(kind);

        return k < NSL_OCI_HOOK_KINDS ? oci->n_hooks[k] : 0;
}

static int run_kind(const nsl_oci *oci, const char *kind, const char *state_json, int init_pidfd, nsl_error *error)
{
        const struct hook_place place = {
                .init_pidfd = init_pidfd, .path_in_container = !strcmp(kind, "startContainer"), .report = -1,
        };
        _cleanup_close_ int state = -1;
        int k = kind_index(kind), r;

        if (k == NSL_OCI_HOOK_KINDS)
                return nsl_fail(error, EINVAL, "hooks", kind, "unknown kind of hook");
        if (oci->n_hooks[k] == 0)
                return 0;
        if (in_container(kind) && init_pidfd < 0)
                return nsl_fail(error, ESRCH, "hooks", kind, "the container's init is gone: nothing to run it in");
        if ((state = state_fd(state_json ? state_json : "", error)) < 0)
                return state;
        for (size_t i = 0; i < oci->n_hooks[k]; i++) {
                char where[64];

                snprintf(where, sizeof where, "hooks.%s[%zu]", nsl_oci_hook_kinds[k], i);
                if ((r = run_hook(&oci->hooks[k][i], where, state, &place, error)) < 0)
                        return r;
        }
        return 0;
}

int nsl_oci_run_hooks(const nsl_oci *oci, const char *kind, const char *state_json, nsl_error *error)
{
        if (kind && in_container(kind))
                return nsl_fail(error, EINVAL, "hooks", kind,
                                "run in the container's namespaces: nsl_oci_run_container_hooks");
        return run_kind(oci, kind ? kind : "", state_json, -1, error);
}

int nsl_oci_run_container_hooks(const nsl_oci *oci, const char *kind, const char *state_json, int init_pidfd,
                                nsl_error *error)
{
        if (!kind || !in_container(kind))
                return nsl_fail(error, EINVAL, "hooks", kind ? kind : "",
                                "only createContainer and startContainer run in the container's namespaces");
        return run_kind(oci, kind, state_json, init_pidfd, error);
}

/* nsl_oci_run_hooks: the config's hooks of one kind, in order, each a
 * program (never a shell) with its args and env, the container's state JSON
 * on its standard input, and its timeout. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
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

/* In the child: only async-signal-safe calls. */
static __attribute__((noreturn)) void exec_hook(const struct nsl_oci_hook *hook, int state)
{
        char *const default_argv[] = { hook->path, NULL };
        char *const empty_env[] = { NULL };

        /* its own process group: a timeout ends what the hook started too */
        if (setpgid(0, 0) < 0 || lseek(state, 0, SEEK_SET) < 0 || dup2(state, STDIN_FILENO) < 0 ||
            close_range(3, ~0U, 0) < 0)
                _exit(127);
        execve(hook->path, hook->n_args ? hook->args : default_argv, hook->n_env ? hook->env : empty_env);
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

static int run_hook(const struct nsl_oci_hook *hook, const char *where, int state, nsl_error *error)
{
        _cleanup_close_ int pidfd = -1;
        bool timed_out;
        int status, r;
        pid_t pid = fork();

        if (pid < 0)
                return nsl_fail(error, errno, where, hook->path, NULL);
        if (pid == 0)
                exec_hook(hook, state);
        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0) {
                r = -errno;
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return nsl_fail(error, -r, where, hook->path, NULL);
        }
        if ((r = wait_hook(pid, pidfd, hook->timeout, &status, &timed_out)) < 0)
                return nsl_fail(error, -r, where, hook->path, NULL);
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

int nsl_oci_run_hooks(const nsl_oci *oci, const char *kind, const char *state_json, nsl_error *error)
{
        _cleanup_close_ int state = -1;
        int k = 0, r;

        while (k < NSL_OCI_HOOK_KINDS && (!kind || strcmp(kind, nsl_oci_hook_kinds[k])))
                k++;
        if (k == NSL_OCI_HOOK_KINDS)
                return nsl_fail(error, EINVAL, "hooks", kind ? kind : "", "unknown kind of hook");
        if (oci->n_hooks[k] == 0)
                return 0;
        if ((state = state_fd(state_json ? state_json : "", error)) < 0)
                return state;
        for (size_t i = 0; i < oci->n_hooks[k]; i++) {
                char where[64];

                snprintf(where, sizeof where, "hooks.%s[%zu]", nsl_oci_hook_kinds[k], i);
                if ((r = run_hook(&oci->hooks[k][i], where, state, error)) < 0)
                        return r;
        }
        return 0;
}

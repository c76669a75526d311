/* Privilege escalation attempts from inside the sandbox.  Each line:
 * "NAME RESULT ERRNO"; RESULT -1 means the kernel or the filter refused.
 * Extra arguments are host pids to signal (SIGKILL). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guard.h"

static void report(const char *name, long r)
{
        printf("%s %ld %d\n", name, r, r < 0 ? errno : 0);
}

/* the 32-bit entry: getpid (20 in the i386 table) through int 0x80, in a
 * child, since a filter may kill it; prints the child's fate */
static void int80(void)
{
        pid_t pid = fork();
        int status;

        if (pid == 0) {
                long r = 20;
#if defined(__x86_64__)
                __asm__ volatile("int $0x80" : "+a"(r) : : "memory");
#else
                r = -38;
#endif
                _exit(r > 0 ? 0 : 1);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0) {
                report("int80", -1);
                return;
        }
        /* 0: the call returned a pid; else refused (1) or killed (128+sig) */
        printf("int80 %d 0\n", WIFEXITED(status) ? (WEXITSTATUS(status) ? -1 : 0) : -(128 + WTERMSIG(status)));
}

int main(int argc, char **argv)
{
        long r;

        nsl_refuse_outside_sandbox("escalate");
        /* through an engine the probe itself may be pid 1 (no init of the
         * runtime in the container): the caller must know which */
        report("getpid", getpid());
        r = ptrace(PTRACE_ATTACH, 1, NULL, NULL);
        report("ptrace_pid1", r);
        /* take init's fds (its socket to nslaunch, its signalfd) */
        int pidfd = (int)syscall(SYS_pidfd_open, 1, 0);
        r = -1;
        for (int fd = 0; pidfd >= 0 && fd < 16 && r < 0; fd++)
                r = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        report("pidfd_getfd_init", pidfd < 0 ? pidfd : r);
        errno = 0;
        r = unshare(CLONE_NEWUSER);
        report("unshare_user", r);
        r = mount("none", "/tmp", "tmpfs", 0, NULL);
        report("mount_tmpfs", r);
        int80();

        unsigned char params[120];      /* struct io_uring_params */
        memset(params, 0, sizeof params);
        r = syscall(SYS_io_uring_setup, 4, params);
        report("io_uring_setup", r);

        r = syscall(SYS_add_key, "user", "nsl-attack", "x", 1, -2 /* KEY_SPEC_PROCESS_KEYRING */);
        report("add_key", r);
        r = syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, "nsl-attack");
        report("keyctl_join", r);

        struct perf_event_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.type = PERF_TYPE_SOFTWARE;
        attr.size = sizeof attr;
        attr.config = PERF_COUNT_SW_CPU_CLOCK;
        attr.disabled = 1;
        r = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
        report("perf_event_open", r);

        for (int i = 1; i < argc; i++) {
                char name[32];
                snprintf(name, sizeof name, "kill_%s", argv[i]);
                r = kill((pid_t)atoi(argv[i]), SIGKILL);
                report(name, r);
        }
        return 0;
}

/* Kernel interfaces that glibc 2.36 does not wrap, and one called past its
 * wrapper. */
#ifndef NSL_SYSCALLS_H
#define NSL_SYSCALLS_H

#include <errno.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* The kernel's struct clone_args, version 2 (with cgroup). */
struct nsl_clone_args {
        uint64_t flags;
        uint64_t pidfd;
        uint64_t child_tid;
        uint64_t parent_tid;
        uint64_t exit_signal;
        uint64_t stack;
        uint64_t stack_size;
        uint64_t tls;
        uint64_t set_tid;
        uint64_t set_tid_size;
        uint64_t cgroup;
};

static inline pid_t nsl_clone3(struct nsl_clone_args *args)
{
        return (pid_t)syscall(SYS_clone3, args, sizeof *args);
}

static inline int nsl_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
        struct open_how how = { .flags = flags, .mode = 0, .resolve = resolve };
        return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

static inline int nsl_pidfd_open(pid_t pid, unsigned flags)
{
        return (int)syscall(SYS_pidfd_open, pid, flags);
}

static inline int nsl_pidfd_send_signal(int pidfd, int sig)
{
        return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* waitid(P_PIDFD) for the child pidfd holds, with WEXITED and options,
 * again after a signal: glibc 2.36 knows no P_PIDFD. */
static inline int nsl_pidfd_wait(int pidfd, int options, siginfo_t *info)
{
        int r;

        do
                r = waitid((idtype_t)P_PIDFD, (id_t)pidfd, info, WEXITED | options);
        while (r < 0 && errno == EINTR);
        return r;
}

static inline int nsl_pivot_root(const char *new_root, const char *put_old)
{
        return (int)syscall(SYS_pivot_root, new_root, put_old);
}

/* The process's name (comm), straight from the kernel. A clone of a
 * threaded caller copies the other threads' memory, not the threads: a
 * lock one of them held at the clone is never released there.
 * AddressSanitizer's prctl takes its thread registry's lock to note a new
 * name (another thread's start, end or rename holds it), and init, so
 * named, would wait on it for ever. */
static inline int nsl_set_comm(const char *name)
{
        return (int)syscall(SYS_prctl, PR_SET_NAME, name, 0, 0, 0);
}

#endif

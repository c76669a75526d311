#include "joined.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "syscalls.h"
#include "sandbox/ctx.h"
#include "sandbox/mount.h"

static int enter_one(int k, const char *path, nsl_error *error)
{
        const struct nsl_join_kind *kind = &nsl_join_kinds[k];
        _cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
        struct stat joined;

        if (target < 0)
                return nsl_fail(error, errno, kind->option, path, NULL);
        if (ioctl(target, NS_GET_NSTYPE) != kind->clone_flag)
                return nsl_fail(error, EINVAL, kind->option, path, "not %s namespace", kind->a_kind);
        /* the caller's own (a config without one: the host's) is this
         * helper's already; setns would want CAP_SYS_ADMIN over its owner,
         * which a user namespace's root lacks over the host's */
        if (fstat(target, &joined) == 0 && nsl_join_is_callers_own(k, &joined))
                return 0;
        if (setns(target, kind->clone_flag) < 0)
                return nsl_fail(error, errno, kind->option, path, "cannot join");
        return 0;
}

static int enter(const struct nsl_plan *plan, nsl_error *error)
{
        for (int k = 0; k < NSL_JOIN_N; k++) {
                int r = plan->join_ns[k] ? enter_one(k, plan->join_ns[k], error) : 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

bool nsl_joined_any(const struct nsl_plan *plan)
{
        for (int k = 0; k < NSL_JOIN_N; k++)
                if (plan->join_ns[k])
                        return true;
        return false;
}

/* Written through the host's procfs: what /proc/sys shows of a namespaced
 * sysctl follows the opener's namespace. */
static int sysctls(const struct nsl_plan *plan, nsl_error *error)
{
        _cleanup_close_ int proc = -1;

        for (size_t i = 0; i < plan->n_sysctls; i++) {
                const char *assignment = plan->sysctls[i];
                int r;

                if (!nsl_sysctl_by_host(plan, assignment))
                        continue;
                if (proc < 0 && (proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                        return nsl_fail(error, errno, "sysctl", "/proc", NULL);
                if (!nsl_fd_on_fs(proc, PROC_SUPER_MAGIC))
                        return nsl_fail(error, EPERM, "sysctl", "/proc", "not procfs: refusing to write through it");
                if ((r = nsl_sysctl_write(proc, assignment, error)) < 0)
                        return r;
        }
        return 0;
}

/* A procfs shows its mounter's own pid namespace, which setns leaves as it
 * was (it sets the children's): a child, born in the joined one, makes it.
 * The child shares the fd table (CLONE_FILES) and leaves the mount on a
 * number taken here; this thread waits until it has (CLONE_VFORK). */
static int joined_procfs(const struct nsl_plan *plan, int *mount_fd, nsl_error *error)
{
        const char *object = plan->join_ns[NSL_JOIN_PID];
        _cleanup_close_ int slot = open("/dev/null", O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int pidfd = -1;
        /* exit_signal 0: no SIGCHLD reaches a caller that embeds the library */
        struct nsl_clone_args args = { .flags = CLONE_VFORK | CLONE_FILES | CLONE_PIDFD,
                                       .pidfd = (uint64_t)(uintptr_t)&pidfd };
        siginfo_t info = { .si_pid = 0 };

        if (slot < 0)
                return nsl_fail(error, errno, "pid-ns", "/dev/null", NULL);
        pid_t pid = nsl_clone3(&args);
        if (pid < 0)
                return nsl_fail(error, errno, "pid-ns", object, "cannot start the procfs's maker");
        if (pid == 0) {
                nsl_error ignored = { 0 };
                int made = -1, r = nsl_proc_new(plan, &made, &ignored);
                if (r == 0 && dup3(made, slot, O_CLOEXEC) < 0)
                        r = -errno;
                close(made);
                _exit(r < 0 ? -r : 0);
        }
        nsl_pidfd_wait(pidfd, __WALL, &info);
        if (info.si_code != CLD_EXITED || info.si_status != 0)
                return nsl_fail(error, info.si_code == CLD_EXITED ? info.si_status : EPROTO, "pid-ns", object,
                                "cannot make a procfs of it");
        *mount_fd = TAKE_FD(slot);
        return 0;
}

/* A sysfs shows the devices of its mounter's network namespace, an mqueue
 * the queues of its mounter's IPC namespace, a procfs the processes of its
 * mounter's pid namespace, and the sandbox's init may make each only of a
 * namespace its user namespace owns. */
static int filesystems(const struct nsl_plan *plan, struct nsl_sources *sources, nsl_error *error)
{
        const uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
        int r = 0;

        if (plan->join_ns[NSL_JOIN_NET] && plan->mount_sysfs)
                r = nsl_fs_new("sysfs", NULL, 0, attrs | MOUNT_ATTR_RDONLY, &sources->fd[NSL_SOURCE_SYSFS], error);
        if (r == 0 && plan->join_ns[NSL_JOIN_IPC] && plan->mount_dev)
                r = nsl_fs_new("mqueue", NULL, 0, attrs, &sources->fd[NSL_SOURCE_MQUEUE], error);
        if (r == 0 && plan->join_ns[NSL_JOIN_PID] && plan->mount_proc)
                r = joined_procfs(plan, &sources->fd[NSL_SOURCE_PROC], error);
        return r;
}

static int names(const struct nsl_plan *plan, nsl_error *error)
{
        if (!plan->join_ns[NSL_JOIN_UTS])
                return 0;
        if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) < 0)
                return nsl_fail(error, errno, "hostname", plan->hostname, NULL);
        if (plan->domainname && setdomainname(plan->domainname, strlen(plan->domainname)) < 0)
                return nsl_fail(error, errno, "domainname", plan->domainname, NULL);
        return 0;
}

static int host_duties(const struct nsl_plan *plan, struct nsl_sources *sources, nsl_error *error)
{
        int r = filesystems(plan, sources, error);

        if (r == 0)
                r = sysctls(plan, error);
        return r == 0 ? names(plan, error) : r;
}

/* What the helper tells its caller: the fds are in their shared table. */
struct clone_report {
        pid_t pid;
        int pidfd;
        int clone_errno;
        int fs[3];      /* sysfs, mqueue, procfs */
        nsl_error error;
};

static const int made_fs[3] = { NSL_SOURCE_SYSFS, NSL_SOURCE_MQUEUE, NSL_SOURCE_PROC };

static _Noreturn void clone_helper(const struct nsl_plan *plan, struct nsl_sources *sources,
                                   struct nsl_clone_args *args, void (*child)(void *), void *data, int report_fd)
{
        struct clone_report report = { .pid = -1, .pidfd = -1 };
        int pidfd = -1, r = enter(plan, &report.error);

        if (r == 0)
                r = host_duties(plan, sources, &report.error);
        /* the caller's groups stay the caller's: these are this process's */
        if (r == 0 && plan->maps_ids && syscall(SYS_setgroups, 0, NULL) < 0)
                r = nsl_fail(&report.error, errno, "clone", "setgroups", NULL);
        if (r == 0) {
                /* its exit signal is this helper's (SIGCHLD), which
                 * clone3 then wants as 0 */
                struct nsl_clone_args mine = *args;
                mine.flags |= CLONE_PARENT;
                mine.exit_signal = 0;
                mine.pidfd = (uint64_t)(uintptr_t)&pidfd;
                report.pid = nsl_clone3(&mine);
                report.clone_errno = errno;
                if (report.pid == 0)
                        child(data);
                report.pidfd = pidfd;
        }
        for (int i = 0; i < 3; i++)
                report.fs[i] = sources->fd[made_fs[i]];
        _exit(write(report_fd, &report, sizeof report) == (ssize_t)sizeof report ? 0 : 1);
}

int nsl_joined_clone(const struct nsl_plan *plan, struct nsl_sources *sources, struct nsl_clone_args *args,
                     void (*child)(void *), void *data, pid_t *pid, nsl_error *error)
{
        _cleanup_close_ int helper_pidfd = -1;
        struct nsl_clone_args helper = { .flags = CLONE_VFORK | CLONE_FILES | CLONE_PIDFD,
                                         .pidfd = (uint64_t)(uintptr_t)&helper_pidfd, .exit_signal = SIGCHLD };
        struct clone_report report;
        siginfo_t info;
        int pipe_fds[2];

        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return nsl_fail(error, errno, "clone", "pipe", NULL);
        pid_t made = nsl_clone3(&helper);
        if (made == 0)
                clone_helper(plan, sources, args, child, data, pipe_fds[1]);
        int clone_errno = errno;
        close(pipe_fds[1]);
        _cleanup_close_ int report_fd = pipe_fds[0];
        if (made < 0)
                return nsl_fail(error, clone_errno, "clone", "", "cannot start the namespaces' joiner");
        nsl_pidfd_wait(helper_pidfd, 0, &info);
        if (read(report_fd, &report, sizeof report) != (ssize_t)sizeof report)
                return nsl_fail(error, EPROTO, "clone", "", "the namespaces' joiner ended without a report");
        for (int i = 0; i < 3; i++)
                sources->fd[made_fs[i]] = report.fs[i];
        if (report.error.what[0]) {
                *error = report.error;
                return report.error.errnum > 0 ? -report.error.errnum : -EINVAL;      /* as nsl_fail */
        }
        *(int *)(uintptr_t)args->pidfd = report.pidfd;
        *pid = report.pid;
        return report.pid < 0 ? -report.clone_errno : 0;
}

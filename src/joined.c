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
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "syscalls.h"
#include "sandbox/ctx.h"
#include "sandbox/mount.h"

static int enter_one(int k, const char *path, int *own, nsl_error *error)
{
        const struct nsl_join_kind *kind = &nsl_join_kinds[k];
        _cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
        char self[64];

        if (target < 0)
                return nsl_fail(error, errno, kind->option, path, NULL);
        if (ioctl(target, NS_GET_NSTYPE) != kind->clone_flag)
                return nsl_fail(error, EINVAL, kind->option, path, "not %s namespace", kind->a_kind);
        snprintf(self, sizeof self, "/proc/thread-self/ns/%s", kind->own_name);
        *own = open(self, O_RDONLY | O_CLOEXEC);
        if (*own < 0)
                return nsl_fail(error, errno, kind->option, self, NULL);
        if (setns(target, kind->clone_flag) < 0) {
                nsl_closep(own);
                *own = -1;
                return nsl_fail(error, errno, kind->option, path, "cannot join");
        }
        return 0;
}

int nsl_joined_enter(const struct nsl_plan *plan, int own[NSL_JOIN_N], nsl_error *error)
{
        for (int k = 0; k < NSL_JOIN_N; k++)
                own[k] = -1;
        for (int k = 0; k < NSL_JOIN_N; k++) {
                int r = plan->join_ns[k] ? enter_one(k, plan->join_ns[k], &own[k], error) : 0;
                if (r < 0) {
                        nsl_joined_leave(own);
                        return r;
                }
        }
        return 0;
}

void nsl_joined_leave(int own[NSL_JOIN_N])
{
        for (int k = NSL_JOIN_N - 1; k >= 0; k--) {
                if (own[k] < 0)
                        continue;
                if (setns(own[k], nsl_join_kinds[k].clone_flag) < 0)
                        abort();        /* the caller's thread would stay in the sandbox's namespace */
                nsl_closep(&own[k]);
                own[k] = -1;
        }
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

int nsl_joined_host_duties(const struct nsl_plan *plan, struct nsl_sources *sources, nsl_error *error)
{
        int r = filesystems(plan, sources, error);

        if (r == 0)
                r = sysctls(plan, error);
        return r == 0 ? names(plan, error) : r;
}

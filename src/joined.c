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
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
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
        snprintf(self, sizeof self, "/proc/thread-self/ns/%s", kind->proc_name);
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

/* A sysfs shows the devices of its mounter's network namespace, an mqueue
 * the queues of its mounter's IPC namespace, and the sandbox's init may
 * make either only of a namespace its user namespace owns. */
static int filesystems(const struct nsl_plan *plan, struct nsl_sources *sources, nsl_error *error)
{
        const uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
        int r = 0;

        if (plan->join_ns[NSL_JOIN_NET] && plan->mount_sysfs)
                r = nsl_fs_new("sysfs", NULL, 0, attrs | MOUNT_ATTR_RDONLY, &sources->fd[NSL_SOURCE_SYSFS], error);
        if (r == 0 && plan->join_ns[NSL_JOIN_IPC] && plan->mount_dev)
                r = nsl_fs_new("mqueue", NULL, 0, attrs, &sources->fd[NSL_SOURCE_MQUEUE], error);
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

/* The sandbox's namespaced sysctls (the spec let only those through),
 * written by init into the kernel objects of its own namespaces: the
 * network ones once the sandbox's network namespace is joined (early, for
 * this), through a full procfs instance of init's own. It is made while the
 * host's /proc is still in view (the kernel refuses a new procfs in a user
 * namespace where none is fully visible) and closed again, never mounted
 * anywhere (in a shared pid namespace, the host's /proc instead); the
 * sandbox's /proc, whatever its mode, is not touched. A
 * joined network namespace is not the sandbox's user namespace's: its
 * net.* sysctls are written by the host while it is in it (launch.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../syscalls.h"
#include "ctx.h"
#include "mount.h"

int nsl_sysctl_write(int proc_fd, const char *assignment, nsl_error *error)
{
        const char *value = strchr(assignment, '=') + 1;
        size_t key_len = (size_t)(value - 1 - assignment), len = strlen(value);
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "sys/%.*s", (int)key_len, assignment);

        if (n < 0 || (size_t)n >= sizeof path)
                return nsl_fail(error, ENAMETOOLONG, "sysctl", assignment, NULL);
        for (char *p = path + 4; *p; p++)
                if (*p == '.')
                        *p = '/';
        _cleanup_close_ int fd = nsl_openat2(proc_fd, path, O_WRONLY | O_CLOEXEC,
                                             RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
        if (fd < 0)
                return nsl_fail(error, errno, "sysctl", assignment, errno == ENOENT ? "no such sysctl" : NULL);
        if (write(fd, value, len) != (ssize_t)len)
                return nsl_fail(error, errno, "sysctl", assignment, "cannot write");
        return 0;
}

bool nsl_sysctl_by_host(const struct nsl_plan *plan, const char *assignment)
{
        int k = nsl_sysctl_join_kind(assignment);

        return k < NSL_JOIN_N && plan->join_ns[k] != NULL;
}

int nsl_stage_sysctl(struct nsl_ctx *ctx, nsl_error *error)
{
        const struct nsl_plan *plan = ctx->plan;
        _cleanup_close_ int proc_fd = -1;
        int r;

        if (!plan->n_sysctls)
                return 0;
        if ((r = nsl_stage_network_join(ctx, error)) < 0)
                return r;
        /* no procfs of a pid namespace init shares is init's to make: the
         * host's, which it holds, shows the same sysctls */
        if (nsl_pid_ns_shared(plan))
                proc_fd = fcntl(ctx->host_proc_fd, F_DUPFD_CLOEXEC, 3);
        else if ((r = nsl_fs_new("proc", NULL, 0, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, &proc_fd,
                                 error)) < 0)
                return r;
        if (proc_fd < 0)
                return nsl_fail(error, errno, "sysctl", "/proc", NULL);
        for (size_t i = 0; i < plan->n_sysctls; i++) {
                if (nsl_sysctl_by_host(plan, plan->sysctls[i]))
                        continue;
                if ((r = nsl_sysctl_write(proc_fd, plan->sysctls[i], error)) < 0)
                        return r;
        }
        return 0;
}

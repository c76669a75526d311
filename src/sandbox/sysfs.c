/* /sys, read-only: a fresh sysfs, which the kernel gives only to a
 * mounter that owns its network namespace (it shows that namespace's
 * devices): init makes it for the sandbox's own namespace, the host for a
 * joined one (launch.c, handed over with the bind sources); with the host's
 * network, a recursive read-only bind of the host's /sys. Then, asked for, a read-only cgroup2 at
 * /sys/fs/cgroup: the sandbox's own cgroup namespace's view. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../syscalls.h"
#include "ctx.h"
#include "mount.h"

#define SYS_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

static int new_sysfs(struct nsl_ctx *ctx, int *mount_fd, nsl_error *error)
{
        int r;

        if (ctx->sources.fd[NSL_SOURCE_SYSFS] >= 0) {
                *mount_fd = TAKE_FD(ctx->sources.fd[NSL_SOURCE_SYSFS]);
                return 0;
        }
        if (!nsl_network_own(ctx->plan)) {
                r = nsl_tree_clone(AT_FDCWD, "/sys", NSL_CLONE_RECURSIVE, mount_fd, error);
                return r < 0 ? r : nsl_mount_set_private(*mount_fd, SYS_ATTRS, true, "/sys", error);
        }
        /* sysfs shows the devices of the mounter's network namespace, and is
         * refused unless the sandbox owns it: the join comes early then. */
        if ((r = nsl_stage_network_join(ctx, error)) < 0)
                return r;
        return nsl_fs_new("sysfs", NULL, 0, SYS_ATTRS, mount_fd, error);
}

/* /sys/fs/cgroup inside the sysfs just mounted, or, without one, the
 * image's own mountpoint. */
static int cgroup_target(struct nsl_ctx *ctx, nsl_error *error)
{
        struct statfs sfs;
        int fd;

        if (!ctx->plan->mount_sysfs)
                return nsl_open_mount_target(ctx->root_fd, "/sys/fs/cgroup", NSL_TARGET_DIR, RESOLVE_NO_SYMLINKS, NULL, 0, error);
        fd = nsl_open_in_root(ctx->root_fd, "/sys/fs/cgroup", O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
        if (fd < 0)
                return nsl_fail(error, -fd, "cgroupfs", "/sys/fs/cgroup", "no mountpoint in the sandbox's sysfs");
        if (fstatfs(fd, &sfs) < 0 || sfs.f_type != SYSFS_MAGIC) {
                close(fd);
                return nsl_fail(error, EPERM, "cgroupfs", "/sys/fs/cgroup", "not in the sandbox's sysfs");
        }
        return fd;
}

static int mount_cgroupfs(struct nsl_ctx *ctx, nsl_error *error)
{
        _cleanup_close_ int mfd = -1;
        _cleanup_close_ int target = -1;
        int r = nsl_fs_new("cgroup2", NULL, 0, SYS_ATTRS, &mfd, error);

        if (r < 0)
                return r;
        target = cgroup_target(ctx, error);
        if (target < 0)
                return target;
        return nsl_mount_attach(mfd, target, "/sys/fs/cgroup", error);
}

int nsl_stage_sysfs(struct nsl_ctx *ctx, nsl_error *error)
{
        _cleanup_close_ int mfd = -1;
        _cleanup_close_ int target = -1;
        int r;

        if (ctx->plan->mount_sysfs) {
                if ((r = new_sysfs(ctx, &mfd, error)) < 0)
                        return r;
                target = nsl_open_mount_target(ctx->root_fd, "/sys", NSL_TARGET_DIR, RESOLVE_NO_SYMLINKS, NULL, 0, error);
                if (target < 0)
                        return target;
                if ((r = nsl_mount_attach(mfd, target, "/sys", error)) < 0)
                        return r;
        }
        return ctx->plan->mount_cgroupfs ? mount_cgroupfs(ctx, error) : 0;
}

/* /sys, read-only: a fresh sysfs, which the kernel gives only to a
 * mounter that owns its network namespace (it shows that namespace's
 * devices): init makes it for the sandbox's own namespace, the host for a
 * joined one (launch.c, handed over with the bind sources); with the host's
 * network, a recursive read-only bind of the host's /sys. /sys/fs/cgroup
 * in it is cgroupfs.c's. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
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
        return 0;
}

/* /sys/fs/cgroup, read-only, when asked for (an OCI config's cgroup mount):
 * the hierarchies as the sandbox's own cgroup namespace sees them, its
 * cgroups as their roots.
 *
 * On a host whose controllers are in cgroup v1 (hybrid included) a cgroup2
 * holds neither a controller nor a limit, and software that sizes itself
 * by its limits (a JVM, Go's runtime, .NET) would find none. There, as runc
 * and crun do, it is a tmpfs holding a mount of each v1 hierarchy, named as
 * systemd names them ("cpu,cpuacct", a link per controller beside it;
 * "systemd" for name=systemd), and "unified" for the cgroup2 beside them.
 * Only hierarchies the sandbox has a cgroup of its own in: in any other,
 * its namespace's root is its creator's cgroup, whose tree is not the
 * sandbox's to see. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../syscalls.h"
#include "ctx.h"
#include "mount.h"

#define CGROUPFS_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

/* /sys/fs/cgroup inside the sysfs mounted there, or, without one, the
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

/* The hierarchy, in the sandbox's own tmpfs dir_fd, with a link per
 * controller where it holds several. */
static int mount_hierarchy(int dir_fd, const struct nsl_cgroup_hierarchy *h, nsl_error *error)
{
        struct nsl_fs_option opts[NSL_CGROUP_HIERARCHY_MAX + 1];
        _cleanup_close_ int mfd = -1;
        size_t n = 0;
        int r;

        for (size_t i = 0; i < h->n; i++)
                opts[n++] = (struct nsl_fs_option){ h->controllers[i], NULL };
        if (h->name)
                opts[n++] = (struct nsl_fs_option){ "name", h->name };
        if ((r = nsl_fs_new("cgroup", opts, n, CGROUPFS_ATTRS, &mfd, error)) < 0 ||
            (r = nsl_mount_attach_in(dir_fd, h->dir, mfd, "cgroupfs", error)) < 0)
                return r;
        for (size_t i = 0; h->n > 1 && i < h->n; i++)
                if (symlinkat(h->dir, dir_fd, h->controllers[i]) < 0)
                        return nsl_fail(error, errno, "cgroupfs", h->controllers[i], "cannot link it to %s", h->dir);
        return 0;
}

static int mount_v1_tree(struct nsl_ctx *ctx, int target, nsl_error *error)
{
        static const struct nsl_fs_option tmpfs_opts[] = { { "mode", "0755" }, { "size", "64k" } };
        _cleanup_mapping_ struct nsl_mapping cgroups = { 0 };
        _cleanup_close_ int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        int tmpfs_fd = -1, r;
        size_t len;

        if ((r = fd < 0 ? -errno : nsl_read_fd_mapped(fd, 1 << 16, &cgroups, &len)) < 0)
                return nsl_fail(error, -r, "cgroupfs", "/proc/self/cgroup", "cannot read it");
        r = nsl_fs_new("tmpfs", tmpfs_opts, ELEMENTSOF(tmpfs_opts), CGROUPFS_ATTRS & ~MOUNT_ATTR_RDONLY, &tmpfs_fd,
                       error);
        /* read-only once the hierarchies are in it */
        if (r < 0 || (r = nsl_ctx_seal_later(ctx, tmpfs_fd, error)) < 0 ||
            (r = nsl_mount_attach(tmpfs_fd, target, "/sys/fs/cgroup", error)) < 0)
                return r;
        for (const char *line = cgroups.p; *line; line = strchrnul(line, '\n'), line += *line == '\n') {
                struct nsl_cgroup_line fields;
                struct nsl_cgroup_hierarchy h;
                if (!nsl_cgroup_line_parse(line, &fields))
                        continue;
                if (!fields.controllers_len) {
                        _cleanup_close_ int mfd = -1;
                        if (ctx->host->cgroup_unified &&
                            ((r = nsl_fs_new("cgroup2", NULL, 0, CGROUPFS_ATTRS, &mfd, error)) < 0 ||
                             (r = nsl_mount_attach_in(tmpfs_fd, "unified", mfd, "cgroupfs", error)) < 0))
                                return r;
                        continue;
                }
                if ((r = nsl_cgroup_hierarchy_parse(fields.controllers, fields.controllers_len, &h)) < 0)
                        return nsl_fail(error, -r, "cgroupfs", "/proc/self/cgroup", "cannot read the hierarchy %.*s",
                                        (int)fields.controllers_len, fields.controllers);
                if (nsl_cgroup_hierarchy_is_own(&h, ctx->host->cgroup_tasks) &&
                    (r = mount_hierarchy(tmpfs_fd, &h, error)) < 0)
                        return r;
        }
        return 0;
}

int nsl_stage_cgroupfs(struct nsl_ctx *ctx, nsl_error *error)
{
        _cleanup_close_ int mfd = -1;
        _cleanup_close_ int target = -1;
        int r;

        if (!ctx->plan->mount_cgroupfs)
                return 0;
        if ((target = cgroup_target(ctx, error)) < 0)
                return target;
        if (ctx->host->cgroup_tasks)
                return mount_v1_tree(ctx, target, error);
        if ((r = nsl_fs_new("cgroup2", NULL, 0, CGROUPFS_ATTRS, &mfd, error)) < 0)
                return r;
        return nsl_mount_attach(mfd, target, "/sys/fs/cgroup", error);
}

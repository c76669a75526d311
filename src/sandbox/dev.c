/* /dev: a small tmpfs holding the host's harmless character devices (each
 * checked by major:minor before it is bound), the usual symlinks, a private
 * devpts instance and an mqueue mount. No console. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../syscalls.h"
#include "ctx.h"
#include "dev.h"
#include "mount.h"

static const struct nsl_device devices[] = {
        { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
        { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct { const char *name, *target; } links[] = {
        { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
        { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },
};

int nsl_device_check(int fd, const struct nsl_device_want *want, const char *what, const char *path,
                     nsl_error *error)
{
        const char *type = want->type == S_IFBLK ? "block" : want->type == S_IFIFO ? "FIFO" : "character";
        struct stat st;

        if (fstat(fd, &st) < 0)
                return nsl_fail(error, errno, what, path, NULL);
        if ((st.st_mode & S_IFMT) != want->type || st.st_rdev != want->rdev)
                return nsl_fail(error, EPERM, what, path, "host device is not the expected %s device %u:%u", type,
                                major(want->rdev), minor(want->rdev));
        if (want->perm >= 0 && (st.st_mode & 07777) != (mode_t)want->perm)
                return nsl_fail(error, EPERM, what, path, "the host's node has mode %o, not %o (a bind cannot "
                                "change it)", (unsigned)(st.st_mode & 07777), (unsigned)want->perm);
        if ((want->uid >= 0 && st.st_uid != want->uid) || (want->gid >= 0 && st.st_gid != want->gid))
                return nsl_fail(error, EPERM, what, path, "the host's node is owned by %u:%u in the sandbox, not "
                                "%lld:%lld (a bind cannot change it)", (unsigned)st.st_uid, (unsigned)st.st_gid,
                                (long long)want->uid, (long long)want->gid);
        return 0;
}

int nsl_device_clone(const struct nsl_device *dev, int *mount_fd, nsl_error *error)
{
        const struct nsl_device_want want = { .type = S_IFCHR, .rdev = makedev(dev->major, dev->minor), .perm = -1,
                                              .uid = -1, .gid = -1 };
        _cleanup_close_ int fd = -1;
        char path[32] = "/dev/";
        int r;

        strncat(path, dev->name, sizeof path - strlen(path) - 1);
        r = nsl_tree_clone(AT_FDCWD, path, 0, &fd, error);
        if (r < 0)
                return r;
        r = nsl_device_check(fd, &want, "dev", path, error);
        if (r < 0)
                return r;
        r = nsl_mount_set(fd, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false, path, error);
        if (r < 0)
                return r;
        *mount_fd = TAKE_FD(fd);
        return 0;
}

static int bind_device(int dev_fd, const struct nsl_device *dev, nsl_error *error)
{
        _cleanup_close_ int clone = -1;
        _cleanup_close_ int target = -1;
        int r;

        r = nsl_device_clone(dev, &clone, error);
        if (r < 0)
                return r;
        if (mknodat(dev_fd, dev->name, S_IFREG | 0666, 0) < 0)
                return nsl_fail(error, errno, "dev", dev->name, "cannot create");
        target = openat(dev_fd, dev->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (target < 0)
                return nsl_fail(error, errno, "dev", dev->name, NULL);
        return nsl_mount_attach(clone, target, dev->name, error);
}

static int mount_in_dev(int dev_fd, const char *name, const char *fstype, const char *source,
                        const struct nsl_fs_option *opts, size_t n_opts, uint64_t attrs, nsl_error *error)
{
        _cleanup_close_ int mfd = -1;
        int r = nsl_fs_new_named(fstype, source, opts, n_opts, attrs, &mfd, error);

        return r < 0 ? r : nsl_mount_attach_in(dev_fd, name, mfd, "dev", error);
}

/* The queues of the sandbox's IPC namespace; a joined one's mqueue the host
 * made (joined.c). */
static int mount_mqueue(struct nsl_ctx *ctx, int dev_fd, nsl_error *error)
{
        _cleanup_close_ int made = TAKE_FD(ctx->sources.fd[NSL_SOURCE_MQUEUE]);

        if (made >= 0)
                return nsl_mount_attach_in(dev_fd, "mqueue", made, "dev", error);
        return mount_in_dev(dev_fd, "mqueue", "mqueue", "mqueue", NULL, 0,
                            MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, error);
}

/* "shm" is the source runc, crun and Docker give this tmpfs. Without a size
 * a mount given for /dev/shm replaces it: only the directory is made. */
static int mount_shm(int dev_fd, uint64_t size, nsl_error *error)
{
        char size_value[32];
        const struct nsl_fs_option opts[] = { { "mode", "1777" }, { "size", size_value } };

        if (!size) {
                if (mkdirat(dev_fd, "shm", 01777) < 0)
                        return nsl_fail(error, errno, "dev", "shm", "cannot create");
                return 0;
        }
        snprintf(size_value, sizeof size_value, "%llu", (unsigned long long)size);
        return mount_in_dev(dev_fd, "shm", "tmpfs", "shm", opts, ELEMENTSOF(opts), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                            error);
}

/* A devpts of the sandbox's own: its terminals are no one else's. */
static int mount_pts(int dev_fd, const struct nsl_plan *plan, nsl_error *error)
{
        char gid[16];
        const struct nsl_fs_option opts[] = {
                { "newinstance", NULL }, { "ptmxmode", "0666" }, { "mode", "0620" }, { "gid", gid },
        };
        size_t n = plan->devpts_gid_set ? ELEMENTSOF(opts) : ELEMENTSOF(opts) - 1;
        int r;

        snprintf(gid, sizeof gid, "%u", (unsigned)plan->devpts_gid);
        r = mount_in_dev(dev_fd, "pts", "devpts", "devpts", opts, n, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, error);
        if (r == -EINVAL && plan->devpts_gid_set)
                return nsl_fail(error, EINVAL, "dev", "/dev/pts", "gid=%s: not a group of the sandbox's user namespace",
                                gid);
        return r;
}

int nsl_stage_dev(struct nsl_ctx *ctx, nsl_error *error)
{
        static const struct nsl_fs_option dev_opts[] = { { "mode", "0755" }, { "size", "64k" } };
        _cleanup_close_ int target = -1;
        int dev_fd = -1, r;

        if (!ctx->plan->mount_dev)
                return 0;
        r = nsl_fs_new("tmpfs", dev_opts, ELEMENTSOF(dev_opts), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, &dev_fd, error);
        if (r < 0)
                return r;
        r = nsl_ctx_seal_later(ctx, dev_fd, error);
        if (r < 0)
                return r;
        target = nsl_open_mount_target(ctx->root_fd, "/dev", NSL_TARGET_DIR, RESOLVE_NO_SYMLINKS, NULL, 0, error);
        if (target < 0)
                return target;
        r = nsl_mount_attach(dev_fd, target, "/dev", error);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(devices); i++)
                if ((r = bind_device(dev_fd, &devices[i], error)) < 0)
                        return r;
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlinkat(links[i].target, dev_fd, links[i].name) < 0)
                        return nsl_fail(error, errno, "dev", links[i].name, "cannot create symlink");
        r = mount_pts(dev_fd, ctx->plan, error);
        if (r < 0)
                return r;
        r = mount_shm(dev_fd, ctx->plan->dev_shm_size, error);
        if (r < 0)
                return r;
        return mount_mqueue(ctx, dev_fd, error);
}

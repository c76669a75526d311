#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../syscalls.h"

int nsl_fs_new(const char *fstype, const struct nsl_fs_option *opts, size_t n_opts, uint64_t attrs,
               int *mount_fd, nsl_error *error)
{
        return nsl_fs_new_named(fstype, fstype, opts, n_opts, attrs, mount_fd, error);
}

int nsl_fs_new_named(const char *fstype, const char *source, const struct nsl_fs_option *opts, size_t n_opts,
                     uint64_t attrs, int *mount_fd, nsl_error *error)
{
        _cleanup_close_ int fs = fsopen(fstype, FSOPEN_CLOEXEC);
        int mfd;

        if (fs < 0)
                return nsl_fail(error, errno, "mount", fstype, "fsopen");
        /* Without a source the kernel shows "none" in mountinfo, where mount(8),
         * runc and crun show the filesystem's name: tools (and the OCI
         * runtimetest) find a mount by its source. */
        if (fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) < 0)
                return nsl_fail(error, errno, "mount", fstype, "source %s", source);
        for (size_t i = 0; i < n_opts; i++) {
                int r = opts[i].value
                        ? fsconfig(fs, FSCONFIG_SET_STRING, opts[i].key, opts[i].value, 0)
                        : fsconfig(fs, FSCONFIG_SET_FLAG, opts[i].key, NULL, 0);
                if (r < 0)
                        return nsl_fail(error, errno, "mount", fstype, "option %s%s%s", opts[i].key,
                                        opts[i].value ? "=" : "", opts[i].value ? opts[i].value : "");
        }
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return nsl_fail(error, errno, "mount", fstype, "cannot create");
        mfd = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)attrs);
        if (mfd < 0)
                return nsl_fail(error, errno, "mount", fstype, "fsmount");
        *mount_fd = mfd;
        return 0;
}

int nsl_tree_clone(int dirfd, const char *path, unsigned flags, int *mount_fd, nsl_error *error)
{
        unsigned how = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
        int fd;

        if (flags & NSL_CLONE_RECURSIVE)
                how |= AT_RECURSIVE;
        if (!(flags & NSL_CLONE_FOLLOW))
                how |= AT_SYMLINK_NOFOLLOW;
        if (!path || !*path) {
                how |= AT_EMPTY_PATH;
                path = "";
        }
        fd = open_tree(dirfd, path, how);
        if (fd < 0)
                return nsl_fail(error, errno, "bind", path, "cannot clone the mount");
        *mount_fd = fd;
        return 0;
}

static int set_attr(int mount_fd, struct mount_attr attr, bool recursive, const char *object, nsl_error *error)
{
        if (mount_setattr(mount_fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
                return nsl_fail(error, errno, "mount", object, "cannot set mount flags");
        return 0;
}

int nsl_mount_set(int mount_fd, uint64_t set, bool recursive, const char *object, nsl_error *error)
{
        return set_attr(mount_fd, (struct mount_attr){ .attr_set = set }, recursive, object, error);
}

int nsl_mount_unset(int mount_fd, uint64_t clear, const char *object, nsl_error *error)
{
        return set_attr(mount_fd, (struct mount_attr){ .attr_clr = clear }, false, object, error);
}

int nsl_mount_set_private(int mount_fd, uint64_t set, bool recursive, const char *object, nsl_error *error)
{
        return set_attr(mount_fd, (struct mount_attr){ .attr_set = set, .propagation = MS_PRIVATE }, recursive,
                        object, error);
}

static int write_new_file(int dirfd, const char *name, const char *content, const char *object, nsl_error *error)
{
        _cleanup_close_ int file = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        size_t len = strlen(content);

        if (file < 0)
                return nsl_fail(error, errno, object, "", "cannot create the file");
        if (write(file, content, len) != (ssize_t)len)
                return nsl_fail(error, EIO, object, "", "cannot write the file");
        return 0;
}

int nsl_file_new(const char *content, int scratch_fd, const char *scratch_path, const char *object, int *mount_fd,
                 nsl_error *error)
{
        static const struct nsl_fs_option opts[] = { { "mode", "0755" }, { "nr_inodes", "2" } };
        static const char name[] = "file";
        _cleanup_close_ int fs_root = -1;
        _cleanup_close_ int clone = -1;
        int r = nsl_fs_new("tmpfs", opts, ELEMENTSOF(opts), 0, &fs_root, error);

        if (r < 0 || (r = write_new_file(fs_root, name, content, object, error)) < 0)
                return r;
        if ((r = nsl_mount_attach(fs_root, scratch_fd, scratch_path, error)) < 0)
                return r;
        r = nsl_tree_clone(fs_root, name, 0, &clone, error);
        if (umount2(scratch_path, MNT_DETACH) < 0 && r == 0)
                r = nsl_fail(error, errno, object, scratch_path, "cannot unmount the file's tmpfs");
        if (r == 0)
                r = nsl_mount_set(clone, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                                  false, object, error);
        if (r == 0)
                *mount_fd = TAKE_FD(clone);
        return r;
}

int nsl_mount_attach(int mount_fd, int target_fd, const char *object, nsl_error *error)
{
        if (move_mount(mount_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return nsl_fail(error, errno, "mount", object, "cannot attach");
        return 0;
}

int nsl_mount_attach_in(int dir_fd, const char *name, int mount_fd, const char *object, nsl_error *error)
{
        _cleanup_close_ int target = -1;

        if (mkdirat(dir_fd, name, 0755) < 0)
                return nsl_fail(error, errno, object, name, "cannot create");
        target = openat(dir_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (target < 0)
                return nsl_fail(error, errno, object, name, NULL);
        return nsl_mount_attach(mount_fd, target, name, error);
}

int nsl_mount_attach_anew(int mount_fd, int target_fd, const char *object, nsl_error *error)
{
        _cleanup_close_ int fresh = -1;
        char attached[40];
        int r = nsl_mount_attach(mount_fd, target_fd, object, error);

        if (r < 0 || (r = nsl_tree_clone(mount_fd, "", NSL_CLONE_RECURSIVE, &fresh, error)) < 0)
                return r;
        /* umount2 takes no fd: the magic link names the attached mount itself */
        snprintf(attached, sizeof attached, "/proc/self/fd/%d", mount_fd);
        if (umount2(attached, MNT_DETACH) < 0)
                return nsl_fail(error, errno, "mount", object, "cannot detach the first copy");
        return nsl_mount_attach(fresh, target_fd, object, error);
}

int nsl_open_in_root(int root_fd, const char *path, int flags, uint64_t extra_resolve)
{
        int fd;

        /* EAGAIN: a rename or mount anywhere on the system raced with a ".."
         * step; the kernel asks for a retry rather than risk an escape. */
        for (int attempt = 0; attempt < 32; attempt++) {
                fd = nsl_openat2(root_fd, path, (uint64_t)(flags | O_CLOEXEC),
                                 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve);
                if (fd >= 0 || errno != EAGAIN)
                        break;
        }
        return fd < 0 ? -errno : fd;
}

static int refuse_pseudo_fs(int fd, const char *path, nsl_error *error)
{
        struct statfs sfs;

        if (fstatfs(fd, &sfs) < 0)
                return nsl_fail(error, errno, "mount", path, NULL);
        if (sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC)
                return nsl_fail(error, EPERM, "mount", path, "target resolves into procfs or sysfs");
        return 0;
}

static int create_component(int parent_fd, const char *name, bool directory)
{
        int r = directory ? mkdirat(parent_fd, name, 0755) : mknodat(parent_fd, name, S_IFREG | 0644, 0);
        return r < 0 && errno != EEXIST ? -errno : 0;
}

int nsl_open_mount_target(int root_fd, const char *path, enum nsl_target_kind kind, uint64_t extra_resolve,
                          char *blocked_at, size_t blocked_len, nsl_error *error)
{
        bool directory = kind == NSL_TARGET_DIR;
        int flags = O_PATH | (directory ? O_DIRECTORY : 0) | (kind == NSL_TARGET_ENTRY ? O_NOFOLLOW : 0);
        char prefix[4096];
        size_t len = strlen(path);
        int fd, r;

        if (len >= sizeof prefix)
                return nsl_fail(error, ENAMETOOLONG, "mount", path, NULL);

        fd = nsl_open_in_root(root_fd, path, flags, extra_resolve);
        if (fd == -ENOENT) {
                /* Create what is missing, one component at a time, each step
                 * resolved again from the root. */
                for (size_t end = 1; end <= len; end++) {
                        if (end < len && path[end] != '/')
                                continue;
                        bool last = end == len;
                        memcpy(prefix, path, end);
                        prefix[end] = '\0';

                        _cleanup_close_ int step = nsl_open_in_root(root_fd, prefix, last ? flags : O_PATH | O_DIRECTORY,
                                                                    extra_resolve);
                        if (step >= 0)
                                continue;
                        if (step != -ENOENT)
                                return nsl_fail(error, -step, "mount", path, "cannot resolve %s", prefix);

                        char *slash = strrchr(prefix, '/');
                        *slash = '\0';
                        _cleanup_close_ int parent = nsl_open_in_root(root_fd, prefix[0] ? prefix : "/",
                                                                      O_PATH | O_DIRECTORY, extra_resolve);
                        if (parent < 0)
                                return nsl_fail(error, -parent, "mount", path, "cannot resolve %s",
                                                prefix[0] ? prefix : "/");
                        r = create_component(parent, slash + 1, last ? directory : true);
                        if ((r == -EROFS || r == -EACCES || r == -EPERM) && blocked_at)
                                snprintf(blocked_at, blocked_len, "%s", prefix[0] ? prefix : "/");
                        if (r < 0)
                                return nsl_fail(error, -r, "mount", path,
                                                "mountpoint is missing and cannot be created");
                }
                fd = nsl_open_in_root(root_fd, path, flags, extra_resolve);
        }
        if (fd < 0)
                return nsl_fail(error, -fd, "mount", path, "cannot open mountpoint");
        r = refuse_pseudo_fs(fd, path, error);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

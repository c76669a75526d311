#include "splice.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "mount.h"

struct splice {
        int lower, upper;
        uint64_t lower_mnt_id;
        bool read_only;         /* entries of the spliced mount itself become read-only */
};

static int mount_id_at(int dirfd, const char *name, uint64_t *id)
{
        struct statx stx;

        if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH), STATX_MNT_ID, &stx) < 0)
                return -errno;
        *id = stx.stx_mnt_id;
        return 0;
}

static int bind_entry(const struct splice *splice, const char *name, const struct stat *st, nsl_error *error)
{
        _cleanup_close_ int clone = -1;
        _cleanup_close_ int target = -1;
        bool dir = S_ISDIR(st->st_mode);
        uint64_t mnt_id = 0;   /* gcc -O3 cannot see mount_id_at set it */
        int r;

        if (dir ? mkdirat(splice->upper, name, st->st_mode & 07777) : mknodat(splice->upper, name, S_IFREG | 0644, 0))
                return nsl_fail(error, errno, "mount", name, "cannot create splice point");
        if ((r = mount_id_at(splice->lower, name, &mnt_id)) < 0)
                return nsl_fail(error, -r, "mount", name, NULL);
        r = nsl_tree_clone(splice->lower, name, NSL_CLONE_RECURSIVE, &clone, error);
        if (r < 0)
                return r;
        /* A plain entry would have been sealed with the mount it is on; one
         * with a mount of its own (a bind, /proc) keeps that mount's flags. */
        if (splice->read_only && mnt_id == splice->lower_mnt_id &&
            (r = nsl_mount_set(clone, MOUNT_ATTR_RDONLY, false, name, error)) < 0)
                return r;
        target = openat(splice->upper, name, O_PATH | O_NOFOLLOW | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
        if (target < 0)
                return nsl_fail(error, errno, "mount", name, NULL);
        return nsl_mount_attach(clone, target, name, error);
}

/* One entry of a spliced directory: a symlink copied, anything else bound. */
static int splice_entry(const char *name, void *data, nsl_error *error)
{
        const struct splice *splice = data;
        char link[4096];
        struct stat st;
        ssize_t n;

        if (fstatat(splice->lower, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return nsl_fail(error, errno, "mount", name, NULL);
        if (!S_ISLNK(st.st_mode))
                return bind_entry(splice, name, &st, error);
        n = readlinkat(splice->lower, name, link, sizeof link - 1);
        if (n < 0 || (link[n] = '\0', symlinkat(link, splice->upper, name) < 0))
                return nsl_fail(error, errno, "mount", name, "cannot copy symlink");
        return 0;
}

/* The tmpfs over path, its entries bound back in; *upper_fd is its mount. */
static int splice_over(struct nsl_ctx *ctx, const char *path, int *upper_fd, nsl_error *error)
{
        _cleanup_close_ int lower = nsl_open_in_root(ctx->root_fd, path, O_RDONLY | O_DIRECTORY, 0);
        _cleanup_close_ int target = -1;
        _cleanup_close_ int upper = -1;
        struct splice splice = { 0 };
        struct stat st;
        char mode[16];
        int r;

        if (lower < 0 || fstat(lower, &st) < 0)
                return nsl_fail(error, lower < 0 ? -lower : errno, "mount", path, "cannot open to splice");
        if ((r = mount_id_at(lower, "", &splice.lower_mnt_id)) < 0)
                return nsl_fail(error, -r, "mount", path, NULL);
        /* Only the root's own mount is still writable until the seal; the
         * others (host entries, --ro-bind) are read-only or are the caller's. */
        splice.read_only = !ctx->plan->rw_root && splice.lower_mnt_id == ctx->root_mnt_id;
        snprintf(mode, sizeof mode, "%o", st.st_mode & 07777);
        struct nsl_fs_option opts[] = { { "mode", mode }, { "size", "1m" } };
        r = nsl_fs_new("tmpfs", opts, ELEMENTSOF(opts), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, &upper, error);
        if (r < 0)
                return r;
        target = nsl_open_in_root(ctx->root_fd, path, O_PATH | O_DIRECTORY, 0);
        if (target < 0)
                return nsl_fail(error, -target, "mount", path, NULL);
        r = nsl_mount_attach(upper, target, path, error);
        if (r < 0)
                return r;

        splice.lower = lower;
        splice.upper = upper;
        r = nsl_dir_each(lower, splice_entry, &splice, error);
        if (r < 0 && !error->what[0])
                nsl_fail(error, -r, "mount", path, "cannot list to splice");
        if (r < 0)
                return r;
        *upper_fd = TAKE_FD(upper);
        return 0;
}

int nsl_splice_dir(struct nsl_ctx *ctx, const char *path, nsl_error *error)
{
        int upper, r = splice_over(ctx, path, &upper, error);

        return r < 0 ? r : nsl_ctx_seal_later(ctx, upper, error);
}

int nsl_ctx_note_root(struct nsl_ctx *ctx, nsl_error *error)
{
        int r = mount_id_at(ctx->root_fd, "", &ctx->root_mnt_id);

        return r < 0 ? nsl_fail(error, -r, "mount-root", "/", "cannot read its mount id") : 0;
}

int nsl_splice_root(struct nsl_ctx *ctx, nsl_error *error)
{
        int upper, r = splice_over(ctx, "/", &upper, error);

        if (r < 0)
                return r;
        /* The image's own mount stays below the tmpfs, reached only through
         * the entries bound from it; the seal makes the new root read-only. */
        close(ctx->root_fd);
        ctx->root_fd = upper;
        ctx->root_is_readonly_image = false;
        return 0;
}

/* Whether the top-level directory that path starts with is missing. */
static bool top_level_missing(int root_fd, const char *path)
{
        char top[256];
        size_t len = strcspn(path + 1, "/") + 1;

        if (len >= sizeof top)
                return false;
        memcpy(top, path, len);
        top[len] = '\0';
        int fd = nsl_open_in_root(root_fd, top, O_PATH, 0);
        if (fd >= 0)
                close(fd);
        return fd == -ENOENT;
}

bool nsl_splice_root_needed(const struct nsl_ctx *ctx)
{
        const struct nsl_plan *plan = ctx->plan;
        bool missing = (plan->mount_proc && top_level_missing(ctx->root_fd, "/proc")) ||
                       (plan->mount_dev && top_level_missing(ctx->root_fd, "/dev")) ||
                       ((plan->mount_sysfs || plan->mount_cgroupfs) && top_level_missing(ctx->root_fd, "/sys"));

        for (size_t i = 0; i < plan->n_mounts && !missing; i++)
                missing = top_level_missing(ctx->root_fd, plan->mounts[i].dest);
        if (!missing)
                return false;
        if (!plan->rw_root)
                return true;
        return syscall(SYS_faccessat2, ctx->root_fd, "", W_OK, AT_EMPTY_PATH | AT_EACCESS) < 0;
}

bool nsl_splice_allowed(const char *path, int errnum)
{
        return strcmp(path, "/") && (errnum == -EROFS || errnum == -EACCES || errnum == -EPERM);
}

/* Masked and read-only paths: an OCI bundle's maskedPaths and readonlyPaths,
 * and /proc's own (proc.c). Applied once every mount is in place, before
 * the seal; each path resolves inside the new root (symlinks stay in it,
 * magic links are refused), and an absent one is left alone. */
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../syscalls.h"
#include "ctx.h"
#include "dev.h"
#include "mount.h"

#define COVER_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

int nsl_mask_at(int target, const char *object, nsl_error *error)
{
        static const struct nsl_device null_dev = { "null", 1, 3 };
        static const struct nsl_fs_option empty[] = { { "mode", "0555" }, { "size", "4k" } };
        _cleanup_close_ int cover = -1;
        struct stat st;
        int r;

        if (fstat(target, &st) < 0)
                return nsl_fail(error, errno, "mask", object, NULL);
        if (S_ISDIR(st.st_mode))
                r = nsl_fs_new("tmpfs", empty, ELEMENTSOF(empty), COVER_ATTRS, &cover, error);
        else if ((r = nsl_device_clone(&null_dev, &cover, error)) >= 0)
                r = nsl_mount_set(cover, MOUNT_ATTR_RDONLY, false, object, error);
        if (r < 0)
                return r;
        return nsl_mount_attach(cover, target, object, error);
}

int nsl_read_only_at(int target, const char *object, nsl_error *error)
{
        _cleanup_close_ int clone = -1;
        int r = nsl_tree_clone(target, "", NSL_CLONE_RECURSIVE, &clone, error);

        if (r < 0)
                return r;
        r = nsl_mount_set(clone, COVER_ATTRS, true, object, error);
        if (r < 0)
                return r;
        return nsl_mount_attach(clone, target, object, error);
}

static int each_path(struct nsl_ctx *ctx, char *const *paths, size_t n, const char *what,
                     int (*cover)(int target, const char *object, nsl_error *error), nsl_error *error)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int target = nsl_open_in_root(ctx->root_fd, paths[i], O_PATH, 0);
                int r;

                if (target == -ENOENT)
                        continue;
                if (target < 0)
                        return nsl_fail(error, -target, what, paths[i], NULL);
                if ((r = nsl_refuse_root_target(ctx, target, paths[i], error)) < 0 ||
                    (r = cover(target, paths[i], error)) < 0) {
                        snprintf(error->what, sizeof error->what, "%s", what);
                        return r;
                }
        }
        return 0;
}

int nsl_stage_readonly_paths(struct nsl_ctx *ctx, nsl_error *error)
{
        return each_path(ctx, ctx->plan->readonly_paths, ctx->plan->n_readonly_paths, "readonly-path",
                         nsl_read_only_at, error);
}

int nsl_stage_masked_paths(struct nsl_ctx *ctx, nsl_error *error)
{
        return each_path(ctx, ctx->plan->masked_paths, ctx->plan->n_masked_paths, "masked-path", nsl_mask_at, error);
}

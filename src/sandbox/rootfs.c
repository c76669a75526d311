/* The new root: a private tmpfs with the host's system directories bound
 * read-only, or a clone of --rootfs; then the requested mounts, the seal that
 * makes it read-only, and pivot_root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../syscalls.h"
#include "ctx.h"
#include "dev.h"
#include "mount.h"
#include "splice.h"

/* Where the new root hangs in our private mount namespace until pivot_root
 * (but see open_root_place), and what covers it for a moment when a file
 * or a node is cloned from a tmpfs of nslaunch's own. */
#define STAGING_DIR "/tmp"
#define MAX_SPLICES 16

static int open_dir(const char *path, const char *what, nsl_error *error)
{
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

        return fd < 0 ? nsl_fail(error, errno, what, path, NULL) : fd;
}

static int open_staging(const char *what, nsl_error *error)
{
        return open_dir(STAGING_DIR, what, error);
}

/* A caller that works on the root as built (nsl_spec_on_root_built: an OCI
 * runtime's create hooks) finds an image's root at the image's own path, as
 * under runc; elsewhere it hangs at the staging directory. */
static int open_root_place(const struct nsl_plan *plan, nsl_error *error)
{
        if (plan->pause_when_root_built && plan->rootfs)
                return open_dir(plan->rootfs, "mount-root", error);
        return open_staging("mount-root", error);
}

/* Bind sources are cloned before anything is mounted over the host's tree
 * (the staging root hides the host's /tmp, for one). Run by root, nslaunch
 * has cloned them already, with root's credentials, and made the device
 * nodes it was asked for, cloned here (sources.h). */
int nsl_stage_open_sources(struct nsl_ctx *ctx, nsl_error *error)
{
        struct mount_attr private = { .propagation = MS_PRIVATE };
        _cleanup_close_ int staging = -1;

        if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &private, sizeof private) < 0)
                return nsl_fail(error, errno, "mount", "/", "cannot make the mount tree private");
        if (ctx->plan->rootless)
                return nsl_sources_open(ctx->plan, &ctx->sources, error);
        if (ctx->sources.fd[NSL_SOURCE_NODES] < 0)
                return 0;
        if ((staging = open_staging("mount", error)) < 0)
                return staging;
        return nsl_sources_clone_nodes(ctx->plan, &ctx->sources, staging, STAGING_DIR, error);
}

static int populate_default_root(struct nsl_ctx *ctx, nsl_error *error)
{
        const struct nsl_plan *plan = ctx->plan;

        for (size_t i = 0; i < plan->n_host_entries; i++) {
                const struct nsl_host_entry *e = &plan->host_entries[i];

                if (e->link_target) {
                        if (symlinkat(e->link_target, ctx->root_fd, e->name) < 0)
                                return nsl_fail(error, errno, "rootfs", e->name, "cannot create symlink");
                        continue;
                }
                if (mkdirat(ctx->root_fd, e->name, 0755) < 0)
                        return nsl_fail(error, errno, "rootfs", e->name, "cannot create mountpoint");
                _cleanup_close_ int target = openat(ctx->root_fd, e->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (target < 0)
                        return nsl_fail(error, errno, "rootfs", e->name, NULL);
                int r = nsl_mount_attach(ctx->sources.fd[NSL_SOURCE_HOST_ENTRY(i)], target, e->name, error);
                if (r < 0)
                        return r;
        }
        return 0;
}

int nsl_stage_mount_root(struct nsl_ctx *ctx, nsl_error *error)
{
        static const struct nsl_fs_option root_opts[] = { { "mode", "0755" }, { "size", "1m" } };
        _cleanup_close_ int place = open_root_place(ctx->plan, error);
        int r;

        if (place < 0)
                return place;
        if (ctx->plan->rootfs) {
                ctx->root_fd = TAKE_FD(ctx->sources.fd[NSL_SOURCE_ROOTFS]);
                /* Read-only from the start, not only from the seal: a missing
                 * mountpoint is spliced, never written into the image. */
                if (!ctx->plan->rw_root &&
                    (r = nsl_mount_set(ctx->root_fd, MOUNT_ATTR_RDONLY, false, "--rootfs", error)) < 0)
                        return r;
                ctx->root_is_readonly_image = !ctx->plan->rw_root;
        } else {
                r = nsl_fs_new("tmpfs", root_opts, ELEMENTSOF(root_opts), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                               &ctx->root_fd, error);
                if (r < 0)
                        return r;
        }
        r = nsl_mount_attach(ctx->root_fd, place, "/", error);
        if (r < 0 || (r = nsl_ctx_note_root(ctx, error)) < 0)
                return r;
        if (!ctx->plan->rootfs)
                return populate_default_root(ctx, error);
        /* An image that lacks a top-level mountpoint gets a tmpfs root with
         * its entries bound back, before /proc and /dev are mounted in it. */
        return nsl_splice_root_needed(ctx) ? nsl_splice_root(ctx, error) : 0;
}

/* In an image, a mountpoint that neither can be made nor spliced in is the
 * image's to provide: the line says so. */
static int missing_in_image(struct nsl_ctx *ctx, const struct nsl_mount *m, const char *blocked, int r,
                            nsl_error *error)
{
        if (!ctx->plan->rootfs)
                return r;
        return nsl_fail(error, -r, "mount", m->dest,
                        "mountpoint is missing in the --rootfs image and cannot be made in %s: create it in the "
                        "image (mkdir -p, or touch for a file)", blocked);
}

static int open_target(struct nsl_ctx *ctx, const struct nsl_mount *m, enum nsl_target_kind kind, nsl_error *error)
{
        for (int splices = 0;; splices++) {
                char blocked[4096] = "";
                int fd = nsl_open_mount_target(ctx->root_fd, m->dest, kind, 0, blocked, sizeof blocked, error);
                if (fd >= 0 || !blocked[0])
                        return fd;
                if (!nsl_splice_allowed(blocked, fd) || splices == MAX_SPLICES)
                        return missing_in_image(ctx, m, blocked, fd, error);
                int r = nsl_splice_dir(ctx, blocked, error);
                if (r < 0)
                        return missing_in_image(ctx, m, blocked, r, error);
        }
}

int nsl_refuse_root_target(struct nsl_ctx *ctx, int target, const char *dest, nsl_error *error)
{
        struct stat root, st;

        if (fstat(ctx->root_fd, &root) < 0 || fstat(target, &st) < 0)
                return nsl_fail(error, errno, "mount", dest, NULL);
        if (root.st_dev == st.st_dev && root.st_ino == st.st_ino)
                return nsl_fail(error, EINVAL, "mount", dest, "target resolves to the sandbox's root");
        return 0;
}

/* The file's tmpfs covers the staging directory for a moment (nsl_file_new). */
static int file_mount(const struct nsl_mount *m, int *mount_fd, nsl_error *error)
{
        _cleanup_close_ int staging = open_staging(nsl_mount_option(m), error);

        if (staging < 0)
                return staging;
        return nsl_file_new(m->content, staging, STAGING_DIR, nsl_mount_option(m), mount_fd, error);
}

static int mount_one(struct nsl_ctx *ctx, size_t i, nsl_error *error)
{
        const struct nsl_mount *m = &ctx->plan->mounts[i];
        _cleanup_close_ int fresh = -1;
        _cleanup_close_ int target = -1;
        enum nsl_target_kind kind = NSL_TARGET_DIR;
        int mfd, r;

        if (m->kind == NSL_MOUNT_FILE) {
                if ((r = file_mount(m, &fresh, error)) < 0)
                        return r;
                mfd = fresh;
                kind = NSL_TARGET_ENTRY;
        } else if (m->kind == NSL_MOUNT_TMPFS) {
                char size[32], mode[16];
                struct nsl_fs_option opts[2] = { { "mode", mode }, { "size", size } };
                snprintf(mode, sizeof mode, "%o", (unsigned)m->mode);
                snprintf(size, sizeof size, "%llu", (unsigned long long)m->size);
                r = nsl_fs_new("tmpfs", opts, m->size ? 2 : 1,
                               MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (m->noexec ? MOUNT_ATTR_NOEXEC : 0) |
                                       (m->read_only ? MOUNT_ATTR_RDONLY : 0),
                               &fresh, error);
                if (r < 0)
                        return r;
                mfd = fresh;
        } else if (m->kind == NSL_MOUNT_DEVICE) {
                mfd = ctx->sources.fd[NSL_SOURCE_MOUNT(i)];
                if ((r = nsl_device_check(mfd, &m->device, nsl_mount_option(m), m->dest, error)) < 0)
                        return r;
                kind = NSL_TARGET_FILE;
        } else {
                struct stat st;
                mfd = ctx->sources.fd[NSL_SOURCE_MOUNT(i)];
                if (fstat(mfd, &st) < 0)
                        return nsl_fail(error, errno, nsl_mount_option(m), m->source, NULL);
                kind = S_ISDIR(st.st_mode) ? NSL_TARGET_DIR : NSL_TARGET_FILE;
        }
        target = open_target(ctx, m, kind, error);
        if (target < 0)
                return target;
        r = nsl_refuse_root_target(ctx, target, m->dest, error);
        if (r < 0)
                return r;
        r = m->kind == NSL_MOUNT_BIND && ctx->plan->binds_listed_in_order
                    ? nsl_mount_attach_anew(mfd, target, m->dest, error)
                    : nsl_mount_attach(mfd, target, m->dest, error);
        if (r < 0)
                snprintf(error->what, sizeof error->what, "%s", nsl_mount_option(m));
        return r;
}

int nsl_stage_mounts(struct nsl_ctx *ctx, nsl_error *error)
{
        for (size_t i = 0; i < ctx->plan->n_mounts; i++) {
                int r = mount_one(ctx, i, error);
                if (r < 0)
                        return r;
        }
        return 0;
}

int nsl_stage_seal(struct nsl_ctx *ctx, nsl_error *error)
{
        int r;

        for (size_t i = 0; i < ctx->n_seal; i++) {
                r = nsl_mount_set(ctx->seal_fds[i], MOUNT_ATTR_RDONLY, false, "", error);
                if (r < 0)
                        return r;
        }
        if (ctx->plan->rw_root)
                return 0;
        return nsl_mount_set(ctx->root_fd, MOUNT_ATTR_RDONLY, false, "/", error);
}

/* Only once the host's tree is gone: a peer group made now has no member
 * outside the sandbox's mount namespace. */
static int set_root_propagation(const struct nsl_plan *plan, nsl_error *error)
{
        struct mount_attr attr = { .propagation = plan->root_propagation };

        if (!plan->root_propagation)
                return 0;
        if (mount_setattr(AT_FDCWD, "/", plan->root_propagation_recursive ? AT_RECURSIVE : 0, &attr, sizeof attr) < 0)
                return nsl_fail(error, errno, "pivot", "/", "cannot set the root's propagation");
        return 0;
}

int nsl_stage_pivot(struct nsl_ctx *ctx, nsl_error *error)
{
        if (fchdir(ctx->root_fd) < 0)
                return nsl_fail(error, errno, "pivot", "/", NULL);
        if (nsl_pivot_root(".", ".") < 0)
                return nsl_fail(error, errno, "pivot", "/", "pivot_root");
        if (umount2(".", MNT_DETACH) < 0)
                return nsl_fail(error, errno, "pivot", "/", "cannot detach the host's root");
        if (chdir("/") < 0)
                return nsl_fail(error, errno, "pivot", "/", NULL);
        nsl_ctx_release_mounts(ctx);
        return set_root_propagation(ctx->plan, error);
}

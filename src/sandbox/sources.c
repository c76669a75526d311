#include "sources.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../idmap.h"
#include "../sync.h"
#include "bind-idmap.h"
#include "mount.h"

void nsl_sources_init(struct nsl_sources *s)
{
        for (size_t i = 0; i < NSL_SOURCE_SLOTS; i++)
                s->fd[i] = -1;
        s->writable_idmap = false;
        s->userns.n = 0;
}

void nsl_sources_close(struct nsl_sources *s)
{
        for (size_t i = 0; i < NSL_SOURCE_SLOTS; i++)
                if (s->fd[i] >= 0) {
                        close(s->fd[i]);
                        s->fd[i] = -1;
                }
        nsl_idmap_userns_close(&s->userns);
}

/* A clone of a shared host mount joins the host's peer group: made
 * private at once, nothing mounted inside the sandbox propagates out. */
static int clone_private(const char *path, unsigned how, uint64_t attrs, bool recursive, const char *what,
                         int *fd, nsl_error *error)
{
        int r = nsl_tree_clone(AT_FDCWD, path, how, fd, error);

        if (r < 0)
                return nsl_fail(error, -r, what, path, "cannot bind");
        return nsl_mount_set_private(*fd, attrs, recursive, path, error);
}

static void node_name(size_t mount_index, char name[static 24])
{
        snprintf(name, 24, "%zu", mount_index);
}

/* A node as the plan asks for it (root: a user namespace cannot mknod), on
 * a tmpfs of nslaunch's own that is not nodev, so that the node opens; its
 * owner the host's ids of the sandbox's. */
static int make_node(const struct nsl_plan *plan, size_t i, int *nodes_fd, nsl_error *error)
{
        static const struct nsl_fs_option opts[] = { { "mode", "0700" }, { "size", "4k" } };
        const struct nsl_mount *m = &plan->mounts[i];
        const struct nsl_device_want *want = &m->device;
        const char *what = nsl_mount_option(m);
        uint32_t uid, gid;
        char name[24];
        int r;

        if (!nsl_id_outside(plan->uid_maps, plan->n_uid_maps, (uint32_t)want->uid, &uid) ||
            !nsl_id_outside(plan->gid_maps, plan->n_gid_maps, (uint32_t)want->gid, &gid))
                return nsl_fail(error, EINVAL, what, m->dest, "owner %lld:%lld is not mapped in the sandbox",
                                (long long)want->uid, (long long)want->gid);
        if (*nodes_fd < 0 &&
            (r = nsl_fs_new("tmpfs", opts, ELEMENTSOF(opts), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, nodes_fd, error)) < 0)
                return r;
        node_name(i, name);
        if (mknodat(*nodes_fd, name, want->type, want->rdev) < 0)
                return nsl_fail(error, errno, what, m->dest, "cannot make the node");
        if (fchownat(*nodes_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
            fchmodat(*nodes_fd, name, (mode_t)want->perm, 0) < 0)
                return nsl_fail(error, errno, what, m->dest, "cannot set the node's owner and mode");
        return 0;
}

int nsl_sources_clone_nodes(const struct nsl_plan *plan, struct nsl_sources *s, int scratch_fd,
                            const char *scratch_path, nsl_error *error)
{
        _cleanup_close_ int nodes = TAKE_FD(s->fd[NSL_SOURCE_NODES]);
        int r = 0;

        if (nodes < 0)
                return 0;
        if ((r = nsl_mount_attach(nodes, scratch_fd, scratch_path, error)) < 0)
                return r;
        for (size_t i = 0; r == 0 && i < plan->n_mounts; i++) {
                const struct nsl_mount *m = &plan->mounts[i];
                char name[24];
                if (m->kind != NSL_MOUNT_DEVICE || !m->device.made)
                        continue;
                node_name(i, name);
                r = nsl_tree_clone(nodes, name, 0, &s->fd[NSL_SOURCE_MOUNT(i)], error);
                if (r == 0)
                        r = nsl_mount_set(s->fd[NSL_SOURCE_MOUNT(i)], MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false,
                                          m->dest, error);
        }
        if (umount2(scratch_path, MNT_DETACH) < 0 && r == 0)
                r = nsl_fail(error, errno, "device", scratch_path, "cannot unmount the nodes' tmpfs");
        return r;
}

static int open_binds(const struct nsl_plan *plan, struct nsl_sources *s, nsl_error *error)
{
        const uint64_t nosuid_nodev = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
        int r;

        for (size_t i = 0; i < plan->n_mounts; i++) {
                const struct nsl_mount *m = &plan->mounts[i];
                int *fd = &s->fd[NSL_SOURCE_MOUNT(i)];
                if (m->kind == NSL_MOUNT_DEVICE && m->device.made) {
                        if ((r = make_node(plan, i, &s->fd[NSL_SOURCE_NODES], error)) < 0)
                                return r;
                        continue;
                }
                if (m->kind == NSL_MOUNT_DEVICE) {
                        /* the node alone; what it is, the sandbox checks (rootfs.c) */
                        r = clone_private(m->source, NSL_CLONE_FOLLOW, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false,
                                          nsl_mount_option(m), fd, error);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (m->kind != NSL_MOUNT_BIND)
                        continue;
                r = clone_private(m->source, NSL_CLONE_RECURSIVE | NSL_CLONE_FOLLOW,
                                  nosuid_nodev | (m->read_only ? MOUNT_ATTR_RDONLY : 0) |
                                          (m->noexec ? MOUNT_ATTR_NOEXEC : 0),
                                  true, nsl_mount_option(m),
                                  fd, error);
                /* Rootless, the sandbox user is the caller: it uses what the
                 * caller can, and it could not idmap (the plan refuses :idmap). */
                if (r == 0 && !plan->rootless)
                        r = nsl_bind_idmap(plan, m, *fd, &s->userns, error);
                if (r < 0)
                        return r;
                if (r == 1 && !m->read_only)
                        s->writable_idmap = true;
        }
        return 0;
}

int nsl_sources_open(const struct nsl_plan *plan, struct nsl_sources *s, nsl_error *error)
{
        const uint64_t nosuid_nodev = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
        int r;

        if (plan->rootfs) {
                r = clone_private(plan->rootfs, NSL_CLONE_FOLLOW, nosuid_nodev, false, "--rootfs",
                                  &s->fd[NSL_SOURCE_ROOTFS], error);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < plan->n_host_entries; i++) {
                char path[32];
                if (plan->host_entries[i].link_target)
                        continue;
                snprintf(path, sizeof path, "/%s", plan->host_entries[i].name);
                r = clone_private(path, NSL_CLONE_RECURSIVE, MOUNT_ATTR_RDONLY | nosuid_nodev, true, "rootfs",
                                  &s->fd[NSL_SOURCE_HOST_ENTRY(i)], error);
                if (r < 0)
                        return r;
        }
        r = open_binds(plan, s, error);
        nsl_idmap_userns_close_namespaces(&s->userns);
        return r;
}

int nsl_sources_send(int sync_fd, const struct nsl_sources *s, nsl_error *error)
{
        for (int slot = 0; slot < NSL_SOURCE_SLOTS; slot++) {
                struct nsl_msg msg = { .type = NSL_MSG_SOURCE, .status = slot };
                if (s->fd[slot] >= 0 && nsl_msg_send_fd(sync_fd, &msg, s->fd[slot]) < 0)
                        return nsl_fail(error, EPIPE, "open-sources", "", "the sandbox went away during set-up");
        }
        return 0;
}

int nsl_sources_take(struct nsl_sources *s, int slot, int fd, nsl_error *error)
{
        if (fd < 0 || slot < 0 || slot >= NSL_SOURCE_SLOTS || s->fd[slot] >= 0) {
                if (fd >= 0)
                        close(fd);
                return nsl_fail(error, EPROTO, "wait-for-idmap", "", "unexpected bind source %d from nslaunch", slot);
        }
        s->fd[slot] = fd;
        return 0;
}

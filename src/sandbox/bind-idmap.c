#include "bind-idmap.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../idmap.h"

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

bool nsl_bind_source_usable(const struct stat *st, uid_t host_uid, gid_t host_gid, bool write)
{
        unsigned shift = st->st_uid == host_uid ? 6 : st->st_gid == host_gid ? 3 : 0;
        unsigned bits = (st->st_mode >> shift) & 07;
        unsigned need = S_ISDIR(st->st_mode) ? (write ? 03 : 05) : (write ? 02 : 04);

        return (bits & need) == need;
}

bool nsl_idmap_unsupported(int errnum)
{
        return errnum == EINVAL || errnum == EPERM || errnum == EOPNOTSUPP || errnum == ENOSYS;
}

void nsl_idmap_userns_close_namespaces(struct nsl_idmap_userns *set)
{
        for (size_t i = 0; i < set->n; i++)
                if (set->ns[i].fd >= 0) {
                        close(set->ns[i].fd);
                        set->ns[i].fd = -1;
                }
}

void nsl_idmap_userns_reap_ended(struct nsl_idmap_userns *set)
{
        for (size_t i = 0; i < set->n; i++)
                nsl_userns_helper_reap(&set->ns[i].helper, false);
}

void nsl_idmap_userns_close(struct nsl_idmap_userns *set)
{
        nsl_idmap_userns_close_namespaces(set);
        for (size_t i = 0; i < set->n; i++)
                nsl_userns_helper_reap(&set->ns[i].helper, true);
        set->n = 0;
}

static int userns_for(const struct nsl_plan *plan, const struct stat *st, struct nsl_idmap_userns *set,
                      nsl_error *error)
{
        for (size_t i = 0; i < set->n; i++)
                if (set->ns[i].uid == st->st_uid && set->ns[i].gid == st->st_gid)
                        return set->ns[i].fd;
        if (set->n == ELEMENTSOF(set->ns))
                return nsl_fail(error, E2BIG, "idmap", "", "idmapped binds of more than %zu different owners",
                                ELEMENTSOF(set->ns));
        int fd, helper, r = nsl_userns_with_map(st->st_uid, plan->host_uid, st->st_gid, plan->host_gid, &fd, &helper,
                                                error);
        if (r < 0)
                return r;
        set->ns[set->n].uid = st->st_uid;
        set->ns[set->n].gid = st->st_gid;
        set->ns[set->n].helper = helper;
        set->ns[set->n++].fd = fd;
        return fd;
}

static const char *fs_name(int mount_fd)
{
        static const struct { long magic; const char *name; } names[] = {
                { TMPFS_MAGIC, "tmpfs" }, { OVERLAYFS_SUPER_MAGIC, "overlayfs" }, { NFS_SUPER_MAGIC, "NFS" },
                { V9FS_MAGIC, "9p" }, { FUSE_SUPER_MAGIC, "FUSE" }, { EXT4_SUPER_MAGIC, "ext4" },
                { XFS_SUPER_MAGIC, "xfs" }, { BTRFS_SUPER_MAGIC, "btrfs" }, { SQUASHFS_MAGIC, "squashfs" },
        };
        struct statfs sfs;

        if (fstatfs(mount_fd, &sfs) == 0)
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        if (sfs.f_type == names[i].magic)
                                return names[i].name;
        return "this filesystem";
}

/* :noidmap, or a filesystem that cannot idmap under the default: the
 * sandbox user will be refused, and nslaunch says so before the plugin
 * fails with a bare "Permission denied". */
/* Without an idmap: the sandbox's host uid is one of a range, another each
 * launch, unless the caller names one. */
#define CHANGE_THE_SOURCE "let others use the source (chmod), or run the sandbox as its owner with --host-uid " \
                          "and --host-gid"

static void warn_unusable(const struct nsl_plan *plan, const struct nsl_mount *m, const struct stat *st,
                          const char *why)
{
        char line[1200];

        if (!plan->warn)
                return;
        bool readable = nsl_bind_source_usable(st, plan->host_uid, plan->host_gid, false);
        snprintf(line, sizeof line, "%s: %s: the sandbox user (host uid %u) cannot %s it (owner %u, mode %04o)%s",
                 nsl_mount_option(m), m->source, (unsigned)plan->host_uid, readable ? "write" : "read",
                 (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777), why);
        plan->warn(line, plan->warn_data);
}

int nsl_bind_idmap(const struct nsl_plan *plan, const struct nsl_mount *m, int mount_fd, struct nsl_idmap_userns *set,
                   nsl_error *error)
{
        const char *what = nsl_mount_option(m);
        struct stat st;

        /* The caller's maps say who the sandbox's users are on the host (an
         * OCI bundle's): the automatic idmap, and its warning, are for the
         * single overflow user only. */
        if (plan->maps_given && m->idmap != NSL_IDMAP_ON)
                return 0;
        if (fstat(mount_fd, &st) < 0)
                return nsl_fail(error, errno, what, m->source, NULL);
        bool usable = nsl_bind_source_usable(&st, plan->host_uid, plan->host_gid, !m->read_only);
        if (m->idmap == NSL_IDMAP_OFF || (m->idmap == NSL_IDMAP_AUTO && usable)) {
                if (!usable)
                        warn_unusable(plan, m, &st, "; without :noidmap nslaunch would make it an idmapped mount");
                return 0;
        }

        int userns = userns_for(plan, &st, set, error);
        if (userns < 0)
                return userns;
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
        if (mount_setattr(mount_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) == 0)
                return 1;
        int e = errno;
        if (!nsl_idmap_unsupported(e))
                return nsl_fail(error, e, what, m->source, "cannot make an idmapped mount");
        if (m->idmap == NSL_IDMAP_AUTO) {
                char why[400];
                snprintf(why, sizeof why, "; %s does not support idmapped mounts here: " CHANGE_THE_SOURCE,
                         fs_name(mount_fd));
                warn_unusable(plan, m, &st, why);
                return 0;
        }
        return nsl_fail(error, e, what, m->source,
                        "%s does not support idmapped mounts on this kernel (%s): drop :idmap and " CHANGE_THE_SOURCE,
                        fs_name(mount_fd), strerror(e));
}

/* The host trees a sandbox is built from, cloned as detached mounts with the
 * caller's own credentials: the --rootfs image, the host's /usr, /etc...
 * entries of the default root, and the bind sources. */
#ifndef NSL_SOURCES_H
#define NSL_SOURCES_H

#include "../plan.h"
#include "bind-idmap.h"

#define NSL_SOURCE_ROOTFS 0
#define NSL_SOURCE_HOST_ENTRY(i) (1 + (i))
#define NSL_SOURCE_MOUNT(i) (1 + NSL_MAX_HOST_ENTRIES + (i))
#define NSL_SOURCE_SYSFS NSL_SOURCE_MOUNT(NSL_MAX_MOUNTS)  /* a sysfs of a joined network namespace */
#define NSL_SOURCE_MQUEUE (NSL_SOURCE_SYSFS + 1)          /* an mqueue of a joined IPC namespace */
#define NSL_SOURCE_PROC (NSL_SOURCE_MQUEUE + 1)            /* a procfs of a joined pid namespace */
#define NSL_SOURCE_NODES (NSL_SOURCE_PROC + 1)             /* root: the nodes it made, named by mount index */
#define NSL_SOURCE_SLOTS (NSL_SOURCE_NODES + 1)

struct nsl_sources {
        int fd[NSL_SOURCE_SLOTS];       /* -1 where the plan has nothing to clone */
        bool writable_idmap;            /* a writable bind was made idmapped */
        struct nsl_idmap_userns userns; /* root: their namespaces' helpers, reaped on close */
};

void nsl_sources_init(struct nsl_sources *s);
void nsl_sources_close(struct nsl_sources *s);

/* Clones every tree the plan binds, private and with the flags the plan
 * gives it (read-only, nosuid, nodev). Needs the mount privilege in the
 * caller's mount namespace: nslaunch run by root calls it before the
 * sandbox's identity applies (so root binds whatever root can read, /root
 * included); run by an unprivileged user, the sandbox's init does, with
 * that user's credentials. Run by root, a bind the sandbox user could not
 * use is made an idmapped mount here (bind-idmap.h). */
int nsl_sources_open(const struct nsl_plan *plan, struct nsl_sources *s, nsl_error *error);

/* init: a clone of each node nslaunch made (root) into its mount's slot.
 * Older kernels clone only from a mount of the caller's namespace: the
 * nodes' tmpfs covers scratch (a directory of init's namespace, its fd and
 * its path to unmount it by) for the moment of the clones. */
int nsl_sources_clone_nodes(const struct nsl_plan *plan, struct nsl_sources *s, int scratch_fd,
                            const char *scratch_path, nsl_error *error);

/* nslaunch -> init over the sync socket, one NSL_MSG_SOURCE per fd. */
int nsl_sources_send(int sync_fd, const struct nsl_sources *s, nsl_error *error);
/* init: puts a received fd into its slot; takes the fd. */
int nsl_sources_take(struct nsl_sources *s, int slot, int fd, nsl_error *error);

#endif

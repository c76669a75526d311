/* Binds made idmapped mounts (root only): a source the sandbox user could
 * not use is mounted so that its owner's ids read as the sandbox user's, and
 * what the sandbox creates there is its owner's on the host. */
#ifndef NSL_BIND_IDMAP_H
#define NSL_BIND_IDMAP_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "../plan.h"

/* Whether a process with only these host ids (no supplementary group, no
 * capability) may read and search the source (write: and write it), by its
 * mode bits. */
bool nsl_bind_source_usable(const struct stat *st, uid_t host_uid, gid_t host_gid, bool write);

/* Whether mount_setattr's errno for MOUNT_ATTR_IDMAP means the filesystem
 * or the kernel cannot idmap this mount (rather than a failure of ours). */
bool nsl_idmap_unsupported(int errnum);

/* User namespaces made for one launch, one per source owner, and the
 * helpers that made them. */
struct nsl_idmap_userns {
        struct { uid_t uid; gid_t gid; int fd, helper; } ns[8];
        size_t n;
};

/* The namespaces are needed only until the binds are idmapped. */
void nsl_idmap_userns_close_namespaces(struct nsl_idmap_userns *set);
/* Reaps the helpers that have ended; the set keeps the others. */
void nsl_idmap_userns_reap_ended(struct nsl_idmap_userns *set);
/* Closes what is left and reaps the helpers, waiting for them. */
void nsl_idmap_userns_close(struct nsl_idmap_userns *set);

/* Decides for bind m (its clone: mount_fd, not yet attached) and makes it
 * an idmapped mount when it should be: :idmap always, by default when the
 * sandbox user could not use the source. The ownership is that of the
 * cloned tree itself (no second lookup of the path). 1 when it was made
 * idmapped, 0 when not, or a negative errno. */
int nsl_bind_idmap(const struct nsl_plan *plan, const struct nsl_mount *m, int mount_fd, struct nsl_idmap_userns *set,
                   nsl_error *error);

#endif

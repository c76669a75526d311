#ifndef NSL_IDMAP_H
#define NSL_IDMAP_H

#include <sys/types.h>

#include "plan.h"

/* Writes setgroups=deny, gid_map and uid_map of the child's user namespace,
 * each through a handle verified to be on procfs and to belong to the
 * process that pidfd names. */
int nsl_idmap_write(pid_t pid, int pidfd, const struct nsl_plan *plan, nsl_error *error);

/* A user namespace of its own whose maps take uid to host_uid and gid to
 * host_gid (an idmapped mount's mapping), held by a helper process only
 * while the maps are written; the helper is reaped before this returns. */
int nsl_userns_with_map(uid_t uid, uid_t host_uid, gid_t gid, gid_t host_gid, int *userns_fd, nsl_error *error);

#endif

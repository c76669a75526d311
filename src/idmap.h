#ifndef NSL_IDMAP_H
#define NSL_IDMAP_H

#include <stdbool.h>
#include <sys/types.h>

#include "plan.h"

/* Writes setgroups=deny (unless the plan allows setgroups), gid_map and
 * uid_map of the child's user namespace, each through a handle verified to
 * be on procfs and to belong to the process that pidfd names. */
int nsl_idmap_write(pid_t pid, int pidfd, const struct nsl_plan *plan, nsl_error *error);
/* The same way: the child's oom_score_adj (its children inherit it). */
int nsl_oom_score_adj_write(pid_t pid, int pidfd, int adj, nsl_error *error);

/* The host's id of a sandbox's id under the plan's map lines; false when
 * none maps it. */
bool nsl_id_outside(const struct nsl_id_range *maps, size_t n, uint32_t inside, uint32_t *outside);

/* A user namespace of its own whose maps take uid to host_uid and gid to
 * host_gid (an idmapped mount's mapping), held by a helper process only
 * while the maps are written. The helper is on its way out when this
 * returns: *helper_pidfd (-1 on failure, when it was reaped already) is for
 * nsl_userns_helper_reap, which waits for it off the critical path. */
int nsl_userns_with_map(uid_t uid, uid_t host_uid, gid_t gid, gid_t host_gid, int *userns_fd, int *helper_pidfd,
                        nsl_error *error);
/* Reaps the helper (without wait: only if it has ended; false when not). */
bool nsl_userns_helper_reap(int *pidfd, bool wait);

#endif

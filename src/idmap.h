#ifndef NSL_IDMAP_H
#define NSL_IDMAP_H

#include <sys/types.h>

#include "plan.h"

/* Writes setgroups=deny, gid_map and uid_map of the child's user namespace,
 * each through a handle verified to be on procfs and to belong to the
 * process that pidfd names. */
int nsl_idmap_write(pid_t pid, int pidfd, const struct nsl_plan *plan, nsl_error *error);

#endif

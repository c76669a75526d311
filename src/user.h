/* USER[:GROUP] as docker run -u and an image's User mean it. */
#ifndef NSL_USER_H
#define NSL_USER_H

#include <sys/types.h>

#include "nslaunch.h"

/* Names are looked up in rootfs's /etc/passwd and /etc/group, each opened
 * inside the root (openat2 RESOLVE_IN_ROOT: a symlink cannot lead out of
 * it), or in the host's when rootfs is NULL (host-root mode, whose /etc is
 * the host's). A number is taken as it is; a user without a group takes
 * its passwd entry's group, or 0 when it has none (as docker does).
 * Errors name opt. */
int nsl_user_resolve(const char *rootfs, const char *user, const char *opt, uid_t *uid, gid_t *gid, nsl_error *error);

#endif

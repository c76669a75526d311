/* The host's side of joined namespaces (join.h): the calling thread joins
 * them just across clone3, so that the sandbox is born in them, and while
 * there does what the sandbox's init may not do in namespaces its user
 * namespace does not own. */
#ifndef NSL_JOINED_H
#define NSL_JOINED_H

#include "join.h"
#include "nslaunch.h"
#include "plan.h"
#include "sandbox/sources.h"

/* Joins every namespace the plan names; own[] gets the thread's own ones
 * (-1 where none is joined). On failure the thread is back where it was. */
int nsl_joined_enter(const struct nsl_plan *plan, int own[NSL_JOIN_N], nsl_error *error);

/* Back to the thread's own namespaces; closes own[]. Aborts where it
 * cannot: the caller's thread must never stay in the sandbox's. */
void nsl_joined_leave(int own[NSL_JOIN_N]);

/* While joined: the namespaced sysctls init may not write (net.* of a
 * joined network, the IPC ones of a joined IPC namespace), a sysfs of the
 * joined network and an mqueue of the joined IPC namespace (sources), the
 * hostname and domainname of a joined UTS namespace, when given. */
int nsl_joined_host_duties(const struct nsl_plan *plan, struct nsl_sources *sources, nsl_error *error);

#endif

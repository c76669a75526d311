/* The host's side of joined namespaces (join.h): a helper process joins
 * them and clones the sandbox's init there, so that init is born in them,
 * and while there does what init may not do in namespaces its user
 * namespace does not own. The calling thread never joins them: it could not
 * always come back (a user namespace's root, rootless podman's runtime, may
 * join its containers' network namespaces but not return to the host's). */
#ifndef NSL_JOINED_H
#define NSL_JOINED_H

#include <stdbool.h>
#include <sys/types.h>

#include "join.h"
#include "nslaunch.h"
#include "plan.h"
#include "sandbox/sources.h"
#include "syscalls.h"

/* Does the plan join any namespace? */
bool nsl_joined_any(const struct nsl_plan *plan);

/* Clones init with args from a helper (CLONE_VFORK, CLONE_FILES) in the
 * plan's joined namespaces, as the caller's child (CLONE_PARENT): init runs
 * child(data). First the helper does the host's duties there: the
 * namespaced sysctls init may not write (net.* of a joined network, the IPC
 * ones of a joined IPC namespace), a sysfs of the joined network, an mqueue
 * of the joined IPC namespace and a procfs of the joined pid namespace (into
 * sources), the hostname and domainname of a joined UTS namespace, when
 * given. *pid and args->pidfd's int get init's; a clone3 failure is -errno
 * with error untouched, any other failure named in error. */
int nsl_joined_clone(const struct nsl_plan *plan, struct nsl_sources *sources, struct nsl_clone_args *args,
                     void (*child)(void *), void *data, pid_t *pid, nsl_error *error);

#endif

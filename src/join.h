/* The namespaces a sandbox may join instead of making its own: those an
 * engine shares between the containers of a pod, or with the host. Root's,
 * or a user namespace root's that maps other ids: the sandbox's user
 * namespace does not own them, so the host does for them what init does for
 * its own (sysctls, a sysfs, an mqueue, the hostname, a procfs). */
#ifndef NSL_JOIN_H
#define NSL_JOIN_H

#include <stdbool.h>
#include <sys/stat.h>

enum nsl_join { NSL_JOIN_NET, NSL_JOIN_IPC, NSL_JOIN_UTS, NSL_JOIN_PID, NSL_JOIN_N };

struct nsl_join_kind {
        const char *type;       /* the OCI name: network, ipc, uts, pid */
        const char *option;     /* the object errors name: network-ns, ... */
        int clone_flag;         /* CLONE_NEWNET, ... */
        const char *own_name;   /* /proc/thread-self/ns/NAME: what setns changes (pid_for_children) */
        const char *a_kind;     /* for "not a network namespace" */
};

extern const struct nsl_join_kind nsl_join_kinds[NSL_JOIN_N];

/* The kind of an OCI namespace type; -1 for one that cannot be joined. */
int nsl_join_kind_of(const char *type);

/* The namespace a namespaced sysctl (KEY=VALUE) is of: NSL_JOIN_NET for
 * net.*, NSL_JOIN_N for user.* (the sandbox's own user namespace, which it
 * never joins), NSL_JOIN_IPC for every other (spec-layout.c accepts no
 * others). */
int nsl_sysctl_join_kind(const char *assignment);

/* Is target (its stat) the calling thread's own namespace of kind k (what
 * a config without that namespace joins: the host's)? */
bool nsl_join_is_callers_own(int k, const struct stat *target);

#endif

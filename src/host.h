/* Facts about this host that a plan depends on, gathered once before it is
 * built: who the caller is, the top-level entries of / that the default root
 * carries over, and the caller's own hard resource limits. A plan is built
 * from a spec and these, so a unit test can build one against a fake host. */
#ifndef NSL_HOST_H
#define NSL_HOST_H

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "nslaunch.h"
#include "spec.h"

#define NSL_MAX_HOST_ENTRIES 10

/* A top-level entry of the host's / carried into the default root. */
struct nsl_host_entry {
        const char *name;       /* "usr", "etc", "bin", ... */
        char *link_target;      /* a symlink to recreate, or NULL for a read-only bind */
};

struct nsl_host {
        uid_t euid;
        gid_t egid;
        bool root;                              /* nsl_host_root(): the host's root, not a namespace's */
        bool maps_ids;                          /* nsl_host_maps_ids() */
        bool apparmor;                          /* nsl_host_apparmor_enabled(), read only for a spec
                                                 * that names a profile */
        struct nsl_host_entry entries[NSL_MAX_HOST_ENTRIES];
        size_t n_entries;
        struct rlimit rlimits[RLIM_NLIMITS];    /* the caller's own */
        bool joining;                           /* nsl_exec: the ids are a running sandbox's, whose maps the
                                                 * kernel checks them against when they are taken */
        bool ids_reserved;                      /* root: the host ids reserved for this sandbox
                                                 * (host-ids.h), its default host uid and gid */
        uid_t reserved_uid;
        gid_t reserved_gid;
};

/* uid 0 of the initial user namespace. uid 0 of a user namespace of its
 * own (a rootless container, unshare -Ur) has no say over the host's
 * mounts, cgroups and ids: it launches as an unprivileged user does. */
bool nsl_host_root(void);

/* Whether the caller may write a sandbox's uid and gid maps with any ids of
 * its own user namespace, and leave setgroups allowed: CAP_SETUID and
 * CAP_SETGID there, and setgroups not denied to its namespace. The host's
 * root, and a namespace's root with ids to give (a rootless engine's, made
 * with newuidmap); not unshare -Ur, whose namespace has one id. */
bool nsl_host_maps_ids(void);

/* Whether the kernel enforces AppArmor (its module parameter "enabled"). */
bool nsl_host_apparmor_enabled(void);
bool nsl_host_selinux_enabled(void);

/* The ranges of ids ('u' or 'g') the caller's user namespace has, each
 * mapped to itself: what a sandbox gets that should see the same ids as its
 * caller. */
int nsl_host_identity_map(char kind, struct nsl_id_range *ranges, size_t max, size_t *n, nsl_error *error);
/* The caller's euid as the host sees it: itself outside a user namespace;
 * inside one (rootless podman's runtime), what uid_map maps it to. */
int nsl_host_uid(uid_t *uid, nsl_error *error);

/* Checks the kernel interfaces a launch needs (src/kernel.c), then gathers
 * the facts spec's launch needs. */
int nsl_host_gather(const struct nsl_spec *spec, struct nsl_host *host, nsl_error *error);
void nsl_host_free(struct nsl_host *host);

#endif

/* The spec resolved against this host: everything decided or computed before
 * clone, so that the child only executes syscalls. */
#ifndef NSL_PLAN_H
#define NSL_PLAN_H

#include <linux/filter.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "spec.h"

/* A top-level entry of the host's / carried into the default root. */
struct nsl_host_entry {
        const char *name;
        char *link_target;      /* a symlink to recreate, or NULL for a read-only bind */
};

#define NSL_MAX_HOST_ENTRIES 10

struct nsl_rlimits {
        struct nsl_rlimit v[NSL_MAX_RLIMITS + 4];
        size_t n;
};
#define NSL_MAX_MOUNTS 256

struct nsl_plan {
        const struct nsl_spec *spec;
        bool rootless;
        uid_t uid, host_uid;
        gid_t gid, host_gid;
        char **envp;
        size_t n_envp;
        const char *search_path;                /* PATH as the command will see it */
        const struct nsl_mount *mounts[NSL_MAX_MOUNTS];   /* in mount order */
        size_t n_mounts;
        struct nsl_mount default_tmp, default_shm;
        struct nsl_host_entry host_entries[NSL_MAX_HOST_ENTRIES];
        size_t n_host_entries;
        const struct sock_filter *filter;       /* NULL: unconfined */
        struct sock_filter *filter_owned;       /* filter, when the plan allocated it */
        unsigned short filter_len;
        unsigned filter_flags;                  /* SECCOMP_FILTER_FLAG_* */
        bool seccomp_notify;                    /* report or learn: the payload loads notify_filter */
        struct sock_filter *notify_filter;      /* filter, its answers turned into notifications */
        unsigned short notify_filter_len;
        int keep_fds[NSL_MAX_KEEP_FDS];         /* sorted */
        size_t n_keep_fds;
        uint64_t clone_flags;
        struct nsl_cgroup_limits limits;
        struct nsl_rlimits rlimits;             /* defaults, then the caller's */
        struct nsl_rlimits fallback_rlimits;    /* --limits best-effort without a cgroup: those, and
                                                 * what rlimits can stand in for (--memory, --pids) */
        int stdio[3];                           /* the command's 0, 1, 2; -1: nslaunch's own */
        /* what the host's side needs of the spec after the plan is built */
        uint64_t timeout_ms, kill_after_ms;
        bool forward;                           /* forward_set reaches the command */
        sigset_t forward_set;
        bool seccomp_learn;
        bool limits_best_effort;
        void (*warn)(const char *line, void *data);
        void *warn_data;
};

int nsl_plan_build(const struct nsl_spec *spec, struct nsl_plan *plan, nsl_error *error);
void nsl_plan_free(struct nsl_plan *plan);

#endif

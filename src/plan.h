/* The spec resolved against this host: everything decided or computed before
 * clone, so that the child only executes syscalls. */
#ifndef NSL_PLAN_H
#define NSL_PLAN_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "host.h"
#include "landlock.h"
#include "network/plan.h"
#include "seccomp/agent.h"
#include "seccomp/filter.h"
#include "spec.h"

#define NSL_MAX_MOUNTS 256

struct nsl_rlimits {
        struct nsl_rlimit v[NSL_MAX_RLIMITS + 4];
        size_t n;
};

/* Owns everything it holds; holds nothing of the spec or the host facts it
 * was built from, and nothing changes it once built. */
struct nsl_plan {
        bool rootless;
        bool maps_ids;                          /* nsl_host_maps_ids(): any ids of the caller's own, and its
                                                 * supplementary groups shed across clone */
        uid_t uid, host_uid;
        gid_t gid, host_gid;
        char **argv;
        char **envp;
        size_t n_envp;
        const char *search_path;                /* PATH as the command will see it (in envp) */
        char *rootfs;                           /* --rootfs, or NULL for the default root */
        bool rw_root;
        struct nsl_host_entry host_entries[NSL_MAX_HOST_ENTRIES];   /* the default root's */
        size_t n_host_entries;
        struct nsl_mount *mounts;               /* in mount order: the defaults, then the caller's */
        size_t n_mounts;
        char *hostname;                         /* NULL: a joined UTS namespace's own */
        char *cwd;
        bool network_host;
        struct nsl_net_plan net;                /* a private network's (network/plan.c) */
        bool proc_full;
        uint64_t caps;                          /* kept (--cap-add) */
        struct nsl_sc_choice seccomp;
        struct nsl_agent_plan seccomp_agent;    /* where the listener goes (a filter that notifies); socket -1: none */
        struct nsl_landlock landlock;           /* the payload's rules; abi 0: none */
        int keep_fds[NSL_MAX_KEEP_FDS];         /* sorted */
        size_t n_keep_fds;
        uint64_t clone_flags;
        struct nsl_cgroup_limits limits;
        struct nsl_rlimits rlimits;             /* defaults, then the caller's */
        struct nsl_rlimits fallback_rlimits;    /* --limits best-effort without a cgroup: those, and
                                                 * what rlimits can stand in for (--memory, --pids) */
        int stdio[3];                           /* the command's 0, 1, 2; -1: nslaunch's own */
        int console_socket;                     /* where the pty's master goes; -1: no console */
        unsigned short console_rows, console_cols;
        char *start_fifo;                       /* started through this FIFO; NULL: the start pipe */
        bool command_at_start;                  /* argv is NULL: the command comes with start */
        bool command_as_init;                   /* init executes the command instead of starting it */
        /* what the host's side needs of the spec after the plan is built */
        uint64_t timeout_ms, kill_after_ms;
        bool forward;                           /* forward_set reaches the command */
        sigset_t forward_set;
        bool seccomp_learn;
        bool limits_best_effort;
        void (*warn)(const char *line, void *data);
        void *warn_data;
        /* The layout and the settings an OCI bundle asks for (spec-layout.c). */
        bool mount_proc, mount_dev;             /* the bundle layout: only when asked for */
        bool devpts_gid_set;                    /* the terminals' group at /dev/pts; else the opener's */
        gid_t devpts_gid;
        bool binds_listed_in_order;             /* the bundle layout: each bind copied anew as attached */
        bool pause_when_root_built;             /* nsl_spec_on_root_built: init waits for the caller there */
        uint64_t dev_shm_size;                  /* the tmpfs at /dev/shm; 0: none (a mount replaces it) */
        bool mount_sysfs, mount_cgroupfs;
        char **readonly_paths, **masked_paths;  /* applied after every mount, before the seal */
        size_t n_readonly_paths, n_masked_paths;
        struct nsl_id_range uid_maps[NSL_MAX_ID_MAPS], gid_maps[NSL_MAX_ID_MAPS];  /* the caller's lines,
                                                 * or the single mapping of uid to host_uid (gid alike) */
        size_t n_uid_maps, n_gid_maps;
        bool maps_given;                        /* by the caller: binds are idmapped only when asked */
        bool setgroups_allowed;                 /* root wrote the maps and the sandbox needs setgroups */
        gid_t groups[NSL_MAX_GROUPS];           /* the payload's supplementary groups */
        size_t n_groups;
        char *join_ns[NSL_JOIN_N];              /* joined across clone3 instead of new ones (join.h); a
                                                 * joined UTS namespace is named by the host (joined.c) */
        char *apparmor_profile;                 /* the command's execve enters it; NULL: none */
        bool oom_score_adj_set;
        int oom_score_adj;
        bool new_privs_allowed;                 /* no no_new_privs: the payload keeps CAP_SYS_ADMIN, which
                                                 * the filters' load needs then, until execve drops it */
        uint64_t root_propagation;              /* set on the root after pivot_root; 0: it stays private */
        bool root_propagation_recursive;
        char **sysctls;                         /* KEY=VALUE */
        size_t n_sysctls;
        char **exec_cgroups;                    /* nsl_exec: CONTROLLER:PATH below init's ("" for every one) */
        size_t n_exec_cgroups;
        char *domainname;
        bool umask_set;
        mode_t umask;
};

/* The cgroup limits a spec sets (a launch's, or nsl_cgroup_update's). */
int nsl_plan_cgroup_limits(const struct nsl_spec *spec, struct nsl_cgroup_limits *limits, nsl_error *error);
/* Whether a launch of spec takes host ids of its own (host-ids.h): run by
 * root, with no id maps and not both host ids given. */
bool nsl_plan_takes_host_ids(const struct nsl_spec *spec, const struct nsl_host *host);
int nsl_plan_build(const struct nsl_spec *spec, const struct nsl_host *host, struct nsl_plan *plan, nsl_error *error);
/* The sandbox has a network namespace of its own: neither the host's nor
 * one it joins. */
bool nsl_network_own(const struct nsl_plan *plan);
void nsl_plan_free(struct nsl_plan *plan);

#endif

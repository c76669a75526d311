/* What the caller asked for: pure data, validated as it is set. */
#ifndef NSL_SPEC_H
#define NSL_SPEC_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "join.h"
#include "network/dns.h"
#include "network/egress.h"
#include "nslaunch.h"
#include "parse/parse.h"
#include "strv.h"

enum nsl_proc_mode { NSL_PROC_PID, NSL_PROC_FULL };
enum nsl_landlock_mode { NSL_LANDLOCK_BEST_EFFORT, NSL_LANDLOCK_OFF, NSL_LANDLOCK_STRICT };
enum nsl_seccomp_mode { NSL_SECCOMP_DEFAULT, NSL_SECCOMP_UNCONFINED, NSL_SECCOMP_PROFILE, NSL_SECCOMP_BPF };

#define NSL_MAX_KEEP_FDS 64
#define NSL_MAX_RLIMITS 16
#define NSL_APPARMOR_PROFILE_MAX 1024
#define NSL_MAX_ID_MAPS 32      /* lines per uid_map or gid_map (the kernel takes 340) */
#define NSL_MAX_GROUPS 64

/* One line of a uid_map or gid_map. */
struct nsl_id_range {
        uint32_t inside, outside, count;
};

struct nsl_spec {
        char **argv;
        char *rootfs;
        bool rw_root;
        struct nsl_mount *mounts;
        size_t n_mounts;
        bool network_host;
        bool network_private;   /* a network namespace of its own with outbound connectivity */
        struct nsl_egress *egress;      /* --allow-egress, as given (names not yet resolved) */
        size_t n_egress;
        struct nsl_dns dns[NSL_MAX_DNS];        /* --dns, in order */
        size_t n_dns;
        bool uid_set, gid_set, host_uid_set, host_gid_set;
        uid_t uid, host_uid;
        gid_t gid, host_gid;
        char *hostname;
        bool hostname_set;      /* given: a joined UTS namespace gets it too */
        enum nsl_proc_mode proc;
        char **env;             /* --env assignments, in order */
        size_t n_env;
        char **env_files;
        size_t n_env_files;
        bool keep_env;
        char *cwd;
        bool cwd_set;
        char **image_env;       /* --image-defaults: the image's Env, before --env-file and --env */
        size_t n_image_env;
        uint64_t caps;          /* bit per capability kept */
        int keep_fds[NSL_MAX_KEEP_FDS];
        size_t n_keep_fds;
        uint64_t timeout_ms;    /* 0 = none */
        uint64_t kill_after_ms;
        int stdio[3];           /* the command's 0, 1, 2; -1: nslaunch's own */
        int console_socket;     /* --console-socket: a connected AF_UNIX stream socket; -1: none */
        unsigned short console_rows, console_cols;      /* 0: the pty's default size */
        char *start_fifo;       /* started through this FIFO; NULL: the start pipe */
        nsl_root_built_fn root_built;   /* nsl_spec_on_root_built */
        void *root_built_data;
        nsl_root_built_fn init_started; /* nsl_spec_on_init_started */
        void *init_started_data;
        bool command_at_start;  /* the command comes with nsl_sandbox_start_command (a pool's) */
        bool command_as_init;   /* init executes the command itself: its pid 1 (an OCI runtime's) */
        bool forward;           /* signals in forward_set reach the command */
        sigset_t forward_set;
        enum nsl_seccomp_mode seccomp;
        char *seccomp_path;     /* the profile or the compiled filter */
        uint64_t memory, memory_swap;   /* bytes; 0 = not given; NSL_MEMORY_MAX = none */
        uint64_t cpu_quota_us;          /* per period; 0 = no limit */
        uint64_t cpu_period_us;         /* the quota's period; 0 = NSL_CGROUP_PERIOD_US (100 ms) */
        uint64_t cpu_rt_runtime_us, cpu_rt_period_us;   /* 0 = as the cgroup has it */
        uint64_t pids;                  /* 0 = no limit */
        char *cgroup_parent;
        char *cgroup_path;              /* exact (resolved OCI cgroupsPath); NULL: a new one under the parent */
        struct nsl_systemd_scope *systemd_scope;        /* systemd's driver: the scope at cgroup_path */
        uint64_t cpu_shares;            /* 0 = not given */
        uint64_t memory_reservation;    /* bytes; 0 = not given */
        uint64_t memory_kernel_tcp;     /* bytes; 0 = not given */
        unsigned memory_swappiness;     /* 0..100, when memory_swappiness_set */
        bool memory_swappiness_set;
        bool oom_kill_disable;
        char *cpuset_cpus, *cpuset_mems;
        struct nsl_device_rule device_rules[NSL_DEVICE_RULES_MAX];
        size_t n_device_rules;
        char **cgroup_v2_files;         /* NAME=VALUE, each name once, in the order first set */
        size_t n_cgroup_v2_files;
        struct nsl_hugepage_limit hugepages[NSL_HUGEPAGE_SIZES_MAX];   /* each size once */
        size_t n_hugepages;
        unsigned blkio_weight;          /* 10..1000; 0 = not given */
        struct nsl_io_throttle_rule io_throttles[NSL_IO_THROTTLES_MAX];        /* each device and kind once */
        size_t n_io_throttles;
        bool limits_best_effort;
        struct nsl_rlimit rlimits[NSL_MAX_RLIMITS];
        size_t n_rlimits;
        char *status_path;      /* --status-json FILE */
        int status_fd;          /* --status-json fd:N, -1 when not */
        void (*warn)(const char *line, void *data);
        void *warn_data;
        char *seccomp_cache;    /* NULL: the default directory */
        bool seccomp_cache_off;
        bool seccomp_strict;    /* a profile's unknown syscall names are errors */
        bool seccomp_report;    /* refusals go to nslaunch's supervisor too */
        bool seccomp_learn;     /* everything but the explicit refusals is allowed and recorded */
        int seccomp_agent;      /* nsl_spec_set_seccomp_agent's socket; -1: none */
        char *seccomp_agent_metadata, *seccomp_agent_state;
        enum nsl_landlock_mode landlock;
        bool landlock_exec_writable;    /* files under writable mounts may be executed */
        /* What an OCI bundle asks of the sandbox (nsl_spec_set_bundle_layout and the rest). */
        bool bundle_layout;     /* no default /tmp; /dev and /proc only when asked for */
        bool dev;               /* nsl_spec_set_dev */
        bool devpts_gid_set;    /* nsl_spec_set_devpts_gid */
        gid_t devpts_gid;
        bool proc_set;          /* nsl_spec_set_proc was called */
        bool sysfs, cgroupfs;
        char **masked_paths;
        size_t n_masked_paths;
        char **readonly_paths;
        size_t n_readonly_paths;
        struct nsl_id_range uid_maps[NSL_MAX_ID_MAPS], gid_maps[NSL_MAX_ID_MAPS];
        size_t n_uid_maps, n_gid_maps;
        gid_t groups[NSL_MAX_GROUPS];
        size_t n_groups;
        char *join_ns[NSL_JOIN_N];      /* namespaces to join instead of making them (join.h) */
        char *apparmor_profile;         /* NULL: none */
        bool oom_score_adj_set;
        int oom_score_adj;
        bool new_privs_allowed;         /* nsl_spec_set_no_new_privs(false) */
        uint64_t root_propagation;      /* MS_SHARED or MS_UNBINDABLE; 0: private */
        bool root_propagation_recursive;
        char **sysctls;         /* KEY=VALUE, namespaced keys only */
        size_t n_sysctls;
        char **exec_cgroups;    /* nsl_exec: CONTROLLER:PATH below init's cgroup ("" for every hierarchy) */
        size_t n_exec_cgroups;
        char *domainname;
        bool umask_set;
        mode_t umask;
};


#endif

/* A cgroup per sandbox, with memory, CPU, cpuset and pids limits: cgroup v2
 * first (the child is cloned straight into it), cgroup v1 where the host
 * still has those controllers there. nslaunch creates, limits, reads and
 * removes only cgroups it made itself: named nslaunch-*, or at the exact
 * path its caller gave (path.c); it never remounts anything. */
#ifndef NSL_CGROUP_H
#define NSL_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "nslaunch.h"

#define NSL_CPUSET_MAX 256
#define NSL_DEVICE_RULES_MAX 128
#define NSL_CGROUP_FILE_NAME_MAX 64
#define NSL_CGROUP_FILE_VALUE_MAX 4096
#define NSL_HUGEPAGE_SIZES_MAX 8
#define NSL_HUGEPAGE_SIZE_NAME_MAX 7     /* "16GB", "512MB" */
#define NSL_IO_THROTTLES_MAX 16

#define NSL_DEVICE_ACCESS_MKNOD 1u      /* the kernel's own bits (BPF_DEVCG_ACC_*) */
#define NSL_DEVICE_ACCESS_READ 2u
#define NSL_DEVICE_ACCESS_WRITE 4u

/* A device access rule: type 'a' (every device, with every access), 'c' or
 * 'b'; major and minor -1 for any. */
struct nsl_device_rule {
        bool allow;
        char type;
        int64_t major, minor;
        unsigned access;        /* NSL_DEVICE_ACCESS_* */
};

/* A limit on one size of huge pages: size as the kernel names it in
 * hugetlb.<size>.max ("2MB", "1GB"). */
struct nsl_hugepage_limit {
        char size[NSL_HUGEPAGE_SIZE_NAME_MAX + 1];
        uint64_t bytes;
};

/* A block device's throttle of one kind (enum nsl_io_throttle); rate 0
 * lifts it. */
struct nsl_io_throttle_rule {
        enum nsl_io_throttle kind;
        uint32_t major, minor;
        uint64_t rate;
};

/* As devices.allow and devices.deny take it: "c 1:3 rwm", "a *:* rwm". */
void nsl_device_rule_format(const struct nsl_device_rule *rule, char *out, size_t size);

struct nsl_cgroup_limits {
        uint64_t memory;        /* bytes; NSL_MEMORY_MAX: none; 0: as it is (a new cgroup's: none) */
        /* memory + swap (Docker's meaning); NSL_MEMORY_MAX: none; 0: no swap
         * beyond memory where memory is set, else as it is */
        uint64_t memory_swap;
        uint64_t cpu_quota_us;  /* per period; NSL_CPU_QUOTA_MAX: none; 0: as it is (a new cgroup's: none) */
        uint64_t cpu_period_us; /* 0: as it is (a new cgroup's: NSL_CGROUP_PERIOD_US) */
        /* v1 only: cpu.rt_runtime_us (NSL_CPU_QUOTA_MAX: none) and
         * cpu.rt_period_us; 0: as it is */
        uint64_t cpu_rt_runtime_us, cpu_rt_period_us;
        uint64_t pids;          /* 0 = none */
        uint64_t memory_reservation;    /* bytes, a soft limit (v1 soft_limit_in_bytes, v2 memory.low); 0 = none */
        uint64_t cpu_shares;    /* v1 cpu.shares (2..262144), v2 cpu.weight converted; 0 = none */
        /* v1 only (cgroup v2 has no such files): memory.kmem.tcp.limit_in_bytes,
         * memory.swappiness, memory.oom_control */
        uint64_t memory_kernel_tcp;     /* bytes; 0 = none */
        unsigned memory_swappiness;     /* 0..100, when memory_swappiness_set */
        bool memory_swappiness_set;
        bool oom_kill_disable;
        char cpuset_cpus[NSL_CPUSET_MAX];       /* "0-3,6"; "" = none */
        char cpuset_mems[NSL_CPUSET_MAX];
        /* in order: v1 devices cgroup's rules, v2's device program; none:
         * device access is not limited */
        struct nsl_device_rule device_rules[NSL_DEVICE_RULES_MAX];
        size_t n_device_rules;
        /* cgroup v2 interface files written as given, in order, after the
         * limits above ("NAME=VALUE": an OCI config's resources.unified);
         * owned by whoever filled the struct. Refused on cgroup v1. */
        char **v2_files;
        size_t n_v2_files;
        /* cgroup v2 hugetlb.<size>.max (and .rsvd.max where the kernel has
         * it); refused on cgroup v1 */
        struct nsl_hugepage_limit hugepages[NSL_HUGEPAGE_SIZES_MAX];
        size_t n_hugepages;
        /* OCI's blockIO.weight (10..1000): cgroup v2 io.bfq.weight as it is
         * where BFQ is loaded, else io.weight converted; 0 = none; refused on
         * cgroup v1 */
        unsigned blkio_weight;
        /* v1 blkio.throttle.*_device, v2 io.max, in order */
        struct nsl_io_throttle_rule io_throttles[NSL_IO_THROTTLES_MAX];
        size_t n_io_throttles;
};

/* The freezer, devices and systemd's named hierarchy (name=systemd, no
 * controller) are never limits: only a cgroup at an exact path (an OCI
 * container's, which may be paused, has device rules, and is found where
 * runc puts it) is made in their v1 hierarchies. */
enum { NSL_CG_MEMORY, NSL_CG_CPU, NSL_CG_PIDS, NSL_CG_CPUSET, NSL_CG_FREEZER, NSL_CG_DEVICES, NSL_CG_BLKIO,
       NSL_CG_SYSTEMD, NSL_CG_N };

struct nsl_cgroup {
        int version;            /* 0 none, 1 or 2 */
        char *dirs[NSL_CG_N];   /* v2: dirs[0] only; v1: one per limited controller */
        /* v1 at an exact path on a hybrid host: the cgroup at the same path
         * in the cgroup2 beside, which has no controller but is where
         * systemd and runc look for a container's processes; else NULL */
        char *unified;
        int fd;                 /* the cgroup2 directory (v2's, or v1's unified), for CLONE_INTO_CGROUP; else -1 */
        int tasks[NSL_CG_N];    /* v1: each cgroup's tasks file, open for writing, through which the
                                 * child moves itself in (v1 has no CLONE_INTO_CGROUP); else -1 */
        struct nsl_systemd_scope *scope; /* systemd's driver: the scope whose cgroup it is, stopped once
                                          * nsl_cgroup_destroy has removed the cgroup; else NULL */
};

#define NSL_CGROUP_INIT { .fd = -1, .tasks = { -1, -1, -1, -1, -1, -1, -1, -1 } }
_Static_assert(NSL_CG_N == 8, "NSL_CGROUP_INIT has a -1 for each controller's tasks");

#define NSL_CGROUP_PERIOD_US 100000

bool nsl_cgroup_limits_any(const struct nsl_cgroup_limits *l);
/* Whether the limits ask for what only cgroup v2 has (its own files, huge
 * pages, an I/O weight). */
bool nsl_cgroup_limits_v2_only(const struct nsl_cgroup_limits *l);
/* Whether name may be set as a v2 file (nsl_spec_set_cgroup_v2_file): an
 * interface file's name, and none of nslaunch's own (those that move,
 * freeze or end processes, or change how the cgroup hands controllers
 * down). 0, or -errno with *why saying what is wrong with it. */
int nsl_cgroup_v2_file_name_check(const char *name, const char **why);

/* Where the hierarchies are and who asks. nsl_cgroup_create finds them at the
 * standard places; the unit tests point them at a directory tree laid out
 * like cgroupfs. */
struct nsl_cgroup_places {
        const char *v2;                 /* the cgroup2 mount (on a hybrid host: unified/), or NULL */
        const char *v1[NSL_CG_N];       /* each controller's v1 hierarchy, or NULL */
        const char *self;               /* the caller's /proc/self/cgroup */
        bool rootless;
        /* cgroupfs fills a new cgroup with its interface files; a fake tree
         * needs this to do it. NULL on a real host. */
        void (*made)(int dirfd, const char *path);
};

/* One line of a /proc/PID/cgroup text, "ID:CONTROLLERS:PATH", which ends
 * at its '\n' or NUL: the controllers ("" for cgroup2) and the path, each
 * with its length (not NUL-terminated). */
struct nsl_cgroup_line {
        const char *controllers, *path;
        size_t controllers_len, path_len;
};
/* false: the line is not one of those. */
bool nsl_cgroup_line_parse(const char *line, struct nsl_cgroup_line *out);

#define NSL_CGROUP_HIERARCHY_MAX 16     /* controllers in one v1 hierarchy */

/* A v1 hierarchy as the middle field of a /proc/PID/cgroup line names it
 * ("cpu,cpuacct", "name=systemd"): its controllers, a named one's name, and
 * the directory systemd mounts it at ("cpu,cpuacct", "systemd"). */
struct nsl_cgroup_hierarchy {
        char dir[256];
        const char *controllers[NSL_CGROUP_HIERARCHY_MAX];
        size_t n;
        const char *name;               /* NULL: not a named one */
        char storage[256];
};
/* 0, -E2BIG (too long, too many controllers), or -EINVAL (empty). */
int nsl_cgroup_hierarchy_parse(const char *field, size_t len, struct nsl_cgroup_hierarchy *h);
/* Whether the hierarchy has this controller ("name=N" for a named one);
 * controller need not be NUL-terminated. */
bool nsl_cgroup_hierarchy_has(const struct nsl_cgroup_hierarchy *h, const char *controller, size_t len);
/* Whether a sandbox whose init entered its cgroups through tasks
 * (struct nsl_cgroup's) has a cgroup of its own in the hierarchy. */
bool nsl_cgroup_hierarchy_is_own(const struct nsl_cgroup_hierarchy *h, const int tasks[NSL_CG_N]);

/* Creates the sandbox's cgroup under parent (a path relative to the
 * hierarchy's root; NULL: nslaunch's default) and applies the limits.
 * -ENOTSUP with *error saying why and how to get delegation when the caller
 * has no cgroup it may use. */
int nsl_cgroup_create(const struct nsl_cgroup_limits *limits, const char *parent, struct nsl_cgroup *cg,
                      nsl_error *error);
int nsl_cgroup_create_in(const struct nsl_cgroup_places *places, const struct nsl_cgroup_limits *limits,
                         const char *parent, struct nsl_cgroup *cg, nsl_error *error);
/* The sandbox's cgroup at exactly path (an OCI cgroupsPath, resolved by
 * nsl_cgroup_resolve_path), made in every hierarchy nslaunch uses (v1: also
 * the freezer's and, when mounted, the cpuset's) with the missing parents;
 * refused when it holds processes already. Its owner removes it with
 * nsl_cgroup_remove_path once the sandbox runs detached. */
int nsl_cgroup_create_exact(const struct nsl_cgroup_limits *limits, const char *path, struct nsl_cgroup *cg,
                            nsl_error *error);
/* Whether a component of path is "..", which would climb out of the
 * cgroup it is taken below. */
bool nsl_cgroup_path_climbs(const char *path);
/* An OCI cgroupsPath to the path nslaunch uses in each hierarchy: absolute
 * as given, relative under /nslaunch; "slice:prefix:name" (systemd's driver)
 * and ".." refused. *out is malloc'd. */
int nsl_cgroup_resolve_path(const char *path, char **out, nsl_error *error);
/* The systemd that makes a caller's scopes: the host's root asks the
 * system manager (socket: /run/systemd/private, root: ""); any other caller
 * (a user, or a user namespace's root such as rootless podman's runtime)
 * asks the manager of its host uid, systemd --user, whose cgroup (root:
 * /user.slice/user-UID.slice/user@UID.service) it is delegated, over
 * $XDG_RUNTIME_DIR/systemd/private (else /run/user/UID's). */
struct nsl_systemd_manager {
        char socket[1024];
        char root[128];
};
int nsl_systemd_manager_find(struct nsl_systemd_manager *manager, nsl_error *error);
/* systemd's driver: an OCI cgroupsPath "slice:prefix:name" is the scope
 * unit prefix-name.scope in slice (system.slice when empty), whose cgroup
 * is path ("/system.slice/docker-ID.scope"), made by manager. */
struct nsl_systemd_scope {
        char unit[256];
        char slice[256];
        char path[1024];
        struct nsl_systemd_manager manager;     /* nsl_systemd_scope_under's; parse leaves it empty */
};
int nsl_systemd_scope_parse(const char *cgroups_path, struct nsl_systemd_scope *scope, nsl_error *error);
/* A scope of that manager, which it keeps: path is then below its root. */
int nsl_systemd_scope_under(struct nsl_systemd_scope *scope, const struct nsl_systemd_manager *manager,
                            nsl_error *error);
/* Has the scope's manager (nsl_systemd_scope_under) make the scope,
 * delegated to nslaunch, with a first process
 * of its own in it (*anchor_pidfd), and applies the limits there. Once the
 * sandbox's init is in the cgroup, nsl_cgroup_anchor_end ends that process
 * (on failure too). cgroup v2 only. Rootless,
 * the caller runs in the user manager's cgroup (a unit of its own, as
 * podman runs its runtime): cgroup v2 lets a process move a new one only
 * where it may write the cgroup.procs above both. */
int nsl_cgroup_create_systemd(const struct nsl_cgroup_limits *limits, const struct nsl_systemd_scope *scope,
                              struct nsl_cgroup *cg, int *anchor_pidfd, nsl_error *error);
void nsl_cgroup_anchor_end(int *anchor_pidfd);
/* systemd told that the scope has ended (StopUnit), its cgroup removed;
 * best effort. */
void nsl_systemd_scope_stop(const struct nsl_systemd_scope *scope);

/* Forgets cg without touching the cgroup (a detached sandbox's, its owner's now). */
void nsl_cgroup_release(struct nsl_cgroup *cg);
/* A cgroup nslaunch made (nslaunch-PID-RANDOM) whose nslaunch is gone and in
 * which nothing runs: the only kind it ever removes uninvited. */
bool nsl_cgroup_is_stale(int parent_fd, const char *name);
/* cgroup v1: moves the calling thread (the sandbox's init, single-threaded)
 * into the sandbox's cgroups through the tasks files nslaunch opened (the
 * kernel checks the opener's credentials), leaving the fds open.
 * Writing "0" to tasks moves the caller alone, which spares the kernel the
 * global threadgroup lock a move by pid takes (and its RCU grace period:
 * 5-20 ms on one launch in twenty on this machine). */
int nsl_cgroup_enter_self(const int tasks[NSL_CG_N], nsl_error *error);
/* Peak memory (-1 unknown) and whether the OOM killer acted. */
void nsl_cgroup_stats(const struct nsl_cgroup *cg, int64_t *peak, bool *oom_killed);
/* Kills what is left in the cgroup and removes it (and stops its scope);
 * frees cg. */
void nsl_cgroup_destroy(struct nsl_cgroup *cg);
/* The CPU quota of a cgroup whose processes are killed, lifted (best
 * effort): each needs CPU time to end, which a quota of a millisecond a
 * second hands out to a few hundred of them for seconds. Only once they
 * can do nothing else: a payload that takes SIGTERM keeps its limit. */
void nsl_cgroup_lift_cpu_quota_of(const struct nsl_cgroup *cg);

/* For the v2 code path and its tests: the files a limit is written to. */
int nsl_cgroup_v2_apply(int dirfd, const struct nsl_cgroup_limits *limits, nsl_error *error);
int nsl_cgroup_v2_enable(int dirfd, const struct nsl_cgroup_limits *limits, nsl_error *error);
int nsl_cgroup_v1_apply(int dirfd, int controller, const struct nsl_cgroup_limits *limits, nsl_error *error);
/* cpu.shares (2..262144) to cpu.weight (1..10000), as runc and crun now do:
 * log10(weight) is the parabola in log2(shares) through (1, 0), (10, 2) and
 * (18, 4), so that both defaults (1024 and 100) and both ends meet. */
uint64_t nsl_cgroup_shares_to_weight(uint64_t shares);
/* OCI's blkio weight (10..1000) on io.weight's scale (1..10000), as runc and
 * crun convert it. */
uint64_t nsl_cgroup_blkio_to_io_weight(unsigned blkio_weight);

#endif

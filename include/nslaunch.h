/* nslaunch: start a command in a fresh, unprivileged sandbox.
 *
 * A launch is data flowing one way: a spec (what the caller asked for, built
 * with the setters below, which take the command line's value syntax) is
 * turned into a plan against this host, a child executes the plan, and the
 * caller gets a result or an error value. Nothing here prints or exits. */
#ifndef NSLAUNCH_H
#define NSLAUNCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nslaunch-version.h"      /* NSL_VERSION, generated from meson.build's project version */

enum {
        NSL_EXIT_TIMEOUT = 124,
        NSL_EXIT_LAUNCHER = 125,
        NSL_EXIT_CANNOT_EXEC = 126,
        NSL_EXIT_NOT_FOUND = 127,
};

typedef struct nsl_error {
        int errnum;         /* errno behind the failure, 0 when there is none */
        int exit_code;      /* 125, or 126/127 when the command could not be executed */
        char stage[32];     /* the step of the launch that failed, one of a closed list (docs/cli.md):
                             * "plan", "mounts", "exec"...; empty before a launch (a setter's error) */
        char what[64];      /* the subject: the option or part at fault: "--tmpfs", "mount", "exec" */
        char object[512];   /* the path, value or name it concerns; may be empty */
        char cause[256];    /* why, in words */
} nsl_error;

/* "nslaunch: WHAT: OBJECT: CAUSE" (OBJECT left out when empty). */
void nsl_error_format(const nsl_error *error, char *buf, size_t len);

typedef struct nsl_spec nsl_spec;

nsl_spec *nsl_spec_new(void);
void nsl_spec_free(nsl_spec *spec);

/* Every setter returns 0 or a negative errno and fills *error. */
int nsl_spec_set_command(nsl_spec *spec, char *const argv[], nsl_error *error);
int nsl_spec_set_rootfs(nsl_spec *spec, const char *dir, nsl_error *error);
void nsl_spec_set_rw_root(nsl_spec *spec, bool rw);
int nsl_spec_add_tmpfs(nsl_spec *spec, const char *value, nsl_error *error);           /* DEST[:size=N,mode=M] */
int nsl_spec_add_bind(nsl_spec *spec, const char *value, bool read_only, nsl_error *error); /* SRC:DEST[:ro|rw][,idmap|noidmap] */
/* docker run --mount's value: type=bind|tmpfs,src=...,dst=...[,readonly][,tmpfs-size=N][,tmpfs-mode=M],
 * one CSV record (a field holding ',' is quoted whole: "src=/a,b"). */
int nsl_spec_add_mount(nsl_spec *spec, const char *value, nsl_error *error);
/* One of the host's device nodes bound into the sandbox (a user namespace
 * cannot make one): HOST[:CONTAINER], HOST a character or block device. The
 * bind is nosuid and noexec; the node keeps the host's owner and mode. */
int nsl_spec_add_device(nsl_spec *spec, const char *value, nsl_error *error);
/* A device node as an OCI config lists it (linux.devices). Run by root,
 * nslaunch makes it at path as asked (file_mode default 0666, uid and gid,
 * as the sandbox sees them, default 0). Rootless, the host's node with that
 * type and number is bound at path, that is the host's node at the same
 * path, else the kernel's name for the number (/sys/dev) under /dev;
 * file_mode, uid and gid, when not -1, are what the node must have: a node
 * that is not is refused, never changed (it is the host's), and so is a
 * FIFO. */
typedef struct nsl_device_node {
        const char *path;
        char type;              /* 'c' (or 'u'), 'b', or 'p' (a FIFO: no number) */
        unsigned major, minor;
        int file_mode;          /* permission bits, or -1 */
        int64_t uid, gid;       /* or -1 */
} nsl_device_node;
int nsl_spec_add_device_node(nsl_spec *spec, const nsl_device_node *node, nsl_error *error);
/* none (lo only, the default), private (a namespace of its own with outbound
 * connectivity through slirp4netns) or host. */
int nsl_spec_set_network(nsl_spec *spec, const char *mode, nsl_error *error);
/* With a private network, only these destinations are reachable (and lo):
 * HOST[:PORT], IP[:PORT], CIDR[:PORT], [IPv6][:PORT] or host-loopback:PORT,
 * each with /tcp (the default) or /udp. Host names are resolved when the
 * sandbox is created and pinned for its life. Implies a private network. */
int nsl_spec_add_allow_egress(nsl_spec *spec, const char *dest, nsl_error *error);
/* A resolver (an IPv4 or IPv6 address; at most 3): the sandbox's
 * /etc/resolv.conf names the resolvers given, in order (a read-only file on
 * a tmpfs of its own, over whatever the root has there), and an allow-list
 * lets them through on port 53, UDP and TCP. Implies a private network. */
int nsl_spec_add_dns(nsl_spec *spec, const char *address, nsl_error *error);
int nsl_spec_set_uid(nsl_spec *spec, const char *value, nsl_error *error);
int nsl_spec_set_gid(nsl_spec *spec, const char *value, nsl_error *error);
/* docker run -u: NAME|UID[:GROUP|GID] to --uid and --gid; names are looked up
 * in the rootfs set so far (set it first) or, without one, in the host's
 * /etc/passwd and /etc/group. */
int nsl_spec_set_user(nsl_spec *spec, const char *user, nsl_error *error);
int nsl_spec_set_host_uid(nsl_spec *spec, const char *value, nsl_error *error);
int nsl_spec_set_host_gid(nsl_spec *spec, const char *value, nsl_error *error);
int nsl_spec_set_hostname(nsl_spec *spec, const char *name, nsl_error *error);
int nsl_spec_set_proc(nsl_spec *spec, const char *mode, nsl_error *error);             /* pid | full */
int nsl_spec_add_env(nsl_spec *spec, const char *assignment, nsl_error *error);        /* KEY=VALUE */
int nsl_spec_add_env_file(nsl_spec *spec, const char *path, nsl_error *error);
void nsl_spec_set_keep_env(nsl_spec *spec, bool keep);
int nsl_spec_set_cwd(nsl_spec *spec, const char *dir, nsl_error *error);
int nsl_spec_add_cap(nsl_spec *spec, const char *name, nsl_error *error);
int nsl_spec_add_keep_fd(nsl_spec *spec, const char *fd, nsl_error *error);
int nsl_spec_set_timeout(nsl_spec *spec, const char *seconds, nsl_error *error);
int nsl_spec_set_kill_after(nsl_spec *spec, const char *seconds, nsl_error *error);
/* The command's standard input, output and error: the caller's fds (kept open
 * by the caller until nsl_sandbox_create returns); -1 leaves the caller's own
 * 0, 1 or 2. */
int nsl_spec_set_stdio(nsl_spec *spec, int in, int out, int err, nsl_error *error);
/* The OCI --console-socket: fd is a connected AF_UNIX stream socket (kept
 * open by the caller until nsl_sandbox_create or nsl_exec returns). Inside
 * the sandbox a new pty is opened in the sandbox's own devpts; its master is
 * sent over the socket (SCM_RIGHTS, one fd in one message, its name as the
 * data) before the command may start, and the command gets the slave on 0,
 * 1 and 2 as its controlling terminal (stdio set above is then unused). */
int nsl_spec_set_console_socket(nsl_spec *spec, int fd, nsl_error *error);
/* The console's size (TIOCSWINSZ) before the master is sent; 0 0: the
 * kernel's default. */
int nsl_spec_set_console_size(nsl_spec *spec, unsigned rows, unsigned cols, nsl_error *error);
/* While nsl_sandbox_wait (or nsl_run) runs, these signals, received by the
 * caller, are sent on to the command. The caller blocks them itself in
 * every thread (the library never changes a signal mask or handler); NULL:
 * none, the default. */
void nsl_spec_set_forward_signals(nsl_spec *spec, const sigset_t *set);
int nsl_spec_set_seccomp(nsl_spec *spec, const char *mode, nsl_error *error);    /* default | unconfined | PROFILE.json */
int nsl_spec_set_seccomp_bpf(nsl_spec *spec, const char *path, nsl_error *error);  /* a filter from nsl_seccomp_compile */
int nsl_spec_set_seccomp_cache(nsl_spec *spec, const char *dir, nsl_error *error); /* DIR | off */
/* A profile's unknown syscall names refuse the launch instead of being
 * skipped with a warning. */
void nsl_spec_set_seccomp_strict(nsl_spec *spec, bool on);
/* A size of at least 1m, or "max": none (what an update lifts a limit with;
 * lifting the memory limit lifts the swap limit too, unless one is given). */
#define NSL_MEMORY_MAX UINT64_MAX
int nsl_spec_set_memory(nsl_spec *spec, const char *size, nsl_error *error);          /* 512m */
/* Memory plus swap, as Docker's --memory-swap (at least the memory limit),
 * or "max": swap without limit. A launch needs a memory limit with it; an
 * update may change it alone where the cgroup counts both together (v1),
 * or lift it alone (v1 and v2). */
int nsl_spec_set_memory_swap(nsl_spec *spec, const char *size, nsl_error *error);
int nsl_spec_set_cpus(nsl_spec *spec, const char *cpus, nsl_error *error);            /* 0.5 */
/* 2 to 4194304 processes, or "max": none (what an update lifts a limit with) */
#define NSL_PIDS_MAX UINT64_MAX
int nsl_spec_set_pids(nsl_spec *spec, const char *n, nsl_error *error);
int nsl_spec_set_cgroup_parent(nsl_spec *spec, const char *path, nsl_error *error);
/* The sandbox's cgroup at exactly this path (an OCI cgroupsPath), instead of
 * a new one under the parent: absolute, from each hierarchy's root, or
 * relative, under /nslaunch (systemd's "slice:prefix:name" is
 * nsl_spec_set_systemd_cgroup's). It
 * is made (with its missing parents) in every hierarchy nslaunch uses (on
 * cgroup v1: memory, cpu, pids, cpuset, freezer and, as root, devices,
 * name=systemd and a hybrid host's cgroup2, those mounted) and must not
 * hold processes yet. A sandbox with it may be
 * detached; the cgroup is then its owner's to remove
 * (nsl_cgroup_remove_path). Not with nsl_spec_set_cgroup_parent. */
int nsl_spec_set_cgroup_path(nsl_spec *spec, const char *path, nsl_error *error);
/* The same through systemd's driver: cgroups_path is "slice:prefix:name"
 * (Docker's system.slice:docker:ID), and the cgroup is the transient scope
 * prefix-name.scope that systemd makes in the slice (system.slice when
 * empty), delegated to nslaunch, which writes the limits in it as in one of
 * its own; systemd is also given the limits it models, so that a
 * daemon-reload keeps them. Its path ("/system.slice/docker-ID.scope") is
 * then the exact path. On a host whose controllers are in cgroup v2 alone,
 * with systemd as pid 1: otherwise refused when the sandbox is made. The
 * host's root asks the system's systemd (/run/systemd/private); any other
 * caller (rootless podman's runtime, a user) asks its host uid's own
 * systemd --user (over $XDG_RUNTIME_DIR/systemd/private), whose cgroup
 * user@UID.service the scope is then in
 * ("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-ID.scope"),
 * and must itself run in that cgroup (podman runs its runtime so). The
 * scope goes once nothing runs in it. */
int nsl_spec_set_systemd_cgroup(nsl_spec *spec, const char *cgroups_path, nsl_error *error);
/* The exact cgroup path set (resolved: a relative one under /nslaunch, a
 * systemd scope's cgroup), from each hierarchy's root; NULL when none is. */
const char *nsl_spec_cgroup_path(const nsl_spec *spec);
/* A device access rule, in the order added: type 'a' (all, and then major
 * and minor -1 and access "rwm"), 'c' or 'b'; major and minor a number or
 * -1 for any; access one or more of r, w, m. The host's root puts them in
 * force where the sandbox's cgroup is at an exact path
 * (nsl_spec_set_cgroup_path): on cgroup v1 in the devices hierarchy's
 * devices.allow (allow) and devices.deny, on v2 as a device program
 * attached to the cgroup (the last rule that matches decides). Both take
 * CAP_SYS_ADMIN of the host, whatever was delegated: rootless, device
 * access rests on the sandbox's construction (its /dev has only the nodes
 * nslaunch makes, and its user namespace can make no other). At most 128. */
int nsl_spec_add_device_rule(nsl_spec *spec, bool allow, char type, int64_t major, int64_t minor, const char *access,
                             nsl_error *error);
/* v1 cpu.shares, 2..262144; on v2, cpu.weight as runc and crun convert it
 * (1024 is 100). */
int nsl_spec_set_cpu_shares(nsl_spec *spec, uint64_t shares, nsl_error *error);
/* A CPU quota per period, both in microseconds as the kernel takes them
 * (v1 cpu.cfs_quota_us and cpu.cfs_period_us, v2 cpu.max): period 1000 to
 * 1000000, quota at least 1000 (OCI's cpu.quota and cpu.period), or
 * NSL_CPU_QUOTA_MAX for none. Either may be 0, for the cgroup's as it is
 * (a new cgroup's: no quota, a 100 ms period), not both. --cpus is a quota
 * with a 100 ms period. */
#define NSL_CPU_QUOTA_MAX UINT64_MAX
int nsl_spec_set_cpu_quota(nsl_spec *spec, uint64_t quota_us, uint64_t period_us, nsl_error *error);
/* The CPU time the sandbox's realtime tasks may take per period, in
 * microseconds (cgroup v1 cpu.rt_runtime_us and cpu.rt_period_us: OCI's
 * realtimeRuntime and realtimePeriod; cgroup v2 has no such budget, and a
 * sandbox that asks for one is refused there): runtime NSL_CPU_QUOTA_MAX for
 * none. Either may be 0, for the cgroup's as it is (a new cgroup's: no
 * realtime time, and its parent's period), not both. The kernel takes a
 * runtime only where the parent has that much to give. */
int nsl_spec_set_cpu_realtime(nsl_spec *spec, uint64_t runtime_us, uint64_t period_us, nsl_error *error);
/* A soft memory limit in bytes, reclaimed down to under pressure (v1
 * memory.soft_limit_in_bytes, v2 memory.low: OCI's memory reservation). */
int nsl_spec_set_memory_reservation(nsl_spec *spec, uint64_t bytes, nsl_error *error);
/* cgroup v1 only (v2 has no such files: refused when the cgroup is made):
 * memory.kmem.tcp.limit_in_bytes, memory.swappiness (0..100), and
 * memory.oom_control's OOM killer off (the sandbox waits at its memory limit
 * instead of losing a process): OCI's kernelTCP, swappiness, disableOOMKiller. */
int nsl_spec_set_memory_kernel_tcp(nsl_spec *spec, uint64_t bytes, nsl_error *error);
int nsl_spec_set_memory_swappiness(nsl_spec *spec, uint64_t swappiness, nsl_error *error);
void nsl_spec_set_oom_kill_disable(nsl_spec *spec, bool on);
/* cpuset.cpus and cpuset.mems ("0-3,6"; NULL or "" leaves one as it is). */
int nsl_spec_set_cpuset(nsl_spec *spec, const char *cpus, const char *mems, nsl_error *error);
/* A cgroup v2 interface file of the sandbox's cgroup, written with value
 * as it is after every other limit (an OCI config's resources.unified:
 * "memory.oom.group", "memory.high", "io.weight"...); the controller its
 * name starts with is enabled like the others'. name is CONTROLLER.FILE
 * (a-z, 0-9, '_'), never one of the files nslaunch manages itself
 * (cgroup.procs, cgroup.threads, cgroup.subtree_control, cgroup.type,
 * cgroup.kill, cgroup.freeze); value is one line of at most 4096 bytes.
 * Setting a name again replaces its value. Refused when the cgroup is made
 * on a host whose controllers are in cgroup v1, and a file the cgroup does
 * not have is named then. */
int nsl_spec_set_cgroup_v2_file(nsl_spec *spec, const char *name, const char *value, nsl_error *error);
/* At most bytes of huge pages of page_size ("2MB", "1GB": as the kernel
 * names them in hugetlb.2MB.max) for the sandbox; also their reservations
 * where the kernel limits them (hugetlb.2MB.rsvd.max). cgroup v2 only:
 * refused when the cgroup is made on a host whose controllers are in
 * cgroup v1, and a size the kernel has no pages of is named then. Setting a
 * size again replaces its limit; at most 8 sizes. */
int nsl_spec_set_hugepage_limit(nsl_spec *spec, const char *page_size, uint64_t bytes, nsl_error *error);
/* The sandbox's share of block I/O against its siblings', on OCI's blkio
 * scale (10..1000): cgroup v2's io.bfq.weight as it is where BFQ is
 * loaded, else io.weight (1..10000) converted as runc converts it. cgroup
 * v2 only: refused when the cgroup is made on a host whose controllers are
 * in cgroup v1, and a kernel with neither file is named then. */
int nsl_spec_set_blkio_weight(nsl_spec *spec, uint64_t weight, nsl_error *error);
/* A block I/O throttle on the device major:minor (a block device's
 * numbers, as stat gives them in st_rdev): at most rate bytes, or I/O
 * operations, per second read or written; 0 lifts the throttle. cgroup
 * v1's blkio.throttle.*_device, v2's io.max; the kernel refuses a device
 * that is not a block device it knows, and the file is named then. Setting
 * a device's kind again replaces its rate; at most 16. */
enum nsl_io_throttle { NSL_IO_READ_BPS, NSL_IO_WRITE_BPS, NSL_IO_READ_IOPS, NSL_IO_WRITE_IOPS };
int nsl_spec_add_io_throttle(nsl_spec *spec, enum nsl_io_throttle kind, uint32_t major, uint32_t minor, uint64_t rate,
                             nsl_error *error);
int nsl_spec_set_limits_mode(nsl_spec *spec, const char *mode, nsl_error *error);     /* strict | best-effort */
int nsl_spec_add_rlimit(nsl_spec *spec, const char *value, nsl_error *error);         /* NAME=SOFT[:HARD] */
int nsl_spec_set_status_json(nsl_spec *spec, const char *target, nsl_error *error);   /* FILE | fd:N */
/* After the other setters: applies the image defaults `nslaunch rootfs
 * import` wrote next to --rootfs (Env before --env-file/--env; Entrypoint and
 * Cmd, the given command replacing Cmd; WorkingDir unless --cwd; User unless
 * --uid, names looked up in the rootfs's /etc/passwd and /etc/group). */
int nsl_spec_use_image_defaults(nsl_spec *spec, nsl_error *error);
/* Warnings (a fallback taken, a limit that cannot be honoured) go here; the
 * library never prints. */
void nsl_spec_set_warning_handler(nsl_spec *spec, void (*warn)(const char *line, void *data), void *data);
/* --seccomp-report: every call the filter refuses is still refused as the
 * profile says, and nslaunch records it in the result (denials). */
void nsl_spec_set_seccomp_report(nsl_spec *spec, bool on);
/* Learning: the command runs under a filter that allows everything but the
 * built-in profile's explicit refusals, and every syscall it makes is
 * recorded (result->learned; refusals in result->denials). */
void nsl_spec_set_seccomp_learn(nsl_spec *spec, bool on);
/* A seccomp agent (the OCI runtime spec's linux.seccomp.listenerPath), for
 * a profile whose rules say SCMP_ACT_NOTIFY, which is refused without one.
 * socket: connected to the agent (an AF_UNIX stream socket above 2, the
 * caller's to close once the launch returns). The process loads its filter
 * as its last stage and sends the listener on it with the container process
 * state: metadata (listenerMetadata, or NULL), the container's state
 * (state_json, an object, as the runtime's state command prints it; its
 * pid is set to the sandbox init's), and the process's own pid. */
int nsl_spec_set_seccomp_agent(nsl_spec *spec, int socket, const char *metadata, const char *state_json,
                               nsl_error *error);
/* Landlock (docs/landlock.md): the command restricts itself to what its
 * mount tree gives it, and less (no writes through /proc, no execution under
 * writable mounts). best-effort (the default) applies what the kernel's ABI
 * has; strict refuses to start on a kernel without all of it; off. */
int nsl_spec_set_landlock(nsl_spec *spec, const char *mode, nsl_error *error);   /* off | best-effort | strict */
/* Files under writable mounts (/tmp, /dev/shm, --tmpfs, rw --bind) may be
 * executed; Landlock refuses it by default. */
void nsl_spec_set_allow_exec_writable(nsl_spec *spec, bool on);
/* What an OCI bundle asks of the sandbox. The bundle layout has no default
 * /tmp, and /dev and /proc only when nsl_spec_set_dev and nsl_spec_set_proc
 * ask for them; /proc/self/mountinfo lists its binds in the order they were
 * added, among the other mounts, as the OCI runtimetest checks (each bind's
 * tree is copied once more as it is attached: about 80 us a bind here). */
void nsl_spec_set_bundle_layout(nsl_spec *spec, bool on);
void nsl_spec_set_dev(nsl_spec *spec, bool on);             /* nslaunch's /dev (nodes, pts, shm, mqueue) */
/* The group of the terminals /dev/pts makes (devpts' gid=, the tty group 5
 * of runc's and Docker's configs), as the sandbox numbers it; without it a
 * terminal's group is its opener's. A group the sandbox does not map fails
 * the launch naming it. */
void nsl_spec_set_devpts_gid(nsl_spec *spec, gid_t gid);
void nsl_spec_set_sysfs(nsl_spec *spec, bool on);           /* a read-only sysfs at /sys */
void nsl_spec_set_cgroupfs(nsl_spec *spec, bool on);        /* a read-only cgroup2 at /sys/fs/cgroup */
/* After /proc and /sys: a file gets /dev/null over it, a directory an empty
 * read-only tmpfs; an absent path is left alone. */
int nsl_spec_add_masked_path(nsl_spec *spec, const char *path, nsl_error *error);
int nsl_spec_add_readonly_path(nsl_spec *spec, const char *path, nsl_error *error);   /* recursively */
/* A uid_map ('u') or gid_map ('g') line, in place of the single mapping.
 * Rootless, only your own id, one line of count 1; a user namespace's root
 * with CAP_SETUID and CAP_SETGID (a rootless engine's) may map any ids its
 * namespace has. */
int nsl_spec_add_id_map(nsl_spec *spec, char kind, uint32_t inside, uint32_t outside, uint32_t count,
                        nsl_error *error);
int nsl_spec_add_group(nsl_spec *spec, gid_t gid, nsl_error *error);   /* a supplementary group (root, or a user
                                                                        * namespace's root with ids to give) */
/* Joins that namespace instead of making one (root, or the root of a user
 * namespace that maps other ids: rootless podman's runtime): type is
 * "network", "ipc", "uts" (a pod's shared ones) or "pid" (a pod's, or the
 * host's: /proc/self/ns/pid). The host then writes its namespaced sysctls,
 * makes its sysfs, mqueue or procfs, and sets its hostname and domainname
 * when they are given; nothing else changes in it. The caller's own
 * namespace (/proc/self/ns/uts...) is never changed: a hostname, domainname
 * or sysctl for it is refused. A joined pid namespace
 * does not end with the sandbox: init, the subreaper of every process the
 * command starts, kills those left when the command ends, and the command
 * gets SIGKILL if init is killed; what a SIGKILLed init leaves is ended by
 * the sandbox's cgroup (destroy, or the OCI runtime's delete) where it has
 * one. */
int nsl_spec_join_namespace(nsl_spec *spec, const char *type, const char *path, nsl_error *error);
int nsl_spec_set_network_ns(nsl_spec *spec, const char *path, nsl_error *error);        /* "network" */
int nsl_spec_set_oom_score_adj(nsl_spec *spec, int adj, nsl_error *error);      /* -1000..1000 */
/* Whether the command runs with no_new_privs (the default: on). Off, as an
 * OCI config's noNewPrivileges false asks, the kernel lets an execve of a
 * set-user-ID or file-capability program raise privileges, within the
 * capability bounding set and the sandbox's user namespace (every mount
 * nslaunch makes is nosuid: only one the command makes itself can hold
 * such a program). The filters are still loaded last, just before execve;
 * the kernel takes CAP_SYS_ADMIN for that without no_new_privs, which the
 * payload holds until execve and the command never does. */
void nsl_spec_set_no_new_privs(nsl_spec *spec, bool on);
/* The propagation of the sandbox's root mount, set once it is the root:
 * "private" (the default) or "slave" (a slave of nothing is private: the
 * sandbox's mount namespace shares nothing with the host's), "shared" (a
 * peer group of the sandbox's own: a mount under the root propagates to
 * the root's binds and to the mount namespaces made from the sandbox's,
 * never to or from the host's) or "unbindable"; with an "r" in front, the
 * mounts below the root too. */
int nsl_spec_set_root_propagation(nsl_spec *spec, const char *propagation, nsl_error *error);
/* The command's AppArmor profile, loaded by someone else (an engine's
 * docker-default): the command's execve enters it. Refused at launch on a
 * host where AppArmor is not enabled. */
int nsl_spec_set_apparmor_profile(nsl_spec *spec, const char *profile, nsl_error *error);
/* KEY=VALUE; only the namespaced keys: net.*, kernel.shm*, kernel.msg*,
 * kernel.sem, fs.mqueue.*, and user.* (the limits of the sandbox's own
 * user namespace, e.g. user.max_user_namespaces=0: no nested user
 * namespace; they can only narrow the host's) */
int nsl_spec_add_sysctl(nsl_spec *spec, const char *assignment, nsl_error *error);
int nsl_spec_set_domainname(nsl_spec *spec, const char *name, nsl_error *error);
int nsl_spec_set_umask(nsl_spec *spec, mode_t mask, nsl_error *error);
/* True when the spec runs the command without any seccomp filter. */
bool nsl_spec_seccomp_unconfined(const nsl_spec *spec);

/* Tools for profile authors. Profiles are Docker/moby JSON or the OCI
 * linux.seccomp object. */
typedef struct nsl_seccomp_options {
        const char *arch;       /* "x86_64", "aarch64", ...; NULL = this machine's */
        uint64_t caps;          /* capabilities the sandbox would hold (bit per CAP_*) */
        bool strict;            /* unknown syscall names are errors */
        bool linear;            /* libseccomp's plain list instead of its binary tree (to compare) */
        void (*warn)(const char *line, void *data);
        void *warn_data;
} nsl_seccomp_options;

/* Parses and compiles; *n_insns is the filter's size. */
int nsl_seccomp_check(const char *profile, const nsl_seccomp_options *options, size_t *n_insns, nsl_error *error);
/* Writes the compiled filter (raw BPF, what --seccomp-bpf loads) to fd. */
int nsl_seccomp_compile(const char *profile, const nsl_seccomp_options *options, int fd, nsl_error *error);
/* The same into the file output, whole or not at all: written beside it and
 * renamed over it (a symlink there is replaced, never followed); on failure
 * whatever was there stays. */
int nsl_seccomp_compile_file(const char *profile, const nsl_seccomp_options *options, const char *output,
                             nsl_error *error);
/* Writes libseccomp's readable PFC form to fd. */
int nsl_seccomp_export(const char *profile, const nsl_seccomp_options *options, int fd, nsl_error *error);
/* "CAP_NET_ADMIN", "net_admin"... to the capability's number; -1 if unknown. */
int nsl_cap_number(const char *name);
/* The built-in profile's JSON text. */
const char *nsl_seccomp_default_profile(void);

/* One kind of refusal seen with --seccomp-report (or tried while learning):
 * every call of the same syscall on the same architecture with the same
 * answer is counted together, whoever made it. Its callers are a sample: the
 * first NSL_DENIAL_CALLERS distinct programs; calls by any other program are
 * counted in calls_by_others. */
#define NSL_DENIAL_CALLERS 4
typedef struct nsl_seccomp_caller {
        char comm[16];      /* the program's name, as the kernel has it (the payload chooses it) */
        int pid;            /* its first call, as nslaunch sees it */
} nsl_seccomp_caller;

typedef struct nsl_seccomp_denial {
        char syscall[32];   /* its name, or "#NR" when libseccomp has none ("#other" past a few) */
        char arch[12];      /* "x86_64", "x86", "x32", "aarch64", ... */
        int errnum;         /* the errno the profile returns; 0 when it kills */
        bool killed;        /* the profile's action kills (nslaunch ends the process with SIGKILL) */
        unsigned long count;
        nsl_seccomp_caller callers[NSL_DENIAL_CALLERS];
        size_t n_callers;
        unsigned long calls_by_others;
} nsl_seccomp_denial;

/* A destination --allow-egress refused, and how many packets went to it. */
typedef struct nsl_egress_denial {
        char destination[46];   /* the address, as inet_ntop writes it */
        int port;               /* TCP's or UDP's destination port; 0 for other protocols */
        char protocol[8];       /* "tcp", "udp", "icmp", "icmpv6" or "#N" */
        unsigned long count;    /* packets refused (a TCP connection's retried SYN counts again) */
} nsl_egress_denial;

#define NSL_MAX_EGRESS_DENIALS 1024

#define NSL_MAX_DENIALS 8192  /* more than every named syscall of every architecture a host runs */
#define NSL_MAX_LEARNED_NR 1024

typedef struct nsl_result {
        int exit_code;      /* what a shell would report: code, 128+signal, 124 on timeout */
        int exit_status;    /* the command's own exit code, -1 when a signal ended it */
        int signal;         /* the signal that ended it, 0 if none */
        bool timed_out;
        bool oom_killed;    /* the kernel's OOM killer ended it (its cgroup's memory limit) */
        double wall_ms;     /* nsl_sandbox_create (nsl_run) to the sandbox's end */
        double setup_ms;    /* nsl_sandbox_create (nsl_run) to the command's execve; -1 if it never ran */
        double cpu_user_ms, cpu_sys_ms;  /* every process of the sandbox */
        int64_t peak_memory_bytes;       /* from the sandbox's cgroup; -1 without one */
        bool seccomp_reported;           /* --seccomp-report or learning was on */
        bool seccomp_suspected;          /* no report was on, and the command ended as a refusal makes one
                                          * end: SIGSYS, or 126/127 under a filter that refuses a call
                                          * every program makes at start-up */
        nsl_seccomp_denial *denials;     /* owned by the result: nsl_result_release */
        size_t n_denials;
        unsigned long denials_dropped;   /* refused calls left out: the table holds NSL_MAX_DENIALS kinds */
        uint64_t learned[NSL_MAX_LEARNED_NR / 64];  /* learning: native syscall numbers allowed and made */
        int landlock_abi;                /* the Landlock ABI the command ran under; 0: none */
        bool egress_reported;            /* --allow-egress was given: refusals are recorded */
        nsl_egress_denial *egress_denials;       /* owned by the result, in the order first refused */
        size_t n_egress_denials;
        unsigned long egress_denials_dropped;   /* refusals left out: NSL_MAX_EGRESS_DENIALS destinations,
                                                 * or the kernel's queue ran over */
} nsl_result;

/* Frees what a result owns (its denials, seccomp's and egress'); it may be
 * released twice. */
void nsl_result_release(nsl_result *result);

/* --status-json: writes result (or, when error is not NULL, the failure) as
 * one JSON object, atomically for a file. */
int nsl_write_status(const nsl_spec *spec, const nsl_result *result, const nsl_error *failure, nsl_error *error);

/* A sandbox, from its creation to its end. Nothing is done to the calling
 * process: its groups, signal mask, signal handlers and parent-death signal
 * stay as they are; the calling thread's supplementary groups are dropped
 * only across clone3, so that the sandbox does not inherit them. Different
 * sandboxes may be used from different threads at once; one sandbox from
 * one thread at a time, but for nsl_sandbox_kill, which any thread may call
 * while another waits. Whoever reaps children with waitpid(-1) must leave
 * the sandbox's pid to it. The sandbox ends when the thread that created
 * it exits (init has a parent-death signal), and with nsl_sandbox_free. */
typedef struct nsl_sandbox nsl_sandbox;

/* Builds the sandbox: namespaces, root, mounts, limits, everything up to the
 * command, and returns once it is built; the command waits for
 * nsl_sandbox_start. */
int nsl_sandbox_create(const nsl_spec *spec, nsl_sandbox **sandbox, nsl_error *error);
/* Lets the command run (once); its --timeout counts from here. */
int nsl_sandbox_start(nsl_sandbox *sandbox, nsl_error *error);
/* Another process may start the sandbox instead: hand it this fd (inherited
 * or passed over a socket) and have it call nsl_sandbox_start_fd on it. */
int nsl_sandbox_start_handle(const nsl_sandbox *sandbox);
int nsl_sandbox_start_fd(int fd, nsl_error *error);
/* Started through a FIFO the caller made (mkfifo) instead of the start
 * handle: any process can start the sandbox later, with
 * nsl_sandbox_start_fifo(path), even after its creator has gone. */
int nsl_spec_set_start_fifo(nsl_spec *spec, const char *path, nsl_error *error);
int nsl_sandbox_start_fifo(const char *path, nsl_error *error);
/* nsl_sandbox_start_fifo, then waits until the command has executed or the
 * sandbox has ended (init lets go of the FIFO then), for at most timeout_ms
 * (a frozen cgroup holds the command back): then it returns 0 all the same. */
int nsl_sandbox_start_fifo_wait(const char *path, int timeout_ms, nsl_error *error);
/* Called by nsl_sandbox_create (or nsl_run) at the point where runc runs an
 * OCI create's hooks: the sandbox's root built, with its mounts, in its
 * mount namespace, and attached at the --rootfs path there (a hook that
 * enters that namespace finds the container's root where config.json's
 * root.path names it); before the read-only and masked paths, the seal and
 * pivot_root; the sandbox in its network namespace. A read-only --rootfs
 * image is writable while this runs (as runc leaves it to an OCI create's
 * hooks) and read-only again when it returns. With init's pid and
 * pidfd; the sandbox goes on when it returns 0, and is ended, and the create
 * fails with *error, when it returns less. */
typedef int (*nsl_root_built_fn)(pid_t init_pid, int init_pidfd, void *data, nsl_error *error);
void nsl_spec_on_root_built(nsl_spec *spec, nsl_root_built_fn fn, void *data);
/* Called by nsl_sandbox_create (or nsl_run) as soon as init exists, once
 * its ids are mapped, while it builds the sandbox: the caller's work about
 * the sandbox (an OCI create's state, written while init mounts) then
 * costs the create no time. Nothing is built yet: it must not enter the
 * sandbox. Its failure ends the sandbox and the create, as above. */
void nsl_spec_on_init_started(nsl_spec *spec, nsl_root_built_fn fn, void *data);
/* Sandboxes made ahead of their command (what a pool keeps): the command
 * (nsl_spec_set_command is then unused), the environment entries it adds
 * and its 0, 1 and 2 come with nsl_sandbox_start_command, and nsl_run and
 * nsl_sandbox_start refuse such a spec. */
void nsl_spec_set_command_at_start(nsl_spec *spec);
/* runc's process model: once the sandbox is built (and started), init
 * executes the command itself, which is then the sandbox's pid 1 (in a pid
 * namespace of its own) and the process nsl_sandbox_pid names. No process of
 * nslaunch's stays in the sandbox: nothing forwards signals (a pid 1 ignores
 * those it has no handler for, SIGKILL and SIGSTOP aside), reaps orphans or
 * reports the outcome, which is init's own wait status (nsl_sandbox_wait
 * reads it when it reaps init; the resource use comes from that reaping).
 * Refused with what needs init to stay: a command at start, a timeout,
 * --seccomp-report or learning, a private network, a shared pid namespace
 * (init ends what the command leaves there), and host ids reserved for the
 * sandbox. */
void nsl_spec_set_command_as_init(nsl_spec *spec);
/* Starts a sandbox made with nsl_spec_set_command_at_start: argv runs with
 * the spec's environment, where env ("NAME=VALUE", NULL: none) adds or
 * replaces entries (PATH among them: the command is searched in the new
 * one), and with stdio's fds as its 0, 1 and 2 (-1: what the spec gave; the
 * caller keeps its fds). At most 4096 words and 64 KiB together. Its
 * --timeout counts from here. */
int nsl_sandbox_start_command(nsl_sandbox *sandbox, char *const argv[], char *const env[], const int stdio[3],
                              nsl_error *error);
/* The same with a command that comes as one message on fd (a SOCK_SEQPACKET
 * socket), in the format of docs/cli.md ("A command from a socket"): its
 * words and environment entries, and its 0, 1 and 2 beside it (SCM_RIGHTS).
 * A malformed message is refused; an end of stream before any message is
 * -ECANCELED. */
int nsl_sandbox_start_from(nsl_sandbox *sandbox, int fd, nsl_error *error);
/* Milliseconds from start (either kind) to the command's execve; -1 before. */
double nsl_sandbox_ms_to_exec(const nsl_sandbox *sandbox);
/* Before start: the sandbox runs on without its creator, which may exit
 * (an OCI runtime's create): init's parent-death signal is turned off, and
 * the end of the creator's side no longer ends the sandbox. Nothing
 * supervises it any more (no --timeout, no result): its init's exit status
 * is the command's, for whoever reaps it (a subreaper). Frees the handle.
 * A private network's proxy is handed to init: it runs as long as init does
 * (it is reparented to the subreaper). So is the egress log: init writes the
 * refusals to the command's stderr (the console's slave with a terminal),
 * each destination when first refused and the counts when the command has
 * ended. Refused for a sandbox with a cgroup (its limits), which would have no
 * owner to remove it, unless the spec set its exact path
 * (nsl_spec_set_cgroup_path): it is then left for nsl_cgroup_remove_path. */
int nsl_sandbox_detach(nsl_sandbox *sandbox, nsl_error *error);
/* The sandbox's cgroup, at an exact path (nsl_spec_set_cgroup_path), is
 * left to the path's owner once the sandbox has ended, instead of removed:
 * what the sandbox used can be read (nsl_cgroup_usage) until the owner
 * removes it (nsl_cgroup_remove_path); an OCI run --keep. EINVAL for a
 * sandbox without an exact path (its cgroup would be nobody's). */
int nsl_sandbox_keep_cgroup(nsl_sandbox *sandbox, nsl_error *error);
/* The sandbox's init on the host: its pid and a pidfd (owned by the sandbox). */
pid_t nsl_sandbox_pid(const nsl_sandbox *sandbox);
int nsl_sandbox_pidfd(const nsl_sandbox *sandbox);
/* Sends sig to the command, or with all to every process of the sandbox
 * (SIGKILL with all ends the sandbox at once). Before start any signal ends
 * the sandbox. */
int nsl_sandbox_kill(nsl_sandbox *sandbox, int sig, bool all, nsl_error *error);
/* Waits at most timeout_ms (< 0: until it ends) for the sandbox to end:
 * until its init has reported the command's end (the kernel may still be
 * tearing its namespaces down; nsl_sandbox_free waits for that and removes
 * the cgroup). 0 with *result filled when the command ran (whatever its status);
 * -ETIMEDOUT while it still runs; another negative errno with *error filled
 * when the sandbox could not be set up or the command not executed. Once it
 * has ended, every call gives the same answer. */
int nsl_sandbox_wait(nsl_sandbox *sandbox, int timeout_ms, nsl_result *result, nsl_error *error);
/* Ends the sandbox if it still runs (SIGKILL), reaps it, and releases
 * everything it held on the host (its cgroup included). NULL is allowed. */
void nsl_sandbox_free(nsl_sandbox *sandbox);

/* Sandboxes made ahead of time, for callers that run many commands: the pool
 * keeps `size` sandboxes of spec created (namespaces, root, mounts, limits:
 * everything but the command) and waiting, and a thread of its own creates
 * a new one for each taken. Each runs one command and is never reused. */
typedef struct nsl_pool nsl_pool;
/* spec leaves its command to start (nsl_spec_set_command_at_start) and is
 * read by the pool's thread until nsl_pool_free: keep it, unchanged, till
 * then (its warning handler is called from that thread). Returns once the
 * first sandbox is made, or with the reason none can be. */
int nsl_pool_new(const nsl_spec *spec, unsigned size, nsl_pool **pool, nsl_error *error);
/* Takes a waiting sandbox (or waits while one is made) and starts argv in it,
 * as nsl_sandbox_start_command does: *sandbox is then the caller's, to wait
 * for and free. When the pool cannot make sandboxes any more, the reason is
 * returned here, once, and the next call tries again. */
int nsl_pool_start(nsl_pool *pool, char *const argv[], char *const env[], const int stdio[3], nsl_sandbox **sandbox,
                   nsl_error *error);
/* nsl_pool_start, nsl_sandbox_wait and nsl_sandbox_free, as nsl_run does. */
int nsl_pool_run(nsl_pool *pool, char *const argv[], char *const env[], const int stdio[3], nsl_result *result,
                 nsl_error *error);
/* Ends the sandboxes still waiting, at once. Sandboxes taken from the pool
 * run on until they are freed (their creator, the pool's thread, ends only
 * then). NULL is allowed. */
void nsl_pool_free(nsl_pool *pool);

/* An OCI bundle (docs/oci.md): BUNDLE/config.json (runtime-spec 1.0 to
 * 1.2) read and checked; every field nslaunch cannot honour is refused
 * naming its JSON path ("config.json: linux.intelRdt: not supported"). */
typedef struct nsl_oci nsl_oci;
int nsl_oci_load(const char *bundle_dir, nsl_oci **oci, nsl_error *error);
/* The same from config.json's text, as nsl_oci_text gave it: a runtime keeps
 * the config a container was created with, so that a later change to the
 * bundle reaches none of its later commands. bundle is the directory a
 * relative root.path is under. */
int nsl_oci_load_text(const char *bundle, const char *text, nsl_oci **oci, nsl_error *error);
const char *nsl_oci_text(const nsl_oci *oci);
void nsl_oci_free(nsl_oci *oci);
/* The config onto spec through its setters. The spec refers to the oci's
 * copy of linux.seccomp: keep oci until nsl_sandbox_create has returned.
 * cgroupsPath goes to nsl_spec_set_cgroup_path, unless the caller chose
 * systemd's driver first (nsl_spec_set_systemd_cgroup with it). */
int nsl_oci_to_spec(const nsl_oci *oci, nsl_spec *spec, nsl_error *error);
/* A linux.resources object's text (runc's update --resources) onto spec:
 * its limits, checked as a config's are, errors named under what (the
 * option that gave it). Its device rules are left out: an update leaves
 * the container's device rules as create set them, as runc's does. */
int nsl_oci_resources_to_spec(const char *json, const char *what, nsl_spec *spec, nsl_error *error);
const char *nsl_oci_cgroups_path(const nsl_oci *oci);       /* NULL when not given */
bool nsl_oci_terminal(const nsl_oci *oci);
const char *nsl_oci_root_path(const nsl_oci *oci);          /* absolute */
/* linux.seccomp.listenerPath, the seccomp agent's socket, where the filter
 * has SCMP_ACT_NOTIFY rules (the config is refused without it then), and
 * *metadata its listenerMetadata ("" when none); else NULL. The caller
 * connects and gives the socket to nsl_spec_set_seccomp_agent. */
const char *nsl_oci_seccomp_listener(const nsl_oci *oci, const char **metadata);
/* Runs the hooks of kind ("prestart", "createRuntime", "poststart",
 * "poststop") in the caller's namespaces, in order, each with state_json on
 * its standard input; the first failure stops and names the hook. */
int nsl_oci_run_hooks(const nsl_oci *oci, const char *kind, const char *state_json, nsl_error *error);
/* The same for "createContainer" and "startContainer", which run in the
 * container's namespaces, entered through its init (init_pidfd), as the
 * container's root where it maps one: createContainer's path is resolved in
 * the caller's mount namespace, startContainer's in the container's.
 * Entering takes ptrace access to the init: root, or the root of the user
 * namespace the container was made in. */
int nsl_oci_run_container_hooks(const nsl_oci *oci, const char *kind, const char *state_json, int init_pidfd,
                                nsl_error *error);
/* How many hooks of kind the config has (0 for a kind it does not know). */
size_t nsl_oci_n_hooks(const nsl_oci *oci, const char *kind);
/* runc exec: what a process exec'd into the container takes from the
 * container's config: its seccomp filter and no Landlock, and, with
 * with_process, the container's process (env, cwd, user, capabilities,
 * rlimits) as the defaults that exec's own arguments then change. */
int nsl_oci_exec_defaults(const nsl_oci *oci, bool with_process, nsl_spec *spec, nsl_error *error);
/* runc exec --process FILE: a process object alone onto spec. */
int nsl_oci_process_load(const char *process_json_path, nsl_spec *spec, nsl_error *error);
/* A cgroup at an exact path (nsl_spec_set_cgroup_path's, same forms), in
 * every hierarchy it exists in, used by its owner while its sandbox runs
 * detached. Each refuses a cgroup the caller may not write (rootless without
 * a delegated cgroup) before changing anything, and fails with one line
 * naming the cgroup and the cause. */
/* Kills what is left in it (frozen first, so that nothing forks meanwhile;
 * then thawed, so that the kills land), waits for it to empty, and removes
 * it and any cgroup below it in every hierarchy. A path in no hierarchy is
 * removed already: 0. */
int nsl_cgroup_remove_path(const char *path, nsl_error *error);
/* Removes path in every hierarchy where it is an empty cgroup (no process,
 * no cgroup below); leaves it everywhere else. For a parent shared by
 * several sandboxes, once the last of them is gone. */
void nsl_cgroup_remove_if_empty(const char *path);
/* Lifts the CPU quota of a cgroup whose processes are being killed: each
 * needs CPU time to end, which a quota of a millisecond a second hands out
 * too slowly for a delete to wait (what is not killed yet runs unlimited
 * until it is). Best effort: a cgroup without a quota, or none at path, is
 * left as it is. */
void nsl_cgroup_lift_cpu_quota(const char *path);
/* Freezes (v2 cgroup.freeze, v1 freezer.state) and returns once every
 * process is frozen; or thaws. */
int nsl_cgroup_freeze(const char *path, bool frozen, nsl_error *error);
/* The pids in it and in the cgroups below it (host pids), *pids malloc'd. */
int nsl_cgroup_pids(const char *path, pid_t **pids, size_t *n, nsl_error *error);
/* What the cgroup at path has used, from its own files; -1 where its
 * hierarchies do not keep a value (v1 keeps CPU time in cpuacct, where
 * nslaunch makes no cgroup) and for a limit that is none. memsw counts
 * memory and swap together, as v1 does (v2's swap is added to memory). */
struct nsl_cgroup_usage {
        int64_t cpu_total_ns, cpu_user_ns, cpu_system_ns;
        int64_t cpu_periods, cpu_throttled_periods, cpu_throttled_ns;
        int64_t memory_bytes, memory_peak_bytes, memory_limit_bytes, memory_failcnt;
        int64_t memsw_bytes, memsw_limit_bytes;
        int64_t pids, pids_limit;
        int64_t oom_kills;
};
int nsl_cgroup_usage(const char *path, struct nsl_cgroup_usage *usage, nsl_error *error);
/* Sets the cgroup limits limits carries (memory, memory + swap, memory
 * reservation, cpus, cpu shares, cpuset, pids), live; the others stay. A limit the kernel refuses
 * now (memory below what is used) or one the cgroup's hierarchies cannot
 * take is refused, naming it. */
int nsl_cgroup_update(const char *path, const nsl_spec *limits, nsl_error *error);
/* The same for a scope made through systemd's driver (path is its cgroup,
 * "/system.slice/docker-ID.scope"): systemd is told the limits it models
 * first (SetUnitProperties, for the running unit), so that a daemon-reload
 * keeps them. */
int nsl_cgroup_update_scope(const char *path, const nsl_spec *limits, nsl_error *error);
/* nsl_cgroup_remove_path of a scope made through systemd's driver, then
 * the scope stopped (StopUnit), so that systemd forgets it at once: one
 * whose cgroup was removed under it may stay loaded and running. */
int nsl_cgroup_remove_scope(const char *path, nsl_error *error);

/* A new process in the running sandbox whose init's host pid is init_pid
 * (the OCI runtime's exec): it joins init's cgroups and its user, mount,
 * pid, ipc, uts, network and cgroup namespaces, then goes through what a
 * launch's command does (stdio or the console socket, uid/gid, setsid, cwd
 * resolved in the sandbox, rlimits, capabilities, no_new_privs, Landlock,
 * every other fd closed, seccomp last) as process says, and executes its
 * command. *pid is its host pid, a child of the calling process, which
 * waits for it (or leaves it to a subreaper). The caller's fds reach it
 * only as stdio. A failure before execve is returned as the error. */
int nsl_exec(pid_t init_pid, const nsl_spec *process, pid_t *pid, nsl_error *error);
/* For nsl_exec (a launch refuses it): the process joins the cgroup at path
 * below init's (runc's exec --cgroup), an existing one ("" or "/" is init's
 * own; no ".." component), in the cgroup v1 hierarchy of controller, or
 * with controller NULL in every hierarchy. Once per controller; a path for
 * every hierarchy is given alone. A controller none of init's hierarchies
 * has is refused by nsl_exec. */
int nsl_spec_set_exec_cgroup(nsl_spec *spec, const char *controller, const char *path, nsl_error *error);

/* create + start + wait + free, and --status-json written. */
int nsl_run(const nsl_spec *spec, nsl_result *result, nsl_error *error);
/* nsl_run for a caller that exits as soon as it returns (the nslaunch
 * command): the same result and status, but when the sandbox has no cgroup
 * it does not wait for the kernel's teardown of the sandbox's namespaces
 * after the command's end. Its init, which has reported the outcome and is
 * exiting, stays this process's child until this process exits (then it is
 * reaped as an orphan); the processes the command left running may still be
 * dying (the kernel kills them as init exits; init's parent-death signal
 * ends it, should it linger). Mounts live only in the sandbox's namespace
 * and its host ids stay taken until init is gone. A process that goes on
 * after it should call nsl_run. */
int nsl_run_before_exit(const nsl_spec *spec, nsl_result *result, nsl_error *error);
/* nsl_sandbox_free for a caller that exits right after, as nsl_run_before_exit
 * frees its sandbox: once the sandbox has ended (nsl_sandbox_wait), the
 * kernel's teardown of it is not waited for unless its cgroup has to go. */
void nsl_sandbox_free_before_exit(nsl_sandbox *sandbox);

/* Writes to output (atomically; it may be merge) a deny-by-default profile
 * (Docker JSON) allowing the syscalls a learning run made, the built-in
 * profile's refusals kept on top; merged with the allowed names of a profile
 * written before (merge, or NULL); extra_arch ("aarch64"...) adds that
 * architecture and its names for what was seen. */
int nsl_seccomp_write_learned(const nsl_result *result, const char *merge, const char *extra_arch,
                              const char *output, nsl_error *error);

#endif

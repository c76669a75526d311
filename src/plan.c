#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "command.h"
#include "device-source.h"
#include "error.h"
#include "fds.h"
#include "seccomp/select.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_HOME "/tmp"
#define DEFAULT_TMP_SIZE (64ULL << 20)
#define OVERFLOW_ID 65534

extern char **environ;

/* Sets KEY=VALUE in v, replacing an earlier KEY. */
static int env_set(char ***v, size_t *n, const char *assignment)
{
        for (size_t i = 0; i < *n; i++)
                if (nsl_env_same_name((*v)[i], assignment)) {
                        char *copy = strdup(assignment);
                        if (!copy)
                                return -ENOMEM;
                        free((*v)[i]);
                        (*v)[i] = copy;
                        return 0;
                }
        return nsl_strv_push(v, n, assignment);
}

static int env_file_add(const char *assignment, void *data, nsl_error *error)
{
        struct nsl_plan *plan = data;
        if (env_set(&plan->envp, &plan->n_envp, assignment) < 0)
                return nsl_fail(error, ENOMEM, "--env-file", assignment, NULL);
        return 0;
}

static int read_env_file(struct nsl_plan *plan, const char *path, nsl_error *error)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = nsl_read_file(path, 1 << 20, &text, &len);

        if (r == -EINVAL)
                return nsl_fail(error, EINVAL, "--env-file", path, "not a regular file");
        if (r == -EFBIG)
                return nsl_fail(error, EFBIG, "--env-file", path, "larger than 1 MiB");
        if (r < 0)
                return nsl_fail(error, -r, "--env-file", path, NULL);
        return nsl_parse_env_text(text, len, path, env_file_add, plan, error);
}

static int build_env(const struct nsl_spec *spec, struct nsl_plan *plan, nsl_error *error)
{
        int r;

        if (spec->keep_env) {
                for (char **e = environ; e && *e; e++)
                        if (strchr(*e, '=') && env_set(&plan->envp, &plan->n_envp, *e) < 0)
                                return nsl_fail(error, ENOMEM, "env", "", NULL);
        } else {
                const char *lang = getenv("LANG");
                if (env_set(&plan->envp, &plan->n_envp, "PATH=" DEFAULT_PATH) < 0 ||
                    env_set(&plan->envp, &plan->n_envp, "HOME=" DEFAULT_HOME) < 0)
                        return nsl_fail(error, ENOMEM, "env", "", NULL);
                if (lang) {
                        _cleanup_free_ char *a = NULL;
                        if (asprintf(&a, "LANG=%s", lang) < 0 || env_set(&plan->envp, &plan->n_envp, a) < 0)
                                return nsl_fail(error, ENOMEM, "env", "", NULL);
                }
        }
        for (size_t i = 0; i < spec->n_image_env; i++)
                if (env_set(&plan->envp, &plan->n_envp, spec->image_env[i]) < 0)
                        return nsl_fail(error, ENOMEM, "--image-defaults", spec->image_env[i], NULL);
        for (size_t i = 0; i < spec->n_env_files; i++) {
                r = read_env_file(plan, spec->env_files[i], error);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < spec->n_env; i++)
                if (env_set(&plan->envp, &plan->n_envp, spec->env[i]) < 0)
                        return nsl_fail(error, ENOMEM, "--env", spec->env[i], NULL);

        plan->search_path = nsl_env_path(plan->envp, DEFAULT_PATH);     /* one PATH at most: env_set */
        return 0;
}

bool nsl_plan_takes_host_ids(const struct nsl_spec *spec, const struct nsl_host *host)
{
        return host->root && !host->joining && !(spec->host_uid_set && spec->host_gid_set) &&
               !spec->n_uid_maps && !spec->n_gid_maps;
}

static int resolve_ids(const struct nsl_spec *spec, const struct nsl_host *host, struct nsl_plan *plan,
                       nsl_error *error)
{
        plan->rootless = !host->root;
        plan->maps_ids = host->maps_ids;
        if (plan->rootless) {
                if (spec->host_uid_set && spec->host_uid != host->euid)
                        return nsl_fail(error, EPERM, "--host-uid", "", "only root can map another host user");
                if (spec->host_gid_set && spec->host_gid != host->egid)
                        return nsl_fail(error, EPERM, "--host-gid", "", "only root can map another host group");
                plan->host_uid = host->euid;
                plan->host_gid = host->egid;
                plan->uid = spec->uid_set ? spec->uid : host->euid;
                plan->gid = spec->gid_set ? spec->gid : host->egid;
        } else {
                /* Host root is mapped only when the caller names it. */
                plan->host_uid = spec->host_uid_set ? spec->host_uid
                                 : host->ids_reserved ? host->reserved_uid : OVERFLOW_ID;
                plan->host_gid = spec->host_gid_set ? spec->host_gid
                                 : host->ids_reserved ? host->reserved_gid : OVERFLOW_ID;
                plan->uid = spec->uid_set ? spec->uid : 0;
                plan->gid = spec->gid_set ? spec->gid : 0;
        }
        return 0;
}

static bool spec_mounts_at(const struct nsl_spec *spec, const char *dest)
{
        for (size_t i = 0; i < spec->n_mounts; i++)
                if (!strcmp(spec->mounts[i].dest, dest))
                        return true;
        return false;
}

static int push_mount(struct nsl_plan *plan, const struct nsl_mount *m, nsl_error *error)
{
        struct nsl_mount *to = &plan->mounts[plan->n_mounts];

        if (plan->n_mounts == NSL_MAX_MOUNTS)
                return nsl_fail(error, E2BIG, "mounts", "", "more than %d mounts", NSL_MAX_MOUNTS);
        *to = *m;
        to->source = m->source ? strdup(m->source) : NULL;
        to->dest = strdup(m->dest);
        to->content = m->content ? strdup(m->content) : NULL;
        if ((m->source && !to->source) || !to->dest || (m->content && !to->content)) {
                nsl_mount_clear(to);
                return nsl_fail(error, ENOMEM, "mounts", "", NULL);
        }
        plan->n_mounts++;
        return 0;
}

/* A node a spec lists by number: root makes it as asked (as runc does; the
 * owner, the container's root unless given, and the mode, 0666 unless
 * given, are the spec's), since the host may have no such node, or one of
 * another mode. */
static int push_made_device(struct nsl_plan *plan, const struct nsl_mount *m, nsl_error *error)
{
        struct nsl_mount made = *m;

        made.device.made = true;
        if (made.device.perm < 0)
                made.device.perm = 0666;
        if (made.device.uid < 0)
                made.device.uid = 0;
        if (made.device.gid < 0)
                made.device.gid = 0;
        return push_mount(plan, &made, error);
}

/* With the host's node it binds, and what that node must be; or made. */
static int push_device(struct nsl_plan *plan, const struct nsl_mount *m, nsl_error *error)
{
        struct nsl_mount resolved;
        int r;

        if (!m->source && !plan->rootless)
                return push_made_device(plan, m, error);
        if (m->device.type == S_IFIFO)
                return nsl_fail(error, EPERM, nsl_mount_option(m), m->dest, "a FIFO is made only by nslaunch run "
                                "as root (rootless, devices are binds of the host's nodes)");
        r = nsl_device_source(m, &resolved, error);

        if (r < 0)
                return r;
        r = push_mount(plan, &resolved, error);
        free(resolved.source);
        return r;
}

/* Last: over whatever the root or a caller's mount has there. */
static int plan_resolv_conf(const struct nsl_spec *spec, struct nsl_plan *plan, nsl_error *error)
{
        struct nsl_mount resolv = { .kind = NSL_MOUNT_FILE, .dest = NSL_RESOLV_CONF, .read_only = true,
                                    .option = "--dns" };
        _cleanup_free_ char *content = nsl_dns_resolv_conf(spec->dns, spec->n_dns);

        if (!content)
                return nsl_fail(error, ENOMEM, "--dns", "", NULL);
        resolv.content = content;
        return push_mount(plan, &resolv, error);
}

static int plan_mounts(const struct nsl_spec *spec, struct nsl_plan *plan, nsl_error *error)
{
        const struct nsl_mount tmp = { .kind = NSL_MOUNT_TMPFS, .dest = "/tmp", .size = DEFAULT_TMP_SIZE, .mode = 01777 };
        int r;

        plan->mounts = calloc(spec->n_mounts + 2, sizeof *plan->mounts);     /* + /tmp, resolv.conf */
        if (!plan->mounts)
                return nsl_fail(error, ENOMEM, "mounts", "", NULL);
        if (!spec->bundle_layout && !spec_mounts_at(spec, "/tmp") && (r = push_mount(plan, &tmp, error)) < 0)
                return r;
        /* The dev stage mounts /dev/shm with the rest of /dev, in the order an
         * OCI config lists them (pts, shm, mqueue), unless a mount replaces it. */
        if (plan->mount_dev && !spec_mounts_at(spec, "/dev/shm"))
                plan->dev_shm_size = DEFAULT_TMP_SIZE;
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct nsl_mount *m = &spec->mounts[i];
                struct stat st;

                if (m->kind == NSL_MOUNT_BIND && stat(m->source, &st) < 0)
                        return nsl_fail(error, errno, nsl_mount_option(m), m->source, NULL);
                if (m->kind == NSL_MOUNT_BIND && m->idmap == NSL_IDMAP_ON && plan->rootless)
                        return nsl_fail(error, EPERM, nsl_mount_option(m), m->source,
                                        ":idmap needs nslaunch run as root (rootless, the sandbox user is you: it "
                                        "reads and writes what you can; drop :idmap)");
                if ((r = m->kind == NSL_MOUNT_DEVICE ? push_device(plan, m, error) : push_mount(plan, m, error)) < 0)
                        return r;
        }
        return spec->n_dns ? plan_resolv_conf(spec, plan, error) : 0;
}

static int plan_root(const struct nsl_spec *spec, const struct nsl_host *host, struct nsl_plan *plan,
                     nsl_error *error)
{
        struct stat st;

        if (spec->rootfs) {
                if (stat(spec->rootfs, &st) < 0)
                        return nsl_fail(error, errno, "--rootfs", spec->rootfs, NULL);
                if (!S_ISDIR(st.st_mode))
                        return nsl_fail(error, ENOTDIR, "--rootfs", spec->rootfs, NULL);
                plan->rootfs = strdup(spec->rootfs);
                return plan->rootfs ? 0 : nsl_fail(error, ENOMEM, "--rootfs", spec->rootfs, NULL);
        }
        for (size_t i = 0; i < host->n_entries; i++) {
                const struct nsl_host_entry *e = &host->entries[i];
                struct nsl_host_entry *to = &plan->host_entries[plan->n_host_entries++];

                to->name = e->name;
                if (e->link_target && !(to->link_target = strdup(e->link_target)))
                        return nsl_fail(error, ENOMEM, "rootfs", e->name, NULL);
        }
        return 0;
}

/* Sets (or replaces) one rlimit. */
static void set_rlimit(struct nsl_rlimits *list, int resource, uint64_t soft, uint64_t hard)
{
        size_t i = 0;

        while (i < list->n && list->v[i].resource != resource)
                i++;
        if (i == ELEMENTSOF(list->v))
                return;
        list->v[i] = (struct nsl_rlimit){ .resource = resource, .soft = soft, .hard = hard };
        if (i == list->n)
                list->n++;
}

/* Safe defaults for plugins (no core dumps; bounded files and processes),
 * never above what nslaunch itself may raise to; the caller's --rlimit
 * values come after and win. */
static void plan_rlimits(const struct nsl_spec *spec, const struct nsl_host *host, struct nsl_plan *plan)
{
        static const struct { int resource; uint64_t value; } defaults[] = {
                { RLIMIT_CORE, 0 }, { RLIMIT_NOFILE, 4096 }, { RLIMIT_NPROC, 4096 },
        };
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
                const struct rlimit *cur = &host->rlimits[defaults[i].resource];
                uint64_t v = defaults[i].value;
                if (cur->rlim_max != RLIM_INFINITY && cur->rlim_max < v)
                        v = cur->rlim_max;
                set_rlimit(&plan->rlimits, defaults[i].resource, v, v);
        }
        for (size_t i = 0; i < spec->n_rlimits; i++)
                set_rlimit(&plan->rlimits, spec->rlimits[i].resource, spec->rlimits[i].soft, spec->rlimits[i].hard);
}

static int cmp_int(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

/* A socket the sandbox sends one message with an fd on, to a peer of the
 * caller's (the console's master, a seccomp listener). */
static int check_peer_socket(const struct nsl_plan *plan, int fd, const char *what, nsl_error *error)
{
        int domain = 0, type = 0;
        socklen_t len = sizeof domain;
        char num[16];

        snprintf(num, sizeof num, "%d", fd);
        if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
                return nsl_fail(error, errno, what, num, "not a socket");
        len = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || domain != AF_UNIX || type != SOCK_STREAM)
                return nsl_fail(error, ENOTSOCK, what, num, "not a unix stream socket");
        for (size_t i = 0; i < plan->n_keep_fds; i++)
                if (plan->keep_fds[i] == fd)
                        return nsl_fail(error, EINVAL, what, num, "is also a --keep-fd");
        return 0;
}

/* The engine's end of the console (conmon, containerd's shim) listens on a
 * stream socket and takes one fd from one message. */
static int plan_console(const struct nsl_spec *spec, struct nsl_plan *plan, nsl_error *error)
{
        plan->console_socket = spec->console_socket;
        plan->console_rows = spec->console_rows;
        plan->console_cols = spec->console_cols;
        if (plan->console_socket < 0)
                return 0;
        return check_peer_socket(plan, plan->console_socket, "console-socket", error);
}

/* Only a filter that hands calls out needs the agent (runc connects to it
 * only then too), and it cannot do without one: a notified call with no
 * listener fails with ENOSYS, which no profile asked for. */
static int plan_seccomp_agent(const struct nsl_spec *spec, struct nsl_plan *plan, nsl_error *error)
{
        struct nsl_agent_plan *agent = &plan->seccomp_agent;
        int r;

        *agent = (struct nsl_agent_plan){ .socket = -1 };
        if (!nsl_agent_filter_notifies(plan->seccomp.filter, plan->seccomp.len))
                return 0;
        if (spec->seccomp_agent < 0)
                return nsl_fail(error, EINVAL, "--seccomp", spec->seccomp_path ? spec->seccomp_path : "",
                                "SCMP_ACT_NOTIFY hands calls to a seccomp agent, and none was given (an OCI "
                                "config's linux.seccomp.listenerPath, for nslaunch-runc)");
        if (plan->seccomp.notify)
                return nsl_fail(error, EINVAL, "--seccomp-report", "", "the profile's SCMP_ACT_NOTIFY calls are its "
                                                                      "agent's to answer, not a report's");
        if ((r = check_peer_socket(plan, spec->seccomp_agent, "seccomp-agent", error)) < 0)
                return r;
        agent->metadata = strdup(spec->seccomp_agent_metadata);
        agent->state = strdup(spec->seccomp_agent_state);
        if (!agent->metadata || !agent->state)
                return nsl_fail(error, ENOMEM, "seccomp-agent", "", NULL);
        agent->socket = spec->seccomp_agent;
        return 0;
}

static int plan_fds(const struct nsl_spec *spec, struct nsl_plan *plan, nsl_error *error)
{
        for (int i = 0; i < 3; i++) {
                int r = (plan->stdio[i] = spec->stdio[i]) >= 0 ? nsl_fd_usable_as_stdio(plan->stdio[i]) : 0;
                char num[16];
                snprintf(num, sizeof num, "%d", plan->stdio[i]);
                if (r == -EBADF)
                        return nsl_fail(error, EBADF, "stdio", num, "not an open file descriptor");
                if (r < 0)
                        return nsl_fail(error, -r, "stdio", num, "a directory: the command would reach the host's "
                                                                "files beneath it");
        }
        for (size_t i = 0; i < spec->n_keep_fds; i++) {
                char num[16];
                if (fcntl(spec->keep_fds[i], F_GETFD) < 0) {
                        snprintf(num, sizeof num, "%d", spec->keep_fds[i]);
                        return nsl_fail(error, errno, "--keep-fd", num, "not an open file descriptor");
                }
                plan->keep_fds[plan->n_keep_fds++] = spec->keep_fds[i];
        }
        qsort(plan->keep_fds, plan->n_keep_fds, sizeof(int), cmp_int);
        return plan_console(spec, plan, error);
}

/* The host names a joined UTS namespace and writes a joined namespace's
 * sysctls; in the caller's own it would change the caller's: refused. */
static int refuse_changing_callers_own(const struct nsl_spec *spec, int k, const char *path, nsl_error *error)
{
        const char *option = nsl_join_kinds[k].option;

        if (k == NSL_JOIN_UTS && (spec->hostname_set || spec->domainname))
                return nsl_fail(error, EPERM, option, path,
                                "the caller's own UTS namespace: a hostname or domainname would rename the host");
        for (size_t i = 0; i < spec->n_sysctls; i++)
                if (nsl_sysctl_join_kind(spec->sysctls[i]) == k)
                        return nsl_fail(error, EPERM, "sysctl", spec->sysctls[i],
                                        "%s is the caller's own namespace: it would change the host's", path);
        return 0;
}

/* The sandbox is born in the namespaces it joins: clone3 makes none of
 * their kind. */
static int plan_joined(const struct nsl_spec *spec, struct nsl_plan *plan, nsl_error *error)
{
        struct stat st;

        for (int k = 0; k < NSL_JOIN_N; k++) {
                const struct nsl_join_kind *kind = &nsl_join_kinds[k];
                const char *path = spec->join_ns[k];

                if (!path)
                        continue;
                /* setns takes CAP_SYS_ADMIN over the namespace's owner,
                 * which a namespace's root that maps ids (rootless
                 * podman's runtime) has over its containers' */
                if (plan->rootless && !plan->maps_ids)
                        return nsl_fail(error, EPERM, kind->option, path,
                                        "joining a %s namespace needs nslaunch run as root, or as the root of a "
                                        "user namespace that maps other ids (rootless podman's runtime)", kind->type);
                if (k == NSL_JOIN_NET && spec->network_host)
                        return nsl_fail(error, EINVAL, kind->option, path, "conflicts with the host's network");
                if (stat(path, &st) < 0)
                        return nsl_fail(error, errno, kind->option, path, NULL);
                int r = nsl_join_is_callers_own(k, &st) ? refuse_changing_callers_own(spec, k, path, error) : 0;
                if (r < 0)
                        return r;
                if (!(plan->join_ns[k] = strdup(path)))
                        return nsl_fail(error, ENOMEM, kind->option, path, NULL);
                plan->clone_flags &= ~(uint64_t)kind->clone_flag;
        }
        /* a joined UTS namespace keeps its name unless one is given */
        if (plan->join_ns[NSL_JOIN_UTS] && !spec->hostname_set) {
                free(plan->hostname);
                plan->hostname = NULL;
        }
        return 0;
}

/* A command that is init has nobody in the sandbox to take what init does
 * after the execve: ask for those, and init must stay. In a shared pid
 * namespace, which does not end with init, init is the subreaper that ends
 * what the command leaves. */
static int plan_command_as_init(const struct nsl_spec *spec, const struct nsl_host *host, const struct nsl_plan *plan,
                                nsl_error *error)
{
        const char *needs = spec->command_at_start                      ? "a command given at start"
                            : spec->timeout_ms                          ? "a timeout"
                            : spec->seccomp_report || spec->seccomp_learn ? "--seccomp-report or learning"
                            : plan->net.private                         ? "a private network"
                            : plan->join_ns[NSL_JOIN_PID]               ? "a shared pid namespace"
                            : host->ids_reserved                        ? "host ids reserved for the sandbox"
                                                                        : NULL;

        if (!spec->command_as_init || !needs)
                return 0;
        return nsl_fail(error, EINVAL, "command-as-init", "", "%s needs nslaunch's init to stay the sandbox's pid 1",
                        needs);
}

/* A joined pid namespace outlives init: what a SIGKILLed init leaves, the
 * sandbox's cgroup finds and ends, so it must surely have one. */
static int plan_shared_pid_cgroup(const struct nsl_spec *spec, const struct nsl_plan *plan, nsl_error *error)
{
        const char *path = plan->join_ns[NSL_JOIN_PID];

        if (!path || spec->cgroup_path || (nsl_cgroup_limits_any(&plan->limits) && !plan->limits_best_effort))
                return 0;
        return nsl_fail(error, EINVAL, nsl_join_kinds[NSL_JOIN_PID].option, path,
                        "a joined pid namespace needs a cgroup of the sandbox's own (a limit, or a cgroup path), "
                        "which ends what the sandbox leaves in it");
}

/* What the child and the host's side need of the spec, copied. */
static int copy_from_spec(const struct nsl_spec *spec, struct nsl_plan *plan, nsl_error *error)
{
        size_t n = 0;

        for (char *const *a = spec->command_at_start ? NULL : spec->argv; a && *a; a++)
                if (nsl_strv_push(&plan->argv, &n, *a) < 0)
                        return nsl_fail(error, ENOMEM, "run", "", NULL);
        plan->hostname = strdup(spec->hostname);
        plan->cwd = strdup(spec->cwd);
        plan->start_fifo = spec->start_fifo ? strdup(spec->start_fifo) : NULL;
        if (!plan->hostname || !plan->cwd || (spec->start_fifo && !plan->start_fifo))
                return nsl_fail(error, ENOMEM, "run", "", NULL);
        plan->command_at_start = spec->command_at_start;
        plan->command_as_init = spec->command_as_init;
        plan->rw_root = spec->rw_root;
        plan->network_host = spec->network_host;
        plan->proc_full = spec->proc == NSL_PROC_FULL;
        plan->mount_proc = !spec->bundle_layout || spec->proc_set;
        plan->mount_dev = !spec->bundle_layout || spec->dev;
        plan->devpts_gid_set = spec->devpts_gid_set;
        plan->devpts_gid = spec->devpts_gid;
        plan->binds_listed_in_order = spec->bundle_layout;
        plan->pause_when_root_built = spec->root_built != NULL;
        plan->caps = spec->caps;
        plan->timeout_ms = spec->timeout_ms;
        plan->kill_after_ms = spec->kill_after_ms;
        plan->forward = spec->forward;
        plan->forward_set = spec->forward_set;
        plan->seccomp_learn = spec->seccomp_learn;
        plan->limits_best_effort = spec->limits_best_effort;
        plan->warn = spec->warn;
        plan->warn_data = spec->warn_data;
        return 0;
}

static const struct nsl_id_range *range_of(const struct nsl_id_range *maps, size_t n, uint32_t id)
{
        for (size_t i = 0; i < n; i++)
                if (id >= maps[i].inside && id - maps[i].inside < maps[i].count)
                        return &maps[i];
        return NULL;
}

/* The caller's map lines replace the single mapping. A caller without
 * CAP_SETUID and CAP_SETGID in its namespace (nsl_host_maps_ids) may write
 * one line only, its own id, count 1 (and setgroups denied). */
static int plan_id_map(const struct nsl_id_range *given, size_t n_given, bool own_id_only, uint32_t own,
                       bool id_set, uint32_t *id, uint32_t *host_id, struct nsl_id_range *maps, size_t *n_maps,
                       const char *what, nsl_error *error)
{
        const struct nsl_id_range *r;

        if (n_given == 0) {
                maps[0] = (struct nsl_id_range){ *id, *host_id, 1 };
                *n_maps = 1;
                return 0;
        }
        for (size_t i = 0; own_id_only && i < n_given; i++)
                if (n_given > 1 || given[i].count != 1 || given[i].outside != own)
                        return nsl_fail(error, EPERM, what, "",
                                        "%u %u %u: rootless, the kernel lets you map only your own id (%u), one "
                                        "line of count 1", given[i].inside, given[i].outside, given[i].count, own);
        if (!id_set)
                *id = range_of(given, n_given, 0) ? 0 : given[0].inside;
        if (!(r = range_of(given, n_given, *id)))
                return nsl_fail(error, EINVAL, what, "", "the sandbox's id %u is not mapped", *id);
        *host_id = r->outside + (*id - r->inside);
        memcpy(maps, given, n_given * sizeof *given);
        *n_maps = n_given;
        return 0;
}

static int plan_ids_and_groups(const struct nsl_spec *spec, const struct nsl_host *host, struct nsl_plan *plan,
                               nsl_error *error)
{
        int r = plan_id_map(spec->uid_maps, spec->n_uid_maps, !plan->maps_ids, plan->host_uid, spec->uid_set,
                            &plan->uid, &plan->host_uid, plan->uid_maps, &plan->n_uid_maps, "uid-map", error);

        if (r < 0 || (r = plan_id_map(spec->gid_maps, spec->n_gid_maps, !plan->maps_ids, plan->host_gid, spec->gid_set,
                                      &plan->gid, &plan->host_gid, plan->gid_maps, &plan->n_gid_maps, "gid-map",
                                      error)) < 0)
                return r;
        if (spec->n_groups && !plan->maps_ids)
                return nsl_fail(error, EPERM, "group", "",
                                "rootless, the kernel denies setgroups in the user namespace (supplementary groups "
                                "need nslaunch run as root)");
        for (size_t i = 0; i < spec->n_groups && !host->joining; i++)
                if (!range_of(plan->gid_maps, plan->n_gid_maps, spec->groups[i]))
                        return nsl_fail(error, EINVAL, "group", "", "%u is not mapped by the gid map",
                                        (unsigned)spec->groups[i]);
        plan->maps_given = spec->n_uid_maps || spec->n_gid_maps;
        memcpy(plan->groups, spec->groups, spec->n_groups * sizeof *spec->groups);
        plan->n_groups = spec->n_groups;
        /* The caller's groups were dropped across clone3 (launch.c), so
         * allowing setgroups gives the sandbox nothing to shed: it only lets
         * it take gids of its own map. */
        plan->setgroups_allowed = plan->maps_ids && (spec->n_gid_maps || spec->n_groups);
        return 0;
}

static int copy_strv(char **from, size_t n, char ***to, size_t *n_to, const char *what, nsl_error *error)
{
        for (size_t i = 0; i < n; i++)
                if (nsl_strv_push(to, n_to, from[i]) < 0)
                        return nsl_fail(error, ENOMEM, what, from[i], NULL);
        return 0;
}

/* A profile is asked for at the command's execve (sandbox/apparmor.c); one
 * that could never be applied is refused, never dropped. */
static int plan_apparmor(const struct nsl_spec *spec, const struct nsl_host *host, struct nsl_plan *plan,
                         nsl_error *error)
{
        if (!spec->apparmor_profile)
                return 0;
        if (!host->apparmor)
                return nsl_fail(error, EOPNOTSUPP, "apparmor", spec->apparmor_profile,
                                "AppArmor is not enabled on this host: the profile cannot be applied");
        if (!(plan->apparmor_profile = strdup(spec->apparmor_profile)))
                return nsl_fail(error, ENOMEM, "apparmor", spec->apparmor_profile, NULL);
        return 0;
}

/* A cgroup below init's is where an exec goes; a launch makes init's. */
static int plan_exec_cgroups(const struct nsl_spec *spec, const struct nsl_host *host, struct nsl_plan *plan,
                             nsl_error *error)
{
        if (spec->n_exec_cgroups && !host->joining)
                return nsl_fail(error, EINVAL, "--cgroup", spec->exec_cgroups[0],
                                "a cgroup below the container's is for exec, not for a launch");
        return copy_strv(spec->exec_cgroups, spec->n_exec_cgroups, &plan->exec_cgroups, &plan->n_exec_cgroups,
                         "--cgroup", error);
}

/* What an OCI bundle asks of the sandbox's layout and kernel settings. */
static int plan_bundle(const struct nsl_spec *spec, struct nsl_plan *plan, nsl_error *error)
{
        int r;

        plan->mount_sysfs = spec->sysfs;
        plan->mount_cgroupfs = spec->cgroupfs;
        if ((r = copy_strv(spec->readonly_paths, spec->n_readonly_paths, &plan->readonly_paths,
                           &plan->n_readonly_paths, "readonly-path", error)) < 0 ||
            (r = copy_strv(spec->masked_paths, spec->n_masked_paths, &plan->masked_paths, &plan->n_masked_paths,
                           "masked-path", error)) < 0 ||
            (r = copy_strv(spec->sysctls, spec->n_sysctls, &plan->sysctls, &plan->n_sysctls, "sysctl", error)) < 0)
                return r;
        for (size_t i = 0; i < spec->n_sysctls; i++)
                if (nsl_sysctl_join_kind(spec->sysctls[i]) == NSL_JOIN_NET && spec->network_host)
                        return nsl_fail(error, EPERM, "sysctl", spec->sysctls[i],
                                        "with the host's network it would change the host's");
        if ((r = plan_joined(spec, plan, error)) < 0)
                return r;
        if (spec->domainname && !(plan->domainname = strdup(spec->domainname)))
                return nsl_fail(error, ENOMEM, "domainname", spec->domainname, NULL);
        plan->oom_score_adj_set = spec->oom_score_adj_set;
        plan->oom_score_adj = spec->oom_score_adj;
        plan->new_privs_allowed = spec->new_privs_allowed;
        plan->root_propagation = spec->root_propagation;
        plan->root_propagation_recursive = spec->root_propagation_recursive;
        plan->umask_set = spec->umask_set;
        plan->umask = spec->umask;
        return 0;
}

int nsl_plan_cgroup_limits(const struct nsl_spec *spec, struct nsl_cgroup_limits *limits, nsl_error *error)
{
        *limits = (struct nsl_cgroup_limits){
                .memory = spec->memory, .memory_swap = spec->memory_swap,
                .cpu_quota_us = spec->cpu_quota_us, .cpu_period_us = spec->cpu_period_us,
                .cpu_rt_runtime_us = spec->cpu_rt_runtime_us, .cpu_rt_period_us = spec->cpu_rt_period_us, .pids = spec->pids, .cpu_shares = spec->cpu_shares,
                .memory_reservation = spec->memory_reservation, .memory_kernel_tcp = spec->memory_kernel_tcp,
                .memory_swappiness = spec->memory_swappiness,
                .memory_swappiness_set = spec->memory_swappiness_set, .oom_kill_disable = spec->oom_kill_disable,
        };
        if (spec->memory_swap && spec->memory_swap < spec->memory)
                return nsl_fail(error, EINVAL, "--memory-swap", "", "must be at least --memory (it is memory plus swap)");
        /* as runc's: memory without limit is memory and swap without limit */
        if (spec->memory == NSL_MEMORY_MAX && !spec->memory_swap)
                limits->memory_swap = NSL_MEMORY_MAX;
        /* the setters checked their length */
        snprintf(limits->cpuset_cpus, sizeof limits->cpuset_cpus, "%s", spec->cpuset_cpus ? spec->cpuset_cpus : "");
        snprintf(limits->cpuset_mems, sizeof limits->cpuset_mems, "%s", spec->cpuset_mems ? spec->cpuset_mems : "");
        memcpy(limits->device_rules, spec->device_rules, spec->n_device_rules * sizeof spec->device_rules[0]);
        limits->n_device_rules = spec->n_device_rules;
        memcpy(limits->hugepages, spec->hugepages, spec->n_hugepages * sizeof spec->hugepages[0]);
        limits->n_hugepages = spec->n_hugepages;
        limits->blkio_weight = spec->blkio_weight;
        memcpy(limits->io_throttles, spec->io_throttles, spec->n_io_throttles * sizeof spec->io_throttles[0]);
        limits->n_io_throttles = spec->n_io_throttles;
        return copy_strv(spec->cgroup_v2_files, spec->n_cgroup_v2_files, &limits->v2_files, &limits->n_v2_files,
                         "--cgroup-file", error);
}

bool nsl_network_own(const struct nsl_plan *plan)
{
        return !plan->network_host && !plan->join_ns[NSL_JOIN_NET];
}

int nsl_plan_build(const struct nsl_spec *spec, const struct nsl_host *host, struct nsl_plan *plan, nsl_error *error)
{
        int r;

        *plan = (struct nsl_plan){ 0 };
        if (!spec->argv && !spec->command_at_start)
                return nsl_fail(error, EINVAL, "run", "", "no command given");
        if (spec->command_at_start && spec->start_fifo)
                return nsl_fail(error, EINVAL, "start-fifo", spec->start_fifo,
                                "a sandbox whose command comes at start is started through its handle");

        plan->clone_flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;

        if ((r = copy_from_spec(spec, plan, error)) < 0 ||
            (r = resolve_ids(spec, host, plan, error)) < 0 ||
            (r = plan_ids_and_groups(spec, host, plan, error)) < 0 ||
            (r = plan_bundle(spec, plan, error)) < 0 ||
            (r = plan_apparmor(spec, host, plan, error)) < 0 ||
            (r = plan_exec_cgroups(spec, host, plan, error)) < 0 ||
            (r = nsl_net_plan_build(spec, plan->rootless, &plan->net, error)) < 0 ||
            (r = build_env(spec, plan, error)) < 0 ||
            (r = plan_root(spec, host, plan, error)) < 0 ||
            (r = plan_mounts(spec, plan, error)) < 0 ||
            (r = plan_fds(spec, plan, error)) < 0)
                return r;
        /* A network of lo alone comes with the clone; a private one is made
         * by init's helper, beside the root's set-up (sandbox/network.c). */
        if (nsl_network_own(plan) && !plan->net.private)
                plan->clone_flags |= CLONE_NEWNET;
        plan_rlimits(spec, host, plan);
        /* a new cgroup's memory has no limit, below which no swap limit could be */
        if (spec->memory_swap && spec->memory_swap != NSL_MEMORY_MAX && !spec->memory)
                return nsl_fail(error, EINVAL, "--memory-swap", "", "needs --memory");
        if ((r = nsl_plan_cgroup_limits(spec, &plan->limits, error)) < 0 ||
            (r = plan_shared_pid_cgroup(spec, plan, error)) < 0 ||
            (r = plan_command_as_init(spec, host, plan, error)) < 0)
                return r;
        plan->fallback_rlimits = plan->rlimits;
        if (spec->memory)
                set_rlimit(&plan->fallback_rlimits, RLIMIT_AS, spec->memory, spec->memory);
        if (spec->pids)
                set_rlimit(&plan->fallback_rlimits, RLIMIT_NPROC, spec->pids, spec->pids);

        if ((r = nsl_landlock_plan(spec, plan, error)) < 0 ||
            (r = nsl_sc_select(spec, &plan->seccomp, error)) < 0)
                return r;
        return plan_seccomp_agent(spec, plan, error);
}

void nsl_plan_free(struct nsl_plan *plan)
{
        nsl_strv_free(plan->argv);
        nsl_strv_free(plan->envp);
        free(plan->rootfs);
        for (size_t i = 0; i < plan->n_host_entries; i++)
                free(plan->host_entries[i].link_target);
        for (size_t i = 0; i < plan->n_mounts; i++)
                nsl_mount_clear(&plan->mounts[i]);
        free(plan->mounts);
        free(plan->hostname);
        free(plan->apparmor_profile);
        free(plan->cwd);
        free(plan->start_fifo);
        nsl_strv_free(plan->readonly_paths);
        nsl_strv_free(plan->masked_paths);
        nsl_strv_free(plan->sysctls);
        nsl_strv_free(plan->exec_cgroups);
        nsl_strv_free(plan->limits.v2_files);
        for (int k = 0; k < NSL_JOIN_N; k++)
                free(plan->join_ns[k]);
        nsl_net_plan_free(&plan->net);
        free(plan->domainname);
        nsl_sc_choice_free(&plan->seccomp);
        nsl_agent_plan_free(&plan->seccomp_agent);
        nsl_landlock_free(&plan->landlock);
        *plan = (struct nsl_plan){ 0 };
}

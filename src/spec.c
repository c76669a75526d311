#include "spec.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "error.h"
#include "capnames.h"
#include "cgroup/cgroup.h"
#include "json.h"
#include "user.h"

#define DEFAULT_HOSTNAME "sandbox"
#define DEFAULT_KILL_AFTER_MS 2000
#define MAX_ID 4294967294ULL    /* (uid_t)-1 is "no id" */

nsl_spec *nsl_spec_new(void)
{
        nsl_spec *spec = calloc(1, sizeof *spec);
        if (!spec)
                return NULL;
        spec->kill_after_ms = DEFAULT_KILL_AFTER_MS;
        spec->status_fd = -1;
        spec->stdio[0] = spec->stdio[1] = spec->stdio[2] = -1;
        spec->console_socket = -1;
        spec->seccomp_agent = -1;
        spec->hostname = strdup(DEFAULT_HOSTNAME);
        spec->cwd = strdup("/");
        if (!spec->hostname || !spec->cwd) {
                nsl_spec_free(spec);
                return NULL;
        }
        return spec;
}

void nsl_spec_free(nsl_spec *spec)
{
        if (!spec)
                return;
        nsl_strv_free(spec->argv);
        free(spec->rootfs);
        free(spec->start_fifo);
        for (size_t i = 0; i < spec->n_mounts; i++)
                nsl_mount_clear(&spec->mounts[i]);
        free(spec->mounts);
        free(spec->hostname);
        free(spec->apparmor_profile);
        nsl_strv_free(spec->env);
        nsl_strv_free(spec->env_files);
        nsl_strv_free(spec->image_env);
        free(spec->cwd);
        free(spec->seccomp_path);
        free(spec->seccomp_agent_metadata);
        free(spec->seccomp_agent_state);
        free(spec->seccomp_cache);
        free(spec->cgroup_parent);
        free(spec->cgroup_path);
        free(spec->systemd_scope);
        free(spec->cpuset_cpus);
        free(spec->cpuset_mems);
        free(spec->status_path);
        nsl_strv_free(spec->masked_paths);
        nsl_strv_free(spec->readonly_paths);
        nsl_strv_free(spec->sysctls);
        nsl_strv_free(spec->exec_cgroups);
        nsl_strv_free(spec->cgroup_v2_files);
        for (int k = 0; k < NSL_JOIN_N; k++)
                free(spec->join_ns[k]);
        free(spec->egress);
        free(spec->domainname);
        free(spec);
}

static int replace_string(char **slot, const char *value, const char *opt, nsl_error *error)
{
        char *copy = strdup(value);
        if (!copy)
                return nsl_fail(error, ENOMEM, opt, value, NULL);
        free(*slot);
        *slot = copy;
        return 0;
}

int nsl_spec_set_command(nsl_spec *spec, char *const argv[], nsl_error *error)
{
        char **v = NULL;
        size_t n = 0;

        if (!argv || !argv[0] || !argv[0][0])
                return nsl_fail(error, EINVAL, "run", "", "no command given (usage: nslaunch run [OPTIONS] -- CMD [ARGS...])");
        for (; *argv; argv++)
                if (nsl_strv_push(&v, &n, *argv) < 0) {
                        nsl_strv_free(v);
                        return nsl_fail(error, ENOMEM, "run", "", NULL);
                }
        nsl_strv_free(spec->argv);
        spec->argv = v;
        return 0;
}

int nsl_spec_set_rootfs(nsl_spec *spec, const char *dir, nsl_error *error)
{
        if (!dir || dir[0] != '/')
                return nsl_fail(error, EINVAL, "--rootfs", dir ? dir : "", "must be an absolute path");
        return replace_string(&spec->rootfs, dir, "--rootfs", error);
}

void nsl_spec_set_rw_root(nsl_spec *spec, bool rw) { spec->rw_root = rw; }

static int add_mount(nsl_spec *spec, struct nsl_mount *m, const char *opt, nsl_error *error)
{
        struct nsl_mount *nm;

        if (!strcmp(m->dest, "/proc") || !strncmp(m->dest, "/proc/", 6)) {
                nsl_fail(error, EINVAL, opt, m->dest, "/proc belongs to the sandbox's own procfs");
                nsl_mount_clear(m);
                return -EINVAL;
        }
        nm = realloc(spec->mounts, (spec->n_mounts + 1) * sizeof *nm);
        if (!nm) {
                nsl_mount_clear(m);
                return nsl_fail(error, ENOMEM, opt, "", NULL);
        }
        spec->mounts = nm;
        spec->mounts[spec->n_mounts++] = *m;
        return 0;
}

int nsl_spec_add_tmpfs(nsl_spec *spec, const char *value, nsl_error *error)
{
        struct nsl_mount m;
        int r = nsl_parse_tmpfs(value, &m, error);
        return r < 0 ? r : add_mount(spec, &m, "--tmpfs", error);
}

int nsl_spec_add_bind(nsl_spec *spec, const char *value, bool read_only, nsl_error *error)
{
        struct nsl_mount m;
        int r = nsl_parse_bind(value, read_only, &m, error);
        return r < 0 ? r : add_mount(spec, &m, read_only ? "--ro-bind" : "--bind", error);
}

int nsl_spec_add_mount(nsl_spec *spec, const char *value, nsl_error *error)
{
        struct nsl_mount m;
        int r = nsl_parse_mount_csv(value, &m, error);
        return r < 0 ? r : add_mount(spec, &m, "--mount", error);
}

int nsl_spec_add_device(nsl_spec *spec, const char *value, nsl_error *error)
{
        struct nsl_mount m;
        int r = nsl_parse_device(value, &m, error);
        return r < 0 ? r : add_mount(spec, &m, "--device", error);
}

int nsl_spec_add_device_node(nsl_spec *spec, const nsl_device_node *node, nsl_error *error)
{
        struct nsl_mount m = { .kind = NSL_MOUNT_DEVICE, .option = "device" };
        const char *path = node->path ? node->path : "";
        int r;

        if (node->type != 'c' && node->type != 'u' && node->type != 'b' && node->type != 'p')
                return nsl_fail(error, EINVAL, "device", path, "type %c: expected c, u, b or p",
                                node->type ? node->type : '?');
        if (node->file_mode < -1 || node->file_mode > 07777)
                return nsl_fail(error, EINVAL, "device", path, "file mode %o is not permission bits",
                                (unsigned)node->file_mode);
        r = nsl_normalize_dest(path, &m.dest);
        if (r < 0)
                return nsl_fail_errno(error, -r, false, "device", path,
                                      "must be an absolute path other than / without '..'");
        m.device = (struct nsl_device_want){ .type = nsl_device_type(node->type),
                                             .rdev = node->type == 'p' ? 0 : makedev(node->major, node->minor),
                                             .perm = node->file_mode, .uid = node->uid, .gid = node->gid };
        return add_mount(spec, &m, "device", error);
}

int nsl_spec_set_network(nsl_spec *spec, const char *mode, nsl_error *error)
{
        bool host = mode && !strcmp(mode, "host"), private = mode && !strcmp(mode, "private");

        if (!host && !private && !(mode && !strcmp(mode, "none")))
                return nsl_fail(error, EINVAL, "--network", mode ? mode : "", "expected none, private or host");
        spec->network_host = host;
        spec->network_private = private;
        return 0;
}

int nsl_spec_add_allow_egress(nsl_spec *spec, const char *dest, nsl_error *error)
{
        struct nsl_egress e, *grown;
        int r = nsl_egress_parse(dest, &e, error);

        if (r < 0)
                return r;
        if (spec->n_egress == NSL_MAX_EGRESS)
                return nsl_fail(error, E2BIG, "--allow-egress", dest, "more than %d destinations", NSL_MAX_EGRESS);
        if (!(grown = realloc(spec->egress, (spec->n_egress + 1) * sizeof *grown)))
                return nsl_fail(error, ENOMEM, "--allow-egress", dest, NULL);
        spec->egress = grown;
        spec->egress[spec->n_egress++] = e;
        return 0;
}

int nsl_spec_add_dns(nsl_spec *spec, const char *address, nsl_error *error)
{
        struct nsl_dns dns;
        int r = nsl_dns_parse(address, &dns, error);

        if (r < 0)
                return r;
        if (spec->n_dns == NSL_MAX_DNS)
                return nsl_fail(error, E2BIG, "--dns", address, "more than %d resolvers (the C library reads no more)",
                                NSL_MAX_DNS);
        spec->dns[spec->n_dns++] = dns;
        return 0;
}

static int parse_id(const char *value, const char *opt, uint32_t *out, nsl_error *error)
{
        uint64_t v;
        if (nsl_parse_uint(value, MAX_ID, &v) < 0)
                return nsl_fail(error, EINVAL, opt, value ? value : "", "expected a number from 0 to %llu",
                                (unsigned long long)MAX_ID);
        *out = (uint32_t)v;
        return 0;
}

int nsl_spec_set_uid(nsl_spec *spec, const char *value, nsl_error *error)
{
        int r = parse_id(value, "--uid", &spec->uid, error);
        spec->uid_set = r == 0;
        return r;
}

int nsl_spec_set_gid(nsl_spec *spec, const char *value, nsl_error *error)
{
        int r = parse_id(value, "--gid", &spec->gid, error);
        spec->gid_set = r == 0;
        return r;
}

int nsl_spec_set_user(nsl_spec *spec, const char *user, nsl_error *error)
{
        uid_t uid;
        gid_t gid;
        int r = nsl_user_resolve(spec->rootfs, user, "--user", &uid, &gid, error);

        if (r < 0)
                return r;
        spec->uid = uid;
        spec->gid = gid;
        spec->uid_set = spec->gid_set = true;
        return 0;
}

int nsl_spec_set_host_uid(nsl_spec *spec, const char *value, nsl_error *error)
{
        int r = parse_id(value, "--host-uid", &spec->host_uid, error);
        spec->host_uid_set = r == 0;
        return r;
}

int nsl_spec_set_host_gid(nsl_spec *spec, const char *value, nsl_error *error)
{
        int r = parse_id(value, "--host-gid", &spec->host_gid, error);
        spec->host_gid_set = r == 0;
        return r;
}

int nsl_spec_set_hostname(nsl_spec *spec, const char *name, nsl_error *error)
{
        size_t len = name ? strlen(name) : 0;

        if (len == 0 || len > 64)
                return nsl_fail(error, EINVAL, "--hostname", name ? name : "", "must be 1 to 64 characters");
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '-' || *p == '.'))
                        return nsl_fail(error, EINVAL, "--hostname", name, "only letters, digits, '-' and '.' are allowed");
        int r = replace_string(&spec->hostname, name, "--hostname", error);
        spec->hostname_set |= r == 0;
        return r;
}

int nsl_spec_set_proc(nsl_spec *spec, const char *mode, nsl_error *error)
{
        if (mode && !strcmp(mode, "pid"))
                spec->proc = NSL_PROC_PID;
        else if (mode && !strcmp(mode, "full"))
                spec->proc = NSL_PROC_FULL;
        else
                return nsl_fail(error, EINVAL, "--proc", mode ? mode : "", "expected pid or full");
        spec->proc_set = true;
        return 0;
}

int nsl_spec_add_env(nsl_spec *spec, const char *assignment, nsl_error *error)
{
        if (!nsl_env_assignment_valid(assignment))
                return nsl_fail(error, EINVAL, "--env", assignment ? assignment : "",
                                "expected KEY=VALUE with KEY made of letters, digits and '_'");
        if (nsl_strv_push(&spec->env, &spec->n_env, assignment) < 0)
                return nsl_fail(error, ENOMEM, "--env", assignment, NULL);
        return 0;
}

int nsl_spec_add_env_file(nsl_spec *spec, const char *path, nsl_error *error)
{
        if (!path || !*path)
                return nsl_fail(error, EINVAL, "--env-file", "", "empty path");
        if (nsl_strv_push(&spec->env_files, &spec->n_env_files, path) < 0)
                return nsl_fail(error, ENOMEM, "--env-file", path, NULL);
        return 0;
}

void nsl_spec_set_keep_env(nsl_spec *spec, bool keep) { spec->keep_env = keep; }

int nsl_spec_set_cwd(nsl_spec *spec, const char *dir, nsl_error *error)
{
        if (!dir || dir[0] != '/')
                return nsl_fail(error, EINVAL, "--cwd", dir ? dir : "", "must be an absolute path inside the sandbox");
        spec->cwd_set = true;
        return replace_string(&spec->cwd, dir, "--cwd", error);
}

int nsl_spec_add_cap(nsl_spec *spec, const char *name, nsl_error *error)
{
        int cap = nsl_cap_number(name);
        if (cap < 0)
                return nsl_fail(error, EINVAL, "--cap-add", name ? name : "", "unknown capability");
        spec->caps |= 1ULL << cap;
        return 0;
}

int nsl_spec_add_keep_fd(nsl_spec *spec, const char *value, nsl_error *error)
{
        uint64_t fd;

        if (nsl_parse_uint(value, INT_MAX, &fd) < 0)
                return nsl_fail(error, EINVAL, "--keep-fd", value ? value : "", "expected a file descriptor number");
        if (fd <= 2)
                return nsl_fail(error, EINVAL, "--keep-fd", value, "0, 1 and 2 are always passed");
        if (spec->n_keep_fds == NSL_MAX_KEEP_FDS)
                return nsl_fail(error, E2BIG, "--keep-fd", value, "at most %d descriptors", NSL_MAX_KEEP_FDS);
        for (size_t i = 0; i < spec->n_keep_fds; i++)
                if (spec->keep_fds[i] == (int)fd)
                        return 0;
        spec->keep_fds[spec->n_keep_fds++] = (int)fd;
        return 0;
}

int nsl_spec_set_timeout(nsl_spec *spec, const char *seconds, nsl_error *error)
{
        if (nsl_parse_seconds(seconds, &spec->timeout_ms) < 0 || spec->timeout_ms == 0)
                return nsl_fail(error, EINVAL, "--timeout", seconds ? seconds : "",
                                "expected seconds greater than 0, e.g. 30 or 0.5");
        return 0;
}

int nsl_spec_set_kill_after(nsl_spec *spec, const char *seconds, nsl_error *error)
{
        if (nsl_parse_seconds(seconds, &spec->kill_after_ms) < 0)
                return nsl_fail(error, EINVAL, "--kill-after", seconds ? seconds : "", "expected seconds, e.g. 2 or 0.5");
        return 0;
}

int nsl_spec_set_stdio(nsl_spec *spec, int in, int out, int err, nsl_error *error)
{
        const int fds[3] = { in, out, err };

        for (int i = 0; i < 3; i++)
                if (fds[i] < -1)
                        return nsl_fail(error, EBADF, "stdio", "", "fd %d for the command's %d", fds[i], i);
        memcpy(spec->stdio, fds, sizeof fds);
        return 0;
}

/* Below 3 it would be overwritten by the command's stdio on the way. */
int nsl_spec_set_console_socket(nsl_spec *spec, int fd, nsl_error *error)
{
        if (fd < 3) {
                char num[16];
                snprintf(num, sizeof num, "%d", fd);
                return nsl_fail(error, EBADF, "console-socket", num, "must be a file descriptor above 2");
        }
        spec->console_socket = fd;
        return 0;
}

int nsl_spec_set_console_size(nsl_spec *spec, unsigned rows, unsigned cols, nsl_error *error)
{
        if (rows > USHRT_MAX || cols > USHRT_MAX)
                return nsl_fail(error, ERANGE, "console-size", "", "%ux%u: at most %u rows and columns", rows, cols,
                                USHRT_MAX);
        spec->console_rows = (unsigned short)rows;
        spec->console_cols = (unsigned short)cols;
        return 0;
}

void nsl_spec_set_command_at_start(nsl_spec *spec)
{
        spec->command_at_start = true;
}

void nsl_spec_set_command_as_init(nsl_spec *spec)
{
        spec->command_as_init = true;
}

int nsl_spec_set_start_fifo(nsl_spec *spec, const char *path, nsl_error *error)
{
        if (!path || path[0] != '/')
                return nsl_fail(error, EINVAL, "start-fifo", path ? path : "", "must be an absolute path");
        return replace_string(&spec->start_fifo, path, "start-fifo", error);
}

void nsl_spec_on_root_built(nsl_spec *spec, nsl_root_built_fn fn, void *data)
{
        spec->root_built = fn;
        spec->root_built_data = data;
}

void nsl_spec_on_init_started(nsl_spec *spec, nsl_root_built_fn fn, void *data)
{
        spec->init_started = fn;
        spec->init_started_data = data;
}

void nsl_spec_set_forward_signals(nsl_spec *spec, const sigset_t *set)
{
        spec->forward = set != NULL;
        if (set)
                spec->forward_set = *set;
}

int nsl_spec_set_seccomp(nsl_spec *spec, const char *mode, nsl_error *error)
{
        int r;

        if (!mode || !*mode)
                return nsl_fail(error, EINVAL, "--seccomp", "", "expected default, unconfined or a profile file");
        if (!strcmp(mode, "default")) {
                spec->seccomp = NSL_SECCOMP_DEFAULT;
                return 0;
        }
        if (!strcmp(mode, "unconfined")) {
                spec->seccomp = NSL_SECCOMP_UNCONFINED;
                return 0;
        }
        r = replace_string(&spec->seccomp_path, mode, "--seccomp", error);
        if (r == 0)
                spec->seccomp = NSL_SECCOMP_PROFILE;
        return r;
}

int nsl_spec_set_seccomp_bpf(nsl_spec *spec, const char *path, nsl_error *error)
{
        int r;

        if (!path || !*path)
                return nsl_fail(error, EINVAL, "--seccomp-bpf", "", "expected a compiled filter file");
        r = replace_string(&spec->seccomp_path, path, "--seccomp-bpf", error);
        if (r == 0)
                spec->seccomp = NSL_SECCOMP_BPF;
        return r;
}

int nsl_spec_set_seccomp_cache(nsl_spec *spec, const char *dir, nsl_error *error)
{
        if (dir && !strcmp(dir, "off")) {
                spec->seccomp_cache_off = true;
                return 0;
        }
        if (!dir || dir[0] != '/')
                return nsl_fail(error, EINVAL, "--seccomp-cache", dir ? dir : "", "expected an absolute directory or off");
        spec->seccomp_cache_off = false;
        return replace_string(&spec->seccomp_cache, dir, "--seccomp-cache", error);
}

void nsl_spec_set_seccomp_strict(nsl_spec *spec, bool on)
{
        spec->seccomp_strict = on;
}

void nsl_spec_set_seccomp_report(nsl_spec *spec, bool on)
{
        spec->seccomp_report = on;
}

void nsl_spec_set_seccomp_learn(nsl_spec *spec, bool on)
{
        spec->seccomp_learn = on;
}

int nsl_spec_set_seccomp_agent(nsl_spec *spec, int socket, const char *metadata, const char *state_json,
                               nsl_error *error)
{
        _cleanup_json_ json_object *state = NULL;
        char num[16];
        int r;

        snprintf(num, sizeof num, "%d", socket);
        if (socket < 3)
                return nsl_fail(error, EBADF, "seccomp-agent", num, "must be a file descriptor above 2");
        if ((r = nsl_json_parse_doc(state_json ? state_json : "", "seccomp-agent", "state", &state, error)) < 0)
                return r;
        if (!json_object_is_type(state, json_type_object))
                return nsl_fail(error, EINVAL, "seccomp-agent", "state", "expected a JSON object");
        if ((r = replace_string(&spec->seccomp_agent_metadata, metadata ? metadata : "", "seccomp-agent", error)) < 0 ||
            (r = replace_string(&spec->seccomp_agent_state, state_json, "seccomp-agent", error)) < 0)
                return r;
        spec->seccomp_agent = socket;
        return 0;
}

int nsl_spec_set_landlock(nsl_spec *spec, const char *mode, nsl_error *error)
{
        static const struct { const char *name; enum nsl_landlock_mode mode; } modes[] = {
                { "off", NSL_LANDLOCK_OFF }, { "best-effort", NSL_LANDLOCK_BEST_EFFORT },
                { "strict", NSL_LANDLOCK_STRICT },
        };
        for (size_t i = 0; mode && i < ELEMENTSOF(modes); i++)
                if (!strcmp(mode, modes[i].name)) {
                        spec->landlock = modes[i].mode;
                        return 0;
                }
        return nsl_fail(error, EINVAL, "--landlock", mode ? mode : "", "expected off, best-effort or strict");
}

void nsl_spec_set_allow_exec_writable(nsl_spec *spec, bool on)
{
        spec->landlock_exec_writable = on;
}

bool nsl_spec_seccomp_unconfined(const nsl_spec *spec)
{
        return spec->seccomp == NSL_SECCOMP_UNCONFINED;
}

int nsl_spec_set_memory(nsl_spec *spec, const char *size, nsl_error *error)
{
        if (size && !strcmp(size, "max"))
                spec->memory = NSL_MEMORY_MAX;
        else if (nsl_parse_size(size, &spec->memory) < 0 || spec->memory < (1 << 20))
                return nsl_fail(error, EINVAL, "--memory", size ? size : "",
                                "expected a size of at least 1m, e.g. 512m or 2g, or max");
        return 0;
}

int nsl_spec_set_memory_swap(nsl_spec *spec, const char *size, nsl_error *error)
{
        if (size && !strcmp(size, "max"))
                spec->memory_swap = NSL_MEMORY_MAX;
        else if (nsl_parse_size(size, &spec->memory_swap) < 0 || spec->memory_swap == 0)
                return nsl_fail(error, EINVAL, "--memory-swap", size ? size : "",
                                "expected a size (memory plus swap, as Docker), e.g. 1g, or max");
        return 0;
}

int nsl_spec_set_cpus(nsl_spec *spec, const char *cpus, nsl_error *error)
{
        if (nsl_parse_cpus(cpus, &spec->cpu_quota_us) < 0)
                return nsl_fail(error, EINVAL, "--cpus", cpus ? cpus : "",
                                "expected a number of CPUs from 0.01 to 1024, e.g. 0.5 or 2");
        /* the quota is per 100 ms: said, whatever period the cgroup had */
        spec->cpu_period_us = NSL_CGROUP_PERIOD_US;
        return 0;
}

int nsl_spec_set_pids(nsl_spec *spec, const char *n, nsl_error *error)
{
        if (n && !strcmp(n, "max"))
                spec->pids = NSL_PIDS_MAX;
        else if (nsl_parse_uint(n, 4194304, &spec->pids) < 0 || spec->pids < 2)
                return nsl_fail(error, EINVAL, "--pids", n ? n : "",
                                "expected a number of processes from 2 (init and the command) to 4194304, or max");
        return 0;
}

int nsl_spec_set_cgroup_parent(nsl_spec *spec, const char *path, nsl_error *error)
{
        if (!path || path[0] != '/' || nsl_cgroup_path_climbs(path))
                return nsl_fail(error, EINVAL, "--cgroup-parent", path ? path : "",
                                "expected a cgroup path like /nslaunch, relative to the hierarchy's root, without '..'");
        if (spec->cgroup_path)
                return nsl_fail(error, EINVAL, "--cgroup-parent", path, "an exact cgroup path is set already");
        return replace_string(&spec->cgroup_parent, path, "--cgroup-parent", error);
}

int nsl_spec_set_cgroup_path(nsl_spec *spec, const char *path, nsl_error *error)
{
        char *resolved = NULL;
        int r;

        if (spec->cgroup_parent)
                return nsl_fail(error, EINVAL, "cgroupsPath", path ? path : "",
                                "a cgroup parent is set already; an exact path replaces it");
        if ((r = nsl_cgroup_resolve_path(path, &resolved, error)) < 0)
                return r;
        free(spec->cgroup_path);
        free(spec->systemd_scope);
        spec->cgroup_path = resolved;
        spec->systemd_scope = NULL;
        return 0;
}

int nsl_spec_set_systemd_cgroup(nsl_spec *spec, const char *cgroups_path, nsl_error *error)
{
        _cleanup_free_ struct nsl_systemd_scope *scope = malloc(sizeof *scope);
        struct nsl_systemd_manager manager;
        char *path;
        int r;

        if (spec->cgroup_parent)
                return nsl_fail(error, EINVAL, "cgroupsPath", cgroups_path ? cgroups_path : "",
                                "a cgroup parent is set already; an exact path replaces it");
        if (!scope)
                return nsl_fail(error, ENOMEM, "cgroupsPath", "", NULL);
        if ((r = nsl_systemd_scope_parse(cgroups_path ? cgroups_path : "", scope, error)) < 0 ||
            (r = nsl_systemd_manager_find(&manager, error)) < 0 ||
            (r = nsl_systemd_scope_under(scope, &manager, error)) < 0)
                return r;
        if (!(path = strdup(scope->path)))
                return nsl_fail(error, ENOMEM, "cgroupsPath", "", NULL);
        free(spec->cgroup_path);
        free(spec->systemd_scope);
        spec->cgroup_path = path;
        spec->systemd_scope = TAKE_PTR(scope);
        return 0;
}

const char *nsl_spec_cgroup_path(const nsl_spec *spec)
{
        return spec->cgroup_path;
}

int nsl_spec_set_cpu_shares(nsl_spec *spec, uint64_t shares, nsl_error *error)
{
        if (shares < 2 || shares > 262144) {
                char text[32];
                snprintf(text, sizeof text, "%llu", (unsigned long long)shares);
                return nsl_fail(error, EINVAL, "cpu shares", text, "expected 2 to 262144 (1024 is the default weight)");
        }
        spec->cpu_shares = shares;
        return 0;
}

/* "50000/100000", "max/100000": a CPU budget and its period, as a refusal names them */
static void format_budget(char *text, size_t size, uint64_t budget_us, uint64_t period_us)
{
        if (budget_us == NSL_CPU_QUOTA_MAX)
                snprintf(text, size, "max/%llu", (unsigned long long)period_us);
        else
                snprintf(text, size, "%llu/%llu", (unsigned long long)budget_us, (unsigned long long)period_us);
}

int nsl_spec_set_cpu_quota(nsl_spec *spec, uint64_t quota_us, uint64_t period_us, nsl_error *error)
{
        char text[48];

        format_budget(text, sizeof text, quota_us, period_us);
        /* the kernel's bounds for cfs_period_us and cfs_quota_us */
        if (period_us && (period_us < 1000 || period_us > 1000000))
                return nsl_fail(error, EINVAL, "cpu quota", text, "expected a period of 1000 to 1000000 microseconds");
        if (quota_us && quota_us < 1000)
                return nsl_fail(error, EINVAL, "cpu quota", text, "expected a quota of at least 1000 microseconds");
        if (!quota_us && !period_us)
                return nsl_fail(error, EINVAL, "cpu quota", text, "expected a quota, a period, or both");
        spec->cpu_quota_us = quota_us;
        spec->cpu_period_us = period_us;
        return 0;
}

int nsl_spec_set_cpu_realtime(nsl_spec *spec, uint64_t runtime_us, uint64_t period_us, nsl_error *error)
{
        char text[48];

        format_budget(text, sizeof text, runtime_us, period_us);
        if (!runtime_us && !period_us)
                return nsl_fail(error, EINVAL, "cpu realtime", text, "expected a runtime, a period, or both");
        if (runtime_us && runtime_us != NSL_CPU_QUOTA_MAX && period_us && runtime_us > period_us)
                return nsl_fail(error, EINVAL, "cpu realtime", text, "expected a runtime no longer than its period");
        spec->cpu_rt_runtime_us = runtime_us;
        spec->cpu_rt_period_us = period_us;
        return 0;
}

int nsl_spec_set_memory_kernel_tcp(nsl_spec *spec, uint64_t bytes, nsl_error *error)
{
        if (!bytes)
                return nsl_fail(error, EINVAL, "memory kernel TCP", "0", "expected a limit in bytes");
        spec->memory_kernel_tcp = bytes;
        return 0;
}

int nsl_spec_set_memory_swappiness(nsl_spec *spec, uint64_t swappiness, nsl_error *error)
{
        if (swappiness > 100) {
                char text[32];
                snprintf(text, sizeof text, "%llu", (unsigned long long)swappiness);
                return nsl_fail(error, EINVAL, "memory swappiness", text, "expected 0 to 100");
        }
        spec->memory_swappiness = (unsigned)swappiness;
        spec->memory_swappiness_set = true;
        return 0;
}

void nsl_spec_set_oom_kill_disable(nsl_spec *spec, bool on)
{
        spec->oom_kill_disable = on;
}

int nsl_spec_set_memory_reservation(nsl_spec *spec, uint64_t bytes, nsl_error *error)
{
        if (bytes < 4096) {
                char text[32];
                snprintf(text, sizeof text, "%llu", (unsigned long long)bytes);
                return nsl_fail(error, EINVAL, "memory reservation", text, "expected at least 4096 bytes");
        }
        spec->memory_reservation = bytes;
        return 0;
}

/* "0-3,6": numbers, ranges and commas, as cpuset.cpus and cpuset.mems take them. */
static bool is_cpu_list(const char *list)
{
        return list && strlen(list) < NSL_CPUSET_MAX && strspn(list, "0123456789,-") == strlen(list) &&
               list[0] >= '0' && list[0] <= '9';
}

int nsl_spec_set_cpuset(nsl_spec *spec, const char *cpus, const char *mems, nsl_error *error)
{
        int r;

        if (cpus && *cpus && !is_cpu_list(cpus))
                return nsl_fail(error, EINVAL, "cpuset cpus", cpus, "expected a list like 0-3,6");
        if (mems && *mems && !is_cpu_list(mems))
                return nsl_fail(error, EINVAL, "cpuset mems", mems, "expected a list like 0-1");
        if (cpus && *cpus && (r = replace_string(&spec->cpuset_cpus, cpus, "cpuset cpus", error)) < 0)
                return r;
        if (mems && *mems && (r = replace_string(&spec->cpuset_mems, mems, "cpuset mems", error)) < 0)
                return r;
        return 0;
}

int nsl_spec_set_cgroup_v2_file(nsl_spec *spec, const char *name, const char *value, nsl_error *error)
{
        _cleanup_free_ char *assignment = NULL;
        const char *why = "no name";
        int r = name ? nsl_cgroup_v2_file_name_check(name, &why) : -EINVAL;
        size_t len = value ? strlen(value) : 0;

        if (r < 0)
                return nsl_fail_errno(error, -r, false, "--cgroup-file", name ? name : "", "%s", why);
        if (!value || len > NSL_CGROUP_FILE_VALUE_MAX)
                return nsl_fail(error, EINVAL, "--cgroup-file", name, "the value must be at most %d bytes",
                                NSL_CGROUP_FILE_VALUE_MAX);
        for (const char *p = value; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return nsl_fail(error, EINVAL, "--cgroup-file", name, "the value holds a control character "
                                        "(one line, written as it is)");
        if (asprintf(&assignment, "%s=%s", name, value) < 0) {
                assignment = NULL;
                return nsl_fail(error, ENOMEM, "--cgroup-file", name, NULL);
        }
        for (size_t i = 0; i < spec->n_cgroup_v2_files; i++) {
                char *old = spec->cgroup_v2_files[i];
                if (!strncmp(old, name, strlen(name)) && old[strlen(name)] == '=') {
                        spec->cgroup_v2_files[i] = TAKE_PTR(assignment);
                        free(old);
                        return 0;
                }
        }
        if (nsl_strv_push(&spec->cgroup_v2_files, &spec->n_cgroup_v2_files, assignment) < 0)
                return nsl_fail(error, ENOMEM, "--cgroup-file", name, NULL);
        return 0;
}

/* "2MB", "64KB", "1GB": the unit the kernel's hugetlb files use */
static bool is_hugepage_size(const char *size)
{
        static const char *const units[] = { "KB", "MB", "GB", "TB", "PB" };
        size_t digits = strspn(size, "0123456789");

        if (digits == 0 || size[0] == '0' || strlen(size) != digits + 2 || digits + 2 > NSL_HUGEPAGE_SIZE_NAME_MAX)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (!strcmp(size + digits, units[i]))
                        return true;
        return false;
}

int nsl_spec_set_hugepage_limit(nsl_spec *spec, const char *page_size, uint64_t bytes, nsl_error *error)
{
        size_t i = 0;

        if (!page_size || !is_hugepage_size(page_size))
                return nsl_fail(error, EINVAL, "hugepage limit", page_size ? page_size : "",
                                "expected a page size like 2MB or 1GB");
        while (i < spec->n_hugepages && strcmp(spec->hugepages[i].size, page_size))
                i++;
        if (i == NSL_HUGEPAGE_SIZES_MAX)
                return nsl_fail(error, E2BIG, "hugepage limit", page_size, "more than %d page sizes",
                                NSL_HUGEPAGE_SIZES_MAX);
        snprintf(spec->hugepages[i].size, sizeof spec->hugepages[i].size, "%s", page_size);
        spec->hugepages[i].bytes = bytes;
        if (i == spec->n_hugepages)
                spec->n_hugepages++;
        return 0;
}

int nsl_spec_set_blkio_weight(nsl_spec *spec, uint64_t weight, nsl_error *error)
{
        if (weight < 10 || weight > 1000) {
                char text[32];
                snprintf(text, sizeof text, "%llu", (unsigned long long)weight);
                return nsl_fail(error, EINVAL, "blkio weight", text, "expected 10 to 1000");
        }
        spec->blkio_weight = (unsigned)weight;
        return 0;
}

int nsl_spec_add_io_throttle(nsl_spec *spec, enum nsl_io_throttle kind, uint32_t major, uint32_t minor, uint64_t rate,
                             nsl_error *error)
{
        size_t i = 0;
        char device[32];

        snprintf(device, sizeof device, "%u:%u", major, minor);
        if ((unsigned)kind > NSL_IO_WRITE_IOPS)
                return nsl_fail(error, EINVAL, "io throttle", device, "no throttle of kind %d", (int)kind);
        while (i < spec->n_io_throttles && (spec->io_throttles[i].kind != kind || spec->io_throttles[i].major != major ||
                                            spec->io_throttles[i].minor != minor))
                i++;
        if (i == NSL_IO_THROTTLES_MAX)
                return nsl_fail(error, E2BIG, "io throttle", device, "more than %d throttles", NSL_IO_THROTTLES_MAX);
        spec->io_throttles[i] = (struct nsl_io_throttle_rule){ .kind = kind, .major = major, .minor = minor, .rate = rate };
        if (i == spec->n_io_throttles)
                spec->n_io_throttles++;
        return 0;
}

/* one or more of r, w and m, each once: their bits; 0 for anything else */
static unsigned device_access(const char *access)
{
        unsigned bits = 0;

        for (const char *p = access ? access : ""; *p; p++) {
                unsigned bit = *p == 'r' ? NSL_DEVICE_ACCESS_READ
                             : *p == 'w' ? NSL_DEVICE_ACCESS_WRITE
                             : *p == 'm' ? NSL_DEVICE_ACCESS_MKNOD : 0;
                if (!bit || (bits & bit))
                        return 0;
                bits |= bit;
        }
        return bits;
}

int nsl_spec_add_device_rule(nsl_spec *spec, bool allow, char type, int64_t major, int64_t minor, const char *access,
                             nsl_error *error)
{
        const unsigned all = NSL_DEVICE_ACCESS_READ | NSL_DEVICE_ACCESS_WRITE | NSL_DEVICE_ACCESS_MKNOD;
        unsigned bits = device_access(access);
        char object[64];

        snprintf(object, sizeof object, "%c %" PRId64 ":%" PRId64 " %s", type, major, minor, access ? access : "");
        if (type != 'a' && type != 'c' && type != 'b')
                return nsl_fail(error, EINVAL, "device rule", object, "expected type a (all), c or b");
        if (major < -1 || major > UINT32_MAX || minor < -1 || minor > UINT32_MAX)
                return nsl_fail(error, EINVAL, "device rule", object, "expected major and minor numbers, or -1 for any");
        if (!bits)
                return nsl_fail(error, EINVAL, "device rule", object, "expected an access of r, w and m, each once");
        /* v1 takes "a" as all devices with all access, whatever follows */
        if (type == 'a' && (major != -1 || minor != -1 || bits != all))
                return nsl_fail(error, EINVAL, "device rule", object,
                                "a rule for all devices covers every number and access (-1, -1, rwm)");
        if (spec->n_device_rules == NSL_DEVICE_RULES_MAX)
                return nsl_fail(error, E2BIG, "device rule", object, "more than %d rules", NSL_DEVICE_RULES_MAX);
        spec->device_rules[spec->n_device_rules++] =
                (struct nsl_device_rule){ .allow = allow, .type = type, .major = major, .minor = minor, .access = bits };
        return 0;
}

int nsl_spec_set_limits_mode(nsl_spec *spec, const char *mode, nsl_error *error)
{
        if (mode && !strcmp(mode, "strict"))
                spec->limits_best_effort = false;
        else if (mode && !strcmp(mode, "best-effort"))
                spec->limits_best_effort = true;
        else
                return nsl_fail(error, EINVAL, "--limits", mode ? mode : "", "expected strict or best-effort");
        return 0;
}

int nsl_spec_add_rlimit(nsl_spec *spec, const char *value, nsl_error *error)
{
        struct nsl_rlimit rl;
        int r = nsl_parse_rlimit(value, &rl, error);

        if (r < 0)
                return r;
        for (size_t i = 0; i < spec->n_rlimits; i++)
                if (spec->rlimits[i].resource == rl.resource) {
                        spec->rlimits[i] = rl;
                        return 0;
                }
        if (spec->n_rlimits == NSL_MAX_RLIMITS)
                return nsl_fail(error, E2BIG, "--rlimit", value, "too many limits");
        spec->rlimits[spec->n_rlimits++] = rl;
        return 0;
}

int nsl_spec_set_status_json(nsl_spec *spec, const char *target, nsl_error *error)
{
        uint64_t fd;

        if (!target || !*target)
                return nsl_fail(error, EINVAL, "--status-json", "", "expected a file or fd:N");
        if (!strncmp(target, "fd:", 3)) {
                if (nsl_parse_uint(target + 3, INT_MAX, &fd) < 0 || fd <= 2)
                        return nsl_fail(error, EINVAL, "--status-json", target, "expected fd:N with N above 2");
                spec->status_fd = (int)fd;
                free(spec->status_path);
                spec->status_path = NULL;
                return 0;
        }
        /* It is replaced by a rename when written, never opened: a FIFO or a
         * device someone put there would not get the result, so say so now. */
        struct stat st;
        if (lstat(target, &st) == 0 && !S_ISREG(st.st_mode))
                return nsl_fail(error, EINVAL, "--status-json", target,
                                "not a regular file (use fd:N to write to a pipe or a terminal)");
        spec->status_fd = -1;
        return replace_string(&spec->status_path, target, "--status-json", error);
}

void nsl_spec_set_warning_handler(nsl_spec *spec, void (*warn)(const char *line, void *data), void *data)
{
        spec->warn = warn;
        spec->warn_data = data;
}

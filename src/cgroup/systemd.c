/* systemd's cgroup driver: on a host where systemd runs the cgroup v2 tree,
 * the sandbox's cgroup is a transient scope systemd makes (as Docker,
 * podman and kubelet ask of a runtime with --systemd-cgroup), delegated to
 * nslaunch, which writes the limits there as it does in a cgroup of its own.
 *
 * A scope is made around processes that exist: a first process (the
 * anchor, which only waits) is put in it, so that init can be cloned
 * straight into the cgroup, in its cgroup namespace, like any v2 sandbox's;
 * the anchor ends once init is there. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../host.h"
#include "../syscalls.h"
#include "dbus.h"
#include "internal.h"

#define SYSTEM_MANAGER_SOCKET "/run/systemd/private"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define JOB_TIMEOUT_MS 30000    /* runc's */
#define MAX_CPU 4096

static bool unit_name_chars(const char *s)
{
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@") == strlen(s);
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t len = strlen(s), n = strlen(suffix);

        return len > n && !strcmp(s + len - n, suffix);
}

/* "a-b.slice" is a.slice's child: /a.slice/a-b.slice; "-.slice" the root. */
static int slice_dir(const char *slice, char *out, size_t size)
{
        size_t len = strlen(slice);
        const char *suffix = ".slice";

        out[0] = '\0';
        if (!strcmp(slice, "-.slice"))
                return 0;
        if (!ends_with(slice, suffix) || slice[0] == '-' ||
            slice[len - strlen(suffix) - 1] == '-' || strstr(slice, "--") || !unit_name_chars(slice) ||
            strchr(slice, '@'))
                return -EINVAL;
        for (size_t i = 0; i + strlen(suffix) < len; i++)
                if (slice[i] == '-' && (size_t)snprintf(out + strlen(out), size - strlen(out), "/%.*s%s", (int)i,
                                                        slice, suffix) >= size - strlen(out))
                        return -ENAMETOOLONG;
        if ((size_t)snprintf(out + strlen(out), size - strlen(out), "/%s", slice) >= size - strlen(out))
                return -ENAMETOOLONG;
        return 0;
}

int nsl_systemd_scope_parse(const char *cgroups_path, struct nsl_systemd_scope *scope, nsl_error *error)
{
        const char *first = strchr(cgroups_path, ':');
        const char *second = first ? strchr(first + 1, ':') : NULL;
        char dir[sizeof scope->path];

        *scope = (struct nsl_systemd_scope){ 0 };
        if (!second || strchr(second + 1, ':') || !second[1])
                return nsl_fail(error, EINVAL, "cgroupsPath", cgroups_path, "expected slice:prefix:name (systemd's "
                                "driver), e.g. system.slice:docker:ID");
        const char *name = second + 1;
        int prefix_len = (int)(second - first - 1);
        if (first == cgroups_path)
                snprintf(scope->slice, sizeof scope->slice, "system.slice");
        else if ((size_t)(first - cgroups_path) < sizeof scope->slice)
                snprintf(scope->slice, sizeof scope->slice, "%.*s", (int)(first - cgroups_path), cgroups_path);
        if (!scope->slice[0] || slice_dir(scope->slice, dir, sizeof dir) < 0)
                return nsl_fail(error, EINVAL, "cgroupsPath", cgroups_path, "not a slice's name (like system.slice "
                                "or machine-app.slice)");
        if (ends_with(name, ".slice"))
                return nsl_fail(error, ENOTSUP, "cgroupsPath", cgroups_path, "a slice as the container's own unit "
                                "is not supported: a scope is made for it");
        int n = prefix_len ? snprintf(scope->unit, sizeof scope->unit, "%.*s-%s.scope", prefix_len, first + 1, name)
                           : snprintf(scope->unit, sizeof scope->unit, "%s.scope", name);
        if (n < 0 || (size_t)n >= sizeof scope->unit || !unit_name_chars(scope->unit) || strchr(scope->unit, '@'))
                return nsl_fail(error, EINVAL, "cgroupsPath", cgroups_path, "not a unit's name: letters, digits "
                                "and :-_.\\ only, at most 255 of them");
        if ((size_t)snprintf(scope->path, sizeof scope->path, "%s/%s", dir, scope->unit) >= sizeof scope->path)
                return nsl_fail(error, ENAMETOOLONG, "cgroupsPath", cgroups_path, NULL);
        return 0;
}

/* The runtime directory the user's session names, if it is theirs. */
static bool usable_runtime_dir(const char *dir)
{
        struct stat st;

        return dir && dir[0] == '/' && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid();
}

int nsl_systemd_manager_find(struct nsl_systemd_manager *manager, nsl_error *error)
{
        const char *runtime_dir = getenv("XDG_RUNTIME_DIR");
        uid_t uid = 0;
        int n, r;

        *manager = (struct nsl_systemd_manager){ 0 };
        if (nsl_host_root()) {
                snprintf(manager->socket, sizeof manager->socket, "%s", SYSTEM_MANAGER_SOCKET);
                return 0;
        }
        if ((r = nsl_host_uid(&uid, error)) < 0)
                return r;
        snprintf(manager->root, sizeof manager->root, "/user.slice/user-%u.slice/user@%u.service", (unsigned)uid,
                 (unsigned)uid);
        n = usable_runtime_dir(runtime_dir)
                    ? snprintf(manager->socket, sizeof manager->socket, "%s/systemd/private", runtime_dir)
                    : snprintf(manager->socket, sizeof manager->socket, "/run/user/%u/systemd/private", (unsigned)uid);
        if (n < 0 || (size_t)n >= sizeof manager->socket)
                return nsl_fail(error, ENAMETOOLONG, "systemd", runtime_dir ? runtime_dir : "",
                                "XDG_RUNTIME_DIR is too long");
        return 0;
}

int nsl_systemd_scope_under(struct nsl_systemd_scope *scope, const struct nsl_systemd_manager *manager,
                            nsl_error *error)
{
        char path[sizeof scope->path];

        if ((size_t)snprintf(path, sizeof path, "%s%s", manager->root, scope->path) >= sizeof path)
                return nsl_fail(error, ENAMETOOLONG, "cgroupsPath", scope->path, NULL);
        memcpy(scope->path, path, sizeof path);
        scope->manager = *manager;
        return 0;
}

static void prop_begin(struct nsl_dbus_writer *w, const char *name, const char *type)
{
        nsl_dbus_struct_begin(w);
        nsl_dbus_put_string(w, name);
        nsl_dbus_put_signature(w, type);
}

static void prop_bool(struct nsl_dbus_writer *w, const char *name, bool v)
{
        prop_begin(w, name, "b");
        nsl_dbus_put_bool(w, v);
}

static void prop_u64(struct nsl_dbus_writer *w, const char *name, uint64_t v)
{
        prop_begin(w, name, "t");
        nsl_dbus_put_u64(w, v);
}

static void prop_string(struct nsl_dbus_writer *w, const char *name, const char *v)
{
        prop_begin(w, name, "s");
        nsl_dbus_put_string(w, v);
}

/* "0-3,6" as systemd's AllowedCPUs takes it: a bitmask, CPU 0 the lowest
 * bit of the first byte. Checked as a list by the setter already. */
static void prop_cpu_list(struct nsl_dbus_writer *w, const char *name, const char *list)
{
        uint8_t mask[MAX_CPU / 8] = { 0 };
        size_t used = 0;

        for (const char *p = list; *p;) {
                char *end;
                unsigned long from = strtoul(p, &end, 10), to = from;
                if (*end == '-')
                        to = strtoul(end + 1, &end, 10);
                for (unsigned long c = from; c <= to && c < MAX_CPU; c++) {
                        mask[c / 8] |= (uint8_t)(1u << (c % 8));
                        used = used > c / 8 + 1 ? used : c / 8 + 1;
                }
                p = *end == ',' ? end + 1 : end + strlen(end);
        }
        prop_begin(w, name, "ay");
        struct nsl_dbus_array a = nsl_dbus_array_begin(w, 1);
        for (size_t i = 0; i < used; i++)
                nsl_dbus_put_byte(w, mask[i]);
        nsl_dbus_array_end(w, a);
}

/* systemd keeps its own idea of a unit's limits and writes it again on a
 * daemon-reload: the ones it models are given to it too, in its terms;
 * the cgroupfs writes after the job are the exact ones. */
static void limit_properties(struct nsl_dbus_writer *w, const struct nsl_cgroup_limits *l)
{
        /* UINT64_MAX is systemd's infinity, as it is NSL_MEMORY_MAX */
        if (l->memory)
                prop_u64(w, "MemoryMax", l->memory);
        if (l->memory || l->memory_swap == NSL_MEMORY_MAX)
                prop_u64(w, "MemorySwapMax", nsl_cgroup_swap_beyond_memory(l));
        if (l->memory_reservation)
                prop_u64(w, "MemoryLow", l->memory_reservation);
        if (l->pids)
                prop_u64(w, "TasksMax", l->pids);
        if (l->cpu_shares)
                prop_u64(w, "CPUWeight", nsl_cgroup_shares_to_weight(l->cpu_shares));
        if (l->cpu_quota_us == NSL_CPU_QUOTA_MAX)
                prop_u64(w, "CPUQuotaPerSecUSec", UINT64_MAX);  /* infinity */
        else if (l->cpu_quota_us) {
                uint64_t period = l->cpu_period_us ? l->cpu_period_us : NSL_CGROUP_PERIOD_US;
                /* systemd keeps a quota per second in steps of 10 ms: rounded up, as runc does */
                uint64_t per_sec = (l->cpu_quota_us * 1000000 / period + 9999) / 10000 * 10000;
                prop_u64(w, "CPUQuotaPerSecUSec", per_sec);
        }
        if (l->cpu_period_us || (l->cpu_quota_us && l->cpu_quota_us != NSL_CPU_QUOTA_MAX))
                prop_u64(w, "CPUQuotaPeriodUSec", l->cpu_period_us ? l->cpu_period_us : NSL_CGROUP_PERIOD_US);
        if (l->blkio_weight)
                prop_u64(w, "IOWeight", nsl_cgroup_blkio_to_io_weight(l->blkio_weight));
        if (l->cpuset_cpus[0])
                prop_cpu_list(w, "AllowedCPUs", l->cpuset_cpus);
        if (l->cpuset_mems[0])
                prop_cpu_list(w, "AllowedMemoryNodes", l->cpuset_mems);
}

int nsl_systemd_scope_body(const struct nsl_systemd_scope *scope, pid_t pid, const struct nsl_cgroup_limits *l,
                           struct nsl_dbus_writer *w)
{
        char description[320];

        *w = (struct nsl_dbus_writer){ 0 };
        nsl_dbus_put_string(w, scope->unit);
        nsl_dbus_put_string(w, "fail");         /* a unit of that name already there is an error */
        struct nsl_dbus_array props = nsl_dbus_array_begin(w, 8);
        snprintf(description, sizeof description, "nslaunch container %s", scope->unit);
        prop_string(w, "Description", description);
        prop_string(w, "Slice", scope->slice);
        prop_bool(w, "Delegate", true);
        prop_bool(w, "DefaultDependencies", false);
        prop_bool(w, "MemoryAccounting", true);
        prop_bool(w, "CPUAccounting", true);
        prop_bool(w, "TasksAccounting", true);
        prop_bool(w, "IOAccounting", true);
        prop_begin(w, "PIDs", "au");
        struct nsl_dbus_array pids = nsl_dbus_array_begin(w, 4);
        nsl_dbus_put_u32(w, (uint32_t)pid);
        nsl_dbus_array_end(w, pids);
        limit_properties(w, l);
        nsl_dbus_array_end(w, props);
        nsl_dbus_array_end(w, nsl_dbus_array_begin(w, 8));     /* no auxiliary units */
        if (w->failed) {
                nsl_dbus_writer_free(w);
                return -ENOMEM;
        }
        return 0;
}

/* An error reply as the line's cause: its name and systemd's message. */
static int call_failed(const struct nsl_dbus_message *m, const char *what, nsl_error *error)
{
        struct nsl_dbus_reader r;
        const char *text = NULL;

        nsl_dbus_reader_init(&r, m);
        if (!strcmp(m->signature, "s"))
                text = nsl_dbus_get_string(&r);
        bool unknown = !strcmp(m->error_name, "org.freedesktop.systemd1.NoSuchUnit");

        return nsl_fail(error, unknown ? ENOENT : EIO, "systemd", what, "%s%s%s", m->error_name, text ? ": " : "",
                        text ? text : "");
}

/* The reply to call serial, as m (the caller frees it); what comes before
 * it (another job's signals) is passed over. */
static int await_reply(struct nsl_dbus *bus, uint32_t serial, int64_t deadline, const char *what,
                       struct nsl_dbus_message *m, nsl_error *error)
{
        for (;;) {
                int r = nsl_dbus_read(bus, deadline, m, error);
                if (r < 0)
                        return r;
                if ((m->type == NSL_DBUS_RETURN || m->type == NSL_DBUS_ERROR) && m->reply_serial == serial)
                        return m->type == NSL_DBUS_ERROR ? (r = call_failed(m, what, error), nsl_dbus_message_free(m), r)
                                                         : 0;
                nsl_dbus_message_free(m);
        }
}

/* JobRemoved(u id, o job, s unit, s result) of the job being waited for. */
struct job_wait {
        char job[256];
        char result[64];
};

static void job_removed(const struct nsl_dbus_message *m, struct job_wait *wait)
{
        struct nsl_dbus_reader r;

        if (strcmp(m->member, "JobRemoved") || strcmp(m->signature, "uoss") || !wait->job[0])
                return;
        nsl_dbus_reader_init(&r, m);
        nsl_dbus_get_u32(&r);
        const char *job = nsl_dbus_get_string(&r);
        nsl_dbus_get_string(&r);
        const char *result = nsl_dbus_get_string(&r);
        if (r.ok && !strcmp(job, wait->job))
                snprintf(wait->result, sizeof wait->result, "%s", result);
}

/* Connects to the manager, calls member and reads its reply into m (the
 * caller frees it and closes bus). */
static int call(const struct nsl_systemd_manager *manager, struct nsl_dbus *bus, const char *what,
                const char *member, const char *signature, const struct nsl_dbus_writer *body, int64_t deadline,
                struct nsl_dbus_message *m, nsl_error *error)
{
        uint32_t serial;
        int r;

        if ((r = nsl_dbus_connect(bus, manager->socket, JOB_TIMEOUT_MS, error)) < 0 ||
            (r = nsl_dbus_call(bus, NULL, SYSTEMD_PATH, SYSTEMD_MANAGER, member, signature, body, &serial, error)) < 0)
                return r;
        return await_reply(bus, serial, deadline, what, m, error);
}

/* Calls member, whose reply names a job, and waits for the job to end as
 * asked ("done"). A direct connection gets the manager's signals without
 * subscribing (systemd's Subscribe tracks clients of the bus only). */
static int run_job(const struct nsl_systemd_manager *manager, const char *unit, const char *member,
                   const char *signature, const struct nsl_dbus_writer *body, nsl_error *error)
{
        struct nsl_dbus bus = NSL_DBUS_INIT;
        struct nsl_dbus_message m;
        struct nsl_dbus_reader r;
        struct job_wait wait = { 0 };
        int64_t deadline = nsl_dbus_deadline(JOB_TIMEOUT_MS);
        int ret = call(manager, &bus, unit, member, signature, body, deadline, &m, error);

        if (ret == 0) {
                nsl_dbus_reader_init(&r, &m);
                const char *job = !strcmp(m.signature, "o") ? nsl_dbus_get_string(&r) : NULL;
                snprintf(wait.job, sizeof wait.job, "%s", job ? job : "");
                nsl_dbus_message_free(&m);
                if (!wait.job[0])
                        ret = nsl_fail(error, EBADMSG, "systemd", unit, "%s answered without a job", member);
        }
        while (ret == 0 && !wait.result[0] && (ret = nsl_dbus_read(&bus, deadline, &m, error)) == 0) {
                if (m.type == NSL_DBUS_SIGNAL)
                        job_removed(&m, &wait);
                nsl_dbus_message_free(&m);
        }
        if (ret == 0 && strcmp(wait.result, "done"))
                ret = nsl_fail(error, EIO, "systemd", unit, "the scope's %s job ended '%s'", member, wait.result);
        nsl_dbus_close(&bus);
        return ret;
}

/* Starts the scope around pid and waits until its job is done. */
static int start_scope(const struct nsl_systemd_scope *scope, pid_t pid, const struct nsl_cgroup_limits *l,
                       nsl_error *error)
{
        struct nsl_dbus_writer body;

        if (nsl_systemd_scope_body(scope, pid, l, &body) < 0)
                return nsl_fail(error, ENOMEM, "systemd", scope->unit, NULL);
        int r = run_job(&scope->manager, scope->unit, "StartTransientUnit", "ssa(sv)a(sa(sv))", &body, error);
        nsl_dbus_writer_free(&body);
        return r;
}

/* Once its cgroup is gone, systemd is told the scope has ended rather than
 * left to find out: a scope whose cgroup was removed under it may be kept
 * running, and loaded, as long as the manager runs. A unit it does not know
 * (it noticed first), or no manager at all, has nothing to forget. */
static int stop_scope(const struct nsl_systemd_manager *manager, const char *unit, nsl_error *error)
{
        struct nsl_dbus_writer body = { 0 };
        int r;

        nsl_dbus_put_string(&body, unit);
        nsl_dbus_put_string(&body, "replace");
        r = body.failed ? nsl_fail(error, ENOMEM, "systemd", unit, NULL)
                        : run_job(manager, unit, "StopUnit", "ss", &body, error);
        nsl_dbus_writer_free(&body);
        if (r == -ENOENT) {
                *error = (nsl_error){ 0 };
                r = 0;
        }
        return r;
}

void nsl_systemd_scope_stop(const struct nsl_systemd_scope *scope)
{
        nsl_error ignored;

        stop_scope(&scope->manager, scope->unit, &ignored);
}

/* The scope unit whose cgroup is path, and the manager that keeps it. */
static int scope_of_path(const char *path, const char **unit, struct nsl_systemd_manager *manager,
                         nsl_error *error)
{
        *unit = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        if (!ends_with(*unit, ".scope") || !unit_name_chars(*unit))
                return nsl_fail(error, EINVAL, "systemd", path, "not a scope's cgroup");
        return nsl_systemd_manager_find(manager, error);
}

int nsl_cgroup_remove_scope(const char *path, nsl_error *error)
{
        struct nsl_systemd_manager manager;
        const char *unit;
        int r;

        *error = (nsl_error){ 0 };
        if ((r = scope_of_path(path, &unit, &manager, error)) < 0 || (r = nsl_cgroup_remove_path(path, error)) < 0)
                return r;
        return stop_scope(&manager, unit, error);
}

int nsl_systemd_set_properties(const char *path, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        struct nsl_systemd_manager manager;
        struct nsl_dbus bus = NSL_DBUS_INIT;
        struct nsl_dbus_writer body = { 0 };
        struct nsl_dbus_message m;
        const char *unit;
        int r;

        if ((r = scope_of_path(path, &unit, &manager, error)) < 0)
                return r;
        nsl_dbus_put_string(&body, unit);
        nsl_dbus_put_bool(&body, true);         /* runtime: for as long as the unit runs */
        struct nsl_dbus_array props = nsl_dbus_array_begin(&body, 8);
        limit_properties(&body, l);
        nsl_dbus_array_end(&body, props);
        if (body.failed)
                r = nsl_fail(error, ENOMEM, "systemd", unit, NULL);
        else if ((r = call(&manager, &bus, unit, "SetUnitProperties", "sba(sv)", &body,
                           nsl_dbus_deadline(JOB_TIMEOUT_MS), &m, error)) == 0)
                nsl_dbus_message_free(&m);
        nsl_dbus_writer_free(&body);
        nsl_dbus_close(&bus);
        return r;
}

/* A process that only waits to be ended, with nslaunch if not before. */
static int anchor_start(int *pidfd, pid_t *pid, nsl_error *error)
{
        struct nsl_clone_args args = { .flags = CLONE_PIDFD, .pidfd = (uint64_t)(uintptr_t)pidfd,
                                       .exit_signal = SIGCHLD };
        pid_t parent = getpid();

        *pid = nsl_clone3(&args);
        if (*pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(0);
                for (;;)
                        pause();
        }
        return *pid < 0 ? nsl_fail(error, errno, "cgroup", "systemd", "cannot start the scope's first process") : 0;
}

void nsl_cgroup_anchor_end(int *pidfd)
{
        siginfo_t info;

        if (*pidfd < 0)
                return;
        nsl_pidfd_send_signal(*pidfd, SIGKILL);
        nsl_pidfd_wait(*pidfd, 0, &info);
        close(*pidfd);
        *pidfd = -1;
}

/* Where systemd put pid: the scope's path, or the line says where. */
static int check_placed(pid_t pid, const char *path, nsl_error *error)
{
        char file[64];
        _cleanup_free_ char *placed = NULL;

        snprintf(file, sizeof file, "/proc/%d/cgroup", (int)pid);
        int r = nsl_cgroup_own(&(struct nsl_cgroup_places){ .self = file }, NULL, &placed);
        if (r < 0)
                return nsl_fail(error, -r, "systemd", file, NULL);
        if (strcmp(placed, path))
                return nsl_fail(error, EIO, "systemd", path, "the scope's process is in %s instead", placed);
        return 0;
}

/* Rootless: a process of the user's manager's cgroup, where init may be
 * moved into the scope from (see nsl_cgroup_create_systemd). */
static int check_inside(const struct nsl_cgroup_places *places, const struct nsl_systemd_scope *scope,
                        nsl_error *error)
{
        const struct nsl_systemd_manager *manager = &scope->manager;
        _cleanup_free_ char *own = NULL;
        size_t len = strlen(manager->root);
        int r = nsl_cgroup_own(places, NULL, &own);

        if (r < 0)
                return nsl_fail(error, -r, "cgroup", places->self, NULL);
        if (!strncmp(own, manager->root, len) && own[len] == '/')
                return 0;
        return nsl_fail(error, EPERM, "cgroup", scope->unit, "runs in %s, outside %s: a rootless runtime moves the "
                        "container into a scope only from inside it (run it with systemd-run --user --scope, as "
                        "podman does), or use the cgroupfs driver", own, strrchr(manager->root, '/') + 1);
}

int nsl_cgroup_create_systemd(const struct nsl_cgroup_limits *l, const struct nsl_systemd_scope *scope,
                              struct nsl_cgroup *cg, int *anchor_pidfd, nsl_error *error)
{
        struct nsl_cgroup_places places;
        char *dir = NULL;
        pid_t anchor;
        int r;

        *cg = (struct nsl_cgroup)NSL_CGROUP_INIT;
        *anchor_pidfd = -1;
        nsl_cgroup_find_places(&places);
        if (nsl_cgroup_use_v1(&places))
                return nsl_fail(error, ENOTSUP, "cgroup", scope->unit, "systemd's driver needs a host whose "
                                "controllers are in cgroup v2 alone: use the cgroupfs driver");
        /* sd_booted()'s test: systemd made it as pid 1 */
        if (access("/run/systemd/system", F_OK) < 0)
                return nsl_fail(error, ENOTSUP, "cgroup", scope->unit, "systemd is not this host's init (no "
                                "/run/systemd/system): use the cgroupfs driver");
        if (places.rootless && (r = check_inside(&places, scope, error)) < 0)
                return r;
        if ((r = anchor_start(anchor_pidfd, &anchor, error)) < 0)
                return r;
        if ((r = start_scope(scope, anchor, l, error)) < 0 || (r = check_placed(anchor, scope->path, error)) < 0)
                return r;
        /* the cgroup carries its scope: nsl_cgroup_destroy stops it */
        if (!(cg->scope = malloc(sizeof *cg->scope)) || asprintf(&dir, "%s%s", places.v2, scope->path) < 0)
                return nsl_fail(error, ENOMEM, "cgroup", scope->path, NULL);
        *cg->scope = *scope;
        return nsl_cgroup_v2_adopt(dir, l, places.rootless, cg, error);
}

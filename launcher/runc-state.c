/* nslaunch-runc's state store: ROOT/ID/state.json, written atomically; the
 * ID's directory is created with mkdir (one create of an ID wins) and
 * locked with flock by the commands that change the container. Readers
 * (state, list, ps) take no lock: state.json is replaced by rename. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "json.h"
#include "proc-status.h"
#include "runc.h"
#include "syscalls.h"

#define STATE_FILE "state.json"
#define CONFIG_FILE "config.json"   /* the config create read: later commands use it, not the bundle's */

int nsl_runc_check_id(const char *id, nsl_error *error)
{
        size_t len = strlen(id);

        if (len == 0 || len > 200)
                return nsl_fail(error, EINVAL, "id", id, "must be 1 to 200 characters");
        if (!strcmp(id, ".") || !strcmp(id, ".."))
                return nsl_fail(error, EINVAL, "id", id, "not a container name");
        for (const char *c = id; *c; c++)
                if (!isalnum((unsigned char)*c) && !strchr("_+-.", *c))
                        return nsl_fail(error, EINVAL, "id", id, "may hold only letters, digits, '_', '+', '-', '.'");
        return 0;
}

static int mkdir_parents(const char *path)
{
        char buf[PATH_MAX];

        snprintf(buf, sizeof buf, "%s", path);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0711) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int lock_dir(int fd, const char *id, nsl_error *error)
{
        if (flock(fd, LOCK_EX) < 0)
                return nsl_fail(error, errno, "lock", id, NULL);
        return 0;
}

int nsl_runc_dir_create(const struct nsl_runc *g, const char *id, nsl_error *error)
{
        _cleanup_close_ int root = -1, fd = -1;
        int r = nsl_runc_check_id(id, error);

        if (r < 0)
                return r;
        r = mkdir_parents(g->root);
        if (r < 0)
                return nsl_fail(error, -r, "--root", g->root, NULL);
        root = open(g->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return nsl_fail(error, errno, "--root", g->root, NULL);
        if (mkdirat(root, id, 0700) < 0)
                return errno == EEXIST ? nsl_fail(error, EEXIST, "create", id, "container exists already")
                                       : nsl_fail(error, errno, "create", id, NULL);
        fd = openat(root, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return nsl_fail(error, errno, "create", id, NULL);
        r = lock_dir(fd, id, error);
        return r < 0 ? r : TAKE_FD(fd);
}

int nsl_runc_dir_open(const struct nsl_runc *g, const char *id, bool lock, nsl_error *error)
{
        char path[PATH_MAX + 256];
        _cleanup_close_ int fd = -1;
        int r = nsl_runc_check_id(id, error);

        if (r < 0)
                return r;
        snprintf(path, sizeof path, "%s/%s", g->root, id);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
                return nsl_fail(error, ENOENT, "container", id, "does not exist");
        if (fd < 0)
                return nsl_fail(error, errno, "container", id, NULL);
        if (lock && (r = lock_dir(fd, id, error)) < 0)
                return r;
        return TAKE_FD(fd);
}

static int remove_entry(const char *name, void *data, nsl_error *error)
{
        int dirfd = *(int *)data;

        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                return nsl_fail(error, errno, "delete", name, NULL);
        return 0;
}

int nsl_runc_dir_remove(const struct nsl_runc *g, const char *id, int dirfd, nsl_error *error)
{
        char path[PATH_MAX + 256];
        int r = nsl_dir_each(dirfd, remove_entry, &dirfd, error);

        if (r < 0)
                return r;
        snprintf(path, sizeof path, "%s/%s", g->root, id);
        if (rmdir(path) < 0 && errno != ENOENT)
                return nsl_fail(error, errno, "delete", path, NULL);
        return 0;
}

static void copy_string(json_object *o, const char *key, char *buf, size_t len)
{
        const char *s = nsl_json_string(o, key);
        snprintf(buf, len, "%s", s ? s : "");
}

int nsl_runc_state_read(int dirfd, const char *id, struct nsl_runc_state *state, nsl_error *error)
{
        _cleanup_close_ int fd = openat(dirfd, STATE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_object *o = NULL;
        json_object *v;
        size_t len;
        int r;

        *state = (struct nsl_runc_state){ 0 };
        snprintf(state->id, sizeof state->id, "%s", id);
        if (fd < 0)
                return nsl_fail(error, errno, "container", id, errno == ENOENT ? "has no state (its create did not finish)" : NULL);
        r = nsl_read_fd(fd, 1 << 20, &text, &len);
        if (r < 0)
                return nsl_fail(error, -r, "state", id, NULL);
        r = nsl_json_parse_doc(text, "state", id, &o, error);
        if (r < 0)
                return r;
        state->pid = (pid_t)json_object_get_int(nsl_json_member(o, "pid", json_type_int));
        state->start_time = (unsigned long long)json_object_get_int64(nsl_json_member(o, "pidStartTime", json_type_int));
        state->started = faccessat(dirfd, START_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
        v = nsl_json_member(o, "laterHooks", json_type_boolean);
        state->later_hooks = v ? json_object_get_boolean(v) : true;
        copy_string(o, "bundle", state->bundle, sizeof state->bundle);
        copy_string(o, "rootfs", state->rootfs, sizeof state->rootfs);
        copy_string(o, "created", state->created, sizeof state->created);
        copy_string(o, "cgroupPath", state->cgroup, sizeof state->cgroup);
        v = nsl_json_member(o, "systemdScope", json_type_boolean);
        state->systemd_scope = v && json_object_get_boolean(v);
        if ((v = nsl_json_member(o, "annotations", json_type_object)))
                state->annotations = json_object_get(v);
        return 0;
}

int nsl_runc_state_prepare(int dirfd, const struct nsl_runc_state *state, struct nsl_runc_pending *file,
                           nsl_error *error)
{
        _cleanup_json_ json_object *o = json_object_new_object();
        int r;

        json_object_object_add(o, "id", json_object_new_string(state->id));
        json_object_object_add(o, "pid", json_object_new_int(state->pid));
        json_object_object_add(o, "pidStartTime", json_object_new_int64((int64_t)state->start_time));
        json_object_object_add(o, "laterHooks", json_object_new_boolean(state->later_hooks));
        json_object_object_add(o, "bundle", json_object_new_string(state->bundle));
        json_object_object_add(o, "rootfs", json_object_new_string(state->rootfs));
        json_object_object_add(o, "created", json_object_new_string(state->created));
        json_object_object_add(o, "cgroupPath", json_object_new_string(state->cgroup));
        json_object_object_add(o, "systemdScope", json_object_new_boolean(state->systemd_scope));
        if (state->annotations)
                json_object_object_add(o, "annotations", json_object_get(state->annotations));
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        r = nsl_write_temporary_at(dirfd, STATE_FILE, text, strlen(text), 0600, NSL_FILE_RUNTIME, &file->tmp);
        if (r < 0)
                return nsl_fail(error, -r, "state", state->id, "cannot write state.json: %s", strerror(-r));
        file->dirfd = dirfd;
        file->path = STATE_FILE;
        file->what = "state";
        return 0;
}

int nsl_runc_pid_file_prepare(const char *path, pid_t pid, struct nsl_runc_pending *file, nsl_error *error)
{
        char text[32];
        int n = snprintf(text, sizeof text, "%d", pid);
        int r = nsl_write_temporary_at(AT_FDCWD, path, text, (size_t)n, 0644, NSL_FILE_RUNTIME, &file->tmp);

        if (r < 0)
                return nsl_fail(error, -r, "--pid-file", path, NULL);
        file->dirfd = AT_FDCWD;
        file->path = path;
        file->what = "--pid-file";
        return 0;
}

int nsl_runc_pending_commit(struct nsl_runc_pending *file, nsl_error *error)
{
        if (!file->tmp)
                return 0;
        if (renameat(file->dirfd, file->tmp, file->dirfd, file->path) < 0)
                return nsl_fail(error, errno, file->what, file->path, NULL);
        free(file->tmp);
        file->tmp = NULL;
        return 0;
}

void nsl_runc_pending_drop(struct nsl_runc_pending *file)
{
        if (file->tmp)
                (void)unlinkat(file->dirfd, file->tmp, 0);
        free(file->tmp);
        file->tmp = NULL;
}

int nsl_runc_config_save(int dirfd, const nsl_oci *oci, const char *id, nsl_error *error)
{
        const char *text = nsl_oci_text(oci);
        int r = nsl_write_new_file_at(dirfd, CONFIG_FILE, text, strlen(text), 0600, NSL_FILE_RUNTIME);

        return r < 0 ? nsl_fail(error, -r, "state", id, "cannot keep config.json: %s", strerror(-r)) : 0;
}

int nsl_runc_config_load(int dirfd, const struct nsl_runc_state *state, nsl_oci **oci, nsl_error *error)
{
        _cleanup_close_ int fd = openat(dirfd, CONFIG_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        *oci = NULL;
        if (fd < 0)
                return nsl_fail(error, errno, "state", state->id, "the config it was created with is gone");
        if ((r = nsl_read_fd(fd, 64 << 20, &text, &len)) < 0)
                return nsl_fail(error, -r, "state", state->id, "cannot read config.json: %s", strerror(-r));
        return nsl_oci_load_text(state->bundle, text, oci, error);
}

void nsl_runc_state_release(struct nsl_runc_state *state)
{
        if (state->annotations)
                json_object_put(state->annotations);
        state->annotations = NULL;
}

/* Field 22 of /proc/PID/stat, and field 3, the process's state. */
int nsl_runc_proc_start_time(pid_t pid, unsigned long long *start_time, char *proc_state)
{
        char path[64], buf[1024];
        ssize_t n;

        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        n = nsl_read_once(AT_FDCWD, path, 0, buf, sizeof buf);
        if (n <= 0)
                return n < 0 ? (int)n : -EIO;
        const char *state = nsl_proc_stat_field(buf, 3), *start = nsl_proc_stat_field(buf, 22);
        if (!state || !start)
                return -EIO;
        if (proc_state)
                *proc_state = *state;
        *start_time = strtoull(start, NULL, 10);
        return 0;
}

static bool init_alive(const struct nsl_runc_state *state)
{
        unsigned long long start;
        char proc_state = 0;

        if (state->pid <= 0 || nsl_runc_proc_start_time(state->pid, &start, &proc_state) < 0)
                return false;
        return start == state->start_time && proc_state != 'Z' && proc_state != 'X';
}

static bool frozen(const struct nsl_runc_state *state)
{
        char path[PATH_MAX + 64], buf[32] = "";
        _cleanup_close_ int fd = -1;

        if (!state->cgroup[0])
                return false;
        /* cgroup v2's freezer, then v1's */
        snprintf(path, sizeof path, "/sys/fs/cgroup/%s/cgroup.freeze", state->cgroup);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
                return read(fd, buf, sizeof buf - 1) > 0 && buf[0] == '1';
        snprintf(path, sizeof path, "/sys/fs/cgroup/freezer/%s/freezer.state", state->cgroup);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        return fd >= 0 && read(fd, buf, sizeof buf - 1) > 0 && !strncmp(buf, "FROZEN", 6);
}

enum nsl_runc_status nsl_runc_status(const struct nsl_runc_state *state)
{
        if (!init_alive(state))
                return NSL_RUNC_STOPPED;
        if (!state->started)
                return NSL_RUNC_CREATED;
        return frozen(state) ? NSL_RUNC_PAUSED : NSL_RUNC_RUNNING;
}

const char *nsl_runc_status_name(enum nsl_runc_status status)
{
        static const char *const names[] = { "created", "running", "paused", "stopped", "creating" };
        return names[status];
}

char *nsl_runc_state_json(const struct nsl_runc_state *state, enum nsl_runc_status status)
{
        _cleanup_json_ json_object *o = json_object_new_object();

        json_object_object_add(o, "ociVersion", json_object_new_string("1.2.0"));
        json_object_object_add(o, "id", json_object_new_string(state->id));
        json_object_object_add(o, "status", json_object_new_string(nsl_runc_status_name(status)));
        if (status != NSL_RUNC_STOPPED && state->pid > 0)
                json_object_object_add(o, "pid", json_object_new_int(state->pid));
        json_object_object_add(o, "bundle", json_object_new_string(state->bundle));
        json_object_object_add(o, "annotations",
                               state->annotations ? json_object_get(state->annotations) : json_object_new_object());
        return strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

int nsl_runc_init_pidfd(const struct nsl_runc_state *state)
{
        _cleanup_close_ int fd = -1;

        if (state->pid <= 0)
                return -ESRCH;
        fd = nsl_pidfd_open(state->pid, 0);
        if (fd < 0)
                return -errno;
        /* checked after the pidfd is held: the pid cannot be reused any more */
        if (!init_alive(state))
                return -ESRCH;
        return TAKE_FD(fd);
}

static int pidns_of(pid_t pid, struct stat *st)
{
        char path[64];

        snprintf(path, sizeof path, "/proc/%d/ns/pid", pid);
        return stat(path, st) < 0 ? -errno : 0;
}

static pid_t parent_of(pid_t pid)
{
        char path[64], buf[512];
        _cleanup_close_ int fd = -1;
        ssize_t n;

        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (n = read(fd, buf, sizeof buf - 1)) <= 0)
                return -1;
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        return p && p[1] == ' ' && p[2] && p[3] == ' ' ? (pid_t)atoi(p + 4) : -1;
}

/* Is pid in the container? In init's pid namespace, as root sees it; a
 * rootless caller may not look at a non-dumpable init's namespaces, and
 * takes init's descendants instead (rootless, nothing enters the sandbox
 * from outside: nsl_exec needs root). */
static bool in_container(pid_t pid, pid_t init, const struct stat *ns)
{
        struct stat other;

        if (ns)
                return pidns_of(pid, &other) == 0 && other.st_ino == ns->st_ino && other.st_dev == ns->st_dev;
        for (int depth = 0; pid > 1 && depth < 4096; depth++) {
                if (pid == init)
                        return true;
                pid = parent_of(pid);
        }
        return false;
}

/* Is init pid 1 of its pid namespace (the last number of NSpid)? Not when
 * the config shares one: the host's, or a joined one. */
bool nsl_runc_owns_pid_ns(const struct nsl_runc_state *state)
{
        char path[64], status[16384];
        const char *line, *end;

        snprintf(path, sizeof path, "/proc/%d/status", state->pid);
        if (nsl_read_once(AT_FDCWD, path, 0, status, sizeof status) < 0 ||
            !(line = nsl_proc_status_field(status, "NSpid")) || !(end = strchr(line, '\n')))
                return false;
        while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
        /* the last number, 1, alone or after a blank */
        return end - line >= 1 && end[-1] == '1' && (end - line == 1 || end[-2] == '\t' || end[-2] == ' ');
}

/* Every host pid in init's own pid namespace; a shared namespace holds
 * others' processes too, so then the cgroup's, as runc counts them (a
 * shared pid namespace needs root, and root's containers have one). */
static int collect_pids(const struct nsl_runc_state *state, pid_t **pids, size_t *n, nsl_error *error)
{
        _cleanup_dir_ DIR *proc = NULL;
        _cleanup_free_ pid_t *list = NULL;
        size_t count = 0, cap = 0;
        struct stat ns;
        struct dirent *e;
        bool by_ns;

        if (!nsl_runc_owns_pid_ns(state)) {
                if (!state->cgroup[0])
                        return nsl_fail(error, ESRCH, "ps", state->id, "a shared pid namespace and no cgroup");
                return nsl_cgroup_pids(state->cgroup, pids, n, error);
        }
        by_ns = pidns_of(state->pid, &ns) == 0;
        proc = opendir("/proc");
        if (!proc)
                return nsl_fail(error, errno, "ps", "/proc", NULL);
        while ((e = readdir(proc))) {
                pid_t pid = (pid_t)atoi(e->d_name);
                if (pid <= 0 || !in_container(pid, state->pid, by_ns ? &ns : NULL))
                        continue;
                if (count == cap) {
                        pid_t *grown = reallocarray(list, cap = cap ? cap * 2 : 16, sizeof *list);
                        if (!grown)
                                return nsl_fail(error, ENOMEM, "ps", "", NULL);
                        list = grown;
                }
                list[count++] = pid;
        }
        *pids = TAKE_PTR(list);
        *n = count;
        return 0;
}

int nsl_runc_pids(const struct nsl_runc_state *state, pid_t **pids, size_t *n, nsl_error *error)
{
        int r;

        *pids = NULL;
        *n = 0;
        if (!init_alive(state))
                return 0;
        if ((r = collect_pids(state, pids, n, error)) < 0)
                return r;
        for (size_t i = 0; i < *n; i++)
                if ((*pids)[i] == state->pid) {
                        (*pids)[i] = (*pids)[0];
                        (*pids)[0] = state->pid;
                }
        return 0;
}

static const struct { const char *name; int number; } signals[] = {
        { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL }, { "TRAP", SIGTRAP },
        { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
        { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
        { "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
        { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU },
        { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
        { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

/* "TERM", "SIGTERM", "15", "RTMIN+3"; -1 when it is none. */
int nsl_runc_signal_number(const char *name)
{
        char *end;

        if (isdigit((unsigned char)name[0])) {
                long n = strtol(name, &end, 10);
                return *end || n < 0 || n >= NSIG ? -1 : (int)n;     /* 0: is it there, as kill(1) */
        }
        if (!strncasecmp(name, "SIG", 3))
                name += 3;
        for (size_t i = 0; i < ELEMENTSOF(signals); i++)
                if (!strcasecmp(name, signals[i].name))
                        return signals[i].number;
        if (!strncasecmp(name, "RTMIN", 5) || !strncasecmp(name, "RTMAX", 5)) {
                long off = name[5] ? strtol(name + 5, &end, 10) : 0;
                int n = (name[3] == 'I' || name[3] == 'i') ? SIGRTMIN + (int)off : SIGRTMAX + (int)off;
                return (name[5] && *end) || n < SIGRTMIN || n > SIGRTMAX ? -1 : n;
        }
        return -1;
}

void nsl_runc_now_rfc3339(char *buf, size_t len)
{
        struct timespec ts;
        struct tm tm;
        char base[32];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, len, "%s.%09ldZ", base, ts.tv_nsec);
}

int nsl_runc_write_pid_file(const char *path, pid_t pid, nsl_error *error)
{
        struct nsl_runc_pending file = NSL_RUNC_PENDING_INIT;
        int r = nsl_runc_pid_file_prepare(path, pid, &file, error);

        if (r == 0)
                r = nsl_runc_pending_commit(&file, error);
        nsl_runc_pending_drop(&file);
        return r;
}

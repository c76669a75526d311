#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define PREFIX "nslaunch-"
#define DEFAULT_PARENT "/nslaunch"

static const char *const controller_names[NSL_CG_N] = { "memory", "cpu", "pids" };

bool nsl_cgroup_limits_any(const struct nsl_cgroup_limits *l)
{
        return l->memory || l->cpu_quota_us || l->pids;
}

static bool wants(const struct nsl_cgroup_limits *l, int c)
{
        return c == NSL_CG_MEMORY ? l->memory != 0 : c == NSL_CG_CPU ? l->cpu_quota_us != 0 : l->pids != 0;
}

static int write_at(int dirfd, const char *name, const char *value, nsl_error *error)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        size_t len = strlen(value);

        if (fd < 0 || write(fd, value, len) != (ssize_t)len)
                return nsl_fail(error, errno, "cgroup", name, "cannot write '%s': %s", value, strerror(errno));
        return 0;
}

static ssize_t read_at(int dirfd, const char *name, char *buf, size_t size)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return n;
}

/* "key value" lines (memory.events, memory.oom_control): the value of key. */
static int64_t keyed_value(int dirfd, const char *file, const char *key)
{
        char buf[4096];
        size_t klen = strlen(key);

        if (read_at(dirfd, file, buf, sizeof buf) < 0)
                return -1;
        for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (!strncmp(line, key, klen) && line[klen] == ' ')
                        return strtoll(line + klen + 1, NULL, 10);
        return -1;
}

int nsl_cgroup_v2_enable(int dirfd, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        char value[64] = "";

        for (int c = 0; c < NSL_CG_N; c++)
                if (wants(l, c)) {
                        strcat(value, value[0] ? " +" : "+");
                        strcat(value, controller_names[c]);
                }
        return value[0] ? write_at(dirfd, "cgroup.subtree_control", value, error) : 0;
}

int nsl_cgroup_v2_apply(int dirfd, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        char value[64];
        int r;

        if (l->memory) {
                snprintf(value, sizeof value, "%llu", (unsigned long long)l->memory);
                if ((r = write_at(dirfd, "memory.max", value, error)) < 0)
                        return r;
                /* v2 counts swap on its own: Docker's memory-swap is memory + swap */
                snprintf(value, sizeof value, "%llu",
                         (unsigned long long)(l->memory_swap > l->memory ? l->memory_swap - l->memory : 0));
                if ((r = write_at(dirfd, "memory.swap.max", value, error)) < 0 && error->errnum != ENOENT)
                        return r;
                if ((r = write_at(dirfd, "memory.oom.group", "1", error)) < 0)
                        return r;
        }
        if (l->cpu_quota_us) {
                snprintf(value, sizeof value, "%llu %d", (unsigned long long)l->cpu_quota_us, NSL_CGROUP_PERIOD_US);
                if ((r = write_at(dirfd, "cpu.max", value, error)) < 0)
                        return r;
        }
        if (l->pids) {
                snprintf(value, sizeof value, "%llu", (unsigned long long)l->pids);
                if ((r = write_at(dirfd, "pids.max", value, error)) < 0)
                        return r;
        }
        return 0;
}

int nsl_cgroup_v1_apply(int dirfd, int c, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        char value[64];
        int r;

        switch (c) {
        case NSL_CG_MEMORY:
                snprintf(value, sizeof value, "%llu", (unsigned long long)l->memory);
                if ((r = write_at(dirfd, "memory.limit_in_bytes", value, error)) < 0)
                        return r;
                if (faccessat(dirfd, "memory.memsw.limit_in_bytes", F_OK, 0) == 0) {
                        snprintf(value, sizeof value, "%llu",
                                 (unsigned long long)(l->memory_swap > l->memory ? l->memory_swap : l->memory));
                        if ((r = write_at(dirfd, "memory.memsw.limit_in_bytes", value, error)) < 0)
                                return r;
                } else if (faccessat(dirfd, "memory.swappiness", F_OK, 0) == 0 && l->memory_swap <= l->memory) {
                        /* no swap accounting: keep the sandbox out of swap instead */
                        (void)write_at(dirfd, "memory.swappiness", "0", error);
                }
                return 0;
        case NSL_CG_CPU:
                snprintf(value, sizeof value, "%d", NSL_CGROUP_PERIOD_US);
                if ((r = write_at(dirfd, "cpu.cfs_period_us", value, error)) < 0)
                        return r;
                snprintf(value, sizeof value, "%llu", (unsigned long long)l->cpu_quota_us);
                return write_at(dirfd, "cpu.cfs_quota_us", value, error);
        default:
                snprintf(value, sizeof value, "%llu", (unsigned long long)l->pids);
                return write_at(dirfd, "pids.max", value, error);
        }
}

struct mounts {
        char *v2;
        char *v1[NSL_CG_N];
};

static void mounts_free(struct mounts *m)
{
        free(m->v2);
        for (int c = 0; c < NSL_CG_N; c++)
                free(m->v1[c]);
}

static bool is_fs(const char *path, long magic)
{
        struct statfs sfs;
        return statfs(path, &sfs) == 0 && sfs.f_type == magic;
}

/* Where the hierarchies are: the places systemd (and every distribution)
 * mounts them, each checked to be a cgroup filesystem. Either all of
 * /sys/fs/cgroup is cgroup2 (unified), or it is a tmpfs holding v1
 * hierarchies per controller and maybe a cgroup2 at unified/ (hybrid). */
static int find_mounts(struct mounts *m)
{
        *m = (struct mounts){ 0 };
        if (is_fs(CGROUP_ROOT, CGROUP2_SUPER_MAGIC))
                return (m->v2 = strdup(CGROUP_ROOT)) ? 0 : -ENOMEM;
        if (is_fs(CGROUP_ROOT "/unified", CGROUP2_SUPER_MAGIC) && !(m->v2 = strdup(CGROUP_ROOT "/unified")))
                return -ENOMEM;
        for (int c = 0; c < NSL_CG_N; c++) {
                char path[64];
                snprintf(path, sizeof path, CGROUP_ROOT "/%s", controller_names[c]);
                if (is_fs(path, CGROUP_SUPER_MAGIC) && !(m->v1[c] = strdup(path)))
                        return -ENOMEM;
        }
        return 0;
}

/* The caller's own cgroup in the v2 hierarchy (controller NULL) or in the v1
 * hierarchy holding controller, from /proc/self/cgroup. */
static int own_cgroup(const char *controller, char **path)
{
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        FILE *f = fopen("/proc/self/cgroup", "re");
        int r = -ENOENT;

        if (!f)
                return -errno;
        while (getline(&line, &cap, f) > 0) {
                char *list = strchr(line, ':'), *p;
                if (!list || !(p = strchr(++list, ':')))
                        continue;
                *p++ = '\0';
                p[strcspn(p, "\n")] = '\0';
                bool match = !controller ? !strncmp(line, "0:", 2) && !*list : false;
                for (char *save = NULL, *tok = controller ? strtok_r(list, ",", &save) : NULL; tok;
                     tok = strtok_r(NULL, ",", &save))
                        match |= !strcmp(tok, controller);
                if (match) {
                        *path = strdup(p);
                        r = *path ? 0 : -ENOMEM;
                        break;
                }
        }
        fclose(f);
        return r;
}

/* nslaunch-PID-RANDOM: stale once PID (the nslaunch that made it) is gone.
 * An empty cgroup of a live nslaunch is one it has not moved its sandbox
 * into yet, and must be left alone. */
static bool creator_gone(const char *name)
{
        char *end;
        long pid = strtol(name + strlen(PREFIX), &end, 10);

        if (pid <= 0 || *end != '-')
                return false;
        return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static void remove_stale(const char *parent_dir)
{
        DIR *d = opendir(parent_dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                char procs[64];
                if (strncmp(de->d_name, PREFIX, strlen(PREFIX)) || de->d_type != DT_DIR || !creator_gone(de->d_name))
                        continue;
                int fd = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0)
                        continue;
                /* only when nothing runs in it: a stale one of a killed nslaunch */
                if (read_at(fd, "cgroup.procs", procs, sizeof procs) == 0)
                        unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
                close(fd);
        }
        closedir(d);
}

static int unique_name(char *buf, size_t size)
{
        uint32_t rnd;
        if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
                return -errno;
        snprintf(buf, size, PREFIX "%d-%08x", (int)getpid(), rnd);
        return 0;
}

static const char *no_delegation_hint(void)
{
        return "no cgroup this user may write; get a delegated one, e.g. run nslaunch under "
               "'systemd-run --user --scope -p Delegate=yes', or pass --limits best-effort";
}

static int create_dir(const char *hierarchy, const char *parent, const char *name, bool create_parent, char **out,
                      nsl_error *error)
{
        _cleanup_free_ char *parent_dir = NULL;

        if (asprintf(&parent_dir, "%s%s", hierarchy, parent) < 0 || asprintf(out, "%s/%s", parent_dir, name) < 0)
                return nsl_fail(error, ENOMEM, "cgroup", "", NULL);
        if (create_parent && mkdir(parent_dir, 0755) < 0 && errno != EEXIST)
                return nsl_fail(error, errno, "cgroup", parent_dir, NULL);
        if (access(parent_dir, W_OK) < 0)
                return nsl_fail(error, errno == EACCES || errno == EROFS ? ENOTSUP : errno, "cgroup", parent_dir,
                                "%s", errno == EACCES || errno == EROFS ? no_delegation_hint() : strerror(errno));
        remove_stale(parent_dir);
        if (mkdir(*out, 0755) < 0)
                return nsl_fail(error, errno, "cgroup", *out, "cannot create: %s", strerror(errno));
        return 0;
}

static bool v2_has(const char *dir, const struct nsl_cgroup_limits *l)
{
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        char buf[512];

        if (fd < 0 || read_at(fd, "cgroup.controllers", buf, sizeof buf) < 0)
                return false;
        for (int c = 0; c < NSL_CG_N; c++) {
                if (!wants(l, c))
                        continue;
                char *hit = strstr(buf, controller_names[c]);
                size_t n = strlen(controller_names[c]);
                if (!hit || (hit != buf && hit[-1] != ' ') || (hit[n] && hit[n] != ' ' && hit[n] != '\n'))
                        return false;
        }
        return true;
}

static int create_v2(const struct mounts *m, const struct nsl_cgroup_limits *l, const char *parent, const char *name,
                     struct nsl_cgroup *cg, nsl_error *error)
{
        _cleanup_free_ char *own = NULL;
        _cleanup_free_ char *parent_dir = NULL;
        bool rootless = geteuid() != 0;
        int r;

        if (!parent && rootless) {
                /* systemd's delegation: the caller's service or scope is its to manage */
                if (own_cgroup(NULL, &own) < 0)
                        return nsl_fail(error, ENOTSUP, "cgroup", "", "%s", no_delegation_hint());
                char *slash = strrchr(own, '/');
                if (slash && slash != own)
                        *slash = '\0';
                parent = own;
        }
        const char *p = parent ? parent : DEFAULT_PARENT;
        if (asprintf(&parent_dir, "%s%s", m->v2, p) < 0)
                return nsl_fail(error, ENOMEM, "cgroup", "", NULL);
        if (!parent) {
                if (mkdir(parent_dir, 0755) < 0 && errno != EEXIST)
                        return nsl_fail(error, errno, "cgroup", parent_dir, NULL);
                _cleanup_close_ int pfd = open(parent_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (pfd < 0 || (r = nsl_cgroup_v2_enable(pfd, l, error)) < 0)
                        return pfd < 0 ? nsl_fail(error, errno, "cgroup", parent_dir, NULL) : r;
        }
        r = create_dir(m->v2, p, name, false, &cg->dirs[0], error);
        if (r < 0)
                return r;
        cg->version = 2;
        cg->fd = open(cg->dirs[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cg->fd < 0)
                return nsl_fail(error, errno, "cgroup", cg->dirs[0], NULL);
        return nsl_cgroup_v2_apply(cg->fd, l, error);
}

static int create_v1(const struct mounts *m, const struct nsl_cgroup_limits *l, const char *parent, const char *name,
                     struct nsl_cgroup *cg, nsl_error *error)
{
        cg->version = 1;
        for (int c = 0; c < NSL_CG_N; c++) {
                _cleanup_free_ char *own = NULL;
                _cleanup_close_ int fd = -1;
                int r;

                if (!wants(l, c))
                        continue;
                if (!m->v1[c])
                        return nsl_fail(error, ENOTSUP, "cgroup", controller_names[c],
                                        "this host has no %s controller in cgroup v2 or v1", controller_names[c]);
                if (!parent && own_cgroup(controller_names[c], &own) < 0)
                        return nsl_fail(error, ENOENT, "cgroup", controller_names[c], "cannot find our own cgroup");
                r = create_dir(m->v1[c], parent ? parent : (strcmp(own, "/") ? own : ""), name, false, &cg->dirs[c],
                               error);
                if (r < 0)
                        return r;
                fd = open(cg->dirs[c], O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return nsl_fail(error, errno, "cgroup", cg->dirs[c], NULL);
                r = nsl_cgroup_v1_apply(fd, c, l, error);
                if (r < 0)
                        return r;
        }
        return 0;
}

int nsl_cgroup_create(const struct nsl_cgroup_limits *l, const char *parent, struct nsl_cgroup *cg, nsl_error *error)
{
        struct mounts m;
        char name[64];
        int r;

        *cg = (struct nsl_cgroup){ .fd = -1 };
        if (!nsl_cgroup_limits_any(l))
                return 0;
        if ((r = find_mounts(&m)) < 0 || (r = unique_name(name, sizeof name)) < 0)
                return nsl_fail(error, -r, "cgroup", "", NULL);
        if (m.v2 && v2_has(m.v2, l))
                r = create_v2(&m, l, parent, name, cg, error);
        else
                r = create_v1(&m, l, parent, name, cg, error);
        mounts_free(&m);
        if (r < 0)
                nsl_cgroup_destroy(cg);
        return r;
}

int nsl_cgroup_enter(const struct nsl_cgroup *cg, pid_t pid, nsl_error *error)
{
        char value[32];

        if (cg->version != 1)
                return 0;
        snprintf(value, sizeof value, "%d", (int)pid);
        for (int c = 0; c < NSL_CG_N; c++) {
                if (!cg->dirs[c])
                        continue;
                _cleanup_close_ int fd = open(cg->dirs[c], O_PATH | O_DIRECTORY | O_CLOEXEC);
                int r = fd < 0 ? nsl_fail(error, errno, "cgroup", cg->dirs[c], NULL)
                               : write_at(fd, "cgroup.procs", value, error);
                if (r < 0)
                        return r;
        }
        return 0;
}

void nsl_cgroup_stats(const struct nsl_cgroup *cg, int64_t *peak, bool *oom_killed)
{
        const char *mem = cg->version == 2 ? cg->dirs[0] : cg->version == 1 ? cg->dirs[NSL_CG_MEMORY] : NULL;
        _cleanup_close_ int fd = mem ? open(mem, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
        char buf[64];

        *peak = -1;
        *oom_killed = false;
        if (fd < 0)
                return;
        if (read_at(fd, cg->version == 2 ? "memory.peak" : "memory.max_usage_in_bytes", buf, sizeof buf) > 0)
                *peak = strtoll(buf, NULL, 10);
        *oom_killed = cg->version == 2 ? keyed_value(fd, "memory.events", "oom_kill") > 0
                                       : keyed_value(fd, "memory.oom_control", "oom_kill") > 0;
}

/* Everything in it was started by this sandbox: kill it, by pid, then rmdir. */
static void kill_and_remove(const char *dir, bool v2)
{
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        char procs[4096];

        for (int tries = 0; fd >= 0 && tries < 200; tries++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return;
                if (errno != EBUSY)
                        return;
                if (v2 && faccessat(fd, "cgroup.kill", F_OK, 0) == 0) {
                        nsl_error ignored;
                        (void)write_at(fd, "cgroup.kill", "1", &ignored);
                } else if (read_at(fd, "cgroup.procs", procs, sizeof procs) > 0) {
                        for (char *p = procs; *p;) {
                                long pid = strtol(p, &p, 10);
                                if (pid > 0)
                                        kill((pid_t)pid, SIGKILL);
                                while (*p == '\n')
                                        p++;
                        }
                }
                nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000 * 1000 }, NULL);
        }
}

void nsl_cgroup_destroy(struct nsl_cgroup *cg)
{
        for (int c = 0; c < NSL_CG_N; c++) {
                if (!cg->dirs[c])
                        continue;
                kill_and_remove(cg->dirs[c], cg->version == 2);
                free(cg->dirs[c]);
                cg->dirs[c] = NULL;
        }
        if (cg->fd >= 0)
                close(cg->fd);
        cg->fd = -1;
        cg->version = 0;
}

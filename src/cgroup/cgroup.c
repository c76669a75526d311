/* The interface: finds the hierarchies, names and creates the sandbox's
 * cgroup through v2.c or v1.c, reads its stats, and kills and removes it. */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../host.h"
#include "internal.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

const char *const nsl_cgroup_controller_names[NSL_CG_N] = { "memory", "cpu", "pids", "cpuset", "freezer",
                                                            "devices", "blkio", "name=systemd" };

bool nsl_cgroup_limits_v2_only(const struct nsl_cgroup_limits *l)
{
        return l->n_v2_files || l->n_hugepages || l->blkio_weight;
}

bool nsl_cgroup_limits_any(const struct nsl_cgroup_limits *l)
{
        if (nsl_cgroup_limits_v2_only(l))
                return true;
        for (int c = 0; c < NSL_CG_N; c++)
                if (nsl_cgroup_wants(l, c))
                        return true;
        return false;
}

/* A v2 file of the controller's ("memory.high" of memory) among the limits. */
static bool has_file_of(const struct nsl_cgroup_limits *l, const char *controller)
{
        size_t n = strlen(controller);

        for (size_t i = 0; i < l->n_v2_files; i++)
                if (!strncmp(l->v2_files[i], controller, n) && l->v2_files[i][n] == '.')
                        return true;
        return false;
}

uint64_t nsl_cgroup_swap_beyond_memory(const struct nsl_cgroup_limits *l)
{
        if (l->memory_swap == NSL_MEMORY_MAX)
                return NSL_MEMORY_MAX;
        return l->memory_swap > l->memory ? l->memory_swap - l->memory : 0;
}

bool nsl_cgroup_wants(const struct nsl_cgroup_limits *l, int c)
{
        if (c != NSL_CG_FREEZER && c != NSL_CG_DEVICES && c != NSL_CG_SYSTEMD &&
            has_file_of(l, nsl_cgroup_controller_names[c]))
                return true;
        switch (c) {
        case NSL_CG_MEMORY:
                return l->memory != 0 || l->memory_swap != 0 || l->memory_reservation != 0 || l->memory_kernel_tcp != 0 ||
                       l->memory_swappiness_set || l->oom_kill_disable;
        case NSL_CG_CPU:
                return l->cpu_quota_us != 0 || l->cpu_period_us != 0 || l->cpu_shares != 0 ||
                       l->cpu_rt_runtime_us != 0 || l->cpu_rt_period_us != 0;
        case NSL_CG_PIDS:
                return l->pids != 0;
        case NSL_CG_CPUSET:
                return l->cpuset_cpus[0] || l->cpuset_mems[0];
        case NSL_CG_BLKIO:
                return l->n_io_throttles != 0;
        default:
                return false;
        }
}

int nsl_cgroup_write(int dirfd, const char *name, const char *value, nsl_error *error)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        size_t len = strlen(value);

        if (fd < 0 || write(fd, value, len) != (ssize_t)len)
                return nsl_fail(error, errno, "cgroup", name, "cannot write '%s'", value);
        return 0;
}

int nsl_cgroup_in_dir(int r, const char *dir, nsl_error *error)
{
        char named[2 * sizeof error->object];

        if (r < 0 && error->object[0] && error->object[0] != '/') {
                snprintf(named, sizeof named, "%s/%s", dir, error->object);
                size_t len = strnlen(named, sizeof error->object - 1);
                memcpy(error->object, named, len);
                error->object[len] = '\0';
        }
        return r;
}

ssize_t nsl_cgroup_read(int dirfd, const char *name, char *buf, size_t size)
{
        return nsl_read_once(dirfd, name, O_NOFOLLOW, buf, size);
}

int64_t nsl_cgroup_keyed(int dirfd, const char *file, const char *key)
{
        char buf[4096];
        size_t klen = strlen(key);

        if (nsl_cgroup_read(dirfd, file, buf, sizeof buf) < 0)
                return -1;
        for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (!strncmp(line, key, klen) && line[klen] == ' ')
                        return strtoll(line + klen + 1, NULL, 10);
        return -1;
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
void nsl_cgroup_find_places(struct nsl_cgroup_places *p)
{
        static const char *const v1[NSL_CG_N] = { CGROUP_ROOT "/memory", CGROUP_ROOT "/cpu", CGROUP_ROOT "/pids",
                                                  CGROUP_ROOT "/cpuset", CGROUP_ROOT "/freezer",
                                                  CGROUP_ROOT "/devices", CGROUP_ROOT "/blkio",
                                                  CGROUP_ROOT "/systemd" };

        *p = (struct nsl_cgroup_places){ .self = "/proc/self/cgroup", .rootless = !nsl_host_root() };
        if (is_fs(CGROUP_ROOT, CGROUP2_SUPER_MAGIC)) {
                p->v2 = CGROUP_ROOT;
                return;
        }
        if (is_fs(CGROUP_ROOT "/unified", CGROUP2_SUPER_MAGIC))
                p->v2 = CGROUP_ROOT "/unified";
        for (int c = 0; c < NSL_CG_N; c++)
                if (is_fs(v1[c], CGROUP_SUPER_MAGIC))
                        p->v1[c] = v1[c];
}

int nsl_cgroup_own(const struct nsl_cgroup_places *places, const char *controller, char **path)
{
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        _cleanup_file_ FILE *f = fopen(places->self, "re");
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
        return r;
}

/* nslaunch-PID-RANDOM: stale once PID (the nslaunch that made it) is gone.
 * An empty cgroup of a live nslaunch is one it has not moved its sandbox
 * into yet, and must be left alone. */
static bool creator_gone(const char *name)
{
        char *end;
        long pid = strtol(name + strlen(NSL_CGROUP_PREFIX), &end, 10);

        if (pid <= 0 || *end != '-')
                return false;
        return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

bool nsl_cgroup_is_stale(int parent_fd, const char *name)
{
        _cleanup_close_ int fd = -1;
        char procs[64];

        if (strncmp(name, NSL_CGROUP_PREFIX, strlen(NSL_CGROUP_PREFIX)) || !creator_gone(name))
                return false;
        fd = openat(parent_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        /* only when nothing runs in it */
        return fd >= 0 && nsl_cgroup_read(fd, "cgroup.procs", procs, sizeof procs) == 0;
}

static void remove_stale(const char *parent_dir)
{
        _cleanup_dir_ DIR *d = opendir(parent_dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d)))
                if (de->d_type == DT_DIR && nsl_cgroup_is_stale(dirfd(d), de->d_name))
                        unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
}

static int unique_name(char *buf, size_t size)
{
        uint32_t rnd;
        if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
                return -errno;
        snprintf(buf, size, NSL_CGROUP_PREFIX "%d-%08x", (int)getpid(), rnd);
        return 0;
}

const char *nsl_cgroup_no_delegation_hint(void)
{
        return "no cgroup this user may write; get a delegated one, e.g. run nslaunch under "
               "'systemd-run --user --scope -p Delegate=yes', or pass --limits best-effort";
}

int nsl_cgroup_mkdir(const struct nsl_cgroup_places *places, const char *hierarchy, const char *parent,
                     const char *name, char **out, nsl_error *error)
{
        _cleanup_free_ char *parent_dir = NULL;
        _cleanup_free_ char *dir = NULL;

        if (asprintf(&parent_dir, "%s%s", hierarchy, parent) < 0 || asprintf(&dir, "%s/%s", parent_dir, name) < 0)
                return nsl_fail(error, ENOMEM, "cgroup", "", NULL);
        if (access(parent_dir, W_OK) < 0 && (errno == EACCES || errno == EROFS))
                return nsl_fail(error, ENOTSUP, "cgroup", parent_dir, "%s", nsl_cgroup_no_delegation_hint());
        if (access(parent_dir, W_OK) < 0)
                return nsl_fail(error, errno, "cgroup", parent_dir, NULL);
        remove_stale(parent_dir);
        if (mkdir(dir, 0755) < 0)
                return nsl_fail(error, errno, "cgroup", dir, "cannot create");
        if (places->made) {
                _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0)
                        places->made(fd, dir);
        }
        *out = TAKE_PTR(dir);
        return 0;
}

int nsl_cgroup_create_in(const struct nsl_cgroup_places *places, const struct nsl_cgroup_limits *l,
                         const char *parent, struct nsl_cgroup *cg, nsl_error *error)
{
        char name[64];
        int r;

        *cg = (struct nsl_cgroup)NSL_CGROUP_INIT;
        if (!nsl_cgroup_limits_any(l))
                return 0;
        if ((r = unique_name(name, sizeof name)) < 0)
                return nsl_fail(error, -r, "cgroup", "", NULL);
        if (places->v2 && nsl_cgroup_v2_has(places->v2, l))
                r = nsl_cgroup_v2_create(places, l, parent, name, cg, error);
        else
                r = nsl_cgroup_v1_create(places, l, parent, name, cg, error);
        if (r < 0)
                nsl_cgroup_destroy(cg);
        return r;
}

int nsl_cgroup_create(const struct nsl_cgroup_limits *l, const char *parent, struct nsl_cgroup *cg, nsl_error *error)
{
        struct nsl_cgroup_places places;

        nsl_cgroup_find_places(&places);
        return nsl_cgroup_create_in(&places, l, parent, cg, error);
}

void nsl_cgroup_stats(const struct nsl_cgroup *cg, int64_t *peak, bool *oom_killed)
{
        const char *mem = cg->version == 2 ? cg->dirs[0] : cg->version == 1 ? cg->dirs[NSL_CG_MEMORY] : NULL;
        _cleanup_close_ int fd = mem ? open(mem, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;

        *peak = -1;
        *oom_killed = false;
        if (fd < 0)
                return;
        nsl_cgroup_memory_stats(fd, cg->version == 2, peak, oom_killed);
}

void nsl_cgroup_lift_cpu_quota_in(const char *dir, bool v2)
{
        _cleanup_close_ int fd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
        nsl_error ignored;

        if (fd >= 0)
                (void)nsl_cgroup_write(fd, v2 ? "cpu.max" : "cpu.cfs_quota_us", v2 ? "max" : "-1", &ignored);
}

void nsl_cgroup_lift_cpu_quota_of(const struct nsl_cgroup *cg)
{
        if (cg->version)
                nsl_cgroup_lift_cpu_quota_in(cg->dirs[cg->version == 2 ? 0 : NSL_CG_CPU], cg->version == 2);
}

/* Everything in it was started by this sandbox: kill it, by pid, then
 * rmdir. Whether it is gone. */
static bool kill_and_remove(const char *dir, bool v2)
{
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        char procs[4096];

        if (fd < 0)
                return errno == ENOENT;
        for (int tries = 0; tries < 200; tries++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return true;
                if (errno != EBUSY)
                        return false;
                if (v2 && faccessat(fd, "cgroup.kill", F_OK, 0) == 0) {
                        nsl_error ignored;
                        (void)nsl_cgroup_write(fd, "cgroup.kill", "1", &ignored);
                } else if (nsl_cgroup_read(fd, "cgroup.procs", procs, sizeof procs) > 0) {
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
        return false;
}

void nsl_cgroup_release(struct nsl_cgroup *cg)
{
        for (int c = 0; c < NSL_CG_N; c++) {
                if (cg->tasks[c] >= 0)
                        close(cg->tasks[c]);
                free(cg->dirs[c]);
        }
        free(cg->unified);
        free(cg->scope);
        if (cg->fd >= 0)
                close(cg->fd);
        *cg = (struct nsl_cgroup)NSL_CGROUP_INIT;
}

void nsl_cgroup_destroy(struct nsl_cgroup *cg)
{
        bool removed = true;

        nsl_cgroup_lift_cpu_quota_of(cg);
        for (int c = 0; c < NSL_CG_N; c++) {
                if (cg->tasks[c] >= 0)
                        close(cg->tasks[c]);
                cg->tasks[c] = -1;
                if (!cg->dirs[c])
                        continue;
                removed &= kill_and_remove(cg->dirs[c], cg->version == 2);
                free(cg->dirs[c]);
                cg->dirs[c] = NULL;
        }
        if (cg->unified)
                kill_and_remove(cg->unified, true);
        free(cg->unified);
        cg->unified = NULL;
        if (cg->fd >= 0)
                close(cg->fd);
        cg->fd = -1;
        cg->version = 0;
        /* a cgroup that could not be removed stays the scope's: stopped, it
         * would have systemd wait on what is left */
        if (cg->scope && removed)
                nsl_systemd_scope_stop(cg->scope);
        free(cg->scope);
        cg->scope = NULL;
}

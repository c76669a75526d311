/* cgroup v2: one cgroup, cloned straight into (CLONE_INTO_CGROUP), with
 * memory.max, memory.swap.max, memory.oom.group, cpu.max and pids.max. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "internal.h"

#define DEFAULT_PARENT "/nslaunch"

int nsl_cgroup_v2_enable(int dirfd, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        char value[64] = "";

        for (int c = 0; c < NSL_CG_N; c++)
                if (nsl_cgroup_wants(l, c)) {
                        strcat(value, value[0] ? " +" : "+");
                        strcat(value, nsl_cgroup_controller_names[c]);
                }
        return value[0] ? nsl_cgroup_write(dirfd, "cgroup.subtree_control", value, error) : 0;
}

int nsl_cgroup_v2_apply(int dirfd, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        char value[64];
        int r;

        /* refused, not dropped: the caller asked for a behaviour v2 cannot give */
        if (l->memory_kernel_tcp)
                return nsl_fail(error, ENOTSUP, "cgroup", "memory.kmem.tcp.limit_in_bytes", "cgroup v2 has no TCP memory limit");
        if (l->memory_swappiness_set)
                return nsl_fail(error, ENOTSUP, "cgroup", "memory.swappiness", "cgroup v2 has no per-cgroup swappiness");
        if (l->oom_kill_disable)
                return nsl_fail(error, ENOTSUP, "cgroup", "memory.oom_control", "cgroup v2 cannot disable the OOM killer");
        if (l->memory) {
                snprintf(value, sizeof value, "%llu", (unsigned long long)l->memory);
                if ((r = nsl_cgroup_write(dirfd, "memory.max", value, error)) < 0)
                        return r;
                /* v2 counts swap on its own: Docker's memory-swap is memory + swap */
                snprintf(value, sizeof value, "%llu",
                         (unsigned long long)(l->memory_swap > l->memory ? l->memory_swap - l->memory : 0));
                if ((r = nsl_cgroup_write(dirfd, "memory.swap.max", value, error)) < 0 && error->errnum != ENOENT)
                        return r;
                if ((r = nsl_cgroup_write(dirfd, "memory.oom.group", "1", error)) < 0)
                        return r;
        }
        if (l->cpu_quota_us) {
                snprintf(value, sizeof value, "%llu %llu", (unsigned long long)l->cpu_quota_us,
                         (unsigned long long)(l->cpu_period_us ? l->cpu_period_us : NSL_CGROUP_PERIOD_US));
                if ((r = nsl_cgroup_write(dirfd, "cpu.max", value, error)) < 0)
                        return r;
        }
        if (l->memory_reservation) {
                snprintf(value, sizeof value, "%llu", (unsigned long long)l->memory_reservation);
                if ((r = nsl_cgroup_write(dirfd, "memory.low", value, error)) < 0)
                        return r;
        }
        if (l->cpu_shares) {
                snprintf(value, sizeof value, "%llu", (unsigned long long)nsl_cgroup_shares_to_weight(l->cpu_shares));
                if ((r = nsl_cgroup_write(dirfd, "cpu.weight", value, error)) < 0)
                        return r;
        }
        if (l->pids) {
                snprintf(value, sizeof value, "%llu", (unsigned long long)l->pids);
                if ((r = nsl_cgroup_write(dirfd, "pids.max", value, error)) < 0)
                        return r;
        }
        if (l->cpuset_cpus[0] && (r = nsl_cgroup_write(dirfd, "cpuset.cpus", l->cpuset_cpus, error)) < 0)
                return r;
        if (l->cpuset_mems[0] && (r = nsl_cgroup_write(dirfd, "cpuset.mems", l->cpuset_mems, error)) < 0)
                return r;
        return 0;
}

uint64_t nsl_cgroup_shares_to_weight(uint64_t shares)
{
        if (shares <= 2)
                return 1;
        if (shares >= 262144)
                return 10000;
        double x = log2((double)shares);
        return (uint64_t)ceil(pow(10.0, (x * x + 125.0 * x) / 612.0 - 7.0 / 34.0));
}

static bool listed(const char *list, const char *word)
{
        size_t n = strlen(word);

        /* not just the first hit: "cpu" is first found inside "cpuset" */
        for (const char *hit = list; (hit = strstr(hit, word)); hit += n)
                if ((hit == list || hit[-1] == ' ') && (!hit[n] || hit[n] == ' ' || hit[n] == '\n'))
                        return true;
        return false;
}

/* True when every controller the limits need is in dir's file. */
static bool has_in(const char *dir, const char *file, const struct nsl_cgroup_limits *l)
{
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        char buf[512];

        if (fd < 0 || nsl_cgroup_read(fd, file, buf, sizeof buf) < 0)
                return false;
        for (int c = 0; c < NSL_CG_N; c++)
                if (nsl_cgroup_wants(l, c) && !listed(buf, nsl_cgroup_controller_names[c]))
                        return false;
        return true;
}

bool nsl_cgroup_v2_has(const char *dir, const struct nsl_cgroup_limits *l)
{
        return has_in(dir, "cgroup.controllers", l);
}

/* The first controller the limits need that dir does not hand down to its
 * children; NULL when it hands them all, or when it cannot be read (creating
 * the cgroup then says why). */
static const char *not_handed_down(const char *dir, const struct nsl_cgroup_limits *l)
{
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        char buf[512];

        if (fd < 0 || nsl_cgroup_read(fd, "cgroup.subtree_control", buf, sizeof buf) < 0)
                return NULL;
        for (int c = 0; c < NSL_CG_N; c++)
                if (nsl_cgroup_wants(l, c) && !listed(buf, nsl_cgroup_controller_names[c]))
                        return nsl_cgroup_controller_names[c];
        return NULL;
}

int nsl_cgroup_v2_create(const struct nsl_cgroup_places *places, const struct nsl_cgroup_limits *l,
                         const char *parent, const char *name, struct nsl_cgroup *cg, nsl_error *error)
{
        _cleanup_free_ char *own = NULL;
        _cleanup_free_ char *parent_dir = NULL;
        int r;

        if (!parent && places->rootless) {
                /* systemd's delegation: the caller's service or scope is its to manage */
                if (nsl_cgroup_own(places, NULL, &own) < 0)
                        return nsl_fail(error, ENOTSUP, "cgroup", "", "%s", nsl_cgroup_no_delegation_hint());
                char *slash = strrchr(own, '/');
                if (slash && slash != own)
                        *slash = '\0';
                parent = own;
        }
        const char *p = parent ? parent : DEFAULT_PARENT;
        if (asprintf(&parent_dir, "%s%s", places->v2, p) < 0)
                return nsl_fail(error, ENOMEM, "cgroup", "", NULL);
        if (parent) {
                /* a parent nslaunch did not make is not its to rearrange: it
                 * must already give its children the controllers */
                const char *missing = not_handed_down(parent_dir, l);
                if (missing)
                        return nsl_fail(error, ENOTSUP, "cgroup", parent_dir,
                                        "does not hand the %s controller down (not in its cgroup.subtree_control); "
                                        "use a cgroup delegated with it, e.g. run nslaunch under "
                                        "'systemd-run --user --scope -p Delegate=yes', or pass --limits best-effort",
                                        missing);
        } else {
                bool made = mkdir(parent_dir, 0755) == 0;
                if (!made && errno != EEXIST)
                        return nsl_fail(error, errno, "cgroup", parent_dir, NULL);
                _cleanup_close_ int pfd = open(parent_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (pfd >= 0 && made && places->made)
                        places->made(pfd, parent_dir);
                if (pfd < 0 || (r = nsl_cgroup_v2_enable(pfd, l, error)) < 0)
                        return pfd < 0 ? nsl_fail(error, errno, "cgroup", parent_dir, NULL) : r;
        }
        r = nsl_cgroup_mkdir(places, places->v2, p, name, &cg->dirs[0], error);
        if (r < 0)
                return r;
        cg->version = 2;
        cg->fd = open(cg->dirs[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cg->fd < 0)
                return nsl_fail(error, errno, "cgroup", cg->dirs[0], NULL);
        return nsl_cgroup_v2_apply(cg->fd, l, error);
}

/* A parent made for an exact path hands down every controller it has, as
 * runc's do: a container made under it later, or an update, may then limit
 * what this container did not. When the kernel refuses the whole list, the
 * limits' own. */
static int enable_all(int dirfd, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        char have[512], value[1024] = "";
        char *save = NULL;
        nsl_error ignored;

        if (nsl_cgroup_read(dirfd, "cgroup.controllers", have, sizeof have) <= 0)
                have[0] = '\0';
        for (char *word = strtok_r(have, " \n", &save); word; word = strtok_r(NULL, " \n", &save))
                snprintf(value + strlen(value), sizeof value - strlen(value), "%s+%s", value[0] ? " " : "", word);
        if (value[0] && nsl_cgroup_write(dirfd, "cgroup.subtree_control", value, &ignored) == 0)
                return 0;
        return nsl_cgroup_v2_enable(dirfd, l, error);
}

/* Makes places->v2/path and its missing parents. Each parent must hand the
 * controllers the limits need down to its children: one nslaunch made is
 * told to hand down all it has, one it did not make is not its to rearrange
 * and is named. EBUSY when path exists and holds processes. */
int nsl_cgroup_v2_create_exact(const struct nsl_cgroup_places *places, const struct nsl_cgroup_limits *l,
                               const char *path, struct nsl_cgroup *cg, nsl_error *error)
{
        _cleanup_free_ char *dir = NULL;
        bool parent_made = false;
        int restarts = 0, r;

        if (asprintf(&dir, "%s%s", places->v2, path) < 0)
                return nsl_fail(error, ENOMEM, "cgroup", path, NULL);
        for (char *slash = dir + strlen(places->v2); slash;) {
                /* dir up to slash: a parent, to check or, when just made, to enable */
                *slash = '\0';
                _cleanup_close_ int pfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                const char *missing = parent_made || pfd < 0 ? NULL : not_handed_down(dir, l);
                if (pfd < 0)
                        return nsl_fail(error, errno, "cgroup", dir, NULL);
                if (parent_made && (r = enable_all(pfd, l, error)) < 0)
                        return r;
                if (missing)
                        return nsl_fail(error, ENOTSUP, "cgroup", dir,
                                        "does not hand the %s controller down (not in its cgroup.subtree_control)",
                                        missing);
                *slash = '/';
                char *next = strchr(slash + 1, '/');
                if (next)
                        *next = '\0';
                parent_made = mkdir(dir, 0755) == 0;
                if (!parent_made && errno == ENOENT && restarts++ < PARENT_GONE_RESTARTS) {
                        if (next)       /* a parent's last child was deleted meanwhile, and the parent with it */
                                *next = '/';
                        slash = dir + strlen(places->v2);
                        continue;
                }
                if (!parent_made && (errno == EACCES || errno == EROFS))
                        return nsl_fail(error, ENOTSUP, "cgroup", dir, "cannot create: %s",
                                        nsl_cgroup_no_delegation_hint());
                if (!parent_made && errno != EEXIST)
                        return nsl_fail(error, errno, "cgroup", dir, "cannot create");
                if (parent_made && places->made) {
                        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (fd >= 0)
                                places->made(fd, dir);
                }
                if (next)
                        *next = '/';
                slash = next;
        }
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (nsl_cgroup_collect_pids(dir, &pids, &n) == 0 && n > 0)
                return nsl_fail(error, EBUSY, "cgroup", dir, "already holds processes (%zu)", n);
        cg->version = 2;
        cg->dirs[0] = TAKE_PTR(dir);
        cg->fd = open(cg->dirs[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cg->fd < 0)
                return nsl_fail(error, errno, "cgroup", cg->dirs[0], NULL);
        if ((r = nsl_cgroup_in_dir(nsl_cgroup_v2_apply(cg->fd, l, error), cg->dirs[0], error)) < 0)
                return r;
        /* loading a device program takes CAP_SYS_ADMIN of the host, whatever
         * was delegated; rootless, the sandbox's user namespace bounds it */
        return l->n_device_rules && !places->rootless ? nsl_cgroup_v2_limit_devices(cg->dirs[0], l, error) : 0;
}

void nsl_cgroup_v2_stats(int dirfd, int64_t *peak, bool *oom_killed)
{
        char buf[64];

        if (nsl_cgroup_read(dirfd, "memory.peak", buf, sizeof buf) > 0)
                *peak = strtoll(buf, NULL, 10);
        *oom_killed = nsl_cgroup_keyed(dirfd, "memory.events", "oom_kill") > 0;
}

/* cgroup v2: one cgroup, cloned straight into (CLONE_INTO_CGROUP), with
 * memory.max, memory.swap.max, memory.oom.group, cpu.max and pids.max, and
 * the caller's own interface files after them. */
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

/* The v2 controllers the limits need: their own, then the prefix of each
 * file ("io" of io.weight) that is not core ("cgroup."). At most
 * V2_WANTED_MAX: more than the kernel has, so an extra one can only be a
 * name no cgroup lists, whose write then fails naming the file. */
#define V2_WANTED_MAX 16
struct v2_wanted {
        const char *name[V2_WANTED_MAX];
        size_t len[V2_WANTED_MAX];
        size_t n;
};

static void add_wanted(struct v2_wanted *w, const char *name, size_t len)
{
        for (size_t i = 0; i < w->n; i++)
                if (w->len[i] == len && !memcmp(w->name[i], name, len))
                        return;
        if (w->n < V2_WANTED_MAX) {
                w->name[w->n] = name;
                w->len[w->n++] = len;
        }
}

/* The v2 name of controller c: v1's blkio is v2's io. */
static const char *v2_controller(int c)
{
        return c == NSL_CG_BLKIO ? "io" : nsl_cgroup_controller_names[c];
}

static void wanted(const struct nsl_cgroup_limits *l, struct v2_wanted *w)
{
        w->n = 0;
        for (int c = 0; c < NSL_CG_N; c++)
                if (nsl_cgroup_wants(l, c))
                        add_wanted(w, v2_controller(c), strlen(v2_controller(c)));
        if (l->n_hugepages)
                add_wanted(w, "hugetlb", strlen("hugetlb"));
        if (l->blkio_weight)
                add_wanted(w, "io", strlen("io"));
        for (size_t i = 0; i < l->n_v2_files; i++) {
                size_t len = strcspn(l->v2_files[i], ".");
                if (len != strlen("cgroup") || memcmp(l->v2_files[i], "cgroup", len))
                        add_wanted(w, l->v2_files[i], len);
        }
}

int nsl_cgroup_v2_enable(int dirfd, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        struct v2_wanted w;
        char value[V2_WANTED_MAX * 72] = "";

        wanted(l, &w);
        for (size_t i = 0; i < w.n; i++)
                snprintf(value + strlen(value), sizeof value - strlen(value), "%s%.*s", i ? " +" : "+",
                         (int)w.len[i], w.name[i]);
        return value[0] ? nsl_cgroup_write(dirfd, "cgroup.subtree_control", value, error) : 0;
}

int nsl_cgroup_v2_file_name_check(const char *name, const char **why)
{
        static const char *const managed[] = { "cgroup.procs", "cgroup.threads", "cgroup.subtree_control",
                                               "cgroup.type", "cgroup.kill", "cgroup.freeze" };
        size_t len = strlen(name);
        const char *dot = strchr(name, '.');

        *why = "not a cgroup interface file name (CONTROLLER.FILE: a-z, 0-9, '_' and inner dots)";
        if (len == 0 || len > NSL_CGROUP_FILE_NAME_MAX || !dot || dot == name || name[len - 1] == '.' ||
            strstr(name, ".."))
                return -EINVAL;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'))
                        return -EINVAL;
        for (size_t i = 0; i < sizeof managed / sizeof managed[0]; i++)
                if (!strcmp(name, managed[i])) {
                        *why = "nslaunch's own: it moves, freezes or ends the sandbox's processes, or changes "
                               "how the cgroup hands controllers down";
                        return -EPERM;
                }
        return 0;
}

static bool has_file(int dirfd, const char *name)
{
        return faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* "NAME=VALUE" written; a missing file named for what it usually means. */
static int write_file(int dirfd, const char *assignment, nsl_error *error)
{
        char name[NSL_CGROUP_FILE_NAME_MAX + 1];
        size_t len = strcspn(assignment, "=");

        snprintf(name, sizeof name, "%.*s", (int)len, assignment);
        if (!has_file(dirfd, name) && errno == ENOENT)
                return nsl_fail(error, ENOENT, "cgroup", name, "no such file in the cgroup: the kernel has none, "
                                "or its controller is not enabled for the cgroup");
        return nsl_cgroup_write(dirfd, name, assignment + len + 1, error);
}

/* hugetlb.<size>.max, and the reservations' limit beside it where the
 * kernel has one (5.7 and later), as runc writes both: a reservation (a
 * shared mapping's) is charged when made, the use only when touched. */
static int write_hugepage_limit(int dirfd, const struct nsl_hugepage_limit *h, nsl_error *error)
{
        char name[32], value[32];
        int r;

        snprintf(value, sizeof value, "%llu", (unsigned long long)h->bytes);
        snprintf(name, sizeof name, "hugetlb.%s.max", h->size);
        if (!has_file(dirfd, name) && errno == ENOENT)
                return nsl_fail(error, ENOENT, "cgroup", name, "no such file in the cgroup: the kernel has no %s "
                                "huge pages", h->size);
        if ((r = nsl_cgroup_write(dirfd, name, value, error)) < 0)
                return r;
        snprintf(name, sizeof name, "hugetlb.%s.rsvd.max", h->size);
        return has_file(dirfd, name) ? nsl_cgroup_write(dirfd, name, value, error) : 0;
}

/* BFQ's own weight takes OCI's scale as it is and is what BFQ obeys; where
 * BFQ is not loaded, io.weight (blk-iocost's), as runc chooses. */
static int write_io_weight(int dirfd, unsigned blkio_weight, nsl_error *error)
{
        char value[32];

        if (has_file(dirfd, "io.bfq.weight")) {
                snprintf(value, sizeof value, "%u", blkio_weight);
                return nsl_cgroup_write(dirfd, "io.bfq.weight", value, error);
        }
        if (!has_file(dirfd, "io.weight") && errno == ENOENT)
                return nsl_fail(error, ENOENT, "cgroup", "io.weight", "no such file in the cgroup: the kernel has "
                                "neither BFQ nor blk-iocost to weigh I/O by");
        snprintf(value, sizeof value, "%llu", (unsigned long long)nsl_cgroup_blkio_to_io_weight(blkio_weight));
        return nsl_cgroup_write(dirfd, "io.weight", value, error);
}

/* One line per throttle: io.max keeps a device's other keys as they are. */
static int write_io_max(int dirfd, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        static const char *const keys[] = { [NSL_IO_READ_BPS] = "rbps", [NSL_IO_WRITE_BPS] = "wbps",
                                            [NSL_IO_READ_IOPS] = "riops", [NSL_IO_WRITE_IOPS] = "wiops" };

        for (size_t i = 0; i < l->n_io_throttles; i++) {
                const struct nsl_io_throttle_rule *t = &l->io_throttles[i];
                char line[96], rate[24] = "max";
                int r;
                if (t->rate)
                        snprintf(rate, sizeof rate, "%llu", (unsigned long long)t->rate);
                snprintf(line, sizeof line, "%u:%u %s=%s", t->major, t->minor, keys[t->kind], rate);
                if ((r = nsl_cgroup_write(dirfd, "io.max", line, error)) < 0)
                        return r;
        }
        return 0;
}

/* cpu.max's "QUOTA PERIOD", "max" for no quota; a quota alone leaves the
 * period as it is, and a period alone is written with the quota as it is. */
static int cpu_max(int dirfd, const struct nsl_cgroup_limits *l, char *value, size_t size, nsl_error *error)
{
        char quota[32], now[64];

        if (l->cpu_quota_us == NSL_CPU_QUOTA_MAX)
                snprintf(quota, sizeof quota, "max");
        else if (l->cpu_quota_us)
                snprintf(quota, sizeof quota, "%llu", (unsigned long long)l->cpu_quota_us);
        else if (nsl_cgroup_read(dirfd, "cpu.max", now, sizeof now) <= 0 || sscanf(now, "%31s", quota) != 1)
                return nsl_fail(error, EIO, "cgroup", "cpu.max", "cannot read the quota to keep");
        if (l->cpu_period_us)
                snprintf(value, size, "%s %llu", quota, (unsigned long long)l->cpu_period_us);
        else
                snprintf(value, size, "%s", quota);
        return 0;
}

/* UINT64_MAX (NSL_MEMORY_MAX, NSL_PIDS_MAX): "max", v2's word for no limit */
static int write_limit(int dirfd, const char *file, uint64_t n, nsl_error *error)
{
        char value[32];

        if (n == UINT64_MAX)
                return nsl_cgroup_write(dirfd, file, "max", error);
        snprintf(value, sizeof value, "%llu", (unsigned long long)n);
        return nsl_cgroup_write(dirfd, file, value, error);
}

/* v2 counts swap on its own: Docker's memory-swap is memory + swap, so a
 * swap limit alone has nothing to be counted beyond (runc refuses it too);
 * lifting it needs nothing. */
static int apply_memory(int dirfd, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        uint64_t swap = nsl_cgroup_swap_beyond_memory(l);
        int r;

        if (!l->memory && swap != NSL_MEMORY_MAX)
                return nsl_fail(error, EINVAL, "cgroup", "memory.swap.max",
                                "cgroup v2 counts swap alone: a memory-plus-swap limit needs the memory limit with it");
        if (l->memory && (r = write_limit(dirfd, "memory.max", l->memory, error)) < 0)
                return r;
        if ((r = write_limit(dirfd, "memory.swap.max", swap, error)) < 0 && error->errnum != ENOENT)
                return r;
        return l->memory ? nsl_cgroup_write(dirfd, "memory.oom.group", "1", error) : 0;
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
        if (l->cpu_rt_runtime_us || l->cpu_rt_period_us)
                return nsl_fail(error, ENOTSUP, "cgroup", "cpu.rt_runtime_us",
                                "cgroup v2 has no realtime CPU budget (the cpu controller takes no realtime task)");
        if ((l->memory || l->memory_swap) && (r = apply_memory(dirfd, l, error)) < 0)
                return r;
        if (l->cpu_quota_us || l->cpu_period_us) {
                if ((r = cpu_max(dirfd, l, value, sizeof value, error)) < 0 ||
                    (r = nsl_cgroup_write(dirfd, "cpu.max", value, error)) < 0)
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
        if (l->pids && (r = write_limit(dirfd, "pids.max", l->pids, error)) < 0)
                return r;
        if (l->cpuset_cpus[0] && (r = nsl_cgroup_write(dirfd, "cpuset.cpus", l->cpuset_cpus, error)) < 0)
                return r;
        if (l->cpuset_mems[0] && (r = nsl_cgroup_write(dirfd, "cpuset.mems", l->cpuset_mems, error)) < 0)
                return r;
        for (size_t i = 0; i < l->n_hugepages; i++)
                if ((r = write_hugepage_limit(dirfd, &l->hugepages[i], error)) < 0)
                        return r;
        if (l->blkio_weight && (r = write_io_weight(dirfd, l->blkio_weight, error)) < 0)
                return r;
        if ((r = write_io_max(dirfd, l, error)) < 0)
                return r;
        /* last: an OCI config's unified files override the typed limits, as runc applies them */
        for (size_t i = 0; i < l->n_v2_files; i++)
                if ((r = write_file(dirfd, l->v2_files[i], error)) < 0)
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

uint64_t nsl_cgroup_blkio_to_io_weight(unsigned blkio_weight)
{
        if (blkio_weight <= 10)
                return 1;
        return 1 + (uint64_t)(blkio_weight - 10) * 9999 / 990;
}

static bool listed(const char *list, const char *word, size_t n)
{
        /* not just the first hit: "cpu" is first found inside "cpuset" */
        for (const char *hit = list; (hit = memmem(hit, strlen(hit), word, n)); hit += n)
                if ((hit == list || hit[-1] == ' ') && (!hit[n] || hit[n] == ' ' || hit[n] == '\n'))
                        return true;
        return false;
}

/* The first controller the limits need that dir's file does not list, as
 * a malloc'd string; NULL when it lists them all or cannot be read. */
static char *first_missing(const char *dir, const char *file, const struct nsl_cgroup_limits *l, bool *unreadable)
{
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct v2_wanted w;
        char buf[512];

        *unreadable = fd < 0 || nsl_cgroup_read(fd, file, buf, sizeof buf) < 0;
        if (*unreadable)
                return NULL;
        wanted(l, &w);
        for (size_t i = 0; i < w.n; i++)
                if (!listed(buf, w.name[i], w.len[i]))
                        return strndup(w.name[i], w.len[i]);
        return NULL;
}

bool nsl_cgroup_v2_has(const char *dir, const struct nsl_cgroup_limits *l)
{
        bool unreadable;
        _cleanup_free_ char *missing = first_missing(dir, "cgroup.controllers", l, &unreadable);

        return !unreadable && !missing;
}

char *nsl_cgroup_v2_missing(const char *dir, const struct nsl_cgroup_limits *l)
{
        bool unreadable;

        return first_missing(dir, "cgroup.controllers", l, &unreadable);
}

/* The first controller the limits need that dir does not hand down to its
 * children (malloc'd); NULL when it hands them all, or when it cannot be
 * read (creating the cgroup then says why). */
static char *not_handed_down(const char *dir, const struct nsl_cgroup_limits *l)
{
        bool unreadable;

        return first_missing(dir, "cgroup.subtree_control", l, &unreadable);
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
                _cleanup_free_ char *missing = not_handed_down(parent_dir, l);
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
                _cleanup_free_ char *missing = parent_made || pfd < 0 ? NULL : not_handed_down(dir, l);
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
        /* the last made is path itself: one this mkdir made holds nothing yet */
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (!parent_made && nsl_cgroup_collect_pids(dir, &pids, &n) == 0 && n > 0)
                return nsl_fail(error, EBUSY, "cgroup", dir, "already holds processes (%zu)", n);
        return nsl_cgroup_v2_adopt(TAKE_PTR(dir), l, places->rootless, cg, error);
}

int nsl_cgroup_v2_adopt(char *dir, const struct nsl_cgroup_limits *l, bool rootless, struct nsl_cgroup *cg,
                        nsl_error *error)
{
        int r;

        cg->version = 2;
        cg->dirs[0] = dir;
        cg->fd = open(cg->dirs[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cg->fd < 0)
                return nsl_fail(error, errno, "cgroup", cg->dirs[0], NULL);
        if ((r = nsl_cgroup_in_dir(nsl_cgroup_v2_apply(cg->fd, l, error), cg->dirs[0], error)) < 0)
                return r;
        /* loading a device program takes CAP_SYS_ADMIN of the host, whatever
         * was delegated; rootless, the sandbox's user namespace bounds it */
        return l->n_device_rules && !rootless ? nsl_cgroup_v2_limit_devices(cg->dirs[0], l, error) : 0;
}

/* cgroup v1, for hosts that still keep memory, cpu or pids there: one cgroup
 * per limited controller. v1 has no CLONE_INTO_CGROUP, so nslaunch opens each
 * one's tasks file and the sandbox's init writes itself in as its first stage. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "internal.h"

static int write_u64(int dirfd, const char *file, uint64_t value, nsl_error *error)
{
        char text[32];

        snprintf(text, sizeof text, "%llu", (unsigned long long)value);
        return nsl_cgroup_write(dirfd, file, text, error);
}

/* UINT64_MAX (NSL_MEMORY_MAX, NSL_CPU_QUOTA_MAX): -1, v1's word for no
 * limit in the memory and cpu controllers' files */
static int write_limit(int dirfd, const char *file, uint64_t n, nsl_error *error)
{
        return n == UINT64_MAX ? nsl_cgroup_write(dirfd, file, "-1", error) : write_u64(dirfd, file, n, error);
}

/* memory.memsw.limit_in_bytes may never be below memory.limit_in_bytes, so
 * the one that grows is written first (an update may raise or lower both,
 * or change either alone). */
static int apply_memory(int dirfd, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        uint64_t memsw = l->memory_swap > l->memory ? l->memory_swap : l->memory;
        char now[32];
        int r;

        if (faccessat(dirfd, "memory.memsw.limit_in_bytes", F_OK, 0) < 0) {
                if (l->memory_swap == NSL_MEMORY_MAX)
                        /* swap without limit: nothing to count it for */
                        return l->memory ? write_limit(dirfd, "memory.limit_in_bytes", l->memory, error) : 0;
                if (l->memory_swap > l->memory)
                        return nsl_fail(error, ENOTSUP, "cgroup", "memory.memsw.limit_in_bytes",
                                        "this host does not account swap (swapaccount=1): the swap limit cannot be set");
                if (faccessat(dirfd, "memory.swappiness", F_OK, 0) == 0)
                        /* no swap accounting: keep the sandbox out of swap instead */
                        (void)nsl_cgroup_write(dirfd, "memory.swappiness", "0", error);
                return write_limit(dirfd, "memory.limit_in_bytes", l->memory, error);
        }
        bool swap_first = nsl_cgroup_read(dirfd, "memory.memsw.limit_in_bytes", now, sizeof now) > 0 &&
                          memsw > strtoull(now, NULL, 10);
        if (swap_first && (r = write_limit(dirfd, "memory.memsw.limit_in_bytes", memsw, error)) < 0)
                return r;
        if (l->memory && (r = write_limit(dirfd, "memory.limit_in_bytes", l->memory, error)) < 0)
                return r;
        return swap_first ? 0 : write_limit(dirfd, "memory.memsw.limit_in_bytes", memsw, error);
}

/* A budget of CPU time per period: CFS's quota, or realtime tasks' runtime. */
struct cpu_budget_files {
        const char *budget, *period;
};

static const struct cpu_budget_files cfs_files = { "cpu.cfs_quota_us", "cpu.cfs_period_us" };
static const struct cpu_budget_files rt_files = { "cpu.rt_runtime_us", "cpu.rt_period_us" };

/* Each 0 is left as it is. The kernel checks each write against the
 * parent's share with the other value as it stands: a period written first
 * may, with the old budget, claim more than the parent has (and a budget
 * first, with the old period). One of the two orders always passes where
 * the new pair fits. */
static int apply_cpu_budget(int dirfd, const struct cpu_budget_files *f, uint64_t budget, uint64_t period,
                            nsl_error *error)
{
        nsl_error ignored;
        int r;

        if (!budget && !period)
                return 0;
        if (!period)
                return write_limit(dirfd, f->budget, budget, error);
        if (!budget)
                return write_u64(dirfd, f->period, period, error);
        if (write_u64(dirfd, f->period, period, &ignored) == 0)
                return write_limit(dirfd, f->budget, budget, error);
        if ((r = write_limit(dirfd, f->budget, budget, error)) < 0)
                return r;
        return write_u64(dirfd, f->period, period, error);
}

static int apply_cpu(int dirfd, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        int r;

        if (l->cpu_shares && (r = write_u64(dirfd, "cpu.shares", l->cpu_shares, error)) < 0)
                return r;
        if ((r = apply_cpu_budget(dirfd, &cfs_files, l->cpu_quota_us, l->cpu_period_us, error)) < 0)
                return r;
        return apply_cpu_budget(dirfd, &rt_files, l->cpu_rt_runtime_us, l->cpu_rt_period_us, error);
}

static int apply_cpuset(int dirfd, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        int r;

        if (l->cpuset_cpus[0] && (r = nsl_cgroup_write(dirfd, "cpuset.cpus", l->cpuset_cpus, error)) < 0)
                return r;
        if (l->cpuset_mems[0] && (r = nsl_cgroup_write(dirfd, "cpuset.mems", l->cpuset_mems, error)) < 0)
                return r;
        return 0;
}

/* In order, each to devices.allow or devices.deny (a write takes one rule):
 * a rule for all devices ("a *:* rwm") first resets the list, the later ones
 * make exceptions. */
static int apply_devices(int dirfd, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        static const char *const files[] = { "devices.deny", "devices.allow" };
        _cleanup_close_ int deny_fd = -1, allow_fd = -1;

        for (size_t i = 0; i < l->n_device_rules; i++) {
                const struct nsl_device_rule *rule = &l->device_rules[i];
                int *fd = rule->allow ? &allow_fd : &deny_fd;
                char line[40];
                nsl_device_rule_format(rule, line, sizeof line);
                size_t len = strlen(line);
                if (*fd < 0 && (*fd = openat(dirfd, files[rule->allow], O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
                        return nsl_fail(error, errno, "cgroup", files[rule->allow], NULL);
                if (write(*fd, line, len) != (ssize_t)len)
                        return nsl_fail(error, errno, "cgroup", files[rule->allow], "cannot write '%s'", line);
        }
        return 0;
}

/* One rule per write: "MAJ:MIN RATE", where 0 removes the device's rule. */
static int apply_io_throttles(int dirfd, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        static const char *const files[] = {
                [NSL_IO_READ_BPS] = "blkio.throttle.read_bps_device",
                [NSL_IO_WRITE_BPS] = "blkio.throttle.write_bps_device",
                [NSL_IO_READ_IOPS] = "blkio.throttle.read_iops_device",
                [NSL_IO_WRITE_IOPS] = "blkio.throttle.write_iops_device",
        };

        for (size_t i = 0; i < l->n_io_throttles; i++) {
                const struct nsl_io_throttle_rule *t = &l->io_throttles[i];
                char line[64];
                int r;
                snprintf(line, sizeof line, "%u:%u %llu", t->major, t->minor, (unsigned long long)t->rate);
                if ((r = nsl_cgroup_write(dirfd, files[t->kind], line, error)) < 0)
                        return r;
        }
        return 0;
}

/* Writes what the limits set for controller c, and only that. */
int nsl_cgroup_v1_apply(int dirfd, int c, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        switch (c) {
        case NSL_CG_MEMORY: {
                int r = l->memory || l->memory_swap ? apply_memory(dirfd, l, error) : 0;
                if (r == 0 && l->memory_reservation)
                        r = write_u64(dirfd, "memory.soft_limit_in_bytes", l->memory_reservation, error);
                if (r == 0 && l->memory_kernel_tcp)
                        r = write_u64(dirfd, "memory.kmem.tcp.limit_in_bytes", l->memory_kernel_tcp, error);
                /* after apply_memory: the caller's swappiness wins over its 0 for a host without swap accounting */
                if (r == 0 && l->memory_swappiness_set)
                        r = write_u64(dirfd, "memory.swappiness", (uint64_t)l->memory_swappiness, error);
                if (r == 0 && l->oom_kill_disable)
                        r = nsl_cgroup_write(dirfd, "memory.oom_control", "1", error);
                return r;
        }
        case NSL_CG_CPU:
                return apply_cpu(dirfd, l, error);
        case NSL_CG_PIDS:
                if (l->pids == NSL_PIDS_MAX)
                        return nsl_cgroup_write(dirfd, "pids.max", "max", error);
                return l->pids ? write_u64(dirfd, "pids.max", l->pids, error) : 0;
        case NSL_CG_CPUSET:
                return apply_cpuset(dirfd, l, error);
        case NSL_CG_DEVICES:
                return apply_devices(dirfd, l, error);
        case NSL_CG_BLKIO:
                return apply_io_throttles(dirfd, l, error);
        default:
                return 0;
        }
}

/* A new v1 cpuset cgroup (fd, named dir) has no CPUs and no memory nodes,
 * and no task may join it so: it starts with its parent's. The parent is
 * read only for what is empty: one nslaunch made has cgroup.clone_children
 * set, and the kernel has filled its new children already. */
static int cpuset_inherit(int fd, const char *dir, nsl_error *error)
{
        static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
        _cleanup_close_ int pfd = -1;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char value[NSL_CPUSET_MAX];
                if (nsl_cgroup_read(fd, files[i], value, sizeof value) > 1)
                        continue;
                if (pfd < 0 && (pfd = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                        return nsl_fail(error, errno, "cgroup", dir, "cannot open its parent");
                ssize_t n = nsl_cgroup_read(pfd, files[i], value, sizeof value);
                if (n < 0)
                        return nsl_fail(error, (int)-n, "cgroup", dir, "cannot read its parent's %s", files[i]);
                value[strcspn(value, "\n")] = '\0';
                int r = nsl_cgroup_write(fd, files[i], value[0] ? value : "\n", error);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* mkdir_exact's cpuset cgroup at dir, filled; a parent nslaunch made fills
 * its children itself from then on (cpuset_inherit then reads nothing of
 * it). The flag is only a shortcut: where it cannot be set, cpuset_inherit
 * copies. */
static int cpuset_settle(const char *dir, bool made_parent, nsl_error *error)
{
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        nsl_error ignored;

        if (fd < 0)
                return nsl_fail(error, errno, "cgroup", dir, NULL);
        int r = cpuset_inherit(fd, dir, error);
        if (r == 0 && made_parent)
                (void)nsl_cgroup_write(fd, "cgroup.clone_children", "1", &ignored);
        return r;
}

/* Makes hierarchy/path and its missing parents (a cpuset cgroup gets its
 * parent's CPUs and nodes); EBUSY when path existed and holds processes. */
static int mkdir_exact(const char *hierarchy, const char *path, bool cpuset, char **out, nsl_error *error)
{
        _cleanup_free_ char *dir = NULL;
        bool made = false;

        if (asprintf(&dir, "%s%s", hierarchy, path) < 0)
                return nsl_fail(error, ENOMEM, "cgroup", path, NULL);
        int restarts = 0;
        for (char *p = dir + strlen(hierarchy) + 1;; p++) {
                if (*p && *p != '/')
                        continue;
                char saved = *p;
                *p = '\0';
                made = mkdir(dir, 0755) == 0;
                if (!made && errno == ENOENT && restarts++ < PARENT_GONE_RESTARTS) {
                        *p = saved;     /* a parent's last child was deleted meanwhile, and the parent with it */
                        p = dir + strlen(hierarchy);
                        continue;
                }
                if (!made && (errno == EACCES || errno == EROFS))
                        return nsl_fail(error, ENOTSUP, "cgroup", dir, "cannot create: %s",
                                        nsl_cgroup_no_delegation_hint());
                if (!made && errno != EEXIST)
                        return nsl_fail(error, errno, "cgroup", dir, "cannot create");
                /* not only the ones made here: another create may have
                 * made this one and not filled it yet (cpuset_inherit fills
                 * only what is empty) */
                int r = cpuset ? cpuset_settle(dir, made && saved, error) : 0;
                *p = saved;
                if (r == -ENOENT && restarts++ < PARENT_GONE_RESTARTS) {
                        *error = (nsl_error){ 0 };      /* deleted, emptied, meanwhile: made again */
                        p = dir + strlen(hierarchy);
                        continue;
                }
                if (r < 0)
                        return r;
                if (!saved)
                        break;
        }
        /* one this mkdir made holds nothing yet */
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (!made && nsl_cgroup_collect_pids(dir, &pids, &n) == 0 && n > 0)
                return nsl_fail(error, EBUSY, "cgroup", dir, "already holds processes (%zu)", n);
        *out = TAKE_PTR(dir);
        return 0;
}

int nsl_cgroup_v1_refuse_v2_only(const struct nsl_cgroup_places *places, const struct nsl_cgroup_limits *l,
                                 nsl_error *error)
{
        char name[NSL_CGROUP_FILE_NAME_MAX + 1];
        bool any_v1 = false;

        if (!nsl_cgroup_limits_v2_only(l))
                return 0;
        for (int c = 0; places && c < NSL_CG_N; c++)
                any_v1 |= places->v1[c] != NULL;
        _cleanup_free_ char *missing = places && places->v2 && !any_v1 ? nsl_cgroup_v2_missing(places->v2, l) : NULL;
        if (missing)
                return nsl_fail(error, ENOTSUP, "cgroup", places->v2, "has no %s controller (not in its "
                                "cgroup.controllers)", missing);
        if (l->n_hugepages)
                snprintf(name, sizeof name, "hugetlb.%s.max", l->hugepages[0].size);
        else if (l->blkio_weight)
                snprintf(name, sizeof name, "io.weight");
        else
                snprintf(name, sizeof name, "%.*s", (int)strcspn(l->v2_files[0], "="), l->v2_files[0]);
        return nsl_fail(error, ENOTSUP, "cgroup", name, "a cgroup v2 file, and this host's controllers are in "
                        "cgroup v1 hierarchies");
}

/* A hybrid host's cgroup2 holds no controller, yet systemd tracks
 * processes there, and runc puts a container at its path there too: the
 * child is cloned into it (CLONE_INTO_CGROUP spares the global lock a move
 * of a whole process takes). Root's alone, as name=systemd. */
static int make_unified(const struct nsl_cgroup_places *places, const char *path, struct nsl_cgroup *cg,
                        nsl_error *error)
{
        int r;

        if (!places->v2 || places->rootless)
                return 0;
        if ((r = mkdir_exact(places->v2, path, false, &cg->unified, error)) < 0)
                return r;
        cg->fd = open(cg->unified, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return cg->fd < 0 ? nsl_fail(error, errno, "cgroup", cg->unified, NULL) : 0;
}

int nsl_cgroup_v1_create_exact(const struct nsl_cgroup_places *places, const struct nsl_cgroup_limits *l,
                               const char *path, struct nsl_cgroup *cg, nsl_error *error)
{
        int r = nsl_cgroup_v1_refuse_v2_only(places, l, error);

        if (r < 0)
                return r;
        cg->version = 1;
        for (int c = 0; c < NSL_CG_N; c++) {
                _cleanup_close_ int fd = -1;

                if (!places->v1[c] && nsl_cgroup_wants(l, c))
                        return nsl_fail(error, ENOTSUP, "cgroup", nsl_cgroup_controller_names[c],
                                        "this host has no %s controller in cgroup v1", nsl_cgroup_controller_names[c]);
                /* device rules take CAP_SYS_ADMIN of the host's user namespace,
                 * whatever was delegated; rootless, the sandbox's own user
                 * namespace keeps it from making or opening others' nodes */
                if (!places->v1[c] || (c == NSL_CG_DEVICES && places->rootless))
                        continue;
                /* blkio is seldom delegated: a rootless sandbox has a cgroup
                 * there only when it throttles I/O */
                if (c == NSL_CG_BLKIO && places->rootless && !nsl_cgroup_wants(l, c))
                        continue;
                /* name=systemd is systemd's, its cgroups root's */
                if (c == NSL_CG_SYSTEMD && places->rootless)
                        continue;
                if ((r = mkdir_exact(places->v1[c], path, c == NSL_CG_CPUSET, &cg->dirs[c], error)) < 0)
                        return r;
                fd = open(cg->dirs[c], O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return nsl_fail(error, errno, "cgroup", cg->dirs[c], NULL);
                if ((r = nsl_cgroup_v1_apply(fd, c, l, error)) < 0)
                        return nsl_cgroup_in_dir(r, cg->dirs[c], error);
                cg->tasks[c] = openat(fd, "tasks", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
                if (cg->tasks[c] < 0)
                        return nsl_fail(error, errno, "cgroup", cg->dirs[c], "cannot open its tasks file");
        }
        return make_unified(places, path, cg, error);
}

int nsl_cgroup_v1_create(const struct nsl_cgroup_places *places, const struct nsl_cgroup_limits *l,
                         const char *parent, const char *name, struct nsl_cgroup *cg, nsl_error *error)
{
        int r = nsl_cgroup_v1_refuse_v2_only(places, l, error);

        if (r < 0)
                return r;
        cg->version = 1;
        for (int c = 0; c < NSL_CG_N; c++) {
                const char *controller = nsl_cgroup_controller_names[c];
                _cleanup_free_ char *own = NULL;
                _cleanup_close_ int fd = -1;

                if (!nsl_cgroup_wants(l, c))
                        continue;
                if (!places->v1[c])
                        return nsl_fail(error, ENOTSUP, "cgroup", controller,
                                        "this host has no %s controller in cgroup v2 or v1", controller);
                if (!parent && (r = nsl_cgroup_own(places, controller, &own)) < 0)
                        return nsl_fail(error, -r, "cgroup", controller, "cannot find our own cgroup");
                r = nsl_cgroup_mkdir(places, places->v1[c], parent ? parent : (strcmp(own, "/") ? own : ""), name,
                                     &cg->dirs[c], error);
                if (r < 0)
                        return r;
                fd = open(cg->dirs[c], O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return nsl_fail(error, errno, "cgroup", cg->dirs[c], NULL);
                if (c == NSL_CG_CPUSET && (r = cpuset_inherit(fd, cg->dirs[c], error)) < 0)
                        return r;
                r = nsl_cgroup_v1_apply(fd, c, l, error);
                if (r < 0)
                        return r;
                cg->tasks[c] = openat(fd, "tasks", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
                if (cg->tasks[c] < 0)
                        return nsl_fail(error, errno, "cgroup", cg->dirs[c], "cannot open its tasks file");
        }
        return 0;
}

int nsl_cgroup_enter_self(const int tasks[NSL_CG_N], nsl_error *error)
{
        for (int c = 0; c < NSL_CG_N; c++) {
                if (tasks[c] < 0)
                        continue;
                if (write(tasks[c], "0", 1) != 1)
                        return nsl_fail(error, errno, "cgroup-enter", nsl_cgroup_controller_names[c],
                                        "cannot move into the sandbox's cgroup");
        }
        return 0;
}

/* cgroup v1, for hosts that still keep memory, cpu or pids there: one cgroup
 * per limited controller. v1 has no CLONE_INTO_CGROUP, so nslaunch opens each
 * one's tasks file and the sandbox's init writes itself in as its first stage. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "internal.h"

int nsl_cgroup_v1_apply(int dirfd, int c, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        char value[64];
        int r;

        switch (c) {
        case NSL_CG_MEMORY:
                snprintf(value, sizeof value, "%llu", (unsigned long long)l->memory);
                if ((r = nsl_cgroup_write(dirfd, "memory.limit_in_bytes", value, error)) < 0)
                        return r;
                if (faccessat(dirfd, "memory.memsw.limit_in_bytes", F_OK, 0) == 0) {
                        snprintf(value, sizeof value, "%llu",
                                 (unsigned long long)(l->memory_swap > l->memory ? l->memory_swap : l->memory));
                        if ((r = nsl_cgroup_write(dirfd, "memory.memsw.limit_in_bytes", value, error)) < 0)
                                return r;
                } else if (faccessat(dirfd, "memory.swappiness", F_OK, 0) == 0 && l->memory_swap <= l->memory) {
                        /* no swap accounting: keep the sandbox out of swap instead */
                        (void)nsl_cgroup_write(dirfd, "memory.swappiness", "0", error);
                }
                return 0;
        case NSL_CG_CPU:
                snprintf(value, sizeof value, "%d", NSL_CGROUP_PERIOD_US);
                if ((r = nsl_cgroup_write(dirfd, "cpu.cfs_period_us", value, error)) < 0)
                        return r;
                snprintf(value, sizeof value, "%llu", (unsigned long long)l->cpu_quota_us);
                return nsl_cgroup_write(dirfd, "cpu.cfs_quota_us", value, error);
        default:
                snprintf(value, sizeof value, "%llu", (unsigned long long)l->pids);
                return nsl_cgroup_write(dirfd, "pids.max", value, error);
        }
}

int nsl_cgroup_v1_create(const struct nsl_cgroup_places *places, const struct nsl_cgroup_limits *l,
                         const char *parent, const char *name, struct nsl_cgroup *cg, nsl_error *error)
{
        cg->version = 1;
        for (int c = 0; c < NSL_CG_N; c++) {
                const char *controller = nsl_cgroup_controller_names[c];
                _cleanup_free_ char *own = NULL;
                _cleanup_close_ int fd = -1;
                int r;

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

void nsl_cgroup_v1_stats(int dirfd, int64_t *peak, bool *oom_killed)
{
        char buf[64];

        if (nsl_cgroup_read(dirfd, "memory.max_usage_in_bytes", buf, sizeof buf) > 0)
                *peak = strtoll(buf, NULL, 10);
        *oom_killed = nsl_cgroup_keyed(dirfd, "memory.oom_control", "oom_kill") > 0;
}

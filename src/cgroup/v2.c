/* cgroup v2: one cgroup, cloned straight into (CLONE_INTO_CGROUP), with
 * memory.max, memory.swap.max, memory.oom.group, cpu.max and pids.max. */
#include <errno.h>
#include <fcntl.h>
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
                snprintf(value, sizeof value, "%llu %d", (unsigned long long)l->cpu_quota_us, NSL_CGROUP_PERIOD_US);
                if ((r = nsl_cgroup_write(dirfd, "cpu.max", value, error)) < 0)
                        return r;
        }
        if (l->pids) {
                snprintf(value, sizeof value, "%llu", (unsigned long long)l->pids);
                if ((r = nsl_cgroup_write(dirfd, "pids.max", value, error)) < 0)
                        return r;
        }
        return 0;
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

void nsl_cgroup_v2_stats(int dirfd, int64_t *peak, bool *oom_killed)
{
        char buf[64];

        if (nsl_cgroup_read(dirfd, "memory.peak", buf, sizeof buf) > 0)
                *peak = strtoll(buf, NULL, 10);
        *oom_killed = nsl_cgroup_keyed(dirfd, "memory.events", "oom_kill") > 0;
}

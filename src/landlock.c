/* The Landlock rules of a launch, decided before clone from the plan's own
 * mount tree: every mount is a region with an access (read; execute where
 * the mount is read-only; write but no execute where it is writable; read
 * only for /proc; read and write on /dev's nodes). A rule covers everything
 * beneath its directory, across mountpoints, and rules only add: where an
 * executable region holds a mount that must not be executed from, the
 * region's grant goes to its entries one by one instead, around that mount
 * (listed from the host directory the region comes from). The table and the
 * why of each choice are in docs/landlock.md. */
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "plan.h"
#include "spec.h"

#define MAX_RULES 1024

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_EXEC LANDLOCK_ACCESS_FS_EXECUTE
#define FS_WRITE                                                                                                   \
        (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |          \
         LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |                \
         LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER |                   \
         LANDLOCK_ACCESS_FS_TRUNCATE)
#define FS_DEVICE (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)

int nsl_landlock_kernel_abi(void)
{
        int abi = nsl_landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        return abi < 0 ? 0 : abi;
}

/* Everything the ABI can refuse: what it does not handle it cannot refuse. */
static uint64_t fs_handled(int abi)
{
        uint64_t fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;

        if (abi >= 2)
                fs |= LANDLOCK_ACCESS_FS_REFER;
        if (abi >= 3)
                fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
        if (abi >= 5)
                fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
        return fs;
}

struct region {
        char *dest;
        const char *source;     /* the host directory its entries come from; NULL: only mountpoints */
        uint64_t access;
        bool dir;
        bool hidden;            /* a later mount at or above it covers it */
};

struct builder {
        struct region *regions;
        size_t n_regions;
        struct nsl_landlock *ll;
        uint64_t handled;
        nsl_error *error;
};

static bool is_under(const char *path, const char *dir)
{
        size_t len = strlen(dir);

        if (!strcmp(dir, "/"))
                return path[0] == '/' && path[1];
        return !strncmp(path, dir, len) && path[len] == '/';
}

static bool is_at_or_under(const char *path, const char *dir)
{
        return !strcmp(path, dir) || is_under(path, dir);
}

static uint64_t for_kind(uint64_t access, bool dir)
{
        return dir ? access : access & NSL_LANDLOCK_FILE_ACCESS;
}

static int add_region(struct builder *b, const char *dest, const char *source, uint64_t access, bool dir)
{
        struct region *r = &b->regions[b->n_regions];

        r->dest = strdup(dest);
        if (!r->dest)
                return nsl_fail(b->error, ENOMEM, "landlock", dest, NULL);
        r->source = source;
        r->access = for_kind(access & b->handled, dir);
        r->dir = dir;
        b->n_regions++;
        for (size_t i = 0; i + 1 < b->n_regions; i++)
                if (is_at_or_under(b->regions[i].dest, dest))
                        b->regions[i].hidden = true;
        return 0;
}

static int grant(struct builder *b, const char *path, uint64_t access)
{
        struct nsl_landlock *ll = b->ll;
        uint64_t inherited = 0;

        for (size_t i = 0; i < ll->n_rules; i++)
                if (is_at_or_under(path, ll->rules[i].path))
                        inherited |= ll->rules[i].access;
        if (!(access & ~inherited))
                return 0;
        if (ll->n_rules == MAX_RULES)
                return nsl_fail(b->error, E2BIG, "--landlock", path,
                                "more than %d rules (a writable mount under a large read-only directory?)", MAX_RULES);
        ll->rules[ll->n_rules].path = strdup(path);
        if (!ll->rules[ll->n_rules].path)
                return nsl_fail(b->error, ENOMEM, "landlock", path, NULL);
        ll->rules[ll->n_rules++].access = access;
        return 0;
}

/* A visible region under region m, at or under dir, that must not execute
 * what m may. Execution is the one right a region is split for: where a
 * mount nested in a writable region must not be written to, it is
 * read-only (or /dev), and the mount tree refuses the writes itself; the
 * one place that leaves open is /proc under --rw-root (docs/landlock.md). */
static bool conflicts_under(const struct builder *b, const struct region *m, const char *dir)
{
        if (!(m->access & FS_EXEC))
                return false;
        for (size_t i = 0; i < b->n_regions; i++) {
                const struct region *n = &b->regions[i];
                if (n != m && !n->hidden && is_under(n->dest, m->dest) && is_under(n->dest, dir) &&
                    !(n->access & FS_EXEC))
                        return true;
        }
        return false;
}

static bool is_region(const struct builder *b, const char *path)
{
        for (size_t i = 0; i < b->n_regions; i++)
                if (!b->regions[i].hidden && !strcmp(b->regions[i].dest, path))
                        return true;
        return false;
}

static int split(struct builder *b, const struct region *m, const char *dir, const char *host_dir);

static int entry(struct builder *b, const struct region *m, const char *dir, const char *host_dir, const char *name,
                 bool is_dir)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ char *host = NULL;

        if (asprintf(&path, "%s/%s", strcmp(dir, "/") ? dir : "", name) < 0 ||
            (host_dir && asprintf(&host, "%s/%s", host_dir, name) < 0))
                return nsl_fail(b->error, ENOMEM, "landlock", dir, NULL);
        if (is_region(b, path))
                return 0;
        if (is_dir && conflicts_under(b, m, path))
                return split(b, m, path, host);
        return grant(b, path, for_kind(m->access, is_dir));
}

struct listing {
        struct builder *b;
        const struct region *m;
        const char *dir, *host_dir;
        int dir_fd;
};

static int listed_entry(const char *name, void *data, nsl_error *error)
{
        struct listing *l = data;
        struct stat st;

        (void)error;
        /* a symlink gets no rule: what it points to has its own */
        if (fstatat(l->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISLNK(st.st_mode))
                return 0;
        return entry(l->b, l->m, l->dir, l->host_dir, name, S_ISDIR(st.st_mode));
}

/* The first component below dir of a mountpoint nslaunch makes there. */
static int mountpoint_entries(struct builder *b, const struct region *m, const char *dir, const char *host_dir,
                              int dir_fd)
{
        size_t len = strcmp(dir, "/") ? strlen(dir) : 0;

        for (size_t i = 0; i < b->n_regions; i++) {
                const struct region *n = &b->regions[i];
                char name[256];
                size_t k;
                bool seen = false;

                if (n->hidden || !is_under(n->dest, dir))
                        continue;
                k = strcspn(n->dest + len + 1, "/");
                if (k >= sizeof name)
                        continue;
                memcpy(name, n->dest + len + 1, k);
                name[k] = '\0';
                for (size_t j = 0; j < i && !seen; j++) {
                        const char *other = b->regions[j].dest + len + 1;
                        seen = !b->regions[j].hidden && is_under(b->regions[j].dest, dir) &&
                               !strncmp(other, name, k) && (other[k] == '/' || other[k] == '\0');
                }
                if (seen || (dir_fd >= 0 && faccessat(dir_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0))
                        continue;
                int r = entry(b, m, dir, host_dir, name, n->dest[len + 1 + k] == '/' || n->dir);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int split(struct builder *b, const struct region *m, const char *dir, const char *host_dir)
{
        _cleanup_close_ int dir_fd = -1;
        int r;

        /* everything but execution, for what is directly in dir */
        r = grant(b, dir, m->access & ~FS_EXEC);
        if (r < 0)
                return r;
        if (host_dir)
                dir_fd = open(host_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd >= 0) {
                struct listing l = { .b = b, .m = m, .dir = dir, .host_dir = host_dir, .dir_fd = dir_fd };
                r = nsl_dir_each(dir_fd, listed_entry, &l, b->error);
                if (r < 0)
                        return b->error->what[0] ? r : nsl_fail(b->error, -r, "--landlock", host_dir, "cannot list");
        }
        return mountpoint_entries(b, m, dir, host_dir, dir_fd);
}

static int plan_regions(struct builder *b, const struct nsl_spec *spec, const struct nsl_plan *plan)
{
        uint64_t writable = FS_READ | FS_WRITE | (spec->landlock_exec_writable ? FS_EXEC : 0);
        uint64_t root = FS_READ | (plan->rootfs ? FS_EXEC : 0) | (plan->rw_root ? FS_WRITE : 0);
        int r;

        if ((r = add_region(b, "/", plan->rootfs, root, true)) < 0)
                return r;
        for (size_t i = 0; i < plan->n_host_entries; i++) {
                const struct nsl_host_entry *e = &plan->host_entries[i];
                char dest[64];
                if (e->link_target)
                        continue;
                snprintf(dest, sizeof dest, "/%s", e->name);
                if ((r = add_region(b, dest, NULL, FS_READ | FS_EXEC, true)) < 0)
                        return r;
                /* a bind of the host's directory of the same name */
                b->regions[b->n_regions - 1].source = b->regions[b->n_regions - 1].dest;
        }
        /* /dev: read and write for the nodes nslaunch bound, in one rule
         * rather than one per node. Nothing else can be written there: the
         * tmpfs is read-only and no rule grants making files in it. */
        if ((r = add_region(b, "/proc", NULL, FS_READ, true)) < 0 ||
            (r = add_region(b, "/dev", NULL, FS_READ | FS_DEVICE, true)) < 0)
                return r;
        /* the dev stage's tmpfs at /dev/shm, writable as a --tmpfs is */
        if (plan->dev_shm_size && (r = add_region(b, "/dev/shm", NULL, writable, true)) < 0)
                return r;
        for (size_t i = 0; i < plan->n_mounts; i++) {
                const struct nsl_mount *m = &plan->mounts[i];
                struct stat st;
                bool dir = m->kind != NSL_MOUNT_FILE && m->kind != NSL_MOUNT_DEVICE;

                if (m->kind == NSL_MOUNT_BIND) {
                        if (stat(m->source, &st) < 0)
                                return nsl_fail(b->error, errno, nsl_mount_option(m), m->source, NULL);
                        dir = S_ISDIR(st.st_mode);
                }
                /* a device the caller bound is the device's to use, ioctls too (a tun, fuse) */
                uint64_t access = m->kind == NSL_MOUNT_FILE     ? FS_READ
                                  : m->kind == NSL_MOUNT_DEVICE ? FS_READ | FS_DEVICE | LANDLOCK_ACCESS_FS_IOCTL_DEV
                                  : m->read_only                ? FS_READ | FS_EXEC
                                                                : writable;
                if ((r = add_region(b, m->dest, m->kind == NSL_MOUNT_BIND ? m->source : NULL, access, dir)) < 0)
                        return r;
        }
        return 0;
}

static int plan_rules(struct builder *b)
{
        int r;

        for (size_t i = 0; i < b->n_regions; i++) {
                const struct region *m = &b->regions[i];
                if (m->hidden)
                        continue;
                r = m->dir && conflicts_under(b, m, m->dest) ? split(b, m, m->dest, m->source)
                                                              : grant(b, m->dest, m->access);
                if (r < 0)
                        return r;
        }
        /* ioctls on the ptys the payload makes itself */
        if (!is_region(b, "/dev") || is_region(b, "/dev/pts"))
                return 0;
        return grant(b, "/dev/pts", (FS_READ | FS_DEVICE | LANDLOCK_ACCESS_FS_IOCTL_DEV) & b->handled);
}

static int check_abi(const struct nsl_spec *spec, int abi, nsl_error *error)
{
        if (spec->landlock != NSL_LANDLOCK_STRICT || abi >= NSL_LANDLOCK_ABI_NEEDED)
                return 0;
        if (!abi)
                return nsl_fail(error, EOPNOTSUPP, "--landlock", "strict",
                                "this kernel has no Landlock (before 5.13, or not among its LSMs)");
        return nsl_fail(error, EOPNOTSUPP, "--landlock", "strict",
                        "this kernel's Landlock ABI is %d; the sandbox's rules need %d (scoped signals and abstract "
                        "sockets)", abi, NSL_LANDLOCK_ABI_NEEDED);
}

int nsl_landlock_plan(const struct nsl_spec *spec, struct nsl_plan *plan, nsl_error *error)
{
        struct nsl_landlock *ll = &plan->landlock;
        int abi, r;

        if (spec->landlock == NSL_LANDLOCK_OFF)
                return 0;
        abi = nsl_landlock_kernel_abi();
        if ((r = check_abi(spec, abi, error)) < 0)
                return r;
        /* ABI 1 refuses every rename or link across directories (it cannot
         * grant REFER): a plugin moving files around /tmp would break. */
        if (abi < 2)
                return 0;

        struct builder b = { .ll = ll, .handled = fs_handled(abi), .error = error };
        b.regions = calloc(plan->n_mounts + plan->n_host_entries + 4, sizeof *b.regions);  /* /, /proc, /dev, /dev/shm */
        ll->rules = calloc(MAX_RULES, sizeof *ll->rules);
        if (!b.regions || !ll->rules)
                r = nsl_fail(error, ENOMEM, "landlock", "", NULL);
        else if ((r = plan_regions(&b, spec, plan)) == 0)
                r = plan_rules(&b);
        for (size_t i = 0; i < b.n_regions; i++)
                free(b.regions[i].dest);
        free(b.regions);
        if (r < 0)
                return r;

        ll->abi = abi;
        ll->handled.handled_access_fs = b.handled;
        /* TCP stays unhandled: the host's network has no plan of allowed
         * ports, and a private one only its own loopback, which plugins use
         * (local servers, a debugger, ZeroMQ). A plan of allowed ports
         * (egress) would be handled here, as a second check. */
        if (abi >= 6)
                ll->handled.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
        return 0;
}

void nsl_landlock_free(struct nsl_landlock *ll)
{
        for (size_t i = 0; i < ll->n_rules; i++)
                free(ll->rules[i].path);
        free(ll->rules);
        *ll = (struct nsl_landlock){ 0 };
}

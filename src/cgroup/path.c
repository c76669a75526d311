/* A cgroup at an exact path (an OCI container's cgroupsPath): made for the
 * sandbox by nsl_cgroup_create_exact, then, while the sandbox runs detached,
 * used by whoever owns it by path alone: frozen, listed, updated, removed.
 * In every hierarchy the path exists in, v1 and v2 alike. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../plan.h"
#include "../spec.h"
#include "internal.h"

#define RELATIVE_PARENT "/nslaunch"
#define SETTLE_TRIES 1000       /* of 5 ms: 5 s for a freeze or the processes' end */

/* The directories one path names: the v2 one, or each v1 controller's and,
 * on a hybrid host, the cgroup2 one beside them (no controller, no limit:
 * only processes and its removal). */
struct located {
        char *v2;
        char *v1[NSL_CG_N];
        char *unified;
};

static void located_free(struct located *at)
{
        free(at->v2);
        free(at->unified);
        for (int c = 0; c < NSL_CG_N; c++)
                free(at->v1[c]);
}

static bool is_dir(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void sleep_a_little(void)
{
        nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000 * 1000 }, NULL);
}

bool nsl_cgroup_path_climbs(const char *path)
{
        for (const char *p = path; *p; p += strspn(p, "/")) {
                size_t n = strcspn(p, "/");
                if (n == 2 && !strncmp(p, "..", 2))
                        return true;
                p += n;
        }
        return false;
}

int nsl_cgroup_resolve_path(const char *path, char **out, nsl_error *error)
{
        if (!path || !*path || !strcmp(path, "/"))
                return nsl_fail(error, EINVAL, "cgroupsPath", path ? path : "", "expected a cgroup path like /mygroup/ctr");
        if (strchr(path, ':'))
                return nsl_fail(error, ENOTSUP, "cgroupsPath", path,
                                "the systemd form slice:prefix:name is for systemd's cgroup driver "
                                "(nslaunch-runc --systemd-cgroup); give a cgroupfs path like /mygroup/ctr");
        if (nsl_cgroup_path_climbs(path) || strstr(path, "//") || strlen(path) >= 400)
                return nsl_fail(error, EINVAL, "cgroupsPath", path,
                                "expected a cgroup path without '..' or empty parts, shorter than 400 bytes");
        if (asprintf(out, "%s%s", path[0] == '/' ? "" : RELATIVE_PARENT "/", path) < 0)
                return nsl_fail(error, ENOMEM, "cgroupsPath", path, NULL);
        size_t n = strlen(*out);
        if (n > 1 && (*out)[n - 1] == '/')
                (*out)[n - 1] = '\0';
        return 0;
}

/* A hybrid host (v1 hierarchies beside an empty or partial cgroup2) keeps
 * its controllers in v1: an OCI container's cgroup goes there, as runc's. */
bool nsl_cgroup_use_v1(const struct nsl_cgroup_places *places)
{
        return !places->v2 || places->v1[NSL_CG_MEMORY] || places->v1[NSL_CG_CPU] || places->v1[NSL_CG_PIDS];
}

/* Whether the cgroup dir, as its freezer sees it, is frozen or freezing. */
static bool dir_frozen(const char *dir, bool v1)
{
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        char buf[256];

        if (fd < 0)
                return false;
        if (v1)
                return nsl_cgroup_read(fd, "freezer.state", buf, sizeof buf) > 0 && strncmp(buf, "THAWED", 6);
        if (nsl_cgroup_read(fd, "cgroup.freeze", buf, sizeof buf) > 0 && buf[0] == '1')
                return true;
        /* frozen by a parent */
        return nsl_cgroup_read(fd, "cgroup.events", buf, sizeof buf) > 0 &&
               (!strncmp(buf, "frozen 1", 8) || strstr(buf, "\nfrozen 1"));
}

/* A container cloned into a frozen cgroup, or below a frozen one, would
 * wait there, and create with it, for ever: refused before anything is
 * made. The path's nearest existing cgroup says (a new one below a frozen
 * v1 cgroup is born frozen, a v2 one is frozen by its parent). */
static int refuse_frozen(const struct nsl_cgroup_places *places, bool v1, const char *path, nsl_error *error)
{
        const char *hierarchy = v1 ? places->v1[NSL_CG_FREEZER] : places->v2;
        _cleanup_free_ char *dir = NULL;

        if (!hierarchy || asprintf(&dir, "%s%s", hierarchy, path) < 0)
                return 0;
        for (char *end = dir + strlen(dir); end > dir + strlen(hierarchy); end = strrchr(dir, '/')) {
                *end = '\0';
                if (!is_dir(dir))
                        continue;
                if (dir_frozen(dir, v1))
                        return nsl_fail(error, EBUSY, "cgroup", dir, "is frozen: a container there could not start "
                                                                      "(thaw it first)");
                return 0;
        }
        return 0;
}

int nsl_cgroup_create_exact(const struct nsl_cgroup_limits *l, const char *path, struct nsl_cgroup *cg,
                            nsl_error *error)
{
        struct nsl_cgroup_places places;
        bool v1;
        int r;

        nsl_cgroup_find_places(&places);
        v1 = nsl_cgroup_use_v1(&places);
        *cg = (struct nsl_cgroup)NSL_CGROUP_INIT;
        if ((r = refuse_frozen(&places, v1, path, error)) < 0)
                return r;
        if (v1)
                r = nsl_cgroup_v1_create_exact(&places, l, path, cg, error);
        else
                r = nsl_cgroup_v2_create_exact(&places, l, path, cg, error);
        if (r < 0)
                nsl_cgroup_destroy(cg);
        return r;
}

/* The directory to read processes from: v2's, else the first v1 one, else
 * the cgroup2 one beside them. */
static const char *any_dir(const struct located *at)
{
        if (at->v2)
                return at->v2;
        for (int c = 0; c < NSL_CG_N; c++)
                if (at->v1[c])
                        return at->v1[c];
        return at->unified;
}

/* Finds path in every hierarchy; ENOENT naming it when it is in none. A
 * caller that may not write there (rootless, not delegated) is refused
 * before anything is done, when it wants to change something. */
static int locate(const char *path, bool to_change, struct located *at, char **resolved, nsl_error *error)
{
        struct nsl_cgroup_places places;
        bool found = false;
        int r;

        *at = (struct located){ 0 };
        if ((r = nsl_cgroup_resolve_path(path, resolved, error)) < 0)
                return r;
        nsl_cgroup_find_places(&places);
        char **v2 = nsl_cgroup_use_v1(&places) ? &at->unified : &at->v2;
        if (places.v2 && asprintf(v2, "%s%s", places.v2, *resolved) < 0)
                return nsl_fail(error, ENOMEM, "cgroup", *resolved, NULL);
        if (*v2 && !is_dir(*v2)) {
                free(*v2);
                *v2 = NULL;
        }
        found = *v2 != NULL;
        for (int c = 0; c < NSL_CG_N; c++) {
                if (!places.v1[c])
                        continue;
                if (asprintf(&at->v1[c], "%s%s", places.v1[c], *resolved) < 0)
                        return nsl_fail(error, ENOMEM, "cgroup", *resolved, NULL);
                if (!is_dir(at->v1[c])) {
                        free(at->v1[c]);
                        at->v1[c] = NULL;
                }
                found |= at->v1[c] != NULL;
        }
        if (!found)
                return nsl_fail(error, ENOENT, "cgroup", *resolved, "no such cgroup in any hierarchy");
        const char *any = any_dir(at);
        if (to_change && access(any, W_OK) < 0)
                return nsl_fail(error, errno == EACCES || errno == EROFS ? ENOTSUP : errno, "cgroup", any,
                                "not this user's to change: %s", nsl_cgroup_no_delegation_hint());
        return 0;
}

static int add_pids(int dirfd, pid_t **pids, size_t *n)
{
        _cleanup_close_ int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_file_ FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
        long pid;

        if (!f)
                return -errno;
        fd = -1;        /* f owns it */
        while (fscanf(f, "%ld", &pid) == 1) {
                pid_t *more = realloc(*pids, (*n + 1) * sizeof **pids);
                if (!more)
                        return -ENOMEM;
                *pids = more;
                (*pids)[(*n)++] = (pid_t)pid;
        }
        return 0;
}

static int collect_at(int cgroup_fd, pid_t **pids, size_t *n, int depth)
{
        int r = add_pids(cgroup_fd, pids, n);
        int fd;

        if (r < 0 || depth > 64)
                return r;
        if ((fd = openat(cgroup_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                return -errno;
        _cleanup_dir_ DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                _cleanup_close_ int sub = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (sub >= 0 && (r = collect_at(sub, pids, n, depth + 1)) < 0 && r != -ENOENT)
                        return r;
        }
        return 0;
}

int nsl_cgroup_collect_pids(const char *dir, pid_t **pids, size_t *n)
{
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

        return fd < 0 ? -errno : collect_at(fd, pids, n, 0);
}

int nsl_cgroup_pids(const char *path, pid_t **pids, size_t *n, nsl_error *error)
{
        _cleanup_free_ char *resolved = NULL;
        struct located at;
        int r;

        *error = (nsl_error){ 0 };
        *pids = NULL;
        *n = 0;
        if ((r = locate(path, false, &at, &resolved, error)) == 0 && (r = nsl_cgroup_collect_pids(any_dir(&at), pids, n)) < 0) {
                free(*pids);
                *pids = NULL;
                *n = 0;
                r = nsl_fail(error, -r, "cgroup", any_dir(&at), "cannot list its processes");
        }
        located_free(&at);
        return r;
}

int nsl_cgroup_usage(const char *path, struct nsl_cgroup_usage *usage, nsl_error *error)
{
        _cleanup_free_ char *resolved = NULL;
        struct located at;
        int r;

        *error = (nsl_error){ 0 };
        nsl_cgroup_usage_clear(usage);
        if ((r = locate(path, false, &at, &resolved, error)) == 0) {
                for (int c = 0; c < NSL_CG_N; c++) {
                        _cleanup_close_ int fd = at.v1[c] ? open(at.v1[c], O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
                        if (fd >= 0)
                                nsl_cgroup_v1_usage(fd, c, usage);
                }
                _cleanup_close_ int fd = at.v2 ? open(at.v2, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
                if (fd >= 0)
                        nsl_cgroup_v2_usage(fd, usage);
        }
        located_free(&at);
        return r;
}

/* v2: cgroup.freeze, then cgroup.events says frozen once every task is. */
static int freeze_v2(const char *dir, bool frozen, nsl_error *error)
{
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (fd < 0)
                return nsl_fail(error, errno, "cgroup", dir, NULL);
        if ((r = nsl_cgroup_write(fd, "cgroup.freeze", frozen ? "1" : "0", error)) < 0)
                return nsl_cgroup_in_dir(r, dir, error);
        for (int tries = 0; tries < SETTLE_TRIES; tries++, sleep_a_little())
                if (nsl_cgroup_keyed(fd, "cgroup.events", "frozen") == (frozen ? 1 : 0))
                        return 0;
        return nsl_fail(error, ETIMEDOUT, "cgroup", dir, "did not become %s", frozen ? "frozen" : "thawed");
}

/* v1: freezer.state goes FREEZING, then FROZEN; asked again while a task
 * forks (as runc does), since a freeze can give up on a busy cgroup. */
static int freeze_v1(const char *dir, bool frozen, nsl_error *error)
{
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        const char *want = frozen ? "FROZEN" : "THAWED";
        char state[32];
        int r;

        if (fd < 0)
                return nsl_fail(error, errno, "cgroup", dir, NULL);
        for (int tries = 0; tries < SETTLE_TRIES; tries++, sleep_a_little()) {
                if (tries % 20 == 0 && (r = nsl_cgroup_write(fd, "freezer.state", want, error)) < 0)
                        return nsl_cgroup_in_dir(r, dir, error);
                if (nsl_cgroup_read(fd, "freezer.state", state, sizeof state) > 0 && !strncmp(state, want, strlen(want)))
                        return 0;
        }
        return nsl_fail(error, ETIMEDOUT, "cgroup", dir, "did not become %s", frozen ? "frozen" : "thawed");
}

static int freeze_located(const struct located *at, const char *resolved, bool frozen, nsl_error *error)
{
        if (at->v2) {
                _cleanup_free_ char *file = NULL;
                if (asprintf(&file, "%s/cgroup.freeze", at->v2) < 0)
                        return nsl_fail(error, ENOMEM, "cgroup", resolved, NULL);
                if (access(file, F_OK) == 0)
                        return freeze_v2(at->v2, frozen, error);
        }
        if (at->v1[NSL_CG_FREEZER])
                return freeze_v1(at->v1[NSL_CG_FREEZER], frozen, error);
        return nsl_fail(error, ENOTSUP, "cgroup", resolved,
                        "cannot be frozen: not in cgroup v2 and not in a v1 freezer hierarchy");
}

int nsl_cgroup_freeze(const char *path, bool frozen, nsl_error *error)
{
        _cleanup_free_ char *resolved = NULL;
        struct located at;
        int r;

        *error = (nsl_error){ 0 };
        if ((r = locate(path, true, &at, &resolved, error)) == 0)
                r = freeze_located(&at, resolved, frozen, error);
        located_free(&at);
        return r;
}

/* SIGKILL to every process in dir and below, never to init or this process. */
static int kill_all(const char *dir)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = nsl_cgroup_collect_pids(dir, &pids, &n);

        for (size_t i = 0; r == 0 && i < n; i++)
                if (pids[i] > 1 && pids[i] != getpid())
                        kill(pids[i], SIGKILL);
        return r < 0 ? r : (int)n;
}

/* Removes dir's cgroups bottom-up (a payload may have made some below). */
static int rmdir_tree(const char *dir, int depth)
{
        _cleanup_dir_ DIR *d = opendir(dir);

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        for (struct dirent *de; depth < 64 && (de = readdir(d));) {
                _cleanup_free_ char *sub = NULL;
                if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0)
                        return -ENOMEM;
                int r = rmdir_tree(sub, depth + 1);
                if (r < 0)
                        return r;
        }
        return rmdir(dir) == 0 || errno == ENOENT ? 0 : -errno;
}

static int empty_and_remove(const char *dir, nsl_error *error)
{
        int r = -EBUSY;

        for (int tries = 0; tries < SETTLE_TRIES; tries++, sleep_a_little()) {
                int left = kill_all(dir);
                if (left == -ENOENT)
                        return 0;
                if (left == 0 && (r = rmdir_tree(dir, 0)) == 0)
                        return 0;
                if (left > 0)
                        r = -EBUSY;
        }
        return nsl_fail(error, -r, "cgroup", dir, r == -EBUSY ? "processes are left in it" : "cannot remove it");
}

/* The usual delete: the container has ended and left no cgroup below its
 * own, and rmdir, which refuses a cgroup in use, removes each at once. The
 * freezer's goes last: while any other is in use, remove_in_use freezes it. */
static bool removed_at_once(const struct located *at)
{
        if (at->v2 && rmdir(at->v2) < 0 && errno != ENOENT)
                return false;
        if (at->unified && rmdir(at->unified) < 0 && errno != ENOENT)
                return false;
        for (int c = 0; c < NSL_CG_N; c++)
                if (c != NSL_CG_FREEZER && at->v1[c] && rmdir(at->v1[c]) < 0 && errno != ENOENT)
                        return false;
        return !at->v1[NSL_CG_FREEZER] || rmdir(at->v1[NSL_CG_FREEZER]) == 0 || errno == ENOENT;
}

static void lift_cpu_quota_located(const struct located *at)
{
        nsl_cgroup_lift_cpu_quota_in(at->v2 ? at->v2 : at->v1[NSL_CG_CPU], at->v2 != NULL);
}

void nsl_cgroup_lift_cpu_quota(const char *path)
{
        _cleanup_free_ char *resolved = NULL;
        nsl_error ignored = { 0 };
        struct located at;

        if (locate(path, true, &at, &resolved, &ignored) == 0)
                lift_cpu_quota_located(&at);
        located_free(&at);
}

/* What is left in it killed, then each cgroup removed bottom-up. The
 * processes are found in the freezer's, which removed_at_once left. */
static int remove_in_use(const struct located *at, const char *resolved, nsl_error *error)
{
        const char *dir = at->v1[NSL_CG_FREEZER] ? at->v1[NSL_CG_FREEZER] : any_dir(at);
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = 0;
        /* frozen, nothing forks while it is killed; thawed, the kills land.
         * A cgroup already empty needs neither: nothing can enter it again
         * but what its owner moves there. */
        bool busy = nsl_cgroup_collect_pids(dir, &pids, &n) < 0 || n > 0;
        int froze = busy ? freeze_located(at, resolved, true, error) : -ENOTSUP;

        *error = (nsl_error){ 0 };
        if (busy) {
                kill_all(dir);
                lift_cpu_quota_located(at);
        }
        /* a freeze that gave up waiting is thawed too: a v1 cgroup left
         * FREEZING ends FROZEN, where the kills never land */
        if ((froze == 0 || froze == -ETIMEDOUT) && (r = freeze_located(at, resolved, false, error)) < 0)
                return r;
        if (at->v2)
                r = empty_and_remove(at->v2, error);
        if (r == 0 && at->unified)
                r = empty_and_remove(at->unified, error);
        for (int c = 0; r == 0 && c < NSL_CG_N; c++)
                if (at->v1[c])
                        r = empty_and_remove(at->v1[c], error);
        return r;
}

int nsl_cgroup_remove_path(const char *path, nsl_error *error)
{
        _cleanup_free_ char *resolved = NULL;
        struct located at;
        int r;

        *error = (nsl_error){ 0 };
        r = locate(path, true, &at, &resolved, error);
        if (r == -ENOENT && resolved) {
                /* removed already: what delete must leave is nothing */
                *error = (nsl_error){ 0 };
                r = 0;
        } else if (r == 0 && !removed_at_once(&at))
                r = remove_in_use(&at, resolved, error);
        located_free(&at);
        return r;
}

void nsl_cgroup_remove_if_empty(const char *path)
{
        _cleanup_free_ char *resolved = NULL;
        nsl_error ignored = { 0 };
        struct located at;

        /* rmdir itself refuses a cgroup that holds a process or a cgroup */
        if (locate(path, true, &at, &resolved, &ignored) == 0) {
                if (at.v2)
                        rmdir(at.v2);
                if (at.unified)
                        rmdir(at.unified);
                for (int c = 0; c < NSL_CG_N; c++)
                        if (at.v1[c])
                                rmdir(at.v1[c]);
        }
        located_free(&at);
}

/* What nsl_cgroup_update changes: the limits an nsl_spec carries. */
static int update_located(const struct located *at, const char *resolved, const struct nsl_cgroup_limits *l,
                          nsl_error *error)
{
        int r;

        if (at->v2) {
                _cleanup_close_ int fd = open(at->v2, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return nsl_fail(error, errno, "cgroup", at->v2, NULL);
                return nsl_cgroup_in_dir(nsl_cgroup_v2_apply(fd, l, error), at->v2, error);
        }
        if ((r = nsl_cgroup_v1_refuse_v2_only(NULL, l, error)) < 0)
                return r;
        for (int c = 0; c < NSL_CG_N; c++) {
                if (!nsl_cgroup_wants(l, c))
                        continue;
                if (!at->v1[c])
                        return nsl_fail(error, ENOTSUP, "cgroup", resolved,
                                        "the %s limit cannot be changed: the cgroup is not in a %s hierarchy",
                                        nsl_cgroup_controller_names[c], nsl_cgroup_controller_names[c]);
                _cleanup_close_ int fd = open(at->v1[c], O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return nsl_fail(error, errno, "cgroup", at->v1[c], NULL);
                if ((r = nsl_cgroup_v1_apply(fd, c, l, error)) < 0)
                        return nsl_cgroup_in_dir(r, at->v1[c], error);
        }
        return 0;
}

static int update(const char *path, const nsl_spec *limits, bool scope, nsl_error *error)
{
        _cleanup_free_ char *resolved = NULL;
        struct nsl_cgroup_limits l;
        struct located at = { 0 };
        int r;

        *error = (nsl_error){ 0 };
        r = nsl_plan_cgroup_limits(limits, &l, error);
        if (r == 0 && !nsl_cgroup_limits_any(&l))
                r = nsl_fail(error, EINVAL, "update", path ? path : "", "no limit to change");
        if (r == 0 && (r = locate(path, true, &at, &resolved, error)) == 0 && scope)
                r = nsl_systemd_set_properties(resolved, &l, error);
        if (r == 0)
                r = update_located(&at, resolved, &l, error);
        located_free(&at);
        nsl_strv_free(l.v2_files);
        return r;
}

int nsl_cgroup_update(const char *path, const nsl_spec *limits, nsl_error *error)
{
        return update(path, limits, false, error);
}

int nsl_cgroup_update_scope(const char *path, const nsl_spec *limits, nsl_error *error)
{
        return update(path, limits, true, error);
}

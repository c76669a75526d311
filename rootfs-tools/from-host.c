/* nslaunch rootfs from-host DIR PROG...: the programs, the shared objects
 * they load (PT_INTERP and DT_NEEDED, followed here, transitively) and the
 * files their interpreter needs, copied at their host paths. Symlinks on the
 * way (/lib -> usr/lib) are recreated, so the tree looks like the host's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "sandbox/mount.h"
#include "strv.h"
#include "tool.h"

#define MAX_LINKS 40

struct host_ctx {
        int root;
        size_t files;                   /* copied, for the progress line */
        struct nsl_path_set *done;      /* host paths installed */
        char **lib_dirs;
        size_t n_lib_dirs;
        const struct nsl_from_host_options *options;
};

static int install(struct host_ctx *c, const char *path, int links, nsl_error *error);

static void split(const char *path, char *dir, size_t dir_len, const char **base)
{
        const char *slash = strrchr(path, '/');
        snprintf(dir, dir_len, "%.*s", (int)(slash - path), path);
        *base = slash + 1;
}

static int copy_data(int from, int to, off_t size)
{
        while (size > 0) {
                ssize_t n = sendfile(to, from, NULL, (size_t)size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                size -= n;
        }
        return 0;
}

static int find_library(struct host_ctx *c, const char *name, const struct nsl_elf_deps *by, char *out, size_t len);

static int follow_elf(struct host_ctx *c, int fd, const char *path, nsl_error *error)
{
        struct nsl_elf_deps deps;
        char lib[PATH_MAX];
        int r = nsl_elf_read_deps(fd, path, &deps, error);

        if (r == -ENOEXEC)
                return 0;       /* not an ELF object this tool follows */
        if (r < 0)
                return r;
        if (deps.interp[0] && (r = install(c, deps.interp, 0, error)) < 0)
                goto out;
        for (size_t i = 0; i < deps.n_needed; i++) {
                if (find_library(c, deps.needed[i], &deps, lib, sizeof lib) < 0) {
                        r = nsl_fail(error, ENOENT, "from-host", path, "needs %s, which is nowhere on this host",
                                     deps.needed[i]);
                        goto out;
                }
                if ((r = install(c, lib, 0, error)) < 0)
                        goto out;
        }
out:
        nsl_elf_deps_clear(&deps);
        return r;
}

static bool same_machine(const char *path, const struct nsl_elf_deps *by)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct nsl_elf_deps deps;
        nsl_error ignored = { 0 };
        bool same;

        if (fd < 0 || nsl_elf_read_deps(fd, path, &deps, &ignored) < 0)
                return false;
        same = deps.elf_class == by->elf_class && deps.machine == by->machine;
        nsl_elf_deps_clear(&deps);
        return same;
}

static int find_library(struct host_ctx *c, const char *name, const struct nsl_elf_deps *by, char *out, size_t len)
{
        if (strchr(name, '/')) {
                snprintf(out, len, "%s", name);
                return access(out, R_OK);
        }
        for (size_t i = 0; i < by->n_runpath + c->n_lib_dirs; i++) {
                const char *dir = i < by->n_runpath ? by->runpath[i] : c->lib_dirs[i - by->n_runpath];
                if (snprintf(out, len, "%s/%s", dir, name) < (int)len && same_machine(out, by))
                        return 0;
        }
        return -ENOENT;
}

static int copy_file(struct host_ctx *c, const char *path, const struct stat *st, nsl_error *error)
{
        char dir[PATH_MAX];
        const char *base;
        _cleanup_close_ int from = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), parent = -1, to = -1;
        int r;

        if (from < 0)
                return nsl_fail(error, errno, "from-host", path, NULL);
        split(path, dir, sizeof dir, &base);
        parent = nsl_open_dir_in_root(c->root, dir);
        if (parent < 0)
                return nsl_fail(error, -parent, "from-host", dir, NULL);
        to = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (to < 0 && errno == EEXIST)
                return follow_elf(c, from, path, error);        /* kept, but what it loads may be missing */
        if (to < 0)
                return nsl_fail(error, errno, "from-host", path, "cannot create in the rootfs");
        if ((r = copy_data(from, to, st->st_size)) < 0)
                return nsl_fail(error, -r, "from-host", path, "cannot copy");
        if (fchmod(to, st->st_mode & 0777) < 0)     /* no set-id bits from the host */
                return nsl_fail(error, errno, "from-host", path, NULL);
        nsl_progress_step(c->options->progress, ++c->files);
        nsl_progress_add(c->options->progress, (uint64_t)st->st_size);
        return follow_elf(c, from, path, error);
}

static int copy_dir(struct host_ctx *c, const char *path, const struct stat *st, int links, nsl_error *error)
{
        _cleanup_close_ int made = nsl_open_dir_in_root(c->root, path);
        _cleanup_dir_ DIR *d = NULL;
        struct dirent *de;
        int r = 0;

        if (made < 0)
                return nsl_fail(error, -made, "from-host", path, "cannot create in the rootfs");
        (void)st;
        d = opendir(path);
        if (!d)
                return nsl_fail(error, errno, "from-host", path, NULL);
        while (r == 0 && (de = readdir(d))) {
                char child[PATH_MAX];
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (snprintf(child, sizeof child, "%s/%s", path, de->d_name) >= (int)sizeof child)
                        r = nsl_fail(error, ENAMETOOLONG, "from-host", path, NULL);
                else
                        r = install(c, child, links, error);
        }
        return r;
}

/* Recreates the symlink at path; with follow, installs what it points to. */
static int copy_symlink(struct host_ctx *c, const char *path, bool follow, int links, nsl_error *error)
{
        char target[PATH_MAX], dir[PATH_MAX], next[PATH_MAX];
        const char *base;
        _cleanup_close_ int parent = -1;
        ssize_t n = readlink(path, target, sizeof target - 1);

        if (n < 0)
                return nsl_fail(error, errno, "from-host", path, NULL);
        target[n] = '\0';
        split(path, dir, sizeof dir, &base);
        parent = nsl_open_dir_in_root(c->root, dir);
        if (parent < 0)
                return nsl_fail(error, -parent, "from-host", dir, NULL);
        if (symlinkat(target, parent, base) < 0 && errno != EEXIST)
                return nsl_fail(error, errno, "from-host", path, NULL);
        if (!follow)
                return 0;
        if (target[0] == '/')
                snprintf(next, sizeof next, "%s", target);
        else if (snprintf(next, sizeof next, "%s/%s", dir, target) >= (int)sizeof next)
                return nsl_fail(error, ENAMETOOLONG, "from-host", path, NULL);
        return install(c, next, links + 1, error);
}

/* Installs path: the first symlink on the way is recreated and followed. */
static int install(struct host_ctx *c, const char *path, int links, nsl_error *error)
{
        char clean[PATH_MAX], prefix[PATH_MAX + 1];
        const char *why;
        struct stat st;
        int r;

        if (links > MAX_LINKS)
                return nsl_fail(error, ELOOP, "from-host", path, NULL);
        if ((r = nsl_check_stop("from-host", path, error)) < 0)
                return r;
        /* ".." is resolved by realpath on the directory part. */
        if (nsl_entry_path_clean(path + (path[0] == '/'), clean, sizeof clean, &why) < 0) {
                char *dir = realpath(path, NULL);
                if (!dir)
                        return nsl_fail(error, errno, "from-host", path, NULL);
                r = install(c, dir, links + 1, error);
                free(dir);
                return r;
        }
        snprintf(prefix, sizeof prefix, "/%s", clean);
        if (nsl_path_set_has(c->done, prefix))
                return 0;
        for (char *p = strchr(prefix + 1, '/'); p; p = strchr(p + 1, '/')) {
                *p = '\0';
                r = lstat(prefix, &st);
                if (r == 0 && S_ISLNK(st.st_mode)) {
                        char rest[PATH_MAX];
                        snprintf(rest, sizeof rest, "%s", p + 1);
                        r = copy_symlink(c, prefix, false, links, error);
                        if (r < 0)
                                return r;
                        /* continue from the link's target */
                        char resolved[PATH_MAX], *dir = realpath(prefix, NULL);
                        if (!dir)
                                return nsl_fail(error, errno, "from-host", prefix, NULL);
                        r = snprintf(resolved, sizeof resolved, "%s/%s", dir, rest) >= (int)sizeof resolved;
                        free(dir);
                        if (r)
                                return nsl_fail(error, ENAMETOOLONG, "from-host", path, NULL);
                        return install(c, resolved, links + 1, error);
                }
                *p = '/';
        }
        if (nsl_path_set_add(c->done, prefix) < 0)
                return nsl_fail(error, ENOMEM, "from-host", path, NULL);
        if (lstat(prefix, &st) < 0)
                return nsl_fail(error, errno, "from-host", prefix, NULL);
        if (S_ISLNK(st.st_mode))
                return copy_symlink(c, prefix, true, links, error);
        if (S_ISDIR(st.st_mode))
                return copy_dir(c, prefix, &st, links, error);
        if (S_ISREG(st.st_mode))
                return copy_file(c, prefix, &st, error);
        return 0;       /* devices, sockets and fifos are not copied */
}

static int load_lib_dirs(struct host_ctx *c)
{
        static const char *const defaults[] = { "/lib64", "/usr/lib64", "/lib", "/usr/lib" };
        _cleanup_dir_ DIR *d = opendir("/etc/ld.so.conf.d");
        struct dirent *de;

        while (d && (de = readdir(d))) {
                char path[PATH_MAX], line[PATH_MAX];
                _cleanup_file_ FILE *f = NULL;
                size_t len = strlen(de->d_name);
                if (len < 5 || strcmp(de->d_name + len - 5, ".conf"))
                        continue;
                snprintf(path, sizeof path, "/etc/ld.so.conf.d/%s", de->d_name);
                f = fopen(path, "re");
                while (f && fgets(line, sizeof line, f)) {
                        line[strcspn(line, " \t\r\n#")] = '\0';
                        if (line[0] == '/' && nsl_strv_push(&c->lib_dirs, &c->n_lib_dirs, line) < 0)
                                break;
                }
        }
        for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
                if (nsl_strv_push(&c->lib_dirs, &c->n_lib_dirs, defaults[i]) < 0)
                        return -ENOMEM;
        return 0;
}

static int find_program(const char *name, char *out, size_t len)
{
        const char *path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

        if (name[0] == '/') {
                snprintf(out, len, "%s", name);
                return access(out, X_OK) < 0 ? -errno : 0;
        }
        if (strchr(name, '/'))
                return realpath(name, out) ? 0 : -errno;
        while (*path) {
                size_t n = strcspn(path, ":");
                if (snprintf(out, len, "%.*s/%s", (int)n, path, name) < (int)len && access(out, X_OK) == 0)
                        return 0;
                path += n + (path[n] == ':');
        }
        return -ENOENT;
}

/* The files an interpreter reads at start: python3.N's standard library. */
static int install_interpreter_files(struct host_ctx *c, const char *program, nsl_error *error)
{
        char *real = realpath(program, NULL), lib[PATH_MAX];
        const char *base;
        unsigned minor;
        char tail;
        int r = 0;

        if (!real)
                return 0;
        base = strrchr(real, '/') + 1;
        if (sscanf(base, "python3.%u%c", &minor, &tail) == 1) {
                snprintf(lib, sizeof lib, "/usr/lib/python3.%u", minor);
                r = install(c, lib, 0, error);
        }
        free(real);
        return r;
}

static int make_mountpoints(int root)
{
        static const char *const dirs[] = { "dev", "proc", "tmp" };
        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
                int fd = nsl_open_dir_in_root(root, dirs[i]);
                if (fd < 0)
                        return fd;
                close(fd);
        }
        return 0;
}

static int fill(struct host_ctx *c, char *const programs[], const struct nsl_from_host_options *options,
                nsl_error *error)
{
        char prog[PATH_MAX];
        int r = 0;

        nsl_progress_phase(options->progress, "copying", "file", 0, 0);
        for (size_t i = 0; r == 0 && programs[i]; i++) {
                if (find_program(programs[i], prog, sizeof prog) < 0)
                        r = nsl_fail(error, ENOENT, "from-host", programs[i], "no such program on this host");
                else if ((r = install(c, prog, 0, error)) == 0)
                        r = install_interpreter_files(c, prog, error);
        }
        for (size_t i = 0; r == 0 && i < options->n_extra; i++)
                r = install(c, options->extra[i], 0, error);
        if (r == 0 && (r = make_mountpoints(c->root)) < 0)
                r = nsl_fail(error, -r, "from-host", "", "cannot make dev, proc and tmp");
        return r;
}

static int summarize(int root, const struct timespec *start, struct nsl_summary *summary, nsl_error *error)
{
        struct nsl_platform host;
        struct timespec now;
        int r;

        if (!summary)
                return 0;
        if ((r = nsl_tree_count(root, &summary->size, &summary->entries)) < 0)
                return nsl_fail(error, -r, "from-host", "", "cannot count what was copied");
        nsl_platform_parse(NULL, &host, error);
        nsl_platform_format(&host, summary->platform, sizeof summary->platform);
        clock_gettime(CLOCK_MONOTONIC, &now);
        summary->seconds = (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
        return 0;
}

/* Without --replace the files go straight into DIR (made when missing, files
 * there kept); with it into a temporary beside DIR, swapped in at the end. */
int nsl_from_host(const char *dest, char *const programs[], const struct nsl_from_host_options *options,
                  nsl_error *error)
{
        struct host_ctx c = { .root = -1, .options = options };
        struct nsl_stage stage = { .lock_fd = -1 };
        _cleanup_close_ int parent = -1;
        char name[NAME_MAX + 1];
        const char *root_name = name;
        struct timespec start;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &start);
        if ((r = nsl_dest_parent(dest, &parent, name, sizeof name, error)) < 0)
                return r;
        if (options->replace) {
                if ((r = nsl_stage_check(parent, name, dest, "from-host", true, error)) < 0 ||
                    (r = nsl_stage_begin(&stage, parent, name, dest, "from-host", options->warn, error)) < 0)
                        return r;
                root_name = stage.tmp;
        } else if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST) {
                return nsl_fail(error, errno, "from-host", dest, NULL);
        }
        c.root = openat(parent, root_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        c.done = nsl_path_set_new();
        if (c.root < 0 || !c.done || load_lib_dirs(&c) < 0)
                r = nsl_fail(error, c.root < 0 ? errno : ENOMEM, "from-host", dest, NULL);
        if (r == 0)
                r = fill(&c, programs, options, error);
        if (r == 0 && options->replace && fchmod(c.root, 0755) < 0)
                r = nsl_fail(error, errno, "from-host", dest, NULL);
        if (r == 0)
                r = summarize(c.root, &start, options->summary, error);
        if (r == 0 && options->replace)
                r = nsl_stage_publish(&stage, true, NULL, options->warn, error);
        if (r < 0 && options->replace)
                nsl_stage_abort(&stage);
        if (c.root >= 0)
                close(c.root);
        nsl_path_set_free(c.done);
        nsl_strv_free(c.lib_dirs);
        return r;
}

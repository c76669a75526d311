/* One layer tar applied to the temporary root. Every entry's parent is
 * resolved by the kernel inside the root (openat2 RESOLVE_IN_ROOT); the
 * entry itself is created relative to that directory fd with O_EXCL and
 * O_NOFOLLOW, after whatever was at its name has been removed. Nothing is
 * ever opened for writing that existed before: a symlink or hardlink of an
 * earlier entry is replaced, never written through. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "sandbox/mount.h"
#include "syscalls.h"
#include "tool.h"

#define CHUNK (256u << 10)
#define HEADER_COST 512

struct nsl_dir_mode {
        char *path;
        mode_t mode;
        size_t order;
};

struct entry_ctx {
        struct nsl_unpack *u;
        struct archive *a;
        struct archive_entry *entry;
        const char *path;       /* cleaned */
        const char *base;
        int parent;             /* O_PATH directory fd */
};


/* "import: PATH: PREFIXDETAIL" */
/* A macro, so that nsl_fail sees whether errnum is a constant. */
#define fail_entry(error, errnum, e, prefix, detail) \
        nsl_fail(error, errnum, "import", (e)->path, "%s%s", prefix, detail)

/* Opens a directory inside the root, making missing components (0755), each
 * step resolved again from the root; iterative, as a path can be 2048 levels
 * deep. */
static int open_dir(int root_fd, const char *path)
{
        char prefix[PATH_MAX];
        size_t len;
        int fd;

        while (*path == '/')
                path++;
        len = strlen(path);
        fd = nsl_open_in_root(root_fd, path[0] ? path : "/", O_PATH | O_DIRECTORY, 0);

        if (fd != -ENOENT || len >= sizeof prefix)
                return fd;
        _cleanup_close_ int parent = nsl_open_in_root(root_fd, "/", O_PATH | O_DIRECTORY, 0);
        for (size_t end = 1, start = 0; parent >= 0 && end <= len; end++) {
                if (end < len && path[end] != '/')
                        continue;
                memcpy(prefix, path, end);
                prefix[end] = '\0';
                fd = nsl_open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, 0);
                if (fd == -ENOENT) {
                        if (mkdirat(parent, prefix + start, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        fd = nsl_open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, 0);
                }
                if (fd < 0)
                        return fd;
                close(parent);
                parent = fd;
                start = end + 1;
        }
        return parent < 0 ? parent : TAKE_FD(parent);
}

int nsl_open_dir_in_root(int root_fd, const char *path)
{
        return open_dir(root_fd, path);
}

static int defer_dir_mode(struct nsl_unpack *u, const char *path, mode_t mode)
{
        if (u->n_deferred == u->cap_deferred) {
                size_t cap = u->cap_deferred ? 2 * u->cap_deferred : 16;
                struct nsl_dir_mode *grown = realloc(u->deferred, cap * sizeof *grown);
                if (!grown)
                        return -ENOMEM;
                u->deferred = grown;
                u->cap_deferred = cap;
        }
        u->deferred[u->n_deferred].path = strdup(path);
        if (!u->deferred[u->n_deferred].path)
                return -ENOMEM;
        u->deferred[u->n_deferred++].mode = mode;
        return 0;
}

static mode_t entry_mode(const struct entry_ctx *e, bool is_dir)
{
        mode_t mode = archive_entry_perm(e->entry) & 07777;

        if (is_dir)
                return mode & ~(mode_t)S_ISUID;
        if (!e->u->keep_setuid)
                mode &= ~(mode_t)(S_ISUID | S_ISGID);
        return mode;
}

/* Owner first (chown clears set-id bits), then mode, then times. */
static int set_metadata(const struct entry_ctx *e, int fd, bool is_dir, nsl_error *error)
{
        struct timespec times[2] = { { .tv_sec = archive_entry_mtime(e->entry),
                                       .tv_nsec = archive_entry_mtime_nsec(e->entry) } };
        mode_t mode = entry_mode(e, is_dir);

        times[1] = times[0];
        if (e->u->can_chown && fchown(fd, (uid_t)archive_entry_uid(e->entry), (gid_t)archive_entry_gid(e->entry)) < 0)
                return fail_entry(error, errno, e, "cannot set the owner: ", strerror(errno));
        if (is_dir && !e->u->can_chown) {
                /* Unprivileged, we must still write into it: its own mode
                 * comes at the end (every directory's, so that the last
                 * entry for a path wins). */
                if (defer_dir_mode(e->u, e->path, mode) < 0)
                        return fail_entry(error, ENOMEM, e, "", strerror(ENOMEM));
                mode |= 0700;
        }
        if (fchmod(fd, mode) < 0)
                return fail_entry(error, errno, e, "cannot set the mode: ", strerror(errno));
        if (futimens(fd, times) < 0)
                return fail_entry(error, errno, e, "cannot set the times: ", strerror(errno));
        return 0;
}

struct data_ctx {
        const struct entry_ctx *e;
        int fd;
};

static int write_block(void *data, const void *block, size_t len, int64_t offset, nsl_error *error)
{
        const struct data_ctx *d = data;
        const char *p = block;

        while (len) {
                ssize_t n = pwrite(d->fd, p, len, (off_t)offset);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return fail_entry(error, n < 0 ? errno : EIO, d->e, "cannot write: ",
                                          strerror(n < 0 ? errno : EIO));
                p += n;
                len -= (size_t)n;
                offset += n;
        }
        return 0;
}

static int write_data(const struct entry_ctx *e, int fd, nsl_error *error)
{
        struct data_ctx d = { .e = e, .fd = fd };
        int r = nsl_archive_each_block(e->a, write_block, &d, error);

        if (r == NSL_ARCHIVE_BROKEN)
                return fail_entry(error, EIO, e, "", archive_error_string(e->a));
        if (r < 0)
                return r;
        /* A sparse file may end in a hole. */
        if (ftruncate(fd, (off_t)archive_entry_size(e->entry)) < 0)
                return fail_entry(error, errno, e, "cannot size the file: ", strerror(errno));
        return 0;
}

static int make_file(const struct entry_ctx *e, nsl_error *error)
{
        _cleanup_close_ int fd = openat(e->parent, e->base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r;

        if (fd < 0)
                return fail_entry(error, errno, e, "cannot create: ", strerror(errno));
        if ((r = write_data(e, fd, error)) < 0)
                return r;
        return set_metadata(e, fd, false, error);
}

/* Opens what mkdirat or mknodat just made, never following a link, and sets
 * its metadata. */
static int open_made(const struct entry_ctx *e, int flags, bool is_dir, nsl_error *error)
{
        _cleanup_close_ int fd = openat(e->parent, e->base, flags | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return fail_entry(error, errno, e, "cannot open: ", strerror(errno));
        return set_metadata(e, fd, is_dir, error);
}

static int make_dir(const struct entry_ctx *e, bool exists, nsl_error *error)
{
        if (!exists && mkdirat(e->parent, e->base, 0700) < 0)
                return fail_entry(error, errno, e, "cannot create: ", strerror(errno));
        return open_made(e, O_RDONLY | O_DIRECTORY, true, error);
}

static int make_fifo(const struct entry_ctx *e, nsl_error *error)
{
        if (mknodat(e->parent, e->base, S_IFIFO | 0600, 0) < 0)
                return fail_entry(error, errno, e, "cannot create: ", strerror(errno));
        return open_made(e, O_RDONLY | O_NONBLOCK, false, error);
}

static int make_symlink(const struct entry_ctx *e, nsl_error *error)
{
        const char *target = archive_entry_symlink(e->entry);
        struct timespec times[2] = { { .tv_sec = archive_entry_mtime(e->entry),
                                       .tv_nsec = archive_entry_mtime_nsec(e->entry) } };

        times[1] = times[0];
        if (!target || !*target)
                return fail_entry(error, EINVAL, e, "", "symlink without a target");
        /* The target is only data: it is resolved in the sandbox's root, and
         * this importer resolves everything inside the root too. */
        if (symlinkat(target, e->parent, e->base) < 0)
                return fail_entry(error, errno, e, "cannot create the symlink: ", strerror(errno));
        if (e->u->can_chown && fchownat(e->parent, e->base, (uid_t)archive_entry_uid(e->entry),
                                        (gid_t)archive_entry_gid(e->entry), AT_SYMLINK_NOFOLLOW) < 0)
                return fail_entry(error, errno, e, "cannot set the owner: ", strerror(errno));
        (void)utimensat(e->parent, e->base, times, AT_SYMLINK_NOFOLLOW);
        return 0;
}

static int make_hardlink(const struct entry_ctx *e, nsl_error *error)
{
        char target[PATH_MAX], parent[PATH_MAX];
        const char *why, *slash;
        _cleanup_close_ int tparent = -1;

        if (nsl_entry_path_clean(archive_entry_hardlink(e->entry), target, sizeof target, &why) < 0)
                return nsl_fail(error, EXDEV, "import", e->path, "hardlink to %s refused: %s (it would leave the root)",
                                archive_entry_hardlink(e->entry), why);
        if (!target[0])
                return fail_entry(error, EINVAL, e, "", "hardlink to the root directory");
        slash = strrchr(target, '/');
        snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - target) : 0, target);
        tparent = nsl_open_in_root(e->u->root_fd, parent[0] ? parent : "/", O_PATH | O_DIRECTORY, 0);
        if (tparent < 0)
                return nsl_fail(error, -tparent, "import", e->path, "hardlink target %s", target);
        /* linkat without AT_SYMLINK_FOLLOW links the entry itself, which is in
         * the root: its parent was resolved there. */
        if (linkat(tparent, slash ? slash + 1 : target, e->parent, e->base, 0) < 0)
                return nsl_fail(error, errno, "import", e->path, "hardlink to %s", target);
        return 0;
}

static int account(struct nsl_unpack *u, const struct entry_ctx *e, nsl_error *error)
{
        int64_t size = archive_entry_filetype(e->entry) == AE_IFREG ? archive_entry_size(e->entry) : 0;

        if (size < 0)
                size = 0;
        u->used += HEADER_COST + (uint64_t)size;
        if (u->max_size && u->used > u->max_size)
                return nsl_fail(error, EFBIG, "import", e->path,
                                "the image unpacks to more than --max-size (%llu bytes): refused",
                                (unsigned long long)u->max_size);
        return 0;
}

static int create_entry(struct entry_ctx *e, nsl_error *error)
{
        mode_t type = archive_entry_filetype(e->entry);
        struct stat st;
        bool exists = fstatat(e->parent, e->base, &st, AT_SYMLINK_NOFOLLOW) == 0;
        bool hardlink = archive_entry_hardlink(e->entry) != NULL;
        int r;

        if (!hardlink && (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK)) {
                e->u->skipped_devices++;
                return 0;
        }
        if (exists && !(type == AE_IFDIR && !hardlink && S_ISDIR(st.st_mode))) {
                r = nsl_remove_tree(e->parent, e->base);
                if (r < 0)
                        return fail_entry(error, -r, e, "cannot replace: ", strerror(-r));
                exists = false;
        }
        if (hardlink)
                r = make_hardlink(e, error);
        else if (type == AE_IFREG)
                r = make_file(e, error);
        else if (type == AE_IFDIR)
                r = make_dir(e, exists, error);
        else if (type == AE_IFLNK)
                r = make_symlink(e, error);
        else if (type == AE_IFIFO)
                r = make_fifo(e, error);
        else
                r = fail_entry(error, EINVAL, e, "", "unknown entry type");
        if (r == 0 && nsl_path_set_add(e->u->layer_paths, e->path) < 0)
                r = fail_entry(error, ENOMEM, e, "", strerror(ENOMEM));
        return r;
}

static int apply_entry(struct nsl_unpack *u, struct archive *a, struct archive_entry *entry, nsl_error *error)
{
        char path[PATH_MAX], parent_path[PATH_MAX];
        const char *why, *slash;
        struct entry_ctx e = { .u = u, .a = a, .entry = entry, .path = path };
        _cleanup_close_ int parent = -1;
        int r = nsl_entry_path_clean(archive_entry_pathname(entry), path, sizeof path, &why);

        if (r < 0)
                return nsl_fail(error, -r, "import", archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "",
                                "entry refused: %s", why);
        if (!path[0])
                return 0;       /* the root itself keeps the mode the importer gives it */
        if ((r = account(u, &e, error)) < 0)
                return r;
        slash = strrchr(path, '/');
        e.base = slash ? slash + 1 : path;
        snprintf(parent_path, sizeof parent_path, "%.*s", slash ? (int)(slash - path) : 0, path);
        if (!strncmp(e.base, ".wh.", 4))
                return nsl_whiteout_apply(u, parent_path, e.base, error);
        parent = open_dir(u->root_fd, parent_path);
        if (parent < 0)
                return nsl_fail(error, -parent, "import", path, "cannot open its directory");
        e.parent = parent;
        return create_entry(&e, error);
}

int nsl_layer_apply(struct nsl_unpack *u, int blob_fd, const char *raw_hex, const char *name, nsl_error *error)
{
        _cleanup_archive_ struct archive *a = nsl_archive_reader(NSL_ARCHIVE_TAR);
        __attribute__((cleanup(nsl_hashed_reader_freep))) struct nsl_hashed_reader *reader = NULL;
        struct archive_entry *entry;
        char got[NSL_SHA256_HEX + 1];
        int r;

        nsl_path_set_free(u->layer_paths);
        u->layer_paths = nsl_path_set_new();
        if (!a || !u->layer_paths)
                return nsl_fail(error, ENOMEM, "import", name, NULL);
        if ((r = nsl_hashed_reader_new(blob_fd, u->progress, &reader, error)) < 0)
                return r;
        if (archive_read_open(a, reader, NULL, nsl_hashed_reader_read, NULL) != ARCHIVE_OK)
                return nsl_fail(error, EINVAL, "import", name, "not a layer tarball: %s", archive_error_string(a));
        while ((r = nsl_archive_next(a, &entry)) == 1) {
                if ((r = nsl_check_stop("import", name, error)) < 0 || (r = apply_entry(u, a, entry, error)) < 0)
                        return r;
        }
        if (r < 0)
                return nsl_fail(error, EINVAL, "import", name, "bad or truncated layer: %s", archive_error_string(a));
        /* The blob was checked before anything was written; this checks that
         * what was unpacked is still that blob (a layout someone else can
         * write may change between the two reads). */
        if ((r = nsl_hashed_reader_finish(reader, got, error)) < 0)
                return r;
        if (strcmp(got, raw_hex))
                return nsl_fail(error, EBADMSG, "import", name, "the blob changed while it was unpacked");
        return 0;
}

static size_t depth(const char *path)
{
        size_t n = 0;
        for (; *path; path++)
                n += *path == '/';
        return n;
}

/* Deepest first (a parent's mode may shut us out of it), and for one path
 * the last entry recorded first. */
static int deeper_then_later(const void *a, const void *b)
{
        const struct nsl_dir_mode *x = a, *y = b;
        size_t dx = depth(x->path), dy = depth(y->path);

        if (dx != dy)
                return dx > dy ? -1 : 1;
        return x->order > y->order ? -1 : x->order < y->order;
}

int nsl_unpack_finish(struct nsl_unpack *u, nsl_error *error)
{
        struct nsl_path_set *done = nsl_path_set_new();
        int r = 0;

        if (!done)
                return nsl_fail(error, ENOMEM, "import", "", NULL);
        for (size_t i = 0; i < u->n_deferred; i++)
                u->deferred[i].order = i;
        if (u->n_deferred)
                qsort(u->deferred, u->n_deferred, sizeof *u->deferred, deeper_then_later);
        for (size_t i = 0; r == 0 && i < u->n_deferred; i++) {
                const char *path = u->deferred[i].path;
                if (nsl_path_set_has(done, path))
                        continue;
                if (nsl_path_set_add(done, path) < 0) {
                        r = nsl_fail(error, ENOMEM, "import", path, NULL);
                        break;
                }
                _cleanup_close_ int fd = nsl_open_in_root(u->root_fd, path, O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
                if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
                        continue;       /* removed or replaced by a later layer */
                if (fd < 0 || fchmod(fd, u->deferred[i].mode) < 0)
                        r = nsl_fail(error, fd < 0 ? -fd : errno, "import", path, "cannot set the mode");
        }
        nsl_path_set_free(done);
        return r;
}

void nsl_unpack_clear(struct nsl_unpack *u)
{
        nsl_path_set_free(u->layer_paths);
        for (size_t i = 0; i < u->n_deferred; i++)
                free(u->deferred[i].path);
        free(u->deferred);
        u->layer_paths = NULL;
        u->deferred = NULL;
        u->n_deferred = u->cap_deferred = 0;
}

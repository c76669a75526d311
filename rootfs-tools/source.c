/* Where an image's files come from: an OCI layout directory, or a tarball
 * (docker save, or an OCI layout in a tar). A tarball's regular members are
 * copied once into unnamed temporary files (O_TMPFILE) beside the
 * destination, so that each blob can be read twice (digest, then unpack)
 * without holding it in memory. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "sandbox/mount.h"
#include "tool.h"

#define MAX_MEMBERS 4096
#define CHUNK (256u << 10)

struct member {
        char *name;
        int fd;
};

struct nsl_source {
        int dir_fd;                     /* a layout directory, or -1 */
        struct member *members;         /* a tarball's regular files */
        size_t n_members;
};


void nsl_source_free(struct nsl_source *source)
{
        if (!source)
                return;
        if (source->dir_fd >= 0)
                close(source->dir_fd);
        for (size_t i = 0; i < source->n_members; i++) {
                free(source->members[i].name);
                close(source->members[i].fd);
        }
        free(source->members);
        free(source);
}

static struct member *find_member(struct nsl_source *source, const char *clean)
{
        for (size_t i = 0; i < source->n_members; i++)
                if (!strcmp(source->members[i].name, clean))
                        return &source->members[i];
        return NULL;
}

struct spool {
        int fd;
        uint64_t *budget;
        const char *path;
        struct archive *a;
        struct nsl_progress *progress;
        int64_t *counted;       /* tarball bytes added to progress */
};

static int spool_block(void *data, const void *block, size_t len, int64_t offset, nsl_error *error)
{
        struct spool *s = data;
        ssize_t n;

        if (len > *s->budget)
                return nsl_fail(error, EFBIG, "import", s->path, "the image tarball holds more than --max-size: "
                                "refused");
        *s->budget -= len;
        if (offset < 0)
                return nsl_fail(error, EIO, "import", s->path, "cannot spool a member: %s", strerror(EIO));
        n = pwrite(s->fd, block, len, (off_t)offset);
        if (n != (ssize_t)len) {
                int errnum = n < 0 ? errno : EIO;
                return nsl_fail(error, errnum, "import", s->path, "cannot spool a member");
        }
        if (archive_filter_bytes(s->a, -1) > *s->counted) {
                nsl_progress_add(s->progress, (uint64_t)(archive_filter_bytes(s->a, -1) - *s->counted));
                *s->counted = archive_filter_bytes(s->a, -1);
        }
        return 0;
}

static int spool_entry(struct archive *a, int spool_dir, uint64_t *budget, struct nsl_progress *progress,
                       int64_t *counted, int *fd_out, const char *path, nsl_error *error)
{
        _cleanup_close_ int fd = openat(spool_dir, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        struct spool s = { .fd = fd, .budget = budget, .path = path, .a = a, .progress = progress,
                           .counted = counted };
        int r;

        if (fd < 0)
                return nsl_fail(error, errno, "import", path, "cannot make a temporary file beside the destination");
        r = nsl_archive_each_block(a, spool_block, &s, error);
        if (r == NSL_ARCHIVE_BROKEN)
                return nsl_fail(error, EIO, "import", path, "%s", archive_error_string(a));
        if (r < 0)
                return r;
        *fd_out = TAKE_FD(fd);
        return 0;
}

static int add_member(struct nsl_source *source, const char *clean, int fd, const char *path, nsl_error *error)
{
        struct member *grown;

        if (find_member(source, clean)) {
                close(fd);
                return nsl_fail(error, EINVAL, "import", path, "the tarball holds %s twice", clean);
        }
        if (source->n_members == MAX_MEMBERS) {
                close(fd);
                return nsl_fail(error, E2BIG, "import", path, "more than %d files in the image tarball", MAX_MEMBERS);
        }
        grown = realloc(source->members, (source->n_members + 1) * sizeof *grown);
        if (!grown) {
                close(fd);
                return nsl_fail(error, ENOMEM, "import", path, NULL);
        }
        source->members = grown;
        grown[source->n_members].name = strdup(clean);
        if (!grown[source->n_members].name) {
                close(fd);
                return nsl_fail(error, ENOMEM, "import", path, NULL);
        }
        grown[source->n_members++].fd = fd;
        return 0;
}

static int open_tarball(struct nsl_source *source, int tar_fd, int spool_dir, uint64_t budget,
                        struct nsl_progress *progress, const char *path, nsl_error *error)
{
        _cleanup_archive_ struct archive *a = nsl_archive_reader(NSL_ARCHIVE_TAR);
        struct archive_entry *entry;
        int64_t counted = 0;
        char clean[PATH_MAX];
        const char *why;
        int r;

        if (!a)
                return nsl_fail(error, ENOMEM, "import", path, NULL);
        if (archive_read_open_fd(a, tar_fd, CHUNK) != ARCHIVE_OK)
                return nsl_fail(error, EINVAL, "import", path, "not a tarball: %s", archive_error_string(a));
        while ((r = nsl_archive_next(a, &entry)) == 1) {
                int fd = -1;
                if (archive_entry_filetype(entry) != AE_IFREG)
                        continue;
                if (nsl_entry_path_clean(archive_entry_pathname(entry), clean, sizeof clean, &why) < 0)
                        return nsl_fail(error, EINVAL, "import", path, "member %s: %s",
                                        archive_entry_pathname(entry), why);
                if ((r = spool_entry(a, spool_dir, &budget, progress, &counted, &fd, path, error)) < 0 ||
                    (r = add_member(source, clean, fd, path, error)) < 0)
                        return r;
        }
        if (r < 0)
                return nsl_fail(error, EINVAL, "import", path, "bad image tarball: %s", archive_error_string(a));
        return 0;
}

int nsl_source_open(const char *path, int spool_dir, uint64_t max_size, struct nsl_progress *progress,
                    struct nsl_source **out, nsl_error *error)
{
        /* O_NONBLOCK: a FIFO named as the source must not hang us. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct nsl_source *source;
        struct stat st;
        int r = 0;

        if (fd < 0 || fstat(fd, &st) < 0)
                return nsl_fail(error, errno, "import", path, NULL);
        source = calloc(1, sizeof *source);
        if (!source)
                return nsl_fail(error, ENOMEM, "import", path, NULL);
        source->dir_fd = -1;
        if (S_ISDIR(st.st_mode))
                source->dir_fd = TAKE_FD(fd);
        else if (S_ISREG(st.st_mode)) {
                nsl_progress_phase(progress, "reading the image tarball", NULL, (uint64_t)st.st_size, 0);
                r = open_tarball(source, fd, spool_dir, max_size, progress, path, error);
        }
        else
                r = nsl_fail(error, EINVAL, "import", path, "neither a directory nor a tarball");
        if (r < 0) {
                nsl_source_free(source);
                return r;
        }
        *out = source;
        return 0;
}

/* In a layout directory, members resolve inside it: a symlinked blob cannot
 * point at the host's files. */
int nsl_source_open_member(struct nsl_source *source, const char *member, int *fd_out, nsl_error *error)
{
        char clean[PATH_MAX];
        const char *why;
        struct stat st;
        int fd;

        if (nsl_entry_path_clean(member, clean, sizeof clean, &why) < 0 || !clean[0])
                return nsl_fail(error, EINVAL, "import", member, "bad member name: %s", why);
        if (source->dir_fd >= 0) {
                fd = nsl_open_in_root(source->dir_fd, clean, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
                if (fd < 0)
                        return nsl_fail(error, -fd, "import", member, NULL);
                if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                        close(fd);
                        return nsl_fail(error, EINVAL, "import", member, "not a regular file");
                }
        } else {
                struct member *m = find_member(source, clean);
                if (!m)
                        return nsl_fail(error, ENOENT, "import", member, "not in the image tarball");
                /* A dup shares the offset: blobs are read one at a time. */
                fd = fcntl(m->fd, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return nsl_fail(error, errno, "import", member, NULL);
        }
        if (lseek(fd, 0, SEEK_SET) < 0) {
                int e = errno;
                close(fd);
                return nsl_fail(error, e, "import", member, NULL);
        }
        *fd_out = fd;
        return 0;
}

bool nsl_source_has_member(struct nsl_source *source, const char *member)
{
        nsl_error ignored;
        int fd;

        if (nsl_source_open_member(source, member, &fd, &ignored) < 0)
                return false;
        close(fd);
        return true;
}

int nsl_source_read_member(struct nsl_source *source, const char *member, char **text, nsl_error *error)
{
        _cleanup_close_ int fd = -1;
        size_t len;
        int r = nsl_source_open_member(source, member, &fd, error);

        if (r < 0)
                return r;
        r = nsl_read_fd(fd, NSL_MAX_JSON, text, &len);
        if (r == -EFBIG)
                return nsl_fail(error, EFBIG, "import", member, "larger than %u bytes", NSL_MAX_JSON);
        return r < 0 ? nsl_fail(error, -r, "import", member, NULL) : 0;
}

uint64_t nsl_source_member_size(struct nsl_source *source, const char *member)
{
        _cleanup_close_ int fd = -1;
        nsl_error ignored;
        struct stat st;

        if (nsl_source_open_member(source, member, &fd, &ignored) < 0 || fstat(fd, &st) < 0)
                return 0;
        return (uint64_t)st.st_size;
}

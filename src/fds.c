#include "fds.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

int nsl_fd_above_stdio(int *fd)
{
        int high;

        if (*fd > STDERR_FILENO)
                return 0;
        high = fcntl(*fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        if (high < 0)
                return -errno;
        close(*fd);
        *fd = high;
        return 0;
}

int nsl_close_all_except(const int *keep, size_t n_keep)
{
        unsigned from = 3;

        for (size_t i = 0; i < n_keep; i++) {
                if (keep[i] < (int)from)
                        continue;
                if ((unsigned)keep[i] > from && close_range(from, (unsigned)keep[i] - 1, 0) < 0)
                        return -errno;
                from = (unsigned)keep[i] + 1;
        }
        if (close_range(from, UINT_MAX, 0) < 0)
                return -errno;
        return 0;
}

void nsl_fd_list_insert(int *v, size_t *n, int fd)
{
        size_t at = *n;

        for (; at > 0 && v[at - 1] > fd; at--)
                v[at] = v[at - 1];
        v[at] = fd;
        (*n)++;
}

int nsl_close_all_except_plus(const int *keep, size_t n_keep, int extra)
{
        int merged[n_keep + 1];
        size_t n = n_keep;

        memcpy(merged, keep, n_keep * sizeof *keep);
        nsl_fd_list_insert(merged, &n, extra);
        return nsl_close_all_except(merged, n);
}

int nsl_fd_usable_as_stdio(int fd)
{
        struct stat st;
        int flags = fcntl(fd, F_GETFL);

        if (flags < 0 || fstat(fd, &st) < 0)
                return -EBADF;
        if (S_ISDIR(st.st_mode) || (flags & O_PATH))
                return -EISDIR;
        return 0;
}

int nsl_write_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

ssize_t nsl_read_once(int dirfd, const char *path, int flags, char *buf, size_t size)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | flags);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return n;
}

int nsl_read_file(const char *path, size_t max, char **text, size_t *len)
{
        /* O_NONBLOCK: a FIFO given as an input must not block nslaunch in
         * open(); nsl_read_fd then refuses it as not a regular file. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

        if (fd < 0)
                return -errno;
        return nsl_read_fd(fd, max, text, len);
}

ssize_t nsl_read_to_end(int fd, char *buf, size_t size)
{
        size_t n = 0;

        while (n < size) {
                ssize_t got = read(fd, buf + n, size - n);
                if (got == 0)
                        break;
                if (got < 0 && errno != EINTR)
                        return -errno;
                n += got > 0 ? (size_t)got : 0;
        }
        return (ssize_t)n;
}

/* fd to its end into buf, of max + 1 bytes: max bytes and the NUL, or one
 * byte over max, whose arrival says there is more (-EFBIG). */
static int read_whole_into(int fd, char *buf, size_t max, size_t *len)
{
        ssize_t n = nsl_read_to_end(fd, buf, max + 1);

        if (n < 0)
                return (int)n;
        if ((size_t)n > max)
                return -EFBIG;
        buf[n] = '\0';
        *len = (size_t)n;
        return 0;
}

int nsl_read_stream(int fd, size_t max, char **text, size_t *len)
{
        _cleanup_free_ char *buf = malloc(max + 1);
        int r;

        if (!buf)
                return -ENOMEM;
        if ((r = read_whole_into(fd, buf, max, len)) < 0)
                return r;
        *text = TAKE_PTR(buf);
        return 0;
}

/* A FIFO is opened without blocking (no writer yet: its end at once, not a
 * wait), then read blocking. */
int nsl_read_file_or_pipe(const char *path, size_t max, char **text, size_t *len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISFIFO(st.st_mode))
                return nsl_read_fd(fd, max, text, len);
        if (fcntl(fd, F_SETFL, 0) < 0)
                return -errno;
        return nsl_read_stream(fd, max, text, len);
}

int nsl_read_fd(int fd, size_t max, char **text, size_t *len)
{
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0, size;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((size_t)st.st_size > max)
                return -EFBIG;
        /* the file's size and one byte to see the end by: a buffer of max
         * bytes would cost an mmap and a munmap for every small file */
        size = (size_t)st.st_size + 1;
        buf = malloc(size + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (n == size) {        /* it grew while we read */
                        if (size > max)
                                return -EFBIG;
                        size = size > max / 2 ? max + 1 : size * 2;
                        char *bigger = realloc(buf, size + 1);
                        if (!bigger)
                                return -ENOMEM;
                        buf = bigger;
                }
                ssize_t r = read(fd, buf + n, size - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        if (n > max)
                return -EFBIG;
        buf[n] = '\0';
        *len = n;
        *text = TAKE_PTR(buf);
        return 0;
}

int nsl_map_anonymous(struct nsl_mapping *m, size_t size)
{
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                return -errno;
        *m = (struct nsl_mapping){ .p = p, .size = size };
        return 0;
}

int nsl_read_fd_mapped(int fd, size_t max, struct nsl_mapping *m, size_t *len)
{
        int r = nsl_map_anonymous(m, max + 1);

        return r < 0 ? r : read_whole_into(fd, m->p, max, len);
}

int nsl_write_new_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                          enum nsl_file_life life)
{
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        int r;

        if (fd < 0)
                return -errno;
        r = nsl_write_all(fd, data, len);
        if (r == 0 && life == NSL_FILE_DURABLE && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r < 0)
                (void)unlinkat(dirfd, name, 0);
        return r;
}

/* ".NAME.XXXXXXXX" beside path: unpredictable, so a name planted in a
 * directory others can write cannot make the write fail every time. */
static char *temporary_beside(const char *path)
{
        const char *slash = strrchr(path, '/');
        int dirlen = slash ? (int)(slash - path) : 0;
        uint32_t random = 0;
        char *tmp;

        if (getrandom(&random, sizeof random, GRND_NONBLOCK) < 0)
                random = (uint32_t)getpid() ^ (uint32_t)time(NULL);
        if (asprintf(&tmp, "%.*s%s.%s.%08x", dirlen, path, slash ? "/" : "", slash ? slash + 1 : path, random) < 0)
                return NULL;
        return tmp;
}

int nsl_write_temporary_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                           enum nsl_file_life life, char **tmp)
{
        int r = -EEXIST;

        *tmp = NULL;
        for (int attempt = 0; attempt < 4 && r == -EEXIST; attempt++) {
                free(*tmp);
                if (!(*tmp = temporary_beside(path)))
                        return -ENOMEM;
                r = nsl_write_new_file_at(dirfd, *tmp, data, len, mode, life);
        }
        if (r < 0) {
                free(*tmp);
                *tmp = NULL;
        }
        return r;
}

int nsl_replace_file_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                        enum nsl_file_life life)
{
        _cleanup_free_ char *tmp = NULL;
        int r = nsl_write_temporary_at(dirfd, path, data, len, mode, life, &tmp);

        if (r == 0 && renameat(dirfd, tmp, dirfd, path) < 0) {
                r = -errno;
                (void)unlinkat(dirfd, tmp, 0);
        }
        return r;
}

int nsl_replace_file(const char *path, const void *data, size_t len, enum nsl_file_life life)
{
        return nsl_replace_file_at(AT_FDCWD, path, data, len, 0644, life);
}

int nsl_dir_each(int dirfd, int (*fn)(const char *name, void *data, nsl_error *error), void *data, nsl_error *error)
{
        _Alignas(struct dirent64) char buf[NSL_DIR_BUFFER_SIZE];

        return nsl_dir_each_in(dirfd, buf, sizeof buf, fn, data, error);
}

int nsl_dir_each_in(int dirfd, char *buf, size_t size, int (*fn)(const char *name, void *data, nsl_error *error),
                    void *data, nsl_error *error)
{
        long n;

        if (lseek(dirfd, 0, SEEK_SET) < 0)
                return -errno;
        while ((n = syscall(SYS_getdents64, dirfd, buf, size)) > 0)
                for (long off = 0; off < n;) {
                        const struct dirent64 *de = (const struct dirent64 *)(buf + off);
                        off += de->d_reclen;
                        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                                continue;
                        int r = fn(de->d_name, data, error);
                        if (r < 0)
                                return r;
                }
        return n < 0 ? -errno : 0;
}

bool nsl_fd_on_fs(int fd, long magic)
{
        struct statfs sfs;

        return fstatfs(fd, &sfs) == 0 && (long)sfs.f_type == magic;
}

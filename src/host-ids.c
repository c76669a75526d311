#include "host-ids.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"

static bool parse_u32(const char *text, size_t len, uint32_t *value)
{
        char buf[16], *end;

        if (len == 0 || len >= sizeof buf || text[0] < '0' || text[0] > '9')
                return false;
        memcpy(buf, text, len);
        buf[len] = '\0';
        errno = 0;
        unsigned long v = strtoul(buf, &end, 10);
        if (errno || *end || v > UINT32_MAX)
                return false;
        *value = (uint32_t)v;
        return true;
}

/* "NAME:START:COUNT" for NAME: 1, not this name's: 0, malformed: -1. */
static int parse_line(const char *line, size_t len, struct nsl_id_span *span)
{
        const char *colon1 = memchr(line, ':', len), *colon2;
        size_t name_len = strlen(NSL_HOST_IDS_USER);

        if (!colon1 || (size_t)(colon1 - line) != name_len || memcmp(line, NSL_HOST_IDS_USER, name_len))
                return 0;
        colon2 = memchr(colon1 + 1, ':', len - (size_t)(colon1 + 1 - line));
        if (!colon2 || !parse_u32(colon1 + 1, (size_t)(colon2 - colon1 - 1), &span->start) ||
            !parse_u32(colon2 + 1, len - (size_t)(colon2 + 1 - line), &span->count))
                return -1;
        return 1;
}

int nsl_host_ids_range(const char *path, struct nsl_id_span *span, nsl_error *error)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = nsl_read_file(path, 1 << 20, &text, &len);

        *span = (struct nsl_id_span){ NSL_HOST_IDS_DEFAULT_START, NSL_HOST_IDS_DEFAULT_COUNT };
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return nsl_fail(error, -r, "host-ids", path, r == -EINVAL ? "not a regular file" : NULL);
        for (size_t at = 0, n = 1; at < len; n++) {
                const char *line = text + at, *nl = memchr(line, '\n', len - at);
                size_t line_len = nl ? (size_t)(nl - line) : len - at;
                at += line_len + 1;
                if ((r = parse_line(line, line_len, span)) == 0)
                        continue;
                if (r < 0)
                        return nsl_fail(error, EINVAL, "host-ids", path, "line %zu: not %s:START:COUNT", n,
                                        NSL_HOST_IDS_USER);
                /* never root's id, and never (uid_t)-1, which chown reads as "unchanged" */
                if (span->start == 0 || span->count == 0 || span->count > UINT32_MAX - span->start)
                        return nsl_fail(error, EINVAL, "host-ids", path,
                                        "line %zu: the range %u:%u must start above 0 and end below 4294967295", n,
                                        span->start, span->count);
                return 0;
        }
        return 0;       /* no line of ours: the default */
}

/* root's own directory, which nobody else can write: a lock file others
 * could replace would let them hand out ids that are in use */
static int open_lock_dir(const char *dir, nsl_error *error)
{
        const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        struct stat st;
        int fd = open(dir, flags);

        /* made once, by the first launch: the others only open it */
        if (fd < 0 && errno == ENOENT) {
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return nsl_fail(error, errno, "host-ids", dir, NULL);
                fd = open(dir, flags);
        }
        if (fd < 0)
                return nsl_fail(error, errno, "host-ids", dir, NULL);
        if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
                close(fd);
                return nsl_fail(error, EPERM, "host-ids", dir, "must be root's and writable by root alone");
        }
        return fd;
}

static int open_lock_file(const char *dir, nsl_error *error)
{
        _cleanup_close_ int dirfd = open_lock_dir(dir, error);
        struct stat st;

        if (dirfd < 0)
                return dirfd;
        _cleanup_close_ int fd = openat(dirfd, NSL_HOST_IDS_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return nsl_fail(error, errno, "host-ids", NSL_HOST_IDS_LOCK, NULL);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0)
                return nsl_fail(error, EPERM, "host-ids", NSL_HOST_IDS_LOCK, "not a regular file of root's");
        /* above stdio, which the sandbox's init replaces with the command's */
        int r = nsl_fd_above_stdio(&fd);
        if (r < 0)
                return nsl_fail(error, -r, "host-ids", NSL_HOST_IDS_LOCK, NULL);
        return TAKE_FD(fd);
}

/* 1: taken, 0: another open file description holds it, -errno */
static int lock_byte(int fd, off_t at)
{
        struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = at, .l_len = 1 };

        if (fcntl(fd, F_OFD_SETLK, &lock) == 0)
                return 1;
        return errno == EAGAIN || errno == EACCES ? 0 : -errno;
}

static void unlock_byte(int fd, off_t at)
{
        struct flock lock = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = at, .l_len = 1 };

        (void)fcntl(fd, F_OFD_SETLK, &lock);
}

int nsl_host_ids_reserve(const char *lock_dir, const struct nsl_id_span *uids, const struct nsl_id_span *gids,
                         struct nsl_host_ids *ids, nsl_error *error)
{
        uint32_t n = uids->count < gids->count ? uids->count : gids->count;
        _cleanup_close_ int fd = open_lock_file(lock_dir, error);
        const off_t gid_base = (off_t)1 << 32;

        if (fd < 0)
                return fd;
        for (uint32_t i = 0; i < n; i++) {
                off_t uid_at = (off_t)uids->start + i, gid_at = gid_base + (off_t)gids->start + i;
                int r = lock_byte(fd, uid_at);
                if (r == 1 && (r = lock_byte(fd, gid_at)) != 1)
                        unlock_byte(fd, uid_at);
                if (r < 0)
                        return nsl_fail(error, -r, "host-ids", NSL_HOST_IDS_LOCK, NULL);
                if (r == 1) {
                        *ids = (struct nsl_host_ids){ .lock_fd = TAKE_FD(fd), .uid = uids->start + i,
                                                      .gid = gids->start + i };
                        return 0;
                }
        }
        return nsl_fail(error, EUSERS, "host-ids", "", "all %u host ids of nslaunch's range (%u-%u) are taken by "
                        "running sandboxes: widen it with a '%s:START:COUNT' line in /etc/subuid and /etc/subgid",
                        n, uids->start, uids->start + n - 1, NSL_HOST_IDS_USER);
}

int nsl_host_ids_reserve_default(struct nsl_host_ids *ids, nsl_error *error)
{
        struct nsl_id_span uids, gids;
        int r = nsl_host_ids_range("/etc/subuid", &uids, error);

        if (r == 0)
                r = nsl_host_ids_range("/etc/subgid", &gids, error);
        if (r == 0)
                r = nsl_host_ids_reserve(NSL_HOST_IDS_LOCK_DIR, &uids, &gids, ids, error);
        return r;
}

void nsl_host_ids_release(struct nsl_host_ids *ids)
{
        nsl_closep(&ids->lock_fd);
        ids->lock_fd = -1;
}

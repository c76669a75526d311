#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../fds.h"

#define MAGIC "nslaunch-seccomp-cache 2\n"
#define MAX_ENTRY_BYTES (4u << 20)
#define PRIME 0x100000001b3ULL
#define HASH_SEED 0xcbf29ce484222325ULL

/* Eight bytes a step: an entry is named and checked by this, and whatever
 * it names is compared byte for byte, so it need only spread well. */
static uint64_t hash_words(uint64_t h, const void *data, size_t len)
{
        const unsigned char *p = data;
        uint64_t w;

        for (; len >= 8; p += 8, len -= 8) {
                memcpy(&w, p, 8);
                h = (h ^ w) * PRIME;
                h ^= h >> 29;
        }
        w = 0;
        memcpy(&w, p, len);
        h = (h ^ w ^ ((uint64_t)len << 56)) * PRIME;
        return h ^ (h >> 32);
}

/* What the filter was made from, as text: the target, then either the
 * profile's length (its bytes follow the header) or the file's identity. */
static int key_header(const struct nsl_sc_target *t, size_t profile_len, const char *file_key, char *buf,
                      size_t size)
{
        const struct scmp_version *v = seccomp_version();
        int n = snprintf(buf, size,
                         MAGIC "nslaunch=%s\nlibseccomp=%u.%u.%u\narch=%" PRIu32 "\ncaps=%" PRIx64
                               "\nkernel=%d.%d\nprofile=%zu\nfile=%s\n",
                         NSL_VERSION, v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, t->arch, t->caps,
                         t->kernel[0], t->kernel[1], profile_len, file_key);
        return n > 0 && (size_t)n < size ? n : -1;
}

/* A file is known by its device, inode, size and times; ctime is the
 * kernel's own clock at the last change and cannot be set. */
static void file_key(const struct stat *st, char *buf, size_t size)
{
        snprintf(buf, size, "%" PRIu64 ":%" PRIu64 ":%" PRId64 ":%" PRId64 ".%09ld:%" PRId64 ".%09ld",
                 (uint64_t)st->st_dev, (uint64_t)st->st_ino, (int64_t)st->st_size, (int64_t)st->st_mtim.tv_sec,
                 st->st_mtim.tv_nsec, (int64_t)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

bool nsl_sc_cache_file_settled(const struct stat *st)
{
        struct timespec now;

        /* A change within the same tick of the file system's clock could
         * keep size and times: only a file unchanged for a while is known by
         * them. Any later change then gets a later ctime. */
        if (clock_gettime(CLOCK_REALTIME, &now) < 0)
                return false;
        return st->st_mtim.tv_sec < now.tv_sec - 1 && st->st_ctim.tv_sec < now.tv_sec - 1;
}

static void entry_name(const char *header, size_t hlen, const char *text, size_t len, char *out, size_t size)
{
        snprintf(out, size, "%016" PRIx64 ".bpf", hash_words(hash_words(HASH_SEED, header, hlen), text, len));
}

static bool private_to_us(const struct stat *st)
{
        return st->st_uid == geteuid() && !(st->st_mode & 022);
}

static int mkdir_private(const char *path)
{
        struct stat st;

        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return -errno;
        if (lstat(path, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        return private_to_us(&st) ? 0 : -EPERM;
}

int nsl_sc_cache_default_dir(char **dir)
{
        const char *base = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        char *d = NULL;

        *dir = NULL;
        if (geteuid() == 0)
                d = strdup("/var/cache/nslaunch/seccomp");
        else if (base && base[0] == '/')
                return asprintf(dir, "%s/nslaunch/seccomp", base) < 0 ? -ENOMEM : 0;
        else if (home && home[0] == '/')
                return asprintf(dir, "%s/.cache/nslaunch/seccomp", home) < 0 ? -ENOMEM : 0;
        *dir = d;
        return 0;
}

/* The entry for header + text: one pread of its exact size, every byte of
 * the key compared and the checksum checked. 1 on a hit, else 0. */
static int lookup_entry(const char *dir, const char *header, size_t hlen, const char *text, size_t len,
                        struct nsl_sc_filter *filter)
{
        char name[32];
        _cleanup_free_ unsigned char *buf = NULL;
        _cleanup_close_ int dir_fd = -1, fd = -1;
        struct stat st;

        if (!dir)
                return 0;
        /* the directory too: one others can write could hold anything */
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0 || fstat(dir_fd, &st) < 0 || !private_to_us(&st))
                return 0;
        entry_name(header, hlen, text, len, name, sizeof name);
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !private_to_us(&st) ||
            st.st_size > MAX_ENTRY_BYTES)
                return 0;
        /* header, profile, flags (u32), length (u16), instructions, checksum (u64) */
        size_t size = (size_t)st.st_size, fixed = hlen + len;
        if (size < fixed + 4 + 2 + 8)
                return 0;
        buf = malloc(size);
        if (!buf || pread(fd, buf, size, 0) != (ssize_t)size)
                return 0;
        if (memcmp(buf, header, hlen) || memcmp(buf + hlen, text, len))
                return 0;
        uint64_t sum;
        memcpy(&sum, buf + size - 8, 8);
        if (hash_words(HASH_SEED, buf, size - 8) != sum)
                return 0;
        uint32_t flags;
        uint16_t n;
        memcpy(&flags, buf + fixed, 4);
        memcpy(&n, buf + fixed + 4, 2);
        if (n == 0 || n > BPF_MAXINSNS || fixed + 6 + (size_t)n * sizeof(struct sock_filter) + 8 != size)
                return 0;
        filter->insns = malloc((size_t)n * sizeof(struct sock_filter));
        if (!filter->insns)
                return 0;
        memcpy(filter->insns, buf + fixed + 6, (size_t)n * sizeof(struct sock_filter));
        filter->len = n;
        filter->flags = flags;
        return 1;
}

int nsl_sc_cache_lookup(const char *dir, const char *text, size_t len, const struct nsl_sc_target *t,
                        struct nsl_sc_filter *filter)
{
        char header[512];
        int hlen = key_header(t, len, "", header, sizeof header);

        return hlen < 0 ? 0 : lookup_entry(dir, header, (size_t)hlen, text, len, filter);
}

/* The header of an entry keyed by a profile file's identity. */
static int file_header(const struct nsl_sc_target *t, const struct stat *profile, char *header, size_t size)
{
        char key[160];

        file_key(profile, key, sizeof key);
        return key_header(t, 0, key, header, size);
}

int nsl_sc_cache_lookup_file(const char *dir, const struct stat *profile, const struct nsl_sc_target *t,
                             struct nsl_sc_filter *filter)
{
        char header[512];
        int hlen = file_header(t, profile, header, sizeof header);

        return hlen < 0 ? 0 : lookup_entry(dir, header, (size_t)hlen, "", 0, filter);
}

/* mkdir -p, 0700; the directory itself must end up ours and private. */
static int make_dirs(const char *dir)
{
        char path[4096];
        size_t len = strlen(dir);

        if (len >= sizeof path || dir[0] != '/')
                return -EINVAL;
        memcpy(path, dir, len + 1);
        for (char *p = path + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(path, 0700) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        return mkdir_private(path);
}

static int store_entry(const char *dir, const char *header, size_t hlen, const char *text, size_t len,
                       const struct nsl_sc_filter *filter)
{
        char name[32], path[4096];
        uint32_t flags = filter->flags;
        uint16_t n = filter->len;
        size_t insns = (size_t)n * sizeof(struct sock_filter), size = hlen + len + 4 + 2 + insns + 8;
        _cleanup_free_ unsigned char *buf = NULL;
        unsigned char *p;
        int r;

        if (!dir || size > MAX_ENTRY_BYTES)
                return -EINVAL;
        if ((r = make_dirs(dir)) < 0)
                return r;
        entry_name(header, hlen, text, len, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        /* header, profile, flags (u32), length (u16), instructions, checksum (u64) */
        p = buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        p = mempcpy(p, header, hlen);
        p = mempcpy(p, text, len);
        p = mempcpy(p, &flags, 4);
        p = mempcpy(p, &n, 2);
        p = mempcpy(p, filter->insns, insns);
        uint64_t sum = hash_words(HASH_SEED, buf, size - 8);
        memcpy(p, &sum, 8);
        /* private: a lookup refuses an entry others could have written */
        return nsl_replace_file_at(AT_FDCWD, path, buf, size, 0600, NSL_FILE_DURABLE);
}

int nsl_sc_cache_store(const char *dir, const char *text, size_t len, const struct nsl_sc_target *t,
                       const struct nsl_sc_filter *filter)
{
        char header[512];
        int hlen = key_header(t, len, "", header, sizeof header);

        return hlen < 0 ? -EINVAL : store_entry(dir, header, (size_t)hlen, text, len, filter);
}

int nsl_sc_cache_store_file(const char *dir, const struct stat *profile, const struct nsl_sc_target *t,
                            const struct nsl_sc_filter *filter)
{
        char header[512];

        if (!nsl_sc_cache_file_settled(profile))
                return 0;
        int hlen = file_header(t, profile, header, sizeof header);
        return hlen < 0 ? -EINVAL : store_entry(dir, header, (size_t)hlen, "", 0, filter);
}

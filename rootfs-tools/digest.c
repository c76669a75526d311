/* sha256 of blobs, with OpenSSL's EVP interface; decompression by libarchive. */
#include <archive.h>
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "tool.h"

#define CHUNK (256u << 10)

static void evp_freep(EVP_MD_CTX **ctx) { EVP_MD_CTX_free(*ctx); }

int nsl_digest_parse(const char *digest, char hex[NSL_SHA256_HEX + 1])
{
        static const char prefix[] = "sha256:";

        if (!digest || strncmp(digest, prefix, sizeof prefix - 1))
                return -EINVAL;
        digest += sizeof prefix - 1;
        if (strlen(digest) != NSL_SHA256_HEX || strspn(digest, "0123456789abcdef") != NSL_SHA256_HEX)
                return -EINVAL;
        memcpy(hex, digest, NSL_SHA256_HEX + 1);
        return 0;
}

static void to_hex(const unsigned char *md, char hex[NSL_SHA256_HEX + 1])
{
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < NSL_SHA256_HEX / 2; i++) {
                hex[2 * i] = digits[md[i] >> 4];
                hex[2 * i + 1] = digits[md[i] & 15];
        }
        hex[NSL_SHA256_HEX] = '\0';
}

static int digest_finish(EVP_MD_CTX *ctx, char hex[NSL_SHA256_HEX + 1], nsl_error *error)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;

        if (!EVP_DigestFinal_ex(ctx, md, &len) || len != NSL_SHA256_HEX / 2)
                return nsl_fail(error, EIO, "digest", "", "sha256 failed");
        to_hex(md, hex);
        return 0;
}

int nsl_digest_fd(int fd, char hex[NSL_SHA256_HEX + 1], struct nsl_progress *progress, nsl_error *error)
{
        __attribute__((cleanup(evp_freep))) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        _cleanup_free_ unsigned char *buf = malloc(CHUNK);

        if (!ctx || !buf || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
                return nsl_fail(error, ENOMEM, "digest", "", NULL);
        if (lseek(fd, 0, SEEK_SET) < 0)
                return nsl_fail(error, errno, "digest", "", NULL);
        for (;;) {
                ssize_t n = read(fd, buf, CHUNK);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return nsl_fail(error, errno, "digest", "", "cannot read the blob");
                if (n == 0)
                        break;
                if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
                        return nsl_fail(error, EIO, "digest", "", "sha256 failed");
                nsl_progress_add(progress, (uint64_t)n);
        }
        return digest_finish(ctx, hex, error);
}

struct uncompressed {
        EVP_MD_CTX *ctx;
        struct archive *a;
        struct nsl_progress *progress;
        int64_t counted;        /* compressed bytes added to progress */
};

static int digest_block(void *data, const void *block, size_t len, int64_t offset, nsl_error *error)
{
        struct uncompressed *u = data;
        int64_t read = archive_filter_bytes(u->a, -1);

        (void)offset;
        if (read > u->counted) {
                nsl_progress_add(u->progress, (uint64_t)(read - u->counted));
                u->counted = read;
        }
        return EVP_DigestUpdate(u->ctx, block, len) ? 0 : nsl_fail(error, EIO, "digest", "", "sha256 failed");
}

int nsl_digest_uncompressed_fd(int fd, char hex[NSL_SHA256_HEX + 1], struct nsl_progress *progress,
                               nsl_error *error)
{
        __attribute__((cleanup(evp_freep))) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        _cleanup_archive_ struct archive *a = nsl_archive_reader(NSL_ARCHIVE_RAW);
        struct uncompressed u = { .ctx = ctx, .a = a, .progress = progress };
        struct archive_entry *entry;
        int r;

        if (!ctx || !a || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
                return nsl_fail(error, ENOMEM, "digest", "", NULL);
        if (lseek(fd, 0, SEEK_SET) < 0)
                return nsl_fail(error, errno, "digest", "", NULL);
        if (archive_read_open_fd(a, fd, CHUNK) != ARCHIVE_OK || nsl_archive_next(a, &entry) != 1)
                return nsl_fail(error, EIO, "digest", "", "cannot read the layer: %s", archive_error_string(a));
        r = nsl_archive_each_block(a, digest_block, &u, error);
        if (r == NSL_ARCHIVE_BROKEN)
                return nsl_fail(error, EIO, "digest", "", "cannot decompress the layer: %s", archive_error_string(a));
        return r < 0 ? r : digest_finish(ctx, hex, error);
}

struct nsl_hashed_reader {
        int fd;
        struct nsl_progress *progress;
        EVP_MD_CTX *ctx;
        unsigned char buf[CHUNK];
};

int nsl_hashed_reader_new(int fd, struct nsl_progress *progress, struct nsl_hashed_reader **out, nsl_error *error)
{
        struct nsl_hashed_reader *reader = malloc(sizeof *reader);

        if (!reader)
                return nsl_fail(error, ENOMEM, "digest", "", NULL);
        reader->fd = fd;
        reader->progress = progress;
        reader->ctx = EVP_MD_CTX_new();
        if (!reader->ctx || !EVP_DigestInit_ex(reader->ctx, EVP_sha256(), NULL) || lseek(fd, 0, SEEK_SET) < 0) {
                nsl_hashed_reader_freep(&reader);
                return nsl_fail(error, errno ? errno : ENOMEM, "digest", "", NULL);
        }
        *out = reader;
        return 0;
}

void nsl_hashed_reader_freep(struct nsl_hashed_reader **reader)
{
        if (!*reader)
                return;
        EVP_MD_CTX_free((*reader)->ctx);
        free(*reader);
        *reader = NULL;
}

ssize_t nsl_hashed_reader_read(struct archive *a, void *data, const void **buf)
{
        struct nsl_hashed_reader *reader = data;
        ssize_t n;

        do
                n = read(reader->fd, reader->buf, sizeof reader->buf);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                archive_set_error(a, errno, "read: %s", strerror(errno));
                return -1;
        }
        if (n > 0 && !EVP_DigestUpdate(reader->ctx, reader->buf, (size_t)n)) {
                archive_set_error(a, EIO, "sha256 failed");
                return -1;
        }
        nsl_progress_add(reader->progress, (uint64_t)n);
        *buf = reader->buf;
        return n;
}

int nsl_hashed_reader_finish(struct nsl_hashed_reader *reader, char hex[NSL_SHA256_HEX + 1], nsl_error *error)
{
        /* libarchive stops at the end-of-archive blocks; the blob may go on. */
        for (;;) {
                ssize_t n = read(reader->fd, reader->buf, sizeof reader->buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return nsl_fail(error, errno, "digest", "", NULL);
                if (n == 0)
                        break;
                if (!EVP_DigestUpdate(reader->ctx, reader->buf, (size_t)n))
                        return nsl_fail(error, EIO, "digest", "", "sha256 failed");
        }
        return digest_finish(reader->ctx, hex, error);
}

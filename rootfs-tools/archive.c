/* The one libarchive read loop of rootfs-tools: what a reader accepts, how
 * entries are walked and how an entry's data is read. */
#include <archive.h>
#include <archive_entry.h>

#include "tool.h"

struct archive *nsl_archive_reader(enum nsl_archive_format format)
{
        struct archive *a = archive_read_new();

        if (!a)
                return NULL;
        /* gzip and zstd are the only decompressors enabled */
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        if (format == NSL_ARCHIVE_RAW)
                archive_read_support_format_raw(a);
        else
                archive_read_support_format_tar(a);
        return a;
}

int nsl_archive_next(struct archive *a, struct archive_entry **entry)
{
        int r = archive_read_next_header(a, entry);

        if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
                return 1;
        return r == ARCHIVE_EOF ? 0 : -1;
}

int nsl_archive_each_block(struct archive *a, nsl_archive_block_fn fn, void *data, nsl_error *error)
{
        const void *block;
        size_t len;
        int64_t offset;
        int r;

        while ((r = archive_read_data_block(a, &block, &len, &offset)) == ARCHIVE_OK) {
                int k = fn(data, block, len, offset, error);
                if (k < 0)
                        return k;
        }
        return r == ARCHIVE_EOF ? 0 : NSL_ARCHIVE_BROKEN;
}

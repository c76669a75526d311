/* Mountpoints made where the tree cannot take them (a read-only host
 * directory of the default root, a directory of a --rootfs image the sandbox
 * user cannot or may not write): a private tmpfs goes over the directory and
 * every entry of it is bound (symlinks copied) back in, so the view is the
 * same but for the new mountpoint, and nothing is written to the host. */
#ifndef NSL_SPLICE_H
#define NSL_SPLICE_H

#include <stdbool.h>

#include "ctx.h"

/* Splices the directory at path inside the new root; its tmpfs is sealed
 * read-only with the root. */
int nsl_splice_dir(struct nsl_ctx *ctx, const char *path, nsl_error *error);

/* --rootfs: whether the image lacks a top-level directory that /proc, /dev
 * or one of the plan's mounts needs, and may not get it written (read-only,
 * not the sandbox user's to write, or not --rw-root). */
bool nsl_splice_root_needed(const struct nsl_ctx *ctx);
/* Splices the image's root itself, before anything is mounted in it: the
 * tmpfs becomes ctx->root_fd. */
int nsl_splice_root(struct nsl_ctx *ctx, nsl_error *error);

/* Whether a directory that refused a new entry with errnum (-errno) may be
 * spliced: when it is read-only (EROFS) or the sandbox user may not write it
 * (EACCES, EPERM), but for the root itself (nsl_splice_root's, up front). */
bool nsl_splice_allowed(const char *path, int errnum);

/* Records the new root's own mount (ctx->root_mnt_id): entries bound back
 * from it are made read-only at once, the seal would not reach them. */
int nsl_ctx_note_root(struct nsl_ctx *ctx, nsl_error *error);

#endif

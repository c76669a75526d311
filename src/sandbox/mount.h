/* Mount primitives on file descriptors (the new mount API). A mount attaches
 * to an fd that was resolved once, in the kernel, never to a path string. */
#ifndef NSL_MOUNT_H
#define NSL_MOUNT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "nslaunch.h"

struct nsl_fs_option {
        const char *key;
        const char *value;      /* NULL: a flag */
};

/* fsopen + fsconfig + fsmount: a detached mount of a new filesystem instance. */
int nsl_fs_new(const char *fstype, const struct nsl_fs_option *opts, size_t n_opts, uint64_t attrs,
               int *mount_fd, nsl_error *error);
/* The same with the source mountinfo shows (nsl_fs_new names it after fstype). */
int nsl_fs_new_named(const char *fstype, const char *source, const struct nsl_fs_option *opts, size_t n_opts,
                     uint64_t attrs, int *mount_fd, nsl_error *error);
enum {
        NSL_CLONE_RECURSIVE = 1 << 0,   /* with the submounts below path */
        NSL_CLONE_FOLLOW = 1 << 1,      /* follow a symlink in the last component */
};

/* open_tree(OPEN_TREE_CLONE): a detached copy of the mount tree at dirfd/path. */
int nsl_tree_clone(int dirfd, const char *path, unsigned flags, int *mount_fd, nsl_error *error);
/* mount_setattr on the mount that fd refers to. */
int nsl_mount_set(int mount_fd, uint64_t set, bool recursive, const char *object, nsl_error *error);
/* The same, and the mount (with recursive, its submounts) made private. */
/* Clears attributes of that one mount. */
int nsl_mount_unset(int mount_fd, uint64_t clear, const char *object, nsl_error *error);
int nsl_mount_set_private(int mount_fd, uint64_t set, bool recursive, const char *object, nsl_error *error);
/* A detached, read-only mount of one file holding content, on a tmpfs of
 * its own (which goes with the last mount of it). Older kernels let
 * open_tree clone only from a mount of the caller's namespace, never from
 * a detached one (6.18 does): the tmpfs covers scratch, a directory of the caller's
 * namespace (its fd, and its path to unmount it by), for the moment of the
 * clone. */
int nsl_file_new(const char *content, int scratch_fd, const char *scratch_path, const char *object, int *mount_fd,
                 nsl_error *error);
/* move_mount of a detached mount onto a target fd. */
int nsl_mount_attach(int mount_fd, int target_fd, const char *object, nsl_error *error);
/* Makes the directory name in dir_fd (a tmpfs of the sandbox's own, where
 * nothing else can have put a link) and attaches the mount there; object
 * names the tmpfs in an error. */
int nsl_mount_attach_in(int dir_fd, const char *name, int mount_fd, const char *object, nsl_error *error);
/* The same, but what ends up attached is a copy of the tree made now (the
 * first copy is detached again). Linux 6.8 and later list mountinfo in the
 * order mounts were made, and a bind's source is cloned before the root is
 * built: a fresh copy is listed where it is attached, in the order the
 * config gives. Needs the caller's /proc (before the pivot). */
int nsl_mount_attach_anew(int mount_fd, int target_fd, const char *object, nsl_error *error);

/* openat2 with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS (plus extra): symlinks
 * resolve inside root_fd and magic links are refused. Returns fd or -errno. */
int nsl_open_in_root(int root_fd, const char *path, int flags, uint64_t extra_resolve);

enum nsl_target_kind {
        NSL_TARGET_FILE,        /* a file (a symlink to one is followed, inside root) */
        NSL_TARGET_DIR,         /* a directory (likewise) */
        NSL_TARGET_ENTRY,       /* what is at path, a symlink itself: a file mount covers the name */
};

/* Opens PATH inside root as a mount target, creating it (directories for
 * every missing component, a directory or an empty file as the last one) where
 * the tree is writable. Returns an O_PATH fd or a negative errno with
 * *error naming the path. The last component is never created through a
 * symlink; a target on procfs or sysfs is refused. */
int nsl_open_mount_target(int root_fd, const char *path, enum nsl_target_kind kind, uint64_t extra_resolve,
                          char *blocked_at, size_t blocked_len, nsl_error *error);
/* When that fails with -EROFS, -EACCES or -EPERM, blocked_at holds the
 * existing directory in which a component could not be created. */

#endif

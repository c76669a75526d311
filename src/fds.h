#ifndef NSL_FDS_H
#define NSL_FDS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nslaunch.h"

struct nsl_mapping;

/* Closes every fd from 3 up except those in keep (sorted ascending), with
 * close_range. Returns 0 or -errno. */
int nsl_close_all_except(const int *keep, size_t n_keep);

/* Inserts fd into the sorted list v of *n fds (room for one more). */
void nsl_fd_list_insert(int *v, size_t *n, int fd);
/* Merges one more fd (the sync socket) into a sorted keep list, then closes
 * the rest as above. */
int nsl_close_all_except_plus(const int *keep, size_t n_keep, int extra);

/* Moves *fd above stdio (close-on-exec), closing the one below: where
 * stdio is replaced later (dup2), a fd of 0, 1 or 2 would be lost. 0, or
 * -errno with *fd as it was. */
int nsl_fd_above_stdio(int *fd);

/* Whether fd may be a command's 0, 1 or 2: 0; -EBADF when it is not open;
 * -EISDIR for a directory (or an O_PATH fd), which would reach, through
 * openat(2) relative to it, the host's files beneath it from inside the
 * sandbox's root. */
int nsl_fd_usable_as_stdio(int fd);
/* Whether fd's file is on a filesystem of that magic (linux/magic.h): a
 * procfs a path is expected to reach, not something made to look like one. */
bool nsl_fd_on_fs(int fd, long magic);

/* write(2) until done; 0 or -errno. */
int nsl_write_all(int fd, const void *data, size_t len);
/* How long a written file must last. A DURABLE one (a profile, a compiled
 * filter, an image's defaults, a bundle's config.json) is fsynced before it
 * is in place, so that a crash leaves the old file or the whole new one. A
 * RUNTIME one (an OCI runtime's state under /run, a pid file, the status
 * JSON its caller reads at once) needs only the rename's atomicity for its
 * readers: a crash ends what it describes, and an fsync cost a container's
 * create 2.7 ms on ext4. */
enum nsl_file_life { NSL_FILE_DURABLE, NSL_FILE_RUNTIME };

/* The one atomic file writer. nsl_write_new_file_at creates name in dirfd
 * (O_CREAT|O_EXCL|O_NOFOLLOW: never an existing file, never through a
 * symlink) with mode (less the umask), writes data (and fsyncs it if
 * DURABLE); on failure it removes it again. nsl_replace_file_at writes a
 * temporary ".NAME.RANDOM" beside path that way and renames it over path:
 * whatever was at path (a file, a planted symlink or FIFO) is replaced,
 * never followed or opened, and stays as it was on failure.
 * nsl_replace_file is that relative to the cwd, mode 0644. 0 or -errno;
 * nothing is left behind on failure. nsl_write_temporary_at is its first
 * half, for a writer that renames *tmp (malloc'd) over path later, or
 * unlinks it: the file then appears only when the rest is done. */
int nsl_write_new_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                          enum nsl_file_life life);
int nsl_replace_file_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                        enum nsl_file_life life);
int nsl_write_temporary_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                           enum nsl_file_life life, char **tmp);
int nsl_replace_file(const char *path, const void *data, size_t len, enum nsl_file_life life);

/* Reads a whole regular file of at most max bytes into a NUL-terminated
 * malloc'd buffer, opened O_NONBLOCK so that a FIFO never blocks the open.
 * 0, or -errno: -EINVAL when it is not a regular file,
 * -EFBIG when it is larger than max. */
int nsl_read_file(const char *path, size_t max, char **text, size_t *len);
/* The same for a file already open, read from its current offset. */
int nsl_read_fd(int fd, size_t max, char **text, size_t *len);
/* *m, an anonymous mapping of size bytes (its owner's to unmap): 0 or -errno. */
int nsl_map_anonymous(struct nsl_mapping *m, size_t size);
/* nsl_read_fd into a mapping made here (*m, its owner's to unmap): no
 * malloc, for the clone of a threaded caller. Any kind of file. */
int nsl_read_fd_mapped(int fd, size_t max, struct nsl_mapping *m, size_t *len);
/* Reads into buf until the end of the stream or size bytes: the count, or
 * -errno. */
ssize_t nsl_read_to_end(int fd, char *buf, size_t size);
/* A pipe's (or a FIFO's) whole stream, to its end, of at most max bytes, the
 * same way; -EFBIG when there is more. */
int nsl_read_stream(int fd, size_t max, char **text, size_t *len);
/* nsl_read_file, or nsl_read_stream where path is a pipe or a FIFO (a
 * shell's <(...), /dev/stdin). */
int nsl_read_file_or_pipe(const char *path, size_t max, char **text, size_t *len);
/* One read of the file at path (relative to dirfd; open flags added to
 * O_RDONLY | O_CLOEXEC) into buf, NUL-terminated: for a kernel file (procfs,
 * cgroupfs) made whole at the first read; what does not fit is left out.
 * The bytes read, or -errno. No allocation. */
ssize_t nsl_read_once(int dirfd, const char *path, int flags, char *buf, size_t size);

/* Calls fn for every entry of the directory dirfd but "." and "..", with
 * getdents64 itself: no allocation, so the child of a multithreaded caller
 * may use it (readdir allocates). Stops at the first negative return.
 * 0 or -errno. */
int nsl_dir_each(int dirfd, int (*fn)(const char *name, void *data, nsl_error *error), void *data, nsl_error *error);
/* The same with the caller's buffer for getdents64 (a walk that recurses
 * keeps it off the stack), of NSL_DIR_BUFFER_SIZE bytes as nsl_dir_each's. */
#define NSL_DIR_BUFFER_SIZE 8192
int nsl_dir_each_in(int dirfd, char *buf, size_t size, int (*fn)(const char *name, void *data, nsl_error *error),
                    void *data, nsl_error *error);

#endif

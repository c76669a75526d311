/* Ownership helpers: every fd and buffer has one owner, released on scope exit. */
#ifndef NSL_CLEANUP_H
#define NSL_CLEANUP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static inline void nsl_freep(void *p) { free(*(void **)p); }
static inline void nsl_closep(int *fd) { if (*fd >= 0) close(*fd); }
/* Closes a held fd and marks its slot empty (-1). */
static inline void nsl_close_slot(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}
static inline void nsl_closedirp(DIR **d) { if (*d) closedir(*d); }
static inline void nsl_fclosep(FILE **f) { if (*f) fclose(*f); }

/* An anonymous mapping: the buffer of a clone of a threaded caller, which
 * may not call malloc (docs/design.md). */
struct nsl_mapping {
        char *p;
        size_t size;
};
static inline void nsl_unmapp(struct nsl_mapping *m) { if (m->p) munmap(m->p, m->size); }

#define _cleanup_free_ __attribute__((cleanup(nsl_freep)))
#define _cleanup_close_ __attribute__((cleanup(nsl_closep)))
#define _cleanup_dir_ __attribute__((cleanup(nsl_closedirp)))
#define _cleanup_file_ __attribute__((cleanup(nsl_fclosep)))
#define _cleanup_mapping_ __attribute__((cleanup(nsl_unmapp)))

/* libarchive's reader, declared here so that this header does not need
 * <archive.h>: only code that uses the macro links libarchive. */
struct archive;
int archive_read_free(struct archive *);
static inline void nsl_archive_read_freep(struct archive **a) { if (*a) archive_read_free(*a); }
#define _cleanup_archive_ __attribute__((cleanup(nsl_archive_read_freep)))

static inline int nsl_take_fd(int *fd) { int r = *fd; *fd = -1; return r; }
#define TAKE_FD(fd) nsl_take_fd(&(fd))

static inline void *nsl_take_ptr(void **p) { void *r = *p; *p = NULL; return r; }
#define TAKE_PTR(p) nsl_take_ptr((void **)&(p))

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#endif

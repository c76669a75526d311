/* Ownership helpers: every fd and buffer has one owner, released on scope exit. */
#ifndef NSL_CLEANUP_H
#define NSL_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>

static inline void nsl_freep(void *p) { free(*(void **)p); }
static inline void nsl_closep(int *fd) { if (*fd >= 0) close(*fd); }

#define _cleanup_free_ __attribute__((cleanup(nsl_freep)))
#define _cleanup_close_ __attribute__((cleanup(nsl_closep)))

static inline int nsl_take_fd(int *fd) { int r = *fd; *fd = -1; return r; }
#define TAKE_FD(fd) nsl_take_fd(&(fd))

static inline void *nsl_take_ptr(void **p) { void *r = *p; *p = NULL; return r; }
#define TAKE_PTR(p) nsl_take_ptr((void **)&(p))

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#endif

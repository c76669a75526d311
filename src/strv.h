/* NULL-terminated string vectors with a count beside them. */
#ifndef NSL_STRV_H
#define NSL_STRV_H

#include <stddef.h>

/* Appends a copy of s; *v stays NULL-terminated. 0 or -ENOMEM. */
int nsl_strv_push(char ***v, size_t *n, const char *s);
void nsl_strv_free(char **v);
static inline void nsl_strv_freep(char ***v) { nsl_strv_free(*v); }
#define _cleanup_strv_ __attribute__((cleanup(nsl_strv_freep)))

#endif

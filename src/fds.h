#ifndef NSL_FDS_H
#define NSL_FDS_H

#include <stddef.h>

/* Closes every fd from 3 up except those in keep (sorted ascending), with
 * close_range. Returns 0 or -errno. */
int nsl_close_all_except(const int *keep, size_t n_keep);

#endif

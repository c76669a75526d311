/* Covering what lies at a path: masked (/dev/null over a file, an empty
 * read-only tmpfs over a directory) or made read-only. */
#ifndef NSL_PATHS_H
#define NSL_PATHS_H

#include "nslaunch.h"

/* target: an O_PATH fd of the file or directory; object names it in errors. */
int nsl_mask_at(int target, const char *object, nsl_error *error);
/* A recursive read-only bind of target's mount tree, attached over it. */
int nsl_read_only_at(int target, const char *object, nsl_error *error);

#endif

#ifndef NSL_ERROR_H
#define NSL_ERROR_H

#include "nslaunch.h"

/* Fills *error and returns -errnum (or -EINVAL when errnum is 0), so that a
 * failure is one line: return nsl_fail(error, errno, "mount", path, NULL).
 * With fmt NULL the cause is strerror(errnum). */
int nsl_fail(nsl_error *error, int errnum, const char *what, const char *object, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

#endif

#ifndef NSL_ERROR_H
#define NSL_ERROR_H

#include <stdbool.h>

#include "nslaunch.h"

/* Fills *error and returns -errnum (or -EINVAL when errnum is 0), so that a
 * failure is one line: return nsl_fail(error, errno, "mount", path, NULL).
 * With fmt NULL the cause is strerror(errnum). With a cause of its own, an
 * errnum that came from the system (errno, -r: any value not known at
 * compile time) gets ": strerror(errnum)" appended, unless the cause ends
 * with it already; a literal constant (EINVAL for a bad value, ENOTSUP...)
 * classifies a refusal that the cause explains in full, and gets nothing;
 * nor does a cause that names the error already (at its end or inside).
 * nsl_fail_errno(..., false, ...) is for a cause that says it another way. */
#define nsl_fail(error, errnum, ...) nsl_fail_errno(error, errnum, !__builtin_constant_p(errnum), __VA_ARGS__)
int nsl_fail_errno(nsl_error *error, int errnum, int append_errno, const char *what, const char *object,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The step of the launch that failed: set by the runners (the host's steps,
 * the child's stage tables), not by the code that fails. */
void nsl_error_set_stage(nsl_error *error, const char *stage);

#endif

#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int nsl_fail(nsl_error *error, int errnum, const char *what, const char *object, const char *fmt, ...)
{
        if (error) {
                error->errnum = errnum;
                error->exit_code = NSL_EXIT_LAUNCHER;
                snprintf(error->what, sizeof error->what, "%s", what ? what : "");
                snprintf(error->object, sizeof error->object, "%s", object ? object : "");
                if (fmt) {
                        va_list ap;
                        va_start(ap, fmt);
                        vsnprintf(error->cause, sizeof error->cause, fmt, ap);
                        va_end(ap);
                } else {
                        snprintf(error->cause, sizeof error->cause, "%s", strerror(errnum));
                }
        }
        return errnum > 0 ? -errnum : -EINVAL;
}

void nsl_error_format(const nsl_error *error, char *buf, size_t len)
{
        if (error->object[0])
                snprintf(buf, len, "nslaunch: %s: %s: %s", error->what, error->object, error->cause);
        else
                snprintf(buf, len, "nslaunch: %s: %s", error->what, error->cause);
}

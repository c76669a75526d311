#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Appends ": TEXT" to cause unless it says TEXT already (at its end, as
 * most do, or inside: "cannot create namespaces: TEXT (see README)"). */
static void append_text(char *cause, size_t size, const char *text)
{
        size_t len = strlen(cause);

        if (strstr(cause, text))
                return;
        snprintf(cause + len, size - len, ": %s", text);
}

int nsl_fail_errno(nsl_error *error, int errnum, int append_errno, const char *what, const char *object,
                   const char *fmt, ...)
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
                        if (append_errno && errnum > 0)
                                append_text(error->cause, sizeof error->cause, strerror(errnum));
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

void nsl_error_set_stage(nsl_error *error, const char *stage)
{
        snprintf(error->stage, sizeof error->stage, "%s", stage);
}

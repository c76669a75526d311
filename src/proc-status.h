/* /proc/PID/status, read with nsl_read_once (fds.h): a "Name:\tvalue"
 * line per field. */
#ifndef NSL_PROC_STATUS_H
#define NSL_PROC_STATUS_H

#include <stddef.h>

/* Field name's value ("Tgid" -> "1234\n..."): its line after the colon and
 * the blanks; NULL when there is no such line. */
const char *nsl_proc_status_field(const char *status, const char *name);

#endif

/* /proc/PID/status and /proc/PID/stat, read with nsl_read_once (fds.h). */
#ifndef NSL_PROC_STATUS_H
#define NSL_PROC_STATUS_H

#include <stddef.h>

/* Field name's value ("Tgid" -> "1234\n..."): its line after the colon and
 * the blanks; NULL when there is no such line. */
const char *nsl_proc_status_field(const char *status, const char *name);

/* Where field number field (3 or more: the state, then on) of a
 * /proc/PID/stat line starts; NULL when the line has fewer. Counted after
 * the command's name, which may hold anything up to its last ')'. */
const char *nsl_proc_stat_field(const char *stat, int field);

#endif

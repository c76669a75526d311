#ifndef NSL_RESULT_H
#define NSL_RESULT_H

#include "nslaunch.h"

/* to = from, with a copy of its denials of its own (to is overwritten, not
 * released). 0 or -ENOMEM, when to has no denials. */
int nsl_result_copy(const nsl_result *from, nsl_result *to);

/* Room for entry n of a result's table (seccomp's denials, egress'), whose
 * capacity doubles at 0, 1, 2, 4...: 0 or -ENOMEM. */
int nsl_result_table_room(void **table, size_t n, size_t entry_size);

#endif

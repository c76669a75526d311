#ifndef NSL_RESULT_H
#define NSL_RESULT_H

#include "nslaunch.h"

/* to = from, with a copy of its denials of its own (to is overwritten, not
 * released). 0 or -ENOMEM, when to has no denials. */
int nsl_result_copy(const nsl_result *from, nsl_result *to);

#endif

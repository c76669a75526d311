/* Learning a profile: the filter a learning run loads, built from the
 * built-in profile with everything allowed but its explicit refusals. */
#ifndef NSL_SECCOMP_LEARN_H
#define NSL_SECCOMP_LEARN_H

#include "compile.h"

int nsl_sc_learn_filter(struct nsl_sc_filter *filter, nsl_error *error);

#endif

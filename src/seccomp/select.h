#ifndef NSL_SECCOMP_SELECT_H
#define NSL_SECCOMP_SELECT_H

#include "../plan.h"

/* Sets plan->filter (and filter_owned, filter_flags) from the spec. */
int nsl_seccomp_select(const struct nsl_spec *spec, struct nsl_plan *plan, nsl_error *error);

#endif

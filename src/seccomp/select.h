#ifndef NSL_SECCOMP_SELECT_H
#define NSL_SECCOMP_SELECT_H

#include "../spec.h"
#include "filter.h"

/* The filter the spec asks for: built in, a profile (cached or compiled
 * now), a compiled file, or none; with the notifying copy for report and
 * learn. */
int nsl_sc_select(const struct nsl_spec *spec, struct nsl_sc_choice *choice, nsl_error *error);

#endif

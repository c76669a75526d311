/* Capability names to numbers: pure (libcap's name table, no syscalls), for
 * the spec, the seccomp compiler and the CLI alike. */
#ifndef NSL_CAPNAMES_H
#define NSL_CAPNAMES_H

#include "nslaunch.h"       /* int nsl_cap_number(const char *name) */

#endif

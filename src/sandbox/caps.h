#ifndef NSL_CAPS_H
#define NSL_CAPS_H

#include <stdint.h>

#include "nslaunch.h"

/* Clears every capability set (bounding, ambient, inheritable, permitted,
 * effective) but the bits in keep, which are raised in all of them so that
 * they survive execve for any uid. The bits of until_exec that are still
 * permitted stay permitted and effective, and only there: execve drops
 * them, for any uid, since neither the bounding set nor ambient holds them. */
int nsl_caps_drop(uint64_t keep, uint64_t until_exec, nsl_error *error);

/* Clears effective, permitted and inheritable (and with them ambient) in one
 * capset: for a process that will never exec, the bounding set is moot. */
int nsl_caps_clear(nsl_error *error);
/* Makes every permitted capability effective (after a change of uid with
 * PR_SET_KEEPCAPS, which keeps them permitted only). */
int nsl_caps_effective_all(nsl_error *error);

#endif

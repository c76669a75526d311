/* What the library's own front ends (the pool, nslaunch-runc's run) need of a sandbox handle
 * beyond the public API. */
#ifndef NSL_LAUNCH_H
#define NSL_LAUNCH_H

#include "nslaunch.h"

/* on_free(data) runs at the end of nsl_sandbox_free, once the sandbox's init
 * has been reaped and everything it held on the host is released. */
void nsl_sandbox_on_free(nsl_sandbox *sandbox, void (*on_free)(void *data), void *data);

/* Supervises a started sandbox until its command has exec'd (or it has
 * ended: nsl_sandbox_wait then tells how). */
void nsl_sandbox_wait_execed(nsl_sandbox *sandbox);

#endif

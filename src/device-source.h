/* Which of the host's device nodes a device bind clones (plan time, on the
 * host): the one --device names, or for a node an OCI config lists by
 * number, the host's node at the same path, else the kernel's name for that
 * number under /dev. The clone is checked again in the sandbox. */
#ifndef NSL_DEVICE_SOURCE_H
#define NSL_DEVICE_SOURCE_H

#include "error.h"
#include "parse/parse.h"

/* *resolved: m with its source (malloc'd, the caller's) and what its node
 * must be. */
int nsl_device_source(const struct nsl_mount *m, struct nsl_mount *resolved, nsl_error *error);

#endif

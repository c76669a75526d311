#ifndef NSL_SECCOMP_FILTER_H
#define NSL_SECCOMP_FILTER_H

#include <linux/filter.h>

#include "nslaunch.h"

/* Compiles the built-in filter for the native architecture into classic BPF.
 * *insns is malloc'd. */
int nsl_seccomp_builtin_filter(struct sock_filter **insns, unsigned short *len, nsl_error *error);

/* Attaches a compiled filter to the calling thread; no_new_privs must be set. */
int nsl_seccomp_load(const struct sock_filter *insns, unsigned short len, nsl_error *error);

#endif

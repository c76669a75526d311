#ifndef NSL_SECCOMP_FILTER_H
#define NSL_SECCOMP_FILTER_H

#include <linux/filter.h>

#include "nslaunch.h"

/* The built-in profile (profiles/plugin.json), compiled at build time by
 * gen-builtin for the architecture being built for. */
extern const struct sock_filter nsl_builtin_filter[];
extern const unsigned short nsl_builtin_filter_len;
extern const char nsl_builtin_profile_json[];

/* Attaches a compiled filter to the calling thread; no_new_privs must be set. */
int nsl_seccomp_load(const struct sock_filter *insns, unsigned short len, unsigned flags, nsl_error *error);

/* The same, with SECCOMP_FILTER_FLAG_NEW_LISTENER: returns the listener fd
 * (close-on-exec). */
int nsl_seccomp_load_listener(const struct sock_filter *insns, unsigned short len, unsigned flags, nsl_error *error);

#endif

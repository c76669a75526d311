/* The filter a sandbox loads when nslaunch reports or learns: the profile's
 * own program with its refusals (and, when learning, its allows too) turned
 * into SECCOMP_RET_USER_NOTIF, so that nslaunch's supervisor sees them and
 * answers as the profile would; plus the marker call of the listener
 * hand-off in front. */
#ifndef NSL_SECCOMP_NOTIFY_FILTER_H
#define NSL_SECCOMP_NOTIFY_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include "nslaunch.h"

/* A syscall number no kernel assigns (on x86_64 and aarch64 the tables end
 * near 470): the payload calls it once the filter is on, and blocks there
 * until nslaunch holds the listener. */
#define NSL_NOTIFY_MARKER 1023

int nsl_sc_notify_filter(const struct sock_filter *in, unsigned short len, uint32_t native_arch, bool learn,
                         struct sock_filter **out, unsigned short *out_len, nsl_error *error);

#endif

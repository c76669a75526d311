#ifndef NSL_SECCOMP_FILTER_H
#define NSL_SECCOMP_FILTER_H

#include <linux/filter.h>

#include "nslaunch.h"

#include <stdint.h>

/* Compiles the built-in filter for arch (an SCMP_ARCH_* value, or 0 for the
 * native one) into classic BPF with libseccomp. *insns is malloc'd. This runs
 * at build time: the result is compiled into the binary as the array below. */
int nsl_seccomp_builtin_compile(uint32_t arch, struct sock_filter **insns, unsigned short *len, nsl_error *error);

extern const struct sock_filter nsl_builtin_filter[];
extern const unsigned short nsl_builtin_filter_len;

/* Attaches a compiled filter to the calling thread; no_new_privs must be set. */
int nsl_seccomp_load(const struct sock_filter *insns, unsigned short len, nsl_error *error);

#endif

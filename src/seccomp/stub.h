/* The short program nslaunch puts in front of libseccomp's: for the filter's
 * own architecture it applies argument refusals layered over a syscall the
 * profile otherwise allows unconditionally (libseccomp drops conditional
 * rules once a syscall has an unconditional one), then answers ENOSYS for
 * syscalls newer than anything the profile names. Everything else falls
 * through to libseccomp's program. */
#ifndef NSL_SECCOMP_STUB_H
#define NSL_SECCOMP_STUB_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nslaunch.h"

struct nsl_stub_cond {
        unsigned index;
        bool narrow;            /* the kernel reads only the low 32 bits */
        uint64_t mask, value;   /* (arg & mask) == value */
};

struct nsl_stub_refusal {
        int nr;                 /* the syscall's number on the filter's architecture */
        uint32_t action;        /* SECCOMP_RET_* (libseccomp's values are the kernel's) */
        struct nsl_stub_cond conds[6];
        size_t n_conds;
};

/* max_nr < 0: no ENOSYS check. *insns is malloc'd; *len 0 when no stub is needed. */
int nsl_stub_build(uint32_t arch, const struct nsl_stub_refusal *refusals, size_t n, int max_nr,
                   struct sock_filter **insns, size_t *len);

#endif

/* The short program nslaunch puts in front of libseccomp's. For the filter's
 * own architecture it applies, in order: argument rules libseccomp cannot
 * express (a refusal of some values of a syscall the profile otherwise
 * allows outright, which libseccomp would drop; and, when compile.c inverts
 * a profile, its argument rules), then ranges of syscall numbers with one
 * answer (the holes of an inverted profile), then ENOSYS for syscalls newer
 * than anything the profile names. Everything else falls through to
 * libseccomp's program. The syscall number is loaded once and dispatched
 * with one comparison per distinct syscall the rules name. */
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

/* When every condition holds, the answer is action; otherwise the next rule
 * of the same syscall is tried, and after the last one libseccomp's program
 * decides. */
struct nsl_stub_rule {
        int nr;                 /* the syscall's number on the filter's architecture */
        uint32_t action;        /* SECCOMP_RET_* (libseccomp's values are the kernel's) */
        struct nsl_stub_cond conds[6];
        size_t n_conds;
};

struct nsl_stub_range {
        int first, last;        /* syscall numbers, inclusive */
        uint32_t action;
};

struct nsl_stub_plan {
        const struct nsl_stub_rule *rules;      /* tried in this order within a syscall */
        size_t n_rules;
        const struct nsl_stub_range *ranges;
        size_t n_ranges;
        int max_nr;                             /* < 0: no ENOSYS check */
};

/* *insns is malloc'd; *len 0 when no stub is needed. -E2BIG when the stub
 * would not fit (its jumps reach 255 instructions). */
int nsl_stub_build(uint32_t arch, const struct nsl_stub_plan *plan, struct sock_filter **insns, size_t *len);

#endif

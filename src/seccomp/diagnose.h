/* What a filter does to this machine's programs, found by running it (the
 * BPF interpreter of the reporting path) on made-up calls: checks before a
 * launch, and the hint after one that ended the way a refusal makes a
 * command end. */
#ifndef NSL_SECCOMP_DIAGNOSE_H
#define NSL_SECCOMP_DIAGNOSE_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

enum nsl_sc_verdict {
        NSL_SC_RUNS,            /* execve is allowed on this machine's architecture */
        NSL_SC_NO_EXECVE,       /* execve is refused: the command could never start */
        NSL_SC_OTHER_ARCH,      /* every call of this architecture is killed: made for another one */
};

/* Whether a filter lets a command start on this machine. */
enum nsl_sc_verdict nsl_sc_verdict(const struct sock_filter *insns, unsigned short len);

/* True when the filter refuses a call the dynamic loader and libc make
 * before main (a command then exits 127, often with nothing on stderr,
 * since writing the message is refused too). */
bool nsl_sc_refuses_start_up(const struct sock_filter *insns, unsigned short len);

/* True when the filter, on arch (SCMP_ARCH_*), lets socket(AF_VSOCK, ...)
 * through. */
bool nsl_sc_allows_vsock(const struct sock_filter *insns, unsigned short len, uint32_t arch);

#endif

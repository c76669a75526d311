/* Helpers shared by the seccomp program tests: a seccomp_data for a call,
 * and assertions on the action (and errno) a program gives it, run through
 * nslaunch's own interpreter (src/seccomp/bpf-run.c). Include after
 * <cmocka.h>. */
#ifndef NSL_TEST_SECCOMP_RUN_H
#define NSL_TEST_SECCOMP_RUN_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>

#include "seccomp/bpf-run.h"

/* Under user-mode emulation (tests/cross/run) qemu passes no seccomp(2)
 * through, so libseccomp finds API level 1 and refuses the actions these
 * tests compile (KILL_PROCESS, LOG, NOTIFY). The tests compile filters and
 * run them in nslaunch's interpreter, never load them: the runner names the
 * level of the kernels nslaunch supports in NSL_TEST_SECCOMP_API. A cmocka
 * group set-up. */
static inline int seccomp_api_from_env(void **state)
{
        (void)state;
        const char *level = getenv("NSL_TEST_SECCOMP_API");
        return level && seccomp_api_set((unsigned)strtoul(level, NULL, 10)) != 0 ? -1 : 0;
}

/* An architecture the filters are not built for: aarch64 on any other host,
 * x86_64 on aarch64. */
static inline uint32_t foreign_arch(void)
{
        return seccomp_arch_native() == SCMP_ARCH_AARCH64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_AARCH64;
}

static inline struct seccomp_data call_on(uint32_t arch, int nr, uint64_t arg0, uint64_t arg1)
{
        return (struct seccomp_data){ .nr = nr, .arch = arch, .args = { arg0, arg1 } };
}

static inline struct seccomp_data call(int nr, uint64_t arg0, uint64_t arg1)
{
        return call_on(seccomp_arch_native(), nr, arg0, arg1);
}

/* A program and its length, so that one can be passed as one argument. */
struct prog {
        const struct sock_filter *insns;
        size_t len;
};
#define PROG(insns, len) ((struct prog){ (insns), (len) })

static inline uint32_t run(struct prog p, struct seccomp_data d)
{
        assert_true(p.len > 0 && p.len <= BPF_MAXINSNS);
        return nsl_bpf_run(p.insns, (unsigned short)p.len, &d);
}

/* The action named in a failure message, with the errno of an ERRNO. */
#define expect_action(prog, data, want)                                                                                 \
        do {                                                                                                            \
                struct seccomp_data d_ = (data);                                                                        \
                uint32_t got_ = run((prog), d_), want_ = (want);                                                        \
                if (got_ != want_)                                                                                      \
                        fail_msg("arch 0x%x nr %d args 0x%llx 0x%llx: got 0x%08x, expected 0x%08x", d_.arch,            \
                                 d_.nr, (unsigned long long)d_.args[0], (unsigned long long)d_.args[1], got_,           \
                                 want_);                                                                                \
        } while (0)

#define expect_errno(prog, data, e) expect_action(prog, data, SECCOMP_RET_ERRNO | (uint32_t)(e))

#endif

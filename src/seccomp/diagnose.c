#include "diagnose.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/socket.h>

#include "bpf-run.h"

/* The program's whole answer (NSL_BPF_MALFORMED included) to the call. */
static uint32_t answer_to(const struct sock_filter *insns, unsigned short len, uint32_t arch, const char *name,
                          uint64_t arg0)
{
        int nr = seccomp_syscall_resolve_name_arch(arch, name);
        struct seccomp_data call = { .nr = nr, .arch = arch, .args = { arg0 } };

        if (nr < 0)
                return SECCOMP_RET_ALLOW;       /* not a call of this architecture */
        return nsl_bpf_run(insns, len, &call);
}

static uint32_t action_for(const struct sock_filter *insns, unsigned short len, uint32_t arch, const char *name,
                           uint64_t arg0)
{
        return answer_to(insns, len, arch, name, arg0) & SECCOMP_RET_ACTION_FULL;
}

static bool allowed(uint32_t action)
{
        return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG;
}

static bool kills(uint32_t action)
{
        return action == SECCOMP_RET_KILL_PROCESS || action == SECCOMP_RET_KILL_THREAD || action == SECCOMP_RET_TRAP;
}

enum nsl_sc_verdict nsl_sc_verdict(const struct sock_filter *insns, unsigned short len)
{
        uint32_t arch = seccomp_arch_native();
        uint32_t answer = answer_to(insns, len, arch, "execve", 0);
        uint32_t execve = answer & SECCOMP_RET_ACTION_FULL;

        /* a program the interpreter cannot run is the kernel's to refuse,
         * in the seccomp stage */
        if (allowed(execve) || answer == NSL_BPF_MALFORMED)
                return NSL_SC_RUNS;
        /* libseccomp's first check is the architecture's: another one's
         * filter kills every call here, execve, exit_group and getpid alike */
        if (kills(execve) && kills(action_for(insns, len, arch, "exit_group", 0)) &&
            kills(action_for(insns, len, arch, "getpid", 0)))
                return NSL_SC_OTHER_ARCH;
        return NSL_SC_NO_EXECVE;
}

bool nsl_sc_refuses_start_up(const struct sock_filter *insns, unsigned short len)
{
        /* what glibc's loader and libc's start make on every architecture
         * nslaunch runs on (a name the architecture lacks is skipped) */
        static const char *const start_up[] = {
                "execve", "brk", "mmap", "munmap", "mprotect", "openat", "open", "read", "pread64", "close",
                "newfstatat", "fstat", "arch_prctl", "set_tid_address", "access", "faccessat", "write", "writev",
                "exit_group",
        };
        uint32_t arch = seccomp_arch_native();

        for (size_t i = 0; i < sizeof start_up / sizeof start_up[0]; i++)
                if (!allowed(action_for(insns, len, arch, start_up[i], 0)))
                        return true;
        return false;
}

bool nsl_sc_allows_vsock(const struct sock_filter *insns, unsigned short len, uint32_t arch)
{
        return allowed(action_for(insns, len, arch, "socket", AF_VSOCK));
}

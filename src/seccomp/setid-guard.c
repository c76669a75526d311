#include "setid-guard.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH AUDIT_ARCH_RISCV64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define NATIVE_ARCH AUDIT_ARCH_S390X
#endif

#define X32_SYSCALL_BIT 0x40000000U

static const struct { long nr; unsigned mode_arg; } checked[] = {
#ifdef SYS_chmod
        { SYS_chmod, 1 },
#endif
#ifdef SYS_open
        { SYS_open, 2 },
#endif
#ifdef SYS_creat
        { SYS_creat, 1 },
#endif
#ifdef SYS_mknod
        { SYS_mknod, 1 },
#endif
        { SYS_fchmod, 1 }, { SYS_fchmodat, 2 }, { SYS_openat, 3 }, { SYS_mknodat, 2 },
        { 452 /* fchmodat2, the same number on every architecture */, 2 },
};

static uint32_t mode_word(unsigned arg)
{
        uint32_t offset = (uint32_t)offsetof(struct seccomp_data, args) + 8 * arg;
        return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? offset + 4 : offset;
}

int nsl_setid_guard(struct sock_filter out[NSL_SETID_GUARD_MAX])
{
#ifndef NATIVE_ARCH
        (void)out;
        return -ENOTSUP;
#else
        enum { N = sizeof checked / sizeof checked[0] };
        size_t n = 0;

        out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
        out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0);
        out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
        out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
        out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1);
        out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
#endif
        /* after the chain: ALLOW, ENOSYS, EPERM, then one check per syscall
         * (jumps only go forward) */
        size_t chain = n, after_chain = chain + N + 2;
        size_t allow = after_chain, enosys = allow + 1, eperm = enosys + 1, checks = eperm + 1;
        for (size_t i = 0; i < N; i++, n++)
                out[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)checked[i].nr,
                                                      (uint8_t)(checks + 4 * i - n - 1), 0);
        out[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, (uint8_t)(enosys - n - 1), 0);
        n++;
        out[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, (uint8_t)(eperm - n - 1), 0);
        n++;
        out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
        out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
        for (size_t i = 0; i < N; i++) {
                out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, mode_word(checked[i].mode_arg));
                out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, S_ISUID | S_ISGID, 0, 1);
                out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
                out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        }
        return (int)n;
#endif
}

/* The seccomp interpreter (src/seccomp/bpf-run.c) running real filters: the
 * built-in one generated at build time from profiles/plugin.json, and one
 * compiled from a small profile through the library's own path (parse, then
 * nsl_sc_compile, as select.c does). Each call's action and errno are what
 * the kernel would answer, so a wrong answer here is a wrong answer in a
 * reported run. */
#include <errno.h>
#include <linux/sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include "seccomp/compile.h"
#include "seccomp/filter.h"
#include "seccomp/profile.h"
#include "seccomp_run.h"

#define BUILTIN PROG(nsl_builtin_filter, nsl_builtin_filter_len)

static void builtin_allows_ordinary_calls(void **state)
{
        (void)state;
        expect_action(BUILTIN, call(__NR_read, 0, 0), SECCOMP_RET_ALLOW);
        expect_action(BUILTIN, call(__NR_write, 1, 0), SECCOMP_RET_ALLOW);
        expect_action(BUILTIN, call(__NR_exit_group, 0, 0), SECCOMP_RET_ALLOW);
        expect_action(BUILTIN, call(__NR_execve, 0, 0), SECCOMP_RET_ALLOW);
        expect_action(BUILTIN, call(__NR_getpid, 0, 0), SECCOMP_RET_ALLOW);
}

/* The profile's default is ERRNO(1); clone3 has its own ENOSYS so that libc
 * falls back to clone, whose flags seccomp can see. */
static void builtin_refuses_privileged_calls(void **state)
{
        (void)state;
        expect_errno(BUILTIN, call(__NR_mount, 0, 0), EPERM);
        expect_errno(BUILTIN, call(__NR_unshare, CLONE_NEWUSER, 0), EPERM);
        expect_errno(BUILTIN, call(__NR_ptrace, 0, 0), EPERM);
        expect_errno(BUILTIN, call(__NR_keyctl, 0, 0), EPERM);
        expect_errno(BUILTIN, call(__NR_setns, 3, 0), EPERM);
        expect_errno(BUILTIN, call(__NR_clone3, 0, 0), ENOSYS);
}

/* The largest native syscall number the built-in profile names, found with
 * libseccomp's own tables rather than with the compiler under test. */
static int largest_named(void)
{
        struct nsl_sc_profile p;
        nsl_error e = { 0 };
        int max = -1;

        assert_int_equal(nsl_sc_profile_parse(nsl_builtin_profile_json, strlen(nsl_builtin_profile_json), "plugin.json",
                                              &p, &e), 0);
        for (size_t i = 0; i < p.n_rules; i++)
                for (size_t j = 0; j < p.rules[i].n_names; j++) {
                        int nr = seccomp_syscall_resolve_name(p.rules[i].names[j]);
                        if (nr > max)
                                max = nr;
                }
        nsl_sc_profile_free(&p);
        return max;
}

/* A call newer than the profile is ENOSYS (so libc falls back), not the
 * default EPERM; a known call the profile leaves out gets the default. */
static void builtin_answers_enosys_above_the_largest_named(void **state)
{
        int max = largest_named();
        (void)state;
        assert_true(max > __NR_exit_group);
        assert_true(run(BUILTIN, call(max, 0, 0)) != (SECCOMP_RET_ERRNO | ENOSYS));
        expect_errno(BUILTIN, call(max + 1, 0, 0), ENOSYS);
        expect_errno(BUILTIN, call(1000, 0, 0), ENOSYS);
        expect_errno(BUILTIN, call(0x3fffffff, 0, 0), ENOSYS);
        assert_null(strstr(nsl_builtin_profile_json, "\"acct\""));
        expect_errno(BUILTIN, call(__NR_acct, 0, 0), EPERM);
}

static void builtin_kills_other_architectures(void **state)
{
        (void)state;
        expect_action(BUILTIN, call_on(foreign_arch(), __NR_read, 0, 0), SECCOMP_RET_KILL_PROCESS);
        expect_action(BUILTIN, call_on(foreign_arch(), __NR_exit_group, 0, 0), SECCOMP_RET_KILL_PROCESS);
#ifdef __x86_64__
        /* the i386 entry point, and x32 (x86_64's arch with bit 30 in nr) */
        expect_action(BUILTIN, call_on(SCMP_ARCH_X86, 3 /* read */, 0, 0), SECCOMP_RET_KILL_PROCESS);
        expect_action(BUILTIN, call(0x40000000 | __NR_read, 0, 0), SECCOMP_RET_KILL_PROCESS);
        expect_action(BUILTIN, call(0x40000000 | __NR_mount, 0, 0), SECCOMP_RET_KILL_PROCESS);
#endif
}

/* fork, pthread_create and posix_spawn use clone; a namespace flag in its
 * first argument is refused, any one of them, in either half of the word. */
static void builtin_clone_only_without_namespace_flags(void **state)
{
        static const uint64_t ns[] = { CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                       CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET };
        const uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                                CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
        (void)state;
        expect_action(BUILTIN, call(__NR_clone, 17 /* SIGCHLD */, 0), SECCOMP_RET_ALLOW);
        expect_action(BUILTIN, call(__NR_clone, thread, 0), SECCOMP_RET_ALLOW);
        expect_action(BUILTIN, call(__NR_clone, CLONE_VM | CLONE_VFORK | 17, 0), SECCOMP_RET_ALLOW);
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
                expect_errno(BUILTIN, call(__NR_clone, ns[i], 0), EPERM);
                expect_errno(BUILTIN, call(__NR_clone, ns[i] | 17, 0), EPERM);
                expect_errno(BUILTIN, call(__NR_clone, ns[i] | thread, 0), EPERM);
        }
        /* the 64-bit argument: a stray high bit is not a namespace flag */
        expect_action(BUILTIN, call(__NR_clone, (1ULL << 40) | 17, 0), SECCOMP_RET_ALLOW);
}

static const char profile_text[] =
        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 13, \"syscalls\": ["
        "{\"names\": [\"execve\", \"read\", \"write\", \"exit_group\", \"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"},"
        "{\"names\": [\"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 28},"
        "{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},"
        "{\"names\": [\"tkill\"], \"action\": \"SCMP_ACT_KILL\"},"
        "{\"names\": [\"uname\"], \"action\": \"SCMP_ACT_TRAP\"},"
        "{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_LOG\"},"
        "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", "
        "\"args\": [{\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}";

static void compile_profile(const char *text, struct nsl_sc_filter *filter)
{
        struct nsl_sc_profile p;
        struct nsl_sc_target t;
        nsl_error e = { 0 };

        assert_int_equal(nsl_sc_target_native(&t, &e), 0);
        t.strict = true;
        assert_int_equal(nsl_sc_profile_parse(text, strlen(text), "p.json", &p, &e), 0);
        if (nsl_sc_compile(&p, "p.json", &t, filter, &e) < 0)
                fail_msg("compile: %s", e.cause);
        nsl_sc_profile_free(&p);
}

static void compiled_profile_gives_its_actions(void **state)
{
        struct nsl_sc_filter f = { 0 };
        int max = __NR_read;
        (void)state;
        compile_profile(profile_text, &f);
        expect_action(PROG(f.insns, f.len), call(__NR_read, 0, 0), SECCOMP_RET_ALLOW);
        expect_action(PROG(f.insns, f.len), call(__NR_exit_group, 0, 0), SECCOMP_RET_ALLOW);
        expect_errno(PROG(f.insns, f.len), call(__NR_mkdirat, 0, 0), 28);
        expect_action(PROG(f.insns, f.len), call(__NR_kill, 1, 9), SECCOMP_RET_KILL_PROCESS);
        expect_action(PROG(f.insns, f.len), call(__NR_tkill, 1, 9), SECCOMP_RET_KILL_THREAD);
        expect_action(PROG(f.insns, f.len), call(__NR_uname, 0, 0), SECCOMP_RET_TRAP);
        expect_action(PROG(f.insns, f.len), call(__NR_getppid, 0, 0), SECCOMP_RET_LOG);
        expect_action(PROG(f.insns, f.len), call(__NR_personality, 0, 0), SECCOMP_RET_ALLOW);
        expect_errno(PROG(f.insns, f.len), call(__NR_personality, 8, 0), 13);
        expect_errno(PROG(f.insns, f.len), call(__NR_mount, 0, 0), 13);
        expect_errno(PROG(f.insns, f.len), call(__NR_ptrace, 0, 0), 13);
        /* above the largest number it names: ENOSYS from the stub */
        static const int named[] = { __NR_execve, __NR_read, __NR_write, __NR_exit_group, __NR_getpid, __NR_mkdirat,
                                     __NR_kill, __NR_tkill, __NR_uname, __NR_getppid, __NR_personality };
        for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
                max = named[i] > max ? named[i] : max;
        expect_errno(PROG(f.insns, f.len), call(max + 1, 0, 0), ENOSYS);
        expect_action(PROG(f.insns, f.len), call_on(foreign_arch(), __NR_read, 0, 0), SECCOMP_RET_KILL_PROCESS);
        free(f.insns);
}

/* The interpreter's own instructions: scratch memory, X, arithmetic, RET A,
 * and a malformed program (which the kernel would have refused) kills. */
static void interpreter_arithmetic_and_malformed_programs(void **state)
{
        const struct sock_filter sum[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_STMT(BPF_ST, 3),
                BPF_STMT(BPF_LDX | BPF_W | BPF_MEM, 3),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
                BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
                BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 1),
                BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
                BPF_STMT(BPF_RET | BPF_A, 0),
        };
        const struct sock_filter off_end[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0) };
        const struct sock_filter misaligned[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
                                                  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        const struct sock_filter beyond[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, sizeof(struct seccomp_data)),
                                              BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        const struct sock_filter div0[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
                                            BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
                                            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        (void)state;
        /* (nr + args[1]) << 1 */
        expect_errno(PROG(sum, 8), call(5, 0, 7), 24);
        /* a kill, told apart from a filter's own by its data bits */
        expect_action(PROG(off_end, 1), call(0, 0, 0), NSL_BPF_MALFORMED);
        expect_action(PROG(misaligned, 2), call(0, 0, 0), NSL_BPF_MALFORMED);
        expect_action(PROG(beyond, 2), call(0, 0, 0), NSL_BPF_MALFORMED);
        expect_action(PROG(div0, 3), call(0, 0, 0), NSL_BPF_MALFORMED);
        assert_int_equal(NSL_BPF_MALFORMED & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_KILL_PROCESS);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(builtin_allows_ordinary_calls),
                cmocka_unit_test(builtin_refuses_privileged_calls),
                cmocka_unit_test(builtin_answers_enosys_above_the_largest_named),
                cmocka_unit_test(builtin_kills_other_architectures),
                cmocka_unit_test(builtin_clone_only_without_namespace_flags),
                cmocka_unit_test(compiled_profile_gives_its_actions),
                cmocka_unit_test(interpreter_arithmetic_and_malformed_programs),
        };
        return cmocka_run_group_tests(tests, seccomp_api_from_env, NULL);
}

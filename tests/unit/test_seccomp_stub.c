/* nslaunch's own BPF in front of libseccomp's program (src/seccomp/stub.c),
 * run through bpf-run with a recognisable program behind it: argument
 * refusals must catch exactly the values they name (both halves of a 64-bit
 * argument, only the low half of a 32-bit one), calls above the largest
 * number the profile names get ENOSYS, and everything else must fall
 * through to the program behind. */
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

#include "seccomp/filter.h"
#include "seccomp/stub.h"
#include "seccomp_run.h"

/* What the program behind the stub answers: seeing it means "fell through". */
#define MAIN (SECCOMP_RET_ERRNO | 99)

static int build_stub(uint32_t arch, const struct nsl_stub_rule *rules, size_t n, int max_nr,
                      struct sock_filter **stub, size_t *len)
{
        const struct nsl_stub_plan plan = { .rules = rules, .n_rules = n, .max_nr = max_nr };
        return nsl_stub_build(arch, &plan, stub, len);
}

static struct prog stubbed_plan(uint32_t arch, const struct nsl_stub_plan *plan)
{
        struct sock_filter *stub = NULL, *f;
        size_t len = 0;

        assert_int_equal(nsl_stub_build(arch, plan, &stub, &len), 0);
        assert_non_null(stub);
        f = realloc(stub, (len + 1) * sizeof *f);
        assert_non_null(f);
        f[len] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, MAIN);
        return PROG(f, len + 1);
}

static struct prog stubbed(uint32_t arch, const struct nsl_stub_rule *rules, size_t n, int max_nr)
{
        const struct nsl_stub_plan plan = { .rules = rules, .n_rules = n, .max_nr = max_nr };
        return stubbed_plan(arch, &plan);
}

static struct seccomp_data with_arg(struct seccomp_data d, unsigned index, uint64_t value)
{
        d.args[index] = value;
        return d;
}

static void nothing_to_do_is_no_program(void **state)
{
        struct sock_filter *stub = (struct sock_filter *)1;
        size_t len = 1;
        (void)state;
        assert_int_equal(build_stub(seccomp_arch_native(), NULL, 0, -1, &stub, &len), 0);
        assert_null(stub);
        assert_int_equal(len, 0);
}

static void enosys_above_the_largest_number(void **state)
{
        struct prog p = stubbed(seccomp_arch_native(), NULL, 0, 300);
        (void)state;
        expect_errno(p, call(301, 0, 0), ENOSYS);
        expect_errno(p, call(1000, 0, 0), ENOSYS);
        expect_errno(p, call(0x3fffffff, 0, 0), ENOSYS);
        expect_action(p, call(300, 0, 0), MAIN);
        expect_action(p, call(0, 0, 0), MAIN);
        /* another architecture's numbers are not ours to judge */
        expect_action(p, call_on(foreign_arch(), 1000, 0, 0), MAIN);
        free((void *)p.insns);
#ifdef __x86_64__
        /* x32 shares x86_64's arch value; its numbers carry bit 30 and are
         * left to libseccomp (which kills them) */
        p = stubbed(SCMP_ARCH_X86_64, NULL, 0, 300);
        expect_action(p, call_on(SCMP_ARCH_X86_64, 0x40000000 | 1, 0, 0), MAIN);
        expect_errno(p, call_on(SCMP_ARCH_X86_64, 0x3fffffff, 0, 0), ENOSYS);
        free((void *)p.insns);
#endif
}

static void wide_argument_compares_both_halves(void **state)
{
        const struct nsl_stub_rule r = {
                .nr = 50, .action = SECCOMP_RET_ERRNO | EACCES, .n_conds = 1,
                .conds = { { .index = 2, .mask = UINT64_MAX, .value = 0x100000005ULL } },
        };
        struct prog p = stubbed(seccomp_arch_native(), &r, 1, -1);
        (void)state;
        expect_errno(p, with_arg(call(50, 0, 0), 2, 0x100000005ULL), EACCES);
        expect_action(p, with_arg(call(50, 0, 0), 2, 5), MAIN);
        expect_action(p, with_arg(call(50, 0, 0), 2, 0x100000006ULL), MAIN);
        expect_action(p, with_arg(call(50, 0x100000005ULL, 0x100000005ULL), 2, 0), MAIN);
        expect_action(p, with_arg(call(51, 0, 0), 2, 0x100000005ULL), MAIN);
        expect_action(p, with_arg(call_on(foreign_arch(), 50, 0, 0), 2, 0x100000005ULL), MAIN);
        free((void *)p.insns);
}

/* ioctl's request is an int to the kernel: high bits set by the caller
 * must not slip past the refusal. */
static void narrow_argument_ignores_the_high_half(void **state)
{
        const struct nsl_stub_rule r = {
                .nr = __NR_ioctl, .action = SECCOMP_RET_ERRNO | EPERM, .n_conds = 1,
                .conds = { { .index = 1, .narrow = true, .mask = 0xffffffffULL, .value = 0x5412 } },
        };
        struct prog p = stubbed(seccomp_arch_native(), &r, 1, -1);
        (void)state;
        expect_errno(p, call(__NR_ioctl, 0, 0x5412), EPERM);
        expect_errno(p, call(__NR_ioctl, 7, 0xdead00005412ULL), EPERM);
        expect_action(p, call(__NR_ioctl, 0, 0x5413), MAIN);
        free((void *)p.insns);
}

static void masked_value_and_every_condition(void **state)
{
        const struct nsl_stub_rule r[] = {
                { .nr = 56, .action = SECCOMP_RET_KILL_PROCESS, .n_conds = 1,
                  .conds = { { .index = 0, .mask = CLONE_NEWUSER, .value = CLONE_NEWUSER } } },
                { .nr = 60, .action = SECCOMP_RET_TRAP, .n_conds = 2,
                  .conds = { { .index = 0, .mask = UINT64_MAX, .value = 1 },
                             { .index = 1, .mask = UINT64_MAX, .value = 2 } } },
        };
        struct prog p = stubbed(seccomp_arch_native(), r, 2, -1);
        (void)state;
        expect_action(p, call(56, CLONE_NEWUSER | 17, 0), SECCOMP_RET_KILL_PROCESS);
        expect_action(p, call(56, CLONE_NEWUSER, 0), SECCOMP_RET_KILL_PROCESS);
        expect_action(p, call(56, CLONE_NEWNS | 17, 0), MAIN);
        expect_action(p, call(60, 1, 2), SECCOMP_RET_TRAP);
        expect_action(p, call(60, 1, 3), MAIN);
        expect_action(p, call(60, 0, 2), MAIN);
        free((void *)p.insns);
}

/* Several refusals, two of them alternatives for one syscall, before the
 * ENOSYS check: each is reached when the ones before it do not match, and a
 * refused syscall whose arguments do not match is not ENOSYS. */
static void refusals_in_turn_then_enosys(void **state)
{
        const struct nsl_stub_rule r[] = {
                { .nr = 16, .action = SECCOMP_RET_ERRNO | 1, .n_conds = 1,
                  .conds = { { .index = 1, .narrow = true, .mask = 0xffffffff, .value = 0x5412 } } },
                { .nr = 16, .action = SECCOMP_RET_ERRNO | 2, .n_conds = 1,
                  .conds = { { .index = 1, .narrow = true, .mask = 0xffffffff, .value = 0x541c } } },
                { .nr = 135, .action = SECCOMP_RET_ERRNO | 3, .n_conds = 1,
                  .conds = { { .index = 0, .mask = UINT64_MAX, .value = 8 } } },
        };
        struct prog p = stubbed(seccomp_arch_native(), r, 3, 200);
        (void)state;
        expect_errno(p, call(16, 0, 0x5412), 1);
        expect_errno(p, call(16, 0, 0x541c), 2);
        expect_action(p, call(16, 0, 0x5401), MAIN);
        expect_errno(p, call(135, 8, 0), 3);
        expect_action(p, call(135, 0, 0), MAIN);
        expect_errno(p, call(201, 8, 0x5412), ENOSYS);
        free((void *)p.insns);
}

/* On a big-endian architecture the low half of an argument is the second
 * word. Laid out here the way such a kernel fills seccomp_data. */
static struct seccomp_data big_endian_call(uint32_t arch, int nr, unsigned index, uint64_t value)
{
        struct seccomp_data d = { .nr = nr, .arch = arch };
        uint32_t words[2] = { (uint32_t)(value >> 32), (uint32_t)value };
        memcpy(&d.args[index], words, sizeof words);
        return d;
}

static void big_endian_argument_words(void **state)
{
        const struct nsl_stub_rule r[] = {
                { .nr = 54, .action = SECCOMP_RET_ERRNO | 1, .n_conds = 1,
                  .conds = { { .index = 1, .narrow = true, .mask = 0xffffffff, .value = 0x5412 } } },
                { .nr = 55, .action = SECCOMP_RET_ERRNO | 2, .n_conds = 1,
                  .conds = { { .index = 0, .mask = UINT64_MAX, .value = 0x100000005ULL } } },
        };
        struct prog p = stubbed(SCMP_ARCH_S390X, r, 2, -1);
        (void)state;
        expect_errno(p, big_endian_call(SCMP_ARCH_S390X, 54, 1, 0x5412), 1);
        expect_errno(p, big_endian_call(SCMP_ARCH_S390X, 54, 1, 0xff00005412ULL), 1);
        expect_action(p, big_endian_call(SCMP_ARCH_S390X, 54, 1, 0x541200000000ULL), MAIN);
        expect_errno(p, big_endian_call(SCMP_ARCH_S390X, 55, 0, 0x100000005ULL), 2);
        expect_action(p, big_endian_call(SCMP_ARCH_S390X, 55, 0, 0x500000001ULL), MAIN);
        free((void *)p.insns);
}

/* Either a correct program or -E2BIG, never a program whose jumps were cut
 * short: check every refusal of each one that is built. */
static void many_refusals_work_or_are_e2big(void **state)
{
        struct nsl_stub_rule r[64];
        struct sock_filter *stub = NULL;
        size_t len = 0;
        (void)state;
        for (int i = 0; i < 64; i++)
                r[i] = (struct nsl_stub_rule){ .nr = i, .action = SECCOMP_RET_ERRNO | 1, .n_conds = 1,
                                                  .conds = { { .index = 0, .mask = UINT64_MAX, .value = 1 } } };
        for (size_t n = 10; n <= 64; n += 9) {
                int ret = build_stub(seccomp_arch_native(), r, n, 100, &stub, &len);
                if (ret == -E2BIG) {    /* a jump would reach past 255 instructions */
                        assert_null(stub);
                        assert_int_equal(len, 0);
                        assert_true(n > 40);
                        continue;
                }
                assert_int_equal(ret, 0);
                free(stub);
                struct prog p = stubbed(seccomp_arch_native(), r, n, 100);
                for (int nr = 0; nr < (int)n; nr++) {
                        expect_errno(p, call(nr, 1, 0), 1);
                        expect_action(p, call(nr, 0, 0), MAIN);
                }
                expect_errno(p, call(101, 1, 0), ENOSYS);
                expect_action(p, call_on(foreign_arch(), 101, 1, 0), MAIN);
                free((void *)p.insns);
        }
}

/* An inverted profile's argument rules: a refusal is tried before the
 * allowances of the same syscall, an allowance answers ALLOW, and a call that
 * matches none goes on to the program behind (which refuses it there). */
static void allowances_after_refusals_then_through(void **state)
{
        const struct nsl_stub_rule r[] = {
                { .nr = 41, .action = SECCOMP_RET_ERRNO | 97, .n_conds = 1,
                  .conds = { { .index = 0, .narrow = true, .mask = UINT64_MAX, .value = 40 } } },
                { .nr = 41, .action = SECCOMP_RET_ALLOW, .n_conds = 1,
                  .conds = { { .index = 0, .mask = UINT64_MAX, .value = 2 } } },
                { .nr = 53, .action = SECCOMP_RET_ALLOW, .n_conds = 1,
                  .conds = { { .index = 0, .mask = UINT64_MAX, .value = 1 } } },
                { .nr = 41, .action = SECCOMP_RET_ALLOW, .n_conds = 2,
                  .conds = { { .index = 0, .mask = UINT64_MAX, .value = 16 },
                             { .index = 2, .mask = UINT64_MAX, .value = 0 } } },
        };
        struct prog p = stubbed(seccomp_arch_native(), r, 4, 300);
        (void)state;
        expect_errno(p, call(41, 40, 0), 97);
        expect_errno(p, call(41, 0x100000028ULL, 0), 97);          /* narrow: the high half is ignored */
        expect_action(p, call(41, 2, 0), SECCOMP_RET_ALLOW);
        expect_action(p, call(41, 0x100000002ULL, 0), MAIN);       /* an allowance compares both halves */
        expect_action(p, with_arg(call(41, 16, 0), 2, 0), SECCOMP_RET_ALLOW);
        expect_action(p, with_arg(call(41, 16, 0), 2, 9), MAIN);
        expect_action(p, call(41, 17, 0), MAIN);
        expect_action(p, call(53, 1, 0), SECCOMP_RET_ALLOW);
        expect_action(p, call(53, 2, 0), MAIN);
        expect_action(p, call(52, 1, 0), MAIN);
        expect_errno(p, call(301, 2, 0), ENOSYS);
        expect_action(p, call_on(foreign_arch(), 41, 2, 0), MAIN);
        free((void *)p.insns);
}

/* Numbers no syscall has, answered in ranges before the ENOSYS check. */
static void ranges_are_inclusive(void **state)
{
        const struct nsl_stub_range ranges[] = { { 10, 12, SECCOMP_RET_ERRNO | 1 }, { 20, 20, SECCOMP_RET_ERRNO | 2 } };
        const struct nsl_stub_plan plan = { .ranges = ranges, .n_ranges = 2, .max_nr = 30 };
        struct prog p = stubbed_plan(seccomp_arch_native(), &plan);
        (void)state;
        expect_action(p, call(9, 0, 0), MAIN);
        for (int nr = 10; nr <= 12; nr++)
                expect_errno(p, call(nr, 0, 0), 1);
        expect_action(p, call(13, 0, 0), MAIN);
        expect_action(p, call(19, 0, 0), MAIN);
        expect_errno(p, call(20, 0, 0), 2);
        expect_action(p, call(21, 0, 0), MAIN);
        expect_action(p, call(30, 0, 0), MAIN);
        expect_errno(p, call(31, 0, 0), ENOSYS);
        expect_action(p, call_on(foreign_arch(), 11, 0, 0), MAIN);
        free((void *)p.insns);
}

/* The built-in filter's own stub: TIOCSTI and TIOCLINUX are refused
 * although ioctl is otherwise allowed outright. */
static void builtin_refuses_tiocsti_whatever_the_high_bits(void **state)
{
        struct prog b = PROG(nsl_builtin_filter, nsl_builtin_filter_len);
        (void)state;
        expect_action(b, call(__NR_ioctl, 0, 0x5401 /* TCGETS */), SECCOMP_RET_ALLOW);
        expect_errno(b, call(__NR_ioctl, 0, 0x5412 /* TIOCSTI */), EPERM);
        expect_errno(b, call(__NR_ioctl, 0, 0x100005412ULL), EPERM);
        expect_errno(b, call(__NR_ioctl, 0, 0x541c /* TIOCLINUX */), EPERM);
        expect_errno(b, call(__NR_ioctl, 0, 0xffffffff0000541cULL), EPERM);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(nothing_to_do_is_no_program),
                cmocka_unit_test(enosys_above_the_largest_number),
                cmocka_unit_test(wide_argument_compares_both_halves),
                cmocka_unit_test(narrow_argument_ignores_the_high_half),
                cmocka_unit_test(masked_value_and_every_condition),
                cmocka_unit_test(refusals_in_turn_then_enosys),
                cmocka_unit_test(big_endian_argument_words),
                cmocka_unit_test(many_refusals_work_or_are_e2big),
                cmocka_unit_test(allowances_after_refusals_then_through),
                cmocka_unit_test(ranges_are_inclusive),
                cmocka_unit_test(builtin_refuses_tiocsti_whatever_the_high_bits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

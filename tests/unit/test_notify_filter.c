/* The filter a reported or learning run loads (src/seccomp/notify-filter.c):
 * run through bpf-run beside the original, every call the original refuses
 * must now reach the supervisor (USER_NOTIF), every call it allows must
 * still be allowed (or, when learning, be notified too), and the hand-off's
 * marker call must always notify. */
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
#include "seccomp/notify-filter.h"
#include "seccomp_run.h"

#define BUILTIN PROG(nsl_builtin_filter, nsl_builtin_filter_len)
#define NOTIF SECCOMP_RET_USER_NOTIF

static struct prog rewrite(struct prog in, bool learn)
{
        struct sock_filter *out = NULL;
        unsigned short out_len = 0;
        nsl_error e = { 0 };

        if (nsl_sc_notify_filter(in.insns, (unsigned short)in.len, seccomp_arch_native(), learn, &out, &out_len, &e) < 0)
                fail_msg("nsl_sc_notify_filter: %s", e.cause);
        assert_int_equal(out_len, in.len + 5);
        return PROG(out, out_len);
}

static bool refusing(uint32_t action)
{
        switch (action & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_ERRNO: case SECCOMP_RET_KILL_PROCESS: case SECCOMP_RET_KILL_THREAD: case SECCOMP_RET_TRAP:
                return true;
        }
        return false;
}

/* Every syscall number up to past the largest any kernel assigns, on the
 * native architecture, and a few on others. */
static void compare_builtin(bool learn, int *n_allowed, int *n_refused)
{
        struct prog notify = rewrite(BUILTIN, learn);
        const uint32_t arches[] = { seccomp_arch_native(), foreign_arch(), SCMP_ARCH_X86 };

        *n_allowed = *n_refused = 0;
        for (size_t a = 0; a < sizeof arches / sizeof arches[0]; a++)
                for (int nr = 0; nr < 1100; nr++) {
                        if (nr == NSL_NOTIFY_MARKER)
                                continue;
                        struct seccomp_data d = call_on(arches[a], nr, 0, 0);
                        uint32_t before = run(BUILTIN, d);
                        if (before == SECCOMP_RET_ALLOW) {
                                ++*n_allowed;
                                expect_action(notify, d, learn ? NOTIF : SECCOMP_RET_ALLOW);
                        } else {
                                assert_true(refusing(before));
                                ++*n_refused;
                                expect_action(notify, d, NOTIF);
                        }
                }
        free((void *)notify.insns);
}

static void report_notifies_refusals_and_keeps_allows(void **state)
{
        int allowed, refused;
        (void)state;
        compare_builtin(false, &allowed, &refused);
        /* both kinds were really seen */
        assert_true(allowed > 100);
        assert_true(refused > 1000);

        /* the calls the built-in filter decides by argument */
        struct prog notify = rewrite(BUILTIN, false);
        expect_action(notify, call(__NR_clone, 17, 0), SECCOMP_RET_ALLOW);
        expect_action(notify, call(__NR_clone, CLONE_NEWUSER | 17, 0), NOTIF);
        expect_action(notify, call(__NR_ioctl, 0, 0x5401 /* TCGETS */), SECCOMP_RET_ALLOW);
        expect_action(notify, call(__NR_ioctl, 0, 0x5412 /* TIOCSTI */), NOTIF);
        free((void *)notify.insns);
}

static void learning_notifies_allows_too(void **state)
{
        int allowed, refused;
        (void)state;
        compare_builtin(true, &allowed, &refused);
        assert_true(allowed > 100);
        assert_true(refused > 1000);
}

/* One syscall number per action, in a program of our own. */
static const uint32_t actions[] = {
        SECCOMP_RET_ALLOW, SECCOMP_RET_LOG, SECCOMP_RET_ERRNO | EPERM, SECCOMP_RET_ERRNO | ENOSYS,
        SECCOMP_RET_KILL_THREAD, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_TRAP | 7, SECCOMP_RET_TRACE | 3,
};
#define N_ACTIONS (sizeof actions / sizeof actions[0])

static struct prog action_table(struct sock_filter *f)
{
        size_t n = 0;
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
        for (size_t i = 0; i < N_ACTIONS; i++) {
                f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)i, 0, 1);
                f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, actions[i]);
        }
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        return PROG(f, n);
}

static void every_action_kind(void **state)
{
        struct sock_filter f[2 + 2 * N_ACTIONS];
        struct prog table = action_table(f);
        struct prog report = rewrite(table, false), learn = rewrite(table, true);
        (void)state;
        for (int nr = 0; nr < (int)N_ACTIONS; nr++) {
                uint32_t a = actions[nr];
                expect_action(table, call(nr, 0, 0), a);
                expect_action(report, call(nr, 0, 0), refusing(a) ? NOTIF : a);
                bool allows = a == SECCOMP_RET_ALLOW || a == SECCOMP_RET_LOG;
                expect_action(learn, call(nr, 0, 0), refusing(a) || allows ? NOTIF : a);
        }
        /* TRACE is neither a refusal nor an allow: left alone */
        expect_action(learn, call(7, 0, 0), SECCOMP_RET_TRACE | 3);
        free((void *)report.insns);
        free((void *)learn.insns);
}

static void marker_always_notifies(void **state)
{
        const struct sock_filter allow_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct prog builtin_report = rewrite(BUILTIN, false), builtin_learn = rewrite(BUILTIN, true);
        struct prog allow_report = rewrite(PROG(allow_all, 1), false);
        (void)state;
        /* the built-in filter alone answers ENOSYS (above its largest) */
        expect_errno(BUILTIN, call(NSL_NOTIFY_MARKER, 0, 0), ENOSYS);
        expect_action(builtin_report, call(NSL_NOTIFY_MARKER, 0, 0), NOTIF);
        expect_action(builtin_learn, call(NSL_NOTIFY_MARKER, 0, 0), NOTIF);
        /* a filter that allows everything: only the marker notifies, and
         * only on the native architecture */
        expect_action(allow_report, call(NSL_NOTIFY_MARKER, 0, 0), NOTIF);
        expect_action(allow_report, call(NSL_NOTIFY_MARKER - 1, 0, 0), SECCOMP_RET_ALLOW);
        expect_action(allow_report, call(NSL_NOTIFY_MARKER + 1, 0, 0), SECCOMP_RET_ALLOW);
        expect_action(allow_report, call_on(foreign_arch(), NSL_NOTIFY_MARKER, 0, 0), SECCOMP_RET_ALLOW);
        free((void *)builtin_report.insns);
        free((void *)builtin_learn.insns);
        free((void *)allow_report.insns);
}

static void refuses_what_it_cannot_rewrite(void **state)
{
        const struct sock_filter ret_a[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_A, 0) };
        const struct sock_filter notifies[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF) };
        struct sock_filter *big = calloc(BPF_MAXINSNS, sizeof *big), *out = NULL;
        unsigned short out_len = 0;
        nsl_error e = { 0 };
        (void)state;
        assert_non_null(big);
        assert_int_equal(nsl_sc_notify_filter(ret_a, 2, seccomp_arch_native(), false, &out, &out_len, &e), -EINVAL);
        assert_non_null(strstr(e.cause, "computes its actions"));
        assert_int_equal(nsl_sc_notify_filter(notifies, 1, seccomp_arch_native(), false, &out, &out_len, &e), -EINVAL);
        assert_non_null(strstr(e.cause, "already notifies"));
        for (size_t i = 0; i < BPF_MAXINSNS; i++)
                big[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        assert_int_equal(nsl_sc_notify_filter(big, BPF_MAXINSNS - 4, seccomp_arch_native(), false, &out, &out_len, &e),
                         -E2BIG);
        assert_null(out);
        /* the largest that still fits */
        assert_int_equal(nsl_sc_notify_filter(big, BPF_MAXINSNS - 5, seccomp_arch_native(), false, &out, &out_len, &e), 0);
        assert_int_equal(out_len, BPF_MAXINSNS);
        free(out);
        free(big);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(report_notifies_refusals_and_keeps_allows),
                cmocka_unit_test(learning_notifies_allows_too),
                cmocka_unit_test(every_action_kind),
                cmocka_unit_test(marker_always_notifies),
                cmocka_unit_test(refuses_what_it_cannot_rewrite),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The profile parser and compiler on good and bad input: each bad input is
 * one clear error naming where it is. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "seccomp/compile.h"
#include "seccomp/profile.h"
#include "seccomp_run.h"

static void expect_error_len(const char *text, size_t len, const char *cause_part)
{
        struct nsl_sc_profile p;
        nsl_error e = { 0 };
        char line[1200];

        assert_true(nsl_sc_profile_parse(text, len, "p.json", &p, &e) < 0);
        assert_string_equal(e.what, "--seccomp");
        assert_string_equal(e.object, "p.json");
        assert_int_equal(e.exit_code, NSL_EXIT_LAUNCHER);
        nsl_error_format(&e, line, sizeof line);
        if (!strstr(line, cause_part))
                fail_msg("'%s' does not contain '%s'", line, cause_part);
}

static void expect_error(const char *text, const char *cause_part)
{
        expect_error_len(text, strlen(text), cause_part);
}

static void malformed_json_has_line_and_column(void **state)
{
        (void)state;
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [}", "line 2, column 16:");
        expect_error("{\"defaultAction\": ", "unexpected end of file");
        expect_error("", "empty profile");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\"} x", "line 1, column 37: unexpected character");
        expect_error("[1, 2]", "(top): expected an object");
        expect_error_len("{\"defaultAction\": \"SCMP_ACT_ALLOW\"\0}", 36, "NUL byte");
}

static void wrong_types(void **state)
{
        (void)state;
        expect_error("{}", "defaultAction: missing");
        expect_error("{\"defaultAction\": 1}", "defaultAction: expected a string");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}", "syscalls: expected a list");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": \"read\", \"action\": "
                     "\"SCMP_ACT_ERRNO\"}]}",
                     "syscalls[0].names: expected a list of strings");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\", 7], \"action\": "
                     "\"SCMP_ACT_ERRNO\"}]}",
                     "syscalls[0].names[1]: expected a string");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": \"1\"}", "defaultErrnoRet: expected a whole number");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1.5}", "defaultErrnoRet: expected a whole number");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 5000}", "defaultErrnoRet: must be at most 4095");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
                     "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                     "syscalls[0].args[0].value: must not be negative");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"bogus\": 1}", "bogus: unknown key");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
                     "\"SCMP_ACT_ERRNO\", \"includes\": {\"minKernel\": \"four\"}}]}",
                     "syscalls[0].includes.minKernel: expected a kernel version");
}

static void unknown_actions_and_operators(void **state)
{
        (void)state;
        expect_error("{\"defaultAction\": \"SCMP_ACT_MAYBE\"}", "defaultAction: unknown action 'SCMP_ACT_MAYBE'");
        expect_error("{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", "defaultAction: SCMP_ACT_NOTIFY hands every call to "
                     "the seccomp agent");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/x\"}",
                     "listenerPath: a seccomp agent is an OCI config's (linux.seccomp), not a profile's");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\", \"exit_group\"], "
                     "\"action\": \"SCMP_ACT_NOTIFY\"}]}",
                     "syscalls[0].action: SCMP_ACT_NOTIFY on exit_group: the process makes that call itself");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
                     "\"SCMP_ACT_ERRNO\"}, {\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": "
                     "[{\"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_ABOUT\"}]}]}",
                     "syscalls[1].args[0].op: unknown operator 'SCMP_CMP_ABOUT'");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
                     "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                     "syscalls[0].args[0].index: must be at most 5");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"name\": \"read\", \"names\": [\"read\"], "
                     "\"action\": \"SCMP_ACT_ERRNO\"}]}",
                     "syscalls[0]: has both 'name' and 'names'");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_NEW\"]}",
                     "flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_NEW'");
}

static void architectures(void **state)
{
        (void)state;
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", "
                     "\"SCMP_ARCH_X86_64\"]}",
                     "architectures[1]: architecture listed twice");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_PDP11\"]}",
                     "architectures[0]: unknown architecture 'SCMP_ARCH_PDP11'");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\"], \"archMap\": []}",
                     "'architectures' and 'archMap' are both given");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", "
                     "\"subArchitectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X86\"]}]}",
                     "archMap[0].subArchitectures[1]: architecture listed twice");
}

static void huge_profile_is_refused(void **state)
{
        size_t len = 10u << 20;
        char *text = malloc(len + 1);
        struct nsl_sc_profile p;
        nsl_error e = { 0 };
        (void)state;
        assert_non_null(text);
        memset(text, ' ', len);
        text[len] = '\0';
        assert_true(nsl_sc_profile_parse(text, len, "big.json", &p, &e) < 0);
        assert_non_null(strstr(e.cause, "larger than"));
        free(text);
}

static void podman_errno_names(void **state)
{
        const char *text = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrno\": \"ENOSYS\", \"syscalls\": "
                           "[{\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ERRNO\", \"errno\": \"EACCES\"}]}";
        struct nsl_sc_profile p;
        nsl_error e = { 0 };
        (void)state;
        assert_int_equal(nsl_sc_profile_parse(text, strlen(text), "p.json", &p, &e), 0);
        assert_int_equal(p.default_action, SCMP_ACT_ERRNO(ENOSYS));
        assert_int_equal(p.rules[0].action, SCMP_ACT_ERRNO(EACCES));
        nsl_sc_profile_free(&p);
        expect_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrno\": \"EWHAT\"}", "defaultErrno: unknown errno name 'EWHAT'");
}

struct warnings { int n; char last[512]; };

static void collect(const char *line, void *data)
{
        struct warnings *w = data;
        w->n++;
        snprintf(w->last, sizeof w->last, "%s", line);
}

static int compile_text(const char *text, bool strict, struct warnings *w, struct nsl_sc_filter *f, nsl_error *e)
{
        struct nsl_sc_profile p;
        struct nsl_sc_target t;
        int r;

        assert_int_equal(nsl_sc_target_native(&t, e), 0);
        t.strict = strict;
        t.warn = collect;
        t.warn_data = w;
        assert_int_equal(nsl_sc_profile_parse(text, strlen(text), "p.json", &p, e), 0);
        r = nsl_sc_compile(&p, "p.json", &t, f, e);
        nsl_sc_profile_free(&p);
        return r;
}

static void unknown_syscalls_warn_or_fail(void **state)
{
        const char *text = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\", \"frobnicate\"], "
                           "\"action\": \"SCMP_ACT_ERRNO\"}]}";
        struct warnings w = { 0 };
        struct nsl_sc_filter f = { 0 };
        nsl_error e = { 0 };
        (void)state;
        assert_int_equal(compile_text(text, false, &w, &f, &e), 0);
        assert_int_equal(w.n, 1);
        assert_string_equal(w.last, "p.json: syscalls[0].names[1]: unknown syscall 'frobnicate' (skipped)");
        free(f.insns);
        assert_true(compile_text(text, true, &w, &f, &e) < 0);
        assert_string_equal(e.cause, "syscalls[0].names[1]: unknown syscall 'frobnicate'");
}

static void denying_execve_is_an_error(void **state)
{
        struct warnings w = { 0 };
        struct nsl_sc_filter f = { 0 };
        nsl_error e = { 0 };
        (void)state;
        assert_true(compile_text("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
                                 "\"action\": \"SCMP_ACT_ALLOW\"}]}",
                                 false, &w, &f, &e) < 0);
        assert_string_equal(e.cause, "the profile does not allow execve: the plugin could never start");
        assert_true(compile_text("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"execve\"], "
                                 "\"action\": \"SCMP_ACT_KILL\"}]}",
                                 false, &w, &f, &e) < 0);
}

static void profile_must_cover_this_architecture(void **state)
{
        struct warnings w = { 0 };
        struct nsl_sc_filter f = { 0 };
        nsl_error e = { 0 };
        (void)state;
        assert_true(compile_text("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_S390X\"]}",
                                 false, &w, &f, &e) < 0);
        assert_non_null(strstr(e.cause, "the profile does not cover"));
}

static void enosys_stub_only_for_deny_by_default(void **state)
{
        struct warnings w = { 0 };
        struct nsl_sc_filter deny = { 0 }, allow = { 0 };
        nsl_error e = { 0 };
        (void)state;
        assert_int_equal(compile_text("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"execve\", "
                                      "\"read\", \"exit_group\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                                      false, &w, &deny, &e), 0);
        assert_int_equal(compile_text("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mount\"], "
                                      "\"action\": \"SCMP_ACT_ERRNO\"}]}",
                                      false, &w, &allow, &e), 0);
        /* the stub ends in an ENOSYS return within its first eight instructions */
        bool found = false;
        for (unsigned i = 0; i < 8 && i < deny.len; i++)
                found |= deny.insns[i].code == (BPF_RET | BPF_K) && deny.insns[i].k == (SECCOMP_RET_ERRNO | ENOSYS);
        assert_true(found);
        for (unsigned i = 0; i < 8 && i < allow.len; i++)
                assert_false(allow.insns[i].code == (BPF_RET | BPF_K) && allow.insns[i].k == (SECCOMP_RET_ERRNO | ENOSYS));
        free(deny.insns);
        free(allow.insns);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(malformed_json_has_line_and_column),
                cmocka_unit_test(wrong_types),
                cmocka_unit_test(unknown_actions_and_operators),
                cmocka_unit_test(architectures),
                cmocka_unit_test(huge_profile_is_refused),
                cmocka_unit_test(podman_errno_names),
                cmocka_unit_test(unknown_syscalls_warn_or_fail),
                cmocka_unit_test(denying_execve_is_an_error),
                cmocka_unit_test(profile_must_cover_this_architecture),
                cmocka_unit_test(enosys_stub_only_for_deny_by_default),
        };
        return cmocka_run_group_tests(tests, seccomp_api_from_env, NULL);
}

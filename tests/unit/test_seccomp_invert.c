/* An inverted profile (src/seccomp/compile.c: libseccomp's program allows by
 * default and lists the refusals; the stub takes the argument rules and the
 * numbers no syscall has) must answer every call exactly as the profile
 * compiled the plain way. Compared call by call through nslaunch's BPF
 * interpreter: every syscall number up to past the largest known, x32's and
 * another architecture's entry points, with each argument value any rule
 * names (and with high bits set) in each of the first three arguments. The
 * built-in profile, and Docker's and podman's where Debian's packages put
 * them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "fds.h"
#include "seccomp/compile.h"
#include "seccomp/filter.h"
#include "seccomp/profile.h"
#include "seccomp_run.h"

#define DOCKER "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"
#define PODMAN "/usr/share/containers/seccomp.json"
#define MAX_VALUES 256

static struct prog compiled(const struct nsl_sc_profile *p, bool invert)
{
        struct nsl_sc_target t;
        struct nsl_sc_filter f = { 0 };
        nsl_error e = { 0 };

        assert_int_equal(nsl_sc_target_native(&t, &e), 0);
        t.no_inversion = !invert;
        if (nsl_sc_compile(p, "p.json", &t, &f, &e) < 0)
                fail_msg("%s: %s", e.object, e.cause);
        return PROG(f.insns, f.len);
}

/* Every value a rule compares an argument with, as is and with high bits. */
static size_t rule_values(const struct nsl_sc_profile *p, uint64_t *values)
{
        size_t n = 0;

        values[n++] = 0;
        values[n++] = 0xffffffffULL;
        for (size_t i = 0; i < p->n_rules; i++)
                for (size_t a = 0; a < p->rules[i].n_args && n + 4 <= MAX_VALUES; a++) {
                        const struct nsl_sc_arg *arg = &p->rules[i].args[a];
                        values[n++] = arg->value;
                        values[n++] = arg->value | (1ULL << 32);
                        values[n++] = arg->value_two;
                        values[n++] = arg->value ^ 1;
                }
        return n;
}

static void same_answers(const struct nsl_sc_profile *p)
{
        uint64_t values[MAX_VALUES];
        size_t n_values = rule_values(p, values);
        struct prog plain = compiled(p, false), inverted = compiled(p, true);
        const uint32_t arches[] = { seccomp_arch_native(), foreign_arch() };
        size_t compared = 0;

        for (size_t a = 0; a < 2; a++)
                for (int nr = 0; nr < 1100; nr++)
                        for (size_t v = 0; v < n_values; v++)
                                for (unsigned index = 0; index < 3; index++) {
                                        struct seccomp_data d = call_on(arches[a], nr, 0, 0);
                                        d.args[index] = values[v];
                                        expect_action(inverted, d, run(plain, d));
                                        compared++;
                                }
        for (int nr = 0; nr < 600; nr++) {      /* x32's entry point on x86_64: the same bits elsewhere */
                struct seccomp_data d = call(nr | 0x40000000, 0, 0);
                expect_action(inverted, d, run(plain, d));
        }
        assert_true(compared > 100000);
        free((void *)plain.insns);
        free((void *)inverted.insns);
}

static void parse_text(const char *text, size_t len, struct nsl_sc_profile *p)
{
        nsl_error e = { 0 };
        if (nsl_sc_profile_parse(text, len, "p.json", p, &e) < 0)
                fail_msg("%s", e.cause);
}

static void builtin_profile_inverted_answers_alike(void **state)
{
        struct nsl_sc_profile p;
        (void)state;
        parse_text(nsl_builtin_profile_json, strlen(nsl_builtin_profile_json), &p);
        same_answers(&p);
        /* and inverting is what makes it small */
        struct prog plain = compiled(&p, false), inverted = compiled(&p, true);
        assert_true(inverted.len < plain.len);
        free((void *)plain.insns);
        free((void *)inverted.insns);
        nsl_sc_profile_free(&p);
}

static void file_profile_inverted_answers_alike(const char *path)
{
        _cleanup_free_ char *text = NULL;
        struct nsl_sc_profile p;
        size_t len;

        if (access(path, R_OK) != 0) {
                printf("# %s: not installed, not compared\n", path);
                return;
        }
        assert_int_equal(nsl_read_file(path, NSL_PROFILE_MAX_BYTES, &text, &len), 0);
        parse_text(text, len, &p);
        same_answers(&p);
        nsl_sc_profile_free(&p);
}

static void docker_profile_inverted_answers_alike(void **state)
{
        (void)state;
        file_profile_inverted_answers_alike(DOCKER);
}

static void podman_profile_inverted_answers_alike(void **state)
{
        (void)state;
        file_profile_inverted_answers_alike(PODMAN);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(builtin_profile_inverted_answers_alike),
                cmocka_unit_test(docker_profile_inverted_answers_alike),
                cmocka_unit_test(podman_profile_inverted_answers_alike),
        };
        return cmocka_run_group_tests(tests, seccomp_api_from_env, NULL);
}

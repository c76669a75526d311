#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "parse/parse.h"

static void sizes_use_docker_units(void **state)
{
        uint64_t v;
        (void)state;
        assert_int_equal(nsl_parse_size("512", &v), 0); assert_int_equal(v, 512);
        assert_int_equal(nsl_parse_size("64k", &v), 0); assert_int_equal(v, 64 << 10);
        assert_int_equal(nsl_parse_size("64m", &v), 0); assert_int_equal(v, 64 << 20);
        assert_int_equal(nsl_parse_size("64M", &v), 0); assert_int_equal(v, 64 << 20);
        assert_int_equal(nsl_parse_size("1g", &v), 0); assert_int_equal(v, 1ULL << 30);
        assert_int_equal(nsl_parse_size("1gb", &v), 0); assert_int_equal(v, 1ULL << 30);
        assert_int_equal(nsl_parse_size("2MiB", &v), 0); assert_int_equal(v, 2 << 20);
        assert_int_equal(nsl_parse_size("7b", &v), 0); assert_int_equal(v, 7);
}

static void bad_sizes_are_refused(void **state)
{
        uint64_t v;
        (void)state;
        assert_int_equal(nsl_parse_size("", &v), -EINVAL);
        assert_int_equal(nsl_parse_size("m", &v), -EINVAL);
        assert_int_equal(nsl_parse_size("-1m", &v), -EINVAL);
        assert_int_equal(nsl_parse_size("12x", &v), -EINVAL);
        assert_int_equal(nsl_parse_size("1.5g", &v), -EINVAL);
        assert_int_equal(nsl_parse_size("64mm", &v), -EINVAL);
        assert_int_equal(nsl_parse_size("99999999999999999999", &v), -ERANGE);
        assert_int_equal(nsl_parse_size("17179869184g", &v), -ERANGE);
}

static void seconds_take_fractions(void **state)
{
        uint64_t ms;
        (void)state;
        assert_int_equal(nsl_parse_seconds("2", &ms), 0); assert_int_equal(ms, 2000);
        assert_int_equal(nsl_parse_seconds("0.5", &ms), 0); assert_int_equal(ms, 500);
        assert_int_equal(nsl_parse_seconds(".25", &ms), 0); assert_int_equal(ms, 250);
        assert_int_equal(nsl_parse_seconds("1.0001", &ms), 0); assert_int_equal(ms, 1000);
        assert_int_equal(nsl_parse_seconds("", &ms), -EINVAL);
        assert_int_equal(nsl_parse_seconds("-1", &ms), -EINVAL);
        assert_int_equal(nsl_parse_seconds("1.", &ms), -EINVAL);
        assert_int_equal(nsl_parse_seconds(".", &ms), -EINVAL);
        assert_int_equal(nsl_parse_seconds("1e3", &ms), -EINVAL);
        assert_int_equal(nsl_parse_seconds("nan", &ms), -EINVAL);
        assert_int_equal(nsl_parse_seconds("99999999999", &ms), -ERANGE);
}

static void modes_are_octal(void **state)
{
        mode_t m;
        (void)state;
        assert_int_equal(nsl_parse_mode("1777", &m), 0); assert_int_equal(m, 01777);
        assert_int_equal(nsl_parse_mode("755", &m), 0); assert_int_equal(m, 0755);
        assert_int_equal(nsl_parse_mode("8", &m), -EINVAL);
        assert_int_equal(nsl_parse_mode("17777", &m), -ERANGE);
        assert_int_equal(nsl_parse_mode("", &m), -EINVAL);
}

static void destinations_are_normalised(void **state)
{
        char *out = NULL;
        (void)state;
        assert_int_equal(nsl_normalize_dest("//usr/./local//plugins/", &out), 0);
        assert_string_equal(out, "/usr/local/plugins");
        free(out);
        assert_int_equal(nsl_normalize_dest("/", &out), -EINVAL);
        assert_int_equal(nsl_normalize_dest("/./", &out), -EINVAL);
        assert_int_equal(nsl_normalize_dest("relative", &out), -EINVAL);
        assert_int_equal(nsl_normalize_dest("/a/../b", &out), -EINVAL);
        assert_int_equal(nsl_normalize_dest("/..", &out), -EINVAL);
        assert_int_equal(nsl_normalize_dest("", &out), -EINVAL);
}

static void tmpfs_values(void **state)
{
        struct nsl_mount m;
        nsl_error e = { 0 };
        (void)state;
        assert_int_equal(nsl_parse_tmpfs("/tmp", &m, &e), 0);
        assert_string_equal(m.dest, "/tmp");
        assert_int_equal(m.mode, 01777);
        assert_int_equal(m.size, 0);
        nsl_mount_clear(&m);
        assert_int_equal(nsl_parse_tmpfs("/scratch:size=1m,mode=700", &m, &e), 0);
        assert_int_equal(m.size, 1 << 20);
        assert_int_equal(m.mode, 0700);
        nsl_mount_clear(&m);
}

static void expect_tmpfs_error(const char *value, const char *cause_part)
{
        struct nsl_mount m;
        nsl_error e = { 0 };
        char line[1200];
        assert_true(nsl_parse_tmpfs(value, &m, &e) < 0);
        assert_string_equal(e.what, "--tmpfs");
        assert_int_equal(e.exit_code, NSL_EXIT_LAUNCHER);
        nsl_error_format(&e, line, sizeof line);
        assert_non_null(strstr(line, cause_part));
        assert_true(strncmp(line, "nslaunch: --tmpfs: ", 19) == 0);
}

static void bad_tmpfs_values(void **state)
{
        (void)state;
        expect_tmpfs_error("", "empty value");
        expect_tmpfs_error("tmp", "absolute path");
        expect_tmpfs_error("/", "absolute path");
        expect_tmpfs_error("/a/../b", "absolute path");
        expect_tmpfs_error("/tmp:", "empty option list");
        expect_tmpfs_error("/tmp:size=lots", "bad size 'lots'");
        expect_tmpfs_error("/tmp:size=0", "bad size '0'");
        expect_tmpfs_error("/tmp:mode=999", "bad mode '999'");
        expect_tmpfs_error("/tmp:uid=0", "unknown option 'uid=0'");
        expect_tmpfs_error("/tmp:size", "unknown option 'size'");
}

static void bind_values(void **state)
{
        struct nsl_mount m;
        nsl_error e = { 0 };
        (void)state;
        assert_int_equal(nsl_parse_bind("/src:/dst", false, &m, &e), 0);
        assert_string_equal(m.source, "/src");
        assert_string_equal(m.dest, "/dst");
        assert_false(m.read_only);
        nsl_mount_clear(&m);
        assert_int_equal(nsl_parse_bind("/src:/usr/local/plugins:ro", false, &m, &e), 0);
        assert_true(m.read_only);
        nsl_mount_clear(&m);
        assert_int_equal(nsl_parse_bind("/src:/dst", true, &m, &e), 0);
        assert_true(m.read_only);
        assert_int_equal(m.idmap, NSL_IDMAP_AUTO);
        nsl_mount_clear(&m);
        assert_int_equal(nsl_parse_bind("/src:/dst:rw,idmap", false, &m, &e), 0);
        assert_false(m.read_only);
        assert_int_equal(m.idmap, NSL_IDMAP_ON);
        nsl_mount_clear(&m);
        assert_int_equal(nsl_parse_bind("/src:/dst:noidmap,ro", false, &m, &e), 0);
        assert_true(m.read_only);
        assert_int_equal(m.idmap, NSL_IDMAP_OFF);
        nsl_mount_clear(&m);
        assert_int_equal(nsl_parse_bind("/src:/dst:idmap", true, &m, &e), 0);
        assert_true(m.read_only);
        assert_int_equal(m.idmap, NSL_IDMAP_ON);
        nsl_mount_clear(&m);
}

static void expect_bind_error(const char *value, bool ro, const char *cause_part)
{
        struct nsl_mount m;
        nsl_error e = { 0 };
        assert_true(nsl_parse_bind(value, ro, &m, &e) < 0);
        assert_string_equal(e.what, ro ? "--ro-bind" : "--bind");
        assert_non_null(strstr(e.cause, cause_part));
}

static void bad_bind_values(void **state)
{
        (void)state;
        expect_bind_error("", false, "empty value");
        expect_bind_error("/src", false, "expected SRC:DEST");
        expect_bind_error("src:/dst", false, "source must be an absolute");
        expect_bind_error("/src:dst", false, "destination must be");
        expect_bind_error("/src:/", false, "destination must be");
        expect_bind_error("/src:/x/../y", false, "destination must be");
        expect_bind_error("/src:/dst:rx", false, "unknown flag 'rx'");
        expect_bind_error("/src:/dst:rw", true, "--ro-bind takes idmap or noidmap");
        expect_bind_error("/src:/dst:ro,", false, "unknown flag ''");
        expect_bind_error("/src:/dst:ro,,idmap", false, "unknown flag ''");
        expect_bind_error("/src:/dst:IDMAP", false, "unknown flag 'IDMAP'");
}

struct collected { char items[4][64]; int n; };

static int collect(const char *assignment, void *data, nsl_error *error)
{
        struct collected *c = data;
        (void)error;
        strncpy(c->items[c->n++], assignment, 63);
        return 0;
}

static void env_files(void **state)
{
        const char text[] = "# comment\n\nA=1\nexport B=two words\r\n  C=\n";
        struct collected c = { 0 };
        nsl_error e = { 0 };
        (void)state;
        assert_int_equal(nsl_parse_env_text(text, sizeof text - 1, "f", collect, &c, &e), 0);
        assert_int_equal(c.n, 3);
        assert_string_equal(c.items[0], "A=1");
        assert_string_equal(c.items[1], "B=two words");
        assert_string_equal(c.items[2], "C=");
}

static void bad_env_files(void **state)
{
        const char bad[] = "A=1\nnot an assignment\n";
        const char nul[] = "A=1\nB=\0x\n";
        struct collected c = { 0 };
        nsl_error e = { 0 };
        (void)state;
        assert_true(nsl_parse_env_text(bad, sizeof bad - 1, "vars.env", collect, &c, &e) < 0);
        assert_string_equal(e.what, "--env-file");
        assert_string_equal(e.object, "vars.env");
        assert_string_equal(e.cause, "line 2: expected KEY=VALUE");
        c.n = 0;
        assert_true(nsl_parse_env_text(nul, sizeof nul - 1, "vars.env", collect, &c, &e) < 0);
        assert_string_equal(e.cause, "line 2: contains a NUL byte");
}

static void env_assignments(void **state)
{
        (void)state;
        assert_true(nsl_env_assignment_valid("A=b"));
        assert_true(nsl_env_assignment_valid("_X1="));
        assert_false(nsl_env_assignment_valid("=b"));
        assert_false(nsl_env_assignment_valid("1A=b"));
        assert_false(nsl_env_assignment_valid("A-B=c"));
        assert_false(nsl_env_assignment_valid("AB"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(sizes_use_docker_units),
                cmocka_unit_test(bad_sizes_are_refused),
                cmocka_unit_test(seconds_take_fractions),
                cmocka_unit_test(modes_are_octal),
                cmocka_unit_test(destinations_are_normalised),
                cmocka_unit_test(tmpfs_values),
                cmocka_unit_test(bad_tmpfs_values),
                cmocka_unit_test(bind_values),
                cmocka_unit_test(bad_bind_values),
                cmocka_unit_test(env_files),
                cmocka_unit_test(bad_env_files),
                cmocka_unit_test(env_assignments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

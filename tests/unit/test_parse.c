#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "parse/parse.h"
#include "strv.h"
#include "tokens.h"

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

static void durations_are_gos(void **state)
{
        uint64_t ms;
        (void)state;
        assert_int_equal(nsl_parse_duration("5s", &ms), 0); assert_int_equal(ms, 5000);
        assert_int_equal(nsl_parse_duration("100ms", &ms), 0); assert_int_equal(ms, 100);
        assert_int_equal(nsl_parse_duration("1m30s", &ms), 0); assert_int_equal(ms, 90000);
        assert_int_equal(nsl_parse_duration("1.5h", &ms), 0); assert_int_equal(ms, 5400000);
        assert_int_equal(nsl_parse_duration("0.25s", &ms), 0); assert_int_equal(ms, 250);
        assert_int_equal(nsl_parse_duration("1500us", &ms), 0); assert_int_equal(ms, 1);
        assert_int_equal(nsl_parse_duration("", &ms), -EINVAL);
        assert_int_equal(nsl_parse_duration("5", &ms), -EINVAL);          /* no unit */
        assert_int_equal(nsl_parse_duration("s", &ms), -EINVAL);          /* no number */
        assert_int_equal(nsl_parse_duration("5x", &ms), -EINVAL);
        assert_int_equal(nsl_parse_duration("5ss", &ms), -EINVAL);
        assert_int_equal(nsl_parse_duration("-1s", &ms), -EINVAL);
        assert_int_equal(nsl_parse_duration("1.s", &ms), -EINVAL);
        assert_int_equal(nsl_parse_duration("1.2.3s", &ms), -EINVAL);
        assert_int_equal(nsl_parse_duration("9000h", &ms), -ERANGE);
        assert_int_equal(nsl_parse_duration("5000h5000h", &ms), -ERANGE);
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
        expect_bind_error("/src:/dst:rw", true, "--ro-bind takes idmap, noidmap, noexec, nosuid or nodev");
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

static void volume_flags_are_docker_words(void **state)
{
        struct nsl_mount m;
        nsl_error e;
        (void)state;
        /* docker -v's mode list: comma-separated words, the last one wins */
        assert_int_equal(nsl_parse_bind("/src:/dst:ro,rw", false, &m, &e), 0);
        assert_false(m.read_only);
        nsl_mount_clear(&m);
        assert_int_equal(nsl_parse_bind("/src:/dst:rw,ro", false, &m, &e), 0);
        assert_true(m.read_only);
        nsl_mount_clear(&m);
        assert_true(nsl_parse_bind("/src:/dst:ro,z", false, &m, &e) < 0);
        assert_string_equal(e.cause, "unknown flag 'z' (use ro, rw, idmap, noidmap, noexec, nosuid or nodev, comma-separated)");
        assert_true(nsl_parse_bind("/src:/dst:", false, &m, &e) < 0);
        /* SRC:DEST splits at the first ':'; a path holding one needs --mount */
        assert_true(nsl_parse_bind("/a:b:/dst", false, &m, &e) < 0);
        assert_true(nsl_parse_bind("/a", false, &m, &e) < 0);
        assert_non_null(strstr(e.cause, "--mount"));
}

static char **csv(const char *value, size_t *n)
{
        char **fields = NULL;
        assert_int_equal(nsl_parse_csv_record(value, &fields, n), 0);
        return fields;
}

static void csv_records_as_docker_reads_them(void **state)
{
        char **f, **unused = NULL;
        size_t n;
        (void)state;
        f = csv("type=bind,src=/a,dst=/b", &n);
        assert_int_equal(n, 3);
        assert_string_equal(f[0], "type=bind");
        assert_string_equal(f[2], "dst=/b");
        assert_null(f[3]);
        nsl_strv_free(f);
        f = csv("type=bind,\"src=/a,b:c\",dst=/x", &n);
        assert_int_equal(n, 3);
        assert_string_equal(f[1], "src=/a,b:c");
        nsl_strv_free(f);
        f = csv("\"src=/say \"\"hi\"\"\",,x", &n);
        assert_int_equal(n, 3);
        assert_string_equal(f[0], "src=/say \"hi\"");
        assert_string_equal(f[1], "");
        nsl_strv_free(f);
        f = csv("\"a\nb\"", &n);
        assert_int_equal(n, 1);
        assert_string_equal(f[0], "a\nb");
        nsl_strv_free(f);
        f = csv("a,", &n);
        assert_int_equal(n, 2);
        nsl_strv_free(f);
        /* Go's encoding/csv refuses a quote inside an unquoted field, text
         * after a closing quote, an unclosed quote; docker would drop what
         * follows a newline, nslaunch refuses it */
        assert_int_equal(nsl_parse_csv_record("src=\"/a,b\"", &unused, &n), -EINVAL);
        assert_int_equal(nsl_parse_csv_record("\"src=/a\"x,dst=/b", &unused, &n), -EINVAL);
        assert_int_equal(nsl_parse_csv_record("\"src=/a", &unused, &n), -EINVAL);
        assert_int_equal(nsl_parse_csv_record("type=bind\nsrc=/a", &unused, &n), -EINVAL);
        assert_int_equal(nsl_parse_csv_record("", &unused, &n), -EINVAL);
        assert_null(unused);
}

static void mount_values(void **state)
{
        struct nsl_mount m;
        nsl_error e;
        (void)state;
        assert_int_equal(nsl_parse_mount_csv("type=bind,source=/a:b,target=/x//y,readonly", &m, &e), 0);
        assert_int_equal(m.kind, NSL_MOUNT_BIND);
        assert_string_equal(m.source, "/a:b");
        assert_string_equal(m.dest, "/x/y");
        assert_true(m.read_only);
        assert_string_equal(nsl_mount_option(&m), "--mount");   /* errors at mount time name it */
        nsl_mount_clear(&m);
        assert_int_equal(nsl_parse_mount_csv("Type=bind,\"src=/a,b\",destination=/d,ro=false", &m, &e), 0);
        assert_string_equal(m.source, "/a,b");
        assert_false(m.read_only);
        nsl_mount_clear(&m);
        assert_int_equal(nsl_parse_mount_csv("type=bind,src=/a,dst=/d,ro", &m, &e), 0);
        assert_true(m.read_only);
        nsl_mount_clear(&m);
        /* a bare word that is not docker's goes to the bind's own flags */
        assert_int_equal(nsl_parse_mount_csv("type=bind,src=/a,dst=/d,ro,rw", &m, &e), 0);
        assert_true(m.read_only);       /* readonly, docker's key, wins */
        nsl_mount_clear(&m);
        assert_int_equal(nsl_parse_mount_csv("type=tmpfs,dst=/scratch,tmpfs-size=16m,tmpfs-mode=700", &m, &e), 0);
        assert_int_equal(m.kind, NSL_MOUNT_TMPFS);
        assert_string_equal(m.dest, "/scratch");
        assert_int_equal(m.size, 16 << 20);
        assert_int_equal(m.mode, 0700);
        assert_null(m.source);
        nsl_mount_clear(&m);
        assert_int_equal(nsl_parse_mount_csv("type=tmpfs,target=/t", &m, &e), 0);
        assert_int_equal(m.mode, 01777);
        assert_int_equal(m.size, 0);
        nsl_mount_clear(&m);
}

static void expect_mount_error(const char *value, const char *cause_part)
{
        struct nsl_mount m;
        nsl_error e;
        assert_true(nsl_parse_mount_csv(value, &m, &e) < 0);
        assert_string_equal(e.what, "--mount");
        if (!strstr(e.cause, cause_part))
                fail_msg("%s: cause '%s' lacks '%s'", value, e.cause, cause_part);
}

static void bad_mount_values(void **state)
{
        (void)state;
        expect_mount_error("", "expected type=bind|tmpfs");
        expect_mount_error("src=\"/a,b\",dst=/x,type=bind", "quote a whole field");
        expect_mount_error("src=/a,dst=/x", "needs type=bind or type=tmpfs");
        expect_mount_error("type=volume,src=v,dst=/x", "type=volume is not supported");
        expect_mount_error("type=bind,dst=/x", "needs source=");
        expect_mount_error("type=bind,src=/a", "needs target=");
        expect_mount_error("type=bind,src=a,dst=/x", "source must be an absolute");
        expect_mount_error("type=bind,src=/a,dst=/x/../y", "destination must be");
        expect_mount_error("type=bind,src=/a,dst=/x,bind-propagation=shared", "unknown key 'bind-propagation'");
        expect_mount_error("type=bind,src=/a,dst=/x,readonly=maybe", "bad value for readonly");
        expect_mount_error("type=bind,src=/a,dst=/x,z", "unknown flag 'z'");
        expect_mount_error("type=bind,src=/a,dst=/x,tmpfs-size=1m", "for type=tmpfs");
        expect_mount_error("type=tmpfs,src=/a,dst=/x", "takes no source");
        expect_mount_error("type=tmpfs,dst=/x,readonly", "no read-only tmpfs");
        expect_mount_error("type=tmpfs,dst=/x,tmpfs-size=lots", "bad tmpfs-size");
        expect_mount_error("type=tmpfs,dst=/x,tmpfs-mode=999", "bad tmpfs-mode");
}

enum { T_BOOL = 1, T_VALUE, T_HELP, T_ENV };

static const struct nsl_option_def defs[] = {
        { "read-only", 0, false, T_BOOL },
        { "volume", 'v', true, T_VALUE },
        { "help", 'h', false, T_HELP },
        { "env", 'e', true, T_ENV },
        { 0 },
};

struct expect { enum nsl_token token; int id; const char *value; const char *spelled; };

static void expect_tokens(int argc, char **argv, bool anywhere, const struct expect *want, size_t n, int end_index)
{
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 0, .operands_anywhere = anywhere };
        for (size_t i = 0; i < n; i++) {
                int id;
                enum nsl_token got = nsl_next_token(&t, defs, &id);
                assert_int_equal(got, want[i].token);
                if (got == NSL_TOKEN_OPTION)
                        assert_int_equal(id, want[i].id);
                if (want[i].value)
                        assert_string_equal(t.value, want[i].value);
                else if (got == NSL_TOKEN_OPTION)
                        assert_null(t.value);
                if (want[i].spelled)
                        assert_string_equal(t.spelled, want[i].spelled);
                if (got != NSL_TOKEN_OPTION && got != NSL_TOKEN_OPERAND)
                        break;
        }
        if (end_index >= 0)
                assert_int_equal(t.index, end_index);
}

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void short_options_split_as_pflag(void **state)
{
        (void)state;
        /* -v VALUE, -vVALUE, -v=VALUE, --volume VALUE, --volume=VALUE */
        char **a = ARGV("-v", "/a:/b", "-v/c:/d", "-v=/e:/f", "--volume", "/g:/h", "--volume=/i:/j", "cmd");
        const struct expect w[] = {
                { NSL_TOKEN_OPTION, T_VALUE, "/a:/b", "-v" }, { NSL_TOKEN_OPTION, T_VALUE, "/c:/d", "-v" },
                { NSL_TOKEN_OPTION, T_VALUE, "/e:/f", "-v" }, { NSL_TOKEN_OPTION, T_VALUE, "/g:/h", "--volume" },
                { NSL_TOKEN_OPTION, T_VALUE, "/i:/j", "--volume" }, { NSL_TOKEN_END, 0, NULL, NULL },
        };
        expect_tokens(8, a, false, w, N(w), 7);

        /* -e=A=b keeps the rest after the first '=' */
        char **b = ARGV("-e=A=b", "-eA=b");
        const struct expect wb[] = { { NSL_TOKEN_OPTION, T_ENV, "A=b", "-e" }, { NSL_TOKEN_OPTION, T_ENV, "A=b", "-e" },
                                     { NSL_TOKEN_END, 0, NULL, NULL } };
        expect_tokens(2, b, false, wb, N(wb), 2);

        /* a boolean bundled before a value option; the value may start with '-' */
        char **c = ARGV("-hv", "-x", "--", "-v");
        const struct expect wc[] = { { NSL_TOKEN_OPTION, T_HELP, NULL, "-h" }, { NSL_TOKEN_OPTION, T_VALUE, "-x", "-v" },
                                     { NSL_TOKEN_END, 0, NULL, NULL } };
        expect_tokens(4, c, false, wc, N(wc), 3);

        char **d = ARGV("-hvX");
        const struct expect wd[] = { { NSL_TOKEN_OPTION, T_HELP, NULL, "-h" }, { NSL_TOKEN_OPTION, T_VALUE, "X", "-v" },
                                     { NSL_TOKEN_END, 0, NULL, NULL } };
        expect_tokens(1, d, false, wd, N(wd), 1);
}

static void option_errors(void **state)
{
        (void)state;
        char **a = ARGV("-hx");
        const struct expect wa[] = { { NSL_TOKEN_OPTION, T_HELP, NULL, "-h" }, { NSL_TOKEN_UNKNOWN, 0, NULL, "-x" } };
        expect_tokens(1, a, false, wa, N(wa), 1);
        /* no prefixes: --vol, --read, --he are not --volume, --read-only, --help */
        char **b = ARGV("--vol", "/a:/b");
        const struct expect wb[] = { { NSL_TOKEN_UNKNOWN, 0, NULL, "--vol" } };
        expect_tokens(2, b, false, wb, N(wb), 1);
        char **c = ARGV("--read=/x");
        const struct expect wc[] = { { NSL_TOKEN_UNKNOWN, 0, NULL, "--read" } };
        expect_tokens(1, c, false, wc, N(wc), -1);
        char **d = ARGV("--read-only=true");
        const struct expect wd[] = { { NSL_TOKEN_UNEXPECTED_VALUE, 0, NULL, "--read-only" } };
        expect_tokens(1, d, false, wd, N(wd), -1);
        char **e = ARGV("-v");
        const struct expect we[] = { { NSL_TOKEN_MISSING_VALUE, 0, NULL, "-v" } };
        expect_tokens(1, e, false, we, N(we), -1);
        char **f = ARGV("--volume");
        const struct expect wf[] = { { NSL_TOKEN_MISSING_VALUE, 0, NULL, "--volume" } };
        expect_tokens(1, f, false, wf, N(wf), -1);
        char **g = ARGV("---volume", "x");
        const struct expect wg[] = { { NSL_TOKEN_UNKNOWN, 0, NULL, NULL } };
        expect_tokens(2, g, false, wg, N(wg), -1);
        char **h = ARGV("-");
        const struct expect wh[] = { { NSL_TOKEN_END, 0, NULL, NULL } };
        expect_tokens(1, h, false, wh, N(wh), 0);
}

static void operands_anywhere(void **state)
{
        (void)state;
        char **a = ARGV("p.json", "--read-only", "-v", "x", "--", "--help");
        const struct expect w[] = {
                { NSL_TOKEN_OPERAND, 0, "p.json", NULL }, { NSL_TOKEN_OPTION, T_BOOL, NULL, "--read-only" },
                { NSL_TOKEN_OPTION, T_VALUE, "x", "-v" }, { NSL_TOKEN_OPERAND, 0, "--help", NULL },
                { NSL_TOKEN_END, 0, NULL, NULL },
        };
        expect_tokens(6, a, true, w, N(w), 6);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(sizes_use_docker_units),
                cmocka_unit_test(bad_sizes_are_refused),
                cmocka_unit_test(seconds_take_fractions),
                cmocka_unit_test(durations_are_gos),
                cmocka_unit_test(modes_are_octal),
                cmocka_unit_test(destinations_are_normalised),
                cmocka_unit_test(tmpfs_values),
                cmocka_unit_test(bad_tmpfs_values),
                cmocka_unit_test(bind_values),
                cmocka_unit_test(bad_bind_values),
                cmocka_unit_test(env_files),
                cmocka_unit_test(bad_env_files),
                cmocka_unit_test(env_assignments),
                cmocka_unit_test(volume_flags_are_docker_words),
                cmocka_unit_test(csv_records_as_docker_reads_them),
                cmocka_unit_test(mount_values),
                cmocka_unit_test(bad_mount_values),
                cmocka_unit_test(short_options_split_as_pflag),
                cmocka_unit_test(option_errors),
                cmocka_unit_test(operands_anywhere),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

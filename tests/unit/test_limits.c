/* Limits: their option values, and the exact cgroup files and values
 * written, against a directory tree laid out like cgroupfs. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup/cgroup.h"
#include "parse/parse.h"
#include "plan.h"
#include "spec.h"

static void cpus(void **state)
{
        uint64_t q;
        (void)state;
        assert_int_equal(nsl_parse_cpus("0.5", &q), 0); assert_int_equal(q, 50000);
        assert_int_equal(nsl_parse_cpus("2", &q), 0); assert_int_equal(q, 200000);
        assert_int_equal(nsl_parse_cpus(".25", &q), 0); assert_int_equal(q, 25000);
        assert_int_equal(nsl_parse_cpus("0.01", &q), 0); assert_int_equal(q, 1000);
        assert_true(nsl_parse_cpus("0", &q) < 0);
        assert_true(nsl_parse_cpus("0.001", &q) < 0);
        assert_true(nsl_parse_cpus("abc", &q) < 0);
        assert_true(nsl_parse_cpus("-1", &q) < 0);
        assert_true(nsl_parse_cpus("2000", &q) < 0);
}

static void rlimits(void **state)
{
        struct nsl_rlimit rl;
        nsl_error e = { 0 };
        (void)state;
        assert_int_equal(nsl_parse_rlimit("nofile=1024", &rl, &e), 0);
        assert_int_equal(rl.resource, RLIMIT_NOFILE);
        assert_int_equal(rl.soft, 1024);
        assert_int_equal(rl.hard, 1024);
        assert_int_equal(nsl_parse_rlimit("NOFILE=10:20", &rl, &e), 0);
        assert_int_equal(rl.soft, 10);
        assert_int_equal(rl.hard, 20);
        assert_int_equal(nsl_parse_rlimit("RLIMIT_CORE=unlimited", &rl, &e), 0);
        assert_int_equal(rl.resource, RLIMIT_CORE);
        assert_true(rl.soft == UINT64_MAX && rl.hard == UINT64_MAX);
        assert_int_equal(nsl_parse_rlimit("as=1:unlimited", &rl, &e), 0);
}

static void expect_rlimit_error(const char *value, const char *cause)
{
        struct nsl_rlimit rl;
        nsl_error e = { 0 };
        char line[1200];
        assert_true(nsl_parse_rlimit(value, &rl, &e) < 0);
        nsl_error_format(&e, line, sizeof line);
        if (!strstr(line, cause) || strncmp(line, "nslaunch: --rlimit: ", 20))
                fail_msg("'%s' lacks '%s'", line, cause);
}

static void bad_rlimits(void **state)
{
        (void)state;
        expect_rlimit_error("nofile", "expected NAME=SOFT[:HARD]");
        expect_rlimit_error("files=3", "unknown limit 'files'");
        expect_rlimit_error("nofile=x", "bad soft limit 'x'");
        expect_rlimit_error("nofile=1:y", "bad hard limit 'y'");
        expect_rlimit_error("nofile=5:4", "the soft limit is above the hard limit");
        expect_rlimit_error("nofile=-1", "bad soft limit '-1'");
}

static void expect_line(int r, const nsl_error *e, const char *expected)
{
        char line[1200];
        assert_true(r < 0);
        nsl_error_format(e, line, sizeof line);
        assert_string_equal(line, expected);
}

static void bad_limit_options(void **state)
{
        nsl_spec *s = nsl_spec_new();
        nsl_error e = { 0 };
        (void)state;
        expect_line(nsl_spec_set_memory(s, "1k", &e), &e, "nslaunch: --memory: 1k: expected a size of at least 1m, e.g. 512m or 2g, or max");
        expect_line(nsl_spec_set_memory(s, "lots", &e), &e, "nslaunch: --memory: lots: expected a size of at least 1m, e.g. 512m or 2g, or max");
        expect_line(nsl_spec_set_memory_swap(s, "0", &e), &e,
                    "nslaunch: --memory-swap: 0: expected a size (memory plus swap, as Docker), e.g. 1g, or max");
        expect_line(nsl_spec_set_cpus(s, "0", &e), &e, "nslaunch: --cpus: 0: expected a number of CPUs from 0.01 to 1024, e.g. 0.5 or 2");
        expect_line(nsl_spec_set_pids(s, "1", &e), &e,
                    "nslaunch: --pids: 1: expected a number of processes from 2 (init and the command) to 4194304, or max");
        expect_line(nsl_spec_set_limits_mode(s, "maybe", &e), &e, "nslaunch: --limits: maybe: expected strict or best-effort");
        expect_line(nsl_spec_set_status_json(s, "fd:2", &e), &e, "nslaunch: --status-json: fd:2: expected fd:N with N above 2");
        expect_line(nsl_spec_set_status_json(s, "", &e), &e, "nslaunch: --status-json: expected a file or fd:N");
        expect_line(nsl_spec_set_cgroup_parent(s, "rel", &e), &e,
                    "nslaunch: --cgroup-parent: rel: expected a cgroup path like /nslaunch, relative to the hierarchy's root, without '..'");
        expect_line(nsl_spec_set_cgroup_parent(s, "/a/../b", &e), &e,
                    "nslaunch: --cgroup-parent: /a/../b: expected a cgroup path like /nslaunch, relative to the hierarchy's root, without '..'");
        nsl_spec_free(s);
}

/* OCI cgroupsPath: absolute as given, relative under /nslaunch, systemd's
 * form and '..' refused; exact path and parent exclude each other. */
static void cgroup_path(void **state)
{
        nsl_spec *s = nsl_spec_new();
        nsl_error e = { 0 };
        char *out = NULL;
        (void)state;
        assert_int_equal(nsl_cgroup_resolve_path("/a/b/", &out, &e), 0);
        assert_string_equal(out, "/a/b");
        free(out);
        assert_int_equal(nsl_cgroup_resolve_path("ctr", &out, &e), 0);
        assert_string_equal(out, "/nslaunch/ctr");
        free(out);
        expect_line(nsl_cgroup_resolve_path("/", &out, &e), &e,
                    "nslaunch: cgroupsPath: /: expected a cgroup path like /mygroup/ctr");
        expect_line(nsl_cgroup_resolve_path("a/../../b", &out, &e), &e,
                    "nslaunch: cgroupsPath: a/../../b: expected a cgroup path without '..' or empty parts, shorter than 400 bytes");
        assert_true(nsl_cgroup_resolve_path("system.slice:cri:abc", &out, &e) < 0);
        assert_non_null(strstr(e.cause, "systemd"));
        assert_int_equal(nsl_spec_set_cgroup_path(s, "/x", &e), 0);
        expect_line(nsl_spec_set_cgroup_parent(s, "/p", &e), &e,
                    "nslaunch: --cgroup-parent: /p: an exact cgroup path is set already");
        expect_line(nsl_spec_set_cpu_shares(s, 1, &e), &e,
                    "nslaunch: cpu shares: 1: expected 2 to 262144 (1024 is the default weight)");
        expect_line(nsl_spec_set_cpuset(s, "0-3;rm", NULL, &e), &e, "nslaunch: cpuset cpus: 0-3;rm: expected a list like 0-3,6");
        assert_int_equal(nsl_spec_set_cpuset(s, "0-1,3", "0", &e), 0);
        nsl_spec_free(s);
}

/* cpu.shares to cpu.weight: both defaults, both ends, and monotonic. */
/* runc's and crun's line: 10 to 1, 1000 to 10000 */
static void blkio_to_io_weight(void **state)
{
        (void)state;
        assert_int_equal(nsl_cgroup_blkio_to_io_weight(10), 1);
        assert_int_equal(nsl_cgroup_blkio_to_io_weight(500), 4950);
        assert_int_equal(nsl_cgroup_blkio_to_io_weight(1000), 10000);
}

static void shares_to_weight(void **state)
{
        (void)state;
        assert_int_equal(nsl_cgroup_shares_to_weight(2), 1);
        assert_int_equal(nsl_cgroup_shares_to_weight(1024), 100);
        assert_int_equal(nsl_cgroup_shares_to_weight(262144), 10000);
        assert_int_equal(nsl_cgroup_shares_to_weight(512), 59);
        for (uint64_t s = 3, last = 1; s <= 262144; s += 97) {
                uint64_t w = nsl_cgroup_shares_to_weight(s);
                assert_true(w >= last && w >= 1 && w <= 10000);
                last = w;
        }
}

/* A directory with the given (empty) interface files, like a new cgroup. */
static int fake_cgroup(char *dir, const char *const *files)
{
        assert_non_null(mkdtemp(dir));
        int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        for (; *files; files++) {
                int f = openat(fd, *files, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                assert_true(f >= 0);
                close(f);
        }
        return fd;
}

static void empty_file(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        close(fd);
}

static void expect_file(int dirfd, const char *name, const char *content)
{
        char buf[256] = "";
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        assert_true(n >= 0);
        buf[n] = '\0';
        if (strcmp(buf, content))
                fail_msg("%s holds '%s', expected '%s'", name, buf, content);
}

static void cleanup_dir(char *dir, const char *const *files)
{
        for (; *files; files++) {
                char path[512];
                snprintf(path, sizeof path, "%s/%s", dir, *files);
                unlink(path);
        }
        rmdir(dir);
}

static const char *const v2_files[] = { "memory.max", "memory.swap.max", "memory.oom.group", "cpu.max", "pids.max",
                                        "cgroup.subtree_control", NULL };

static void v2_files_and_values(void **state)
{
        char dir[] = "/tmp/nsl-fake-cgroup-XXXXXX";
        int fd = fake_cgroup(dir, v2_files);
        struct nsl_cgroup_limits l = { .memory = 64 << 20, .cpu_quota_us = 25000, .cpu_period_us = 100000,
                                       .pids = 32 };
        nsl_error e = { 0 };
        (void)state;
        assert_int_equal(nsl_cgroup_v2_apply(fd, &l, &e), 0);
        expect_file(fd, "memory.max", "67108864");
        expect_file(fd, "memory.swap.max", "0");
        expect_file(fd, "memory.oom.group", "1");
        expect_file(fd, "cpu.max", "25000 100000");
        expect_file(fd, "pids.max", "32");
        assert_int_equal(nsl_cgroup_v2_enable(fd, &l, &e), 0);
        expect_file(fd, "cgroup.subtree_control", "+memory +cpu +pids");
        close(fd);
        cleanup_dir(dir, v2_files);
}

static void v2_swap_and_partial_limits(void **state)
{
        char dir[] = "/tmp/nsl-fake-cgroup-XXXXXX";
        int fd = fake_cgroup(dir, v2_files);
        struct nsl_cgroup_limits l = { .memory = 64 << 20, .memory_swap = 96 << 20 };
        struct nsl_cgroup_limits pids_only = { .pids = 5 };
        nsl_error e = { 0 };
        (void)state;
        assert_int_equal(nsl_cgroup_v2_apply(fd, &l, &e), 0);
        expect_file(fd, "memory.swap.max", "33554432");
        expect_file(fd, "cpu.max", "");
        expect_file(fd, "pids.max", "");
        close(fd);
        cleanup_dir(dir, v2_files);

        char dir2[] = "/tmp/nsl-fake-cgroup-XXXXXX";
        fd = fake_cgroup(dir2, v2_files);
        assert_int_equal(nsl_cgroup_v2_apply(fd, &pids_only, &e), 0);
        assert_int_equal(nsl_cgroup_v2_enable(fd, &pids_only, &e), 0);
        expect_file(fd, "memory.max", "");
        expect_file(fd, "pids.max", "5");
        expect_file(fd, "cgroup.subtree_control", "+pids");
        close(fd);
        cleanup_dir(dir2, v2_files);
}

/* Either of quota and period alone leaves the other as the cgroup has it:
 * a quota is written alone (the kernel keeps the period), a period with
 * the quota read back; no quota is "max". */
static void v2_cpu_quota_and_period_alone(void **state)
{
        char dir[] = "/tmp/nsl-fake-cgroup-XXXXXX";
        int fd = fake_cgroup(dir, v2_files);
        struct nsl_cgroup_limits quota = { .cpu_quota_us = 30000 }, period = { .cpu_period_us = 50000 },
                                 none = { .cpu_quota_us = NSL_CPU_QUOTA_MAX, .cpu_period_us = 1000000 };
        nsl_error e = { 0 };
        (void)state;
        assert_int_equal(nsl_cgroup_v2_apply(fd, &quota, &e), 0);
        expect_file(fd, "cpu.max", "30000");
        assert_int_equal(nsl_cgroup_v2_apply(fd, &period, &e), 0);
        expect_file(fd, "cpu.max", "30000 50000");
        assert_int_equal(nsl_cgroup_v2_apply(fd, &none, &e), 0);
        expect_file(fd, "cpu.max", "max 1000000");
        close(fd);
        cleanup_dir(dir, v2_files);
}

static void v2_missing_controller_is_an_error(void **state)
{
        static const char *const none[] = { NULL };
        char dir[] = "/tmp/nsl-fake-cgroup-XXXXXX";
        int fd = fake_cgroup(dir, none);
        struct nsl_cgroup_limits l = { .pids = 5 };
        nsl_error e = { 0 };
        (void)state;
        assert_true(nsl_cgroup_v2_apply(fd, &l, &e) < 0);
        assert_string_equal(e.object, "pids.max");
        close(fd);
        rmdir(dir);
}

static const char *const mem_files[] = { "memory.limit_in_bytes", "memory.memsw.limit_in_bytes", NULL };

static void expect_v1_memory(int fd, const struct nsl_cgroup_limits *l, const char *limit, const char *memsw)
{
        nsl_error e = { 0 };

        assert_int_equal(nsl_cgroup_v1_apply(fd, NSL_CG_MEMORY, l, &e), 0);
        expect_file(fd, "memory.limit_in_bytes", limit);
        expect_file(fd, "memory.memsw.limit_in_bytes", memsw);
}

static void v1_files_and_values(void **state)
{
        static const char *const cpu_files[] = { "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.rt_period_us",
                                                 "cpu.rt_runtime_us", NULL };
        char mdir[] = "/tmp/nsl-fake-cgroup-XXXXXX", cdir[] = "/tmp/nsl-fake-cgroup-XXXXXX";
        int mfd = fake_cgroup(mdir, mem_files), cfd = fake_cgroup(cdir, cpu_files);
        struct nsl_cgroup_limits l = { .memory = 32 << 20, .cpu_quota_us = 50000, .cpu_period_us = 100000 };
        struct nsl_cgroup_limits period = { .cpu_period_us = 600000 }, none = { .cpu_quota_us = NSL_CPU_QUOTA_MAX };
        struct nsl_cgroup_limits rt = { .cpu_rt_runtime_us = 500000, .cpu_rt_period_us = 800000 };
        nsl_error e = { 0 };
        (void)state;
        expect_v1_memory(mfd, &l, "33554432", "33554432");
        assert_int_equal(nsl_cgroup_v1_apply(cfd, NSL_CG_CPU, &l, &e), 0);
        expect_file(cfd, "cpu.cfs_period_us", "100000");
        expect_file(cfd, "cpu.cfs_quota_us", "50000");
        /* alone, each leaves the other as it is; no quota is -1 */
        assert_int_equal(nsl_cgroup_v1_apply(cfd, NSL_CG_CPU, &period, &e), 0);
        expect_file(cfd, "cpu.cfs_period_us", "600000");
        expect_file(cfd, "cpu.cfs_quota_us", "50000");
        empty_file(cfd, "cpu.cfs_quota_us");    /* a fake file: a shorter write leaves a tail */
        assert_int_equal(nsl_cgroup_v1_apply(cfd, NSL_CG_CPU, &none, &e), 0);
        expect_file(cfd, "cpu.cfs_quota_us", "-1");
        expect_file(cfd, "cpu.cfs_period_us", "600000");
        /* the realtime budget: the same pair in its own files, CFS's left alone */
        assert_int_equal(nsl_cgroup_v1_apply(cfd, NSL_CG_CPU, &rt, &e), 0);
        expect_file(cfd, "cpu.rt_runtime_us", "500000");
        expect_file(cfd, "cpu.rt_period_us", "800000");
        expect_file(cfd, "cpu.cfs_quota_us", "-1");
        close(mfd);
        close(cfd);
        cleanup_dir(mdir, mem_files);
        cleanup_dir(cdir, cpu_files);
}

/* -1 and max, each hierarchy's word for no limit; no memory limit is no
 * swap limit either unless one is given; a swap limit alone changes v1's
 * memsw alone, and has nothing to count beyond on v2. */
static void memory_and_swap_without_limit(void **state)
{
        char mdir[] = "/tmp/nsl-fake-cgroup-XXXXXX", dir[] = "/tmp/nsl-fake-cgroup-XXXXXX";
        int mfd = fake_cgroup(mdir, mem_files), fd = fake_cgroup(dir, v2_files);
        nsl_spec *s = nsl_spec_new();
        struct nsl_cgroup_limits l = { 0 }, swap_only = { .memory_swap = 96 << 20 };
        nsl_error e = { 0 };
        (void)state;
        assert_int_equal(nsl_spec_set_memory(s, "max", &e), 0);
        assert_int_equal(nsl_plan_cgroup_limits(s, &l, &e), 0);
        assert_true(l.memory == NSL_MEMORY_MAX && l.memory_swap == NSL_MEMORY_MAX);
        expect_v1_memory(mfd, &l, "-1", "-1");
        expect_v1_memory(mfd, &swap_only, "-1", "100663296");
        assert_int_equal(nsl_cgroup_v2_apply(fd, &l, &e), 0);
        expect_file(fd, "memory.max", "max");
        expect_file(fd, "memory.swap.max", "max");
        expect_line(nsl_cgroup_v2_apply(fd, &swap_only, &e), &e,
                    "nslaunch: cgroup: memory.swap.max: cgroup v2 counts swap alone: "
                    "a memory-plus-swap limit needs the memory limit with it");
        nsl_spec_free(s);
        close(mfd);
        close(fd);
        cleanup_dir(mdir, mem_files);
        cleanup_dir(dir, v2_files);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(cpus),
                cmocka_unit_test(rlimits),
                cmocka_unit_test(bad_rlimits),
                cmocka_unit_test(bad_limit_options),
                cmocka_unit_test(cgroup_path),
                cmocka_unit_test(shares_to_weight),
                cmocka_unit_test(blkio_to_io_weight),
                cmocka_unit_test(v2_files_and_values),
                cmocka_unit_test(v2_swap_and_partial_limits),
                cmocka_unit_test(v2_cpu_quota_and_period_alone),
                cmocka_unit_test(v2_missing_controller_is_an_error),
                cmocka_unit_test(v1_files_and_values),
                cmocka_unit_test(memory_and_swap_without_limit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Each option's bad input and the one line it is reported with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "nslaunch.h"
#include "spec.h"

static void expect_line(int r, const nsl_error *e, const char *line_expected)
{
        char line[1200];
        assert_true(r < 0);
        assert_int_equal(e->exit_code, NSL_EXIT_LAUNCHER);
        nsl_error_format(e, line, sizeof line);
        assert_string_equal(line, line_expected);
}

static void bad_option_values(void **state)
{
        nsl_spec *s = nsl_spec_new();
        nsl_error e = { 0 };
        (void)state;
        assert_non_null(s);
        expect_line(nsl_spec_set_network(s, "bridge", &e), &e, "nslaunch: --network: bridge: expected none, private or host");
        expect_line(nsl_spec_set_uid(s, "-1", &e), &e, "nslaunch: --uid: -1: expected a number from 0 to 4294967294");
        expect_line(nsl_spec_set_gid(s, "4294967295", &e), &e,
                    "nslaunch: --gid: 4294967295: expected a number from 0 to 4294967294");
        expect_line(nsl_spec_set_host_uid(s, "root", &e), &e,
                    "nslaunch: --host-uid: root: expected a number from 0 to 4294967294");
        expect_line(nsl_spec_set_hostname(s, "a b", &e), &e,
                    "nslaunch: --hostname: a b: only letters, digits, '-' and '.' are allowed");
        expect_line(nsl_spec_set_hostname(s, "", &e), &e, "nslaunch: --hostname: must be 1 to 64 characters");
        expect_line(nsl_spec_set_proc(s, "none", &e), &e, "nslaunch: --proc: none: expected pid or full");
        expect_line(nsl_spec_add_env(s, "1X=2", &e), &e,
                    "nslaunch: --env: 1X=2: expected KEY=VALUE with KEY made of letters, digits and '_'");
        expect_line(nsl_spec_set_cwd(s, "tmp", &e), &e, "nslaunch: --cwd: tmp: must be an absolute path inside the sandbox");
        expect_line(nsl_spec_add_cap(s, "CAP_FLY", &e), &e, "nslaunch: --cap-add: CAP_FLY: unknown capability");
        expect_line(nsl_spec_add_keep_fd(s, "2", &e), &e, "nslaunch: --keep-fd: 2: 0, 1 and 2 are always passed");
        expect_line(nsl_spec_add_keep_fd(s, "x", &e), &e, "nslaunch: --keep-fd: x: expected a file descriptor number");
        expect_line(nsl_spec_set_timeout(s, "0", &e), &e,
                    "nslaunch: --timeout: 0: expected seconds greater than 0, e.g. 30 or 0.5");
        expect_line(nsl_spec_set_kill_after(s, "soon", &e), &e, "nslaunch: --kill-after: soon: expected seconds, e.g. 2 or 0.5");
        expect_line(nsl_spec_set_seccomp(s, "", &e), &e,
                    "nslaunch: --seccomp: expected default, unconfined or a profile file");
        expect_line(nsl_spec_set_seccomp_bpf(s, "", &e), &e, "nslaunch: --seccomp-bpf: expected a compiled filter file");
        expect_line(nsl_spec_set_seccomp_cache(s, "cache", &e), &e,
                    "nslaunch: --seccomp-cache: cache: expected an absolute directory or off");
        expect_line(nsl_spec_set_console_socket(s, 1, &e), &e,
                    "nslaunch: console-socket: 1: must be a file descriptor above 2");
        expect_line(nsl_spec_set_console_size(s, 70000, 80, &e), &e,
                    "nslaunch: console-size: 70000x80: at most 65535 rows and columns");
        expect_line(nsl_spec_set_rootfs(s, "img", &e), &e, "nslaunch: --rootfs: img: must be an absolute path");
        expect_line(nsl_spec_add_bind(s, "/x:/proc/sys", false, &e), &e,
                    "nslaunch: --bind: /proc/sys: /proc belongs to the sandbox's own procfs");
        expect_line(nsl_spec_add_tmpfs(s, "/proc", &e), &e,
                    "nslaunch: --tmpfs: /proc: /proc belongs to the sandbox's own procfs");
        nsl_spec_free(s);
}

static void good_values_land_in_the_spec(void **state)
{
        nsl_spec *s = nsl_spec_new();
        nsl_error e = { 0 };
        char *argv[] = { "python3", "plugin.py", NULL };
        (void)state;
        assert_string_equal(s->hostname, "sandbox");
        assert_string_equal(s->cwd, "/");
        assert_int_equal(s->kill_after_ms, 2000);
        assert_int_equal(nsl_spec_set_command(s, argv, &e), 0);
        assert_string_equal(s->argv[1], "plugin.py");
        assert_null(s->argv[2]);
        assert_int_equal(nsl_spec_add_cap(s, "net_bind_service", &e), 0);
        assert_int_equal(nsl_spec_add_cap(s, "CAP_SYS_CHROOT", &e), 0);
        assert_int_equal(s->caps, (1ULL << 10) | (1ULL << 18));
        assert_int_equal(nsl_spec_set_timeout(s, "1.5", &e), 0);
        assert_int_equal(s->timeout_ms, 1500);
        assert_int_equal(nsl_spec_add_keep_fd(s, "7", &e), 0);
        assert_int_equal(nsl_spec_add_keep_fd(s, "7", &e), 0);
        assert_int_equal(s->n_keep_fds, 1);
        assert_int_equal(nsl_spec_add_tmpfs(s, "/scratch:size=2m", &e), 0);
        assert_int_equal(nsl_spec_add_bind(s, "/srv/plugins:/usr/local/plugins:ro", false, &e), 0);
        assert_int_equal(s->n_mounts, 2);
        assert_true(s->mounts[1].read_only);
        assert_int_equal(nsl_spec_set_network(s, "host", &e), 0);
        assert_true(s->network_host);
        nsl_spec_free(s);
}

static void device_rules_in_the_kernels_words(void **state)
{
        nsl_spec *s = nsl_spec_new();
        nsl_error e = { 0 };
        (void)state;
        assert_int_equal(nsl_spec_add_device_rule(s, false, 'a', -1, -1, "rwm", &e), 0);
        assert_int_equal(nsl_spec_add_device_rule(s, true, 'c', 136, -1, "wr", &e), 0);
        assert_int_equal(nsl_spec_add_device_rule(s, true, 'b', 4294967295, 0, "m", &e), 0);
        assert_int_equal(s->n_device_rules, 3);
        assert_false(s->device_rules[0].allow);
        assert_true(s->device_rules[1].allow);
        for (size_t i = 0; i < 3; i++) {
                static const char *const lines[] = { "a *:* rwm", "c 136:* rw", "b 4294967295:0 m" };
                char line[40];
                nsl_device_rule_format(&s->device_rules[i], line, sizeof line);
                assert_string_equal(line, lines[i]);
        }
        expect_line(nsl_spec_add_device_rule(s, true, 'u', 1, 3, "r", &e), &e,
                    "nslaunch: device rule: u 1:3 r: expected type a (all), c or b");
        expect_line(nsl_spec_add_device_rule(s, true, 'c', 1, 3, "", &e), &e,
                    "nslaunch: device rule: c 1:3 : expected an access of r, w and m, each once");
        expect_line(nsl_spec_add_device_rule(s, true, 'c', 1, 3, "rwmr", &e), &e,
                    "nslaunch: device rule: c 1:3 rwmr: expected an access of r, w and m, each once");
        expect_line(nsl_spec_add_device_rule(s, true, 'c', 4294967296, 3, "r", &e), &e,
                    "nslaunch: device rule: c 4294967296:3 r: expected major and minor numbers, or -1 for any");
        expect_line(nsl_spec_add_device_rule(s, true, 'a', 1, -1, "rwm", &e), &e,
                    "nslaunch: device rule: a 1:-1 rwm: a rule for all devices covers every number and access "
                    "(-1, -1, rwm)");
        while (s->n_device_rules < NSL_DEVICE_RULES_MAX)
                assert_int_equal(nsl_spec_add_device_rule(s, true, 'c', 1, 3, "r", &e), 0);
        expect_line(nsl_spec_add_device_rule(s, true, 'c', 1, 3, "r", &e), &e,
                    "nslaunch: device rule: c 1:3 r: more than 128 rules");
        assert_int_equal(s->n_device_rules, NSL_DEVICE_RULES_MAX);
        nsl_spec_free(s);
}

/* Each name once, in the order first set; a name set again keeps its
 * place with the new value. */
static void cgroup_v2_files_named_once(void **state)
{
        nsl_spec *s = nsl_spec_new();
        nsl_error e = { 0 };
        char long_value[NSL_CGROUP_FILE_VALUE_MAX + 2];
        (void)state;
        assert_int_equal(nsl_spec_set_cgroup_v2_file(s, "memory.high", "1M", &e), 0);
        assert_int_equal(nsl_spec_set_cgroup_v2_file(s, "io.weight", "default 50", &e), 0);
        assert_int_equal(nsl_spec_set_cgroup_v2_file(s, "memory.high", "max", &e), 0);
        assert_int_equal(nsl_spec_set_cgroup_v2_file(s, "cgroup.max.depth", "2", &e), 0);
        assert_int_equal(s->n_cgroup_v2_files, 3);
        assert_string_equal(s->cgroup_v2_files[0], "memory.high=max");
        assert_string_equal(s->cgroup_v2_files[1], "io.weight=default 50");
        assert_string_equal(s->cgroup_v2_files[2], "cgroup.max.depth=2");
        assert_null(s->cgroup_v2_files[3]);
        expect_line(nsl_spec_set_cgroup_v2_file(s, "cgroup.threads", "1", &e), &e,
                    "nslaunch: --cgroup-file: cgroup.threads: nslaunch's own: it moves, freezes or ends the sandbox's "
                    "processes, or changes how the cgroup hands controllers down");
        expect_line(nsl_spec_set_cgroup_v2_file(s, "Memory.high", "1", &e), &e,
                    "nslaunch: --cgroup-file: Memory.high: not a cgroup interface file name (CONTROLLER.FILE: a-z, 0-9, "
                    "'_' and inner dots)");
        expect_line(nsl_spec_set_cgroup_v2_file(s, "memory..high", "1", &e), &e, "nslaunch: --cgroup-file: memory..high: "
                    "not a cgroup interface file name (CONTROLLER.FILE: a-z, 0-9, '_' and inner dots)");
        expect_line(nsl_spec_set_cgroup_v2_file(s, ".high", "1", &e), &e, "nslaunch: --cgroup-file: .high: "
                    "not a cgroup interface file name (CONTROLLER.FILE: a-z, 0-9, '_' and inner dots)");
        expect_line(nsl_spec_set_cgroup_v2_file(s, "memory.", "1", &e), &e, "nslaunch: --cgroup-file: memory.: "
                    "not a cgroup interface file name (CONTROLLER.FILE: a-z, 0-9, '_' and inner dots)");
        expect_line(nsl_spec_set_cgroup_v2_file(s, "memory.high", "1\t2", &e), &e,
                    "nslaunch: --cgroup-file: memory.high: the value holds a control character (one line, written as "
                    "it is)");
        memset(long_value, '1', sizeof long_value - 1);
        long_value[sizeof long_value - 1] = '\0';
        expect_line(nsl_spec_set_cgroup_v2_file(s, "memory.high", long_value, &e), &e,
                    "nslaunch: --cgroup-file: memory.high: the value must be at most 4096 bytes");
        expect_line(nsl_spec_set_cgroup_v2_file(s, NULL, "1", &e), &e, "nslaunch: --cgroup-file: no name");
        assert_int_equal(s->n_cgroup_v2_files, 3);
        nsl_spec_free(s);
}

/* Each page size once, in the order first set; the kernel's unit names. */
static void hugepage_limits_by_size(void **state)
{
        nsl_spec *s = nsl_spec_new();
        nsl_error e = { 0 };
        static const char *const bad[] = { "2M", "2mb", "MB", "02MB", "2 MB", "123456MB", "" };
        (void)state;
        assert_int_equal(nsl_spec_set_hugepage_limit(s, "2MB", 0, &e), 0);
        assert_int_equal(nsl_spec_set_hugepage_limit(s, "1GB", 4 << 20, &e), 0);
        assert_int_equal(nsl_spec_set_hugepage_limit(s, "2MB", 8 << 20, &e), 0);
        assert_int_equal(s->n_hugepages, 2);
        assert_string_equal(s->hugepages[0].size, "2MB");
        assert_int_equal(s->hugepages[0].bytes, 8 << 20);
        assert_string_equal(s->hugepages[1].size, "1GB");
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                char line[200];
                snprintf(line, sizeof line, "nslaunch: hugepage limit: %s: expected a page size like 2MB or 1GB", bad[i]);
                if (!bad[i][0])
                        snprintf(line, sizeof line, "nslaunch: hugepage limit: expected a page size like 2MB or 1GB");
                expect_line(nsl_spec_set_hugepage_limit(s, bad[i], 0, &e), &e, line);
        }
        for (unsigned kb = 1; s->n_hugepages < 8; kb++) {
                char size[16];
                snprintf(size, sizeof size, "%uKB", kb % 10);
                assert_int_equal(nsl_spec_set_hugepage_limit(s, size, 0, &e), 0);
        }
        expect_line(nsl_spec_set_hugepage_limit(s, "9KB", 0, &e), &e, "nslaunch: hugepage limit: 9KB: more than 8 page sizes");
        assert_int_equal(nsl_spec_set_hugepage_limit(s, "1GB", 0, &e), 0);    /* a size it has: replaced */
        nsl_spec_free(s);
}

/* exec --cgroup: below the container's cgroup, a path for every hierarchy
 * alone, each controller once. */
static void exec_cgroups_below_the_containers(void **state)
{
        nsl_spec *s = nsl_spec_new();
        nsl_error e = { 0 };
        (void)state;
        assert_non_null(s);
        expect_line(nsl_spec_set_exec_cgroup(s, NULL, "..", &e), &e,
                    "nslaunch: --cgroup: ..: not a path below the container's cgroup");
        expect_line(nsl_spec_set_exec_cgroup(s, "memory", "a/../../b", &e), &e,
                    "nslaunch: --cgroup: a/../../b: not a path below the container's cgroup");
        expect_line(nsl_spec_set_exec_cgroup(s, "Memory", "a", &e), &e,
                    "nslaunch: --cgroup: Memory: not a controller name");
        assert_int_equal(nsl_spec_set_exec_cgroup(s, "memory", "/a/..b/c", &e), 0);
        assert_int_equal(nsl_spec_set_exec_cgroup(s, "name=systemd", "a", &e), 0);
        expect_line(nsl_spec_set_exec_cgroup(s, "memory", "d", &e), &e,
                    "nslaunch: --cgroup: memory: the controller is named twice");
        expect_line(nsl_spec_set_exec_cgroup(s, NULL, "d", &e), &e,
                    "nslaunch: --cgroup: d: a path for every controller is given alone");
        assert_int_equal(s->n_exec_cgroups, 2);
        assert_string_equal(s->exec_cgroups[0], "memory:a/..b/c");
        assert_string_equal(s->exec_cgroups[1], "name=systemd:a");
        nsl_spec_free(s);

        s = nsl_spec_new();
        assert_non_null(s);
        assert_int_equal(nsl_spec_set_exec_cgroup(s, NULL, "/", &e), 0);
        expect_line(nsl_spec_set_exec_cgroup(s, "cpu", "d", &e), &e,
                    "nslaunch: --cgroup: d: a path for every controller is given alone");
        assert_string_equal(s->exec_cgroups[0], ":");
        nsl_spec_free(s);
}

static void empty_command_is_refused(void **state)
{
        nsl_spec *s = nsl_spec_new();
        nsl_error e = { 0 };
        char *none[] = { NULL };
        char *empty[] = { "", NULL };
        (void)state;
        assert_true(nsl_spec_set_command(s, none, &e) < 0);
        assert_true(nsl_spec_set_command(s, empty, &e) < 0);
        assert_string_equal(e.what, "run");
        nsl_spec_free(s);
}

/* The OCI-bundle setters: the namespaced sysctls only, map lines that
 * neither overlap nor reach (uid_t)-1, and what lands in the spec. */
static void bundle_setters(void **state)
{
        nsl_spec *s = nsl_spec_new();
        nsl_error e = { 0 };
        (void)state;
        assert_non_null(s);
        expect_line(nsl_spec_add_sysctl(s, "kernel.shmmaxx", &e), &e, "nslaunch: sysctl: kernel.shmmaxx: expected KEY=VALUE");
        expect_line(nsl_spec_add_sysctl(s, "kernel.sem_x=1", &e), &e,
                    "nslaunch: sysctl: kernel.sem_x=1: kernel.sem_x is not namespaced (only net.*, kernel.shm*, "
                    "kernel.msg*, kernel.sem, fs.mqueue.* and user.* belong to the sandbox)");
        expect_line(nsl_spec_add_sysctl(s, "users.max=1", &e), &e,
                    "nslaunch: sysctl: users.max=1: users.max is not namespaced (only net.*, kernel.shm*, "
                    "kernel.msg*, kernel.sem, fs.mqueue.* and user.* belong to the sandbox)");
        expect_line(nsl_spec_add_sysctl(s, "net./x=1", &e), &e, "nslaunch: sysctl: net./x=1: not a sysctl name");
        expect_line(nsl_spec_add_sysctl(s, "net.=1", &e), &e, "nslaunch: sysctl: net.=1: not a sysctl name");
        assert_int_equal(nsl_spec_add_sysctl(s, "kernel.sem=250 32000 32 128", &e), 0);
        assert_int_equal(nsl_spec_add_sysctl(s, "fs.mqueue.msg_max=20", &e), 0);
        assert_int_equal(s->n_sysctls, 2);

        assert_int_equal(nsl_spec_add_id_map(s, 'u', 0, 0, 4294967295U, &e), 0);
        expect_line(nsl_spec_add_id_map(s, 'u', 0, 0, 4294967295U, &e), &e,
                    "nslaunch: uid-map: 0 0 4294967295: overlaps an earlier line");
        expect_line(nsl_spec_add_id_map(s, 'g', 1, 0, 4294967295U, &e), &e,
                    "nslaunch: gid-map: 1 0 4294967295: empty, or past the last id 4294967294");
        expect_line(nsl_spec_add_id_map(s, 'x', 1, 0, 1, &e), &e, "nslaunch: id-map: 1 0 1: kind must be 'u' or 'g'");
        assert_int_equal(s->n_uid_maps, 1);
        assert_int_equal(s->n_gid_maps, 0);

        expect_line(nsl_spec_add_masked_path(s, "/a/../b", &e), &e,
                    "nslaunch: masked-path: /a/../b: expected an absolute path inside the sandbox, without '..'");
        assert_int_equal(nsl_spec_add_readonly_path(s, "//proc//sys", &e), 0);
        assert_string_equal(s->readonly_paths[0], "/proc/sys");
        expect_line(nsl_spec_set_network_ns(s, "run/netns/x", &e), &e,
                    "nslaunch: network-ns: run/netns/x: expected an absolute path");
        expect_line(nsl_spec_set_umask(s, 01022, &e), &e, "nslaunch: umask: 1022: only permission bits (0 to 0777)");
        expect_line(nsl_spec_set_oom_score_adj(s, -1001, &e), &e,
                    "nslaunch: oom-score-adj: -1001: must be from -1000 to 1000");
        assert_int_equal(nsl_spec_add_group(s, 27, &e), 0);
        assert_int_equal(nsl_spec_add_group(s, 27, &e), 0);
        assert_int_equal(s->n_groups, 1);
        nsl_spec_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(bad_option_values),
                cmocka_unit_test(good_values_land_in_the_spec),
                cmocka_unit_test(device_rules_in_the_kernels_words),
                cmocka_unit_test(cgroup_v2_files_named_once),
                cmocka_unit_test(hugepage_limits_by_size),
                cmocka_unit_test(exec_cgroups_below_the_containers),
                cmocka_unit_test(empty_command_is_refused),
                cmocka_unit_test(bundle_setters),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

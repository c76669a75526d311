/* The Landlock rules a plan derives from its mount tree: what each path of
 * the sandbox ends up with (the union of the rules at and above it). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "landlock.h"
#include "nslaunch.h"
#include "plan.h"
#include "spec.h"

#define READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define EXEC LANDLOCK_ACCESS_FS_EXECUTE
#define WRITE (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG)

static struct nsl_host fake_host(void)
{
        struct nsl_host host = { .euid = geteuid(), .egid = getegid(), .root = nsl_host_root() };

        for (int i = 0; i < RLIM_NLIMITS; i++)
                host.rlimits[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
        host.entries[host.n_entries++] = (struct nsl_host_entry){ .name = "usr" };
        host.entries[host.n_entries++] = (struct nsl_host_entry){ .name = "etc" };
        host.entries[host.n_entries++] = (struct nsl_host_entry){ .name = "bin", .link_target = "usr/bin" };
        return host;
}

/* options: pairs of option and value, NULL-terminated */
static void build(struct nsl_plan *plan, const char *const *options)
{
        char *argv[] = { "/bin/true", NULL };
        nsl_spec *spec = nsl_spec_new();
        struct nsl_host host = fake_host();
        nsl_error e = { 0 };

        if (nsl_landlock_kernel_abi() < 2)
                skip();
        assert_int_equal(nsl_spec_set_command(spec, argv, &e), 0);
        for (; options && options[0]; options += 2) {
                const char *o = options[0], *v = options[1];
                int r = !strcmp(o, "--tmpfs")            ? nsl_spec_add_tmpfs(spec, v, &e)
                        : !strcmp(o, "--bind")           ? nsl_spec_add_bind(spec, v, false, &e)
                        : !strcmp(o, "--ro-bind")        ? nsl_spec_add_bind(spec, v, true, &e)
                        : !strcmp(o, "--rootfs")         ? nsl_spec_set_rootfs(spec, v, &e)
                        : !strcmp(o, "--landlock")       ? nsl_spec_set_landlock(spec, v, &e)
                        : !strcmp(o, "--network")        ? nsl_spec_set_network(spec, v, &e)
                        : !strcmp(o, "--rw-root")        ? (nsl_spec_set_rw_root(spec, true), 0)
                        : !strcmp(o, "--allow-exec-writable") ? (nsl_spec_set_allow_exec_writable(spec, true), 0)
                                                         : -1;
                assert_int_equal(r, 0);
        }
        assert_int_equal(nsl_plan_build(spec, &host, plan, &e), 0);
        nsl_spec_free(spec);
}

static bool at_or_under(const char *path, const char *dir)
{
        size_t len = strlen(dir);
        return !strcmp(dir, "/") || (!strncmp(path, dir, len) && (path[len] == '/' || !path[len]));
}

static uint64_t access_at(const struct nsl_plan *plan, const char *path)
{
        uint64_t access = 0;

        for (size_t i = 0; i < plan->landlock.n_rules; i++)
                if (at_or_under(path, plan->landlock.rules[i].path))
                        access |= plan->landlock.rules[i].access;
        return access;
}

static bool has(const struct nsl_plan *plan, const char *path, uint64_t access)
{
        return (access_at(plan, path) & access) == access;
}

static void default_root_reads_everywhere_executes_only_read_only_mounts(void **state)
{
        struct nsl_plan plan;
        (void)state;
        build(&plan, NULL);
        assert_true(plan.landlock.abi >= 2);
        assert_true(has(&plan, "/", READ));
        assert_false(has(&plan, "/", EXEC));
        assert_true(has(&plan, "/usr/bin/python3", READ | EXEC));
        assert_true(has(&plan, "/etc/passwd", READ));
        assert_true(has(&plan, "/tmp/x", READ | WRITE | LANDLOCK_ACCESS_FS_REFER));
        assert_false(has(&plan, "/tmp/x", EXEC));
        assert_true(has(&plan, "/dev/shm/sem.x", READ | WRITE));
        assert_false(has(&plan, "/dev/shm/sem.x", EXEC));
        assert_true(has(&plan, "/dev/null", LANDLOCK_ACCESS_FS_WRITE_FILE));
        assert_false(has(&plan, "/dev/null", EXEC));
        assert_true(has(&plan, "/proc/self/status", READ));
        assert_false(has(&plan, "/proc/self/comm", LANDLOCK_ACCESS_FS_WRITE_FILE));
        /* the nodes are written, nothing new is made beside them */
        assert_false(has(&plan, "/dev/mqueue/q", LANDLOCK_ACCESS_FS_MAKE_REG));
        assert_false(has(&plan, "/dev/x", LANDLOCK_ACCESS_FS_MAKE_REG));
        assert_false(has(&plan, "/dev/x", LANDLOCK_ACCESS_FS_MAKE_CHAR));
        assert_true(has(&plan, "/dev/pts/0", LANDLOCK_ACCESS_FS_IOCTL_DEV) || plan.landlock.abi < 5);
        assert_false(has(&plan, "/dev/null", LANDLOCK_ACCESS_FS_IOCTL_DEV));
        assert_false(has(&plan, "/home", LANDLOCK_ACCESS_FS_WRITE_FILE));
        nsl_plan_free(&plan);
}

static void allow_exec_writable_executes_under_tmp(void **state)
{
        static const char *const options[] = { "--allow-exec-writable", "", NULL };
        struct nsl_plan plan;
        (void)state;
        build(&plan, options);
        assert_true(has(&plan, "/tmp/x", READ | WRITE | EXEC));
        nsl_plan_free(&plan);
}

static void off_plans_nothing(void **state)
{
        static const char *const options[] = { "--landlock", "off", NULL };
        struct nsl_plan plan;
        (void)state;
        build(&plan, options);
        assert_int_equal(plan.landlock.abi, 0);
        assert_int_equal(plan.landlock.n_rules, 0);
        nsl_plan_free(&plan);
}

static void make_dirs(char *top, const char *const *names)
{
        char path[4096];
        /* build() would skip, after the directory is made: skip before */
        if (nsl_landlock_kernel_abi() < 2)
                skip();
        assert_non_null(mkdtemp(top));
        for (; *names; names++) {
                snprintf(path, sizeof path, "%s/%s", top, *names);
                assert_int_equal(mkdir(path, 0755), 0);
        }
}

/* No plan of allowed ports yet: loopback TCP in the private network stays
 * open, the host's network is the host's. */
static void tcp_is_left_unhandled(void **state)
{
        static const char *const host[] = { "--network", "host", NULL };
        struct nsl_plan plan;
        (void)state;
        build(&plan, NULL);
        assert_int_equal(plan.landlock.handled.handled_access_net, 0);
        nsl_plan_free(&plan);
        build(&plan, host);
        assert_int_equal(plan.landlock.handled.handled_access_net, 0);
        nsl_plan_free(&plan);
}

/* A writable image root: its entries are written and executed, /tmp is
 * written only; new files at the top can be written (not executed). */
static void rw_root_writes_everywhere_executes_its_entries(void **state)
{
        static const char *const dirs[] = { "usr", "tmp", "proc", "dev", NULL };
        char top[] = "/tmp/nsl-landlock-XXXXXX", cmd[4200];
        struct nsl_plan plan;
        (void)state;
        make_dirs(top, dirs);
        const char *const options[] = { "--rootfs", top, "--rw-root", "", NULL };
        build(&plan, options);
        assert_true(has(&plan, "/newfile", READ | WRITE));
        assert_false(has(&plan, "/newfile", EXEC));
        assert_true(has(&plan, "/usr/bin/x", READ | WRITE | EXEC));
        assert_false(has(&plan, "/tmp/x", EXEC));
        assert_false(has(&plan, "/proc/self/exe", EXEC));
        nsl_plan_free(&plan);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
        assert_int_equal(system(cmd), 0);
}

/* An image's root is read-only and executable but for the mounts in it:
 * its entries get the grant one by one, around /tmp, /proc and /dev. */
static void rootfs_entries_execute_around_writable_mounts(void **state)
{
        static const char *const dirs[] = { "usr", "usr/bin", "opt", "opt/lib", "tmp", "proc", "dev", NULL };
        char top[] = "/tmp/nsl-landlock-XXXXXX", link[4096], cmd[4200];
        struct nsl_plan plan;
        (void)state;
        make_dirs(top, dirs);
        snprintf(link, sizeof link, "%s/bin", top);
        assert_int_equal(symlink("usr/bin", link), 0);
        const char *const options[] = { "--rootfs", top, "--tmpfs", "/opt/cache", NULL };
        build(&plan, options);
        assert_true(has(&plan, "/", READ));
        assert_false(has(&plan, "/", EXEC));
        assert_true(has(&plan, "/usr/bin/sh", READ | EXEC));
        assert_true(has(&plan, "/opt/lib/x", READ | EXEC));
        assert_true(has(&plan, "/opt/cache/x", READ | WRITE));
        assert_false(has(&plan, "/opt/cache/x", EXEC));
        assert_false(has(&plan, "/tmp/x", EXEC));
        assert_false(has(&plan, "/proc/1/comm", EXEC));
        assert_false(has(&plan, "/proc/1/comm", LANDLOCK_ACCESS_FS_WRITE_FILE));
        for (size_t i = 0; i < plan.landlock.n_rules; i++)
                assert_string_not_equal(plan.landlock.rules[i].path, "/bin");
        nsl_plan_free(&plan);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
        assert_int_equal(system(cmd), 0);
}

/* A writable bind inside a read-only one: the read-only one's entries are
 * executable, the writable one is not. */
static void writable_bind_inside_read_only_bind(void **state)
{
        static const char *const dirs[] = { "bin", "out", NULL };
        char top[] = "/tmp/nsl-landlock-XXXXXX", ro[4200], rw[4200], cmd[4200];
        struct nsl_plan plan;
        (void)state;
        make_dirs(top, dirs);
        snprintf(ro, sizeof ro, "%s:/srv", top);
        snprintf(rw, sizeof rw, "%s/out:/srv/out", top);
        const char *const options[] = { "--ro-bind", ro, "--bind", rw, NULL };
        build(&plan, options);
        assert_true(has(&plan, "/srv/bin/tool", READ | EXEC));
        assert_true(has(&plan, "/srv/out/x", READ | WRITE));
        assert_false(has(&plan, "/srv/out/x", EXEC));
        assert_false(has(&plan, "/srv/bin/tool", LANDLOCK_ACCESS_FS_WRITE_FILE));
        nsl_plan_free(&plan);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
        assert_int_equal(system(cmd), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(default_root_reads_everywhere_executes_only_read_only_mounts),
                cmocka_unit_test(allow_exec_writable_executes_under_tmp),
                cmocka_unit_test(off_plans_nothing),
                cmocka_unit_test(tcp_is_left_unhandled),
                cmocka_unit_test(rootfs_entries_execute_around_writable_mounts),
                cmocka_unit_test(writable_bind_inside_read_only_bind),
                cmocka_unit_test(rw_root_writes_everywhere_executes_its_entries),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

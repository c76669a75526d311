/* nsl_plan_build against fake hosts: what a plan decides from a spec and the
 * host facts alone, and that it keeps nothing of either once built. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "nslaunch.h"
#include "plan.h"
#include "seccomp/filter.h"
#include "spec.h"

static struct nsl_host fake_host(uid_t euid, gid_t egid)
{
        struct nsl_host host = { .euid = euid, .egid = egid, .root = euid == 0, .maps_ids = euid == 0 };

        for (int i = 0; i < RLIM_NLIMITS; i++)
                host.rlimits[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
        host.entries[host.n_entries++] = (struct nsl_host_entry){ .name = "usr" };
        host.entries[host.n_entries++] = (struct nsl_host_entry){ .name = "etc" };
        host.entries[host.n_entries++] = (struct nsl_host_entry){ .name = "bin", .link_target = "usr/bin" };
        return host;
}

static nsl_spec *spec_of(const char *const *options)
{
        char *argv[] = { "/bin/true", NULL };
        nsl_spec *spec = nsl_spec_new();
        nsl_error e = { 0 };

        assert_non_null(spec);
        assert_int_equal(nsl_spec_set_command(spec, argv, &e), 0);
        for (; options && options[0]; options += 2) {
                int r = !strcmp(options[0], "--tmpfs")   ? nsl_spec_add_tmpfs(spec, options[1], &e)
                        : !strcmp(options[0], "--bind")  ? nsl_spec_add_bind(spec, options[1], false, &e)
                        : !strcmp(options[0], "--uid")   ? nsl_spec_set_uid(spec, options[1], &e)
                        : !strcmp(options[0], "--memory") ? nsl_spec_set_memory(spec, options[1], &e)
                        : !strcmp(options[0], "--pids")  ? nsl_spec_set_pids(spec, options[1], &e)
                        : !strcmp(options[0], "--rlimit") ? nsl_spec_add_rlimit(spec, options[1], &e)
                        : !strcmp(options[0], "--seccomp") ? nsl_spec_set_seccomp(spec, options[1], &e)
                        : !strcmp(options[0], "--host-uid") ? nsl_spec_set_host_uid(spec, options[1], &e)
                        : -1;
                assert_int_equal(r, 0);
        }
        return spec;
}

static const struct nsl_rlimit *rlimit_of(const struct nsl_rlimits *list, int resource)
{
        for (size_t i = 0; i < list->n; i++)
                if (list->v[i].resource == resource)
                        return &list->v[i];
        return NULL;
}

static void root_maps_the_sandbox_to_the_overflow_user(void **state)
{
        struct nsl_host host = fake_host(0, 0);
        nsl_spec *spec = spec_of(NULL);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        (void)state;

        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), 0);
        assert_false(plan.rootless);
        assert_int_equal(plan.uid, 0);
        assert_int_equal(plan.host_uid, 65534);
        assert_int_equal(plan.host_gid, 65534);
        assert_true(plan.clone_flags & CLONE_NEWUSER);
        nsl_plan_free(&plan);
        nsl_spec_free(spec);
}

/* lo alone comes with init's clone3; a private network's namespace is the
 * helper's (sandbox/network.c), the host's is nobody's to make */
static void only_a_network_of_lo_alone_comes_with_the_clone(void **state)
{
        static const char *const modes[] = { "none", "private", "host" };
        static const bool at_clone[] = { true, false, false };
        struct nsl_host host = fake_host(0, 0);
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                nsl_spec *spec = spec_of(NULL);
                struct nsl_plan plan;
                nsl_error e = { 0 };

                assert_int_equal(nsl_spec_set_network(spec, modes[i], &e), 0);
                assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), 0);
                assert_int_equal(!!(plan.clone_flags & CLONE_NEWNET), at_clone[i]);
                assert_int_equal(nsl_network_own(&plan), i < 2);
                nsl_plan_free(&plan);
                nsl_spec_free(spec);
        }
}

/* exec --cgroup goes below a running sandbox's cgroup: a launch, which
 * makes that cgroup, refuses it; an exec's plan keeps it. */
static void a_cgroup_below_the_sandboxs_is_for_exec_alone(void **state)
{
        struct nsl_host host = fake_host(0, 0);
        nsl_spec *spec = spec_of(NULL);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        char line[1200];
        (void)state;

        assert_int_equal(nsl_spec_set_exec_cgroup(spec, "memory", "below", &e), 0);
        assert_true(nsl_plan_build(spec, &host, &plan, &e) < 0);
        nsl_plan_free(&plan);
        nsl_error_format(&e, line, sizeof line);
        assert_string_equal(line, "nslaunch: --cgroup: memory:below: a cgroup below the container's is for exec, "
                                  "not for a launch");
        host.joining = true;
        e = (nsl_error){ 0 };
        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), 0);
        assert_int_equal(plan.n_exec_cgroups, 1);
        assert_string_equal(plan.exec_cgroups[0], "memory:below");
        nsl_spec_free(spec);
        assert_string_equal(plan.exec_cgroups[0], "memory:below");
        nsl_plan_free(&plan);
}

static void root_maps_the_sandbox_to_its_reserved_ids_unless_both_are_given(void **state)
{
        struct nsl_host host = fake_host(0, 0);
        const char *const uid_only[] = { "--host-uid", "5000", NULL };
        nsl_spec *spec = spec_of(NULL), *half = spec_of(uid_only);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        (void)state;

        assert_true(nsl_plan_takes_host_ids(spec, &host));
        assert_true(nsl_plan_takes_host_ids(half, &host));
        host.ids_reserved = true;
        host.reserved_uid = 1879048193;
        host.reserved_gid = 1879048194;
        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), 0);
        assert_int_equal(plan.host_uid, 1879048193);
        assert_int_equal(plan.host_gid, 1879048194);
        assert_int_equal(plan.uid_maps[0].outside, 1879048193);
        nsl_plan_free(&plan);
        assert_int_equal(nsl_plan_build(half, &host, &plan, &e), 0);
        assert_int_equal(plan.host_uid, 5000);
        assert_int_equal(plan.host_gid, 1879048194);
        nsl_plan_free(&plan);
        assert_int_equal(nsl_spec_set_host_gid(half, "5000", &e), 0);
        assert_false(nsl_plan_takes_host_ids(half, &host));
        assert_int_equal(nsl_spec_add_id_map(spec, 'u', 0, 100000, 65536, &e), 0);
        assert_false(nsl_plan_takes_host_ids(spec, &host));
        nsl_spec_free(spec);
        nsl_spec_free(half);
        spec = spec_of(NULL);
        host.euid = 1000;
        host.root = false;
        assert_false(nsl_plan_takes_host_ids(spec, &host));   /* rootless: the caller's own ids */
        host = fake_host(0, 0);
        host.root = false;
        assert_false(nsl_plan_takes_host_ids(spec, &host));   /* a user namespace's root: likewise */
        nsl_spec_free(spec);
}

static void rootless_maps_the_caller_and_refuses_other_host_ids(void **state)
{
        struct nsl_host host = fake_host(1000, 100);
        const char *const other[] = { "--host-uid", "0", NULL };
        nsl_spec *spec = spec_of(NULL), *bad = spec_of(other);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        (void)state;

        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), 0);
        assert_true(plan.rootless);
        assert_int_equal(plan.uid, 1000);
        assert_int_equal(plan.host_uid, 1000);
        assert_int_equal(plan.host_gid, 100);
        nsl_plan_free(&plan);
        assert_int_equal(nsl_plan_build(bad, &host, &plan, &e), -EPERM);
        assert_string_equal(e.what, "--host-uid");
        nsl_plan_free(&plan);
        nsl_spec_free(spec);
        nsl_spec_free(bad);
}

/* A user namespace's root with CAP_SETUID and CAP_SETGID and ids to give
 * (a rootless engine's) launches as rootless, but writes any lines of its
 * own ids and keeps setgroups for the sandbox's groups; without them (a
 * plain user, unshare -Ur) one line of its own id and no groups. */
static void namespace_root_maps_its_ids_and_groups_a_plain_user_cannot(void **state)
{
        struct nsl_host ns_root = fake_host(0, 0), user = fake_host(1000, 100);
        nsl_spec *spec = spec_of(NULL);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        (void)state;

        ns_root.root = false;
        ns_root.maps_ids = true;
        assert_int_equal(nsl_spec_add_id_map(spec, 'u', 0, 0, 1, &e), 0);
        assert_int_equal(nsl_spec_add_id_map(spec, 'u', 1, 1, 65536, &e), 0);
        assert_int_equal(nsl_spec_add_id_map(spec, 'g', 0, 0, 1, &e), 0);
        assert_int_equal(nsl_spec_add_id_map(spec, 'g', 1, 1, 65536, &e), 0);
        assert_int_equal(nsl_spec_set_uid(spec, "1000", &e), 0);
        assert_int_equal(nsl_spec_set_gid(spec, "1000", &e), 0);
        assert_int_equal(nsl_spec_add_group(spec, 27, &e), 0);
        assert_int_equal(nsl_plan_build(spec, &ns_root, &plan, &e), 0);
        assert_true(plan.rootless);
        assert_true(plan.maps_ids);
        assert_int_equal(plan.n_uid_maps, 2);
        assert_int_equal(plan.host_uid, 1000);
        assert_true(plan.setgroups_allowed);
        assert_int_equal(plan.n_groups, 1);
        nsl_plan_free(&plan);

        ns_root.maps_ids = false;
        assert_int_equal(nsl_plan_build(spec, &ns_root, &plan, &e), -EPERM);
        assert_string_equal(e.what, "uid-map");
        nsl_plan_free(&plan);
        assert_int_equal(nsl_plan_build(spec, &user, &plan, &e), -EPERM);
        assert_string_equal(e.what, "uid-map");
        nsl_plan_free(&plan);
        nsl_spec_free(spec);

        spec = spec_of(NULL);
        assert_int_equal(nsl_spec_add_group(spec, 27, &e), 0);
        assert_int_equal(nsl_plan_build(spec, &ns_root, &plan, &e), -EPERM);
        assert_string_equal(e.what, "group");
        nsl_plan_free(&plan);
        nsl_spec_free(spec);
}

/* A profile is refused, never dropped, where AppArmor is not enabled. */
static void apparmor_profile_only_where_apparmor_is_enabled(void **state)
{
        struct nsl_host host = fake_host(0, 0);
        nsl_spec *spec = spec_of(NULL);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        (void)state;

        assert_int_equal(nsl_spec_set_apparmor_profile(spec, "docker-default", &e), 0);
        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), -EOPNOTSUPP);
        assert_string_equal(e.what, "apparmor");
        assert_string_equal(e.object, "docker-default");
        nsl_plan_free(&plan);
        host.apparmor = true;
        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), 0);
        assert_string_equal(plan.apparmor_profile, "docker-default");
        nsl_plan_free(&plan);
        assert_int_equal(nsl_spec_set_apparmor_profile(spec, "", &e), -EINVAL);
        assert_int_equal(nsl_spec_set_apparmor_profile(spec, "a\nb", &e), -EINVAL);
        nsl_spec_free(spec);
}

static void rootless_refuses_idmap_and_keeps_noidmap(void **state)
{
        struct nsl_host host = fake_host(1000, 100);
        const char *const idmap[] = { "--bind", "/:/host:idmap", NULL };
        const char *const noidmap[] = { "--bind", "/:/host:noidmap", NULL };
        nsl_spec *bad = spec_of(idmap), *good = spec_of(noidmap);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        (void)state;

        assert_int_equal(nsl_plan_build(bad, &host, &plan, &e), -EPERM);
        assert_string_equal(e.what, "--bind");
        assert_non_null(strstr(e.cause, ":idmap needs nslaunch run as root"));
        nsl_plan_free(&plan);
        assert_int_equal(nsl_plan_build(good, &host, &plan, &e), 0);
        assert_int_equal(plan.mounts[plan.n_mounts - 1].idmap, NSL_IDMAP_OFF);
        nsl_plan_free(&plan);
        host = fake_host(0, 0);
        assert_int_equal(nsl_plan_build(bad, &host, &plan, &e), 0);
        assert_int_equal(plan.mounts[plan.n_mounts - 1].idmap, NSL_IDMAP_ON);
        nsl_plan_free(&plan);
        nsl_spec_free(bad);
        nsl_spec_free(good);
}

static void defaults_come_first_and_the_callers_mount_replaces_one(void **state)
{
        struct nsl_host host = fake_host(0, 0);
        const char *const options[] = { "--tmpfs", "/tmp:size=1m", "--tmpfs", "/data", NULL };
        nsl_spec *spec = spec_of(options);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        (void)state;

        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), 0);
        assert_int_equal(plan.n_mounts, 2);
        assert_string_equal(plan.mounts[0].dest, "/tmp");         /* the default /tmp gave way */
        assert_int_equal(plan.mounts[0].size, 1 << 20);
        assert_string_equal(plan.mounts[1].dest, "/data");
        assert_true(plan.dev_shm_size > 0);                        /* the dev stage's /dev/shm */
        /* the host's entries carried into the default root, link targets copied */
        assert_int_equal(plan.n_host_entries, 3);
        assert_string_equal(plan.host_entries[2].link_target, "usr/bin");
        assert_ptr_not_equal(plan.host_entries[2].link_target, host.entries[2].link_target);
        nsl_plan_free(&plan);
        nsl_spec_free(spec);
}

static void rlimits_stay_under_the_hosts_and_the_fallback_adds_memory_and_pids(void **state)
{
        struct nsl_host host = fake_host(1000, 1000);
        const char *const options[] = { "--memory", "64m", "--pids", "32", "--rlimit", "core=1000", NULL };
        nsl_spec *spec = spec_of(options);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        (void)state;

        host.rlimits[RLIMIT_NOFILE].rlim_max = 1024;    /* lower than the 4096 default */
        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), 0);
        assert_int_equal(rlimit_of(&plan.rlimits, RLIMIT_NOFILE)->hard, 1024);
        assert_int_equal(rlimit_of(&plan.rlimits, RLIMIT_NPROC)->hard, 4096);
        assert_int_equal(rlimit_of(&plan.rlimits, RLIMIT_CORE)->soft, 1000);   /* the caller's wins */
        assert_null(rlimit_of(&plan.rlimits, RLIMIT_AS));
        assert_int_equal(rlimit_of(&plan.fallback_rlimits, RLIMIT_AS)->hard, 64 << 20);
        assert_int_equal(rlimit_of(&plan.fallback_rlimits, RLIMIT_NPROC)->hard, 32);
        assert_int_equal(plan.limits.memory, 64 << 20);
        nsl_plan_free(&plan);
        nsl_spec_free(spec);
}

static void the_filter_is_chosen_into_the_plan(void **state)
{
        struct nsl_host host = fake_host(0, 0);
        const char *const none[] = { "--seccomp", "unconfined", NULL };
        nsl_spec *builtin = spec_of(NULL), *unconfined = spec_of(none);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        (void)state;

        assert_int_equal(nsl_plan_build(builtin, &host, &plan, &e), 0);
        assert_ptr_equal(plan.seccomp.filter, nsl_builtin_filter);
        assert_int_equal(plan.seccomp.len, nsl_builtin_filter_len);
        assert_false(plan.seccomp.notify);
        nsl_plan_free(&plan);
        assert_int_equal(nsl_plan_build(unconfined, &host, &plan, &e), 0);
        assert_null(plan.seccomp.filter);
        nsl_plan_free(&plan);
        nsl_spec_free(builtin);
        nsl_spec_free(unconfined);
}

/* The spec may go once the plan is built: the plan owns copies. (Under ASan
 * a pointer kept into the spec is a use after free here.) */
static void the_plan_outlives_its_spec(void **state)
{
        struct nsl_host host = fake_host(0, 0);
        const char *const options[] = { "--bind", "/:/host", NULL };
        nsl_spec *spec = spec_of(options);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        (void)state;

        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), 0);
        nsl_spec_free(spec);
        assert_string_equal(plan.argv[0], "/bin/true");
        assert_null(plan.argv[1]);
        assert_string_equal(plan.hostname, "sandbox");
        assert_string_equal(plan.cwd, "/");
        assert_string_equal(plan.mounts[1].source, "/");
        assert_string_equal(plan.mounts[1].dest, "/host");
        assert_string_equal(plan.search_path, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        nsl_plan_free(&plan);
}

/* The engine takes one fd from one message on a stream: anything else as
 * the console socket is refused before clone. */
static void the_console_socket_is_a_unix_stream(void **state)
{
        struct nsl_host host = fake_host(0, 0);
        nsl_spec *spec = spec_of(NULL);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        int stream[2], dgram[2], pipe_fds[2];
        (void)state;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stream), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dgram), 0);
        assert_int_equal(pipe2(pipe_fds, O_CLOEXEC), 0);
        assert_int_equal(nsl_spec_set_console_socket(spec, stream[0], &e), 0);
        assert_int_equal(nsl_spec_set_console_size(spec, 40, 120, &e), 0);
        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), 0);
        assert_int_equal(plan.console_socket, stream[0]);
        assert_int_equal(plan.console_rows, 40);
        assert_int_equal(plan.console_cols, 120);
        nsl_plan_free(&plan);

        assert_int_equal(nsl_spec_set_console_socket(spec, dgram[0], &e), 0);
        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), -ENOTSOCK);
        assert_string_equal(e.what, "console-socket");
        nsl_plan_free(&plan);
        assert_int_equal(nsl_spec_set_console_socket(spec, pipe_fds[0], &e), 0);
        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), -ENOTSOCK);
        nsl_plan_free(&plan);
        for (int i = 0; i < 2; i++) {
                close(stream[i]);
                close(dgram[i]);
                close(pipe_fds[i]);
        }
        nsl_spec_free(spec);
}

/* A command given at start: the plan has none of its own (the spec's is not
 * run), and a start FIFO, which carries no command, is refused. */
static void a_command_at_start_leaves_the_plan_without_one(void **state)
{
        struct nsl_host host = fake_host(1000, 100);
        nsl_spec *spec = spec_of(NULL);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        (void)state;

        nsl_spec_set_command_at_start(spec);
        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), 0);
        assert_true(plan.command_at_start);
        assert_null(plan.argv);
        assert_non_null(plan.envp);
        nsl_plan_free(&plan);
        assert_int_equal(nsl_spec_set_start_fifo(spec, "/tmp/fifo", &e), 0);
        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), -EINVAL);
        assert_string_equal(e.what, "start-fifo");
        nsl_plan_free(&plan);
        nsl_spec_free(spec);
}

/* A command that is init leaves nobody to do what init does after the
 * command's execve: each thing that needs it is refused, named. */
static void a_command_as_init_refuses_what_needs_init_to_stay(void **state)
{
        static const char *const needs[] = { "a command given at start", "a timeout", "--seccomp-report",
                                             "a private network", "a shared pid namespace", "host ids reserved" };
        struct nsl_plan plan;
        nsl_error e = { 0 };
        (void)state;

        for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++) {
                bool root = i >= 4;     /* joining a pid namespace, reserving host ids */
                struct nsl_host host = fake_host(root ? 0 : 1000, root ? 0 : 100);
                nsl_spec *spec = spec_of(NULL);

                nsl_spec_set_command_as_init(spec);
                assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), 0);
                assert_true(plan.command_as_init);
                nsl_plan_free(&plan);
                switch (i) {
                case 0: nsl_spec_set_command_at_start(spec); break;
                case 1: assert_int_equal(nsl_spec_set_timeout(spec, "5", &e), 0); break;
                case 2: nsl_spec_set_seccomp_report(spec, true); break;
                case 3: assert_int_equal(nsl_spec_set_network(spec, "private", &e), 0); break;
                case 4:
                        assert_int_equal(nsl_spec_join_namespace(spec, "pid", "/proc/self/ns/pid", &e), 0);
                        assert_int_equal(nsl_spec_set_cgroup_path(spec, "/nslaunch/unit", &e), 0);
                        break;
                case 5: host.ids_reserved = true; break;
                }
                assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), -EINVAL);
                assert_string_equal(e.what, "command-as-init");
                assert_non_null(strstr(e.cause, needs[i]));
                nsl_plan_free(&plan);
                nsl_spec_free(spec);
        }
}

/* A directory as the command's stdio would let it openat() its way through
 * the host's tree beneath it. */
static void a_directory_is_never_stdio(void **state)
{
        struct nsl_host host = fake_host(1000, 100);
        nsl_spec *spec = spec_of(NULL);
        struct nsl_plan plan;
        nsl_error e = { 0 };
        int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), path = open("/etc/hostname", O_PATH | O_CLOEXEC);
        (void)state;

        assert_true(dir >= 0 && path >= 0);
        assert_int_equal(nsl_spec_set_stdio(spec, -1, dir, -1, &e), 0);
        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), -EISDIR);
        assert_string_equal(e.what, "stdio");
        nsl_plan_free(&plan);
        assert_int_equal(nsl_spec_set_stdio(spec, path, -1, -1, &e), 0);
        assert_int_equal(nsl_plan_build(spec, &host, &plan, &e), -EISDIR);
        nsl_plan_free(&plan);
        close(dir);
        close(path);
        nsl_spec_free(spec);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(root_maps_the_sandbox_to_the_overflow_user),
                cmocka_unit_test(only_a_network_of_lo_alone_comes_with_the_clone),
                cmocka_unit_test(a_cgroup_below_the_sandboxs_is_for_exec_alone),
                cmocka_unit_test(root_maps_the_sandbox_to_its_reserved_ids_unless_both_are_given),
                cmocka_unit_test(rootless_maps_the_caller_and_refuses_other_host_ids),
                cmocka_unit_test(namespace_root_maps_its_ids_and_groups_a_plain_user_cannot),
                cmocka_unit_test(apparmor_profile_only_where_apparmor_is_enabled),
                cmocka_unit_test(rootless_refuses_idmap_and_keeps_noidmap),
                cmocka_unit_test(defaults_come_first_and_the_callers_mount_replaces_one),
                cmocka_unit_test(rlimits_stay_under_the_hosts_and_the_fallback_adds_memory_and_pids),
                cmocka_unit_test(the_filter_is_chosen_into_the_plan),
                cmocka_unit_test(the_plan_outlives_its_spec),
                cmocka_unit_test(the_console_socket_is_a_unix_stream),
                cmocka_unit_test(a_command_at_start_leaves_the_plan_without_one),
                cmocka_unit_test(a_directory_is_never_stdio),
                cmocka_unit_test(a_command_as_init_refuses_what_needs_init_to_stay),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

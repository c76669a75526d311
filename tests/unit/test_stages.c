/* The order of a launch is data: these tests hold it in place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "sandbox/ctx.h"

static size_t index_of(const struct nsl_stage *stages, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(stages[i].name, name))
                        return i;
        fail_msg("stage %s is missing", name);
        return n;
}

static void seccomp_is_the_last_payload_stage(void **state)
{
        (void)state;
        assert_true(nsl_n_payload_stages > 0);
        assert_string_equal(nsl_payload_stages[nsl_n_payload_stages - 1].name, "seccomp");
}

static void payload_stages_keep_their_order(void **state)
{
        const struct nsl_stage *s = nsl_payload_stages;
        size_t n = nsl_n_payload_stages;
        (void)state;
        assert_true(index_of(s, n, "setsid") < index_of(s, n, "caps"));
        assert_true(index_of(s, n, "cwd") < index_of(s, n, "rlimits"));
        assert_true(index_of(s, n, "rlimits") < index_of(s, n, "caps"));
        assert_true(index_of(s, n, "caps") < index_of(s, n, "no-new-privs"));
        assert_true(index_of(s, n, "no-new-privs") < index_of(s, n, "close-fds"));
        /* Landlock needs no_new_privs (the payload has no CAP_SYS_ADMIN left)
         * and comes before seccomp, whose filter need not allow its calls */
        assert_true(index_of(s, n, "no-new-privs") < index_of(s, n, "landlock"));
        assert_true(index_of(s, n, "caps") < index_of(s, n, "landlock"));
        assert_true(index_of(s, n, "landlock") < index_of(s, n, "seccomp"));
        assert_true(index_of(s, n, "close-fds") < index_of(s, n, "seccomp"));
        /* setgroups needs CAP_SETGID */
        assert_true(index_of(s, n, "groups") < index_of(s, n, "caps"));
        assert_true(index_of(s, n, "umask") < index_of(s, n, "seccomp"));
        /* a command given at start finds everything done but closing the fds
         * (its own 0, 1 and 2 come with it) and the filter */
        assert_int_equal(index_of(s, n, "wait-for-command"), index_of(s, n, "landlock") + 1);
        assert_int_equal(index_of(s, n, "close-fds"), index_of(s, n, "wait-for-command") + 1);
}

static void init_waits_for_idmap_before_mounting(void **state)
{
        const struct nsl_stage *s = nsl_init_stages;
        size_t n = nsl_n_init_stages;
        (void)state;
        assert_true(index_of(s, n, "close-inherited-fds") < index_of(s, n, "wait-for-idmap"));
        /* in the cgroup (v1) before anything is started or allocated, and the
         * cgroup namespace rooted there before the payload exists */
        assert_int_equal(index_of(s, n, "cgroup-enter"), 0);
        assert_true(index_of(s, n, "wait-for-idmap") < index_of(s, n, "cgroup-namespace"));
        /* the network namespace, a launch's longest step, is made while
         * nslaunch writes the maps (it takes capabilities, not ids), by a
         * helper that inherits none of the caller's fds */
        assert_true(index_of(s, n, "close-inherited-fds") < index_of(s, n, "network-start"));
        assert_true(index_of(s, n, "network-start") < index_of(s, n, "wait-for-idmap"));
        assert_true(index_of(s, n, "wait-for-idmap") < index_of(s, n, "open-sources"));
        assert_true(index_of(s, n, "open-sources") < index_of(s, n, "mount-root"));
        assert_true(index_of(s, n, "mounts") < index_of(s, n, "seal"));
        assert_true(index_of(s, n, "seal") < index_of(s, n, "pivot"));
        assert_true(index_of(s, n, "proc") < index_of(s, n, "pivot"));
        /* a new procfs or sysfs needs the host's still in view (before the
         * pivot); masked and read-only paths cover every mount, then the seal */
        assert_true(index_of(s, n, "sysctl") < index_of(s, n, "pivot"));
        assert_true(index_of(s, n, "proc") < index_of(s, n, "sysfs"));
        assert_true(index_of(s, n, "sysfs") < index_of(s, n, "readonly-paths"));
        /* the cgroups' mounts go in the sysfs, and show the sandbox's own
         * cgroup namespace (a v1 one re-rooted once init is in its cgroups) */
        assert_true(index_of(s, n, "sysfs") < index_of(s, n, "cgroupfs"));
        assert_true(index_of(s, n, "cgroup-namespace") < index_of(s, n, "cgroupfs"));
        assert_true(index_of(s, n, "cgroupfs") < index_of(s, n, "masked-paths"));
        assert_true(index_of(s, n, "cgroupfs") < index_of(s, n, "seal"));
        assert_true(index_of(s, n, "mounts") < index_of(s, n, "readonly-paths"));
        assert_true(index_of(s, n, "readonly-paths") < index_of(s, n, "masked-paths"));
        assert_true(index_of(s, n, "masked-paths") < index_of(s, n, "seal"));
        /* the command's stdio is taken before the rest is closed */
        assert_true(index_of(s, n, "stdio") < index_of(s, n, "close-inherited-fds"));
        /* a shared pid namespace's init keeps the host's /proc, which the
         * pivot takes out of view, and is no one's to ptrace by then */
        assert_true(index_of(s, n, "close-inherited-fds") < index_of(s, n, "shared-pid"));
        assert_true(index_of(s, n, "wait-for-idmap") < index_of(s, n, "shared-pid"));
        assert_true(index_of(s, n, "shared-pid") < index_of(s, n, "pivot"));
        assert_true(index_of(s, n, "shared-pid") < index_of(s, n, "sysctl"));      /* writes through it */
}

/* An OCI create's hooks (nsl_spec_on_root_built) run where runc runs them:
 * every mount in place and the hostname set, in the command's network
 * namespace (the stage joins it itself), before the masks, the seal and
 * pivot_root. */
static void the_root_built_pause_comes_before_the_masks_and_the_pivot(void **state)
{
        const struct nsl_stage *s = nsl_init_stages;
        size_t n = nsl_n_init_stages;
        (void)state;
        assert_true(index_of(s, n, "mounts") < index_of(s, n, "root-built"));
        assert_true(index_of(s, n, "dev") < index_of(s, n, "root-built"));
        assert_true(index_of(s, n, "sysfs") < index_of(s, n, "root-built"));
        assert_true(index_of(s, n, "cgroupfs") < index_of(s, n, "root-built"));
        assert_true(index_of(s, n, "hostname") < index_of(s, n, "root-built"));
        assert_true(index_of(s, n, "root-built") < index_of(s, n, "readonly-paths"));
        assert_true(index_of(s, n, "root-built") < index_of(s, n, "masked-paths"));
        assert_true(index_of(s, n, "root-built") < index_of(s, n, "seal"));
        assert_true(index_of(s, n, "root-built") < index_of(s, n, "pivot"));
}

/* A created sandbox is whole when it waits: nothing of its set-up is left
 * for after nsl_sandbox_start but the payload's own stages. */
static void init_waits_for_start_last(void **state)
{
        (void)state;
        assert_string_equal(nsl_init_stages[nsl_n_init_stages - 1].name, "wait-for-start");
}

/* The console's master reaches the engine while the sandbox is created,
 * after pivot (the pty is the sandbox's devpts'); the payload takes the
 * slave as its controlling terminal as soon as it leads a session. */
static void the_console_comes_after_pivot_and_right_after_setsid(void **state)
{
        (void)state;
        assert_true(index_of(nsl_init_stages, nsl_n_init_stages, "pivot") <
                    index_of(nsl_init_stages, nsl_n_init_stages, "console"));
        assert_true(index_of(nsl_init_stages, nsl_n_init_stages, "claim-tty") <
                    index_of(nsl_init_stages, nsl_n_init_stages, "console"));
        assert_int_equal(index_of(nsl_payload_stages, nsl_n_payload_stages, "controlling-tty"),
                         index_of(nsl_payload_stages, nsl_n_payload_stages, "setsid") + 1);
}

static void stage_names_are_unique(void **state)
{
        (void)state;
        for (size_t i = 0; i < nsl_n_init_stages; i++)
                for (size_t j = 0; j < nsl_n_payload_stages; j++)
                        assert_string_not_equal(nsl_init_stages[i].name, nsl_payload_stages[j].name);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(seccomp_is_the_last_payload_stage),
                cmocka_unit_test(payload_stages_keep_their_order),
                cmocka_unit_test(init_waits_for_idmap_before_mounting),
                cmocka_unit_test(stage_names_are_unique),
                cmocka_unit_test(init_waits_for_start_last),
                cmocka_unit_test(the_root_built_pause_comes_before_the_masks_and_the_pivot),
                cmocka_unit_test(the_console_comes_after_pivot_and_right_after_setsid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

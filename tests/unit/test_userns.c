/* userns.c: which host setting a refused user namespace is blamed on, read
 * from a /proc tree of the test's own (the real kernel's answer is
 * tests/integration/test_userns_refused.py's). */
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

#include "userns.h"

struct tree { char dir[64]; };

/* NAME=VALUE... under a fresh directory; VALUE gets the kernel's newline */
static void set(struct tree *t, const char *name, const char *value)
{
        char path[256], *slash;

        snprintf(path, sizeof path, "%s/%s", t->dir, name);
        for (slash = strchr(path + strlen(t->dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                mkdir(path, 0755);
                *slash = '/';
        }
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "%s\n", value);
        fclose(f);
}

static int tree_new(void **state)
{
        struct tree *t = calloc(1, sizeof *t);

        snprintf(t->dir, sizeof t->dir, "/tmp/nsl-test-userns.XXXXXX");
        if (!mkdtemp(t->dir))
                return -1;
        *state = t;
        return 0;
}

static int tree_free(void **state)
{
        struct tree *t = *state;
        char cmd[128];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
        free(t);
        return system(cmd) == 0 ? 0 : -1;
}

static const char *refusal(struct tree *t, int errnum, int rootless)
{
        static char why[256];

        return nsl_userns_refusal(t->dir, errnum, rootless, why, sizeof why) ? why : NULL;
}

static void the_namespace_limit_is_named(void **state)
{
        struct tree *t = *state;

        assert_null(refusal(t, ENOSPC, 1)); /* no such setting: nothing to blame */
        set(t, "sys/user/max_user_namespaces", "0");
        assert_non_null(strstr(refusal(t, ENOSPC, 1), "user.max_user_namespaces is 0"));
        assert_non_null(strstr(refusal(t, EUSERS, 0), "user.max_user_namespaces is 0")); /* root too */
        set(t, "sys/user/max_user_namespaces", "7");
        assert_non_null(strstr(refusal(t, ENOSPC, 1), "namespace limit here (user.max_*_namespaces: user 7)"));
        /* clone3 makes a network namespace too, counted against a limit of its own */
        set(t, "sys/user/max_net_namespaces", "0");
        assert_non_null(strstr(refusal(t, ENOSPC, 1), "user.max_net_namespaces is 0: network namespaces"));
        set(t, "sys/user/max_net_namespaces", "9");
        assert_non_null(strstr(refusal(t, ENOSPC, 1), "(user.max_*_namespaces: user 7, net 9)"));
}

static void debians_switch_is_named_for_the_unprivileged(void **state)
{
        struct tree *t = *state;

        set(t, "sys/kernel/unprivileged_userns_clone", "1");
        assert_null(refusal(t, EPERM, 1));
        set(t, "sys/kernel/unprivileged_userns_clone", "0");
        assert_non_null(strstr(refusal(t, EPERM, 1), "kernel.unprivileged_userns_clone is 0"));
        assert_null(refusal(t, EPERM, 0)); /* root is not subject to it */
        assert_null(refusal(t, EINVAL, 1));
}

static void ubuntus_restriction_only_where_it_is_in_force(void **state)
{
        struct tree *t = *state;

        set(t, "sys/kernel/apparmor_restrict_unprivileged_userns", "1");
        assert_false(nsl_userns_apparmor_restricted(t->dir)); /* no label: no AppArmor to blame */
        set(t, "self/attr/current", "unconfined");
        assert_true(nsl_userns_apparmor_restricted(t->dir));
        assert_non_null(strstr(refusal(t, EPERM, 1), "apparmor_restrict_unprivileged_userns is 1"));
        assert_non_null(strstr(refusal(t, EACCES, 1), "/etc/apparmor.d/nslaunch"));
        assert_null(refusal(t, EPERM, 0));
        /* the stacking interface wins over the old one */
        set(t, "self/attr/apparmor/current", "nslaunch (unconfined)");
        assert_false(nsl_userns_apparmor_restricted(t->dir));
        set(t, "self/attr/apparmor/current", "unconfined");
        assert_true(nsl_userns_apparmor_restricted(t->dir));
        /* complain mode only logs */
        set(t, "sys/kernel/apparmor_restrict_unprivileged_userns_complain", "1");
        assert_false(nsl_userns_apparmor_restricted(t->dir));
        set(t, "sys/kernel/apparmor_restrict_unprivileged_userns_complain", "0");
        set(t, "sys/kernel/apparmor_restrict_unprivileged_userns", "0");
        assert_false(nsl_userns_apparmor_restricted(t->dir));
        assert_null(refusal(t, EPERM, 1));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(the_namespace_limit_is_named, tree_new, tree_free),
                cmocka_unit_test_setup_teardown(debians_switch_is_named_for_the_unprivileged, tree_new, tree_free),
                cmocka_unit_test_setup_teardown(ubuntus_restriction_only_where_it_is_in_force, tree_new, tree_free),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

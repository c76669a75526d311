/* When a bind becomes an idmapped mount, and which mount_setattr errors mean
 * "this filesystem or kernel cannot idmap". */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "sandbox/bind-idmap.h"

static struct stat dir_of(uid_t uid, gid_t gid, mode_t mode)
{
        return (struct stat){ .st_uid = uid, .st_gid = gid, .st_mode = S_IFDIR | mode };
}

static void the_sandbox_user_is_judged_by_mode_bits(void **state)
{
        struct stat root_private = dir_of(0, 0, 0700), root_shared = dir_of(0, 0, 0755);
        struct stat world = dir_of(0, 0, 0777), group = dir_of(0, 65534, 0770), own = dir_of(65534, 0, 0700);
        struct stat file = { .st_uid = 0, .st_gid = 0, .st_mode = S_IFREG | 0644 };
        struct stat search_only = dir_of(0, 0, 0711);
        (void)state;

        assert_false(nsl_bind_source_usable(&root_private, 65534, 65534, false));
        assert_true(nsl_bind_source_usable(&root_shared, 65534, 65534, false));
        assert_false(nsl_bind_source_usable(&root_shared, 65534, 65534, true));
        assert_true(nsl_bind_source_usable(&world, 65534, 65534, true));
        assert_true(nsl_bind_source_usable(&group, 65534, 65534, true));
        assert_true(nsl_bind_source_usable(&own, 65534, 65534, true));
        /* the owner's bits apply to the owner, even when "other" has more */
        struct stat owner_less = dir_of(65534, 0, 0077);
        assert_false(nsl_bind_source_usable(&owner_less, 65534, 65534, false));
        /* a file needs r (ro) or w (rw); a directory also x */
        assert_true(nsl_bind_source_usable(&file, 65534, 65534, false));
        assert_false(nsl_bind_source_usable(&file, 65534, 65534, true));
        assert_false(nsl_bind_source_usable(&search_only, 65534, 65534, false));
        /* --host-uid 0: root without capabilities, owner of root's files */
        assert_true(nsl_bind_source_usable(&root_private, 0, 0, true));
}

static void unsupported_errors_are_told_apart(void **state)
{
        (void)state;
        assert_true(nsl_idmap_unsupported(EINVAL));     /* tmpfs before 6.3, overlayfs, NFS, 9p */
        assert_true(nsl_idmap_unsupported(EPERM));
        assert_true(nsl_idmap_unsupported(EOPNOTSUPP));
        assert_true(nsl_idmap_unsupported(ENOSYS));     /* before 5.12 */
        assert_false(nsl_idmap_unsupported(EBADF));
        assert_false(nsl_idmap_unsupported(ENOMEM));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(the_sandbox_user_is_judged_by_mode_bits),
                cmocka_unit_test(unsupported_errors_are_told_apart),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

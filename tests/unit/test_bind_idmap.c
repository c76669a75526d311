/* When a bind becomes an idmapped mount, and which mount_setattr errors mean
 * "this filesystem or kernel cannot idmap". */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include "sandbox/bind-idmap.h"
#include "seccomp/bpf-run.h"
#include "seccomp/setid-guard.h"

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

static uint32_t guard_answer(uint32_t arch, long nr, unsigned arg, uint64_t value)
{
        struct sock_filter guard[NSL_SETID_GUARD_MAX];
        int len = nsl_setid_guard(guard);
        struct seccomp_data data = { .nr = (int)nr, .arch = arch };

        assert_true(len > 0 && len <= NSL_SETID_GUARD_MAX);
        data.args[arg] = value;
        return nsl_bpf_run(guard, (unsigned short)len, &data);
}

static void the_setid_guard_refuses_set_id_modes_only(void **state)
{
        const uint32_t eperm = SECCOMP_RET_ERRNO | EPERM, allow = SECCOMP_RET_ALLOW;
        (void)state;
#ifdef __x86_64__
        const uint32_t arch = AUDIT_ARCH_X86_64;
        assert_int_equal(guard_answer(arch, SYS_chmod, 1, 04755), eperm);
        assert_int_equal(guard_answer(arch, SYS_chmod, 1, 0755), allow);
        assert_int_equal(guard_answer(arch, SYS_open, 2, 02644), eperm);
        assert_int_equal(guard_answer(arch, SYS_creat, 1, 06755), eperm);
        assert_int_equal(guard_answer(arch, SYS_mknod, 1, S_IFREG | 04755), eperm);
        /* the x32 entry point and the i386 one are refused whole */
        assert_int_equal(guard_answer(arch, 0x40000000 | SYS_getpid, 0, 0), eperm);
        assert_int_equal(guard_answer(AUDIT_ARCH_I386, 20, 0, 0), eperm);
#elif defined(__aarch64__)
        const uint32_t arch = AUDIT_ARCH_AARCH64;
        /* the AArch32 (compat) entry point is refused whole */
        assert_int_equal(guard_answer(AUDIT_ARCH_ARM, 15 /* chmod */, 1, 0755), eperm);
#else
        const uint32_t arch = 0;
        skip();
#endif
        assert_int_equal(guard_answer(arch, SYS_fchmod, 1, 04000), eperm);
        assert_int_equal(guard_answer(arch, SYS_fchmod, 1, 01777), allow);         /* sticky is fine */
        assert_int_equal(guard_answer(arch, SYS_fchmodat, 2, 02000), eperm);
        assert_int_equal(guard_answer(arch, 452, 2, 04000), eperm);               /* fchmodat2 */
        assert_int_equal(guard_answer(arch, SYS_openat, 3, 04644), eperm);
        assert_int_equal(guard_answer(arch, SYS_openat, 3, 0644), allow);
        assert_int_equal(guard_answer(arch, SYS_openat, 2, 04644), allow);        /* flags, not the mode */
        assert_int_equal(guard_answer(arch, SYS_mknodat, 2, S_IFREG | 02000), eperm);
        assert_int_equal(guard_answer(arch, SYS_openat2, 0, 0), SECCOMP_RET_ERRNO | ENOSYS);
        assert_int_equal(guard_answer(arch, SYS_io_uring_setup, 0, 0), eperm);
        assert_int_equal(guard_answer(arch, SYS_write, 2, 04755), allow);
        /* only the mode's low word counts: a high word is not a mode */
        assert_int_equal(guard_answer(arch, SYS_fchmod, 1, (uint64_t)04000 << 32), allow);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(the_sandbox_user_is_judged_by_mode_bits),
                cmocka_unit_test(unsupported_errors_are_told_apart),
                cmocka_unit_test(the_setid_guard_refuses_set_id_modes_only),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* /proc/PID/status and stat (src/proc-status.c): status fields found by
 * their whole name at the start of a line only, stat fields counted after
 * the name's last ')'; real ones read once (nsl_read_once), and cut where
 * asked. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fds.h"
#include "proc-status.h"

static const char status[] = "Name:\tcat\nUmask:\t0022\nTgid:\t4321\nNgid:\t0\nPid:\t4322\n"
                             "NSpid:\t4322\t1\nSigQ:\t0/96208\nSigPnd:\t0000000000000000\n"
                             "SigIgn:\t0000000000001001\n";

static void fields_are_found_by_their_whole_name(void **state)
{
        (void)state;
        assert_int_equal(atoi(nsl_proc_status_field(status, "Tgid")), 4321);
        assert_int_equal(atoi(nsl_proc_status_field(status, "Pid")), 4322);      /* not NSpid's line */
        assert_int_equal(strncmp(nsl_proc_status_field(status, "NSpid"), "4322\t1\n", 7), 0);
        assert_int_equal(strncmp(nsl_proc_status_field(status, "Name"), "cat\n", 4), 0);
        assert_null(nsl_proc_status_field(status, "Tg"));
        assert_null(nsl_proc_status_field(status, "Seccomp"));
        assert_null(nsl_proc_status_field("", "Tgid"));
}

static void a_real_status_is_read(void **state)
{
        char buf[16384];
        const char *tgid;

        (void)state;
        assert_true(nsl_read_once(AT_FDCWD, "/proc/self/status", 0, buf, sizeof buf) > 0);
        tgid = nsl_proc_status_field(buf, "Tgid");
        assert_non_null(tgid);
        assert_int_equal(atoi(tgid), getpid());
        /* what the file cannot hold is cut, NUL-terminated (the name is
         * qemu's under qemu-user) */
        assert_int_equal(nsl_read_once(AT_FDCWD, "/proc/self/status", 0, buf, 8), 7);
        assert_int_equal(strlen(buf), 7);
        assert_memory_equal(buf, "Name:\t", 6);
}

static void stat_fields_are_counted_after_the_last_parenthesis(void **state)
{
        /* a name may hold spaces and parentheses */
        static const char stat[] = "42 (a) b (c) S 7 42 42 0 -1 4194560";

        (void)state;
        assert_int_equal(*nsl_proc_stat_field(stat, 3), 'S');
        assert_int_equal(atoi(nsl_proc_stat_field(stat, 4)), 7);
        assert_int_equal(atoi(nsl_proc_stat_field(stat, 9)), 4194560);
        assert_null(nsl_proc_stat_field(stat, 10));
        assert_null(nsl_proc_stat_field(stat, 2));
        assert_null(nsl_proc_stat_field("42 (a)", 3));
        assert_null(nsl_proc_stat_field("42 a S 1", 3));
}

static void a_real_stat_is_read(void **state)
{
        char buf[1024];

        (void)state;
        assert_true(nsl_read_once(AT_FDCWD, "/proc/self/stat", 0, buf, sizeof buf) > 0);
        assert_int_equal(atoi(nsl_proc_stat_field(buf, 4)), getppid());
        /* the start time, what nslaunch-runc keeps (qemu-user's own stat
         * has 44 fields, not the kernel's 52) */
        assert_non_null(nsl_proc_stat_field(buf, 22));
}

static void a_missing_file_is_its_errno(void **state)
{
        char buf[256];

        (void)state;
        assert_int_equal(nsl_read_once(AT_FDCWD, "/nonexistent/status", 0, buf, sizeof buf), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(fields_are_found_by_their_whole_name),
                cmocka_unit_test(a_real_status_is_read),
                cmocka_unit_test(stat_fields_are_counted_after_the_last_parenthesis),
                cmocka_unit_test(a_real_stat_is_read),
                cmocka_unit_test(a_missing_file_is_its_errno),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

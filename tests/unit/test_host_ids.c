/* host-ids.c: the range read from a subuid-style file, and reservations
 * that are unique while held and given back when their fd closes. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "host-ids.h"

static char dir[] = "/tmp/nsl-host-ids.XXXXXX";

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void range_is_the_named_line_or_the_default(void **state)
{
        char path[sizeof dir + 16];
        struct nsl_id_span span;
        nsl_error e = { 0 };
        (void)state;

        snprintf(path, sizeof path, "%s/subuid", dir);
        assert_int_equal(nsl_host_ids_range(path, &span, &e), 0);      /* missing */
        assert_int_equal(span.start, NSL_HOST_IDS_DEFAULT_START);
        assert_int_equal(span.count, NSL_HOST_IDS_DEFAULT_COUNT);
        write_file(path, "alice:100000:65536\n\nnslaunchx:1:2\nnslaunch:200000:10\nnslaunch:300000:5\n");
        assert_int_equal(nsl_host_ids_range(path, &span, &e), 0);
        assert_int_equal(span.start, 200000);
        assert_int_equal(span.count, 10);
        write_file(path, "alice:100000:65536");                 /* no line for nslaunch */
        assert_int_equal(nsl_host_ids_range(path, &span, &e), 0);
        assert_int_equal(span.start, NSL_HOST_IDS_DEFAULT_START);
}

static void range_refuses_root_overflow_and_garbage(void **state)
{
        static const char *const bad[] = { "nslaunch:0:10\n", "nslaunch:4294967290:10\n", "nslaunch:5:0\n",
                                           "nslaunch:x:10\n", "nslaunch:10\n", "nslaunch:-1:10\n",
                                           "nslaunch:10:99999999999\n" };
        char path[sizeof dir + 16];
        struct nsl_id_span span;
        (void)state;

        snprintf(path, sizeof path, "%s/subgid", dir);
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                nsl_error e = { 0 };
                write_file(path, bad[i]);
                assert_int_equal(nsl_host_ids_range(path, &span, &e), -EINVAL);
                assert_string_equal(e.what, "host-ids");
                assert_string_equal(e.object, path);
        }
        unlink(path);
        assert_int_equal(mkfifo(path, 0600), 0);                /* never blocks on a FIFO */
        nsl_error e = { 0 };
        assert_int_equal(nsl_host_ids_range(path, &span, &e), -EINVAL);
        unlink(path);
}

static void reservations_are_unique_and_given_back(void **state)
{
        const struct nsl_id_span uids = { 500000, 3 }, gids = { 600000, 2 };
        struct nsl_host_ids a = NSL_HOST_IDS_INIT, b = NSL_HOST_IDS_INIT, c = NSL_HOST_IDS_INIT;
        char locks[sizeof dir + 16];
        nsl_error e = { 0 };
        (void)state;

        if (geteuid() != 0)
                skip();         /* the lock directory must be root's */
        snprintf(locks, sizeof locks, "%s/locks", dir);
        assert_int_equal(nsl_host_ids_reserve(locks, &uids, &gids, &a, &e), 0);
        assert_int_equal(a.uid, 500000);
        assert_int_equal(a.gid, 600000);
        assert_true(a.lock_fd > 2);
        assert_int_equal(nsl_host_ids_reserve(locks, &uids, &gids, &b, &e), 0);
        assert_int_equal(b.uid, 500001);
        assert_int_equal(b.gid, 600001);
        /* the smaller range bounds it: two gids */
        assert_int_equal(nsl_host_ids_reserve(locks, &uids, &gids, &c, &e), -EUSERS);
        assert_non_null(strstr(e.cause, "all 2 host ids"));
        /* a child holding a copy keeps the ids in use; its exit gives them back */
        pid_t child = fork();
        if (child == 0) {
                usleep(200000);
                _exit(0);
        }
        nsl_host_ids_release(&a);
        assert_int_equal(nsl_host_ids_reserve(locks, &uids, &gids, &c, &e), -EUSERS);
        int status;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_int_equal(nsl_host_ids_reserve(locks, &uids, &gids, &c, &e), 0);
        assert_int_equal(c.uid, 500000);
        nsl_host_ids_release(&b);
        nsl_host_ids_release(&c);
}

static void lock_directory_others_can_write_is_refused(void **state)
{
        const struct nsl_id_span span = { 500000, 3 };
        struct nsl_host_ids ids = NSL_HOST_IDS_INIT;
        char locks[sizeof dir + 16], link[sizeof dir + 16];
        nsl_error e = { 0 };
        (void)state;

        if (geteuid() != 0)
                skip();
        snprintf(locks, sizeof locks, "%s/open", dir);
        assert_int_equal(mkdir(locks, 0777), 0);
        assert_int_equal(chmod(locks, 0777), 0);
        assert_int_equal(nsl_host_ids_reserve(locks, &span, &span, &ids, &e), -EPERM);
        assert_non_null(strstr(e.cause, "writable by root alone"));
        snprintf(link, sizeof link, "%s/link", dir);
        assert_int_equal(symlink(locks, link), 0);
        assert_int_equal(chmod(locks, 0755), 0);
        assert_int_equal(nsl_host_ids_reserve(link, &span, &span, &ids, &e), -ENOTDIR);       /* never through a symlink */
        assert_int_equal(ids.lock_fd, -1);
}

static int make_dir(void **state)
{
        (void)state;
        return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
        char cmd[sizeof dir + 16];
        (void)state;
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(range_is_the_named_line_or_the_default),
                cmocka_unit_test(range_refuses_root_overflow_and_garbage),
                cmocka_unit_test(reservations_are_unique_and_given_back),
                cmocka_unit_test(lock_directory_others_can_write_is_refused),
        };
        return cmocka_run_group_tests(tests, make_dir, remove_dir);
}

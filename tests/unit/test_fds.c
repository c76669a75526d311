/* The reads a clone of a threaded caller may make: whole files into a
 * mapping, directories through the caller's buffer. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "fds.h"

/* A pipe holding text, its writing end closed: its reading end. */
static int pipe_of(const char *text)
{
        int fds[2];
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
        close(fds[1]);
        return fds[0];
}

static void a_file_is_read_whole_into_a_mapping(void **state)
{
        _cleanup_mapping_ struct nsl_mapping m = { 0 };
        _cleanup_close_ int fd = pipe_of("0::/\n1:name=systemd:/x\n");
        size_t len = 0;

        (void)state;
        assert_int_equal(nsl_read_fd_mapped(fd, 64, &m, &len), 0);
        assert_int_equal(len, 23);
        assert_string_equal(m.p, "0::/\n1:name=systemd:/x\n");
        assert_true(m.size >= 65);
}

static void max_bytes_fit_and_one_more_is_too_big(void **state)
{
        _cleanup_mapping_ struct nsl_mapping fits = { 0 }, over = { 0 };
        _cleanup_close_ int exact = pipe_of("12345678");
        _cleanup_close_ int longer = pipe_of("123456789");
        size_t len = 0;

        (void)state;
        assert_int_equal(nsl_read_fd_mapped(exact, 8, &fits, &len), 0);
        assert_string_equal(fits.p, "12345678");
        assert_int_equal(nsl_read_fd_mapped(longer, 8, &over, &len), -EFBIG);
        assert_non_null(over.p);        /* still the caller's to unmap */
}

static void an_unreadable_fd_is_its_errno(void **state)
{
        _cleanup_mapping_ struct nsl_mapping m = { 0 };
        _cleanup_close_ int fd = open("/", O_PATH | O_CLOEXEC);
        size_t len = 0;

        (void)state;
        assert_int_equal(nsl_read_fd_mapped(fd, 8, &m, &len), -EBADF);
}

static int count_entry(const char *name, void *data, nsl_error *error)
{
        (void)error;
        assert_string_not_equal(name, ".");
        assert_string_not_equal(name, "..");
        ++*(int *)data;
        return 0;
}

/* A buffer of a few entries: getdents64 is called again until the end. */
static void a_directory_is_listed_through_a_small_buffer(void **state)
{
        char dir[] = "/tmp/nsl-test-fds-XXXXXX", path[64];
        _Alignas(8) char buf[128];
        int n = 0;

        (void)state;
        assert_non_null(mkdtemp(dir));
        for (int i = 0; i < 40; i++) {
                snprintf(path, sizeof path, "%s/entry-%02d", dir, i);
                close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
        }
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(nsl_dir_each_in(fd, buf, sizeof buf, count_entry, &n, NULL), 0);
        for (int i = 0; i < 40; i++) {
                snprintf(path, sizeof path, "%s/entry-%02d", dir, i);
                unlink(path);
        }
        rmdir(dir);
        assert_int_equal(n, 40);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_file_is_read_whole_into_a_mapping),
                cmocka_unit_test(max_bytes_fit_and_one_more_is_too_big),
                cmocka_unit_test(an_unreadable_fd_is_its_errno),
                cmocka_unit_test(a_directory_is_listed_through_a_small_buffer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

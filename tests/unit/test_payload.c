/* The pure part of the payload: the PATH search's candidates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "sandbox/init.h"

static void candidate_joins_dir_and_command(void **state)
{
        char out[64];
        const char *path = "/usr/bin:/bin";
        (void)state;
        assert_true(nsl_search_candidate(path, 8, "ls", out, sizeof out));
        assert_string_equal(out, "/usr/bin/ls");
}

static void empty_element_is_the_current_directory(void **state)
{
        char out[64];
        const char *path = ":/bin";
        (void)state;
        assert_true(nsl_search_candidate(path, 0, "ls", out, sizeof out));
        assert_string_equal(out, "./ls");
}

static void too_long_is_refused(void **state)
{
        char out[8];
        (void)state;
        assert_false(nsl_search_candidate("/usr/bin", 8, "ls", out, sizeof out));
        assert_false(nsl_search_candidate("", 0, "toolong", out, sizeof out));
        assert_true(nsl_search_candidate("", 0, "short", out, sizeof out));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(candidate_joins_dir_and_command),
                cmocka_unit_test(empty_element_is_the_current_directory),
                cmocka_unit_test(too_long_is_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

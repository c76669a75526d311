/* command.c: the message of a command given at start, as the caller's side
 * writes it and the payload checks it, and the environment it runs with. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "command.h"
#include "spec.h"

static char buf[NSL_COMMAND_MAX_BYTES];
static char *vec[NSL_COMMAND_MAX_WORDS + 2];

static int encode(char *const *argv, char *const *env, uint32_t mask)
{
        nsl_error e = { 0 };
        return nsl_command_encode(argv, env, mask, buf, sizeof buf, &e);
}

static void a_command_comes_through_whole(void **state)
{
        char *argv[] = { "python3", "-c", "", "x y", NULL }, *env[] = { "A=1", "EMPTY=", NULL };
        struct nsl_command c;
        (void)state;

        int n = encode(argv, env, 5);
        assert_true(n > 0);
        assert_int_equal(nsl_command_decode(buf, (size_t)n, vec, NSL_COMMAND_MAX_WORDS + 2, &c), 0);
        for (int i = 0; i < 4; i++)
                assert_string_equal(c.argv[i], argv[i]);
        assert_null(c.argv[4]);
        assert_string_equal(c.env[0], "A=1");
        assert_string_equal(c.env[1], "EMPTY=");
        assert_null(c.env[2]);
        assert_int_equal(c.stdio_mask, 5);

        n = encode(argv, NULL, 0);
        assert_int_equal(nsl_command_decode(buf, (size_t)n, vec, NSL_COMMAND_MAX_WORDS + 2, &c), 0);
        assert_null(c.env[0]);
        assert_null(c.argv[4]);
}

static void the_caller_is_told_what_is_wrong(void **state)
{
        char *none[] = { NULL }, *empty[] = { "", NULL }, *ok[] = { "true", NULL };
        char *bad_env[] = { "NOVALUE", NULL }, *no_name[] = { "=x", NULL };
        nsl_error e = { 0 };
        (void)state;

        assert_int_equal(nsl_command_encode(none, NULL, 0, buf, sizeof buf, &e), -EINVAL);
        assert_int_equal(nsl_command_encode(empty, NULL, 0, buf, sizeof buf, &e), -EINVAL);
        assert_int_equal(nsl_command_encode(NULL, NULL, 0, buf, sizeof buf, &e), -EINVAL);
        assert_int_equal(nsl_command_encode(ok, bad_env, 0, buf, sizeof buf, &e), -EINVAL);
        assert_string_equal(e.object, "NOVALUE");
        assert_int_equal(nsl_command_encode(ok, no_name, 0, buf, sizeof buf, &e), -EINVAL);

        /* too long, and too many words */
        char *big = malloc(NSL_COMMAND_MAX_BYTES);
        assert_non_null(big);
        memset(big, 'a', NSL_COMMAND_MAX_BYTES - 1);
        big[NSL_COMMAND_MAX_BYTES - 1] = '\0';
        char *long_argv[] = { big, NULL };
        assert_int_equal(nsl_command_encode(long_argv, NULL, 0, buf, sizeof buf, &e), -E2BIG);
        free(big);
        char **many = calloc(NSL_COMMAND_MAX_WORDS + 2, sizeof *many);
        assert_non_null(many);
        for (int i = 0; i <= NSL_COMMAND_MAX_WORDS; i++)
                many[i] = "w";
        assert_int_equal(nsl_command_encode(many, NULL, 0, buf, sizeof buf, &e), -E2BIG);
        many[NSL_COMMAND_MAX_WORDS] = NULL;
        assert_true(nsl_command_encode(many, NULL, 0, buf, sizeof buf, &e) > 0);
        free(many);
}

/* The payload takes the message from whoever holds the start socket: any
 * malformed one is refused, never read past. */
static void a_malformed_message_is_refused(void **state)
{
        char *argv[] = { "sh", "-c", "exit 3", NULL }, *env[] = { "A=1", NULL };
        struct nsl_command c;
        struct nsl_command_header h;
        const size_t nv = NSL_COMMAND_MAX_WORDS + 2;
        (void)state;

        int n = encode(argv, env, 1);
        assert_true(n > 0);
        for (int len = 0; len < n; len++)       /* every truncation */
                assert_int_equal(nsl_command_decode(buf, (size_t)len, vec, nv, &c), -EBADMSG);
        assert_int_equal(nsl_command_decode(buf, (size_t)n, vec, 3, &c), -EBADMSG);  /* no room */

        memcpy(&h, buf, sizeof h);
        h.argc = 0xffffffff;                    /* counts that overflow */
        memcpy(buf, &h, sizeof h);
        assert_int_equal(nsl_command_decode(buf, (size_t)n, vec, nv, &c), -EBADMSG);
        h.argc = 3;
        h.envc = 2;                             /* more words than the message has */
        memcpy(buf, &h, sizeof h);
        assert_int_equal(nsl_command_decode(buf, (size_t)n, vec, nv, &c), -EBADMSG);
        h.envc = 0;                             /* fewer: bytes left over */
        memcpy(buf, &h, sizeof h);
        assert_int_equal(nsl_command_decode(buf, (size_t)n, vec, nv, &c), -EBADMSG);
        h.envc = 1;
        h.stdio_mask = 8;                       /* an fd beyond 2 */
        memcpy(buf, &h, sizeof h);
        assert_int_equal(nsl_command_decode(buf, (size_t)n, vec, nv, &c), -EBADMSG);
        h.stdio_mask = 1;
        memcpy(buf, &h, sizeof h);
        assert_int_equal(nsl_command_decode(buf, (size_t)n, vec, nv, &c), 0);
        buf[n - 3] = 'X';                       /* "A=1" -> "AX1": no '=' */
        assert_int_equal(nsl_command_decode(buf, (size_t)n, vec, nv, &c), -EBADMSG);
        buf[0] = 'X';                           /* not our magic */
        assert_int_equal(nsl_command_decode(buf, (size_t)n, vec, nv, &c), -EBADMSG);
        assert_int_equal(nsl_command_decode(buf, NSL_COMMAND_MAX_BYTES + 1, vec, nv, &c), -EBADMSG);
}

static void the_given_environment_adds_and_replaces(void **state)
{
        char *base[] = { "PATH=/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8", NULL };
        char *extra[] = { "HOME=/home/x", "NEW=1", "NEW=2", NULL };
        char *out[8];
        (void)state;

        assert_int_equal(nsl_env_merge(base, extra, out), 4);
        assert_string_equal(out[0], "PATH=/usr/bin:/bin");
        assert_string_equal(out[1], "LANG=C.UTF-8");
        assert_string_equal(out[2], "HOME=/home/x");
        assert_string_equal(out[3], "NEW=2");
        assert_null(out[4]);
        assert_string_equal(nsl_env_path(out, "/fallback"), "/usr/bin:/bin");
        assert_int_equal(nsl_env_merge(base, NULL, out), 3);
        char *path[] = { "PATH=/opt/bin", NULL };
        nsl_env_merge(base, path, out);
        assert_string_equal(nsl_env_path(out, "/fallback"), "/opt/bin");
        assert_string_equal(nsl_env_path(extra, "/fallback"), "/fallback");
}

static void fds_that_came_are_matched_to_the_mask(void **state)
{
        int fds[3] = { 7, 8, 9 }, stdio[3];
        (void)state;

        assert_int_equal(nsl_command_stdio(5, fds, 2, stdio), 0);
        assert_int_equal(stdio[0], 7);
        assert_int_equal(stdio[1], -1);
        assert_int_equal(stdio[2], 8);
        assert_int_equal(nsl_command_stdio(0, fds, 0, stdio), 0);
        assert_int_equal(stdio[0], -1);
        assert_int_equal(nsl_command_stdio(1, fds, 2, stdio), -EBADMSG);       /* one too many */
        assert_int_equal(nsl_command_stdio(3, fds, 1, stdio), -EBADMSG);       /* one missing */
        assert_int_equal(nsl_command_stdio(8, fds, 0, stdio), -EBADMSG);       /* beyond 2 */
}

/* A spec that leaves its command to start is for the create/start handle
 * and pools only: nsl_run refuses it before anything is made, and a pool
 * refuses a spec that has its command already. */
static void only_handles_and_pools_take_a_command_at_start(void **state)
{
        nsl_spec *spec = nsl_spec_new();
        nsl_result result;
        nsl_pool *pool = (nsl_pool *)&state;
        nsl_error e = { 0 };
        char *argv[] = { "true", NULL };
        (void)state;

        assert_non_null(spec);
        assert_int_equal(nsl_spec_set_command(spec, argv, &e), 0);
        assert_int_equal(nsl_pool_new(spec, 2, &pool, &e), -EINVAL);
        assert_null(pool);
        assert_non_null(strstr(e.cause, "nsl_spec_set_command_at_start"));
        nsl_spec_set_command_at_start(spec);
        assert_int_equal(nsl_run(spec, &result, &e), -EINVAL);
        assert_non_null(strstr(e.cause, "leaves it to start"));
        assert_int_equal(nsl_pool_new(spec, 0, &pool, &e), -EINVAL);
        assert_int_equal(nsl_pool_new(spec, 1025, &pool, &e), -EINVAL);
        nsl_result_release(&result);
        nsl_spec_free(spec);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(a_command_comes_through_whole),
                cmocka_unit_test(the_caller_is_told_what_is_wrong),
                cmocka_unit_test(a_malformed_message_is_refused),
                cmocka_unit_test(the_given_environment_adds_and_replaces),
                cmocka_unit_test(fds_that_came_are_matched_to_the_mask),
                cmocka_unit_test(only_handles_and_pools_take_a_command_at_start),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

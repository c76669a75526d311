/* The config's hooks, run for real: the state on standard input, the
 * config's args and env, order, failures and timeouts named, no fd leaked. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <time.h>

#include "oci/fixture.h"

static char dir[64];

static int make_dir(void **state)
{
        (void)state;
        snprintf(dir, sizeof dir, "/tmp/nsl-oci-hooks-XXXXXX");
        return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
        char path[128];
        (void)state;
        snprintf(path, sizeof path, "%s/out", dir);
        unlink(path);
        return rmdir(dir);
}

/* An oci whose hooks.KIND is hooks_json. */
static nsl_oci *load_hooks(const char *kind, const char *hooks_json)
{
        char key[64];
        char *text, *bundle;
        nsl_oci *oci = NULL;
        nsl_error e = { 0 };

        snprintf(key, sizeof key, "hooks.%s", kind);
        text = config_with(key, hooks_json);
        bundle = write_bundle(text);
        assert_int_equal(nsl_oci_load(bundle, &oci, &e), 0);
        remove_bundle(bundle);
        free(text);
        return oci;
}

static char *sh_hook(const char *script, const char *timeout)
{
        char *json;
        assert_true(asprintf(&json, "{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"%s\"],"
                                    " \"env\": [\"PATH=/usr/bin:/bin\", \"OUT=%s/out\", \"A=from-the-config\"]%s%s}",
                             script, dir, timeout ? ", \"timeout\": " : "", timeout ? timeout : "") > 0);
        return json;
}

static char *read_out(void)
{
        static char buf[4096];
        char path[128];
        int fd;
        ssize_t n;

        snprintf(path, sizeof path, "%s/out", dir);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        assert_true(n >= 0);
        buf[n] = '\0';
        return buf;
}

static void state_on_stdin_with_args_and_env(void **state)
{
        char *hook = sh_hook("cat > $OUT; echo \\\" $A $HOME\\\" >> $OUT", NULL);
        char list[1024];
        nsl_oci *oci;
        nsl_error e = { 0 };
        (void)state;

        snprintf(list, sizeof list, "[%s]", hook);
        oci = load_hooks("createRuntime", list);
        assert_int_equal(nsl_oci_run_hooks(oci, "createRuntime", "{\"id\": \"c1\", \"status\": \"creating\"}", &e), 0);
        /* the config's env alone: no HOME from the caller */
        assert_string_equal(read_out(), "{\"id\": \"c1\", \"status\": \"creating\"} from-the-config \n");
        /* the other kinds have no hooks here */
        assert_int_equal(nsl_oci_run_hooks(oci, "poststop", "{}", &e), 0);
        nsl_oci_free(oci);
        free(hook);
}

static void in_order_and_the_first_failure_is_named(void **state)
{
        char *one = sh_hook("echo 1 >> $OUT", NULL), *fail = sh_hook("exit 3", NULL), *three = sh_hook("echo 3 >> $OUT", NULL);
        char list[2048], line[1200], path[128];
        nsl_oci *oci;
        nsl_error e = { 0 };
        (void)state;

        snprintf(path, sizeof path, "%s/out", dir);
        unlink(path);
        snprintf(list, sizeof list, "[%s, %s, %s]", one, fail, three);
        oci = load_hooks("poststart", list);
        assert_true(nsl_oci_run_hooks(oci, "poststart", "{}", &e) < 0);
        nsl_error_format(&e, line, sizeof line);
        assert_string_equal(line, "nslaunch: hooks.poststart[1]: /bin/sh: exited with status 3");
        assert_string_equal(read_out(), "1\n");
        nsl_oci_free(oci);
        free(one);
        free(fail);
        free(three);
}

/* Gone, or a zombie its new parent has not collected yet. */
static bool sleep_is_alive(const char *proc)
{
        char stat[512] = "";
        int fd = open(proc, O_RDONLY | O_CLOEXEC);
        ssize_t n;
        char *end;

        if (fd < 0)
                return false;
        n = read(fd, stat, sizeof stat - 1);
        close(fd);
        end = n > 0 ? strrchr(stat, ')') : NULL;
        return end && end[1] == ' ' && end[2] != 'Z' && strstr(stat, "(sleep)");
}

static void timeout_kills_the_hook_and_what_it_started(void **state)
{
        /* 3 s: time enough for the shell to start its sleep and say its pid
         * on a slow machine (a sanitizer build in an emulated VM) */
        char *hook = sh_hook("sleep 30 & echo $! > $OUT; wait", "3");
        char list[1024], line[1200], proc[64];
        struct timespec t0, t1;
        nsl_oci *oci;
        nsl_error e = { 0 };
        (void)state;

        snprintf(list, sizeof list, "[%s]", hook);
        oci = load_hooks("prestart", list);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_true(nsl_oci_run_hooks(oci, "prestart", "{}", &e) < 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        nsl_error_format(&e, line, sizeof line);
        assert_string_equal(line, "nslaunch: hooks.prestart[0]: /bin/sh: killed after its timeout of 3 s");
        assert_true(t1.tv_sec - t0.tv_sec < 10);
        /* the sleep the hook started went with it (SIGKILL is sent; its end
         * may take the kernel a moment) */
        assert_true(atoi(read_out()) > 1);
        snprintf(proc, sizeof proc, "/proc/%d/stat", atoi(read_out()));
        for (int i = 0; i < 100 && sleep_is_alive(proc); i++)
                nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
        assert_false(sleep_is_alive(proc));
        nsl_oci_free(oci);
        free(hook);
}

static void no_fd_leaks_into_a_hook(void **state)
{
        char *hook = sh_hook("test -e /proc/self/fd/50 && exit 9; exit 0", NULL);
        char list[1024];
        nsl_oci *oci;
        nsl_error e = { 0 };
        int fd = open("/dev/null", O_RDONLY);  /* without O_CLOEXEC on purpose */
        (void)state;

        assert_int_equal(dup2(fd, 50), 50);
        close(fd);
        snprintf(list, sizeof list, "[%s]", hook);
        oci = load_hooks("prestart", list);
        assert_int_equal(nsl_oci_run_hooks(oci, "prestart", "{}", &e), 0);
        close(50);
        nsl_oci_free(oci);
        free(hook);
}

static void large_state_unread_and_a_missing_program(void **state)
{
        char *big = malloc(1 << 20);
        char line[1200];
        nsl_oci *oci;
        nsl_error e = { 0 };
        (void)state;

        /* a hook that reads nothing of a state larger than a pipe holds */
        oci = load_hooks("createRuntime", "[{\"path\": \"/bin/true\"}]");
        memset(big, 'x', (1 << 20) - 1);
        big[(1 << 20) - 1] = '\0';
        assert_int_equal(nsl_oci_run_hooks(oci, "createRuntime", big, &e), 0);
        nsl_oci_free(oci);
        free(big);

        oci = load_hooks("prestart", "[{\"path\": \"/nonexistent/hook\"}]");
        assert_true(nsl_oci_run_hooks(oci, "prestart", "{}", &e) < 0);
        nsl_error_format(&e, line, sizeof line);
        assert_string_equal(line, "nslaunch: hooks.prestart[0]: /nonexistent/hook: could not be executed (exit status 127)");
        assert_true(nsl_oci_run_hooks(oci, "preflight", "{}", &e) < 0);
        nsl_error_format(&e, line, sizeof line);
        assert_string_equal(line, "nslaunch: hooks: preflight: unknown kind of hook");
        nsl_oci_free(oci);
}

/* createContainer and startContainer run in the container's namespaces
 * only (tests/integration/test_oci_cli.py enters a real one); the others
 * never do, and a container hook without an init to enter is refused
 * unless there is none to run. */
static void container_hooks_need_the_container(void **state)
{
        char line[1200];
        nsl_oci *oci = load_hooks("startContainer", "[{\"path\": \"/bin/true\"}]");
        nsl_error e = { 0 };
        (void)state;

        assert_int_equal(nsl_oci_run_hooks(oci, "startContainer", "{}", &e), -EINVAL);
        nsl_error_format(&e, line, sizeof line);
        assert_string_equal(line, "nslaunch: hooks: startContainer: run in the container's namespaces: "
                                  "nsl_oci_run_container_hooks");
        assert_int_equal(nsl_oci_run_container_hooks(oci, "prestart", "{}", 0, &e), -EINVAL);
        assert_int_equal(nsl_oci_run_container_hooks(oci, "startContainer", "{}", -1, &e), -ESRCH);
        nsl_error_format(&e, line, sizeof line);
        assert_string_equal(line, "nslaunch: hooks: startContainer: the container's init is gone: nothing to run "
                                  "it in");
        assert_int_equal(nsl_oci_run_container_hooks(oci, "createContainer", "{}", -1, &e), 0);
        nsl_oci_free(oci);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(state_on_stdin_with_args_and_env),
                cmocka_unit_test(in_order_and_the_first_failure_is_named),
                cmocka_unit_test(timeout_kills_the_hook_and_what_it_started),
                cmocka_unit_test(no_fd_leaks_into_a_hook),
                cmocka_unit_test(large_state_unread_and_a_missing_program),
                cmocka_unit_test(container_hooks_need_the_container),
        };
        return cmocka_run_group_tests(tests, make_dir, remove_dir);
}

/* Drives the library's OCI pieces for tests/integration/test_oci_exec.py,
 * as a runtime and its engine would, and prints what it saw:
 *
 *   oci-probe console ROWS COLS INPUT -- CMD...
 *      a sandbox running CMD with a console socket: the probe plays the
 *      engine (a listener, as conmon's), takes the pty's master, writes
 *      INPUT to it and prints what comes back.
 *   oci-probe exec [OPTIONS] -- CMD...
 *      a sandbox running a long sleep, then CMD run in it with nsl_exec;
 *      options set the process: --uid U --gid G (--sandbox-uid U --sandbox-gid G
 *      the sandbox's: only its own ids are mapped, unless --sandbox-identity-map N
 *      maps 0..N-1 onto the same host ids) --group G --stdin own (CMD's stdin
 *      the probe's own instead of the pipe) --cap C --seccomp MODE
 *      --cwd D --env K=V --memory M (the sandbox's) --console ROWS COLS INPUT.
 *      CMD's stdin is a pipe the probe closes once it has compared the
 *      process's cgroups with init's, so CMD can wait on it.
 *
 * PROBE_BUNDLE=dev|bare (console): the OCI bundle layout, with or without /dev.
 * PROBE_REPEAT=N: first N execs of CMD timed ("exec-ms mean M best B n N").
 * PROBE_EXEC_AT_ONCE=1: exec right after nsl_sandbox_start, without waiting
 * for the sandbox's command to run (nsl_exec must refuse then).
 *
 * Lines: "init-ns NAME LINK", "exec-pid N", "cgroup-same yes|no",
 * "console-name NAME", "console-fds N", "console-output: TEXT" (\r
 * dropped, \n shown as |), "exit N", or "probe: ..." on a failure (exit 2). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <nslaunch.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static _Noreturn void die(const char *what, const nsl_error *error)
{
        char line[1200] = "";

        if (error)
                nsl_error_format(error, line, sizeof line);
        else
                snprintf(line, sizeof line, "%s", strerror(errno));
        printf("probe: %s: %s\n", what, line);
        exit(2);
}

struct console {
        int listener, runtime_end;      /* the engine's listening socket; the runtime's connected one */
        unsigned rows, cols;
        const char *input;
};

/* The engine's side: a listening socket at a path, the runtime's side
 * connected to it, as `runc create --console-socket PATH` does. */
static void console_listen(struct console *c)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };

        snprintf(addr.sun_path, sizeof addr.sun_path, "/tmp/nsl-oci-probe-%d.sock", getpid());
        unlink(addr.sun_path);
        c->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->listener < 0 || bind(c->listener, (struct sockaddr *)&addr, sizeof addr) < 0 ||
            listen(c->listener, 1) < 0)
                die("listen", NULL);
        c->runtime_end = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->runtime_end < 0 || connect(c->runtime_end, (struct sockaddr *)&addr, sizeof addr) < 0)
                die("connect", NULL);
        unlink(addr.sun_path);
}

/* One message, every fd it carries counted; returns the first. */
static int console_take_master(struct console *c)
{
        int conn = accept4(c->listener, NULL, NULL, SOCK_CLOEXEC), fds = 0, master = -1;
        char name[256] = "", control[CMSG_SPACE(4 * sizeof(int))];
        struct iovec iov = { .iov_base = name, .iov_len = sizeof name - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                             .msg_controllen = sizeof control };
        ssize_t n;

        if (conn < 0)
                die("accept", NULL);
        n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0)
                die("recvmsg", NULL);
        name[n] = 0;
        for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h))
                if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
                        for (size_t i = 0; i < (h->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++, fds++)
                                if (master < 0)
                                        memcpy(&master, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
        /* the sandbox closed its end: end of stream now */
        char more;
        printf("console-name %s\nconsole-fds %d\nconsole-eof %s\n", name, fds,
               recv(conn, &more, 1, 0) == 0 ? "yes" : "no");
        printf("console-master-isatty %d\n", master >= 0 && isatty(master));
        fflush(stdout);
        close(conn);
        return master;
}

/* Writes the input and reads until the last holder of the slave is gone. */
static void console_relay(struct console *c, int master)
{
        char buf[4096];
        ssize_t n;

        if (write(master, c->input, strlen(c->input)) < 0)
                die("write master", NULL);
        printf("console-output: ");
        while ((n = read(master, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
                for (ssize_t i = 0; i < n; i++)
                        if (buf[i] != '\r')
                                putchar(buf[i] == '\n' ? '|' : buf[i]);
        putchar('\n');
        close(master);
}

static void print_status(int status)
{
        printf("exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* PROBE_BUNDLE: the OCI bundle's layout, "dev" with nslaunch's /dev and
 * /proc, "bare" with neither */
static int bundle_layout(nsl_spec *spec, const char *how, nsl_error *error)
{
        if (!how)
                return 0;
        nsl_spec_set_bundle_layout(spec, true);
        if (strcmp(how, "dev"))
                return 0;
        nsl_spec_set_dev(spec, true);
        return nsl_spec_set_proc(spec, "pid", error);
}

static int run_console(char **argv)
{
        struct console c = { .rows = (unsigned)atoi(argv[0]), .cols = (unsigned)atoi(argv[1]), .input = argv[2] };
        nsl_error error = { 0 };
        nsl_sandbox *sb = NULL;
        nsl_result result;
        nsl_spec *spec = nsl_spec_new();

        console_listen(&c);
        if (!spec || nsl_spec_set_command(spec, argv + 4, &error) < 0 ||
            nsl_spec_set_console_socket(spec, c.runtime_end, &error) < 0 ||
            nsl_spec_set_console_size(spec, c.rows, c.cols, &error) < 0 ||
            (getenv("PROBE_LANDLOCK") && nsl_spec_set_landlock(spec, getenv("PROBE_LANDLOCK"), &error) < 0) ||
            bundle_layout(spec, getenv("PROBE_BUNDLE"), &error) < 0 ||
            nsl_sandbox_create(spec, &sb, &error) < 0)
                die("create", &error);
        close(c.runtime_end);
        int master = console_take_master(&c);
        if (master < 0) {       /* the sandbox failed: its error */
                if (nsl_sandbox_wait(sb, -1, &result, &error) < 0)
                        die("sandbox", &error);
                die("no master", NULL);
        }
        if (nsl_sandbox_start(sb, &error) < 0)
                die("start", &error);
        console_relay(&c, master);
        if (nsl_sandbox_wait(sb, -1, &result, &error) < 0)
                die("wait", &error);
        printf("exit %d\n", result.exit_code);
        nsl_result_release(&result);
        nsl_sandbox_free(sb);
        nsl_spec_free(spec);
        return 0;
}

static void print_namespaces(pid_t pid)
{
        static const char *const names[] = { "mnt", "pid", "user", "ipc", "uts", "net", "cgroup" };

        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                char path[64], link[64] = "";
                snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, names[i]);
                /* unreadable when init is not dumpable and we are not root */
                if (readlink(path, link, sizeof link - 1) < 0 && errno != EACCES)
                        die(path, NULL);
                printf("init-ns %s %s\n", names[i], link[0] ? link : "?");
        }
}

static char *read_cgroups(pid_t pid)
{
        static char bufs[2][8192];
        static int which;
        char *buf = bufs[which++ % 2], path[64];
        int fd;
        ssize_t n;

        snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (n = read(fd, buf, sizeof bufs[0] - 1)) < 0)
                die(path, NULL);
        buf[n] = 0;
        close(fd);
        return buf;
}

static void wait_for_command(nsl_sandbox *sb, pid_t init)
{
        char path[64], comm[64], children[256];

        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)init, (int)init);
        for (int tries = 0; tries < 1000; tries++, usleep(10000)) {
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                ssize_t n = fd < 0 ? -1 : read(fd, children, sizeof children - 1);
                if (fd >= 0)
                        close(fd);
                if (n <= 0)
                        continue;
                children[n] = 0;
                snprintf(path, sizeof path, "/proc/%d/comm", atoi(children));
                fd = open(path, O_RDONLY | O_CLOEXEC);
                n = fd < 0 ? -1 : read(fd, comm, sizeof comm - 1);
                if (fd >= 0)
                        close(fd);
                snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)init, (int)init);
                if (n > 0 && !strncmp(comm, "sleep\n", 6))
                        return;
        }
        nsl_result result;
        nsl_error error = { 0 };
        if (nsl_sandbox_wait(sb, 0, &result, &error) < 0 && error.what[0])
                die("the sandbox's command never ran", &error);
        die("the sandbox's command never ran", NULL);
}

/* PROBE_REPEAT=N: N execs of the command, each waited for: the mean and
 * the fastest, from nsl_exec's call to the process's end. */
static void time_execs(pid_t init, const nsl_spec *process, int n)
{
        double sum = 0, best = 1e9;

        for (int i = 0; i < n; i++) {
                struct timespec a, b;
                nsl_error error = { 0 };
                int status;
                pid_t pid;
                clock_gettime(CLOCK_MONOTONIC, &a);
                if (nsl_exec(init, process, &pid, &error) < 0)
                        die("exec", &error);
                waitpid(pid, &status, 0);
                clock_gettime(CLOCK_MONOTONIC, &b);
                double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
                sum += ms;
                best = ms < best ? ms : best;
        }
        printf("exec-ms mean %.3f best %.3f n %d\n", sum / n, best, n);
}

static int run_exec(char **argv)
{
        nsl_spec *spec = nsl_spec_new(), *process = nsl_spec_new();
        char *sleeper[] = { "sleep", "600", NULL };
        struct console c = { .listener = -1 };
        nsl_error error = { 0 };
        nsl_sandbox *sb = NULL;
        int hold[2], stray, status;
        bool own_stdin = false;
        pid_t pid;

        if (!spec || !process || pipe2(hold, O_CLOEXEC) < 0)
                die("setup", NULL);
        for (; *argv && strcmp(*argv, "--"); argv += 2) {
                const char *opt = argv[0], *value = argv[1];
                int r = 0;
                if (!value)
                        die(opt, NULL);
                if (!strcmp(opt, "--uid"))
                        r = nsl_spec_set_uid(process, value, &error);
                else if (!strcmp(opt, "--gid"))
                        r = nsl_spec_set_gid(process, value, &error);
                else if (!strcmp(opt, "--stdin") && !strcmp(value, "own"))    /* the probe's 0, not the pipe */
                        own_stdin = true;
                else if (!strcmp(opt, "--group"))
                        r = nsl_spec_add_group(process, (gid_t)atoi(value), &error);
                else if (!strcmp(opt, "--sandbox-identity-map"))      /* as an OCI runtime run by root: 0 0 N */
                        r = nsl_spec_add_id_map(spec, 'u', 0, 0, (uint32_t)atoi(value), &error) < 0
                                    ? -1
                                    : nsl_spec_add_id_map(spec, 'g', 0, 0, (uint32_t)atoi(value), &error);
                else if (!strcmp(opt, "--sandbox-uid"))
                        r = nsl_spec_set_uid(spec, value, &error);
                else if (!strcmp(opt, "--sandbox-gid"))
                        r = nsl_spec_set_gid(spec, value, &error);
                else if (!strcmp(opt, "--cap"))
                        r = nsl_spec_add_cap(process, value, &error);
                else if (!strcmp(opt, "--seccomp"))
                        r = nsl_spec_set_seccomp(process, value, &error);
                else if (!strcmp(opt, "--cwd"))
                        r = nsl_spec_set_cwd(process, value, &error);
                else if (!strcmp(opt, "--env"))
                        r = nsl_spec_add_env(process, value, &error);
                else if (!strcmp(opt, "--memory"))
                        r = nsl_spec_set_memory(spec, value, &error);
                else if (!strcmp(opt, "--console")) {
                        c.rows = (unsigned)atoi(value);
                        c.cols = (unsigned)atoi(argv[2]);
                        c.input = argv[3];
                        argv += 2;
                        console_listen(&c);
                        r = nsl_spec_set_console_socket(process, c.runtime_end, &error);
                        if (r == 0)
                                r = nsl_spec_set_console_size(process, c.rows, c.cols, &error);
                } else {
                        printf("probe: unknown option %s\n", opt);
                        return 2;
                }
                if (r < 0)
                        die(opt, &error);
        }
        if (!*argv || !argv[1])
                die("no command", NULL);
        /* with --stdin own the sandbox's init must not claim the probe's
         * terminal: the exec'd process is to meet it as it is */
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull < 0 || nsl_spec_set_stdio(spec, devnull, -1, -1, &error) < 0)
                die("/dev/null", &error);
        if (nsl_spec_set_command(spec, sleeper, &error) < 0 || nsl_sandbox_create(spec, &sb, &error) < 0 ||
            nsl_sandbox_start(sb, &error) < 0)
                die("sandbox", &error);
        /* nsl_sandbox_start returns before the command has executed; exec
         * needs it running */
        if (getenv("PROBE_EXEC_AT_ONCE"))
                printf("at-once\n");
        else
                wait_for_command(sb, nsl_sandbox_pid(sb));

        /* a host fd the new process must not see (not close-on-exec) */
        stray = open("/etc/hostname", O_RDONLY);
        if (stray < 0 || nsl_spec_set_command(process, argv + 1, &error) < 0 ||
            nsl_spec_set_stdio(process, own_stdin ? -1 : hold[0], -1, -1, &error) < 0)
                die("process", &error);
        if (getenv("PROBE_REPEAT"))
                time_execs(nsl_sandbox_pid(sb), process, atoi(getenv("PROBE_REPEAT")));
        if (nsl_exec(nsl_sandbox_pid(sb), process, &pid, &error) < 0)
                die("exec", &error);
        close(stray);
        close(hold[0]);
        print_namespaces(nsl_sandbox_pid(sb));  /* final once the command runs */
        printf("exec-pid %d\n", (int)pid);
        if (c.listener >= 0)
                close(c.runtime_end);
        /* while it waits on its stdin */
        if (!own_stdin)
                printf("init-cgroup-is-mine %s\n", strcmp(read_cgroups(getpid()), read_cgroups(nsl_sandbox_pid(sb))) ? "no" : "yes");
        if (!own_stdin)
                printf("cgroup-same %s\n", strcmp(read_cgroups(pid),
                                          read_cgroups(nsl_sandbox_pid(sb))) ? "no" : "yes");
        fflush(stdout);
        if (c.listener >= 0) {
                int master = console_take_master(&c);
                if (master < 0)
                        die("no master", NULL);
                console_relay(&c, master);
        }
        close(hold[1]);
        if (waitpid(pid, &status, 0) != pid)
                die("waitpid", NULL);
        print_status(status);
        nsl_sandbox_free(sb);
        nsl_spec_free(process);
        nsl_spec_free(spec);
        return 0;
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc > 5 && !strcmp(argv[1], "console") && !strcmp(argv[5], "--"))
                return run_console(argv + 2);
        if (argc > 2 && !strcmp(argv[1], "exec"))
                return run_exec(argv + 2);
        fprintf(stderr, "usage: oci-probe console ROWS COLS INPUT -- CMD... | exec [OPTIONS] -- CMD...\n");
        return 2;
}

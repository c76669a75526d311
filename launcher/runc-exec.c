/* nslaunch-runc exec: another process in a running container, through
 * nsl_exec (it joins init's namespaces and cgroup and is confined as the
 * container's process is: capabilities, no_new_privs, seccomp last). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "runc.h"

enum { E_PROCESS = 1, E_TTY, E_CONSOLE_SOCKET, E_DETACH, E_PID_FILE, E_CWD, E_ENV, E_USER, E_CAP, E_NO_NEW_PRIVS,
       E_PRESERVE_FDS, E_IGNORED };

static const struct nsl_option_def exec_options[] = {
        { "process", 'p', true, E_PROCESS },
        { "tty", 't', false, E_TTY },
        { "console-socket", 0, true, E_CONSOLE_SOCKET },
        { "detach", 'd', false, E_DETACH },
        { "pid-file", 0, true, E_PID_FILE },
        { "cwd", 0, true, E_CWD },
        { "env", 'e', true, E_ENV },
        { "user", 'u', true, E_USER },
        { "cap", 'c', true, E_CAP },
        { "no-new-privs", 0, false, E_NO_NEW_PRIVS },   /* always on in nslaunch */
        { "preserve-fds", 0, true, E_PRESERVE_FDS },
        { 0 },
};

struct exec_args {
        const char *process, *console_socket, *pid_file;
        bool tty, detach;
};

static int connect_socket(const char *path, nsl_error *error)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;

        if (strlen(path) >= sizeof addr.sun_path)
                return nsl_fail(error, ENAMETOOLONG, "--console-socket", path, NULL);
        strcpy(addr.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
                return nsl_fail(error, errno, "--console-socket", path, NULL);
        return TAKE_FD(fd);
}

static int set_user(nsl_spec *spec, const char *value, nsl_error *error)
{
        char uid[32];
        const char *colon = strchr(value, ':');
        int r;

        snprintf(uid, sizeof uid, "%.*s", colon ? (int)(colon - value) : (int)strlen(value), value);
        if ((r = nsl_spec_set_uid(spec, uid, error)) < 0)
                return r;
        return colon ? nsl_spec_set_gid(spec, colon + 1, error) : 0;
}

static int parse_exec(struct nsl_tokens *t, nsl_spec *spec, struct exec_args *a, nsl_error *error)
{
        enum nsl_token token;
        int id, r = 0;

        while (r == 0 && (token = nsl_next_token(t, exec_options, &id)) == NSL_TOKEN_OPTION) {
                switch (id) {
                case E_PROCESS: a->process = t->value; break;
                case E_TTY: a->tty = true; break;
                case E_CONSOLE_SOCKET: a->console_socket = t->value; break;
                case E_DETACH: a->detach = true; break;
                case E_PID_FILE: a->pid_file = t->value; break;
                case E_CWD: r = nsl_spec_set_cwd(spec, t->value, error); break;
                case E_ENV: r = nsl_spec_add_env(spec, t->value, error); break;
                case E_USER: r = set_user(spec, t->value, error); break;
                case E_CAP: r = nsl_spec_add_cap(spec, t->value, error); break;
                case E_NO_NEW_PRIVS: break;
                case E_PRESERVE_FDS: {
                        char *end;
                        unsigned long n = strtoul(t->value, &end, 10);
                        if (*end || !t->value[0] || n > 1024)
                                return nsl_fail(error, EINVAL, "--preserve-fds", t->value, "not a number of fds (0 to 1024)");
                        for (unsigned long i = 0; r == 0 && i < n; i++) {
                                char fd[16];
                                snprintf(fd, sizeof fd, "%lu", 3 + i);
                                r = nsl_spec_add_keep_fd(spec, fd, error);
                        }
                        break;
                }
                }
        }
        if (r < 0)
                return r;
        if (token != NSL_TOKEN_END)
                return nsl_fail(error, EINVAL, "exec", t->spelled, token == NSL_TOKEN_UNKNOWN ? "unknown option" : "missing value");
        if (t->index >= t->argc)
                return nsl_fail(error, EINVAL, "exec", "", "no container ID");
        return 0;
}

static int wait_exit_code(pid_t pid)
{
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return 1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int nsl_runc_exec(const struct nsl_runc *g, int argc, char **argv)
{
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1 };
        struct nsl_runc_state state = { 0 };
        struct exec_args a = { 0 };
        _cleanup_close_ int dirfd = -1, console_fd = -1;
        nsl_spec *spec = nsl_spec_new();
        nsl_error error = { 0 };
        const char *id = NULL;
        pid_t pid = -1;
        int r;

        if (!spec)
                return nsl_runc_fail(g, "exec", "", strerror(ENOMEM));
        r = parse_exec(&t, spec, &a, &error);
        id = r == 0 ? argv[t.index] : NULL;
        if (r == 0 && a.process)
                r = nsl_oci_process_load(a.process, spec, &error);
        else if (r == 0 && t.index + 1 >= argc)
                r = nsl_fail(&error, EINVAL, "exec", id, "no command: ARGS... or --process FILE");
        else if (r == 0)
                r = nsl_spec_set_command(spec, argv + t.index + 1, &error);
        if (r == 0 && a.tty != !!a.console_socket)
                r = nsl_fail(&error, EINVAL, "--tty", "", "--tty and --console-socket go together");
        if (r == 0 && a.console_socket) {
                r = console_fd = connect_socket(a.console_socket, &error);
                if (r >= 0)
                        r = nsl_spec_set_console_socket(spec, console_fd, &error);
        } else if (r == 0) {
                r = nsl_spec_set_stdio(spec, 0, 1, 2, &error);
        }
        if (r == 0)
                r = dirfd = nsl_runc_dir_open(g, id, false, &error);
        if (r >= 0)
                r = nsl_runc_state_read(dirfd, id, &state, &error);
        if (r == 0 && nsl_runc_status(&state) != NSL_RUNC_RUNNING)
                r = nsl_fail(&error, EINVAL, "exec", id, "the container is %s, not running",
                             nsl_runc_status_name(nsl_runc_status(&state)));
        if (r == 0)
                r = nsl_exec(state.pid, spec, &pid, &error);
        if (r == 0 && a.pid_file)
                r = nsl_runc_write_pid_file(a.pid_file, pid, &error);
        nsl_runc_state_release(&state);
        nsl_spec_free(spec);
        if (r < 0) {
                if (pid > 0) {
                        kill(pid, SIGKILL);
                        wait_exit_code(pid);
                }
                return nsl_runc_fail_error(g, &error);
        }
        return a.detach ? 0 : wait_exit_code(pid);
}

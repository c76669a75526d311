/* nslaunch-runc exec: another process in a created or running container, through
 * nsl_exec (it joins init's namespaces and cgroup and is confined as the
 * container's process is: capabilities, no_new_privs as asked, seccomp
 * last). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "parse/parse.h"
#include "runc.h"

enum { E_PROCESS = 1, E_TTY, E_CONSOLE_SOCKET, E_DETACH, E_PID_FILE, E_CWD, E_ENV, E_USER, E_CAP, E_NO_NEW_PRIVS,
       E_PRESERVE_FDS, E_GIDS, E_IGNORE_PAUSED, E_CGROUP };

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
        { "no-new-privs", 0, false, E_NO_NEW_PRIVS },
        { "preserve-fds", 0, true, E_PRESERVE_FDS },
        { "additional-gids", 'g', true, E_GIDS },
        { "ignore-paused", 0, false, E_IGNORE_PAUSED },
        { "cgroup", 0, true, E_CGROUP },
        { 0 },
};

/* The options as given: applied once the container's config has set the
 * defaults they change. */
struct exec_args {
        const char *process, *console_socket, *pid_file, *cwd, *user;
        const char **env, **caps, **gids, **cgroups;    /* argc slots each */
        size_t n_env, n_caps, n_gids, n_cgroups;
        unsigned preserve_fds;
        bool tty, detach, no_new_privs;
        bool ignore_paused;     /* a paused container's process starts frozen, and runs on at resume */
};

/* --additional-gids: added to the process's own (the config's, or
 * --process's), as runc adds them. */
static int add_group(nsl_spec *spec, const char *value, nsl_error *error)
{
        uint64_t gid;

        if (nsl_parse_uint(value, UINT32_MAX - 1, &gid) < 0)        /* (gid_t)-1 is no group */
                return nsl_fail(error, EINVAL, "--additional-gids", value, "expected a group id");
        return nsl_spec_add_group(spec, (gid_t)gid, error);
}

/* --cgroup PATH (below the container's cgroup, in every hierarchy) or
 * CONTROLLER[,CONTROLLER...]:PATH, as runc takes it. */
static int add_cgroup(nsl_spec *spec, const char *value, nsl_error *error)
{
        const char *colon = strchr(value, ':');
        char controllers[256];
        int r = 0;

        if (!colon)
                return nsl_spec_set_exec_cgroup(spec, NULL, value, error);
        if (colon == value || strchr(colon + 1, ':') || (size_t)(colon - value) >= sizeof controllers)
                return nsl_fail(error, EINVAL, "--cgroup", value, "expected PATH or CONTROLLER[,CONTROLLER...]:PATH");
        snprintf(controllers, sizeof controllers, "%.*s", (int)(colon - value), value);
        for (char *save = NULL, *c = strtok_r(controllers, ",", &save); r == 0 && c; c = strtok_r(NULL, ",", &save))
                r = nsl_spec_set_exec_cgroup(spec, c, colon + 1, error);
        return r;
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

static int parse_exec(struct nsl_tokens *t, struct exec_args *a, nsl_error *error)
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
                case E_CWD: a->cwd = t->value; break;
                case E_ENV: a->env[a->n_env++] = t->value; break;
                case E_USER: a->user = t->value; break;
                case E_CAP: a->caps[a->n_caps++] = t->value; break;
                case E_NO_NEW_PRIVS: a->no_new_privs = true; break;
                case E_GIDS: a->gids[a->n_gids++] = t->value; break;
                case E_IGNORE_PAUSED: a->ignore_paused = true; break;
                case E_CGROUP: a->cgroups[a->n_cgroups++] = t->value; break;
                case E_PRESERVE_FDS: {
                        char *end;
                        unsigned long n = strtoul(t->value, &end, 10);
                        if (*end || !t->value[0] || n > 1024)
                                return nsl_fail(error, EINVAL, "--preserve-fds", t->value, "not a number of fds (0 to 1024)");
                        a->preserve_fds = (unsigned)n;
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

/* exec's own failure, as runc's: the process's status is its exit code,
 * so a failure to start it must not look like a process that exited 1. */
#define EXEC_FAILED 255

static int wait_exit_code(pid_t pid)
{
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return 1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The process: the container's config first (its filter; its process too,
 * unless --process gives a whole one), then what exec was told. */
static int exec_spec(const struct exec_args *a, const nsl_oci *oci, char *const command[], nsl_spec *spec,
                     nsl_error *error)
{
        int r = nsl_oci_exec_defaults(oci, !a->process, spec, error);

        if (r == 0 && a->process)
                r = nsl_oci_process_load(a->process, spec, error);
        else if (r == 0 && !command[0])
                r = nsl_fail(error, EINVAL, "exec", "", "no command: ARGS... or --process FILE");
        else if (r == 0)
                r = nsl_spec_set_command(spec, command, error);
        if (r == 0 && a->cwd)
                r = nsl_spec_set_cwd(spec, a->cwd, error);
        for (size_t i = 0; r == 0 && i < a->n_env; i++)
                r = nsl_spec_add_env(spec, a->env[i], error);
        if (r == 0 && a->user)
                r = set_user(spec, a->user, error);
        if (a->no_new_privs)
                nsl_spec_set_no_new_privs(spec, true);
        for (size_t i = 0; r == 0 && i < a->n_caps; i++)
                r = nsl_spec_add_cap(spec, a->caps[i], error);
        for (size_t i = 0; r == 0 && i < a->n_gids; i++)
                r = add_group(spec, a->gids[i], error);
        for (size_t i = 0; r == 0 && i < a->n_cgroups; i++)
                r = add_cgroup(spec, a->cgroups[i], error);
        for (unsigned i = 0; r == 0 && i < a->preserve_fds; i++) {
                char fd[16];
                snprintf(fd, sizeof fd, "%u", 3 + i);
                r = nsl_spec_add_keep_fd(spec, fd, error);
        }
        return r;
}

/* exec's own stdio; with --tty, the console socket, or in the foreground
 * a terminal of nslaunch-runc's own. */
static int exec_stdio(const struct exec_args *a, nsl_spec *spec, struct nsl_runc_tty *tty, int *console_fd,
                      nsl_error *error)
{
        int r;

        if (a->console_socket && !a->tty)
                return nsl_fail(error, EINVAL, "--console-socket", a->console_socket, "needs --tty");
        if (a->tty && !a->console_socket && a->detach)
                return nsl_fail(error, EINVAL, "--tty", "", "a detached process's terminal needs --console-socket");
        if (!a->tty)
                return nsl_spec_set_stdio(spec, 0, 1, 2, error);
        r = a->console_socket ? (*console_fd = nsl_runc_connect_socket("--console-socket", a->console_socket, error))
                              : nsl_runc_tty_socket(tty, console_fd, error);
        return r < 0 ? r : nsl_spec_set_console_socket(spec, *console_fd, error);
}

/* As runc: a created container too (the library joins its init once it is
 * built and waits for start); a paused one only when asked, the process
 * frozen with it. */
static bool exec_allowed(enum nsl_runc_status status, bool ignore_paused)
{
        return status == NSL_RUNC_CREATED || status == NSL_RUNC_RUNNING ||
               (ignore_paused && status == NSL_RUNC_PAUSED);
}

int nsl_runc_exec(const struct nsl_runc *g, int argc, char **argv)
{
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1 };
        struct nsl_runc_state state = { 0 };
        _cleanup_free_ const char **env = calloc((size_t)argc, sizeof *env);
        _cleanup_free_ const char **caps = calloc((size_t)argc, sizeof *caps);
        _cleanup_free_ const char **gids = calloc((size_t)argc, sizeof *gids);
        _cleanup_free_ const char **cgroups = calloc((size_t)argc, sizeof *cgroups);
        struct exec_args a = { .env = env, .caps = caps, .gids = gids, .cgroups = cgroups };
        _cleanup_close_ int dirfd = -1, console_fd = -1, agent_fd = -1;
        struct nsl_runc_tty tty = NSL_RUNC_TTY_INIT;
        nsl_spec *spec = nsl_spec_new();
        nsl_oci *oci = NULL;
        nsl_error error = { 0 };
        enum nsl_runc_status status = NSL_RUNC_STOPPED;
        const char *id = NULL;
        pid_t pid = -1;
        int r;

        if (!spec || !env || !caps || !gids || !cgroups) {
                nsl_spec_free(spec);
                nsl_runc_fail(g, "exec", "", strerror(ENOMEM));
                return EXEC_FAILED;
        }
        r = parse_exec(&t, &a, &error);
        id = r == 0 ? argv[t.index] : NULL;
        if (r == 0)
                r = dirfd = nsl_runc_dir_open(g, id, false, &error);
        if (r >= 0)
                r = nsl_runc_state_read(dirfd, id, &state, &error);
        if (r == 0)
                status = nsl_runc_status(&state);
        if (r == 0 && !exec_allowed(status, a.ignore_paused))
                r = nsl_fail(&error, EINVAL, "exec", id, "the container is %s, not running%s",
                             nsl_runc_status_name(status),
                             status == NSL_RUNC_PAUSED ? " (--ignore-paused starts the process frozen with it)" : "");
        if (r == 0)
                r = nsl_runc_config_load(dirfd, &state, &oci, &error);
        if (r == 0)
                r = exec_spec(&a, oci, argv + t.index + 1, spec, &error);
        if (r == 0)
                r = exec_stdio(&a, spec, &tty, &console_fd, &error);
        if (r == 0)
                r = nsl_runc_seccomp_agent(oci, &state, status, spec, &agent_fd, &error);
        if (r == 0)
                r = nsl_exec(state.pid, spec, &pid, &error);
        nsl_close_slot(&console_fd);    /* the process has it: the socket ends with its copy */
        nsl_close_slot(&agent_fd);
        if (r == 0 && a.pid_file)
                r = nsl_runc_write_pid_file(a.pid_file, pid, &error);
        if (r == 0 && tty.ours >= 0)
                r = nsl_runc_tty_attach(&tty, &error);
        nsl_runc_state_release(&state);
        nsl_spec_free(spec);
        nsl_oci_free(oci);
        if (r < 0) {
                if (pid > 0) {
                        kill(pid, SIGKILL);
                        wait_exit_code(pid);
                }
                nsl_runc_tty_end(&tty);
                nsl_runc_fail_error(g, &error);
                return EXEC_FAILED;
        }
        if (a.detach)
                return 0;
        r = wait_exit_code(pid);
        nsl_runc_tty_end(&tty);
        return r;
}

/* nslaunch-runc create, start, run, kill, delete: the container's life.
 * create builds the sandbox from the bundle (nsl_oci_load, nsl_oci_to_spec)
 * with a start FIFO in the state directory and detaches it: init survives
 * create's exit and waits on the FIFO until start opens it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "host.h"
#include "json.h"
#include "launch.h"
#include "network/denials.h"
#include "runc.h"
#include "syscalls.h"

enum { C_BUNDLE = 1, C_PID_FILE, C_CONSOLE_SOCKET, C_PRESERVE_FDS, C_NO_PIVOT, C_NO_NEW_KEYRING, C_DETACH,
       C_NO_SUBREAPER, C_KEEP, C_FORCE, C_ALL, C_HELP };

static const struct nsl_option_def create_options[] = {
        { "bundle", 'b', true, C_BUNDLE },
        { "pid-file", 0, true, C_PID_FILE },
        { "console-socket", 0, true, C_CONSOLE_SOCKET },
        { "preserve-fds", 0, true, C_PRESERVE_FDS },
        { "no-pivot", 0, false, C_NO_PIVOT },
        { "no-new-keyring", 0, false, C_NO_NEW_KEYRING },
        { "detach", 'd', false, C_DETACH },             /* run only */
        { "no-subreaper", 0, false, C_NO_SUBREAPER },   /* run only */
        { "keep", 0, false, C_KEEP },                   /* run only */
        { 0 },
};

struct create_args {
        const char *id, *bundle, *pid_file, *console_socket;
        unsigned preserve_fds;
        bool detach, keep;
        bool foreground;        /* run without --detach: signals go on to the command */
        struct nsl_runc_tty *tty;       /* a foreground run's own terminal; NULL: create, run --detach */
};

static void forwarded_signals(sigset_t *set)
{
        sigemptyset(set);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD && sig != SIGSEGV && sig != SIGBUS &&
                    sig != SIGFPE && sig != SIGILL && sig != SIGTRAP && sig != SIGSYS && sig != SIGPIPE &&
                    sig != SIGTTIN && sig != SIGTTOU && sig != SIGTSTP && sig < SIGRTMIN)
                        sigaddset(set, sig);
}

static int parse_create(const struct nsl_runc *g, int argc, char **argv, struct create_args *a)
{
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1, .operands_anywhere = false };
        enum nsl_token token;
        char *end;
        int id;

        a->bundle = ".";
        while ((token = nsl_next_token(&t, create_options, &id)) == NSL_TOKEN_OPTION) {
                switch (id) {
                case C_BUNDLE: a->bundle = t.value; break;
                case C_PID_FILE: a->pid_file = t.value; break;
                case C_CONSOLE_SOCKET: a->console_socket = t.value; break;
                case C_PRESERVE_FDS:
                        a->preserve_fds = (unsigned)strtoul(t.value, &end, 10);
                        if (*end || !t.value[0] || a->preserve_fds > 1024)
                                return nsl_runc_fail(g, "--preserve-fds", t.value, "not a number of fds (0 to 1024)");
                        break;
                case C_NO_PIVOT: case C_NO_NEW_KEYRING: case C_NO_SUBREAPER:
                        break;  /* nslaunch always uses pivot_root, and has no keyring of its own */
                case C_DETACH:
                case C_KEEP:
                        if (strcmp(argv[0], "run"))
                                return nsl_runc_usage(g, argv[0], NSL_TOKEN_UNKNOWN, t.spelled);
                        *(id == C_DETACH ? &a->detach : &a->keep) = true;
                        break;
                }
        }
        return nsl_runc_one_id(g, argv[0], &t, token, &a->id);
}

/* The config's annotations, for the state: nsl_oci keeps only what the launch needs. */
static json_object *read_annotations(const nsl_oci *oci)
{
        _cleanup_json_ json_object *o = NULL;
        nsl_error ignored;
        json_object *v;

        if (nsl_json_parse_doc(nsl_oci_text(oci), "config", "config.json", &o, &ignored) < 0)
                return NULL;
        v = nsl_json_member(o, "annotations", json_type_object);
        return v ? json_object_get(v) : NULL;
}

/* Hooks that run in the runtime's namespaces (prestart, createRuntime,
 * poststart, poststop). */
static int run_hooks(const nsl_oci *oci, const struct nsl_runc_state *state, enum nsl_runc_status status,
                     const char *kind, nsl_error *error)
{
        _cleanup_free_ char *json = nsl_runc_state_json(state, status);

        return json ? nsl_oci_run_hooks(oci, kind, json, error) : nsl_fail(error, ENOMEM, kind, "", NULL);
}

/* Hooks that run in the container's (createContainer, startContainer),
 * entered through its init. */
static int run_container_hooks(const nsl_oci *oci, const struct nsl_runc_state *state, enum nsl_runc_status status,
                               const char *kind, int init_pidfd, nsl_error *error)
{
        _cleanup_free_ char *json = nsl_runc_state_json(state, status);

        return json ? nsl_oci_run_container_hooks(oci, kind, json, init_pidfd, error)
                    : nsl_fail(error, ENOMEM, kind, "", NULL);
}

/* A container without cgroupsPath: a cgroup of its own at the top, as
 * runc's and crun's are, and no parent shared with others (one that would
 * be made and removed with each container while it is the only one) */
#define DEFAULT_CGROUP_PREFIX "/nslaunch-runc-"

/* The cgroups between nslaunch's parent of relative paths (/nslaunch,
 * which nslaunch run uses too, and keeps) and a relative path's own, once
 * empty: made by create for this path, and nobody else's to remove. A
 * create that finds one gone meanwhile makes it again (cgroup/v1.c). */
static void remove_relative_parents(const char *path)
{
        char parent[PATH_MAX];
        char *slash;

        if (path[0] == '/' || snprintf(parent, sizeof parent, "%s", path) >= (int)sizeof parent)
                return;
        while ((slash = strrchr(parent, '/'))) {
                *slash = '\0';
                nsl_cgroup_remove_if_empty(parent);
        }
}

/* The container's cgroup and the parents create made for a relative path
 * (rmdir refuses one that still holds a cgroup). */
static int remove_cgroup(const struct nsl_runc_state *state, nsl_error *error)
{
        const char *path = state->cgroup;
        int r = state->systemd_scope ? nsl_cgroup_remove_scope(path, error) : nsl_cgroup_remove_path(path, error);

        remove_relative_parents(path);
        return r;
}

/* The config's cgroupsPath, else one named by the ID (systemd's driver: in
 * user.slice of the user's own systemd, rootless); a rootless container
 * (run by a user, or by a user namespace's root) without cgroupsPath gets
 * none from the cgroupfs driver (the cgroup tree is the host root's here). */
static const char *cgroup_path(const struct nsl_runc *g, const struct create_args *a, const nsl_oci *oci, char *buf,
                               size_t len)
{
        const char *path = nsl_oci_cgroups_path(oci);

        if (path)
                snprintf(buf, len, "%s", path);
        else if (g->systemd_cgroup)
                snprintf(buf, len, "%s:nslaunch-runc:%s", nsl_host_root() ? "system.slice" : "user.slice", a->id);
        else if (nsl_host_root())
                snprintf(buf, len, DEFAULT_CGROUP_PREFIX "%s", a->id);
        else
                return NULL;
        return buf;
}

static int setup_spec(const struct nsl_runc *g, const struct create_args *a, const nsl_oci *oci, nsl_spec *spec,
                      int *console_fd, nsl_error *error)
{
        char fifo[PATH_MAX + 300], cgroup[PATH_MAX];
        int r;

        /* the driver first: the config's cgroupsPath is then the scope's */
        if (g->systemd_cgroup && cgroup_path(g, a, oci, cgroup, sizeof cgroup) &&
            (r = nsl_spec_set_systemd_cgroup(spec, cgroup, error)) < 0)
                return r;
        if ((r = nsl_oci_to_spec(oci, spec, error)) < 0)
                return r;
        snprintf(fifo, sizeof fifo, "%s/%s/" START_FIFO, g->root, a->id);
        if (mkfifo(fifo, 0600) < 0)
                return nsl_fail(error, errno, "create", fifo, NULL);
        if ((r = nsl_spec_set_start_fifo(spec, fifo, error)) < 0)
                return r;
        if (!g->systemd_cgroup && cgroup_path(g, a, oci, cgroup, sizeof cgroup) &&
            (r = nsl_spec_set_cgroup_path(spec, cgroup, error)) < 0)
                return r;
        if (nsl_oci_terminal(oci) && !a->console_socket && !a->tty)
                return nsl_fail(error, EINVAL, "process.terminal", "",
                                "a detached container's terminal needs --console-socket (nslaunch-runc gives the "
                                "pty's master there)");
        if (!nsl_oci_terminal(oci) && a->console_socket)
                return nsl_fail(error, EINVAL, "--console-socket", a->console_socket, "the config has no process.terminal");
        if (a->console_socket)
                r = *console_fd = nsl_runc_connect_socket("--console-socket", a->console_socket, error);
        else if (nsl_oci_terminal(oci))
                r = nsl_runc_tty_socket(a->tty, console_fd, error);
        else
                r = nsl_spec_set_stdio(spec, 0, 1, 2, error);
        if (r >= 0 && *console_fd >= 0)
                r = nsl_spec_set_console_socket(spec, *console_fd, error);
        if (r < 0)
                return r;
        if (a->foreground) {
                sigset_t set;
                forwarded_signals(&set);
                nsl_spec_set_forward_signals(spec, &set);
        }
        for (unsigned i = 0; i < a->preserve_fds; i++) {
                char fd[16];
                snprintf(fd, sizeof fd, "%u", 3 + i);
                if ((r = nsl_spec_add_keep_fd(spec, fd, error)) < 0)
                        return r;
        }
        return 0;
}

static void fill_state(struct nsl_runc_state *state, const struct create_args *a, const nsl_oci *oci, pid_t pid)
{
        char bundle[PATH_MAX];

        snprintf(state->id, sizeof state->id, "%s", a->id);
        state->pid = pid;
        nsl_runc_proc_start_time(pid, &state->start_time, NULL);
        snprintf(state->bundle, sizeof state->bundle, "%s", realpath(a->bundle, bundle) ? bundle : a->bundle);
        snprintf(state->rootfs, sizeof state->rootfs, "%s", nsl_oci_root_path(oci));
        nsl_runc_now_rfc3339(state->created, sizeof state->created);
        state->annotations = read_annotations(oci);
        state->later_hooks = nsl_oci_n_hooks(oci, "startContainer") || nsl_oci_n_hooks(oci, "poststart") ||
                             nsl_oci_n_hooks(oci, "poststop");
}

/* The seccomp agent's socket, and what it is told of the container: its
 * state while create builds it (init's pid is the library's to fill in). */
static int connect_seccomp_agent(const struct create_args *a, const nsl_oci *oci, nsl_spec *spec, int *fd,
                                 nsl_error *error)
{
        struct nsl_runc_state state = { 0 };
        int r;

        fill_state(&state, a, oci, 0);
        r = nsl_runc_seccomp_agent(oci, &state, NSL_RUNC_CREATING, spec, fd, error);
        nsl_runc_state_release(&state);
        return r;
}

/* What create records and runs once the container's init exists. */
struct create_job {
        const struct nsl_runc *g;
        const struct create_args *a;
        const nsl_oci *oci;
        const nsl_spec *spec;
        int dirfd;
        struct nsl_runc_state *state;
        struct nsl_runc_pending state_file, pid_file;
};

static bool has_create_hooks(const nsl_oci *oci)
{
        return nsl_oci_n_hooks(oci, "prestart") || nsl_oci_n_hooks(oci, "createRuntime") ||
               nsl_oci_n_hooks(oci, "createContainer");
}

/* While init builds (nsl_spec_on_init_started): the state filled in,
 * the config kept, state.json and the --pid-file written beside their
 * places, to be renamed into place once the container is created. (The
 * config is read only through state.json.) */
static int prepare_record(pid_t init_pid, int init_pidfd, void *data, nsl_error *error)
{
        struct create_job *job = data;
        struct nsl_runc_state *state = job->state;
        int r;

        (void)init_pidfd;
        fill_state(state, job->a, job->oci, init_pid);
        /* a scope's path is systemd's naming, worked out by the library;
         * a cgroupfs path is kept as given, so that delete knows a relative
         * one's parents */
        state->systemd_scope = job->g->systemd_cgroup;
        if (state->systemd_scope)
                snprintf(state->cgroup, sizeof state->cgroup, "%s", nsl_spec_cgroup_path(job->spec));
        else
                cgroup_path(job->g, job->a, job->oci, state->cgroup, sizeof state->cgroup);
        if ((r = nsl_runc_config_save(job->dirfd, job->oci, job->a->id, error)) < 0 ||
            (r = nsl_runc_state_prepare(job->dirfd, state, &job->state_file, error)) < 0)
                return r;
        return job->a->pid_file ? nsl_runc_pid_file_prepare(job->a->pid_file, init_pid, &job->pid_file, error) : 0;
}

/* create's hooks, where runc runs them: the container's root built at
 * root.path in its mount namespace and not yet pivoted into
 * (nsl_spec_on_root_built). From here `state` finds init alive and not
 * started, "created", which is what the hooks read on stdin too. */
static int record_and_run_hooks(pid_t init_pid, int init_pidfd, void *data, nsl_error *error)
{
        struct create_job *job = data;
        struct nsl_runc_state *state = job->state;
        int r;

        (void)init_pid;
        if ((r = nsl_runc_pending_commit(&job->state_file, error)) < 0 ||
            (r = run_hooks(job->oci, state, NSL_RUNC_CREATED, "prestart", error)) < 0 ||
            (r = run_hooks(job->oci, state, NSL_RUNC_CREATED, "createRuntime", error)) < 0)
                return r;
        return run_container_hooks(job->oci, state, NSL_RUNC_CREATED, "createContainer", init_pidfd, error);
}

/* Everything of create up to (not including) detach; on failure nothing is
 * left but the ID's directory, which the caller removes. */
static int create_sandbox(const struct nsl_runc *g, const struct create_args *a, int dirfd, nsl_sandbox **sb,
                          struct nsl_runc_state *state, nsl_error *error)
{
        _cleanup_close_ int console_fd = -1, agent_fd = -1;
        struct create_job job = { .g = g, .a = a, .dirfd = dirfd, .state = state,
                                  .state_file = NSL_RUNC_PENDING_INIT, .pid_file = NSL_RUNC_PENDING_INIT };
        nsl_oci *oci = NULL;
        nsl_spec *spec = NULL;
        bool at_root_built;
        int r;

        if ((r = nsl_oci_load(a->bundle, &oci, error)) < 0)
                return r;
        job.oci = oci;
        at_root_built = has_create_hooks(oci);
        spec = nsl_spec_new();
        job.spec = spec;
        r = spec ? setup_spec(g, a, oci, spec, &console_fd, error) : nsl_fail(error, ENOMEM, "create", "", NULL);
        if (r == 0)
                r = connect_seccomp_agent(a, oci, spec, &agent_fd, error);
        if (r == 0) {
                nsl_spec_on_init_started(spec, prepare_record, &job);
                if (at_root_built)
                        nsl_spec_on_root_built(spec, record_and_run_hooks, &job);
                r = nsl_sandbox_create(spec, sb, error);
        }
        /* created: what others look for appears (state.json already, where
         * create's hooks ran) */
        if (r == 0 && (r = nsl_runc_pending_commit(&job.state_file, error)) == 0)
                r = nsl_runc_pending_commit(&job.pid_file, error);
        nsl_runc_pending_drop(&job.state_file);
        nsl_runc_pending_drop(&job.pid_file);
        if (r < 0 && *sb) {
                nsl_sandbox_free(*sb);
                *sb = NULL;
        }
        /* the sandbox removes its own cgroup when create fails before it
         * returns, but not the parents made for a relative path */
        if (r < 0 && state->cgroup[0])
                remove_cgroup(state, &(nsl_error){ 0 });
        nsl_spec_free(spec);
        nsl_oci_free(oci);
        return r;
}

static void remove_state_dir(const struct nsl_runc *g, const char *id, int dirfd)
{
        nsl_error ignored;
        nsl_runc_dir_remove(g, id, dirfd, &ignored);
}

int nsl_runc_create(const struct nsl_runc *g, int argc, char **argv)
{
        struct create_args a = { 0 };
        struct nsl_runc_state state = { 0 };
        _cleanup_close_ int dirfd = -1;
        nsl_sandbox *sb = NULL;
        nsl_error error = { 0 };
        int r;

        if (parse_create(g, argc, argv, &a))
                return 1;
        dirfd = nsl_runc_dir_create(g, a.id, &error);
        if (dirfd < 0)
                return nsl_runc_fail_error(g, &error);
        r = create_sandbox(g, &a, dirfd, &sb, &state, &error);
        if (r == 0)
                r = nsl_sandbox_detach(sb, &error);
        if (r < 0) {
                if (sb)
                        nsl_sandbox_free(sb);
                remove_state_dir(g, a.id, dirfd);
        }
        nsl_runc_state_release(&state);
        return r < 0 ? nsl_runc_fail_error(g, &error) : 0;
}

static int signal_init(const struct nsl_runc_state *state, int sig, nsl_error *error);

/* startContainer hooks, before the command may run, in the container's
 * namespaces; one that fails stops the container (runtime.md). */
static int run_start_container(int dirfd, const struct nsl_runc_state *state, nsl_error *error)
{
        _cleanup_close_ int pidfd = -1;
        nsl_oci *oci = NULL;
        int r;

        if (!state->later_hooks)
                return 0;
        if ((r = nsl_runc_config_load(dirfd, state, &oci, error)) == 0) {
                pidfd = nsl_runc_init_pidfd(state);     /* -ESRCH: refused if there is a hook to run */
                r = run_container_hooks(oci, state, NSL_RUNC_CREATED, "startContainer", pidfd, error);
        }
        nsl_oci_free(oci);
        if (r < 0) {
                nsl_error ignored;
                signal_init(state, SIGKILL, &ignored);
        }
        return r;
}

/* An engine may exec into the container as soon as start returns, and
 * poststart hooks run once the command has executed (runtime.md): start
 * waits for the command's execve, or the container's end, as long as a
 * frozen cgroup may hold it back, at most 10 s. */
#define START_WAITS_MS 10000

static int start_locked(const struct nsl_runc *g, const char *id, int dirfd, struct nsl_runc_state *state,
                        nsl_error *error)
{
        char fifo[PATH_MAX + 300];
        enum nsl_runc_status status;
        int r;

        if ((r = nsl_runc_state_read(dirfd, id, state, error)) < 0)
                return r;
        status = nsl_runc_status(state);
        if (status != NSL_RUNC_CREATED)
                return nsl_fail(error, EINVAL, "start", id, "cannot start a container that is %s", nsl_runc_status_name(status));
        if ((r = run_start_container(dirfd, state, error)) < 0)
                return r;
        snprintf(fifo, sizeof fifo, "%s/%s/" START_FIFO, g->root, id);
        if ((r = nsl_sandbox_start_fifo_wait(fifo, START_WAITS_MS, error)) < 0)
                return r;
        /* from here, state finds it running (nsl_runc_state_read) */
        unlinkat(dirfd, START_FIFO, 0);
        return 0;
}

/* poststart and poststop hooks: a failure is a warning, and the container
 * runs on, or is deleted, all the same (runtime.md). */
static void run_later_hooks(const struct nsl_runc *g, int dirfd, const struct nsl_runc_state *state,
                            enum nsl_runc_status status, const char *kind)
{
        nsl_oci *oci = NULL;
        nsl_error error = { 0 };
        char line[1200], note[1300];

        if (!state->later_hooks)
                return;
        if (nsl_runc_config_load(dirfd, state, &oci, &error) < 0) {
                nsl_error_format(&error, line, sizeof line);
                snprintf(note, sizeof note, "%s: no hooks run: %s", kind, line);
                nsl_runc_debug(g, note);
        } else if (run_hooks(oci, state, status, kind, &error) < 0) {
                nsl_error_format(&error, line, sizeof line);
                nsl_runc_debug(g, line);
                fprintf(stderr, "nslaunch-runc: warning: %s: %s\n", error.what, error.cause);
        }
        nsl_oci_free(oci);
}

int nsl_runc_start(const struct nsl_runc *g, int argc, char **argv)
{
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1 };
        static const struct nsl_option_def none[] = { { 0 } };
        struct nsl_runc_state state = { 0 };
        _cleanup_close_ int dirfd = -1;
        nsl_error error = { 0 };
        const char *id = NULL;
        int r, opt;

        if (nsl_runc_one_id(g, "start", &t, nsl_next_token(&t, none, &opt), &id))
                return 1;
        dirfd = nsl_runc_dir_open(g, id, true, &error);
        r = dirfd < 0 ? dirfd : start_locked(g, id, dirfd, &state, &error);
        if (r == 0)
                run_later_hooks(g, dirfd, &state, NSL_RUNC_RUNNING, "poststart");
        nsl_runc_state_release(&state);
        return r < 0 ? nsl_runc_fail_error(g, &error) : 0;
}

static int signal_all(const struct nsl_runc_state *state, int sig, nsl_error *error)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n;
        int r = nsl_runc_pids(state, &pids, &n, error);

        for (size_t i = 0; r == 0 && i < n; i++)
                if (kill(pids[i], sig) < 0 && errno != ESRCH)
                        r = nsl_fail(error, errno, "kill", state->id, NULL);
        return r;
}

/* A container killed whole (SIGKILL to the init of a pid namespace of its
 * own, which ends every process of it as init ends, or to each process of
 * its cgroup), or by delete: each process needs CPU time to end, which a
 * quota of 1 ms a second hands out to a few hundred of them for longer
 * than a delete waits. */
static void lift_cpu_quota_of_killed(const struct nsl_runc_state *state)
{
        if (state->cgroup[0])
                nsl_cgroup_lift_cpu_quota(state->cgroup);
}

static int signal_init(const struct nsl_runc_state *state, int sig, nsl_error *error)
{
        _cleanup_close_ int pidfd = nsl_runc_init_pidfd(state);

        if (pidfd < 0)
                return nsl_fail(error, ESRCH, "kill", state->id, "the container is not running");
        if (nsl_pidfd_send_signal(pidfd, sig) < 0)
                return nsl_fail(error, errno, "kill", state->id, NULL);
        return 0;
}

int nsl_runc_kill(const struct nsl_runc *g, int argc, char **argv)
{
        static const struct nsl_option_def defs[] = { { "all", 'a', false, C_ALL }, { 0 } };
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1 };
        struct nsl_runc_state state = { 0 };
        _cleanup_close_ int dirfd = -1;
        nsl_error error = { 0 };
        enum nsl_token token;
        bool all = false;
        int sig = SIGTERM, r, id;

        while ((token = nsl_next_token(&t, defs, &id)) == NSL_TOKEN_OPTION)
                all = true;
        if (token != NSL_TOKEN_END)
                return nsl_runc_usage(g, "kill", token, t.spelled);
        if (t.argc - t.index < 1 || t.argc - t.index > 2)
                return nsl_runc_fail(g, "kill", "", "usage: kill [--all] ID [SIGNAL]");
        if (t.argc - t.index == 2 && (sig = nsl_runc_signal_number(argv[t.index + 1])) < 0)
                return nsl_runc_fail(g, "kill", argv[t.index + 1], "not a signal");
        dirfd = nsl_runc_dir_open(g, argv[t.index], false, &error);
        r = dirfd < 0 ? dirfd : nsl_runc_state_read(dirfd, argv[t.index], &state, &error);
        /* --all of a stopped container finds nothing left: done (engines
         * send it while cleaning up, as runc allows) */
        if (r == 0 && nsl_runc_status(&state) == NSL_RUNC_STOPPED && all) {
                nsl_runc_state_release(&state);
                return 0;
        }
        if (r == 0 && nsl_runc_status(&state) == NSL_RUNC_STOPPED)
                r = nsl_fail(&error, ESRCH, "kill", state.id, "the container is not running");
        /* SIGKILL to init ends a pid namespace of its own, and all in it */
        if (r == 0)
                r = all && (sig != SIGKILL || !nsl_runc_owns_pid_ns(&state)) ? signal_all(&state, sig, &error)
                                                                           : signal_init(&state, sig, &error);
        if (r == 0 && sig == SIGKILL && (all || nsl_runc_owns_pid_ns(&state)))
                lift_cpu_quota_of_killed(&state);
        nsl_runc_state_release(&state);
        return r < 0 ? nsl_runc_fail_error(g, &error) : 0;
}

/* init is not our child: its pidfd turns readable when it has exited. A
 * paused container takes its SIGKILL once thawed. */
static int kill_and_wait(const struct nsl_runc_state *state, bool paused, nsl_error *error)
{
        _cleanup_close_ int pidfd = nsl_runc_init_pidfd(state);
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        if (pidfd < 0)
                return 0;
        if (nsl_pidfd_send_signal(pidfd, SIGKILL) < 0 && errno != ESRCH)
                return nsl_fail(error, errno, "delete", state->id, "cannot kill the container");
        /* init's own end needs CPU time too; in the host's pid namespace,
         * what init leaves is killed next, as the cgroup is removed */
        lift_cpu_quota_of_killed(state);
        int r = paused ? nsl_cgroup_freeze(state->cgroup, false, error) : 0;
        if (r < 0)
                return r;
        if (poll(&p, 1, 10000) <= 0)
                return nsl_fail(error, ETIMEDOUT, "delete", state->id, "the container does not end");
        return 0;
}

static int delete_locked(const struct nsl_runc *g, const char *id, int dirfd, bool force, nsl_error *error)
{
        struct nsl_runc_state state = { 0 };
        enum nsl_runc_status status;
        int r;

        /* a create that crashed before writing its state leaves only the directory */
        if (nsl_runc_state_read(dirfd, id, &state, error) < 0)
                return nsl_runc_dir_remove(g, id, dirfd, error);
        status = nsl_runc_status(&state);
        if (status != NSL_RUNC_STOPPED && !force)
                r = nsl_fail(error, EBUSY, "delete", id, "the container is %s (stop it, or --force)",
                             nsl_runc_status_name(status));
        else
                r = kill_and_wait(&state, status == NSL_RUNC_PAUSED, error);
        if (r == 0 && state.cgroup[0]) {
                nsl_error ignored;
                if (remove_cgroup(&state, &ignored) < 0 && ignored.errnum != ENOENT)
                        r = nsl_fail(error, ignored.errnum, "delete", state.cgroup, "cannot remove the cgroup: %s", ignored.cause);
        }
        if (r == 0)
                run_later_hooks(g, dirfd, &state, NSL_RUNC_STOPPED, "poststop");
        if (r == 0)
                r = nsl_runc_dir_remove(g, id, dirfd, error);
        nsl_runc_state_release(&state);
        return r;
}

int nsl_runc_delete(const struct nsl_runc *g, int argc, char **argv)
{
        static const struct nsl_option_def defs[] = { { "force", 'f', false, C_FORCE }, { 0 } };
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1 };
        _cleanup_close_ int dirfd = -1;
        nsl_error error = { 0 };
        enum nsl_token token;
        const char *id = NULL;
        bool force = false;
        int r, opt;

        while ((token = nsl_next_token(&t, defs, &opt)) == NSL_TOKEN_OPTION)
                force = true;
        if (nsl_runc_one_id(g, "delete", &t, token, &id))
                return 1;
        dirfd = nsl_runc_dir_open(g, id, true, &error);
        if (dirfd < 0 && force && error.errnum == ENOENT)
                return 0;       /* runc delete --force of nothing succeeds */
        r = dirfd < 0 ? dirfd : delete_locked(g, id, dirfd, force, &error);
        return r < 0 ? nsl_runc_fail_error(g, &error) : 0;
}

/* run: create and start in one; in the foreground it waits, deletes and
 * exits with the command's status. */
int nsl_runc_run(const struct nsl_runc *g, int argc, char **argv)
{
        struct create_args a = { 0 };
        struct nsl_runc_state state = { 0 };
        _cleanup_close_ int dirfd = -1;
        nsl_sandbox *sb = NULL;
        nsl_error error = { 0 };
        nsl_result result = { 0 };
        struct nsl_runc_tty tty = NSL_RUNC_TTY_INIT;
        char fifo[PATH_MAX + 300];
        int r;

        if (parse_create(g, argc, argv, &a))
                return 1;
        dirfd = nsl_runc_dir_create(g, a.id, &error);
        if (dirfd < 0)
                return nsl_runc_fail_error(g, &error);
        a.foreground = !a.detach;
        a.tty = a.foreground ? &tty : NULL;
        if (a.foreground) {
                sigset_t set;
                forwarded_signals(&set);
                sigprocmask(SIG_BLOCK, &set, NULL);
        }
        r = create_sandbox(g, &a, dirfd, &sb, &state, &error);
        if (r == 0 && a.detach) {
                r = nsl_sandbox_detach(sb, &error);
                sb = NULL;
        }
        /* the container's terminal, before its command can write to it */
        if (r == 0 && tty.ours >= 0)
                r = nsl_runc_tty_attach(&tty, &error);
        if (r < 0) {
                nsl_sandbox_free(sb);
                nsl_runc_tty_end(&tty);
                remove_state_dir(g, a.id, dirfd);
                nsl_runc_state_release(&state);
                return nsl_runc_fail_error(g, &error);
        }
        snprintf(fifo, sizeof fifo, "%s/%s/" START_FIFO, g->root, a.id);
        r = run_start_container(dirfd, &state, &error);
        if (r == 0 && sb && (r = nsl_sandbox_start(sb, &error)) == 0)
                nsl_sandbox_wait_execed(sb);
        else if (r == 0 && !sb)
                r = nsl_sandbox_start_fifo_wait(fifo, START_WAITS_MS, &error);
        unlinkat(dirfd, START_FIFO, 0);
        if (r == 0)
                run_later_hooks(g, dirfd, &state, NSL_RUNC_RUNNING, "poststart");
        flock(dirfd, LOCK_UN);
        if (r < 0 || a.detach) {
                nsl_sandbox_free(sb);
                nsl_runc_tty_end(&tty);
                nsl_runc_state_release(&state);
                return r < 0 ? nsl_runc_fail_error(g, &error) : 0;
        }
        /* runc's --keep: what it used stays readable until delete (a
         * cgroup in the state is the sandbox's exact path) */
        if (a.keep && state.cgroup[0])
                r = nsl_sandbox_keep_cgroup(sb, &error);
        if (r == 0)
                r = nsl_sandbox_wait(sb, -1, &result, &error);
        nsl_sandbox_free(sb);
        nsl_runc_tty_end(&tty);
        /* on the container's stderr, as a detached one's init writes them */
        nsl_egress_denials_write(STDERR_FILENO, result.egress_denials, result.n_egress_denials,
                                 result.egress_denials_dropped);
        if (!a.keep) {
                flock(dirfd, LOCK_EX);
                delete_locked(g, a.id, dirfd, true, &(nsl_error){ 0 });
        }
        nsl_runc_state_release(&state);
        if (r < 0)
                return nsl_runc_fail_error(g, &error);
        nsl_result_release(&result);
        return result.exit_code;
}

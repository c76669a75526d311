/* nsl_exec: a new process in a running sandbox (the OCI runtime's exec).
 * The process is planned like a launch's payload (nsl_plan_build) and ends
 * with the payload's own stages; only the way in differs: instead of being
 * made by the sandbox's init it joins init's cgroups and namespaces.
 *
 *   caller ── clone ──> joiner: cgroups, setgroups, non-dumpable,
 *                        setns(init's pidfd, every namespace at once)
 *                        └─ clone(CLONE_PARENT) ──> process (a child of the
 *                           caller, in the sandbox's pid namespace): stdio,
 *                           identity, console, then the payload stages
 *                           (setsid ... close-fds, seccomp last) and execve
 *
 * setns only moves a process's children into a pid namespace, hence the
 * joiner; CLONE_PARENT makes the process the caller's child all the same. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "host.h"
#include "plan.h"
#include "sandbox/caps.h"
#include "sandbox/ctx.h"
#include "sandbox/init.h"
#include "sync.h"
#include "syscalls.h"

#define MAX_HIERARCHIES 16
#define NOT_DUMPABLE "cannot enter the sandbox: its init is not dumpable, and entering takes ptrace access to it, " \
                     "which only root has"

/* The sandbox's cgroups the caller is not in already: cgroup.procs of each,
 * opened by the caller (the kernel checks the opener), and its path. */
struct joins {
        int procs[MAX_HIERARCHIES];
        char *paths[MAX_HIERARCHIES];
        size_t n;
};

static void joins_close(struct joins *j)
{
        for (size_t i = 0; i < j->n; i++) {
                nsl_closep(&j->procs[i]);
                free(j->paths[i]);
        }
        j->n = 0;
}

/* The line of a /proc/PID/cgroup text for hierarchy "ID:CONTROLLERS:". */
static const char *cgroup_line(const char *text, const char *key, size_t key_len)
{
        for (const char *p = text; *p; p = strchrnul(p, '\n'), p += *p == '\n')
                if (!strncmp(p, key, key_len))
                        return p;
        return NULL;
}

/* Does this mountinfo line mount the hierarchy "CONTROLLERS" ("" for v2)? */
static bool mounts_hierarchy(const char *fstype, const char *options, const char *controllers, size_t len)
{
        if (len == 0)
                return !strcmp(fstype, "cgroup2");
        if (strcmp(fstype, "cgroup"))
                return false;
        for (const char *c = controllers; c < controllers + len;) {
                size_t n = strcspn(c, ",:");
                bool found = false;
                for (const char *o = options; *o && !found; o = strchrnul(o, ','), o += *o == ',')
                        found = strcspn(o, ",") == n && !strncmp(o, c, n);
                if (!found)
                        return false;
                c += n + (c[n] == ',');
                if (c[-1] != ',')
                        break;
        }
        return true;
}

/* Where the host mounts the hierarchy (the mount of its root), or NULL. */
static char *hierarchy_mount(const char *mountinfo, const char *controllers, size_t len)
{
        for (const char *line = mountinfo; *line; line = strchrnul(line, '\n'), line += *line == '\n') {
                char root[256], point[512], fstype[32], options[512];
                const char *dash = strstr(line, " - ");
                const char *end = strchrnul(line, '\n');
                if (!dash || dash > end || sscanf(line, "%*s %*s %*s %255s %511s", root, point) != 2 ||
                    sscanf(dash, " - %31s %*s %511s", fstype, options) != 2)
                        continue;
                if (!strcmp(root, "/") && mounts_hierarchy(fstype, options, controllers, len))
                        return strdup(point);
        }
        return NULL;
}

/* Whether the line's hierarchy is a v1 one with this controller. */
static bool line_has_controller(const struct nsl_cgroup_line *fields, const char *controller, size_t len)
{
        struct nsl_cgroup_hierarchy h;

        return fields->controllers_len &&
               nsl_cgroup_hierarchy_parse(fields->controllers, fields->controllers_len, &h) == 0 &&
               nsl_cgroup_hierarchy_has(&h, controller, len);
}

/* The --cgroup that names a path below init's cgroup in this hierarchy
 * (CONTROLLER:PATH): the one for every hierarchy, else the one of a
 * controller it has (cgroup v1); NULL for none. */
static const char *sub_cgroup(const struct nsl_plan *plan, const struct nsl_cgroup_line *fields)
{
        for (size_t i = 0; i < plan->n_exec_cgroups; i++) {
                const char *entry = plan->exec_cgroups[i];
                size_t n = strcspn(entry, ":");
                if (n == 0 || line_has_controller(fields, entry, n))
                        return entry;
        }
        return NULL;
}

/* An --cgroup as errors name it: a path for every hierarchy as given. */
static const char *shown(const char *entry)
{
        return entry[0] == ':' ? entry + 1 : entry;
}

/* Each controller --cgroup names is in one of init's v1 hierarchies. */
static int check_controllers(const char *theirs, const struct nsl_plan *plan, nsl_error *error)
{
        for (size_t i = 0; i < plan->n_exec_cgroups; i++) {
                const char *entry = plan->exec_cgroups[i];
                size_t n = strcspn(entry, ":");
                bool found = n == 0;
                for (const char *line = theirs; *line && !found; line = strchrnul(line, '\n'), line += *line == '\n') {
                        struct nsl_cgroup_line fields;
                        found = nsl_cgroup_line_parse(line, &fields) && line_has_controller(&fields, entry, n);
                }
                if (!found)
                        return nsl_fail(error, EINVAL, "--cgroup", entry,
                                        "unknown controller: no cgroup v1 hierarchy of the container's has %.*s "
                                        "(cgroup v2 takes a path alone)", (int)n, entry);
        }
        return 0;
}

/* Every hierarchy init is in: where the caller is elsewhere, the process
 * joins init's cgroup there, or the one --cgroup names below it. Where init
 * is in the caller's cgroup, the container has none of its own to go
 * below. */
static int open_joins(pid_t init_pid, const struct nsl_plan *plan, struct joins *j, nsl_error *error)
{
        _cleanup_free_ char *theirs = NULL, *ours = NULL, *mountinfo = NULL;
        char path[64];
        size_t len, n_below = 0;
        int r;

        snprintf(path, sizeof path, "/proc/%d/cgroup", (int)init_pid);
        if ((r = nsl_read_file(path, 1 << 20, &theirs, &len)) < 0 ||
            (r = nsl_read_file("/proc/self/cgroup", 1 << 20, &ours, &len)) < 0 ||
            (r = nsl_read_file("/proc/self/mountinfo", 16 << 20, &mountinfo, &len)) < 0)
                return nsl_fail(error, -r, "exec", "cgroup", "cannot read the sandbox's cgroups");
        if ((r = check_controllers(theirs, plan, error)) < 0)
                return r;
        for (const char *line = theirs; *line; line = strchrnul(line, '\n'), line += *line == '\n') {
                struct nsl_cgroup_line fields;
                if (!nsl_cgroup_line_parse(line, &fields))
                        continue;
                size_t whole = (size_t)(fields.path + fields.path_len - line);
                const char *mine = cgroup_line(ours, line, (size_t)(fields.path - line));
                const char *entry = sub_cgroup(plan, &fields);
                const char *sub = entry ? strchr(entry, ':') + 1 : "";
                bool same = mine && strlen(mine) >= whole && !strncmp(mine, line, whole) &&
                            (mine[whole] == '\n' || !mine[whole]);
                if (same) {
                        if (entry && entry[0] != ':')
                                return nsl_fail(error, EINVAL, "--cgroup", entry,
                                                "the container has no cgroup of its own in the %.*s hierarchy",
                                                (int)fields.controllers_len, fields.controllers);
                        continue;       /* the same cgroup */
                }
                _cleanup_free_ char *mount = hierarchy_mount(mountinfo, fields.controllers, fields.controllers_len);
                _cleanup_free_ char *procs = NULL;
                if (!mount && *sub)
                        return nsl_fail(error, ENOENT, "--cgroup", shown(entry),
                                        "the host has no mount of the hierarchy %.*s",
                                        (int)fields.controllers_len, fields.controllers);
                if (!mount)
                        continue;       /* a hierarchy the caller has no mount of: not one nslaunch limits */
                if (j->n == MAX_HIERARCHIES)
                        return nsl_fail(error, E2BIG, "exec", "cgroup", "too many hierarchies");
                if (asprintf(&procs, "%s%.*s%s%s/cgroup.procs", mount, (int)fields.path_len, fields.path,
                             *sub ? "/" : "", sub) < 0)
                        return nsl_fail(error, ENOMEM, "exec", "cgroup", NULL);
                int fd = open(procs, O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                        return nsl_fail(error, errno, "exec", procs, "cannot join the sandbox's cgroup");
                j->procs[j->n] = fd;
                j->paths[j->n++] = TAKE_PTR(procs);
                n_below += entry != NULL;
        }
        if (plan->n_exec_cgroups && !n_below)
                return nsl_fail(error, EINVAL, "--cgroup", shown(plan->exec_cgroups[0]),
                                "the container has no cgroup of its own");
        return 0;
}

static bool same_namespace(pid_t a, pid_t b, const char *ns)
{
        char path_a[64], path_b[64], link_a[64] = "", link_b[64] = "";

        snprintf(path_a, sizeof path_a, "/proc/%d/ns/%s", (int)a, ns);
        snprintf(path_b, sizeof path_b, "/proc/%d/ns/%s", (int)b, ns);
        return readlink(path_a, link_a, sizeof link_a - 1) > 0 && readlink(path_b, link_b, sizeof link_b - 1) > 0 &&
               !strcmp(link_a, link_b);
}

/* Both are there, and are different files. */
static bool other_program(const char *exe, const char *than)
{
        struct stat a, b;

        return stat(exe, &a) == 0 && stat(than, &b) == 0 && (a.st_dev != b.st_dev || a.st_ino != b.st_ino);
}

/* Another program than init's: the command, which init starts only once
 * it is done. (The network helper, init's only other child, never
 * executes anything; neither has the command before its execve.) */
static bool has_executed(pid_t init_pid, pid_t child)
{
        char init_exe[64], child_exe[64];

        snprintf(init_exe, sizeof init_exe, "/proc/%d/exe", (int)init_pid);
        snprintf(child_exe, sizeof child_exe, "/proc/%d/exe", (int)child);
        return other_program(child_exe, init_exe);
}

/* A command that is init (nsl_spec_set_command_as_init): init runs another
 * program than ours, the one that made it, once it has executed it. */
static bool init_has_executed(pid_t init_pid)
{
        char init_exe[64];

        snprintf(init_exe, sizeof init_exe, "/proc/%d/exe", (int)init_pid);
        return other_program(init_exe, "/proc/self/exe");
}

/* Init of a created sandbox, waiting for start: it names itself so only
 * once its namespaces are finished (nsl_stage_wait_for_start, the last of
 * its stages), and no other process can name it (a creator that took the
 * name itself before creating would fool only its own exec). */
static bool init_waits_for_start(pid_t init_pid)
{
        char path[64], comm[32];
        ssize_t n;

        snprintf(path, sizeof path, "/proc/%d/comm", (int)init_pid);
        n = nsl_read_once(AT_FDCWD, path, 0, comm, sizeof comm);
        return n > 0 && !strcmp(comm, NSL_INIT_WAITING_COMM "\n");
}

/* Init sets its namespaces up step by step (its mount namespace is the
 * host's copy until pivot, its network namespace the host's until
 * network-join): a process must not join them half-built. Init starts the
 * command only once it is done and never changes them afterwards, so a
 * child of init that has executed the command, in init's namespaces, is
 * the proof; or init itself running another program, where the command is
 * init; or init of a created sandbox, waiting for start. A sandbox whose
 * command is the very binary init runs from is refused (it cannot be told
 * from a child that has not executed yet). */
static int check_running(pid_t init_pid, nsl_error *error)
{
        _cleanup_free_ char *children = NULL;
        char path[64], link[64];
        size_t len;
        int r;

        /* what setns through the pidfd takes too */
        snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)init_pid);
        if (readlink(path, link, sizeof link) < 0 && (errno == EACCES || errno == EPERM))
                return nsl_fail(error, EPERM, "exec", "", NOT_DUMPABLE);
        if (init_has_executed(init_pid) || init_waits_for_start(init_pid))
                return 0;
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)init_pid, (int)init_pid);
        r = nsl_read_file(path, 1 << 16, &children, &len);
        if (r < 0)
                return nsl_fail(error, -r, "exec", path, NULL);
        for (char *p = children, *end; *p; p = end) {
                long child = strtol(p, &end, 10);
                if (end == p)
                        break;
                if (has_executed(init_pid, (pid_t)child) && same_namespace(init_pid, (pid_t)child, "mnt") &&
                    same_namespace(init_pid, (pid_t)child, "net"))
                        return 0;
        }
        return nsl_fail(error, EAGAIN, "exec", "", "the sandbox's command is not running (not started yet, or ended)");
}

/* The process's ids in the sandbox (raw: the copy of a multithreaded
 * caller must not take glibc's locks). Where the caller is the sandbox's
 * root (an identity map), leaving uid 0 would clear every capability: kept
 * for the payload's stages (groups, caps), which set the final sets;
 * execve resets PR_SET_KEEPCAPS. */
static int stage_identity(struct nsl_ctx *ctx, nsl_error *error)
{
        const struct nsl_plan *plan = ctx->plan;

        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return nsl_fail(error, errno, "identity", "keepcaps", NULL);
        if (syscall(SYS_setresgid, plan->gid, plan->gid, plan->gid) < 0)
                return nsl_fail(error, errno, "identity", "gid", "%u is not mapped in the sandbox", plan->gid);
        if (syscall(SYS_setresuid, plan->uid, plan->uid, plan->uid) < 0)
                return nsl_fail(error, errno, "identity", "uid", "%u is not mapped in the sandbox", plan->uid);
        return nsl_caps_effective_all(error);
}

static int stage_exec_console(struct nsl_ctx *ctx, nsl_error *error)
{
        return ctx->plan->console_socket < 0 ? 0 : nsl_console_open(ctx, ctx->plan->console_socket, error);
}

/* What the process does before the payload's own stages. The pty is
 * opened as the process's own ids: devpts makes its terminal theirs, as a
 * login's is (opened as root, a user's /dev/pts/N was root's, 0620, and
 * it could not reopen it by name). */
static const struct nsl_stage exec_stages[] = {
        { "stdio", nsl_stage_stdio },
        { "identity", stage_identity },
        { "console", stage_exec_console },
};

/* The fds the joiner and the process are started with. */
struct exec_fds {
        int sync;               /* the process's end of the sync socket */
        int agent_state[2];     /* a seccomp agent's state pipe (seccomp/agent.h); -1, -1: none */
};

static _Noreturn void process_main(const struct nsl_plan *plan, const struct exec_fds *fds)
{
        const struct nsl_host_setup host = { .rlimits = &plan->rlimits, .agent_state_fd = fds->agent_state[0] };
        int sync_fd = fds->sync;
        nsl_error error = { 0 };
        struct nsl_ctx ctx;

        nsl_ctx_init(&ctx, plan, &host, sync_fd);
        if (nsl_stages_run(exec_stages, ELEMENTSOF(exec_stages), &ctx, &error) < 0) {
                nsl_msg_send_error(sync_fd, &error);
                _exit(NSL_EXIT_LAUNCHER);
        }
        nsl_payload_main(&ctx);
}

/* The claim-tty stage's guarantee, for a process init did not start: a
 * terminal on its 0-2 that is nobody's controlling terminal could be made
 * its own after setsid, and input pushed into it (TIOCSTI). init holds such
 * a terminal for its whole life; the joiner is gone in a moment, so it only
 * tries to take one, here on the host, and refuses the exec if it can. A
 * terminal that is someone's (EPERM) cannot be taken by the process either;
 * a console socket gives the process a terminal of the sandbox's own. */
static int refuse_free_terminal(const struct nsl_plan *plan, nsl_error *error)
{
        bool tty = false;

        if (plan->console_socket >= 0)
                return 0;
        for (int i = 0; i < 3; i++)
                tty = tty || isatty(plan->stdio[i] >= 0 ? plan->stdio[i] : i);
        if (!tty)
                return 0;
        if (setsid() < 0)
                return nsl_fail(error, errno, "join", "setsid", NULL);
        for (int i = 0; i < 3; i++) {
                int fd = plan->stdio[i] >= 0 ? plan->stdio[i] : i;
                if (isatty(fd) && ioctl(fd, TIOCSCTTY, 0) == 0)
                        return nsl_fail(error, EPERM, "stdio", "", "fd %d is a terminal that is nobody's controlling "
                                        "terminal: the process could take it and push input into it; use a console "
                                        "socket", i);
        }
        return 0;
}

/* The namespaces of init's the caller is not in already. setns refuses
 * anyone the host's namespaces but root, and a rootless sandbox shares some
 * (the network with --network host, which runc's rootless spec has), so
 * those are left out. Its user and mount namespaces are always the
 * sandbox's own: they are always entered, whatever /proc said of a pid
 * that might have been reused (setns through the pidfd then fails). */
static int namespaces_to_enter(pid_t init_pid)
{
        static const struct {
                const char *name;
                int flag;
        } shareable[] = { { "pid", CLONE_NEWPID }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
                          { "net", CLONE_NEWNET }, { "cgroup", CLONE_NEWCGROUP } };
        int flags = CLONE_NEWUSER | CLONE_NEWNS;

        for (size_t i = 0; i < ELEMENTSOF(shareable); i++)
                if (!same_namespace(init_pid, getpid(), shareable[i].name))
                        flags |= shareable[i].flag;
        return flags;
}

static int join(int pidfd, int namespaces, const struct joins *j, const struct nsl_plan *plan, nsl_error *error)
{
        int r = refuse_free_terminal(plan, error);

        if (r < 0)
                return r;
        char self[16];
        int len = snprintf(self, sizeof self, "%d", (int)getpid());

        for (size_t i = 0; i < j->n; i++)
                if (write(j->procs[i], self, (size_t)len) != len)
                        return nsl_fail(error, errno, "join", j->paths[i], "cannot join the sandbox's cgroup");
        /* root's supplementary groups must not come along; a caller
         * without CAP_SETGID keeps its own (it cannot drop them; the sandbox
         * denies setgroups, so they are never more than what it had) */
        if (plan->maps_ids && syscall(SYS_setgroups, 0, NULL) < 0)
                return nsl_fail(error, errno, "join", "setgroups", NULL);
        /* nothing in the sandbox may ptrace us or open our fds before
         * close-fds; execve makes the process dumpable again */
        if (prctl(PR_SET_DUMPABLE, 0) < 0)
                return nsl_fail(error, errno, "join", "dumpable", NULL);
        /* setns through a pidfd takes ptrace access to init: nslaunch's is
         * not dumpable, and only a caller with CAP_SYS_PTRACE over it has
         * that; a command that is init is dumpable once it has executed */
        if (setns(pidfd, namespaces) < 0)
                return nsl_fail(error, errno, "join", "namespaces",
                                errno == EPERM && plan->rootless ? NOT_DUMPABLE : "cannot enter the sandbox's namespaces");
        return 0;
}

static _Noreturn void joiner_fail(int sync_fd, nsl_error *error)
{
        nsl_error_set_stage(error, "join");
        nsl_msg_send_error(sync_fd, error);
        _exit(NSL_EXIT_LAUNCHER);
}

/* The process's pid, as the caller numbers it, is known here only: so is
 * its agent's state, which the process reads once it has closed its own
 * copy of the pipe's write end and this one has exited. */
static _Noreturn void joiner_main(int pidfd, pid_t init_pid, const struct joins *j, const struct nsl_plan *plan,
                                  const struct exec_fds *fds)
{
        struct nsl_clone_args args = { .flags = CLONE_PARENT };
        struct nsl_msg msg = { .type = NSL_MSG_EXEC_PID };
        nsl_error error = { 0 };
        pid_t pid;

        if (join(pidfd, namespaces_to_enter(init_pid), j, plan, &error) < 0)
                joiner_fail(fds->sync, &error);
        pid = nsl_clone3(&args);
        if (pid == 0)
                process_main(plan, fds);
        if (pid < 0) {
                nsl_fail(&error, errno, "join", "clone", NULL);
                joiner_fail(fds->sync, &error);
        }
        if (fds->agent_state[1] >= 0 &&
            nsl_agent_write_state(&plan->seccomp_agent, fds->agent_state[1], pid, init_pid, &error) < 0) {
                kill(pid, SIGKILL);
                joiner_fail(fds->sync, &error);
        }
        msg.status = pid;
        _exit(nsl_msg_send(fds->sync, &msg) < 0 ? NSL_EXIT_LAUNCHER : 0);
}

/* The joiner's answer (the process's pid), then the process's: end of
 * stream when it has exec'd, an error when it could not. */
static int await_process(int sync_fd, pid_t joiner, pid_t *pid, nsl_error *error)
{
        struct nsl_msg msg;
        int status, r = nsl_msg_recv(sync_fd, &msg, 0);

        while (waitpid(joiner, &status, 0) < 0 && errno == EINTR)
                ;
        if (r > 0 && msg.type == NSL_MSG_ERROR) {
                *error = msg.error;
                return -(error->errnum ? error->errnum : EIO);
        }
        if (r <= 0 || msg.type != NSL_MSG_EXEC_PID)
                return nsl_fail(error, r < 0 ? -r : EPIPE, "exec", "", "the process could not be started");
        *pid = msg.status;
        r = nsl_msg_recv(sync_fd, &msg, 0);
        if (r == 0)
                return 0;
        while (waitpid(*pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r > 0 && msg.type == NSL_MSG_ERROR) {
                *error = msg.error;
                return -(error->errnum ? error->errnum : EIO);
        }
        return nsl_fail(error, r < 0 ? -r : EPROTO, "exec", "", "the process could not be started");
}

static int exec_process(pid_t init_pid, const nsl_spec *process, pid_t *pid, nsl_error *error)
{
        struct nsl_plan plan __attribute__((cleanup(nsl_plan_free))) = { 0 };
        struct joins joins __attribute__((cleanup(joins_close))) = { 0 };
        _cleanup_close_ int pidfd = -1;
        _cleanup_close_ int parent_end = -1;
        _cleanup_close_ int child_end = -1;
        struct nsl_clone_args args = { .exit_signal = SIGCHLD };
        struct exec_fds fds = { .agent_state = { -1, -1 } };
        struct nsl_host host;
        int pair[2], r;
        pid_t joiner;

        r = nsl_host_gather(process, &host, error);
        host.joining = true;
        if (r == 0)
                r = nsl_plan_build(process, &host, &plan, error);
        nsl_host_free(&host);
        if (r < 0) {
                nsl_error_set_stage(error, "plan");
                return r;
        }
        if (plan.seccomp.notify)
                return nsl_fail(error, ENOTSUP, "exec", "seccomp", "reporting or learning is for a launch, not exec");
        pidfd = nsl_pidfd_open(init_pid, 0);
        if (pidfd < 0)
                return nsl_fail(error, errno, "exec", "", "no sandbox init with pid %d", (int)init_pid);
        if ((r = check_running(init_pid, error)) < 0 || (r = open_joins(init_pid, &plan, &joins, error)) < 0)
                return r;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return nsl_fail(error, errno, "exec", "socketpair", NULL);
        parent_end = pair[0];
        child_end = fds.sync = pair[1];
        if (plan.seccomp_agent.socket >= 0 && (r = nsl_agent_pipe(fds.agent_state, error)) < 0)
                return r;
        joiner = nsl_clone3(&args);
        int clone_errno = errno;
        if (joiner == 0) {
                close(parent_end);
                joiner_main(pidfd, init_pid, &joins, &plan, &fds);
        }
        nsl_close_slot(&fds.agent_state[0]);
        nsl_close_slot(&fds.agent_state[1]);
        if (joiner < 0)
                return nsl_fail(error, clone_errno, "exec", "clone", NULL);
        nsl_close_slot(&child_end);
        return await_process(parent_end, joiner, pid, error);
}

int nsl_exec(pid_t init_pid, const nsl_spec *process, pid_t *pid, nsl_error *error)
{
        int r = exec_process(init_pid, process, pid, error);

        if (r < 0 && !error->stage[0])
                nsl_error_set_stage(error, "join");
        return r;
}

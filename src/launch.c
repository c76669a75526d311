/* The sandbox handle: the host's steps of a launch (plan, cgroup, bind
 * sources, clone3, id maps), supervision, the result, and the release of
 * everything the sandbox held on the host. Its start is start.c's. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "command.h"
#include "error.h"
#include "fds.h"
#include "host.h"
#include "host-ids.h"
#include "idmap.h"
#include "joined.h"
#include "handle.h"
#include "launch.h"
#include "network/denials.h"
#include "plan.h"
#include "result.h"
#include "sandbox/ctx.h"
#include "sandbox/init.h"
#include "sandbox/sources.h"
#include "seccomp/diagnose.h"
#include "supervise.h"
#include "sync.h"
#include "syscalls.h"
#include "userns.h"

static _Noreturn void child_main(const struct nsl_plan *plan, const struct nsl_host_setup *host, int sync_fd)
{
        struct nsl_ctx ctx;

        /* Never outlive the thread that made us. If it died before this
         * line, the sync socket is already at end of stream and
         * wait-for-idmap fails. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        nsl_ctx_init(&ctx, plan, host, sync_fd);
        nsl_init_main(&ctx);
}

static void warn(const struct nsl_plan *plan, const char *line)
{
        if (plan->warn)
                plan->warn(line, plan->warn_data);
}

static int step_plan(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        struct nsl_host host;
        int r = nsl_host_gather(spec, &host, error);

        if (r == 0 && nsl_plan_takes_host_ids(spec, &host) && (r = nsl_host_ids_reserve_default(&sb->ids, error)) == 0) {
                host.ids_reserved = true;
                host.reserved_uid = sb->ids.uid;
                host.reserved_gid = sb->ids.gid;
                sb->host.ids = &sb->ids;
        }
        if (r == 0)
                r = nsl_plan_build(spec, &host, &sb->plan, error);
        nsl_host_free(&host);

        sb->host.rlimits = &sb->plan.rlimits;
        sb->notify.filter = sb->plan.seccomp.filter;
        sb->notify.filter_len = sb->plan.seccomp.len;
        sb->notify.learn = sb->plan.seccomp_learn;
        sb->s.timeout_ms = sb->plan.timeout_ms;
        sb->s.kill_after_ms = sb->plan.kill_after_ms;
        sb->result.seccomp_reported = sb->plan.seccomp.notify;
        sb->result.landlock_abi = sb->plan.landlock.abi;
        return r;
}

/* --limits best-effort without a cgroup: what rlimits can stand in for. */
static void fall_back_to_rlimits(struct nsl_sandbox *sb, const nsl_error *why)
{
        const struct nsl_cgroup_limits *limits = &sb->plan.limits;
        char line[1400];

        snprintf(line, sizeof line, "limits: no cgroup (%s); falling back to rlimits", why->cause);
        warn(&sb->plan, line);
        if (limits->memory)
                warn(&sb->plan, "limits: --memory is now RLIMIT_AS, a limit on address space, not on memory used");
        if (limits->pids)
                warn(&sb->plan, "limits: --pids is now RLIMIT_NPROC, counted per user");
        if (limits->cpu_quota_us && limits->cpu_quota_us != NSL_CPU_QUOTA_MAX)
                warn(&sb->plan, "limits: --cpus has no rlimit equivalent and is not enforced");
        sb->host.rlimits = &sb->plan.fallback_rlimits;
}

/* What init needs of a cgroup v1 sandbox's cgroups: the tasks files it
 * moves itself in through, and whether it was cloned into a cgroup2 one
 * of its own beside them (a hybrid host's). */
static void hand_cgroup_to_init(struct nsl_sandbox *sb)
{
        sb->host.cgroup_tasks = sb->cg.version == 1 ? sb->cg.tasks : NULL;
        sb->host.cgroup_unified = sb->cg.version == 1 && sb->cg.fd >= 0;
}

static int step_cgroup(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        if (spec->systemd_scope) {
                sb->cgroup_exact = true;
                return nsl_cgroup_create_systemd(&sb->plan.limits, spec->systemd_scope, &sb->cg, &sb->anchor_pidfd,
                                                 error);
        }
        if (spec->cgroup_path) {
                /* its owner asked for exactly this cgroup: no fallback */
                sb->cgroup_exact = true;
                int r = nsl_cgroup_create_exact(&sb->plan.limits, spec->cgroup_path, &sb->cg, error);
                hand_cgroup_to_init(sb);
                return r;
        }
        int r = nsl_cgroup_create(&sb->plan.limits, spec->cgroup_parent, &sb->cg, error);

        if (r == -ENOTSUP && sb->plan.limits_best_effort) {
                fall_back_to_rlimits(sb, error);
                *error = (nsl_error){ 0 };
                return 0;
        }
        hand_cgroup_to_init(sb);
        return r;
}

static int step_open_sources(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        (void)spec;
        if (sb->plan.rootless)
                return 0;
        int r = nsl_sources_open(&sb->plan, &sb->sources, error);
        sb->host.setid_guard = sb->sources.writable_idmap;
        return r;
}

/* With the whole /proc, init blanks the command line it shares with its
 * creator (proc.c): where it lies is read here, before the clone copies
 * this process's memory as it is. */
static int step_argument_area(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        (void)spec;
        if (!sb->plan.mount_proc || !sb->plan.proc_full)
                return 0;
        return nsl_proc_arg_and_env_area(sb->host.arg_env_area, error);
}

struct init_start {
        struct nsl_sandbox *sb;
        int parent_end;
};

static _Noreturn void init_entry(void *data)
{
        struct init_start *start = data;

        close(start->parent_end);
        child_main(&start->sb->plan, &start->sb->host, start->sb->sync_fd);
}

/* The sandbox must not inherit root's supplementary groups (once setgroups
 * is denied it could never drop them), nor a namespace's root's, and the
 * caller keeps its own: only the calling thread drops them, with the raw
 * syscall (glibc's setgroups changes every thread), and takes them back
 * once the child exists. (Joined namespaces: their helper drops its own.) */
static int clone_without_groups(struct nsl_sandbox *sb, struct nsl_clone_args *args, int parent_end, nsl_error *error)
{
        struct init_start start = { .sb = sb, .parent_end = parent_end };
        _cleanup_free_ gid_t *groups = NULL;
        int n = 0;

        if (nsl_joined_any(&sb->plan))
                return nsl_joined_clone(&sb->plan, &sb->sources, args, init_entry, &start, &sb->pid, error);
        if (sb->plan.maps_ids) {
                n = getgroups(0, NULL);
                groups = n > 0 ? calloc((size_t)n, sizeof *groups) : NULL;
                if (n < 0 || (n > 0 && (!groups || getgroups(n, groups) != n)))
                        return nsl_fail(error, n < 0 ? errno : ENOMEM, "clone", "getgroups", NULL);
        }
        if (sb->plan.maps_ids && syscall(SYS_setgroups, 0, NULL) < 0)
                return nsl_fail(error, errno, "clone", "setgroups", NULL);
        sb->pid = nsl_clone3(args);
        int clone_errno = errno;
        if (sb->pid == 0)
                init_entry(&start);
        if (sb->plan.maps_ids && syscall(SYS_setgroups, (size_t)n, groups) < 0 && sb->pid > 0)
                return nsl_fail(error, errno, "clone", "setgroups", "cannot give the caller its groups back");
        errno = clone_errno;
        return sb->pid < 0 ? -errno : 0;
}

/* clone3 was refused its namespaces: the line names the setting in the
 * way when one explains it. */
static int namespaces_refused(const struct nsl_sandbox *sb, int errnum, nsl_error *error)
{
        char why[256];

        if (nsl_userns_refusal("/proc", errnum, sb->plan.rootless, why, sizeof why))
                return nsl_fail(error, errnum, "clone", "clone3", "cannot create namespaces: %s: %s",
                                strerror(errnum), why);
        return nsl_fail(error, errnum, "clone", "clone3",
                        "cannot create namespaces: %s (are user namespaces enabled? see README)", strerror(errnum));
}

static int step_clone(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        int pair[2], pipe_fds[2], agent_fds[2];
        struct nsl_clone_args args = {
                .flags = sb->plan.clone_flags | CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&sb->pidfd,
                .exit_signal = SIGCHLD,
        };

        (void)spec;
        if (sb->cg.fd >= 0) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t)sb->cg.fd;
        }
        if (sb->wait_for_start && sb->plan.start_fifo) {
                int r = nsl_open_fifo(sb->plan.start_fifo, O_RDONLY, "start-fifo", error);
                if (r < 0)
                        return r;
                sb->start_read_fd = r;
        } else if (sb->wait_for_start || sb->plan.net.private) {
                /* A private network's command waits too, even for nsl_run:
                 * its proxy comes up beside the root's set-up (the network
                 * step), and a command started before it finds no route. */
                int made = sb->plan.command_at_start ? socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pipe_fds)
                                                     : pipe2(pipe_fds, O_CLOEXEC);
                if (made < 0)
                        return nsl_fail(error, errno, "clone", "start pipe", NULL);
                sb->start_read_fd = pipe_fds[0];
                sb->start_fd = pipe_fds[1];
        }
        if (sb->plan.seccomp_agent.socket >= 0) {
                int r = nsl_agent_pipe(agent_fds, error);
                if (r < 0)
                        return r;
                sb->host.agent_state_fd = agent_fds[0];
                sb->agent_state_fd = agent_fds[1];
        }
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return nsl_fail(error, errno, "clone", "socketpair", NULL);
        sb->sync_fd = pair[1];          /* the child's end, for the child */
        int r = clone_without_groups(sb, &args, pair[0], error);
        sb->sync_fd = pair[0];
        close(pair[1]);
        nsl_close_slot(&sb->host.agent_state_fd);       /* init's */
        if (r < 0 && error->what[0])
                return r;       /* the groups' step, which says so itself */
        if (r == -EPERM || r == -EACCES || r == -ENOSPC || r == -EUSERS)
                return namespaces_refused(sb, -r, error);
        if (r < 0)
                return nsl_fail(error, -r, "clone", "clone3", NULL);
        return r;
}

/* init's pid is known now, and so the state its agent is sent: the pipe
 * holds it until the command loads its filter, after start. */
static int step_seccomp_agent(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        (void)spec;
        if (sb->agent_state_fd < 0)
                return 0;
        return nsl_agent_write_state(&sb->plan.seccomp_agent, TAKE_FD(sb->agent_state_fd), sb->pid, sb->pid, error);
}

/* init is in the scope now: its first process has done its part */
static int step_cgroup_anchor(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        (void)spec;
        (void)error;
        nsl_cgroup_anchor_end(&sb->anchor_pidfd);
        return 0;
}

static int step_idmap(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        (void)spec;
        return nsl_idmap_write(sb->pid, sb->pidfd, &sb->plan, error);
}

static int step_oom_score_adj(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        (void)spec;
        if (!sb->plan.oom_score_adj_set)
                return 0;
        return nsl_oom_score_adj_write(sb->pid, sb->pidfd, sb->plan.oom_score_adj, error);
}

static int step_go(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        struct nsl_msg go = { .type = NSL_MSG_GO };
        int r;

        (void)spec;
        r = nsl_sources_send(sb->sync_fd, &sb->sources, error);
        sb->idmap_helpers = sb->sources.userns;
        sb->sources.userns.n = 0;
        nsl_idmap_userns_reap_ended(&sb->idmap_helpers);
        nsl_sources_close(&sb->sources);
        if (r < 0)
                return r;
        r = sb->start_read_fd >= 0 ? nsl_msg_send_fd(sb->sync_fd, &go, sb->start_read_fd) : nsl_msg_send(sb->sync_fd, &go);
        nsl_closep(&sb->start_read_fd);
        sb->start_read_fd = -1;
        if (r < 0)
                return nsl_fail(error, EPIPE, "go", "", "the sandbox went away during set-up");
        return 0;
}

/* The sandbox's next word during set-up, which must be `type`: its own
 * error if it failed instead. */
static int await_message(struct nsl_sandbox *sb, enum nsl_msg_type type, const char *stage, nsl_error *error)
{
        struct pollfd fds[2] = { { .fd = sb->sync_fd, .events = POLLIN }, { .fd = sb->pidfd, .events = POLLIN } };
        struct nsl_msg msg;
        int r;

        do
                r = poll(fds, 2, -1);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return nsl_fail(error, errno, stage, "", NULL);
        r = fds[0].revents ? nsl_msg_recv(sb->sync_fd, &msg, MSG_DONTWAIT) : 0;
        if (r > 0 && msg.type == type)
                return 0;
        if (r > 0 && msg.type == NSL_MSG_ERROR) {
                *error = msg.error;
                return -(error->errnum ? error->errnum : EINVAL);
        }
        return nsl_fail(error, EPIPE, stage, "", "the sandbox went away during set-up");
}

/* The caller's turn while init builds (nsl_spec_on_init_started). */
static int step_init_started(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        return spec->init_started ? spec->init_started(sb->pid, sb->pidfd, spec->init_started_data, error) : 0;
}

/* The caller's turn while init waits with the root built (an OCI create's
 * hooks); its failure ends the sandbox (sandbox_create). */
static int step_root_built(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        struct nsl_msg go_on = { .type = NSL_MSG_GO_ON };
        int r;

        if (!sb->plan.pause_when_root_built)
                return 0;
        if ((r = await_message(sb, NSL_MSG_ROOT_BUILT, "root-built", error)) < 0)
                return r;
        if ((r = spec->root_built(sb->pid, sb->pidfd, spec->root_built_data, error)) < 0)
                return r;
        if (nsl_msg_send(sb->sync_fd, &go_on) < 0)
                return nsl_fail(error, EPIPE, "root-built", "", "the sandbox went away during set-up");
        return 0;
}

/* A sandbox waiting for start (nsl_sandbox_create) is created once it waits,
 * everything built: what a pool hands out starts at once, and an OCI
 * runtime's start hooks find the root and the network in place. */
static int step_ready(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        (void)spec;
        if (!sb->plan.command_at_start && !sb->wait_for_start)
                return 0;
        return await_message(sb, NSL_MSG_WAITING, "ready", error);
}

/* NSL_MSG_NETWORK with the two namespaces and every fd its status names;
 * the log exactly when there is an allow-list. */
static bool network_message_valid(const struct nsl_msg *msg, size_t n_fds, bool limited)
{
        const uint32_t known = NSL_NET_SENT_LOG | NSL_NET_SENT_FORWARD4 | NSL_NET_SENT_FORWARD6;
        uint32_t sent = (uint32_t)msg->status;

        return msg->type == NSL_MSG_NETWORK && !(sent & ~known) && n_fds == 2u + (size_t)__builtin_popcount(sent) &&
               !(sent & NSL_NET_SENT_LOG) == !limited;
}

/* A private network: the network helper sends its namespaces as soon as
 * they are made; the proxy is started on them while init builds the root,
 * and the sandbox is created once its interface is up. */
static int step_network(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error)
{
        struct pollfd fds[2] = { { .fd = sb->sync_fd, .events = POLLIN }, { .fd = sb->pidfd, .events = POLLIN } };
        struct nsl_msg msg;
        int ns[NSL_MAX_PASSED_FDS], r;
        size_t n_ns = 0;
        ssize_t n = 0;

        (void)spec;
        if (!sb->plan.net.private)
                return 0;
        do
                r = poll(fds, 2, -1);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return nsl_fail(error, errno, "network", "", NULL);
        if (fds[0].revents)
                n = nsl_recv_with_fds(sb->sync_fd, &msg, sizeof msg, MSG_DONTWAIT, ns, &n_ns);
        if (n == sizeof msg && network_message_valid(&msg, n_ns, sb->plan.net.limited)) {
                size_t at = 2;
                int log = msg.status & NSL_NET_SENT_LOG ? (int)at++ : -1;
                int listen4 = msg.status & NSL_NET_SENT_FORWARD4 ? ns[at++] : -1;
                int listen6 = msg.status & NSL_NET_SENT_FORWARD6 ? ns[at++] : -1;
                r = nsl_net_proxy_start(&sb->plan.net, ns[0], ns[1], listen4, listen6, &sb->proxy, error);
                if (log >= 0)
                        sb->egress_log = TAKE_FD(ns[log]);
        }
        else if (n == sizeof msg && msg.type == NSL_MSG_ERROR) {
                *error = msg.error;
                r = -(error->errnum ? error->errnum : EINVAL);
        } else
                r = nsl_fail(error, EPIPE, "network", "", "the sandbox went away during set-up");
        for (size_t i = 0; i < n_ns; i++)
                nsl_closep(&ns[i]);
        return r;
}

/* The host's steps of nsl_sandbox_create, in order. */
static const struct host_step {
        const char *name;
        int (*run)(struct nsl_sandbox *sb, const nsl_spec *spec, nsl_error *error);
} create_steps[] = {
        { "plan", step_plan },
        { "cgroup", step_cgroup },
        { "open-sources", step_open_sources },
        { "argument-area", step_argument_area },
        { "clone", step_clone },
        { "seccomp-agent", step_seccomp_agent },
        { "cgroup-anchor", step_cgroup_anchor },
        { "idmap", step_idmap },
        { "oom-score-adj", step_oom_score_adj },
        { "go", step_go },
        { "init-started", step_init_started },
        { "network", step_network },
        { "root-built", step_root_built },
        { "ready", step_ready },
};

/* Ends the sandbox (its pid namespace dies with init) and reaps init. */
static void kill_and_reap(int pidfd)
{
        siginfo_t info;

        nsl_pidfd_send_signal(pidfd, SIGKILL);
        nsl_pidfd_wait(pidfd, 0, &info);
}

/* The child's first stages run while nslaunch writes the id maps: when one
 * of them failed, what nslaunch then ran into (a gone process, a closed
 * socket) is only the consequence; the child's own report says why. */
static int child_error_first(int sync_fd, int r, nsl_error *error)
{
        struct nsl_msg msg;

        while (nsl_msg_recv(sync_fd, &msg, MSG_DONTWAIT) > 0)
                if (msg.type == NSL_MSG_ERROR) {
                        *error = msg.error;
                        return -(error->errnum ? error->errnum : EINVAL);
                }
        return r;
}

/* Under Ubuntu's restriction the namespaces are made, but without
 * capabilities: the first stage that needs one fails with EPERM. */
static void explain_capless_namespace(const struct nsl_sandbox *sb, nsl_error *error)
{
        char why[256];
        size_t len = strlen(error->cause);

        if ((error->errnum == EPERM || error->errnum == EACCES) &&
            nsl_userns_refusal("/proc", error->errnum, sb->plan.rootless, why, sizeof why))
                snprintf(error->cause + len, sizeof error->cause - len, " (%s)", why);
}

static nsl_sandbox *sandbox_new(void)
{
        nsl_sandbox *sb = calloc(1, sizeof *sb);

        if (!sb)
                return NULL;
        sb->cg = (struct nsl_cgroup)NSL_CGROUP_INIT;
        sb->proxy = (struct nsl_net_proxy)NSL_NET_PROXY_INIT;
        sb->egress_log = -1;
        sb->ids = (struct nsl_host_ids)NSL_HOST_IDS_INIT;
        nsl_sources_init(&sb->sources);
        sb->start_fd = sb->start_read_fd = sb->pidfd = sb->sync_fd = sb->anchor_pidfd = -1;
        sb->agent_state_fd = sb->host.agent_state_fd = -1;
        sb->pid = -1;
        sb->notify = (struct nsl_notify){ .listener = -1, .native_arch = seccomp_arch_native(), .result = &sb->result };
        sb->s = (struct nsl_supervision){ .pidfd = -1, .sync_fd = -1, .timer_fd = -1, .sig_fd = -1, .egress_log = -1 };
        sb->result = (nsl_result){ .exit_status = -1, .setup_ms = -1, .peak_memory_bytes = -1 };
        return sb;
}

static int sandbox_create(const nsl_spec *spec, bool wait_for_start, nsl_sandbox **out, nsl_error *error)
{
        nsl_sandbox *sb = sandbox_new();
        int r = 0;

        *error = (nsl_error){ 0 };
        *out = NULL;
        if (!sb)
                return nsl_fail(error, ENOMEM, "create", "", NULL);
        clock_gettime(CLOCK_MONOTONIC, &sb->created);
        sb->wait_for_start = wait_for_start;
        if (!wait_for_start && spec->command_at_start) {
                nsl_sandbox_free(sb);
                return nsl_fail(error, EINVAL, "run", "", "no command given: this spec leaves it to start");
        }
        for (size_t i = 0; i < ELEMENTSOF(create_steps) && r == 0; i++) {
                NSL_TIMING_MARK(create_steps[i].name);
                r = create_steps[i].run(sb, spec, error);
                if (r < 0 && !error->what[0])
                        nsl_fail(error, -r, create_steps[i].name, "", NULL);
                if (r < 0)
                        nsl_error_set_stage(error, create_steps[i].name);
        }
        if (r < 0) {
                if (sb->pidfd >= 0) {
                        kill_and_reap(sb->pidfd);
                        sb->reaped = true;
                        r = child_error_first(sb->sync_fd, r, error);
                        explain_capless_namespace(sb, error);
                }
                nsl_sandbox_free(sb);
                return r;
        }
        sb->s.pidfd = sb->pidfd;
        sb->s.sync_fd = sb->sync_fd;
        sb->s.cgroup = &sb->cg;
        sb->s.init_is_command = sb->plan.command_as_init;
        sb->s.notify = sb->plan.seccomp.notify ? &sb->notify : NULL;
        sb->s.egress_log = sb->egress_log;
        sb->s.egress_result = &sb->result;
        sb->result.egress_reported = sb->plan.net.limited;
        *out = sb;
        return 0;
}

int nsl_sandbox_create(const nsl_spec *spec, nsl_sandbox **sandbox, nsl_error *error)
{
        return sandbox_create(spec, true, sandbox, error);
}

void nsl_sandbox_on_free(nsl_sandbox *sb, void (*on_free)(void *data), void *data)
{
        sb->on_free = on_free;
        sb->on_free_data = data;
}

pid_t nsl_sandbox_pid(const nsl_sandbox *sb)
{
        return sb->pid;
}

int nsl_sandbox_pidfd(const nsl_sandbox *sb)
{
        return sb->pidfd;
}

int nsl_sandbox_kill(nsl_sandbox *sb, int sig, bool all, nsl_error *error)
{
        int r;

        *error = (nsl_error){ 0 };
        if (sig <= 0 || sig >= NSIG)
                return nsl_fail(error, EINVAL, "kill", "", "no signal %d", sig);
        r = nsl_supervision_signal(&sb->s, sb->supervising ? sig : SIGKILL, all || !sb->supervising);
        return r < 0 ? nsl_fail(error, r == -EPIPE ? ESRCH : -r, "kill", "", NULL) : 0;
}

static double tv_ms(const struct timeval *tv)
{
        return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

static int result_from(const struct nsl_supervision *s, bool oom_killed, nsl_result *result, nsl_error *error)
{
        result->exit_status = -1;
        result->timed_out = s->timed_out;
        result->oom_killed = oom_killed;

        bool killed = s->timed_out || oom_killed || s->killed;

        if (s->have_error && !killed) {
                *error = s->child_error;
                return -(error->errnum ? error->errnum : EINVAL);
        }
        if (s->have_status || (s->ended && s->init_is_command)) {
                int st = s->have_status ? s->payload_status : s->init_status;
                if (WIFEXITED(st)) {
                        result->exit_status = WEXITSTATUS(st);
                        result->exit_code = result->exit_status;
                } else {
                        result->signal = WTERMSIG(st);
                        result->exit_code = 128 + result->signal;
                }
        } else if (killed) {
                /* init itself was killed: by us after the grace period or on
                 * the caller's request, or with the whole cgroup by the OOM
                 * killer (memory.oom.group) */
                result->signal = SIGKILL;
                result->exit_code = 128 + SIGKILL;
        } else {
                if (WIFSIGNALED(s->init_status))
                        return nsl_fail(error, EIO, "init", "", "the sandbox's init was killed by signal %d",
                                        WTERMSIG(s->init_status));
                return nsl_fail(error, EIO, "init", "", "the sandbox's init exited with %d before the command ran",
                                WEXITSTATUS(s->init_status));
        }
        if (s->timed_out)
                result->exit_code = NSL_EXIT_TIMEOUT;
        return 0;
}

/* Without a report nobody sees what the filter refused: a hint is worth it
 * when the command ended the way a refusal makes one end. */
static bool ended_as_refused(const struct nsl_sc_choice *seccomp, const nsl_result *result)
{
        if (!seccomp->filter || seccomp->notify)
                return false;
        if (result->signal == SIGSYS)
                return true;
        return (result->exit_status == 126 || result->exit_status == 127) &&
               nsl_sc_refuses_start_up(seccomp->filter, seccomp->len);
}

/* A sandbox's cgroup once it has ended: removed, or left to the owner of
 * its exact path when asked (nsl_sandbox_keep_cgroup). */
static void end_cgroup(nsl_sandbox *sb)
{
        if (sb->keep_cgroup)
                nsl_cgroup_release(&sb->cg);
        else
                nsl_cgroup_destroy(&sb->cg);
}

int nsl_sandbox_keep_cgroup(nsl_sandbox *sb, nsl_error *error)
{
        *error = (nsl_error){ 0 };
        if (!sb->cgroup_exact)
                return nsl_fail(error, EINVAL, "keep-cgroup", "", "the sandbox's cgroup is not at an exact path "
                                "(nsl_spec_set_cgroup_path): it would be nobody's to remove");
        sb->keep_cgroup = true;
        return 0;
}

/* init has ended (or supervising it failed, r < 0): the outcome, once. */
static void finish(nsl_sandbox *sb, int r)
{
        struct timespec end;
        bool oom_killed = false;

        sb->finished = true;
        sb->reaped = sb->s.ended;
        nsl_notify_close(&sb->notify);
        nsl_supervision_close(&sb->s);
        if (r < 0) {
                kill_and_reap(sb->pidfd);
                sb->reaped = true;
                sb->rc = r;
                return;
        }
        clock_gettime(CLOCK_MONOTONIC, &end);
        /* The outcome is known once init has reported it: its cgroup still
         * holds the peak. The cgroup goes once init is reaped (here, or in
         * free, after the kernel's teardown of its namespaces). */
        nsl_cgroup_stats(&sb->cg, &sb->result.peak_memory_bytes, &oom_killed);
        nsl_egress_log_read(sb->egress_log, &sb->result);      /* what the command sent last */
        if (sb->reaped)
                end_cgroup(sb);
        sb->result.wall_ms = nsl_ms_between(&sb->created, &end);
        sb->result.setup_ms = sb->s.execed && !sb->s.have_error ? nsl_ms_between(&sb->created, &sb->s.execed_at) : -1;
        sb->result.cpu_user_ms = tv_ms(&sb->s.usage.ru_utime);
        sb->result.cpu_sys_ms = tv_ms(&sb->s.usage.ru_stime);
        sb->rc = result_from(&sb->s, oom_killed, &sb->result, &sb->error);
        sb->result.seccomp_suspected = sb->rc == 0 && ended_as_refused(&sb->plan.seccomp, &sb->result);
        if (sb->rc < 0 && !sb->error.stage[0])
                nsl_error_set_stage(&sb->error, "supervise");
}

/* The supervision for at most timeout_ms, or only until the command has
 * exec'd (2); 1 once finished, 0 when the time ran out. */
static int supervise(nsl_sandbox *sb, int timeout_ms, bool until_execed)
{
        nsl_error failure = { 0 };
        int r = nsl_supervise_from_now(sb, &failure);

        if (r == 0)
                r = nsl_supervise_until(&sb->s, timeout_ms, until_execed, &failure);
        if (r < 0) {
                nsl_error_set_stage(&failure, "supervise");
                sb->error = failure;
        }
        if (r < 0 || r == 1)
                finish(sb, r < 0 ? r : 0);
        return r;
}

void nsl_sandbox_wait_execed(nsl_sandbox *sb)
{
        if (!sb->finished)
                supervise(sb, -1, true);
}

int nsl_sandbox_wait(nsl_sandbox *sb, int timeout_ms, nsl_result *result, nsl_error *error)
{
        if (!sb->finished && supervise(sb, timeout_ms, false) == 0) {
                *error = (nsl_error){ 0 };
                return nsl_fail(error, ETIMEDOUT, "wait", "", "the sandbox is still running");
        }
        *error = sb->error;
        if (nsl_result_copy(&sb->result, result) < 0) {
                *error = (nsl_error){ 0 };
                return nsl_fail(error, ENOMEM, "wait", "", NULL);
        }
        return sb->rc;
}

int nsl_sandbox_detach(nsl_sandbox *sb, nsl_error *error)
{
        struct nsl_msg msg = { .type = NSL_MSG_DETACH };
        struct pollfd answer = { .fd = sb->sync_fd, .events = POLLIN };
        int r;

        *error = (nsl_error){ 0 };
        if (sb->supervising || !sb->wait_for_start)
                return nsl_fail(error, EALREADY, "detach", "", "the sandbox was started already");
        if (sb->plan.command_at_start)
                return nsl_fail(error, EINVAL, "detach", "", "a sandbox waiting for its command stays with its creator");
        if (sb->cg.version && !sb->cgroup_exact)
                return nsl_fail(error, EBUSY, "detach", "", "a sandbox with limits has a cgroup that would be "
                                                            "nobody's to remove (give it an exact cgroup path)");
        /* init must have turned its parent-death signal off before we may
         * exit: wait for its answer (it is waiting for start, so it is
         * quick). When a set-up stage failed first, its own report says why;
         * a gone sandbox or a missing answer is only the consequence. */
        /* a private network's proxy runs while its exit fd is open: init
         * takes a copy, so the proxy ends with the sandbox, not with us; and
         * the egress log, whose refusals init reports from then on (in this
         * order: an allow-list is only ever a private network's) */
        const int passed[] = { sb->proxy.exit_fd, sb->egress_log };
        size_t n_passed = !sb->plan.net.private ? 0 : sb->egress_log < 0 ? 1 : 2;
        r = nsl_send_with_fds(sb->sync_fd, &msg, sizeof msg, passed, n_passed);
        if (r < 0)
                return child_error_first(sb->sync_fd, nsl_fail(error, ESRCH, "detach", "", "the sandbox is gone"),
                                         error);
        do
                r = poll(&answer, 1, 10000);
        while (r < 0 && errno == EINTR);
        if (r <= 0 || nsl_msg_recv(sb->sync_fd, &msg, MSG_DONTWAIT) <= 0 || msg.type != NSL_MSG_DETACHED) {
                if (r > 0 && msg.type == NSL_MSG_ERROR) {
                        *error = msg.error;
                        return -(error->errnum ? error->errnum : EINVAL);
                }
                return child_error_first(sb->sync_fd, nsl_fail(error, r == 0 ? ETIMEDOUT : EPROTO, "detach", "",
                                                               "the sandbox did not answer"), error);
        }
        sb->detached = true;
        nsl_cgroup_release(&sb->cg);    /* the path's owner removes it */
        nsl_net_proxy_release(&sb->proxy);
        nsl_sandbox_free(sb);
        return 0;
}

void nsl_sandbox_free(nsl_sandbox *sb)
{
        if (!sb)
                return;
        /* a sandbox still running is ended; one whose init has reported the
         * outcome is ending already: either way it is reaped, so that its
         * cgroup can go, unless the caller exits right after */
        if (sb->pidfd >= 0 && !sb->reaped && !sb->detached && !sb->leave_init)
                kill_and_reap(sb->pidfd);
        nsl_notify_close(&sb->notify);
        nsl_supervision_close(&sb->s);
        if (sb->leave_proxy)
                nsl_net_proxy_end_before_exit(&sb->proxy);
        else
                nsl_net_proxy_stop(&sb->proxy);
        nsl_closep(&sb->egress_log);
        nsl_cgroup_anchor_end(&sb->anchor_pidfd);
        end_cgroup(sb);
        nsl_sources_close(&sb->sources);
        nsl_idmap_userns_close(&sb->idmap_helpers);
        nsl_closep(&sb->start_fd);
        nsl_closep(&sb->start_read_fd);
        nsl_close_slot(&sb->agent_state_fd);
        nsl_close_slot(&sb->host.agent_state_fd);
        nsl_closep(&sb->sync_fd);
        nsl_closep(&sb->pidfd);
        nsl_plan_free(&sb->plan);
        /* after init is reaped and its cgroup gone: nothing of the sandbox's
         * still counts against the ids (a detached init keeps its own copy) */
        nsl_host_ids_release(&sb->ids);
        nsl_result_release(&sb->result);
        if (sb->on_free)
                sb->on_free(sb->on_free_data);
        free(sb);
}

/* nsl_sandbox_free for a caller that exits right after: init, which has
 * reported the outcome and is ending, is left to the kernel (it is
 * reparented and reaped as an orphan; its parent-death signal ends it should
 * it linger) when nothing on the host waits for its end. A cgroup does: it
 * can be removed only once init is gone. A private network's proxy is
 * killed and its end likewise left to the kernel. */
void nsl_sandbox_free_before_exit(nsl_sandbox *sb)
{
        if (!sb)
                return;
        sb->leave_init = sb->finished && sb->s.have_status && !sb->reaped && sb->cg.version == 0;
        sb->leave_proxy = true;
        nsl_sandbox_free(sb);
}

static int run(const nsl_spec *spec, bool before_exit, nsl_result *result, nsl_error *error)
{
        nsl_sandbox *sb = NULL;
        nsl_error status_error;
        int r;

        *result = (nsl_result){ .exit_status = -1, .setup_ms = -1, .peak_memory_bytes = -1 };
        r = sandbox_create(spec, false, &sb, error);
        if (r == 0)
                r = nsl_sandbox_start(sb, error);
        if (r == 0)
                r = nsl_sandbox_wait(sb, -1, result, error);
        if (nsl_write_status(spec, result, r < 0 ? error : NULL, &status_error) < 0 && r == 0) {
                *error = status_error;
                nsl_error_set_stage(error, "status-json");
                r = -EIO;
        }
        if (before_exit)
                nsl_sandbox_free_before_exit(sb);
        else
                nsl_sandbox_free(sb);
        return r;
}

int nsl_run(const nsl_spec *spec, nsl_result *result, nsl_error *error)
{
        return run(spec, false, result, error);
}

int nsl_run_before_exit(const nsl_spec *spec, nsl_result *result, nsl_error *error)
{
        return run(spec, true, result, error);
}

#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../network/denials.h"
#include "../sync.h"
#include "../syscalls.h"
#include "caps.h"
#include "mount.h"

const int nsl_forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
const size_t nsl_n_forwarded_signals = ELEMENTSOF(nsl_forwarded_signals);

/* Copied out of the way first: one of them may be another's number. */
int nsl_stdio_take(const int stdio[3], nsl_error *error)
{
        int copies[3] = { -1, -1, -1 };
        int r = 0;

        for (int i = 0; i < 3 && r == 0; i++)
                if (stdio[i] >= 0 && (copies[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3)) < 0)
                        r = nsl_fail(error, errno, "stdio", "", "cannot take the command's fd %d", i);
        for (int i = 0; i < 3 && r == 0; i++)
                if (copies[i] >= 0 && dup2(copies[i], i) < 0)
                        r = nsl_fail(error, errno, "stdio", "", "cannot take the command's fd %d", i);
        for (int i = 0; i < 3; i++)
                nsl_closep(&copies[i]);
        return r;
}

/* The caller's fds for the command's 0, 1 and 2 (the plan checked they are
 * open). */
int nsl_stage_stdio(struct nsl_ctx *ctx, nsl_error *error)
{
        return nsl_stdio_take(ctx->plan->stdio, error);
}

/* The console socket stays until the console stage has used it, a seccomp
 * agent's socket and state pipe until the payload has sent the listener;
 * the host ids' lock for as long as init lives, so that the ids are in use
 * until the sandbox has ended, even when nslaunch was killed or let it run
 * on. */
int nsl_stage_close_inherited_fds(struct nsl_ctx *ctx, nsl_error *error)
{
        const struct nsl_plan *plan = ctx->plan;
        int keep[NSL_MAX_KEEP_FDS + 4];
        size_t n = plan->n_keep_fds;
        int r;

        memcpy(keep, plan->keep_fds, n * sizeof *keep);
        if (plan->console_socket >= 0)
                nsl_fd_list_insert(keep, &n, plan->console_socket);
        nsl_agent_keep_fds(&plan->seccomp_agent, ctx->host->agent_state_fd, keep, &n);
        if (ctx->host->ids)
                nsl_fd_list_insert(keep, &n, ctx->host->ids->lock_fd);
        r = nsl_close_all_except_plus(keep, n, ctx->sync_fd);

        if (r < 0)
                return nsl_fail(error, -r, "close-inherited-fds", "", NULL);
        return 0;
}

int nsl_stage_wait_for_idmap(struct nsl_ctx *ctx, nsl_error *error)
{
        const struct nsl_plan *plan = ctx->plan;
        struct nsl_msg msg;
        int passed, r;

        /* Run by root, nslaunch hands over the bind sources it cloned first. */
        while ((r = nsl_msg_recv_fd(ctx->sync_fd, &msg, 0, &passed)) > 0 && msg.type == NSL_MSG_SOURCE)
                if ((r = nsl_sources_take(&ctx->sources, msg.status, passed, error)) < 0)
                        return r;
        if (r <= 0 || msg.type != NSL_MSG_GO) {
                if (passed >= 0)
                        close(passed);
                return nsl_fail(error, r < 0 ? -r : EPIPE, "wait-for-idmap", "", "nslaunch went away");
        }
        ctx->start_fd = passed;
        /* From here on no one in the sandbox may ptrace us or open
         * /proc/1/exe. (Not earlier: the maps are written through /proc/PID,
         * which a non-dumpable process hands to root.) */
        if (prctl(PR_SET_DUMPABLE, 0) < 0)
                return nsl_fail(error, errno, "wait-for-idmap", "dumpable", NULL);
        /* raw: glibc's setresgid would wait for the other threads of a
         * multithreaded caller, which this copy of it does not have. Where
         * the caller is the sandbox's root (an identity map made by root),
         * leaving uid 0 would clear init's capabilities, which it needs to
         * build the root: kept (the payload's caps stage sets its own, and
         * execve resets PR_SET_KEEPCAPS). */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return nsl_fail(error, errno, "wait-for-idmap", "keepcaps", NULL);
        if (syscall(SYS_setresgid, plan->gid, plan->gid, plan->gid) < 0)
                return nsl_fail(error, errno, "wait-for-idmap", "gid", NULL);
        if (syscall(SYS_setresuid, plan->uid, plan->uid, plan->uid) < 0)
                return nsl_fail(error, errno, "wait-for-idmap", "uid", NULL);
        return nsl_caps_effective_all(error);
}

/* Where a detached sandbox's init reports the egress refusals: the
 * container's stderr, which is init's own, or the console's slave when the
 * command has a terminal (init's stderr is then the engine's, often
 * /dev/null). Kept past the payload's spawn; -1 when it cannot be. */
static int report_fd_of(const struct nsl_ctx *ctx)
{
        return ctx->console_fd >= 0 ? fcntl(ctx->console_fd, F_DUPFD_CLOEXEC, 3) : STDERR_FILENO;
}

/* The one message a created sandbox takes while it waits: detach. From
 * then on it outlives its creator: no parent-death signal, and the end of
 * the sync socket ends nothing. */
static int take_detach(struct nsl_ctx *ctx, nsl_error *error)
{
        struct nsl_msg msg;
        int passed[2];          /* the proxy's exit fd, the egress log: a private network's */
        int r = nsl_msg_recv_fds(ctx->sync_fd, &msg, MSG_DONTWAIT, passed, ELEMENTSOF(passed));

        if (r == -EAGAIN)
                return 0;
        if (r <= 0)
                return nsl_fail(error, r < 0 ? -r : EPIPE, "wait-for-start", "", "nslaunch went away");
        if (msg.type != NSL_MSG_DETACH) {
                for (size_t i = 0; i < ELEMENTSOF(passed); i++)
                        nsl_closep(&passed[i]);
                return 0;
        }
        /* kept, close-on-exec, until init ends */
        ctx->proxy_exit_fd = passed[0];
        ctx->egress_log_fd = passed[1];
        if (ctx->egress_log_fd >= 0)
                ctx->report_fd = report_fd_of(ctx);
        if (prctl(PR_SET_PDEATHSIG, 0) < 0)
                return nsl_fail(error, errno, "wait-for-start", "", "cannot detach");
        ctx->detached = true;
        msg = (struct nsl_msg){ .type = NSL_MSG_DETACHED };
        return nsl_msg_send(ctx->sync_fd, &msg) < 0 ? nsl_fail(error, EPIPE, "wait-for-start", "", "nslaunch went away")
                                                   : 0;
}

/* A read-only image is writable to the caller's pause (an OCI create's
 * hooks: a GPU hook makes its mountpoints in the image), as runc leaves it
 * until after them, and read-only again before any other stage: nslaunch
 * itself never writes into it. Where the host keeps the image read-only (a
 * locked flag), it stays so. */
static bool open_image_for_the_pause(struct nsl_ctx *ctx)
{
        nsl_error ignored;

        return ctx->root_is_readonly_image && nsl_mount_unset(ctx->root_fd, MOUNT_ATTR_RDONLY, "/", &ignored) == 0;
}

/* nsl_spec_on_root_built: the caller's turn, in the network namespace the
 * command will have; end of file instead of its word means it is gone. */
int nsl_stage_root_built(struct nsl_ctx *ctx, nsl_error *error)
{
        struct nsl_msg msg = { .type = NSL_MSG_ROOT_BUILT };
        int r;

        if (!ctx->plan->pause_when_root_built)
                return 0;
        if ((r = nsl_stage_network_join(ctx, error)) < 0)
                return r;
        bool opened = open_image_for_the_pause(ctx);
        if (nsl_msg_send(ctx->sync_fd, &msg) < 0)
                return nsl_fail(error, EPIPE, "root-built", "", "nslaunch went away");
        r = nsl_msg_recv(ctx->sync_fd, &msg, 0);
        if (r <= 0 || msg.type != NSL_MSG_GO_ON)
                return nsl_fail(error, EPIPE, "root-built", "", "nslaunch went away");
        return opened ? nsl_mount_set(ctx->root_fd, MOUNT_ATTR_RDONLY, false, "/", error) : 0;
}

/* A sandbox made with nsl_sandbox_create waits here, everything built,
 * until nsl_sandbox_start writes to the start pipe (from this process or
 * another). End of file there, or on the sync socket, means it never will.
 * init holds the pipe's reading end on until the command has executed
 * (nsl_init_main; the payload's copy closes at its execve): a starter that
 * waits sees the end's last reader go (nsl_sandbox_start_fifo_wait). */
static int await_start(struct nsl_ctx *ctx, nsl_error *error)
{
        struct pollfd fds[2] = { { .fd = ctx->start_fd, .events = POLLIN }, { .fd = ctx->sync_fd, .events = POLLIN } };
        char byte;

        /* built: nsl_sandbox_create returns on this (an OCI runtime's hooks
         * then find the root and the network in place) */
        struct nsl_msg waiting = { .type = NSL_MSG_WAITING };
        if (nsl_msg_send(ctx->sync_fd, &waiting) < 0)
                return nsl_fail(error, EPIPE, "wait-for-start", "", "nslaunch went away");
        for (;;) {
                if (poll(fds, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return nsl_fail(error, errno, "wait-for-start", "", NULL);
                }
                if (fds[1].revents) {
                        int r = take_detach(ctx, error);
                        if (r < 0)
                                return r;
                        if (ctx->detached)
                                fds[1].fd = -1;         /* the creator may go */
                }
                if (fds[0].revents)
                        break;
        }
        if (read(ctx->start_fd, &byte, 1) != 1)
                return nsl_fail(error, ECANCELED, "wait-for-start", "", "the sandbox was never started");
        return 0;
}

/* Named NSL_INIT_WAITING_COMM while it waits, exec's proof that the
 * sandbox is built (init.h); once started, init takes its name back and
 * the command's execve is the proof, as in a sandbox never created. */
int nsl_stage_wait_for_start(struct nsl_ctx *ctx, nsl_error *error)
{
        char name[16] = "";
        int r;

        if (ctx->start_fd < 0 || ctx->plan->command_at_start)
                return 0;       /* the payload waits, its own stages done (wait-for-command) */
        if (prctl(PR_GET_NAME, name) < 0 || nsl_set_comm(NSL_INIT_WAITING_COMM) < 0)
                return nsl_fail(error, errno, "wait-for-start", "", "cannot name init");
        if ((r = await_start(ctx, error)) < 0)
                return r;
        if (nsl_set_comm(name) < 0)
                return nsl_fail(error, errno, "wait-for-start", "", "cannot name init");
        return 0;
}

/* cgroup v1 has no CLONE_INTO_CGROUP: init moves itself in, first of all, so
 * that everything the sandbox starts or allocates is counted there. */
int nsl_stage_cgroup_enter(struct nsl_ctx *ctx, nsl_error *error)
{
        return ctx->host->cgroup_tasks ? nsl_cgroup_enter_self(ctx->host->cgroup_tasks, error) : 0;
}

/* cgroup v1: init moved itself into the sandbox's cgroups after clone, so the
 * cgroup namespace clone3 made is rooted above them; root it here instead. */
int nsl_stage_cgroup_namespace(struct nsl_ctx *ctx, nsl_error *error)
{
        if (ctx->host->cgroup_tasks && unshare(CLONE_NEWCGROUP) < 0)
                return nsl_fail(error, errno, "cgroup-namespace", "", NULL);
        return 0;
}

int nsl_stage_hostname(struct nsl_ctx *ctx, nsl_error *error)
{
        const char *name = ctx->plan->hostname;

        if (ctx->plan->join_ns[NSL_JOIN_UTS])
                return 0;       /* a joined namespace: launch.c */
        if (sethostname(name, strlen(name)) < 0)
                return nsl_fail(error, errno, "hostname", name, NULL);
        if (ctx->plan->domainname && setdomainname(ctx->plan->domainname, strlen(ctx->plan->domainname)) < 0)
                return nsl_fail(error, errno, "domainname", ctx->plan->domainname, NULL);
        return 0;
}

static int64_t timeval_us(const struct timeval *tv)
{
        return (int64_t)tv->tv_sec * 1000000 + tv->tv_usec;
}

static int wait_status_exit_code(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return NSL_EXIT_LAUNCHER;
}

/* Reaps every child that has ended; returns true once the payload has. */
static bool reap(pid_t payload, int *payload_status)
{
        bool done = false;
        int status;
        pid_t pid;

        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                if (pid == payload) {
                        *payload_status = status;
                        done = true;
                }
        return done;
}

/* A detached sandbox's egress refusals: a line when a destination is first
 * refused, while the command runs; counts once it has ended. */
struct egress_report {
        struct nsl_egress_tally tally;
        int fd;
};

static void report_refusal(const nsl_egress_denial *refused, void *data)
{
        struct egress_report *report = data;

        if (nsl_egress_tally_add(&report->tally, refused))
                nsl_egress_denial_write(report->fd, refused, false);
}

/* kill(-1) from init reaches every process of its pid namespace, which is
 * the sandbox only when the namespace is its own. */
static void signal_all(const struct nsl_ctx *ctx, int sig)
{
        if (nsl_pid_ns_shared(ctx->plan))
                nsl_descendants_signal(ctx, sig);
        else
                kill(-1, sig);
}

static _Noreturn void supervise_payload(struct nsl_ctx *ctx, int sig_fd)
{
        struct pollfd fds[3] = { { .fd = sig_fd, .events = POLLIN },
                                 { .fd = ctx->detached ? -1 : ctx->sync_fd, .events = POLLIN },
                                 { .fd = ctx->egress_log_fd, .events = POLLIN } };
        struct egress_report report = { .fd = ctx->report_fd };
        int status = 0;

        /* a report to a reader that went away fails, and must not end init
         * (the payload, spawned already, keeps its own disposition) */
        if (ctx->egress_log_fd >= 0)
                signal(SIGPIPE, SIG_IGN);
        for (;;) {
                if (poll(fds, ELEMENTSOF(fds), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        _exit(NSL_EXIT_LAUNCHER);
                }
                if (fds[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sig_fd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD)
                                kill(ctx->payload_pid, (int)si.ssi_signo);
                        if (reap(ctx->payload_pid, &status))
                                break;
                }
                if (fds[1].revents) {
                        struct nsl_msg msg;
                        int r = nsl_msg_recv(ctx->sync_fd, &msg, MSG_DONTWAIT);
                        if (r == 0 || (r < 0 && r != -EAGAIN))
                                _exit(NSL_EXIT_LAUNCHER);       /* nslaunch is gone: the namespace goes with us */
                        if (r > 0 && msg.type == NSL_MSG_SIGNAL)
                                kill(ctx->payload_pid, msg.status);
                        else if (r > 0 && msg.type == NSL_MSG_SIGNAL_ALL)
                                signal_all(ctx, msg.status);
                }
                if (fds[2].revents)
                        nsl_egress_log_drain(ctx->egress_log_fd, report_refusal, &report);
        }
        if (ctx->egress_log_fd >= 0) {
                nsl_egress_log_drain(ctx->egress_log_fd, report_refusal, &report);     /* what it sent last */
                nsl_egress_denials_write(report.fd, report.tally.seen, report.tally.n, report.tally.dropped);
        }
        if (nsl_pid_ns_shared(ctx->plan))
                nsl_descendants_end(ctx);       /* what the namespace's end would have ended */
        NSL_TIMING_MARK("payload-reaped");
        /* nslaunch reports the outcome from this message, before the kernel
         * has torn the namespaces down and init is reaped: the CPU time
         * comes with it */
        struct nsl_msg msg = { .type = NSL_MSG_EXIT, .status = status };
        struct rusage self, children;
        if (getrusage(RUSAGE_SELF, &self) == 0 && getrusage(RUSAGE_CHILDREN, &children) == 0) {
                msg.user_us = timeval_us(&self.ru_utime) + timeval_us(&children.ru_utime);
                msg.sys_us = timeval_us(&self.ru_stime) + timeval_us(&children.ru_stime);
        }
        (void)nsl_msg_send(ctx->sync_fd, &msg);
        _exit(wait_status_exit_code(status));
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NSL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define NSL_ASAN 1
#endif

#ifdef NSL_ASAN
/* AddressSanitizer cannot follow a child onto a stack of its own: sanitizer
 * builds start the payload as fork would, on a copy of this stack, but with
 * CLONE_VFORK, so that here too init goes on (and reports EXECED) only once
 * the payload has exec'd or died. */
static pid_t spawn_payload(struct nsl_ctx *ctx, int sig_fd)
{
        pid_t pid = (pid_t)syscall(SYS_clone, CLONE_VFORK | SIGCHLD, 0, NULL, NULL, 0);

        if (pid == 0) {
                close(sig_fd);
                nsl_payload_main(ctx);
        }
        return pid < 0 ? -errno : pid;
}
#else
struct payload_start {
        struct nsl_ctx *ctx;
        int sig_fd;
};

static int payload_entry(void *data)
{
        struct payload_start *start = data;
        close(start->sig_fd);
        nsl_payload_main(start->ctx);
}

/* Starts the payload the way posix_spawn does: sharing init's memory, on a
 * stack of its own with a guard page, while init waits (CLONE_VFORK) until it
 * has exec'd or died. No page tables to copy, and nothing else runs in the
 * sandbox meanwhile (with --seccomp-report, a copy of init's memory: see
 * below). Returns its pid or -errno. */
static pid_t spawn_payload(struct nsl_ctx *ctx, int sig_fd)
{
        const size_t page = (size_t)sysconf(_SC_PAGESIZE), size = 256 * 1024;
        struct payload_start start = { .ctx = ctx, .sig_fd = sig_fd };
        char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        pid_t pid;

        if (stack == MAP_FAILED)
                return -errno;
        if (mprotect(stack, page, PROT_NONE) < 0) {
                munmap(stack, size);
                return -errno;
        }
        /* Reporting or learning, the payload makes itself dumpable for the
         * listener hand-off: it must not share (and so make dumpable) init's
         * memory then, or the command could open /proc/1/mem. */
        unsigned long share_vm = ctx->plan->seccomp.notify ? 0 : CLONE_VM;
        pid = clone(payload_entry, stack + size, (int)(share_vm | CLONE_VFORK | SIGCHLD), &start);
        if (pid < 0)
                pid = -errno;
        munmap(stack, size);
        return pid;
}
#endif

static _Noreturn void fail(struct nsl_ctx *ctx, const nsl_error *error)
{
        nsl_msg_send_error(ctx->sync_fd, error);
        _exit(error->exit_code ? error->exit_code : NSL_EXIT_LAUNCHER);
}

_Noreturn void nsl_init_main(struct nsl_ctx *ctx)
{
        nsl_error error = { 0 };
        sigset_t set;
        int sig_fd;

        if (nsl_stages_run(nsl_init_stages, nsl_n_init_stages, ctx, &error) < 0)
                fail(ctx, &error);
        if (ctx->plan->command_as_init)
                nsl_payload_main(ctx);  /* its own stages, then the execve: init is the command from here */

        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        for (size_t i = 0; i < nsl_n_forwarded_signals; i++)
                sigaddset(&set, nsl_forwarded_signals[i]);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 || (sig_fd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
                nsl_fail(&error, errno, "init", "signalfd", NULL);
                nsl_error_set_stage(&error, "spawn");
                fail(ctx, &error);
        }

        NSL_TIMING_MARK("fork-payload");
        /* the start pipe: a command given at start, which the payload
         * takes from here, or the end a starter waits on to see the
         * command executed */
        int start_fd = ctx->start_fd;
        ctx->payload_pid = spawn_payload(ctx, sig_fd);
        if (ctx->payload_pid < 0) {
                nsl_fail(&error, -ctx->payload_pid, "init", "spawn", NULL);
                nsl_error_set_stage(&error, "spawn");
                fail(ctx, &error);
        }
        nsl_closep(&start_fd);
        ctx->start_fd = -1;
        nsl_command_release(ctx);
        /* CLONE_VFORK: the payload has exec'd (or died trying) by now. The
         * time is taken here, not when nslaunch reads the message: its
         * wake-up is no part of the command's start. */
        NSL_TIMING_MARK("execed");
        struct nsl_msg execed = { .type = NSL_MSG_EXECED };
        clock_gettime(CLOCK_MONOTONIC, &execed.at);
        (void)nsl_msg_send(ctx->sync_fd, &execed);

        for (size_t i = 0; i < ctx->plan->n_keep_fds; i++)
                close(ctx->plan->keep_fds[i]);
        if (ctx->plan->seccomp_agent.socket >= 0) {     /* the payload's to send on and close */
                close(ctx->plan->seccomp_agent.socket);
                close(ctx->host->agent_state_fd);
        }
        nsl_closep(&ctx->console_fd);
        if (nsl_caps_clear(&error) < 0) {
                nsl_error_set_stage(&error, "spawn");
                kill(ctx->payload_pid, SIGKILL);
                fail(ctx, &error);
        }
        supervise_payload(ctx, sig_fd);
}

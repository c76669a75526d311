#include "supervise.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "network/denials.h"
#include "sync.h"
#include "syscalls.h"

static int arm(int timer_fd, uint64_t ms)
{
        struct itimerspec its = { .it_value = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 } };
        if (ms == 0)
                its.it_value.tv_nsec = 1;
        return timerfd_settime(timer_fd, 0, &its, NULL);
}

int nsl_supervision_start(struct nsl_supervision *s, const sigset_t *forward, nsl_error *error)
{
        s->sync_open = true;
        if (forward) {
                s->sig_fd = signalfd(-1, forward, SFD_CLOEXEC | SFD_NONBLOCK);
                if (s->sig_fd < 0)
                        return nsl_fail(error, errno, "supervise", "signalfd", NULL);
        }
        if (s->timeout_ms) {
                s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
                if (s->timer_fd < 0 || arm(s->timer_fd, s->timeout_ms) < 0)
                        return nsl_fail(error, errno, "supervise", "timerfd", NULL);
        }
        return 0;
}

void nsl_supervision_close(struct nsl_supervision *s)
{
        nsl_closep(&s->sig_fd);
        nsl_closep(&s->timer_fd);
        s->sig_fd = s->timer_fd = -1;
}

/* SIGKILL to init ends its pid namespace; what a shared one holds goes
 * with the cgroup. Either way, nothing in it can do more than end now. */
static int kill_sandbox(struct nsl_supervision *s)
{
        int r = nsl_pidfd_send_signal(s->pidfd, SIGKILL) < 0 ? -errno : 0;

        if (s->cgroup)
                nsl_cgroup_lift_cpu_quota_of(s->cgroup);
        return r;
}

int nsl_supervision_signal(struct nsl_supervision *s, int sig, bool all)
{
        struct nsl_msg msg = { .type = all ? NSL_MSG_SIGNAL_ALL : NSL_MSG_SIGNAL, .status = sig };

        if (all && sig == SIGKILL) {
                __atomic_store_n(&s->killed, true, __ATOMIC_RELAXED);
                return kill_sandbox(s);
        }
        if (s->init_is_command)
                return nsl_pidfd_send_signal(s->pidfd, sig) < 0 ? -errno : 0;
        return nsl_msg_send(s->sync_fd, &msg);
}

static void fail_listener(struct nsl_supervision *s, const nsl_error *error)
{
        if (!s->have_error) {
                s->have_error = true;
                s->child_error = *error;
        }
        nsl_pidfd_send_signal(s->pidfd, SIGKILL);
}

static void take_listener(struct nsl_supervision *s, const struct nsl_msg *msg, int payload_pidfd)
{
        nsl_error error = { 0 };

        if (!s->notify || s->notify->listener >= 0 || payload_pidfd < 0) {
                nsl_fail(&error, EPROTO, "seccomp-report", "listener", "unexpected hand-off");
                fail_listener(s, &error);
                return;
        }
        if (nsl_notify_take_listener(s->notify, payload_pidfd, msg->status, &error) < 0)
                fail_listener(s, &error);
}

static void take_message(struct nsl_supervision *s, const struct nsl_msg *msg, int passed)
{
        if (msg->type == NSL_MSG_LISTENER) {
                take_listener(s, msg, passed);
        } else if (msg->type == NSL_MSG_ERROR && !s->have_error) {
                s->have_error = true;
                s->child_error = msg->error;
        } else if (msg->type == NSL_MSG_EXECED && !s->execed) {
                s->execed = true;
                s->execed_at = msg->at;
        } else if (msg->type == NSL_MSG_EXIT) {
                s->have_status = true;
                s->payload_status = msg->status;
                s->usage.ru_utime = (struct timeval){ msg->user_us / 1000000, msg->user_us % 1000000 };
                s->usage.ru_stime = (struct timeval){ msg->sys_us / 1000000, msg->sys_us % 1000000 };
        }
        if (passed >= 0)
                close(passed);
}

static void drain(struct nsl_supervision *s)
{
        struct nsl_msg msg;
        int passed;
        while (nsl_msg_recv_fd(s->sync_fd, &msg, MSG_DONTWAIT, &passed) > 0)
                take_message(s, &msg, passed);
}

static void on_timer(struct nsl_supervision *s)
{
        uint64_t ticks;

        (void)!read(s->timer_fd, &ticks, sizeof ticks);
        if (!s->term_sent) {
                s->timed_out = s->term_sent = true;
                if (nsl_supervision_signal(s, SIGTERM, true) < 0 || arm(s->timer_fd, s->kill_after_ms) < 0)
                        kill_sandbox(s);
        } else {
                kill_sandbox(s);
        }
}

/* The raw waitid also reports the resources init and every process it
 * reaped used: exact per sandbox, where RUSAGE_CHILDREN would mix in the
 * caller's other children. */
static int reap(struct nsl_supervision *s, nsl_error *error)
{
        siginfo_t info = { 0 };

        while (syscall(SYS_waitid, P_PIDFD, s->pidfd, &info, WEXITED, &s->usage) < 0)
                if (errno != EINTR)
                        return nsl_fail(error, errno, "supervise", "waitid", NULL);
        s->init_status = info.si_code == CLD_EXITED ? W_EXITCODE(info.si_status, 0) : info.si_status;
        s->ended = true;
        return 1;
}

static int remaining_ms(const struct timespec *deadline)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
        return ms < 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int)ms;
}

int nsl_supervise(struct nsl_supervision *s, int wait_ms, nsl_error *error)
{
        return nsl_supervise_until(s, wait_ms, false, error);
}

/* init said the command has executed; or, where init is the command and
 * so sends no such word, the sync socket has closed without an error:
 * init holds it, close-on-exec, up to its execve. */
static bool command_execed(const struct nsl_supervision *s)
{
        return s->execed || (s->init_is_command && !s->sync_open && !s->have_error);
}

int nsl_supervise_until(struct nsl_supervision *s, int wait_ms, bool execed, nsl_error *error)
{
        struct timespec deadline;

        if (s->ended || s->have_status)
                return 1;
        if (execed && command_execed(s))
                return 2;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += wait_ms / 1000;
        deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000;
        if (deadline.tv_nsec >= 1000000000) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000;
        }
        for (;;) {
                struct pollfd fds[6] = {
                        { .fd = s->pidfd, .events = POLLIN },
                        { .fd = s->sync_open ? s->sync_fd : -1, .events = POLLIN },
                        { .fd = s->sig_fd, .events = POLLIN },
                        { .fd = s->timer_fd, .events = POLLIN },
                        { .fd = s->notify ? s->notify->listener : -1, .events = POLLIN },
                        { .fd = s->egress_log, .events = POLLIN },
                };
                int n = poll(fds, 6, wait_ms < 0 ? -1 : remaining_ms(&deadline));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return nsl_fail(error, errno, "supervise", "poll", NULL);
                }
                if (n == 0)
                        return 0;
                if (fds[1].revents) {
                        struct nsl_msg msg;
                        int passed;
                        int r = nsl_msg_recv_fd(s->sync_fd, &msg, MSG_DONTWAIT, &passed);
                        if (r > 0)
                                take_message(s, &msg, passed);
                        else if (r != -EAGAIN)
                                s->sync_open = false;
                        if (s->have_status)
                                return 1;       /* the outcome: init is ending, the kernel tears down */
                        if (execed && command_execed(s))
                                return 2;
                }
                if (fds[2].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(s->sig_fd, &si, sizeof si) == sizeof si)
                                nsl_supervision_signal(s, (int)si.ssi_signo, false);
                }
                if (fds[3].revents & POLLIN)
                        on_timer(s);
                if (fds[4].revents & POLLIN)
                        nsl_notify_handle(s->notify);
                else if (fds[4].revents & (POLLHUP | POLLERR))
                        nsl_notify_close(s->notify);    /* no task uses the filter any more */
                if (fds[5].revents)
                        nsl_egress_log_read(s->egress_log, s->egress_result);
                if (fds[0].revents & POLLIN) {
                        drain(s);
                        return reap(s, error);
                }
        }
}

#include "supervise.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "cleanup.h"
#include "error.h"
#include "sandbox/init.h"
#include "sync.h"
#include "syscalls.h"

static int arm(int timer_fd, uint64_t ms)
{
        struct itimerspec its = { .it_value = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 } };
        if (ms == 0)
                its.it_value.tv_nsec = 1;
        return timerfd_settime(timer_fd, 0, &its, NULL);
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
                clock_gettime(CLOCK_MONOTONIC, &s->execed_at);
        } else if (msg->type == NSL_MSG_EXIT) {
                s->have_status = true;
                s->payload_status = msg->status;
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

int nsl_supervise(struct nsl_supervision *s, int *init_status, nsl_error *error)
{
        _cleanup_close_ int sig_fd = -1;
        _cleanup_close_ int timer_fd = -1;
        bool sync_open = true, term_sent = false;
        sigset_t set;

        sigemptyset(&set);
        for (size_t i = 0; i < nsl_n_forwarded_signals; i++)
                sigaddset(&set, nsl_forwarded_signals[i]);
        sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sig_fd < 0)
                return nsl_fail(error, errno, "supervise", "signalfd", NULL);
        if (s->timeout_ms) {
                timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
                if (timer_fd < 0 || arm(timer_fd, s->timeout_ms) < 0)
                        return nsl_fail(error, errno, "supervise", "timerfd", NULL);
        }

        for (;;) {
                struct pollfd fds[5] = {
                        { .fd = s->pidfd, .events = POLLIN },
                        { .fd = sync_open ? s->sync_fd : -1, .events = POLLIN },
                        { .fd = sig_fd, .events = POLLIN },
                        { .fd = timer_fd, .events = POLLIN },
                        { .fd = s->notify ? s->notify->listener : -1, .events = POLLIN },
                };
                if (poll(fds, 5, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return nsl_fail(error, errno, "supervise", "poll", NULL);
                }
                if (fds[1].revents) {
                        struct nsl_msg msg;
                        int passed;
                        int r = nsl_msg_recv_fd(s->sync_fd, &msg, MSG_DONTWAIT, &passed);
                        if (r > 0)
                                take_message(s, &msg, passed);
                        else if (r != -EAGAIN)
                                sync_open = false;
                }
                if (fds[2].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(sig_fd, &si, sizeof si) == sizeof si)
                                nsl_pidfd_send_signal(s->pidfd, (int)si.ssi_signo);
                }
                if (fds[3].revents & POLLIN) {
                        uint64_t ticks;
                        (void)!read(timer_fd, &ticks, sizeof ticks);
                        if (!term_sent) {
                                struct nsl_msg msg = { .type = NSL_MSG_TERMINATE };
                                s->timed_out = term_sent = true;
                                if (nsl_msg_send(s->sync_fd, &msg) < 0 || arm(timer_fd, s->kill_after_ms) < 0)
                                        nsl_pidfd_send_signal(s->pidfd, SIGKILL);
                        } else {
                                nsl_pidfd_send_signal(s->pidfd, SIGKILL);
                        }
                }
                if (fds[4].revents & POLLIN)
                        nsl_notify_handle(s->notify);
                else if (fds[4].revents & (POLLHUP | POLLERR))
                        nsl_notify_close(s->notify);    /* no task uses the filter any more */
                if (fds[0].revents & POLLIN)
                        break;
        }
        drain(s);

        siginfo_t info = { 0 };
        while (waitid((idtype_t)P_PIDFD, (id_t)s->pidfd, &info, WEXITED) < 0)
                if (errno != EINTR)
                        return nsl_fail(error, errno, "supervise", "waitid", NULL);
        *init_status = info.si_code == CLD_EXITED ? W_EXITCODE(info.si_status, 0) : info.si_status;
        return 0;
}

/* The host's side of a running sandbox: one poll loop over init's pidfd, the
 * sync socket, the timeout timer, the forwarded signals and the seccomp
 * listener. It can be entered many times (nsl_sandbox_wait with a bound). */
#ifndef NSL_SUPERVISE_H
#define NSL_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "nslaunch.h"
#include "seccomp/notify.h"

struct nsl_supervision {
        int pidfd;
        int sync_fd;
        uint64_t timeout_ms;
        uint64_t kill_after_ms;
        struct nsl_notify *notify;      /* --seccomp-report or learning; NULL when off */
        int egress_log;                 /* --allow-egress: the refusals' log socket; -1 when off */
        nsl_result *egress_result;      /* where its refusals are counted */
        int timer_fd;                   /* -1 without a timeout */
        int sig_fd;                     /* -1 unless the caller forwards signals */
        const struct nsl_cgroup *cgroup; /* the sandbox's, its CPU quota lifted as the whole sandbox is
                                         * SIGKILLed; NULL without one */
        bool sync_open, term_sent;
        bool init_is_command;           /* init executes the command: it sends no outcome, takes signals itself */
        /* filled in */
        bool ended;                     /* init is reaped */
        int init_status;                /* its wait status */
        struct rusage usage;            /* init's and every process it reaped: from the EXIT message, or
                                         * from init's reaping when it ended without one */
        bool timed_out;
        bool killed;                    /* the caller ended the whole sandbox with SIGKILL */
        bool have_status;
        int payload_status;     /* wait status reported by init */
        bool have_error;
        nsl_error child_error;
        bool execed;
        struct timespec execed_at;      /* CLOCK_MONOTONIC, as init read it when the execve was done */
};

/* Arms the timeout and, when forward is not NULL, takes those signals (the
 * caller has blocked them) through a signalfd. */
int nsl_supervision_start(struct nsl_supervision *s, const sigset_t *forward, nsl_error *error);
/* Runs the loop until the outcome is known (1): init has reported the
 * command's end (have_status; init is then ending on its own, not yet
 * reaped) or has ended and is reaped (ended). Or for at most wait_ms (0 when
 * neither; wait_ms < 0: no bound). */
int nsl_supervise(struct nsl_supervision *s, int wait_ms, nsl_error *error);
/* The same, returning 2 as soon as the command has exec'd when execed is set. */
int nsl_supervise_until(struct nsl_supervision *s, int wait_ms, bool execed, nsl_error *error);
/* Asks init to send sig to the command, or to every process of the sandbox;
 * SIGKILL for every process is sent to init itself, which ends them all. A
 * command that is init gets every signal itself. */
int nsl_supervision_signal(struct nsl_supervision *s, int sig, bool all);
void nsl_supervision_close(struct nsl_supervision *s);

#endif

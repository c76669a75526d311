#ifndef NSL_SUPERVISE_H
#define NSL_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "nslaunch.h"
#include "seccomp/notify.h"

struct nsl_supervision {
        int pidfd;
        int sync_fd;
        uint64_t timeout_ms;
        uint64_t kill_after_ms;
        struct nsl_notify *notify;      /* --seccomp-report or learning; NULL when off */
        /* filled in */
        bool timed_out;
        bool have_status;
        int payload_status;     /* wait status reported by init */
        bool have_error;
        nsl_error child_error;
        bool execed;
        struct timespec execed_at;
};

/* Waits for the sandbox's init to end: forwards signals, enforces the
 * timeout, collects its messages, and reaps it. init_status is its wait
 * status. */
int nsl_supervise(struct nsl_supervision *s, int *init_status, nsl_error *error);

#endif

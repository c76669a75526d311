/* nslaunch's side of seccomp user notification: it takes the sandbox's
 * listener, then answers every notified call exactly as the profile would,
 * recording refusals (and, when learning, every call made) in the result. */
#ifndef NSL_SECCOMP_NOTIFY_H
#define NSL_SECCOMP_NOTIFY_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include "nslaunch.h"

struct nsl_notify {
        int listener;                           /* -1 until handed over */
        const struct sock_filter *filter;       /* the profile's own program */
        unsigned short filter_len;
        uint32_t native_arch;
        bool learn;
        bool marker_answered;
        nsl_result *result;
};

/* Copies the listener the payload will hold at fd number `number` once its
 * filter is loaded, waiting (bounded) for the load, and checks it is one. */
int nsl_notify_take_listener(struct nsl_notify *n, int payload_pidfd, int number, nsl_error *error);
/* Receives and answers one notification. */
void nsl_notify_handle(struct nsl_notify *n);
void nsl_notify_close(struct nsl_notify *n);

#endif

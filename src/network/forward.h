/* nslaunch's TCP forwarder for the allowed destinations of a private
 * network (forward.c says why and how). */
#ifndef NSL_NETWORK_FORWARD_H
#define NSL_NETWORK_FORWARD_H

#include "nslaunch.h"
#include "plan.h"

/* Starts it on the sandbox's listening sockets (listen4, listen6: -1 for
 * none); it ends when exit_fd, a pipe's read end, hangs up. *pidfd is its
 * pidfd. The fds stay the caller's. */
int nsl_net_forward_start(const struct nsl_net_plan *net, int listen4, int listen6, int exit_fd, int *pidfd,
                          nsl_error *error);

#endif

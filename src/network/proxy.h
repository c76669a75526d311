/* The proxy that connects a private network to the host's: slirp4netns,
 * started by nslaunch outside the sandbox, ended with it. */
#ifndef NSL_NETWORK_PROXY_H
#define NSL_NETWORK_PROXY_H

#include <sys/types.h>

#include "nslaunch.h"
#include "plan.h"

struct nsl_net_proxy {
        int pidfd;
        int exit_fd;    /* the proxy runs while this is open: it ends when nslaunch closes it or dies */
};
#define NSL_NET_PROXY_INIT { .pidfd = -1, .exit_fd = -1 }

/* Starts the proxy on the sandbox's network namespace (netns, owned by
 * userns) and returns once the sandbox's interface is configured. */
int nsl_net_proxy_start(const struct nsl_net_plan *net, int netns, int userns, struct nsl_net_proxy *proxy,
                        nsl_error *error);
/* Ends it and reaps it; nothing when none runs. */
void nsl_net_proxy_stop(struct nsl_net_proxy *proxy);
/* Ends it for a caller that exits right after, without waiting for the
 * kernel to finish: its orphan is reaped by whoever reaps the caller's. */
void nsl_net_proxy_end_before_exit(struct nsl_net_proxy *proxy);
/* Lets it go without ending it: it runs on while another copy of its exit
 * fd is open (a detached sandbox's init holds one) and ends with the last. */
void nsl_net_proxy_release(struct nsl_net_proxy *proxy);

#endif

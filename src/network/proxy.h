/* The proxy that connects a private network to the host's: slirp4netns,
 * started by nslaunch outside the sandbox, ended with it. */
#ifndef NSL_NETWORK_PROXY_H
#define NSL_NETWORK_PROXY_H

#include <sys/types.h>

#include "nslaunch.h"
#include "plan.h"

struct nsl_net_proxy {
        int pidfd;
        int forward_pidfd;      /* nslaunch's forwarder (forward.h), when it runs */
        int exit_fd;    /* both run while this is open: they end when nslaunch closes it or dies */
};
#define NSL_NET_PROXY_INIT { .pidfd = -1, .forward_pidfd = -1, .exit_fd = -1 }

/* Starts the proxy on the sandbox's network namespace (netns, owned by
 * userns), and the forwarder on listen4 and listen6 when either is not -1,
 * and returns once the sandbox's interface is configured. */
int nsl_net_proxy_start(const struct nsl_net_plan *net, int netns, int userns, int listen4, int listen6,
                        struct nsl_net_proxy *proxy, nsl_error *error);
/* Ends them and reaps them; nothing when none runs. */
void nsl_net_proxy_stop(struct nsl_net_proxy *proxy);
/* Ends them for a caller that exits right after, without waiting for the
 * kernel to finish: the orphans are reaped by whoever reaps the caller's. */
void nsl_net_proxy_end_before_exit(struct nsl_net_proxy *proxy);
/* Lets them go without ending them: they run on while another copy of the
 * exit fd is open (a detached sandbox's init holds one) and end with the
 * last. */
void nsl_net_proxy_release(struct nsl_net_proxy *proxy);

#endif

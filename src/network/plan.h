/* What a private network (--network private, --allow-egress) needs,
 * decided before clone: the proxy to start, the resolved destinations and
 * the rules as the bytes the network helper sends. */
#ifndef NSL_NETWORK_PLAN_H
#define NSL_NETWORK_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egress.h"
#include "nlbuf.h"

struct nsl_spec;

struct nsl_net_plan {
        bool private;                   /* the sandbox's own namespace, connected by a proxy */
        const char *proxy;              /* slirp4netns's path (static storage) */
        bool rootless;                  /* the proxy runs as the caller, not as root */
        bool host_loopback;             /* the proxy lets the gateway reach the host's loopback */
        struct nsl_egress *allowed;     /* resolved, addresses only: what the forwarder may connect to,
                                         * and with an allow-list (limited) all that is reachable */
        size_t n_allowed;
        bool limited;                   /* --allow-egress was given: everything else is refused */
        struct nsl_nl_msgs rules;       /* the nf_tables batch, when limited */
        struct nsl_nl_msgs forward_rules;       /* the tproxy chain to the forwarder, when a destination
                                                 * is forwarded (network/forward.c) */
        struct nsl_nl_msgs forward_routes[2];   /* the routing there: IPv4's, IPv6's (len 0: none) */
        uint8_t *log_config;            /* binds the helper's socket to the refusals' log group */
        size_t log_config_len;
};

int nsl_net_plan_build(const struct nsl_spec *spec, bool rootless, struct nsl_net_plan *net, nsl_error *error);
void nsl_net_plan_free(struct nsl_net_plan *net);

#endif

/* The routing half of the forwarder (forward.c): rules that send the
 * sandbox's TCP connections to forwarded destinations to a table whose one
 * route makes every address local, so those connections come in on lo,
 * where the tproxy chain (nft.c) gives them to the forwarder's socket. */
#ifndef NSL_NETWORK_ROUTE_H
#define NSL_NETWORK_ROUTE_H

#include <stddef.h>

#include "egress.h"
#include "nlbuf.h"

/* The routing table of the local route; the rules' priorities start at
 * NSL_FORWARD_RULE_PRIORITY, after the local table's (0), before main's
 * (32766). */
#define NSL_FORWARD_TABLE 1000
#define NSL_FORWARD_RULE_PRIORITY 1000

/* The rtnetlink messages for family's (AF_INET or AF_INET6) forwarded
 * destinations: the table's route, then the rules; out->len is 0 when
 * family has none. 0 or -ENOMEM. */
int nsl_forward_routing(const struct nsl_egress *allowed, size_t n, int family, struct nsl_nl_msgs *out);

#endif

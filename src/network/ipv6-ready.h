/* Whether the sandbox's network namespace has a usable global IPv6 address
 * yet (the one slirp4netns's router advertisement gives it), and waiting for
 * it: run by the network helper, in the namespace, before init may go on. */
#ifndef NSL_NETWORK_IPV6_READY_H
#define NSL_NETWORK_IPV6_READY_H

#include <stdbool.h>
#include <stddef.h>

/* Whether buf (len bytes of netlink messages: a dump's part, or
 * notifications) holds a new IPv6 address of global scope that is not
 * tentative. Pure; allocates nothing. */
bool nsl_ipv6_ready_in(const void *buf, size_t len);

/* Waits until the current network namespace has such an address, at most
 * timeout_ms. 0 once it has; -ETIMEDOUT, or -errno where the namespace
 * cannot be asked (no IPv6). Allocates nothing. */
int nsl_ipv6_wait_ready(int timeout_ms);

#endif

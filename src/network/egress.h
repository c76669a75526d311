/* --allow-egress: the destinations a sandbox with a private network may
 * reach, and the nf_tables rules that hold it to them. */
#ifndef NSL_NETWORK_EGRESS_H
#define NSL_NETWORK_EGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nlbuf.h"
#include "nslaunch.h"

#define NSL_MAX_EGRESS 64       /* destinations per sandbox, after names are resolved */

/* One allowed destination. A host name is resolved by the plan into one
 * destination per address. */
struct nsl_egress {
        int family;             /* AF_INET or AF_INET6; 0 while only a name is known */
        uint8_t addr[16];       /* network byte order; the first 4 bytes for IPv4 */
        uint8_t prefix;         /* 32 or 128 for one address */
        uint16_t port;          /* 0: every port */
        uint8_t protocol;       /* IPPROTO_TCP or IPPROTO_UDP */
        bool host_loopback;     /* the host's own loopback, which the sandbox sees at the gateway */
        char name[254];         /* a host name to resolve, or "" */
};

/* HOST[:PORT], IP[:PORT], CIDR[:PORT], [IPv6][:PORT], [IPv6/LEN][:PORT] or
 * host-loopback:PORT, each with an optional /tcp or /udp (tcp when none). */
int nsl_egress_parse(const char *value, struct nsl_egress *out, nsl_error *error);

/* "10.0.0.0/8:443/tcp", "[fd00::1]:53/udp", "host-loopback:5432/tcp": what
 * reports and errors name. */
void nsl_egress_format(const struct nsl_egress *e, char *buf, size_t size);

/* The sandbox's own address and the gateway slirp4netns gives it. */
#define NSL_NET_GATEWAY4 "10.0.2.2"
#define NSL_NET_GATEWAY6 "fd00::2"

/* The sandbox's loopback port the forwarder listens on (network/forward.c):
 * below 1024, so a command without CAP_NET_BIND_SERVICE could not have
 * taken it, and taken before the command exists. */
#define NSL_FORWARD_PORT 1

/* Whether connections to e go through nslaunch's forwarder rather than
 * slirp4netns: TCP. */
bool nsl_egress_forwarded(const struct nsl_egress *e);

/* Never forwarded: slirp4netns's own networks (its gateway and resolver
 * live there, and a connection forwarded to one of those addresses would
 * reach the host network's instead; they go on through slirp4netns, but for
 * host-loopback's gateway, forwarded to the host's loopback), and the
 * sandbox's own loopback, "this host", link-local and IPv4-mapped
 * addresses, which would be the host's if the forwarder connected there. */
#define NSL_N_UNFORWARDED 7
extern const struct nsl_egress nsl_egress_unforwarded[NSL_N_UNFORWARDED];

/* The order the forwarder's rules take, the tproxy chain's and the
 * routing's alike: host-loopback's gateway first (it lies inside
 * slirp4netns's network), then the never-forwarded networks, then the other
 * forwarded destinations. visit(ctx, e, forwarded) for each. */
void nsl_egress_forward_order(const struct nsl_egress *allowed, size_t n,
                              void (*visit)(void *ctx, const struct nsl_egress *e, bool forwarded), void *ctx);

/* Whether a TCP connection to addr (family's length, network order) and
 * port is one the forwarder may make: to a forwarded destination and not
 * into slirp4netns's networks, but for host-loopback's gateway, which
 * *host_loopback then tells. */
bool nsl_egress_forward_allows(const struct nsl_egress *allowed, size_t n, int family, const uint8_t *addr,
                               uint16_t port, bool *host_loopback);

/* The nf_tables batch that refuses every packet leaving the sandbox's
 * network namespace except to lo and to the allowed destinations: a TCP
 * connection with a reset, anything else with port-unreachable, so a refused
 * destination fails at once. Built before clone, sent by the network helper
 * (which must not allocate). out->bytes is malloc'd; out->acks is how many
 * acks the kernel sends when it takes the whole batch. 0 or -errno. */
int nsl_nft_egress_batch(const struct nsl_egress *allowed, size_t n, struct nsl_nl_msgs *out);

/* The batch that hands the connections to the forwarded destinations
 * (nsl_egress_forwarded), which the routing rules (route.h) bring in on lo,
 * to the transparent socket at port on the sandbox's loopback: one chain
 * of the prerouting hook with tproxy rules, in the same table. */
int nsl_nft_forward_batch(const struct nsl_egress *allowed, size_t n, uint16_t port, struct nsl_nl_msgs *out);

/* The nflog group that refused packets are copied to, and how much of each:
 * the IP header and the ports. */
#define NSL_EGRESS_LOG_GROUP 1
#define NSL_EGRESS_LOG_SNAPLEN 64

/* The message that binds a netfilter netlink socket to that group, copying
 * packets: built before clone like the batch; one ack. */
int nsl_nflog_config(uint8_t **out, size_t *len);

/* Sends netlink messages on fd and waits for acks acks. Allocates nothing.
 * 0 or -errno (the kernel's, for a message it refused). */
int nsl_nl_transact(int fd, const uint8_t *msgs, size_t len, unsigned acks);

/* The network helper's part: sends the messages on a new netlink socket of
 * protocol (NETLINK_NETFILTER, NETLINK_ROUTE) in the current network
 * namespace and waits for every ack; nothing when there are none.
 * Allocates nothing. 0 or -errno (the kernel's, for a message it refused). */
int nsl_nl_send(int protocol, const uint8_t *msgs, size_t len, unsigned acks);

#endif

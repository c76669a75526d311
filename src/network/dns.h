/* --dns: the resolvers of a sandbox with a private network, written as its
 * /etc/resolv.conf and, where an allow-list holds the sandbox, allowed. */
#ifndef NSL_NETWORK_DNS_H
#define NSL_NETWORK_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "egress.h"
#include "nslaunch.h"

#define NSL_MAX_DNS 3           /* resolv.conf's MAXNS: the C library reads no more */
#define NSL_RESOLV_CONF "/etc/resolv.conf"

struct nsl_dns {
        int family;             /* AF_INET or AF_INET6 */
        uint8_t addr[16];       /* network byte order */
};

/* An IPv4 or IPv6 address, bracketed or not; never a name (a resolver's
 * name would need a resolver). */
int nsl_dns_parse(const char *value, struct nsl_dns *out, nsl_error *error);

/* "nameserver ADDR\n" per resolver, in order: malloc'd, NULL without memory. */
char *nsl_dns_resolv_conf(const struct nsl_dns *dns, size_t n);

/* What a resolver takes in an allow-list: its port 53, UDP and TCP (the
 * fallback for a long answer). */
void nsl_dns_destinations(const struct nsl_dns *dns, struct nsl_egress out[2]);

#endif

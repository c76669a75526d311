/* Routing rules and the local route for the forwarder, built by hand as
 * nft.c builds the egress rules, and sent by the network helper.
 *
 * Why routing rather than NAT: a NAT chain redirecting the same connections
 * to the forwarder halved their throughput here (386-575 MB/s against
 * 916-1017 for the same forwarder without NAT), every packet translated.
 * A rule matches a connection once, when its route is looked up; the
 * socket keeps the route. The route's source is the loopback address: the
 * kernel would otherwise take the destination itself, which is no address
 * of the sandbox's, and refuse the connection (ENETUNREACH). */
#include "route.h"

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

static size_t address_length(int family)
{
        return family == AF_INET6 ? 16 : 4;
}

static void local_route(struct nsl_nl_buf *b, int family)
{
        static const uint8_t loopback4[4] = { 127, 0, 0, 1 }, loopback6[16] = { [15] = 1 };
        struct rtmsg r = { .rtm_family = (uint8_t)family, .rtm_table = RT_TABLE_UNSPEC,
                           .rtm_protocol = RTPROT_STATIC, .rtm_scope = RT_SCOPE_HOST, .rtm_type = RTN_LOCAL };
        size_t m = nsl_nl_msg_start(b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, &r, sizeof r);

        nsl_nl_put_u32(b, RTA_TABLE, NSL_FORWARD_TABLE);
        nsl_nl_put_u32(b, RTA_OIF, 1);  /* lo is interface 1 in every network namespace */
        nsl_nl_put_attr(b, RTA_PREFSRC, family == AF_INET6 ? loopback6 : loopback4, address_length(family));
        nsl_nl_msg_end(b, m);
}

/* Connections to e (TCP, its port if it has one) look up table; an entry
 * that is a whole network (the never-forwarded ones) matches every
 * protocol. */
static void rule(struct nsl_nl_buf *b, const struct nsl_egress *e, uint32_t table, uint32_t priority)
{
        struct fib_rule_hdr h = { .family = (uint8_t)e->family, .dst_len = e->prefix, .action = FR_ACT_TO_TBL };
        size_t m = nsl_nl_msg_start(b, RTM_NEWRULE, NLM_F_CREATE | NLM_F_ACK, &h, sizeof h);

        if (e->prefix)
                nsl_nl_put_attr(b, FRA_DST, e->addr, address_length(e->family));
        nsl_nl_put_u32(b, FRA_PRIORITY, priority);
        nsl_nl_put_u32(b, FRA_TABLE, table);
        if (e->protocol) {
                uint8_t protocol = e->protocol;
                nsl_nl_put_attr(b, FRA_IP_PROTO, &protocol, 1);
        }
        if (e->port) {
                struct fib_rule_port_range port = { .start = e->port, .end = e->port };
                nsl_nl_put_attr(b, FRA_DPORT_RANGE, &port, sizeof port);
        }
        nsl_nl_msg_end(b, m);
}

struct routing {
        struct nsl_nl_buf *b;
        int family;
};

/* Forwarded destinations to the forwarder's table; the never-forwarded
 * networks, every protocol, on to the main table. */
static void add_rule(void *ctx, const struct nsl_egress *e, bool forwarded)
{
        struct routing *r = ctx;
        struct nsl_egress any_protocol = *e;

        if (e->family != r->family)
                return;
        if (forwarded)
                rule(r->b, e, NSL_FORWARD_TABLE, NSL_FORWARD_RULE_PRIORITY + (e->host_loopback ? 0 : 2));
        else {
                any_protocol.protocol = 0;
                rule(r->b, &any_protocol, RT_TABLE_MAIN, NSL_FORWARD_RULE_PRIORITY + 1);
        }
}

int nsl_forward_routing(const struct nsl_egress *allowed, size_t n, int family, struct nsl_nl_msgs *out)
{
        struct nsl_nl_buf b = { 0 };
        bool any = false;

        *out = (struct nsl_nl_msgs){ 0 };
        for (size_t i = 0; i < n; i++)
                any |= allowed[i].family == family && nsl_egress_forwarded(&allowed[i]);
        if (!any)
                return 0;
        local_route(&b, family);
        nsl_egress_forward_order(allowed, n, add_rule, &(struct routing){ .b = &b, .family = family });
        out->acks = b.seq;
        return nsl_nl_take(&b, &out->bytes, &out->len);
}

#include "denials.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../result.h"

static void protocol_name(uint8_t protocol, char *out, size_t size)
{
        switch (protocol) {
        case IPPROTO_TCP: snprintf(out, size, "tcp"); break;
        case IPPROTO_UDP: snprintf(out, size, "udp"); break;
        case IPPROTO_ICMP: snprintf(out, size, "icmp"); break;
        case IPPROTO_ICMPV6: snprintf(out, size, "icmpv6"); break;
        default: snprintf(out, size, "#%u", protocol);
        }
}

/* The destination of an IPv4 or IPv6 packet; false for anything shorter
 * than its header. */
static bool destination_of(const uint8_t *p, size_t len, nsl_egress_denial *d)
{
        size_t l4;
        uint8_t protocol;

        if (len >= 20 && p[0] >> 4 == 4) {
                l4 = (size_t)(p[0] & 0xf) * 4;
                protocol = p[9];
                inet_ntop(AF_INET, p + 16, d->destination, sizeof d->destination);
        } else if (len >= 40 && p[0] >> 4 == 6) {
                l4 = 40;        /* extension headers: the port is left out */
                protocol = p[6];
                inet_ntop(AF_INET6, p + 24, d->destination, sizeof d->destination);
        } else
                return false;
        protocol_name(protocol, d->protocol, sizeof d->protocol);
        if ((protocol == IPPROTO_TCP || protocol == IPPROTO_UDP) && len >= l4 + 4)
                d->port = p[l4 + 2] << 8 | p[l4 + 3];
        return true;
}

static bool same(const nsl_egress_denial *a, const nsl_egress_denial *b)
{
        return a->port == b->port && !strcmp(a->destination, b->destination) && !strcmp(a->protocol, b->protocol);
}

void nsl_egress_count_packet(const uint8_t *packet, size_t len, nsl_result *r)
{
        nsl_egress_denial d = { .count = 1 };

        if (!destination_of(packet, len, &d))
                return;
        for (size_t i = 0; i < r->n_egress_denials; i++)
                if (same(&r->egress_denials[i], &d)) {
                        r->egress_denials[i].count++;
                        return;
                }
        if (r->n_egress_denials == NSL_MAX_EGRESS_DENIALS) {
                r->egress_denials_dropped++;
                return;
        }
        if (nsl_result_table_room((void **)&r->egress_denials, r->n_egress_denials, sizeof *r->egress_denials) < 0) {
                r->egress_denials_dropped++;
                return;
        }
        r->egress_denials[r->n_egress_denials++] = d;
}

static void count_message(const struct nlmsghdr *h, nsl_result *r)
{
        size_t len;
        const struct nlattr *a;

        if (h->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET) ||
            h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg)))
                return;
        len = h->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg));
        a = (const void *)((const uint8_t *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
        while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
                if ((a->nla_type & NLA_TYPE_MASK) == NFULA_PAYLOAD) {
                        nsl_egress_count_packet((const uint8_t *)a + NLA_HDRLEN, a->nla_len - NLA_HDRLEN, r);
                        return;
                }
                if ((size_t)NLA_ALIGN(a->nla_len) >= len)
                        return;
                len -= NLA_ALIGN(a->nla_len);
                a = (const void *)((const uint8_t *)a + NLA_ALIGN(a->nla_len));
        }
}

void nsl_egress_log_read(int fd, nsl_result *r)
{
        uint8_t buf[65536] __attribute__((aligned(4)));

        if (fd < 0)
                return;
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                size_t len = n > 0 ? (size_t)n : 0;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == ENOBUFS) {
                        r->egress_denials_dropped++;    /* the kernel's queue ran over: at least one */
                        continue;
                }
                if (n <= 0)
                        return;
                for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
                        count_message(h, r);
        }
}

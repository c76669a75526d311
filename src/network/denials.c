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
#include <unistd.h>

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

static nsl_egress_denial *find(nsl_egress_denial *table, size_t n, const nsl_egress_denial *d)
{
        for (size_t i = 0; i < n; i++)
                if (same(&table[i], d))
                        return &table[i];
        return NULL;
}

static void count_into_result(const nsl_egress_denial *d, void *data)
{
        nsl_result *r = data;
        nsl_egress_denial *known = d ? find(r->egress_denials, r->n_egress_denials, d) : NULL;

        if (known)
                known->count++;
        else if (!d || r->n_egress_denials == NSL_MAX_EGRESS_DENIALS ||
                 nsl_result_table_room((void **)&r->egress_denials, r->n_egress_denials, sizeof *r->egress_denials) < 0)
                r->egress_denials_dropped++;
        else
                r->egress_denials[r->n_egress_denials++] = *d;
}

void nsl_egress_count_packet(const uint8_t *packet, size_t len, nsl_result *r)
{
        nsl_egress_denial d = { .count = 1 };

        if (destination_of(packet, len, &d))
                count_into_result(&d, r);
}

bool nsl_egress_tally_add(struct nsl_egress_tally *t, const nsl_egress_denial *d)
{
        nsl_egress_denial *known = d ? find(t->seen, t->n, d) : NULL;

        if (known)
                known->count++;
        else if (!d || t->n == NSL_EGRESS_TALLY_SIZE)
                t->dropped++;
        else {
                t->seen[t->n++] = *d;
                return true;
        }
        return false;
}

static void refused_in_message(const struct nlmsghdr *h, nsl_egress_refused_fn *on_refused, void *data)
{
        size_t len;
        const struct nlattr *a;
        nsl_egress_denial d = { .count = 1 };

        if (h->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET) ||
            h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg)))
                return;
        len = h->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg));
        a = (const void *)((const uint8_t *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
        while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
                if ((a->nla_type & NLA_TYPE_MASK) == NFULA_PAYLOAD) {
                        if (destination_of((const uint8_t *)a + NLA_HDRLEN, a->nla_len - NLA_HDRLEN, &d))
                                on_refused(&d, data);
                        return;
                }
                if ((size_t)NLA_ALIGN(a->nla_len) >= len)
                        return;
                len -= NLA_ALIGN(a->nla_len);
                a = (const void *)((const uint8_t *)a + NLA_ALIGN(a->nla_len));
        }
}

/* Each message holds one packet's first 64 bytes (the rules' copy range)
 * and the kernel sends each at once (queue threshold 1): a small buffer,
 * since a detached sandbox's init reads on whatever stack it has. */
void nsl_egress_log_drain(int fd, nsl_egress_refused_fn *on_refused, void *data)
{
        uint8_t buf[8192] __attribute__((aligned(4)));

        if (fd < 0)
                return;
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                size_t len = n > 0 ? (size_t)n : 0;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == ENOBUFS) {
                        on_refused(NULL, data);         /* the kernel's queue ran over: at least one */
                        continue;
                }
                if (n <= 0)
                        return;
                for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
                        refused_in_message(h, on_refused, data);
        }
}

void nsl_egress_log_read(int fd, nsl_result *r)
{
        nsl_egress_log_drain(fd, count_into_result, r);
}

void nsl_egress_denial_line(const nsl_egress_denial *d, bool with_count, char *buf, size_t size)
{
        bool bracket = d->port && strchr(d->destination, ':');
        char port[8] = "", count[32] = "";

        if (d->port)
                snprintf(port, sizeof port, ":%d", d->port);
        if (with_count)
                snprintf(count, sizeof count, " x%lu", d->count);
        snprintf(buf, size, "nslaunch: egress: refused %s%s%s%s/%s%s\n", bracket ? "[" : "", d->destination,
                 bracket ? "]" : "", port, d->protocol, count);
}

void nsl_egress_denial_write(int fd, const nsl_egress_denial *d, bool with_count)
{
        char line[160];

        nsl_egress_denial_line(d, with_count, line, sizeof line);
        (void)!write(fd, line, strlen(line));
}

void nsl_egress_denials_write(int fd, const nsl_egress_denial *denials, size_t n, unsigned long dropped)
{
        char line[160];

        for (size_t i = 0; i < n; i++)
                nsl_egress_denial_write(fd, &denials[i], true);
        if (dropped) {
                snprintf(line, sizeof line, "nslaunch: egress: %lu more refusals are not listed\n", dropped);
                (void)!write(fd, line, strlen(line));
        }
}

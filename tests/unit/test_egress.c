/* network/egress.c, dns.c, ipv6-ready.c and nft.c: --allow-egress and --dns
 * values, the address messages that tell IPv6 is usable, and the nf_tables
 * batch as a well-formed sequence of netlink messages (the kernel's verdict on
 * it is tests/integration/test_network_private.py's). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "network/denials.h"
#include "network/dns.h"
#include "network/egress.h"
#include "network/ipv6-ready.h"
#include "network/route.h"

static struct nsl_egress parse_ok(const char *value)
{
        struct nsl_egress e;
        nsl_error err = { 0 };
        int r = nsl_egress_parse(value, &e, &err);
        if (r < 0)
                fail_msg("%s: %s", value, err.cause);
        return e;
}

static void assert_formats_as(const char *value, const char *expected)
{
        char buf[300];
        struct nsl_egress e = parse_ok(value);
        nsl_egress_format(&e, buf, sizeof buf);
        assert_string_equal(buf, expected);
}

static void destinations_parse_and_format(void **state)
{
        (void)state;
        assert_formats_as("10.1.2.3:5432", "10.1.2.3:5432/tcp");
        assert_formats_as("10.1.2.3", "10.1.2.3/tcp");
        assert_formats_as("10.0.0.0/8:443/tcp", "10.0.0.0/8:443/tcp");
        assert_formats_as("10.0.0.0/8/udp", "10.0.0.0/8/udp");
        assert_formats_as("[fd00::1]:53/udp", "[fd00::1]:53/udp");
        assert_formats_as("fd00::1", "fd00::1/tcp");
        assert_formats_as("[2001:db8::/32]:80", "[2001:db8::/32]:80/tcp");
        assert_formats_as("db.internal:5432", "db.internal:5432/tcp");
        assert_formats_as("host-loopback:8080", "host-loopback:8080/tcp");
}

static void fields_are_what_was_asked(void **state)
{
        struct nsl_egress e = parse_ok("192.0.2.0/24:53/udp");
        uint8_t net[4] = { 192, 0, 2, 0 };
        (void)state;

        assert_int_equal(e.family, AF_INET);
        assert_memory_equal(e.addr, net, 4);
        assert_int_equal(e.prefix, 24);
        assert_int_equal(e.port, 53);
        assert_int_equal(e.protocol, IPPROTO_UDP);
        assert_string_equal(e.name, "");

        e = parse_ok("db.internal");
        assert_int_equal(e.family, 0);
        assert_string_equal(e.name, "db.internal");
        assert_int_equal(e.port, 0);

        e = parse_ok("host-loopback:1");
        assert_true(e.host_loopback);
        assert_int_equal(e.prefix, 32);
}

static void bad_destinations_are_refused(void **state)
{
        static const char *const bad[] = {
                "", ":80", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:x", "10.0.0.1/33",
                "10.0.0.1/8", "10.0.0.0/x", "[fd00::1", "[fd00::1]x", "fd00::/129", "-bad.example",
                "bad_name", "name with space", "db.internal/24", "10.0.0.1:80/sctp",
        };
        (void)state;

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                struct nsl_egress e;
                nsl_error err = { 0 };
                if (nsl_egress_parse(bad[i], &e, &err) != -EINVAL)
                        fail_msg("accepted: \"%s\"", bad[i]);
                assert_string_equal(err.what, "--allow-egress");
        }
}

/* Walks the attributes of [a, end) and each nest in them: every length
 * inside its parent. */
static void assert_attrs_nest(const uint8_t *a, const uint8_t *end, int depth)
{
        assert_true(depth < 10);
        while (a < end) {
                const struct nlattr *attr = (const void *)a;
                assert_true((size_t)(end - a) >= NLA_HDRLEN);
                assert_true(attr->nla_len >= NLA_HDRLEN && attr->nla_len <= end - a);
                if (attr->nla_type & NLA_F_NESTED)
                        assert_attrs_nest(a + NLA_HDRLEN, a + attr->nla_len, depth + 1);
                a += NLA_ALIGN(attr->nla_len);
        }
}

static bool contains(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
        for (size_t i = 0; i + m <= n; i++)
                if (!memcmp(hay + i, needle, m))
                        return true;
        return false;
}

/* Checks a batch's framing: begin, messages that each want an ack, end,
 * filling it exactly. Its number of messages. */
static size_t assert_batch_well_formed(const uint8_t *batch, size_t len, unsigned acks)
{
        size_t n_msgs = 0;
        unsigned acked = 0;
        uint16_t first = 0, last = 0;

        for (const struct nlmsghdr *h = (const void *)batch; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len), n_msgs++) {
                const uint8_t *body = (const uint8_t *)NLMSG_DATA(h) + sizeof(struct nfgenmsg);
                if (n_msgs == 0)
                        first = h->nlmsg_type;
                last = h->nlmsg_type;
                acked += !!(h->nlmsg_flags & NLM_F_ACK);
                assert_true(h->nlmsg_flags & NLM_F_REQUEST);
                assert_attrs_nest(body, (const uint8_t *)h + h->nlmsg_len, 0);
        }
        assert_int_equal(len, 0);       /* the messages fill the batch exactly */
        assert_int_equal(first, NFNL_MSG_BATCH_BEGIN);
        assert_int_equal(last, NFNL_MSG_BATCH_END);
        assert_int_equal(acked, acks);
        assert_int_equal(acks, n_msgs - 2);
        return n_msgs;
}

static void the_batch_is_well_formed(void **state)
{
        struct nsl_egress allowed[2] = { parse_ok("198.51.100.0/24:8443"), parse_ok("[2001:db8::7]:53/udp") };
        struct nsl_nl_msgs batch;
        uint8_t v6[16];
        uint16_t port = htons(8443);
        (void)state;

        assert_int_equal(nsl_nft_egress_batch(allowed, 2, &batch), 0);
        /* table, chain; lo, ICMPv6's link-local types (two ranges), two
         * allowed; the log; two refusals; the batch's begin and end */
        assert_int_equal(assert_batch_well_formed(batch.bytes, batch.len, batch.acks), 2 + 1 + 2 + 2 + 1 + 2 + 2);
        inet_pton(AF_INET6, "2001:db8::7", v6);
        assert_true(contains(batch.bytes, batch.len, v6, 16));
        assert_true(contains(batch.bytes, batch.len, (uint8_t[]){ 198, 51, 100, 0 }, 4));
        assert_true(contains(batch.bytes, batch.len, &port, 2));
        free(batch.bytes);
}

static void the_forward_batch_hands_tcp_destinations_to_the_forwarder(void **state)
{
        struct nsl_egress allowed[4] = { parse_ok("host-loopback:5432"), parse_ok("198.51.100.0/24:8443"),
                                         parse_ok("[2001:db8::7]:53/udp"), parse_ok("10.0.0.0/8") };
        struct nsl_nl_msgs msgs;
        uint16_t port = htons(NSL_FORWARD_PORT);
        (void)state;

        assert_false(nsl_egress_forwarded(&allowed[2]));
        assert_int_equal(nsl_nft_forward_batch(allowed, 4, NSL_FORWARD_PORT, &msgs), 0);
        /* the table (made if there is none), the chain; other interfaces
         * left alone; host-loopback's tproxy; the never-forwarded networks
         * left alone; two tproxy rules (UDP has none); the batch's begin
         * and end */
        assert_int_equal(assert_batch_well_formed(msgs.bytes, msgs.len, msgs.acks),
                         1 + 1 + 1 + 1 + NSL_N_UNFORWARDED + 2 + 2);
        assert_true(contains(msgs.bytes, msgs.len, (const uint8_t *)"tproxy", 7));
        assert_true(contains(msgs.bytes, msgs.len, &port, 2));
        free(msgs.bytes);
}

/* The rtnetlink messages' types in order, each asking for an ack. */
static size_t routing_messages(const struct nsl_nl_msgs *msgs, uint16_t *types, size_t max)
{
        size_t n = 0, len = msgs->len;

        for (const struct nlmsghdr *h = (const void *)msgs->bytes; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                assert_true(h->nlmsg_flags & NLM_F_REQUEST);
                assert_true(h->nlmsg_flags & NLM_F_ACK);
                assert_true(n < max);
                types[n++] = h->nlmsg_type;
        }
        assert_int_equal(len, 0);
        assert_int_equal(n, msgs->acks);
        return n;
}

static void the_routing_sends_forwarded_destinations_to_lo(void **state)
{
        struct nsl_egress allowed[4] = { parse_ok("host-loopback:5432"), parse_ok("198.51.100.0/24:8443"),
                                         parse_ok("[2001:db8::7]:53/udp"), parse_ok("10.0.0.0/8") };
        struct nsl_nl_msgs v4, v6;
        uint16_t types[32] = { 0 };
        size_t n;
        (void)state;

        assert_int_equal(nsl_forward_routing(allowed, 4, AF_INET, &v4), 0);
        assert_int_equal(nsl_forward_routing(allowed, 4, AF_INET6, &v6), 0);
        assert_int_equal(v6.len, 0);            /* its one IPv6 destination is UDP's */
        n = routing_messages(&v4, types, 32);
        /* the local route, host-loopback's rule, the three IPv4 networks
         * never forwarded, the two others */
        assert_int_equal(n, 1 + 1 + 3 + 2);
        assert_int_equal(types[0], RTM_NEWROUTE);
        for (size_t i = 1; i < n; i++)
                assert_int_equal(types[i], RTM_NEWRULE);
        assert_true(contains(v4.bytes, v4.len, (uint8_t[]){ 198, 51, 100, 0 }, 4));
        free(v4.bytes);
}

static bool forward_allows(const struct nsl_egress *allowed, size_t n, const char *addr, uint16_t port,
                           bool *host_loopback)
{
        uint8_t bytes[16];
        int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

        assert_int_equal(inet_pton(family, addr, bytes), 1);
        *host_loopback = false;
        return nsl_egress_forward_allows(allowed, n, family, bytes, port, host_loopback);
}

static void the_forwarder_connects_only_to_forwarded_destinations(void **state)
{
        struct nsl_egress allowed[5] = { parse_ok("host-loopback:5432"), parse_ok("198.51.100.0/24:8443"),
                                         parse_ok("[2001:db8::7]:53/udp"), parse_ok("10.0.0.0/8"),
                                         parse_ok("[fd00::/8]:443") };
        bool host_loopback;
        (void)state;

        assert_true(forward_allows(allowed, 5, "10.0.2.2", 5432, &host_loopback));
        assert_true(host_loopback);
        assert_false(forward_allows(allowed, 5, "10.0.2.2", 5433, &host_loopback));
        assert_true(forward_allows(allowed, 5, "198.51.100.9", 8443, &host_loopback));
        assert_false(host_loopback);
        assert_false(forward_allows(allowed, 5, "198.51.100.9", 80, &host_loopback));
        assert_false(forward_allows(allowed, 5, "198.51.101.9", 8443, &host_loopback));
        assert_false(forward_allows(allowed, 5, "2001:db8::7", 53, &host_loopback));   /* UDP's */
        assert_true(forward_allows(allowed, 5, "10.1.2.3", 22, &host_loopback));
        /* slirp4netns's networks, inside an allowed range: its resolver,
         * its gateway on another port, its IPv6 gateway */
        assert_false(forward_allows(allowed, 5, "10.0.2.3", 53, &host_loopback));
        assert_false(forward_allows(allowed, 5, "10.0.2.2", 22, &host_loopback));
        assert_false(forward_allows(allowed, 5, "fd00::2", 443, &host_loopback));
        assert_true(forward_allows(allowed, 5, "fd01::2", 443, &host_loopback));
        /* the sandbox's own loopback: a connection straight to the
         * forwarder's port must not become one to the host's */
        struct nsl_egress everything[2] = { parse_ok("0.0.0.0/0"), parse_ok("[::/0]") };
        assert_false(forward_allows(everything, 2, "127.0.0.1", 1, &host_loopback));
        assert_false(forward_allows(everything, 2, "0.0.0.0", 80, &host_loopback));
        assert_false(forward_allows(everything, 2, "::1", 1, &host_loopback));
        assert_false(forward_allows(everything, 2, "fe80::1", 22, &host_loopback));
        assert_false(forward_allows(everything, 2, "::ffff:127.0.0.1", 22, &host_loopback));
        assert_true(forward_allows(everything, 2, "192.0.2.1", 22, &host_loopback));
}

/* An IPv4 TCP SYN's first bytes, to dst:port. */
static size_t ipv4_tcp(uint8_t *p, const char *dst, uint16_t port)
{
        memset(p, 0, 24);
        p[0] = 0x45;
        p[9] = IPPROTO_TCP;
        inet_pton(AF_INET, dst, p + 16);
        p[22] = (uint8_t)(port >> 8);
        p[23] = (uint8_t)port;
        return 24;
}

static void refused_packets_are_counted_per_destination(void **state)
{
        nsl_result r = { 0 };
        uint8_t p[64] = { 0 };
        (void)state;

        nsl_egress_count_packet(p, ipv4_tcp(p, "198.51.100.1", 443), &r);
        nsl_egress_count_packet(p, ipv4_tcp(p, "198.51.100.1", 443), &r);
        nsl_egress_count_packet(p, ipv4_tcp(p, "198.51.100.1", 80), &r);
        /* an IPv6 UDP datagram, ports right after the fixed header */
        memset(p, 0, sizeof p);
        p[0] = 0x60;
        p[6] = IPPROTO_UDP;
        inet_pton(AF_INET6, "2001:db8::5", p + 24);
        p[42] = 0;
        p[43] = 53;
        nsl_egress_count_packet(p, 48, &r);
        /* ICMP: no port; a truncated header and a non-IP packet: nothing */
        ipv4_tcp(p, "198.51.100.9", 0);
        p[9] = IPPROTO_ICMP;
        nsl_egress_count_packet(p, 24, &r);
        nsl_egress_count_packet(p, 12, &r);
        p[0] = 0x15;
        nsl_egress_count_packet(p, 24, &r);

        assert_int_equal(r.n_egress_denials, 4);
        assert_string_equal(r.egress_denials[0].destination, "198.51.100.1");
        assert_int_equal(r.egress_denials[0].port, 443);
        assert_string_equal(r.egress_denials[0].protocol, "tcp");
        assert_int_equal(r.egress_denials[0].count, 2);
        assert_int_equal(r.egress_denials[1].port, 80);
        assert_string_equal(r.egress_denials[2].destination, "2001:db8::5");
        assert_string_equal(r.egress_denials[2].protocol, "udp");
        assert_int_equal(r.egress_denials[2].port, 53);
        assert_string_equal(r.egress_denials[3].protocol, "icmp");
        assert_int_equal(r.egress_denials[3].port, 0);
        nsl_result_release(&r);
}

static void the_table_of_destinations_is_bounded(void **state)
{
        nsl_result r = { 0 };
        uint8_t p[64];
        (void)state;

        for (unsigned i = 0; i < NSL_MAX_EGRESS_DENIALS + 5; i++)
                nsl_egress_count_packet(p, ipv4_tcp(p, "198.51.100.1", (uint16_t)(i + 1)), &r);
        assert_int_equal(r.n_egress_denials, NSL_MAX_EGRESS_DENIALS);
        assert_int_equal(r.egress_denials_dropped, 5);
        nsl_result_release(&r);
}

static nsl_egress_denial refusal(const char *destination, int port, const char *protocol)
{
        nsl_egress_denial d = { .port = port, .count = 1 };

        snprintf(d.destination, sizeof d.destination, "%s", destination);
        snprintf(d.protocol, sizeof d.protocol, "%s", protocol);
        return d;
}

static void a_tally_says_which_destinations_are_new_and_stays_bounded(void **state)
{
        struct nsl_egress_tally t = { 0 };
        nsl_egress_denial d = refusal("198.51.100.1", 443, "tcp");
        (void)state;

        assert_true(nsl_egress_tally_add(&t, &d));
        assert_false(nsl_egress_tally_add(&t, &d));
        assert_false(nsl_egress_tally_add(&t, NULL));           /* the kernel's queue ran over */
        assert_int_equal(t.n, 1);
        assert_int_equal(t.seen[0].count, 2);
        assert_int_equal(t.dropped, 1);
        for (int port = 1; port <= NSL_EGRESS_TALLY_SIZE + 2; port++) {
                d.port = port;
                nsl_egress_tally_add(&t, &d);
        }
        assert_int_equal(t.n, NSL_EGRESS_TALLY_SIZE);
        assert_int_equal(t.dropped, 1 + 3);     /* 443 was in already: 66 ports, 63 found room */
}

static void refusals_are_written_one_line_each(void **state)
{
        const nsl_egress_denial d[] = { refusal("198.51.100.1", 443, "tcp"), refusal("2001:db8::5", 53, "udp"),
                                        refusal("2001:db8::9", 0, "icmpv6") };
        char line[160], out[512] = "";
        int pipe_fds[2];
        (void)state;

        nsl_egress_denial_line(&d[1], false, line, sizeof line);
        assert_string_equal(line, "nslaunch: egress: refused [2001:db8::5]:53/udp\n");
        assert_int_equal(pipe(pipe_fds), 0);
        nsl_egress_denials_write(pipe_fds[1], d, 3, 2);
        close(pipe_fds[1]);
        assert_true(read(pipe_fds[0], out, sizeof out - 1) > 0);
        close(pipe_fds[0]);
        assert_string_equal(out, "nslaunch: egress: refused 198.51.100.1:443/tcp x1\n"
                                 "nslaunch: egress: refused [2001:db8::5]:53/udp x1\n"
                                 "nslaunch: egress: refused 2001:db8::9/icmpv6 x1\n"
                                 "nslaunch: egress: 2 more refusals are not listed\n");
}

static void resolvers_parse_and_become_resolv_conf(void **state)
{
        static const char *const given[] = { "10.0.2.3", "[fd00::3]", "2001:db8::53" };
        struct nsl_dns dns[3];
        nsl_error err = { 0 };

        (void)state;
        for (int i = 0; i < 3; i++)
                assert_int_equal(nsl_dns_parse(given[i], &dns[i], &err), 0);
        assert_int_equal(dns[0].family, AF_INET);
        assert_int_equal(dns[1].family, AF_INET6);
        char *text = nsl_dns_resolv_conf(dns, 3);
        assert_non_null(text);
        assert_string_equal(text, "nameserver 10.0.2.3\nnameserver fd00::3\nnameserver 2001:db8::53\n");
        free(text);
}

static void a_resolver_takes_port_53_udp_and_tcp(void **state)
{
        struct nsl_egress pair[2];
        struct nsl_dns dns;
        nsl_error err = { 0 };
        char buf[100];

        (void)state;
        assert_int_equal(nsl_dns_parse("fd00::3", &dns, &err), 0);
        nsl_dns_destinations(&dns, pair);
        nsl_egress_format(&pair[0], buf, sizeof buf);
        assert_string_equal(buf, "[fd00::3]:53/udp");
        nsl_egress_format(&pair[1], buf, sizeof buf);
        assert_string_equal(buf, "[fd00::3]:53/tcp");
}

static void bad_resolvers_are_refused(void **state)
{
        static const char *const bad[] = { "", "resolver.example", "10.0.0.1:53", "[10.0.0.1]", "[fd00::3",
                                           "fd00::3]", "10.0.0.256", "[]" };
        struct nsl_dns dns;

        (void)state;
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                nsl_error err = { 0 };
                assert_int_equal(nsl_dns_parse(bad[i], &dns, &err), -EINVAL);
                assert_string_equal(err.what, "--dns");
        }
}

/* One RTM_NEWADDR message (as the kernel sends it: an IFA_FLAGS attribute
 * with all 32 bits, ifa_flags holding the low 8) after a message of another
 * type. */
static size_t address_messages(uint8_t *buf, int family, unsigned char scope, uint32_t flags)
{
        struct nlmsghdr *first = (struct nlmsghdr *)buf;
        *first = (struct nlmsghdr){ .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg)), .nlmsg_type = RTM_NEWLINK };
        struct nlmsghdr *h = (struct nlmsghdr *)(buf + NLMSG_ALIGN(first->nlmsg_len));
        struct ifaddrmsg *ifa = NLMSG_DATA(h);
        struct rtattr *a = (struct rtattr *)((uint8_t *)ifa + NLMSG_ALIGN(sizeof *ifa));

        *ifa = (struct ifaddrmsg){ .ifa_family = (unsigned char)family, .ifa_prefixlen = 64,
                                   .ifa_flags = (unsigned char)flags, .ifa_scope = scope, .ifa_index = 2 };
        a->rta_type = IFA_FLAGS;
        a->rta_len = RTA_LENGTH(sizeof(uint32_t));
        memcpy(RTA_DATA(a), &flags, sizeof flags);
        *h = (struct nlmsghdr){ .nlmsg_len = NLMSG_LENGTH(NLMSG_ALIGN(sizeof *ifa) + RTA_ALIGN(a->rta_len)),
                                .nlmsg_type = RTM_NEWADDR };
        return NLMSG_ALIGN(first->nlmsg_len) + h->nlmsg_len;
}

static void ipv6_is_ready_with_a_global_address_no_longer_tentative(void **state)
{
        uint8_t buf[256] __attribute__((aligned(4))) = { 0 };

        (void)state;
        assert_true(nsl_ipv6_ready_in(buf, address_messages(buf, AF_INET6, RT_SCOPE_UNIVERSE, IFA_F_PERMANENT)));
        assert_true(nsl_ipv6_ready_in(buf, address_messages(buf, AF_INET6, RT_SCOPE_UNIVERSE, IFA_F_MANAGETEMPADDR)));
        assert_false(nsl_ipv6_ready_in(buf, address_messages(buf, AF_INET6, RT_SCOPE_UNIVERSE, IFA_F_TENTATIVE)));
        assert_false(nsl_ipv6_ready_in(buf, address_messages(buf, AF_INET6, RT_SCOPE_UNIVERSE, IFA_F_DADFAILED)));
        assert_false(nsl_ipv6_ready_in(buf, address_messages(buf, AF_INET6, RT_SCOPE_LINK, 0)));
        assert_false(nsl_ipv6_ready_in(buf, address_messages(buf, AF_INET, RT_SCOPE_UNIVERSE, 0)));
        /* cut short: the address message is not read past the buffer */
        size_t len = address_messages(buf, AF_INET6, RT_SCOPE_UNIVERSE, 0);
        assert_false(nsl_ipv6_ready_in(buf, len - 4));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(destinations_parse_and_format),
                cmocka_unit_test(fields_are_what_was_asked),
                cmocka_unit_test(bad_destinations_are_refused),
                cmocka_unit_test(the_batch_is_well_formed),
                cmocka_unit_test(the_forward_batch_hands_tcp_destinations_to_the_forwarder),
                cmocka_unit_test(the_routing_sends_forwarded_destinations_to_lo),
                cmocka_unit_test(the_forwarder_connects_only_to_forwarded_destinations),
                cmocka_unit_test(refused_packets_are_counted_per_destination),
                cmocka_unit_test(the_table_of_destinations_is_bounded),
                cmocka_unit_test(a_tally_says_which_destinations_are_new_and_stays_bounded),
                cmocka_unit_test(refusals_are_written_one_line_each),
                cmocka_unit_test(resolvers_parse_and_become_resolv_conf),
                cmocka_unit_test(a_resolver_takes_port_53_udp_and_tcp),
                cmocka_unit_test(bad_resolvers_are_refused),
                cmocka_unit_test(ipv6_is_ready_with_a_global_address_no_longer_tentative),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

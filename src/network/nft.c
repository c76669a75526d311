/* The egress rules, and the forwarder's tproxy chain, as nf_tables netlink
 * batches written by hand (nlbuf.h).
 *
 * libnftnl would write the same messages, but it needs libmnl, and Debian
 * ships no static libmnl for the statically linked launcher; the rules are a
 * handful of fixed expressions, so the messages are built here from the
 * kernel's own headers. The batch is bytes in the plan: the network helper
 * only sends it and reads the acks. */
#include "egress.h"
#include "nlbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TABLE "nslaunch"
#define CHAIN "egress"
#define FORWARD_CHAIN "forward"

/* A message of the nfnetlink family: its header is nfgenmsg. */
static size_t msg_start(struct nsl_nl_buf *b, uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id)
{
        struct nfgenmsg g = { .nfgen_family = family, .version = NFNETLINK_V0, .res_id = htons(res_id) };
        return nsl_nl_msg_start(b, type, flags, &g, sizeof g);
}

static size_t nft_msg_start(struct nsl_nl_buf *b, int type, uint16_t flags)
{
        return msg_start(b, (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | type), flags | NLM_F_ACK, NFPROTO_INET, 0);
}

/* Expressions: each one list element holding its name and its data. */
struct expr {
        size_t elem, data;
};

static struct expr expr_start(struct nsl_nl_buf *b, const char *name)
{
        struct expr e = { .elem = nsl_nl_nest_start(b, NFTA_LIST_ELEM) };
        nsl_nl_put_str(b, NFTA_EXPR_NAME, name);
        e.data = nsl_nl_nest_start(b, NFTA_EXPR_DATA);
        return e;
}

static void expr_end(struct nsl_nl_buf *b, struct expr e)
{
        nsl_nl_nest_end(b, e.data);
        nsl_nl_nest_end(b, e.elem);
}

static void put_data(struct nsl_nl_buf *b, uint16_t type, const void *value, size_t len)
{
        size_t n = nsl_nl_nest_start(b, type);
        nsl_nl_put_attr(b, NFTA_DATA_VALUE, value, len);
        nsl_nl_nest_end(b, n);
}

static void expr_meta(struct nsl_nl_buf *b, uint32_t key)
{
        struct expr e = expr_start(b, "meta");
        nsl_nl_put_be32(b, NFTA_META_DREG, NFT_REG_1);
        nsl_nl_put_be32(b, NFTA_META_KEY, key);
        expr_end(b, e);
}

static void expr_payload(struct nsl_nl_buf *b, uint32_t base, uint32_t offset, uint32_t len)
{
        struct expr e = expr_start(b, "payload");
        nsl_nl_put_be32(b, NFTA_PAYLOAD_DREG, NFT_REG_1);
        nsl_nl_put_be32(b, NFTA_PAYLOAD_BASE, base);
        nsl_nl_put_be32(b, NFTA_PAYLOAD_OFFSET, offset);
        nsl_nl_put_be32(b, NFTA_PAYLOAD_LEN, len);
        expr_end(b, e);
}

static void expr_cmp(struct nsl_nl_buf *b, uint32_t op, const void *value, size_t len)
{
        struct expr e = expr_start(b, "cmp");
        nsl_nl_put_be32(b, NFTA_CMP_SREG, NFT_REG_1);
        nsl_nl_put_be32(b, NFTA_CMP_OP, op);
        put_data(b, NFTA_CMP_DATA, value, len);
        expr_end(b, e);
}

static void expr_mask(struct nsl_nl_buf *b, const uint8_t *mask, size_t len)
{
        static const uint8_t zero[16];
        struct expr e = expr_start(b, "bitwise");
        nsl_nl_put_be32(b, NFTA_BITWISE_SREG, NFT_REG_1);
        nsl_nl_put_be32(b, NFTA_BITWISE_DREG, NFT_REG_1);
        nsl_nl_put_be32(b, NFTA_BITWISE_LEN, (uint32_t)len);
        put_data(b, NFTA_BITWISE_MASK, mask, len);
        put_data(b, NFTA_BITWISE_XOR, zero, len);
        expr_end(b, e);
}

static void expr_accept(struct nsl_nl_buf *b)
{
        struct expr e = expr_start(b, "immediate");
        size_t d, v;
        nsl_nl_put_be32(b, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
        d = nsl_nl_nest_start(b, NFTA_IMMEDIATE_DATA);
        v = nsl_nl_nest_start(b, NFTA_DATA_VERDICT);
        nsl_nl_put_be32(b, NFTA_VERDICT_CODE, NF_ACCEPT);
        nsl_nl_nest_end(b, v);
        nsl_nl_nest_end(b, d);
        expr_end(b, e);
}

static void expr_reject(struct nsl_nl_buf *b, uint32_t type, uint8_t code)
{
        struct expr e = expr_start(b, "reject");
        nsl_nl_put_be32(b, NFTA_REJECT_TYPE, type);
        nsl_nl_put_attr(b, NFTA_REJECT_ICMP_CODE, &code, 1);
        expr_end(b, e);
}

static void expr_log(struct nsl_nl_buf *b)
{
        struct expr e = expr_start(b, "log");
        uint16_t group = htons(NSL_EGRESS_LOG_GROUP);
        nsl_nl_put_attr(b, NFTA_LOG_GROUP, &group, sizeof group);
        nsl_nl_put_be32(b, NFTA_LOG_SNAPLEN, NSL_EGRESS_LOG_SNAPLEN);
        expr_end(b, e);
}

static void match_u8(struct nsl_nl_buf *b, uint32_t meta_key, uint8_t value)
{
        expr_meta(b, meta_key);
        expr_cmp(b, NFT_CMP_EQ, &value, 1);
}

/* A rule of the egress chain; its expressions are written between
 * rule_start and rule_end. */
static size_t chain_rule_start(struct nsl_nl_buf *b, const char *chain, size_t *exprs)
{
        size_t m = nft_msg_start(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
        nsl_nl_put_str(b, NFTA_RULE_TABLE, TABLE);
        nsl_nl_put_str(b, NFTA_RULE_CHAIN, chain);
        *exprs = nsl_nl_nest_start(b, NFTA_RULE_EXPRESSIONS);
        return m;
}

static size_t rule_start(struct nsl_nl_buf *b, size_t *exprs)
{
        return chain_rule_start(b, CHAIN, exprs);
}

static void rule_end(struct nsl_nl_buf *b, size_t m, size_t exprs)
{
        nsl_nl_nest_end(b, exprs);
        nsl_nl_msg_end(b, m);
}

/* The expressions that match packets to e. */
static void match_destination(struct nsl_nl_buf *b, const struct nsl_egress *e)
{
        bool v6 = e->family == AF_INET6;
        size_t len = v6 ? 16 : 4;
        uint8_t mask[16] = { 0 };
        uint16_t port = htons(e->port);

        match_u8(b, NFT_META_NFPROTO, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
        match_u8(b, NFT_META_L4PROTO, e->protocol);
        /* the destination address: IPv4's at 16, IPv6's at 24 */
        expr_payload(b, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, (uint32_t)len);
        if (e->prefix < len * 8) {
                for (unsigned i = 0; i < e->prefix; i++)
                        mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
                expr_mask(b, mask, len);
        }
        expr_cmp(b, NFT_CMP_EQ, e->addr, len);
        if (e->port) {
                expr_payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);    /* TCP's and UDP's destination port */
                expr_cmp(b, NFT_CMP_EQ, &port, 2);
        }
}

static void rule_allow(struct nsl_nl_buf *b, const struct nsl_egress *e)
{
        size_t exprs, m = rule_start(b, &exprs);
        match_destination(b, e);
        expr_accept(b);
        rule_end(b, m, exprs);
}

/* A rule of chain that accepts packets whose interface (meta_key: in or
 * out) compares to lo by op. */
static void rule_accept_by_lo(struct nsl_nl_buf *b, const char *chain, uint32_t meta_key, uint32_t op)
{
        uint32_t lo = 1;        /* lo is interface 1 in every network namespace */
        size_t exprs, m = chain_rule_start(b, chain, &exprs);
        expr_meta(b, meta_key);
        expr_cmp(b, op, &lo, sizeof lo);
        expr_accept(b);
        rule_end(b, m, exprs);
}

static void rule_allow_loopback(struct nsl_nl_buf *b)
{
        rule_accept_by_lo(b, CHAIN, NFT_META_OIF, NFT_CMP_EQ);
}

/* IPv6 needs its neighbour discovery (router solicitation to redirect,
 * types 133-137) to reach the gateway at all, and the kernel sends its
 * multicast listener reports (130-132, 143) on every interface it brings
 * up: passed, not reported as refusals. */
static void rule_allow_icmpv6_types(struct nsl_nl_buf *b, uint8_t first, uint8_t last)
{
        size_t exprs, m = rule_start(b, &exprs);
        match_u8(b, NFT_META_L4PROTO, IPPROTO_ICMPV6);
        expr_payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
        expr_cmp(b, NFT_CMP_GTE, &first, 1);
        expr_cmp(b, NFT_CMP_LTE, &last, 1);
        expr_accept(b);
        rule_end(b, m, exprs);
}

/* Every packet about to be refused goes to the log group first, where
 * nslaunch reads and counts it (network/denials.c). */
static void rule_log(struct nsl_nl_buf *b)
{
        size_t exprs, m = rule_start(b, &exprs);
        expr_log(b);
        rule_end(b, m, exprs);
}

static void rule_refuse_tcp(struct nsl_nl_buf *b)
{
        size_t exprs, m = rule_start(b, &exprs);
        match_u8(b, NFT_META_L4PROTO, IPPROTO_TCP);
        expr_reject(b, NFT_REJECT_TCP_RST, 0);
        rule_end(b, m, exprs);
}

static void rule_refuse_rest(struct nsl_nl_buf *b)
{
        size_t exprs, m = rule_start(b, &exprs);
        expr_reject(b, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_PORT_UNREACH);
        rule_end(b, m, exprs);
}

/* A filter chain on hook. */
static void base_chain(struct nsl_nl_buf *b, const char *name, uint32_t hook_number, int32_t priority)
{
        size_t m = nft_msg_start(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL), hook;

        nsl_nl_put_str(b, NFTA_CHAIN_TABLE, TABLE);
        nsl_nl_put_str(b, NFTA_CHAIN_NAME, name);
        hook = nsl_nl_nest_start(b, NFTA_CHAIN_HOOK);
        nsl_nl_put_be32(b, NFTA_HOOK_HOOKNUM, hook_number);
        nsl_nl_put_be32(b, NFTA_HOOK_PRIORITY, (uint32_t)priority);
        nsl_nl_nest_end(b, hook);
        nsl_nl_put_be32(b, NFTA_CHAIN_POLICY, NF_ACCEPT);
        nsl_nl_put_str(b, NFTA_CHAIN_TYPE, "filter");
        nsl_nl_msg_end(b, m);
}

static void table_and_chain(struct nsl_nl_buf *b)
{
        size_t m = nft_msg_start(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL);

        nsl_nl_put_str(b, NFTA_TABLE_NAME, TABLE);
        nsl_nl_msg_end(b, m);
        base_chain(b, CHAIN, NF_INET_LOCAL_OUT, 0);
}

/* Loads port into register 1 and hands the packet to the transparent
 * socket listening there on the sandbox's loopback (or, for a connection it
 * accepted already, to that connection's socket). */
static void expr_tproxy(struct nsl_nl_buf *b, uint8_t nfproto, uint16_t port)
{
        struct expr e = expr_start(b, "immediate");
        uint16_t be = htons(port);
        nsl_nl_put_be32(b, NFTA_IMMEDIATE_DREG, NFT_REG_1);
        put_data(b, NFTA_IMMEDIATE_DATA, &be, sizeof be);
        expr_end(b, e);
        e = expr_start(b, "tproxy");
        nsl_nl_put_be32(b, NFTA_TPROXY_FAMILY, nfproto);
        nsl_nl_put_be32(b, NFTA_TPROXY_REG_PORT, NFT_REG_1);
        expr_end(b, e);
}

/* Ends a batch into out, or -ENOMEM. */
static int batch_end(struct nsl_nl_buf *b, struct nsl_nl_msgs *out)
{
        size_t m = msg_start(b, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);

        nsl_nl_msg_end(b, m);
        out->acks = b->seq - 2;         /* every message but the batch's begin and end */
        return nsl_nl_take(b, &out->bytes, &out->len);
}

int nsl_nft_egress_batch(const struct nsl_egress *allowed, size_t n, struct nsl_nl_msgs *out)
{
        struct nsl_nl_buf b = { 0 };
        size_t m;

        m = msg_start(&b, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
        nsl_nl_msg_end(&b, m);
        table_and_chain(&b);
        rule_allow_loopback(&b);
        rule_allow_icmpv6_types(&b, 130, 137);
        rule_allow_icmpv6_types(&b, 143, 143);
        for (size_t i = 0; i < n; i++)
                rule_allow(&b, &allowed[i]);
        rule_log(&b);
        rule_refuse_tcp(&b);
        rule_refuse_rest(&b);
        return batch_end(&b, out);
}

static void rule_to_forwarder(struct nsl_nl_buf *b, const struct nsl_egress *e, uint16_t port)
{
        size_t exprs, m = chain_rule_start(b, FORWARD_CHAIN, &exprs);
        match_destination(b, e);
        expr_tproxy(b, e->family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4, port);
        rule_end(b, m, exprs);
}

/* Packets to net (every protocol, every port) are left to local delivery. */
static void rule_leave(struct nsl_nl_buf *b, const struct nsl_egress *net)
{
        struct nsl_egress any = *net;
        size_t exprs, m = chain_rule_start(b, FORWARD_CHAIN, &exprs);

        any.port = 0;
        any.protocol = IPPROTO_TCP;     /* only TCP reaches the chain's other rules */
        match_destination(b, &any);
        expr_accept(b);
        rule_end(b, m, exprs);
}

/* Only what comes in on lo: the routing rules (route.c) send the
 * forwarded destinations there. */
static void rule_leave_other_interfaces(struct nsl_nl_buf *b)
{
        rule_accept_by_lo(b, FORWARD_CHAIN, NFT_META_IIF, NFT_CMP_NEQ);
}

struct forward_rules {
        struct nsl_nl_buf *b;
        uint16_t port;
};

static void add_forward_rule(void *ctx, const struct nsl_egress *e, bool forwarded)
{
        struct forward_rules *f = ctx;

        if (forwarded)
                rule_to_forwarder(f->b, e, f->port);
        else
                rule_leave(f->b, e);
}

int nsl_nft_forward_batch(const struct nsl_egress *allowed, size_t n, uint16_t port, struct nsl_nl_msgs *out)
{
        struct nsl_nl_buf b = { 0 };
        size_t m = msg_start(&b, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);

        nsl_nl_msg_end(&b, m);
        /* the egress rules' table, or a new one without an allow-list */
        m = nft_msg_start(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
        nsl_nl_put_str(&b, NFTA_TABLE_NAME, TABLE);
        nsl_nl_msg_end(&b, m);
        base_chain(&b, FORWARD_CHAIN, NF_INET_PRE_ROUTING, NF_IP_PRI_MANGLE);
        rule_leave_other_interfaces(&b);
        nsl_egress_forward_order(allowed, n, add_forward_rule, &(struct forward_rules){ .b = &b, .port = port });
        return batch_end(&b, out);
}

int nsl_nflog_config(uint8_t **out, size_t *len)
{
        struct nsl_nl_buf b = { 0 };
        struct nfulnl_msg_config_cmd bind = { .command = NFULNL_CFG_CMD_BIND };
        struct nfulnl_msg_config_mode mode = { .copy_range = htonl(NSL_EGRESS_LOG_SNAPLEN),
                                               .copy_mode = NFULNL_COPY_PACKET };
        size_t m = msg_start(&b, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG, NLM_F_ACK, AF_UNSPEC,
                             NSL_EGRESS_LOG_GROUP);

        nsl_nl_put_attr(&b, NFULA_CFG_CMD, &bind, sizeof bind);
        nsl_nl_put_attr(&b, NFULA_CFG_MODE, &mode, sizeof mode);
        /* each packet at once, not queued up to 100 or for 1 s: the last
         * ones are read when the sandbox has ended */
        nsl_nl_put_be32(&b, NFULA_CFG_QTHRESH, 1);
        nsl_nl_msg_end(&b, m);
        return nsl_nl_take(&b, out, len);
}

/* Counts the acks in one read; -errno for a refusal. */
static int count_acks(const uint8_t *buf, size_t len, unsigned *acks)
{
        for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                if (h->nlmsg_type != NLMSG_ERROR)
                        continue;
                if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e))
                        return -EBADMSG;
                if (e->error)
                        return e->error;
                (*acks)++;
        }
        return 0;
}

int nsl_nl_transact(int fd, const uint8_t *msgs, size_t len, unsigned acks)
{
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        uint8_t buf[8192] __attribute__((aligned(4)));
        int one = 1, r = 0;
        unsigned got = 0;

        /* an ack then holds only the header it answers, not the whole rule */
        setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
        if (sendto(fd, msgs, len, 0, (struct sockaddr *)&kernel, sizeof kernel) != (ssize_t)len)
                r = -errno;
        while (r == 0 && got < acks) {
                ssize_t n = recv(fd, buf, sizeof buf, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                r = n < 0 ? -errno : n == 0 ? -EPIPE : count_acks(buf, (size_t)n, &got);
        }
        return r;
}

int nsl_nl_send(int protocol, const uint8_t *msgs, size_t len, unsigned acks)
{
        int fd, r;

        if (!len)
                return 0;
        if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol)) < 0)
                return -errno;
        r = nsl_nl_transact(fd, msgs, len, acks);
        close(fd);
        return r;
}

/* The egress rules as one nf_tables netlink batch, written by hand.
 *
 * libnftnl would write the same messages, but it needs libmnl, and Debian
 * ships no static libmnl for the statically linked launcher; the rules are a
 * handful of fixed expressions, so the messages are built here from the
 * kernel's own headers. The batch is bytes in the plan: the network helper
 * only sends it and reads the acks. */
#include "egress.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
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
#define ALIGN4(n) (((n) + 3u) & ~3u)

struct nl_buf {
        uint8_t *data;
        size_t len, cap;
        uint32_t seq;
        bool failed;
};

static void *reserve(struct nl_buf *b, size_t n)
{
        size_t need = b->len + ALIGN4(n);
        void *p;

        if (b->failed)
                return NULL;
        if (need > b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 4096;
                uint8_t *data;
                while (cap < need)
                        cap *= 2;
                if (!(data = realloc(b->data, cap))) {
                        b->failed = true;
                        return NULL;
                }
                b->data = data;
                b->cap = cap;
        }
        p = b->data + b->len;
        memset(p, 0, ALIGN4(n));
        b->len = need;
        return p;
}

static void put_attr(struct nl_buf *b, uint16_t type, const void *value, size_t len)
{
        struct nlattr *a = reserve(b, NLA_HDRLEN + len);
        if (!a)
                return;
        a->nla_type = type;
        a->nla_len = (uint16_t)(NLA_HDRLEN + len);
        memcpy((uint8_t *)a + NLA_HDRLEN, value, len);
}

static void put_be32(struct nl_buf *b, uint16_t type, uint32_t value)
{
        uint32_t be = htonl(value);
        put_attr(b, type, &be, sizeof be);
}

static void put_str(struct nl_buf *b, uint16_t type, const char *s)
{
        put_attr(b, type, s, strlen(s) + 1);
}

/* A nest is an offset: the buffer may move while it is filled. */
static size_t nest_start(struct nl_buf *b, uint16_t type)
{
        struct nlattr *a = reserve(b, NLA_HDRLEN);
        if (!a)
                return 0;
        a->nla_type = type | NLA_F_NESTED;
        return b->len - NLA_HDRLEN;
}

static void nest_end(struct nl_buf *b, size_t at)
{
        if (!b->failed)
                ((struct nlattr *)(b->data + at))->nla_len = (uint16_t)(b->len - at);
}

static size_t msg_start(struct nl_buf *b, uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id)
{
        struct nlmsghdr *h = reserve(b, NLMSG_HDRLEN + sizeof(struct nfgenmsg));
        struct nfgenmsg *g;

        if (!h)
                return 0;
        h->nlmsg_type = type;
        h->nlmsg_flags = NLM_F_REQUEST | flags;
        h->nlmsg_seq = ++b->seq;
        g = (struct nfgenmsg *)((uint8_t *)h + NLMSG_HDRLEN);
        g->nfgen_family = family;
        g->version = NFNETLINK_V0;
        g->res_id = htons(res_id);
        return b->len - NLMSG_HDRLEN - sizeof(struct nfgenmsg);
}

static void msg_end(struct nl_buf *b, size_t at)
{
        if (!b->failed)
                ((struct nlmsghdr *)(b->data + at))->nlmsg_len = (uint32_t)(b->len - at);
}

static size_t nft_msg_start(struct nl_buf *b, int type, uint16_t flags)
{
        return msg_start(b, (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | type), flags | NLM_F_ACK, NFPROTO_INET, 0);
}

/* Expressions: each one list element holding its name and its data. */
struct expr {
        size_t elem, data;
};

static struct expr expr_start(struct nl_buf *b, const char *name)
{
        struct expr e = { .elem = nest_start(b, NFTA_LIST_ELEM) };
        put_str(b, NFTA_EXPR_NAME, name);
        e.data = nest_start(b, NFTA_EXPR_DATA);
        return e;
}

static void expr_end(struct nl_buf *b, struct expr e)
{
        nest_end(b, e.data);
        nest_end(b, e.elem);
}

static void put_data(struct nl_buf *b, uint16_t type, const void *value, size_t len)
{
        size_t n = nest_start(b, type);
        put_attr(b, NFTA_DATA_VALUE, value, len);
        nest_end(b, n);
}

static void expr_meta(struct nl_buf *b, uint32_t key)
{
        struct expr e = expr_start(b, "meta");
        put_be32(b, NFTA_META_DREG, NFT_REG_1);
        put_be32(b, NFTA_META_KEY, key);
        expr_end(b, e);
}

static void expr_payload(struct nl_buf *b, uint32_t base, uint32_t offset, uint32_t len)
{
        struct expr e = expr_start(b, "payload");
        put_be32(b, NFTA_PAYLOAD_DREG, NFT_REG_1);
        put_be32(b, NFTA_PAYLOAD_BASE, base);
        put_be32(b, NFTA_PAYLOAD_OFFSET, offset);
        put_be32(b, NFTA_PAYLOAD_LEN, len);
        expr_end(b, e);
}

static void expr_cmp(struct nl_buf *b, uint32_t op, const void *value, size_t len)
{
        struct expr e = expr_start(b, "cmp");
        put_be32(b, NFTA_CMP_SREG, NFT_REG_1);
        put_be32(b, NFTA_CMP_OP, op);
        put_data(b, NFTA_CMP_DATA, value, len);
        expr_end(b, e);
}

static void expr_mask(struct nl_buf *b, const uint8_t *mask, size_t len)
{
        static const uint8_t zero[16];
        struct expr e = expr_start(b, "bitwise");
        put_be32(b, NFTA_BITWISE_SREG, NFT_REG_1);
        put_be32(b, NFTA_BITWISE_DREG, NFT_REG_1);
        put_be32(b, NFTA_BITWISE_LEN, (uint32_t)len);
        put_data(b, NFTA_BITWISE_MASK, mask, len);
        put_data(b, NFTA_BITWISE_XOR, zero, len);
        expr_end(b, e);
}

static void expr_accept(struct nl_buf *b)
{
        struct expr e = expr_start(b, "immediate");
        size_t d, v;
        put_be32(b, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
        d = nest_start(b, NFTA_IMMEDIATE_DATA);
        v = nest_start(b, NFTA_DATA_VERDICT);
        put_be32(b, NFTA_VERDICT_CODE, NF_ACCEPT);
        nest_end(b, v);
        nest_end(b, d);
        expr_end(b, e);
}

static void expr_reject(struct nl_buf *b, uint32_t type, uint8_t code)
{
        struct expr e = expr_start(b, "reject");
        put_be32(b, NFTA_REJECT_TYPE, type);
        put_attr(b, NFTA_REJECT_ICMP_CODE, &code, 1);
        expr_end(b, e);
}

static void expr_log(struct nl_buf *b)
{
        struct expr e = expr_start(b, "log");
        uint16_t group = htons(NSL_EGRESS_LOG_GROUP);
        put_attr(b, NFTA_LOG_GROUP, &group, sizeof group);
        put_be32(b, NFTA_LOG_SNAPLEN, NSL_EGRESS_LOG_SNAPLEN);
        expr_end(b, e);
}

static void match_u8(struct nl_buf *b, uint32_t meta_key, uint8_t value)
{
        expr_meta(b, meta_key);
        expr_cmp(b, NFT_CMP_EQ, &value, 1);
}

/* A rule of the egress chain; its expressions are written between
 * rule_start and rule_end. */
static size_t rule_start(struct nl_buf *b, size_t *exprs)
{
        size_t m = nft_msg_start(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
        put_str(b, NFTA_RULE_TABLE, TABLE);
        put_str(b, NFTA_RULE_CHAIN, CHAIN);
        *exprs = nest_start(b, NFTA_RULE_EXPRESSIONS);
        return m;
}

static void rule_end(struct nl_buf *b, size_t m, size_t exprs)
{
        nest_end(b, exprs);
        msg_end(b, m);
}

static void rule_allow(struct nl_buf *b, const struct nsl_egress *e)
{
        bool v6 = e->family == AF_INET6;
        size_t len = v6 ? 16 : 4, exprs, m = rule_start(b, &exprs);
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
        expr_accept(b);
        rule_end(b, m, exprs);
}

static void rule_allow_loopback(struct nl_buf *b)
{
        uint32_t lo = 1;        /* lo is interface 1 in every network namespace */
        size_t exprs, m = rule_start(b, &exprs);
        expr_meta(b, NFT_META_OIF);
        expr_cmp(b, NFT_CMP_EQ, &lo, sizeof lo);
        expr_accept(b);
        rule_end(b, m, exprs);
}

/* IPv6 needs its neighbour discovery (router solicitation to redirect,
 * types 133-137) to reach the gateway at all, and the kernel sends its
 * multicast listener reports (130-132, 143) on every interface it brings
 * up: passed, not reported as refusals. */
static void rule_allow_icmpv6_types(struct nl_buf *b, uint8_t first, uint8_t last)
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
static void rule_log(struct nl_buf *b)
{
        size_t exprs, m = rule_start(b, &exprs);
        expr_log(b);
        rule_end(b, m, exprs);
}

static void rule_refuse_tcp(struct nl_buf *b)
{
        size_t exprs, m = rule_start(b, &exprs);
        match_u8(b, NFT_META_L4PROTO, IPPROTO_TCP);
        expr_reject(b, NFT_REJECT_TCP_RST, 0);
        rule_end(b, m, exprs);
}

static void rule_refuse_rest(struct nl_buf *b)
{
        size_t exprs, m = rule_start(b, &exprs);
        expr_reject(b, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_PORT_UNREACH);
        rule_end(b, m, exprs);
}

static void table_and_chain(struct nl_buf *b)
{
        size_t m = nft_msg_start(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL), hook;

        put_str(b, NFTA_TABLE_NAME, TABLE);
        msg_end(b, m);
        m = nft_msg_start(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL);
        put_str(b, NFTA_CHAIN_TABLE, TABLE);
        put_str(b, NFTA_CHAIN_NAME, CHAIN);
        hook = nest_start(b, NFTA_CHAIN_HOOK);
        put_be32(b, NFTA_HOOK_HOOKNUM, NF_INET_LOCAL_OUT);
        put_be32(b, NFTA_HOOK_PRIORITY, 0);
        nest_end(b, hook);
        put_be32(b, NFTA_CHAIN_POLICY, NF_ACCEPT);
        put_str(b, NFTA_CHAIN_TYPE, "filter");
        msg_end(b, m);
}

int nsl_nft_egress_batch(const struct nsl_egress *allowed, size_t n, uint8_t **out, size_t *len, unsigned *acks)
{
        struct nl_buf b = { 0 };
        size_t m;

        m = msg_start(&b, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
        msg_end(&b, m);
        table_and_chain(&b);
        rule_allow_loopback(&b);
        rule_allow_icmpv6_types(&b, 130, 137);
        rule_allow_icmpv6_types(&b, 143, 143);
        for (size_t i = 0; i < n; i++)
                rule_allow(&b, &allowed[i]);
        rule_log(&b);
        rule_refuse_tcp(&b);
        rule_refuse_rest(&b);
        m = msg_start(&b, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
        msg_end(&b, m);
        if (b.failed) {
                free(b.data);
                return -ENOMEM;
        }
        *out = b.data;
        *len = b.len;
        *acks = b.seq - 2;      /* every message but the batch's begin and end */
        return 0;
}

int nsl_nflog_config(uint8_t **out, size_t *len)
{
        struct nl_buf b = { 0 };
        struct nfulnl_msg_config_cmd bind = { .command = NFULNL_CFG_CMD_BIND };
        struct nfulnl_msg_config_mode mode = { .copy_range = htonl(NSL_EGRESS_LOG_SNAPLEN),
                                               .copy_mode = NFULNL_COPY_PACKET };
        size_t m = msg_start(&b, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG, NLM_F_ACK, AF_UNSPEC,
                             NSL_EGRESS_LOG_GROUP);

        put_attr(&b, NFULA_CFG_CMD, &bind, sizeof bind);
        put_attr(&b, NFULA_CFG_MODE, &mode, sizeof mode);
        /* each packet at once, not queued up to 100 or for 1 s: the last
         * ones are read when the sandbox has ended */
        put_be32(&b, NFULA_CFG_QTHRESH, 1);
        msg_end(&b, m);
        if (b.failed) {
                free(b.data);
                return -ENOMEM;
        }
        *out = b.data;
        *len = b.len;
        return 0;
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

int nsl_nft_send(const uint8_t *batch, size_t len, unsigned acks)
{
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER), r;

        if (fd < 0)
                return -errno;
        r = nsl_nl_transact(fd, batch, len, acks);
        close(fd);
        return r;
}

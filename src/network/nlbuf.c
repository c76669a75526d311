#include "nlbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN4(n) (((n) + 3u) & ~3u)

static void *reserve(struct nsl_nl_buf *b, size_t n)
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

void nsl_nl_put_attr(struct nsl_nl_buf *b, uint16_t type, const void *value, size_t len)
{
        struct nlattr *a = reserve(b, NLA_HDRLEN + len);
        if (!a)
                return;
        a->nla_type = type;
        a->nla_len = (uint16_t)(NLA_HDRLEN + len);
        memcpy((uint8_t *)a + NLA_HDRLEN, value, len);
}

void nsl_nl_put_u32(struct nsl_nl_buf *b, uint16_t type, uint32_t value)
{
        nsl_nl_put_attr(b, type, &value, sizeof value);
}

void nsl_nl_put_be32(struct nsl_nl_buf *b, uint16_t type, uint32_t value)
{
        nsl_nl_put_u32(b, type, htonl(value));
}

void nsl_nl_put_str(struct nsl_nl_buf *b, uint16_t type, const char *s)
{
        nsl_nl_put_attr(b, type, s, strlen(s) + 1);
}

size_t nsl_nl_nest_start(struct nsl_nl_buf *b, uint16_t type)
{
        struct nlattr *a = reserve(b, NLA_HDRLEN);
        if (!a)
                return 0;
        a->nla_type = type | NLA_F_NESTED;
        return b->len - NLA_HDRLEN;
}

void nsl_nl_nest_end(struct nsl_nl_buf *b, size_t at)
{
        if (!b->failed)
                ((struct nlattr *)(b->data + at))->nla_len = (uint16_t)(b->len - at);
}

size_t nsl_nl_msg_start(struct nsl_nl_buf *b, uint16_t type, uint16_t flags, const void *hdr, size_t hdr_len)
{
        struct nlmsghdr *h = reserve(b, NLMSG_HDRLEN + hdr_len);

        if (!h)
                return 0;
        h->nlmsg_type = type;
        h->nlmsg_flags = NLM_F_REQUEST | flags;
        h->nlmsg_seq = ++b->seq;
        memcpy((uint8_t *)h + NLMSG_HDRLEN, hdr, hdr_len);
        return b->len - NLMSG_HDRLEN - ALIGN4(hdr_len);
}

void nsl_nl_msg_end(struct nsl_nl_buf *b, size_t at)
{
        if (!b->failed)
                ((struct nlmsghdr *)(b->data + at))->nlmsg_len = (uint32_t)(b->len - at);
}

int nsl_nl_take(struct nsl_nl_buf *b, uint8_t **out, size_t *len)
{
        if (b->failed) {
                free(b->data);
                *b = (struct nsl_nl_buf){ 0 };
                return -ENOMEM;
        }
        *out = b->data;
        *len = b->len;
        *b = (struct nsl_nl_buf){ 0 };
        return 0;
}

/* Netlink messages built by hand into one growing buffer: the bytes the
 * network helper sends as they are (nft.c's nf_tables batches, route.c's
 * routing rules). Every function does nothing once an allocation failed;
 * nsl_nl_take says so at the end. */
#ifndef NSL_NETWORK_NLBUF_H
#define NSL_NETWORK_NLBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nsl_nl_buf {
        uint8_t *data;
        size_t len, cap;
        uint32_t seq;           /* the last message's sequence number */
        bool failed;
};

/* Messages ready to send, and how many acks the kernel sends for them. */
struct nsl_nl_msgs {
        uint8_t *bytes;
        size_t len;
        unsigned acks;
};

void nsl_nl_put_attr(struct nsl_nl_buf *b, uint16_t type, const void *value, size_t len);
void nsl_nl_put_u32(struct nsl_nl_buf *b, uint16_t type, uint32_t value);
void nsl_nl_put_be32(struct nsl_nl_buf *b, uint16_t type, uint32_t value);
void nsl_nl_put_str(struct nsl_nl_buf *b, uint16_t type, const char *s);
/* A nest is an offset: the buffer may move while it is filled. */
size_t nsl_nl_nest_start(struct nsl_nl_buf *b, uint16_t type);
void nsl_nl_nest_end(struct nsl_nl_buf *b, size_t at);
/* A message of type with flags (NLM_F_REQUEST added) and its family header
 * of hdr_len bytes, copied; its offset, for nsl_nl_msg_end. */
size_t nsl_nl_msg_start(struct nsl_nl_buf *b, uint16_t type, uint16_t flags, const void *hdr, size_t hdr_len);
void nsl_nl_msg_end(struct nsl_nl_buf *b, size_t at);
/* The messages, *out malloc'd, or -ENOMEM (and the buffer freed). */
int nsl_nl_take(struct nsl_nl_buf *b, uint8_t **out, size_t *len);

#endif

/* --allow-egress values: pure parsing and formatting, no syscalls. */
#include "egress.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../error.h"
#include "../parse/parse.h"

#define OPT "--allow-egress"
#define HOST_LOOPBACK "host-loopback"

static bool strip_suffix(char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        if (n < m || strcmp(s + n - m, suffix))
                return false;
        s[n - m] = '\0';
        return true;
}

static bool name_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.')
                return false;
        for (const char *c = s; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      *c == '-' || *c == '.'))
                        return false;
        return true;
}

/* Splits "ADDR", "ADDR:PORT", "[ADDR]" or "[ADDR]:PORT" in place. */
static int split_port(char *s, char **addr, const char **port)
{
        char *colon;

        *port = NULL;
        if (s[0] == '[') {
                char *close = strchr(s, ']');
                if (!close || (close[1] && close[1] != ':'))
                        return -EINVAL;
                *close = '\0';
                *addr = s + 1;
                if (close[1] == ':')
                        *port = close + 2;
                return 0;
        }
        *addr = s;
        colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':'))
                return 0;       /* a bare IPv6 address: no port without brackets */
        if (colon) {
                *colon = '\0';
                *port = colon + 1;
        }
        return 0;
}

/* Whether the bits after the prefix are all zero. */
static bool host_bits_clear(const uint8_t *addr, unsigned prefix, unsigned bits)
{
        for (unsigned i = prefix; i < bits; i++)
                if (addr[i / 8] & (0x80 >> (i % 8)))
                        return false;
        return true;
}

static int parse_address(char *text, struct nsl_egress *out, const char *value, nsl_error *error)
{
        char *slash = strchr(text, '/');
        uint64_t prefix = 0;
        unsigned bits;

        if (slash) {
                *slash = '\0';
                if (nsl_parse_uint(slash + 1, 128, &prefix) < 0)
                        return nsl_fail(error, EINVAL, OPT, value, "the prefix length is not a number");
        }
        if (inet_pton(AF_INET, text, out->addr) == 1)
                out->family = AF_INET;
        else if (inet_pton(AF_INET6, text, out->addr) == 1)
                out->family = AF_INET6;
        else if (!slash && name_valid(text)) {
                snprintf(out->name, sizeof out->name, "%s", text);
                return 0;
        } else
                return nsl_fail(error, EINVAL, OPT, value, "expected an IP address, a CIDR or a host name");
        bits = out->family == AF_INET ? 32 : 128;
        if (slash && prefix > bits)
                return nsl_fail(error, EINVAL, OPT, value, "the prefix length is longer than the address");
        out->prefix = (uint8_t)(slash ? prefix : bits);
        if (!host_bits_clear(out->addr, out->prefix, bits))
                return nsl_fail(error, EINVAL, OPT, value, "the address has bits set after the prefix length");
        return 0;
}

int nsl_egress_parse(const char *value, struct nsl_egress *out, nsl_error *error)
{
        char buf[300], *addr;
        const char *port;
        uint64_t n;

        *out = (struct nsl_egress){ .protocol = IPPROTO_TCP };
        if (!value || !*value || strlen(value) >= sizeof buf)
                return nsl_fail(error, EINVAL, OPT, value ? value : "", "expected HOST[:PORT][/tcp|/udp]");
        strcpy(buf, value);
        if (strip_suffix(buf, "/udp"))
                out->protocol = IPPROTO_UDP;
        else
                strip_suffix(buf, "/tcp");
        if (split_port(buf, &addr, &port) < 0)
                return nsl_fail(error, EINVAL, OPT, value, "expected [IPv6] or [IPv6]:PORT");
        if (port) {
                if (nsl_parse_uint(port, 65535, &n) < 0 || n == 0)
                        return nsl_fail(error, EINVAL, OPT, value, "the port is not a number from 1 to 65535");
                out->port = (uint16_t)n;
        }
        if (!strcmp(addr, HOST_LOOPBACK)) {
                out->host_loopback = true;
                out->family = AF_INET;
                inet_pton(AF_INET, NSL_NET_GATEWAY4, out->addr);
                out->prefix = 32;
                return 0;
        }
        return parse_address(addr, out, value, error);
}

void nsl_egress_format(const struct nsl_egress *e, char *buf, size_t size)
{
        char addr[INET6_ADDRSTRLEN + 4] = "", port[8] = "";
        bool v6 = e->family == AF_INET6;
        unsigned bits = v6 ? 128 : 32;

        if (e->host_loopback)
                snprintf(addr, sizeof addr, HOST_LOOPBACK);
        else if (e->family)
                inet_ntop(e->family, e->addr, addr, sizeof addr);
        if (e->family && !e->host_loopback && e->prefix != bits)
                snprintf(addr + strlen(addr), sizeof addr - strlen(addr), "/%u", e->prefix);
        if (e->port)
                snprintf(port, sizeof port, ":%u", e->port);
        snprintf(buf, size, "%s%s%s%s%s%s", v6 && e->port ? "[" : "", e->family ? addr : e->name,
                 v6 && e->port ? "]" : "", port, "/", e->protocol == IPPROTO_UDP ? "udp" : "tcp");
}

const struct nsl_egress nsl_egress_unforwarded[NSL_N_UNFORWARDED] = {
        { .family = AF_INET, .addr = { 10, 0, 2 }, .prefix = 24 },
        { .family = AF_INET6, .addr = { 0xfd }, .prefix = 64 },
        { .family = AF_INET, .addr = { 127 }, .prefix = 8 },
        { .family = AF_INET, .addr = { 0 }, .prefix = 8 },
        { .family = AF_INET6, .addr = { [15] = 1 }, .prefix = 128 },
        { .family = AF_INET6, .addr = { 0xfe, 0x80 }, .prefix = 10 },
        { .family = AF_INET6, .addr = { [10] = 0xff, [11] = 0xff }, .prefix = 96 },
};

/* Whether the first bits of a and b are the same. */
static bool same_prefix(const uint8_t *a, const uint8_t *b, unsigned bits)
{
        unsigned bytes = bits / 8, rest = bits % 8;
        uint8_t mask = (uint8_t)(0xff00 >> rest);

        return !memcmp(a, b, bytes) && (!rest || !((a[bytes] ^ b[bytes]) & mask));
}

bool nsl_egress_forwarded(const struct nsl_egress *e)
{
        return e->protocol == IPPROTO_TCP && e->family;
}

void nsl_egress_forward_order(const struct nsl_egress *allowed, size_t n,
                              void (*visit)(void *ctx, const struct nsl_egress *e, bool forwarded), void *ctx)
{
        for (size_t i = 0; i < n; i++)
                if (allowed[i].host_loopback && nsl_egress_forwarded(&allowed[i]))
                        visit(ctx, &allowed[i], true);
        for (size_t i = 0; i < NSL_N_UNFORWARDED; i++)
                visit(ctx, &nsl_egress_unforwarded[i], false);
        for (size_t i = 0; i < n; i++)
                if (!allowed[i].host_loopback && nsl_egress_forwarded(&allowed[i]))
                        visit(ctx, &allowed[i], true);
}

static bool unforwarded(int family, const uint8_t *addr)
{
        for (size_t i = 0; i < NSL_N_UNFORWARDED; i++)
                if (nsl_egress_unforwarded[i].family == family &&
                    same_prefix(nsl_egress_unforwarded[i].addr, addr, nsl_egress_unforwarded[i].prefix))
                        return true;
        return false;
}

bool nsl_egress_forward_allows(const struct nsl_egress *allowed, size_t n, int family, const uint8_t *addr,
                               uint16_t port, bool *host_loopback)
{
        for (size_t i = 0; i < n; i++) {
                const struct nsl_egress *e = &allowed[i];
                if (e->family != family || !nsl_egress_forwarded(e) || (e->port && e->port != port) ||
                    !same_prefix(e->addr, addr, e->prefix))
                        continue;
                if (e->host_loopback || !unforwarded(family, addr)) {
                        *host_loopback = e->host_loopback;
                        return true;
                }
        }
        return false;
}

/* --dns values and what they become: pure, no syscalls. */
#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../error.h"

#define DNS_PORT 53
#define LINE_MAX_LEN (sizeof "nameserver \n" + INET6_ADDRSTRLEN)

int nsl_dns_parse(const char *value, struct nsl_dns *out, nsl_error *error)
{
        char addr[INET6_ADDRSTRLEN + 2];
        size_t len = value ? strlen(value) : 0;

        *out = (struct nsl_dns){ 0 };
        if (len >= 2 && len < sizeof addr && value[0] == '[' && value[len - 1] == ']') {
                memcpy(addr, value + 1, len - 2);
                addr[len - 2] = '\0';
        } else if (len < sizeof addr) {
                memcpy(addr, value ? value : "", len + 1);
        } else {
                addr[0] = '\0';
        }
        if (inet_pton(AF_INET, addr, out->addr) == 1 && value[0] != '[')
                out->family = AF_INET;
        else if (inet_pton(AF_INET6, addr, out->addr) == 1)
                out->family = AF_INET6;
        else
                return nsl_fail(error, EINVAL, "--dns", value ? value : "",
                                "expected a resolver's IPv4 or IPv6 address (a name would need a resolver)");
        return 0;
}

char *nsl_dns_resolv_conf(const struct nsl_dns *dns, size_t n)
{
        char *text = malloc(n * LINE_MAX_LEN + 1);
        size_t used = 0;

        if (!text)
                return NULL;
        text[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                char addr[INET6_ADDRSTRLEN];
                inet_ntop(dns[i].family, dns[i].addr, addr, sizeof addr);
                used += (size_t)snprintf(text + used, LINE_MAX_LEN + 1, "nameserver %s\n", addr);
        }
        return text;
}

void nsl_dns_destinations(const struct nsl_dns *dns, struct nsl_egress out[2])
{
        static const uint8_t protocols[2] = { IPPROTO_UDP, IPPROTO_TCP };

        for (int i = 0; i < 2; i++) {
                out[i] = (struct nsl_egress){
                        .family = dns->family,
                        .prefix = dns->family == AF_INET ? 32 : 128,
                        .port = DNS_PORT,
                        .protocol = protocols[i],
                };
                memcpy(out[i].addr, dns->addr, sizeof dns->addr);
        }
}

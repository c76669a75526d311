/* Asks for a route to the private network's gateway first thing, over IPv4
 * and IPv6, as a connector's first connect does: "route" and "route6" (an
 * IPv6 source in the gateway's fd00::/64 that is no longer tentative: a
 * tentative one is never chosen), or "no route: ERROR" each. Static and
 * small, so that it starts as fast as a command can
 * (tests/integration/test_network_private.py). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static void ipv4(void)
{
        struct sockaddr_in gateway = { .sin_family = AF_INET, .sin_port = htons(9) };
        int s = socket(AF_INET, SOCK_DGRAM, 0);

        inet_pton(AF_INET, "10.0.2.2", &gateway.sin_addr);
        if (s >= 0 && connect(s, (struct sockaddr *)&gateway, sizeof gateway) == 0)
                puts("route");
        else
                printf("no route: %s\n", strerror(errno));
}

static void ipv6(void)
{
        struct sockaddr_in6 gateway = { .sin6_family = AF_INET6, .sin6_port = htons(9) }, source;
        socklen_t len = sizeof source;
        int s = socket(AF_INET6, SOCK_DGRAM, 0);

        inet_pton(AF_INET6, "fd00::2", &gateway.sin6_addr);
        if (s < 0 || connect(s, (struct sockaddr *)&gateway, sizeof gateway) < 0 ||
            getsockname(s, (struct sockaddr *)&source, &len) < 0)
                printf("no route: %s\n", strerror(errno));
        else if (source.sin6_addr.s6_addr[0] != 0xfd || source.sin6_addr.s6_addr[1] != 0)
                puts("no route: no usable fd00::/64 source");
        else
                puts("route6");
}

int main(void)
{
        ipv4();
        ipv6();
        return 0;
}

/* Asks for a route to the private network's gateway first thing, as a
 * connector's first connect does: "route", or "no route: ERROR". Static
 * and small, so that it starts as fast as a command can
 * (tests/integration/test_network_private.py). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void)
{
        struct sockaddr_in gateway = { .sin_family = AF_INET, .sin_port = htons(9) };
        int s = socket(AF_INET, SOCK_DGRAM, 0);

        inet_pton(AF_INET, "10.0.2.2", &gateway.sin_addr);
        if (s >= 0 && connect(s, (struct sockaddr *)&gateway, sizeof gateway) == 0)
                puts("route");
        else
                printf("no route: %s\n", strerror(errno));
        return 0;
}

/* Subscribed to the namespace's IPv6 address changes first, then asks for
 * the addresses there are: an address that comes between the two is seen
 * either way. */
#include "ipv6-ready.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../cleanup.h"

static uint32_t address_flags(const struct nlmsghdr *h)
{
        const struct ifaddrmsg *ifa = NLMSG_DATA(h);
        int left = (int)IFA_PAYLOAD(h);

        /* IFA_FLAGS, when there, holds all 32 bits; ifa_flags only 8 */
        for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, left); a = RTA_NEXT(a, left))
                if (a->rta_type == IFA_FLAGS && RTA_PAYLOAD(a) >= sizeof(uint32_t))
                        return *(const uint32_t *)RTA_DATA(a);
        return ifa->ifa_flags;
}

bool nsl_ipv6_ready_in(const void *buf, size_t len)
{
        size_t left = len;
        bool ready = false;

        for (const struct nlmsghdr *h = buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
                if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
                        continue;
                const struct ifaddrmsg *ifa = NLMSG_DATA(h);
                if (ifa->ifa_family == AF_INET6 && ifa->ifa_scope == RT_SCOPE_UNIVERSE &&
                    !(address_flags(h) & (IFA_F_TENTATIVE | IFA_F_DADFAILED)))
                        ready = true;
        }
        return ready;
}

static long remaining_ms(const struct timespec *deadline)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (deadline->tv_sec - now.tv_sec) * 1000L + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

static int ask_for_addresses(int fd)
{
        struct {
                struct nlmsghdr h;
                struct ifaddrmsg ifa;
        } req = {
                .h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_GETADDR, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
                .ifa = { .ifa_family = AF_INET6 },
        };
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

        return sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) == sizeof req ? 0 : -errno;
}

int nsl_ipv6_wait_ready(int timeout_ms)
{
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        struct sockaddr_nl me = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV6_IFADDR };
        uint8_t buf[8192] __attribute__((aligned(4)));
        struct timespec deadline;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
        }
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *)&me, sizeof me) < 0)
                return -errno;
        if ((r = ask_for_addresses(fd)) < 0)
                return r;
        for (;;) {
                long wait = remaining_ms(&deadline);
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (wait <= 0)
                        return -ETIMEDOUT;
                r = poll(&p, 1, (int)wait);
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r <= 0)
                        continue;
                ssize_t n = recv(fd, buf, sizeof buf, 0);
                if (n < 0 && errno != EINTR && errno != ENOBUFS)
                        return -errno;
                if (n > 0 && nsl_ipv6_ready_in(buf, (size_t)n))
                        return 0;
                if (n < 0 && errno == ENOBUFS && (r = ask_for_addresses(fd)) < 0)
                        return r;       /* notifications lost: ask again */
        }
}

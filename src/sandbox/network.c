/* The sandbox's own network namespace, lo up.
 *
 * One of lo alone comes with init's clone3, and init brings lo up. A
 * private network's is made by a helper that init starts right after the id
 * maps are written: it brings lo up, hands the namespace to nslaunch for the
 * proxy and installs the rules while init builds the root on the other CPU,
 * and init joins it with setns before the command starts. For lo alone that
 * parallel start cost more than it saved: the helper's namespace creation
 * held up init's mount work on the other CPU (a bind's detach took 80 to
 * 990 us beside it, 8 to 37 us without it), and the join is one more
 * round trip (docs/design.md). */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../network/egress.h"
#include "../network/ipv6-ready.h"
#include "../sync.h"
#include "../syscalls.h"
#include "ctx.h"

/* How long the helper waits for IPv6 at most (nsl_ipv6_wait_ready). */
#define IPV6_WAIT_MS 1000

static int bring_up_loopback(void)
{
        struct ifreq ifr = { .ifr_name = "lo" };
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return -errno;
        return 0;
}

/* The socket the refused packets are copied to: bound to the log group
 * here, where binding takes CAP_NET_ADMIN in the namespace; nslaunch only
 * reads it (network/denials.c). */
static int open_refusals_log(const struct nsl_net_plan *net)
{
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER), r;

        if (fd < 0)
                return -errno;
        r = nsl_nl_transact(fd, net->log_config, net->log_config_len, 1);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

/* A transparent socket listening for the forwarder on the sandbox's
 * loopback, at the port its tproxy rules hand connections to; -errno.
 * Transparent: the connections it accepts keep the destination the command
 * asked for as their own address, which is how the forwarder learns it. */
static int forward_listener(int family)
{
        struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_port = htons(NSL_FORWARD_PORT),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        struct sockaddr_in6 v6 = { .sin6_family = AF_INET6, .sin6_port = htons(NSL_FORWARD_PORT),
                                   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
        int one = 1, r = 0, fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        if ((family == AF_INET && setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one) < 0) ||
            (family == AF_INET6 && (setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof one) < 0 ||
                                    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)) ||
            (family == AF_INET ? bind(fd, (struct sockaddr *)&v4, sizeof v4)
                               : bind(fd, (struct sockaddr *)&v6, sizeof v6)) < 0 ||
            listen(fd, SOMAXCONN) < 0)
                r = -errno;
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

/* The forwarder's sockets, when a destination is forwarded: they listen
 * before anything is handed to them (add_forward_rules). Without IPv6 in
 * the namespace there is no ::1 to listen on, and no IPv6 connection to
 * hand over either. */
static void open_forward(const struct nsl_net_plan *net, int *listen4, int *listen6)
{
        if (!net->forward_rules.len || (*listen4 = forward_listener(AF_INET)) < 0) {
                *listen4 = -1;
                return;
        }
        if ((*listen6 = forward_listener(AF_INET6)) < 0)
                *listen6 = -1;
}

static int send_msgs(int protocol, const struct nsl_nl_msgs *msgs)
{
        return nsl_nl_send(protocol, msgs->bytes, msgs->len, msgs->acks);
}

/* The tproxy chain, then the routing that sends the forwarded
 * destinations to it, for each family a socket listens for (sent: enum
 * nsl_net_sent). The chain first: a connection routed to lo and not handed
 * over would be refused. Where the kernel cannot (nf_tables' tproxy missing, or
 * IPv6 off) nothing is routed there, and those destinations go through
 * slirp4netns. */
static void add_forward_rules(const struct nsl_net_plan *net, uint32_t sent)
{
        if (!(sent & NSL_NET_SENT_FORWARD4) || send_msgs(NETLINK_NETFILTER, &net->forward_rules) < 0)
                return;
        (void)send_msgs(NETLINK_ROUTE, &net->forward_routes[0]);
        if (sent & NSL_NET_SENT_FORWARD6)
                (void)send_msgs(NETLINK_ROUTE, &net->forward_routes[1]);
}

/* A private network: nslaunch connects it to the host's through a proxy
 * it starts itself, outside the sandbox, as soon as it has the namespaces
 * (launch.c), reads the refusals' log and forwards TCP to the allowed
 * destinations. */
static int hand_to_nslaunch(const struct nsl_net_plan *net, int sync_fd, uint32_t *sent)
{
        struct nsl_msg msg = { .type = NSL_MSG_NETWORK };
        _cleanup_close_ int netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int userns = -1, log = -1, listen4 = -1, listen6 = -1;
        int fds[NSL_MAX_PASSED_FDS];
        size_t n = 0;

        if (netns < 0 || (userns = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC)) < 0)
                return -errno;
        if (net->limited && (log = open_refusals_log(net)) < 0)
                return log;
        open_forward(net, &listen4, &listen6);
        fds[n++] = netns;
        fds[n++] = userns;
        if (log >= 0) {
                msg.status |= NSL_NET_SENT_LOG;
                fds[n++] = log;
        }
        if (listen4 >= 0) {
                msg.status |= NSL_NET_SENT_FORWARD4;
                fds[n++] = listen4;
        }
        if (listen6 >= 0) {
                msg.status |= NSL_NET_SENT_FORWARD6;
                fds[n++] = listen6;
        }
        *sent = (uint32_t)msg.status;
        return nsl_send_with_fds(sync_fd, &msg, sizeof msg, fds, n);
}

/* The proxy's interface (made later, by slirp4netns) takes these defaults:
 * the kernel's (a router solicitation up to 1 s after the link is up, then
 * 1 s of duplicate address detection on a link nothing else is on) gave
 * the sandbox its IPv6 route about 2 s after the command had started.
 * proc_sys is the host's /proc/sys, opened by init before this helper
 * existed: init pivots meanwhile, and the helper shares its mount namespace
 * (and so its new root, whose /proc has no sys). A network sysctl is the
 * namespace of whoever opens it, so the files are opened here, after
 * unshare. Best effort: where the host's /proc/sys is read-only (in a
 * container), IPv6 comes later, as it did. */
static bool quick_ipv6_defaults(int proc_sys)
{
        static const char *const files[] = { "net/ipv6/conf/default/accept_dad",
                                             "net/ipv6/conf/default/router_solicitation_delay" };
        _cleanup_close_ int disabled = proc_sys < 0 ? -1 : openat(proc_sys, "net/ipv6/conf/default/disable_ipv6",
                                                                 O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        char off = '1';
        bool set = disabled >= 0 && read(disabled, &off, 1) == 1 && off == '0';   /* no IPv6 to wait for */

        for (size_t i = 0; set && i < ELEMENTSOF(files); i++) {
                _cleanup_close_ int fd = openat(proc_sys, files[i], O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
                set = fd >= 0 && write(fd, "0", 1) == 1;
        }
        return set;
}

static int set_up(const struct nsl_net_plan *net, int proc_sys, int sync_fd)
{
        int r = unshare(CLONE_NEWNET) < 0 ? -errno : bring_up_loopback();
        bool quick_ipv6 = r == 0 && net->private && quick_ipv6_defaults(proc_sys);
        uint32_t sent = 0;

        if (r == 0 && net->private)
                r = hand_to_nslaunch(net, sync_fd, &sent);
        /* the rules, while nslaunch starts slirp4netns (registering each
         * chain takes a few hundred microseconds): init, and so the
         * command, waits for this helper's report, so they are in before
         * any process of the sandbox could send a packet */
        if (r == 0 && net->limited)
                r = send_msgs(NETLINK_NETFILTER, &net->rules);
        if (r == 0)
                add_forward_rules(net, sent);
        /* init goes on, and the command starts, once IPv6 is there too: it
         * takes about a millisecond after the proxy's interface is up (the
         * router's answer to the first solicitation); with the kernel's
         * defaults it would take seconds, so then nothing waits */
        if (r == 0 && quick_ipv6)
                (void)nsl_ipv6_wait_ready(IPV6_WAIT_MS);
        return r;
}

/* The helper: reports 0 or an errno on its pipe, then holds the namespace
 * until init has joined it (its end of the pipe closes). */
static _Noreturn void helper_main(const struct nsl_net_plan *net, int proc_sys, int sync_fd, int report_fd,
                                  int hold_fd)
{
        int r;
        char c;

        /* init (non-dumpable since its maps were written) joins through our
         * pidfd, which needs ptrace access to us; nothing untrusted runs yet. */
        if (prctl(PR_SET_DUMPABLE, 1) < 0)
                r = -errno;
        else
                r = set_up(net, proc_sys, sync_fd);

        (void)!write(report_fd, &r, sizeof r);
        (void)!read(hold_fd, &c, 1);
        _exit(0);
}

/* The namespace came with init's clone3 (nsl_plan_build): lo alone. */
static bool made_at_clone(const struct nsl_plan *plan)
{
        return plan->clone_flags & CLONE_NEWNET;
}

int nsl_stage_network_start(struct nsl_ctx *ctx, nsl_error *error)
{
        int report[2], hold[2], r;
        struct nsl_clone_args args = { .flags = CLONE_PIDFD, .exit_signal = SIGCHLD };
        pid_t pid;

        if (!nsl_network_own(ctx->plan))
                return 0;
        if (made_at_clone(ctx->plan))
                return (r = bring_up_loopback()) < 0 ? nsl_fail(error, -r, "network", "lo", "cannot bring it up") : 0;
        if (pipe2(report, O_CLOEXEC) < 0)
                return nsl_fail(error, errno, "network", "pipe", NULL);
        if (pipe2(hold, O_CLOEXEC) < 0) {
                close(report[0]);
                close(report[1]);
                return nsl_fail(error, errno, "network", "pipe", NULL);
        }
        _cleanup_close_ int proc_sys = ctx->plan->net.private ? open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
        args.pidfd = (uint64_t)(uintptr_t)&ctx->net_helper_pidfd;
        pid = nsl_clone3(&args);
        if (pid == 0) {
                close(report[0]);
                close(hold[1]);
                helper_main(&ctx->plan->net, proc_sys, ctx->sync_fd, report[1], hold[0]);
        }
        close(report[1]);
        close(hold[0]);
        if (pid < 0) {
                close(report[0]);
                close(hold[1]);
                return nsl_fail(error, errno, "network", "", "cannot start the namespace helper");
        }
        ctx->net_report_fd = report[0];
        ctx->net_hold_fd = hold[1];
        return 0;
}

int nsl_stage_network_join(struct nsl_ctx *ctx, nsl_error *error)
{
        _cleanup_close_ int report = ctx->net_report_fd;
        _cleanup_close_ int hold = ctx->net_hold_fd;
        _cleanup_close_ int pidfd = ctx->net_helper_pidfd;
        siginfo_t info;
        int status = -EPIPE, r = 0;

        ctx->net_report_fd = ctx->net_hold_fd = ctx->net_helper_pidfd = -1;
        if (!nsl_network_own(ctx->plan) || made_at_clone(ctx->plan) || ctx->net_joined)
                return 0;
        ctx->net_joined = true;
        if (read(report, &status, sizeof status) != sizeof status)
                status = -EPIPE;
        if (status < 0)
                r = nsl_fail(error, -status, "network", ctx->plan->net.limited ? "--allow-egress" : "lo",
                             ctx->plan->net.limited ? "cannot set up the network namespace, its rules or their log"
                                                    : "cannot set up the network namespace");
        else if (setns(pidfd, CLONE_NEWNET) < 0)
                r = nsl_fail(error, errno, "network", "", "cannot join the network namespace");
        close(TAKE_FD(hold));
        if (r < 0)
                nsl_pidfd_send_signal(pidfd, SIGKILL);
        nsl_pidfd_wait(pidfd, 0, &info);
        return r;
}

/* The forwarder: TCP to the allowed destinations without slirp4netns's
 * user-space TCP stack.
 *
 * slirp4netns carries every segment through its own TCP implementation:
 * 130-170 MB/s here where the host's loopback carries 1 000-3 000. So
 * routing rules (route.c) bring the sandbox's connections to forwarded
 * destinations (nsl_egress_forwarded) in on its own loopback, a tproxy
 * rule (nft.c) hands them to the transparent socket the network helper
 * listens on there, at NSL_FORWARD_PORT, and this process, on the host's
 * network, accepts them, reads where each was going (the accepted socket's
 * own address), checks that against the allow-list itself, connects there
 * and copies bytes both ways: two kernel TCP connections instead of one
 * emulated one.
 *
 * It is a clone of nslaunch (or of a library caller, maybe multithreaded),
 * never exec'd: it makes only system calls, and allocates with mmap. It
 * holds the read end of slirp4netns's exit pipe and ends when that hangs
 * up, so it lives and dies exactly as the proxy does. */
#include "forward.h"

#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../sandbox/caps.h"
#include "../syscalls.h"
#include "egress.h"

/* Connections at once: more are reset. Each holds two fds and two buffers
 * of memory that is the caller's: bounded, whatever the plugin opens. */
#define MAX_CONNECTIONS 256
#define BUFFER_SIZE (128 * 1024)
#define EVENTS 64

/* epoll's tags beside the connections', which are the slot's generation
 * (so that an event of a connection that ended earlier in the same batch
 * never reaches the next one in its slot) above slot * 2 + side */
enum { TAG_EXIT = -1, TAG_LISTEN4 = -2, TAG_LISTEN6 = -3 };
enum { SANDBOX_SIDE, HOST_SIDE };

/* Bytes read from one side, not yet written to the other. */
struct flow {
        int from, to;
        char *buf;
        size_t off, len;
        bool eof;               /* from has no more: to is shut for writing once buf is empty */
        bool shut;
};

struct connection {
        bool used, connecting;
        uint32_t generation;
        int fd[2];
        struct flow flow[2];    /* [SANDBOX_SIDE]: sandbox to host */
};

struct forwarder {
        const struct nsl_egress *allowed;
        size_t n_allowed;
        int epoll;
        struct connection *table;       /* MAX_CONNECTIONS, mmap'd */
};

static void add(int epoll, int fd, uint32_t events, int64_t tag)
{
        struct epoll_event ev = { .events = events, .data.u64 = (uint64_t)tag };
        (void)epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev);
}

/* Closes fd with a reset, not a FIN: the other end learns at once that
 * nothing will come. */
static void reset(int fd)
{
        struct linger now = { .l_onoff = 1, .l_linger = 0 };

        (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof now);
        close(fd);
}

static void end_connection(struct connection *c, bool with_reset)
{
        for (int side = 0; side < 2; side++)
                if (c->fd[side] >= 0) {
                        if (with_reset)
                                reset(c->fd[side]);
                        else
                                close(c->fd[side]);
                }
        if (c->flow[0].buf)
                munmap(c->flow[0].buf, 2 * BUFFER_SIZE);
        *c = (struct connection){ .generation = c->generation };
}

/* Where the sandbox was connecting to: the listener is transparent, so
 * the connection it accepted has that address as its own. */
static int original_destination(int fd, struct sockaddr_storage *dst)
{
        socklen_t len = sizeof *dst;

        return getsockname(fd, (struct sockaddr *)dst, &len);
}

/* The address to connect to for dst, when the allow-list has it. */
static bool destination(const struct forwarder *f, int family, struct sockaddr_storage *dst)
{
        struct sockaddr_in *v4 = (struct sockaddr_in *)dst;
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)dst;
        bool host_loopback = false;
        const uint8_t *addr = family == AF_INET ? (const uint8_t *)&v4->sin_addr : v6->sin6_addr.s6_addr;
        uint16_t port = ntohs(family == AF_INET ? v4->sin_port : v6->sin6_port);

        if (dst->ss_family != family ||
            !nsl_egress_forward_allows(f->allowed, f->n_allowed, family, addr, port, &host_loopback))
                return false;
        if (host_loopback)
                v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);   /* host-loopback is IPv4's gateway only */
        if (family == AF_INET6)
                v6->sin6_flowinfo = v6->sin6_scope_id = 0;
        return true;
}

static struct connection *free_slot(struct forwarder *f)
{
        for (size_t i = 0; i < MAX_CONNECTIONS; i++)
                if (!f->table[i].used)
                        return &f->table[i];
        return NULL;
}

static void accept_one(struct forwarder *f, int listener, int family)
{
        struct sockaddr_storage dst = { 0 };
        struct connection *c;
        int sandbox = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), host;
        char *bufs;

        if (sandbox < 0)
                return;
        if (original_destination(sandbox, &dst) < 0 || !destination(f, family, &dst) ||
            !(c = free_slot(f))) {
                reset(sandbox);
                return;
        }
        host = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        bufs = mmap(NULL, 2 * BUFFER_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (host < 0 || bufs == MAP_FAILED ||
            (connect(host, (struct sockaddr *)&dst, family == AF_INET ? sizeof(struct sockaddr_in)
                                                                       : sizeof(struct sockaddr_in6)) < 0 &&
             errno != EINPROGRESS)) {
                if (host >= 0)
                        close(host);
                if (bufs != MAP_FAILED)
                        munmap(bufs, 2 * BUFFER_SIZE);
                reset(sandbox);
                return;
        }
        *c = (struct connection){ .used = true, .connecting = true, .generation = c->generation + 1,
                                  .fd = { sandbox, host } };
        c->flow[SANDBOX_SIDE] = (struct flow){ .from = sandbox, .to = host, .buf = bufs };
        c->flow[HOST_SIDE] = (struct flow){ .from = host, .to = sandbox, .buf = bufs + BUFFER_SIZE };
        /* edge-triggered: every event pumps both flows until the kernel
         * says EAGAIN, and that is what the next edge is for */
        for (int side = 0; side < 2; side++)
                add(f->epoll, c->fd[side], EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                    (int64_t)((uint64_t)c->generation << 32 | (uint64_t)((c - f->table) * 2 + side)));
}

/* Moves what it can from fl->from to fl->to. 0, or -1 when either side
 * failed. */
static int pump(struct flow *fl)
{
        for (;;) {
                ssize_t n;
                if (fl->off < fl->len) {
                        n = send(fl->to, fl->buf + fl->off, fl->len - fl->off, MSG_NOSIGNAL);
                        if (n < 0)
                                return errno == EAGAIN || errno == EINTR ? 0 : -1;
                        fl->off += (size_t)n;
                        continue;
                }
                if (fl->eof) {
                        if (!fl->shut && shutdown(fl->to, SHUT_WR) < 0 && errno != ENOTCONN)
                                return -1;
                        fl->shut = true;
                        return 0;
                }
                n = recv(fl->from, fl->buf, BUFFER_SIZE, 0);
                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -1;
                fl->eof = n == 0;
                fl->off = 0;
                fl->len = (size_t)n;
        }
}

static void on_connection(struct connection *c, int side, uint32_t events)
{
        int error = 0;
        socklen_t len = sizeof error;

        if (c->connecting) {
                if (side != HOST_SIDE || !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
                        return;         /* the sandbox's bytes wait in its socket until then */
                if (getsockopt(c->fd[HOST_SIDE], SOL_SOCKET, SO_ERROR, &error, &len) < 0 || error) {
                        end_connection(c, true);
                        return;
                }
                c->connecting = false;
        }
        if (pump(&c->flow[SANDBOX_SIDE]) < 0 || pump(&c->flow[HOST_SIDE]) < 0)
                end_connection(c, true);
        else if (c->flow[SANDBOX_SIDE].shut && c->flow[HOST_SIDE].shut)
                end_connection(c, false);
}

static void on_event(struct forwarder *f, uint64_t tag, uint32_t events)
{
        uint32_t slot = (uint32_t)tag / 2, generation = (uint32_t)(tag >> 32);

        if (slot < MAX_CONNECTIONS && f->table[slot].used && f->table[slot].generation == generation)
                on_connection(&f->table[slot], (int)(tag % 2), events);
}

static _Noreturn void serve(struct forwarder *f, int listen4, int listen6, int exit_fd)
{
        struct epoll_event events[EVENTS];

        add(f->epoll, exit_fd, EPOLLIN, TAG_EXIT);
        if (listen4 >= 0)
                add(f->epoll, listen4, EPOLLIN, TAG_LISTEN4);
        if (listen6 >= 0)
                add(f->epoll, listen6, EPOLLIN, TAG_LISTEN6);
        for (;;) {
                int n = epoll_wait(f->epoll, events, EVENTS, -1);
                if (n < 0 && errno != EINTR)
                        _exit(1);
                for (int i = 0; i < n; i++) {
                        int64_t tag = (int64_t)events[i].data.u64;
                        if (tag == TAG_EXIT)
                                _exit(0);       /* the proxy's exit pipe: the sandbox has ended */
                        else if (tag == TAG_LISTEN4)
                                accept_one(f, listen4, AF_INET);
                        else if (tag == TAG_LISTEN6)
                                accept_one(f, listen6, AF_INET6);
                        else
                                on_event(f, (uint64_t)tag, events[i].events);
                }
        }
}

/* In the clone: only these fds, no capability, no terminal's signals. */
static _Noreturn void forwarder_main(const struct nsl_net_plan *net, int listen4, int listen6, int exit_fd)
{
        const int fds[] = { listen4, listen6, exit_fd };
        int keep[ELEMENTSOF(fds)];
        size_t n_keep = 0;
        struct forwarder f = { .allowed = net->allowed, .n_allowed = net->n_allowed };
        nsl_error ignored;

        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                if (fds[i] >= 0)
                        nsl_fd_list_insert(keep, &n_keep, fds[i]);
        /* the caller's stdio too (a pipe someone reads to its end), but
         * not the fds it was given: a caller without stdio has them there */
        for (int fd = 0; fd < 3; fd++)
                if (fd != listen4 && fd != listen6 && fd != exit_fd)
                        close(fd);
        if (nsl_close_all_except(keep, n_keep) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            nsl_caps_clear(&ignored) < 0 || setpgid(0, 0) < 0)
                _exit(1);
        (void)nsl_set_comm("nsl-forward");
        f.epoll = epoll_create1(EPOLL_CLOEXEC);
        f.table = mmap(NULL, MAX_CONNECTIONS * sizeof *f.table, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (f.epoll < 0 || f.table == MAP_FAILED)
                _exit(1);
        serve(&f, listen4, listen6, exit_fd);
}

int nsl_net_forward_start(const struct nsl_net_plan *net, int listen4, int listen6, int exit_fd, int *pidfd,
                          nsl_error *error)
{
        struct nsl_clone_args args = { .flags = CLONE_PIDFD, .exit_signal = SIGCHLD,
                                       .pidfd = (uint64_t)(uintptr_t)pidfd };
        pid_t pid = nsl_clone3(&args);

        if (pid == 0)
                forwarder_main(net, listen4, listen6, exit_fd);
        if (pid < 0)
                return nsl_fail(error, errno, "network", "", "cannot start the forwarder");
        return 0;
}

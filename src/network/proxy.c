/* slirp4netns, chosen over pasta (both in Debian 12) on what was measured
 * here (docs/network.md): it says when the sandbox's interface is configured
 * (--ready-fd) and ends when an fd of nslaunch's closes (--exit-fd), so it is
 * nslaunch's child from start to end and cannot outlive a killed nslaunch;
 * pasta daemonizes and reports neither. */
#include "proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../syscalls.h"
#include "forward.h"

#define READY_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 2000

/* The fds the proxy gets, at these numbers: its argv names them. */
enum { NETNS_FD = 3, USERNS_FD, READY_FD, EXIT_FD, N_FDS };

static void build_argv(const struct nsl_net_plan *net, const char **argv)
{
        size_t n = 0;

        argv[n++] = net->proxy;
        argv[n++] = "--configure";
        /* not podman's 65520: before Linux 6.8 the sandbox's receive window
         * (tcp_rmem's 128 KiB) holds one segment of that size, and every
         * transfer past 64 KiB stalled for seconds on a zero window (6.1:
         * 100 KB took 5 s). 16 KiB segments measured as fast here. */
        argv[n++] = "--mtu=16384";
        argv[n++] = "--enable-ipv6";
        /* it parses the sandbox's packets: as little as possible of it is
         * left to a plugin that finds a bug in it. Its own syscall filter
         * always; as root also its sandbox (no capability but
         * NET_BIND_SERVICE, an empty root). Rootless, the caller's
         * privileges are all it has, and its sandbox cannot be had: it wants
         * gid 0 in the sandbox's user namespace, which maps the caller's. */
        if (!net->rootless)
                argv[n++] = "--enable-sandbox";
        argv[n++] = "--enable-seccomp";
        if (!net->host_loopback)
                argv[n++] = "--disable-host-loopback";
        argv[n++] = "--ready-fd=5";
        argv[n++] = "--exit-fd=6";
        argv[n++] = "--userns-path=/proc/self/fd/4";
        argv[n++] = "--netns-type=path";
        argv[n++] = "/proc/self/fd/3";
        argv[n++] = "tap0";
        argv[n] = NULL;
}

/* The last line the proxy wrote, for the error when it fails. */
static void last_line(int memfd, char *out, size_t size)
{
        char buf[4096];
        ssize_t n = pread(memfd, buf, sizeof buf - 1, 0);
        char *line;

        out[0] = '\0';
        if (n <= 0)
                return;
        buf[n] = '\0';
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                buf[--n] = '\0';
        line = strrchr(buf, '\n');
        snprintf(out, size, "%.300s", line ? line + 1 : buf);
}

static int spawn(const struct nsl_net_plan *net, const int fds[N_FDS], int output, pid_t *pid)
{
        const char *argv[16];
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        sigset_t none, all;
        int r;

        build_argv(net, argv);
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        /* its own process group: a terminal's ^C reaches the sandbox through
         * nslaunch, and the proxy stays until the sandbox has ended */
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, output, 1);
        posix_spawn_file_actions_adddup2(&actions, output, 2);
        for (int fd = NETNS_FD; fd < N_FDS; fd++)
                posix_spawn_file_actions_adddup2(&actions, fds[fd], fd);
        posix_spawn_file_actions_addclosefrom_np(&actions, N_FDS);
        r = posix_spawn(pid, net->proxy, &actions, &attr, (char *const *)argv, (char *[]){ NULL });
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        return -r;
}

/* 0 once the proxy says the interface is configured; -errno with the
 * proxy's own last line when it ended or took too long. */
static int wait_ready(int ready, int pidfd, int output, const char *path, nsl_error *error)
{
        struct pollfd fds[2] = { { .fd = ready, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
        char why[512], c = 0;
        int r;

        do
                r = poll(fds, 2, READY_TIMEOUT_MS);
        while (r < 0 && errno == EINTR);
        if (r > 0 && (fds[0].revents & POLLIN) && read(ready, &c, 1) == 1 && c == '1')
                return 0;
        last_line(output, why, sizeof why);
        if (r == 0)
                return nsl_fail(error, ETIMEDOUT, "network", path, "no network after %d s", READY_TIMEOUT_MS / 1000);
        return nsl_fail(error, ECHILD, "network", path, "ended before the network was up: %s",
                        why[0] ? why : "(it said nothing)");
}

/* Every fd the proxy gets, first moved above its numbers (so no dup2 of an
 * fd onto itself leaves it close-on-exec). */
static int lift(int fd)
{
        return fcntl(fd, F_DUPFD_CLOEXEC, N_FDS);
}

int nsl_net_proxy_start(const struct nsl_net_plan *net, int netns, int userns, int listen4, int listen6,
                        struct nsl_net_proxy *proxy, nsl_error *error)
{
        int ready[2] = { -1, -1 }, exit_pipe[2] = { -1, -1 }, fds[N_FDS] = { -1, -1, -1, -1, -1, -1 };
        _cleanup_close_ int output = memfd_create("slirp4netns", MFD_CLOEXEC);
        _cleanup_close_ int ready_read = -1;
        pid_t pid = -1;
        int r = 0;

        if (output < 0 || pipe2(ready, O_CLOEXEC) < 0 || pipe2(exit_pipe, O_CLOEXEC) < 0)
                r = nsl_fail(error, errno, "network", "", "cannot make the proxy's pipes");
        ready_read = ready[0];
        proxy->exit_fd = exit_pipe[1];
        if (r == 0) {
                fds[NETNS_FD] = lift(netns);
                fds[USERNS_FD] = lift(userns);
                fds[READY_FD] = lift(ready[1]);
                fds[EXIT_FD] = lift(exit_pipe[0]);
                for (int fd = NETNS_FD; fd < N_FDS && r == 0; fd++)
                        if (fds[fd] < 0)
                                r = nsl_fail(error, errno, "network", "", "fcntl");
        }
        if (r == 0 && (r = spawn(net, fds, output, &pid)) < 0)
                r = nsl_fail(error, -r, "network", net->proxy, "cannot start it");
        /* beside it, on the same exit pipe: the two end together */
        if (r == 0 && (listen4 >= 0 || listen6 >= 0))
                r = nsl_net_forward_start(net, listen4, listen6, fds[EXIT_FD], &proxy->forward_pidfd, error);
        for (int fd = NETNS_FD; fd < N_FDS; fd++)
                nsl_closep(&fds[fd]);
        nsl_closep(&ready[1]);
        nsl_closep(&exit_pipe[0]);
        if (pid > 0 && (proxy->pidfd = nsl_pidfd_open(pid, 0)) < 0) {
                r = nsl_fail(error, errno, "network", net->proxy, "pidfd_open");
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
        if (r < 0)
                return r;
        return wait_ready(ready_read, proxy->pidfd, output, net->proxy, error);
}

/* Waits for one of them to end on its exit pipe's hang-up; SIGKILL when it
 * takes too long. */
static void stop_one(int *pidfd)
{
        struct pollfd ended = { .fd = *pidfd, .events = POLLIN };
        siginfo_t info;

        if (*pidfd < 0)
                return;
        if (poll(&ended, 1, STOP_TIMEOUT_MS) <= 0)
                nsl_pidfd_send_signal(*pidfd, SIGKILL);
        nsl_pidfd_wait(*pidfd, 0, &info);
        nsl_closep(pidfd);
        *pidfd = -1;
}

/* SIGKILL cannot be caught or undone: it runs none of its code again. Its
 * end itself is not waited for. */
static void kill_one(int *pidfd)
{
        if (*pidfd >= 0)
                nsl_pidfd_send_signal(*pidfd, SIGKILL);
        nsl_closep(pidfd);
        *pidfd = -1;
}

void nsl_net_proxy_stop(struct nsl_net_proxy *proxy)
{
        nsl_closep(&proxy->exit_fd);
        proxy->exit_fd = -1;
        stop_one(&proxy->pidfd);
        stop_one(&proxy->forward_pidfd);
}

/* slirp4netns's end is slow: closing its tap unregisters the interface,
 * which waits for RCU grace periods (15-30 ms here, most of what a private
 * network added to a launch). */
void nsl_net_proxy_end_before_exit(struct nsl_net_proxy *proxy)
{
        kill_one(&proxy->pidfd);
        kill_one(&proxy->forward_pidfd);
        nsl_closep(&proxy->exit_fd);
        proxy->exit_fd = -1;
}

void nsl_net_proxy_release(struct nsl_net_proxy *proxy)
{
        nsl_closep(&proxy->exit_fd);
        proxy->exit_fd = -1;
        nsl_closep(&proxy->pidfd);
        proxy->pidfd = -1;
        nsl_closep(&proxy->forward_pidfd);
        proxy->forward_pidfd = -1;
}

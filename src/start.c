/* The ways to start a created sandbox: the start pipe or FIFO's byte, or a
 * command given at start (one message on the start socket), and how long
 * the command then took to reach its execve. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "command.h"
#include "error.h"
#include "fds.h"
#include "handle.h"
#include "sync.h"

int nsl_open_fifo(const char *path, int flags, const char *what, nsl_error *error)
{
        int fd = open(path, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;

        if (fd < 0)
                return nsl_fail(error, errno, what, path, NULL);
        if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
                close(fd);
                return nsl_fail(error, EINVAL, what, path, "not a FIFO");
        }
        return fd;
}

int nsl_supervise_from_now(nsl_sandbox *sb, nsl_error *error)
{
        if (sb->supervising)
                return 0;
        sb->supervising = true;
        clock_gettime(CLOCK_MONOTONIC, &sb->started);
        return nsl_supervision_start(&sb->s, sb->plan.forward ? &sb->plan.forward_set : NULL, error);
}

int nsl_sandbox_start_fd(int fd, nsl_error *error)
{
        ssize_t n;

        do
                n = write(fd, "s", 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return nsl_fail(error, errno == EPIPE ? ESRCH : errno, "start", "", errno == EPIPE ? "the sandbox is gone" : NULL);
        return 0;
}

/* The FIFO's writing end, once its byte is written. */
static int start_through_fifo(const char *path, nsl_error *error)
{
        int fd = nsl_open_fifo(path, O_WRONLY, "start", error);

        if (fd == -ENXIO)
                return nsl_fail(error, ESRCH, "start", path, "no sandbox waits on this FIFO");
        if (fd >= 0) {
                int r = nsl_sandbox_start_fd(fd, error);
                if (r < 0) {
                        close(fd);
                        return r;
                }
        }
        return fd;
}

int nsl_sandbox_start_fifo(const char *path, nsl_error *error)
{
        _cleanup_close_ int fd = start_through_fifo(path, error);

        return fd < 0 ? fd : 0;
}

/* init holds the FIFO's reading end until the command has executed (and
 * the command holds its copy until its execve): the writing end reports
 * POLLERR once no reader is left, which is also what init's end does. */
int nsl_sandbox_start_fifo_wait(const char *path, int timeout_ms, nsl_error *error)
{
        _cleanup_close_ int fd = start_through_fifo(path, error);
        struct pollfd readers_gone = { .fd = fd, .events = 0 };
        int r;

        if (fd < 0)
                return fd;
        do
                r = poll(&readers_gone, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        return r < 0 ? nsl_fail(error, errno, "start", path, NULL) : 0;
}

int nsl_sandbox_start(nsl_sandbox *sb, nsl_error *error)
{
        *error = (nsl_error){ 0 };
        if (sb->supervising)
                return nsl_fail(error, EALREADY, "start", "", "the sandbox was started already");
        if (sb->plan.command_at_start)
                return nsl_fail(error, EINVAL, "start", "", "the sandbox waits for its command: "
                                                            "start it with nsl_sandbox_start_command");
        int r = nsl_supervise_from_now(sb, error);
        if (r == 0 && sb->start_fd >= 0)
                r = nsl_sandbox_start_fd(sb->start_fd, error);
        else if (r == 0 && sb->wait_for_start && sb->plan.start_fifo)
                r = nsl_sandbox_start_fifo(sb->plan.start_fifo, error);
        nsl_closep(&sb->start_fd);
        sb->start_fd = -1;
        if (r < 0)
                nsl_error_set_stage(error, "start");
        return r;
}

static int send_command(int fd, char *const argv[], char *const env[], const int stdio[3], nsl_error *error)
{
        _cleanup_free_ char *buf = malloc(NSL_COMMAND_MAX_BYTES);
        int fds[3];
        size_t n_fds = 0;
        uint32_t mask = 0;

        if (!buf)
                return nsl_fail(error, ENOMEM, "start", "", NULL);
        for (int i = 0; i < 3 && stdio; i++) {
                if (stdio[i] < 0)
                        continue;
                int r = nsl_fd_usable_as_stdio(stdio[i]);
                if (r == -EBADF)
                        return nsl_fail(error, EBADF, "start", "", "the command's fd %d (%d) is not open", i, stdio[i]);
                if (r < 0)
                        return nsl_fail(error, -r, "start", "", "the command's fd %d (%d) is a directory: it would "
                                                              "reach the host's files beneath it", i, stdio[i]);
                mask |= 1u << i;
                fds[n_fds++] = stdio[i];
        }
        int len = nsl_command_encode(argv, env, mask, buf, NSL_COMMAND_MAX_BYTES, error);
        if (len < 0)
                return len;
        int r = nsl_send_with_fds(fd, buf, (size_t)len, fds, n_fds);
        if (r < 0)
                return nsl_fail(error, r == -EPIPE || r == -ECONNREFUSED ? ESRCH : -r, "start", "",
                                r == -EPIPE || r == -ECONNREFUSED ? "the sandbox is gone" : NULL);
        return 0;
}

int nsl_sandbox_start_command(nsl_sandbox *sb, char *const argv[], char *const env[], const int stdio[3],
                              nsl_error *error)
{
        int r;

        *error = (nsl_error){ 0 };
        if (sb->supervising)
                return nsl_fail(error, EALREADY, "start", "", "the sandbox was started already");
        if (!sb->plan.command_at_start || sb->start_fd < 0)
                return nsl_fail(error, EINVAL, "start", "", "the sandbox has its command already: "
                                                            "start it with nsl_sandbox_start");
        NSL_TIMING_MARK("start-command");
        r = nsl_supervise_from_now(sb, error);
        if (r == 0)
                r = send_command(sb->start_fd, argv, env, stdio, error);
        nsl_closep(&sb->start_fd);
        sb->start_fd = -1;
        if (r < 0)
                nsl_error_set_stage(error, "start");
        return r;
}

int nsl_sandbox_start_from(nsl_sandbox *sb, int fd, nsl_error *error)
{
        _cleanup_free_ char *buf = malloc(NSL_COMMAND_MAX_BYTES + 1);
        _cleanup_free_ char **vec = calloc(NSL_COMMAND_MAX_WORDS + 2, sizeof *vec);
        struct nsl_command command;
        int fds[NSL_MAX_PASSED_FDS], stdio[3];
        size_t n_fds = 0, len;
        char name[24];
        int r;

        *error = (nsl_error){ 0 };
        snprintf(name, sizeof name, "fd:%d", fd);
        if (!buf || !vec)
                return nsl_fail(error, ENOMEM, "start", name, NULL);
        r = nsl_command_recv(fd, buf, vec, NSL_COMMAND_MAX_WORDS + 2, &command, stdio, fds, &n_fds, &len);
        if (r == -ECANCELED)
                r = nsl_fail(error, ECANCELED, "start", name, "closed before a command came");
        else if (r == -EMSGSIZE)
                r = nsl_fail(error, EBADMSG, "start", name, "a message too long");
        else if (r == -EBADMSG)
                r = nsl_fail(error, EBADMSG, "start", name, "not a command message (see docs/cli.md)");
        else if (r < 0)
                r = nsl_fail(error, -r, "start", name, NULL);
        else
                r = nsl_sandbox_start_command(sb, command.argv, command.env, stdio, error);
        for (size_t i = 0; i < n_fds; i++)
                close(fds[i]);
        if (r < 0)
                nsl_error_set_stage(error, "start");
        return r;
}

double nsl_sandbox_ms_to_exec(const nsl_sandbox *sb)
{
        if (!sb->supervising || !sb->s.execed || sb->s.have_error)
                return -1;
        return nsl_ms_between(&sb->started, &sb->s.execed_at);
}

int nsl_sandbox_start_handle(const nsl_sandbox *sb)
{
        return sb->start_fd;
}


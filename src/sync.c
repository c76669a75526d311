#include "sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"

int nsl_msg_send(int fd, const struct nsl_msg *msg)
{
        ssize_t n;

        do
                n = send(fd, msg, sizeof *msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return n == (ssize_t)sizeof *msg ? 0 : -EIO;
}

static void terminate_strings(struct nsl_msg *msg)
{
        msg->error.what[sizeof msg->error.what - 1] = '\0';
        msg->error.object[sizeof msg->error.object - 1] = '\0';
        msg->error.cause[sizeof msg->error.cause - 1] = '\0';
}

int nsl_msg_recv(int fd, struct nsl_msg *msg, int flags)
{
        ssize_t n;

        do
                n = recv(fd, msg, sizeof *msg, flags);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n == 0)
                return 0;
        if (n != (ssize_t)sizeof *msg)
                return -EBADMSG;
        terminate_strings(msg);
        return 1;
}

int nsl_send_with_fds(int fd, const void *buf, size_t len, const int *fds, size_t n_fds)
{
        union {
                char buf[CMSG_SPACE(NSL_MAX_PASSED_FDS * sizeof(int))];
                struct cmsghdr align;
        } control = { 0 };
        struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = n_fds ? control.buf : NULL,
                             .msg_controllen = n_fds ? CMSG_SPACE(n_fds * sizeof(int)) : 0 };
        ssize_t n;

        if (n_fds > NSL_MAX_PASSED_FDS)
                return -EINVAL;
        if (n_fds) {
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
                memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
        }
        do
                n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return n == (ssize_t)len ? 0 : -EIO;
}

/* Every fd that came along is taken, also from a message refused after. */
ssize_t nsl_recv_with_fds(int fd, void *buf, size_t size, int flags, int fds[NSL_MAX_PASSED_FDS], size_t *n_fds)
{
        union {
                char buf[CMSG_SPACE(NSL_MAX_PASSED_FDS * sizeof(int))];
                struct cmsghdr align;
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof control.buf };
        ssize_t n;

        *n_fds = 0;
        do
                n = recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k && *n_fds < NSL_MAX_PASSED_FDS; i++)
                        memcpy(&fds[(*n_fds)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        }
        if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
                for (size_t i = 0; i < *n_fds; i++)
                        close(fds[i]);
                *n_fds = 0;
                return -EBADMSG;
        }
        return n;
}

int nsl_msg_send_fd(int fd, const struct nsl_msg *msg, int passed)
{
        return nsl_send_with_fds(fd, msg, sizeof *msg, &passed, 1);
}

int nsl_msg_recv_fds(int fd, struct nsl_msg *msg, int flags, int *passed, size_t n_passed)
{
        int fds[NSL_MAX_PASSED_FDS];
        size_t n_fds;
        ssize_t n = nsl_recv_with_fds(fd, msg, sizeof *msg, flags, fds, &n_fds);

        for (size_t i = 0; i < n_passed; i++)
                passed[i] = -1;
        for (size_t i = 0; i < n_fds; i++) {
                if (i < n_passed && n == (ssize_t)sizeof *msg)
                        passed[i] = fds[i];
                else
                        close(fds[i]);
        }
        if (n <= 0)
                return (int)n;
        if (n != (ssize_t)sizeof *msg)
                return -EBADMSG;
        terminate_strings(msg);
        return 1;
}

int nsl_msg_recv_fd(int fd, struct nsl_msg *msg, int flags, int *passed)
{
        return nsl_msg_recv_fds(fd, msg, flags, passed, 1);
}

void nsl_msg_send_error(int fd, const nsl_error *error)
{
        struct nsl_msg msg = { .type = NSL_MSG_ERROR, .error = *error };
        (void)nsl_msg_send(fd, &msg);
}

void nsl_msg_write_error(int fd, const nsl_error *error)
{
        struct nsl_msg msg = { .type = NSL_MSG_ERROR, .error = *error };
        ssize_t n;

        do
                n = write(fd, &msg, sizeof msg);
        while (n < 0 && errno == EINTR);
}

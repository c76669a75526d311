#include "sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
        msg->error.what[sizeof msg->error.what - 1] = '\0';
        msg->error.object[sizeof msg->error.object - 1] = '\0';
        msg->error.cause[sizeof msg->error.cause - 1] = '\0';
        return 1;
}

int nsl_msg_send_fd(int fd, const struct nsl_msg *msg, int passed)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control = { 0 };
        struct iovec iov = { .iov_base = (void *)msg, .iov_len = sizeof *msg };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof control.buf };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        ssize_t n;

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &passed, sizeof passed);
        do
                n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return n == (ssize_t)sizeof *msg ? 0 : -EIO;
}

int nsl_msg_recv_fd(int fd, struct nsl_msg *msg, int flags, int *passed)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct iovec iov = { .iov_base = msg, .iov_len = sizeof *msg };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof control.buf };
        ssize_t n;

        *passed = -1;
        do
                n = recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
                        memcpy(passed, CMSG_DATA(c), sizeof *passed);
        if (n == 0)
                return 0;
        if (n != (ssize_t)sizeof *msg || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
                if (*passed >= 0)
                        close(*passed);
                *passed = -1;
                return -EBADMSG;
        }
        msg->error.what[sizeof msg->error.what - 1] = '\0';
        msg->error.object[sizeof msg->error.object - 1] = '\0';
        msg->error.cause[sizeof msg->error.cause - 1] = '\0';
        return 1;
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

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

/* Messages between nslaunch and its sandbox over a SOCK_SEQPACKET pair. */
#ifndef NSL_SYNC_H
#define NSL_SYNC_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "nslaunch.h"

enum nsl_msg_type {
        NSL_MSG_GO = 1,         /* parent -> init: id maps are written; passes the start pipe's read end
                                 * when the command is to wait for nsl_sandbox_start */
        NSL_MSG_SIGNAL,         /* parent -> init: status = a signal for the command */
        NSL_MSG_SIGNAL_ALL,     /* parent -> init: status = a signal for every process of the sandbox */
        NSL_MSG_ERROR,          /* init or payload -> parent: set-up failed */
        NSL_MSG_EXIT,           /* init -> parent: the payload's wait status */
        NSL_MSG_EXECED,         /* init -> parent: the payload's execve is done (or failed) */
        NSL_MSG_LISTENER,       /* payload -> parent: its pidfd attached; status = the fd number its
                                 * seccomp listener is about to get */
        NSL_MSG_DETACH,         /* parent -> init, before start: run on without nslaunch from now on */
        NSL_MSG_DETACHED,       /* init -> parent: done (its parent-death signal is off) */
        NSL_MSG_SOURCE,         /* parent -> init, before GO: a cloned bind source attached; status = its
                                 * slot in struct nsl_sources */
        NSL_MSG_EXEC_PID,       /* nsl_exec's joiner -> caller: status = the new process's pid */
        NSL_MSG_WAITING,        /* payload -> parent: built, waiting for a command given at start; init ->
                                 * parent: built, waiting for start */
        NSL_MSG_NETWORK,        /* network helper -> parent: a private network's namespace is made (its
                                 * fd and the user namespace's come along, then the fds status names:
                                 * enum nsl_net_sent) */
        NSL_MSG_ROOT_BUILT,     /* init -> parent: the root is built, before pivot_root (nsl_spec_on_root_built) */
        NSL_MSG_GO_ON,          /* parent -> init: the caller is done with the root as built */
};

/* NSL_MSG_NETWORK's status: the fds that follow the two namespaces, in this
 * order. */
enum nsl_net_sent {
        NSL_NET_SENT_LOG = 1,           /* the refusals' log socket */
        NSL_NET_SENT_FORWARD4 = 2,      /* the forwarder's listening socket on 127.0.0.1 */
        NSL_NET_SENT_FORWARD6 = 4,      /* and on ::1 */
};

struct nsl_msg {
        uint32_t type;
        int32_t status;
        nsl_error error;
        int64_t user_us, sys_us;        /* EXIT: the CPU time of init and of every process it reaped */
        struct timespec at;             /* EXECED: CLOCK_MONOTONIC when init saw the execve */
};

int nsl_msg_send(int fd, const struct nsl_msg *msg);
/* 1 with *msg filled, 0 at end of stream, -errno on error. */
int nsl_msg_recv(int fd, struct nsl_msg *msg, int flags);
/* The same, passing one fd along (SCM_RIGHTS). */
int nsl_msg_send_fd(int fd, const struct nsl_msg *msg, int passed);
/* nsl_msg_recv that also takes a passed fd (close-on-exec; -1 if none). */
int nsl_msg_recv_fd(int fd, struct nsl_msg *msg, int flags, int *passed);
/* The same for up to n_passed fds, in the order sent (-1 for each missing;
 * any beyond them closed). */
int nsl_msg_recv_fds(int fd, struct nsl_msg *msg, int flags, int *passed, size_t n_passed);
/* One message of len bytes with up to NSL_MAX_PASSED_FDS fds beside it. */
#define NSL_MAX_PASSED_FDS 5
int nsl_send_with_fds(int fd, const void *buf, size_t len, const int *fds, size_t n_fds);
/* The message's length (0 at end of stream) or -errno; the fds that came
 * along, close-on-exec, are the caller's in fds[0..*n_fds). */
ssize_t nsl_recv_with_fds(int fd, void *buf, size_t size, int flags, int fds[NSL_MAX_PASSED_FDS], size_t *n_fds);
/* Sends an error; failures to send are ignored (the exit status still tells). */
void nsl_msg_send_error(int fd, const nsl_error *error);
/* The same with write(2), for the payload once its seccomp filter is on: a
 * profile may refuse sendmsg/sendto, hardly ever write. */
void nsl_msg_write_error(int fd, const nsl_error *error);

#endif

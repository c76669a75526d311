/* A seccomp agent (the OCI runtime spec's linux.seccomp.listenerPath): the
 * process that answers the calls a filter hands out with SCMP_ACT_NOTIFY.
 * The caller connects to it; the process loads its filter as its last stage
 * and sends the listener there, beside the container process state, which
 * nslaunch writes for it into a pipe once the process's pid is known. */
#ifndef NSL_SECCOMP_AGENT_H
#define NSL_SECCOMP_AGENT_H

#include <linux/filter.h>
#include <stdbool.h>
#include <sys/types.h>

#include "nslaunch.h"

/* The container process state, its fields as the caller gave them and the
 * pids nslaunch fills in: at most this long, so that the pipe holds it
 * whole and its writer never waits for a process still being built. */
#define NSL_AGENT_MESSAGE_MAX (64 * 1024)

struct nsl_agent_plan {
        int socket;             /* connected to the agent; -1: no agent (or no call for it) */
        char *metadata;         /* listenerMetadata, "" when none */
        char *state;            /* the container's state as JSON; its pid is nslaunch's to fill */
};

/* Whether a filter hands any call to a listener (SECCOMP_RET_USER_NOTIF). */
bool nsl_agent_filter_notifies(const struct sock_filter *insns, unsigned short len);
void nsl_agent_plan_free(struct nsl_agent_plan *agent);

/* Adds the agent's socket and the state pipe's read end to a sorted list of
 * fds kept (room for two more): the process holds both until its seccomp
 * stage. */
void nsl_agent_keep_fds(const struct nsl_agent_plan *agent, int state_fd, int *keep, size_t *n);
/* The pipe the state goes through: fds[0] for the process, fds[1] for
 * nsl_agent_write_state. Both close-on-exec. */
int nsl_agent_pipe(int fds[2], nsl_error *error);
/* Writes the state for the process pid (as the caller numbers it) of the
 * sandbox whose init is init_pid, whole, without waiting, then closes fd. */
int nsl_agent_write_state(const struct nsl_agent_plan *agent, int fd, pid_t pid, pid_t init_pid, nsl_error *error);
/* The process's side, its last stage: reads the state (to its end), loads
 * the filter with a listener and sends both on the agent's socket, then
 * closes the listener, the socket and the pipe. */
int nsl_agent_load_and_hand_over(const struct nsl_agent_plan *agent, int state_fd, const struct sock_filter *insns,
                                 unsigned short len, unsigned flags, nsl_error *error);

#endif

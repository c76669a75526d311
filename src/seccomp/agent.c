#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../json.h"
#include "../sync.h"
#include "filter.h"

bool nsl_agent_filter_notifies(const struct sock_filter *insns, unsigned short len)
{
        for (unsigned short i = 0; insns && i < len; i++)
                if (BPF_CLASS(insns[i].code) == BPF_RET && BPF_RVAL(insns[i].code) == BPF_K &&
                    (insns[i].k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF)
                        return true;
        return false;
}

void nsl_agent_plan_free(struct nsl_agent_plan *agent)
{
        free(agent->metadata);
        free(agent->state);
        *agent = (struct nsl_agent_plan){ .socket = -1 };
}

void nsl_agent_keep_fds(const struct nsl_agent_plan *agent, int state_fd, int *keep, size_t *n)
{
        if (agent->socket < 0)
                return;
        nsl_fd_list_insert(keep, n, agent->socket);
        nsl_fd_list_insert(keep, n, state_fd);
}

/* Above stdio: the process's stdio stage would replace a 0, 1 or 2. */
int nsl_agent_pipe(int fds[2], nsl_error *error)
{
        int r;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return nsl_fail(error, errno, "seccomp-agent", "pipe", NULL);
        if ((r = nsl_fd_above_stdio(&fds[0])) < 0 || (r = nsl_fd_above_stdio(&fds[1])) < 0) {
                close(fds[0]);
                close(fds[1]);
                return nsl_fail(error, -r, "seccomp-agent", "pipe", NULL);
        }
        return 0;
}

/* The OCI runtime spec's container process state (config-linux.md): the
 * state of the container, with its init's pid, and the process's own pid,
 * as the caller numbers them. */
static char *process_state(const struct nsl_agent_plan *agent, pid_t pid, pid_t init_pid, nsl_error *error)
{
        _cleanup_json_ json_object *msg = json_object_new_object();
        json_object *state = json_tokener_parse(agent->state), *fds = json_object_new_array(), *version;
        char *text = NULL;

        if (!msg || !state || !fds || json_object_array_add(fds, json_object_new_string("seccompFd")) < 0) {
                json_object_put(state);
                json_object_put(fds);
                nsl_fail(error, ENOMEM, "seccomp-agent", "state", NULL);
                return NULL;
        }
        json_object_object_add(state, "pid", json_object_new_int(init_pid));
        version = json_object_object_get(state, "ociVersion");
        json_object_object_add(msg, "ociVersion", version ? json_object_get(version) : json_object_new_string("1.2.0"));
        json_object_object_add(msg, "fds", fds);
        json_object_object_add(msg, "pid", json_object_new_int(pid));
        json_object_object_add(msg, "metadata", json_object_new_string(agent->metadata));
        json_object_object_add(msg, "state", state);
        text = strdup(json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        if (!text)
                nsl_fail(error, ENOMEM, "seccomp-agent", "state", NULL);
        return text;
}

/* The process reads the state only once it is built, after start for a
 * container: the pipe must take it whole now. */
static int make_room(int fd, size_t len, nsl_error *error)
{
        int capacity = fcntl(fd, F_GETPIPE_SZ);

        if (capacity >= 0 && (size_t)capacity >= len)
                return 0;
        if (fcntl(fd, F_SETPIPE_SZ, (int)len) < 0)
                return nsl_fail(error, errno, "seccomp-agent", "state",
                                "a pipe of %zu bytes for the container process state: %s", len, strerror(errno));
        return 0;
}

int nsl_agent_write_state(const struct nsl_agent_plan *agent, int fd, pid_t pid, pid_t init_pid, nsl_error *error)
{
        _cleanup_close_ int pipe_fd = fd;
        _cleanup_free_ char *text = process_state(agent, pid, init_pid, error);
        size_t len;
        ssize_t n;
        int r;

        if (!text)
                return -ENOMEM;
        len = strlen(text);
        if (len > NSL_AGENT_MESSAGE_MAX)
                return nsl_fail(error, E2BIG, "seccomp-agent", "state", "the container process state is %zu bytes, "
                                "more than the %d a seccomp agent is sent", len, NSL_AGENT_MESSAGE_MAX);
        if ((r = make_room(pipe_fd, len, error)) < 0)
                return r;
        if (fcntl(pipe_fd, F_SETFL, O_NONBLOCK) < 0)
                return nsl_fail(error, errno, "seccomp-agent", "state", NULL);
        n = write(pipe_fd, text, len);
        if (n != (ssize_t)len)
                return nsl_fail(error, n < 0 ? errno : EIO, "seccomp-agent", "state", "cannot pass it on");
        return 0;
}

/* Between the load and the send the process makes no call but sendmsg,
 * which a profile may not hand to the agent (profile.c); after the send
 * the agent holds the listener and answers whatever the filter hands it.
 * The whole state is read before the filter is on (reading it after could
 * be a call the filter hands to an agent that has no listener yet), into a
 * buffer mapped, not allocated: the payload may share init's heap. */
int nsl_agent_load_and_hand_over(const struct nsl_agent_plan *agent, int state_fd, const struct sock_filter *insns,
                                 unsigned short len, unsigned flags, nsl_error *error)
{
        char *buf = mmap(NULL, NSL_AGENT_MESSAGE_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ssize_t n;
        int listener, r;

        if (buf == MAP_FAILED)
                return nsl_fail(error, errno, "seccomp-agent", "state", NULL);
        n = nsl_read_to_end(state_fd, buf, NSL_AGENT_MESSAGE_MAX);
        close(state_fd);
        if (n <= 0) {
                munmap(buf, NSL_AGENT_MESSAGE_MAX);
                return nsl_fail(error, n < 0 ? (int)-n : EPIPE, "seccomp-agent", "state",
                                "nslaunch gave no container process state");
        }
        listener = nsl_sc_load_listener(insns, len, flags, error);
        if (listener < 0) {
                munmap(buf, NSL_AGENT_MESSAGE_MAX);
                return listener;
        }
        r = nsl_send_with_fds(agent->socket, buf, (size_t)n, &listener, 1);
        if (r < 0)
                return nsl_fail(error, -r, "seccomp-agent", "listenerPath", "cannot send the listener to the agent");
        close(listener);
        close(agent->socket);
        munmap(buf, NSL_AGENT_MESSAGE_MAX);
        return 0;
}

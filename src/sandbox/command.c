/* The payload's side of a command given at start: the message checked and
 * indexed in a mapping of its own (never malloc: init and the payload are
 * copies of a caller that may have other threads), the fds that came with
 * it made the command's 0, 1 and 2. The payload shares init's memory, and
 * init, suspended until the payload has exec'd (CLONE_VFORK), unmaps it
 * then. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../command.h"
#include "../error.h"
#include "../fds.h"
#include "../sync.h"
#include "ctx.h"

struct received {
        char buf[NSL_COMMAND_MAX_BYTES + 1];    /* one more: a longer message is truncated, and refused */
        char *vec[NSL_COMMAND_MAX_WORDS + 2];
        char *envp[];                           /* the plan's entries and the given ones */
};

static int take_fds(const int stdio[3], const int *fds, size_t n_fds, nsl_error *error)
{
        for (size_t i = 0; i < n_fds; i++)
                if (nsl_fd_usable_as_stdio(fds[i]) < 0)
                        return nsl_fail(error, EISDIR, "wait-for-command", "", "a directory as the command's stdio: "
                                                                             "refused");
        return nsl_stdio_take(stdio, error);
}

static int receive(struct nsl_ctx *ctx, nsl_error *error)
{
        const size_t size = sizeof(struct received) + (ctx->plan->n_envp + NSL_COMMAND_MAX_WORDS + 1) * sizeof(char *);
        struct received *in = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        struct nsl_command command;
        int fds[NSL_MAX_PASSED_FDS], stdio[3];
        size_t n_fds = 0, len;
        int r;

        if (in == MAP_FAILED)
                return nsl_fail(error, errno, "wait-for-command", "", NULL);
        ctx->command_mem = in;
        ctx->command_mem_size = size;
        r = nsl_command_recv(ctx->start_fd, in->buf, in->vec, ELEMENTSOF(in->vec), &command, stdio, fds, &n_fds,
                             &len);
        if (r == -ECANCELED)
                r = nsl_fail(error, ECANCELED, "wait-for-command", "", "the sandbox was never started");
        else if (r == -EBADMSG && len == 1)
                r = nsl_fail(error, EINVAL, "wait-for-command", "", "started without its command, which this sandbox "
                                                                  "waits for (nsl_sandbox_start_command)");
        else if (r == -EBADMSG)
                r = nsl_fail(error, EBADMSG, "wait-for-command", "", "the command given at start is malformed");
        else if (r < 0)
                r = nsl_fail(error, r == -EMSGSIZE ? EBADMSG : -r, "wait-for-command", "", "cannot take its command");
        else
                r = take_fds(stdio, fds, n_fds, error);
        for (size_t i = 0; i < n_fds; i++)
                close(fds[i]);
        if (r < 0)
                return r;
        nsl_env_merge(ctx->plan->envp, command.env, in->envp);
        ctx->argv = command.argv;
        ctx->envp = in->envp;
        ctx->search_path = nsl_env_path(ctx->envp, ctx->plan->search_path);
        return 0;
}

/* Tells nslaunch the sandbox is built (its creation ends there), then
 * blocks until the command comes. */
int nsl_stage_wait_for_command(struct nsl_ctx *ctx, nsl_error *error)
{
        struct nsl_msg waiting = { .type = NSL_MSG_WAITING };
        int r;

        if (!ctx->plan->command_at_start)
                return 0;
        if (nsl_msg_send(ctx->sync_fd, &waiting) < 0)
                return nsl_fail(error, EPIPE, "wait-for-command", "", "nslaunch went away");
        r = receive(ctx, error);
        nsl_closep(&ctx->start_fd);
        ctx->start_fd = -1;
        return r;
}

void nsl_command_release(struct nsl_ctx *ctx)
{
        if (ctx->command_mem)
                munmap(ctx->command_mem, ctx->command_mem_size);
        ctx->command_mem = NULL;
}

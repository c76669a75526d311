/* A pid namespace init shares (a joined one, or the host's) does not end
 * when init does. init is then the subreaper of everything the command
 * starts, finds it through the children files of the host's procfs (opened
 * before the pivot; its numbers are that procfs's, so each process is
 * signalled through its /proc/PID directory, a pidfd), and ends it itself
 * once the command has ended. init may be the clone of a threaded caller:
 * its buffers are mappings of its own, never malloc's (docs/design.md). */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../syscalls.h"
#include "ctx.h"

#define MAX_DEPTH 64
#define MAX_CHILDREN_LIST (1 << 20)      /* 100 000 pids and more */

bool nsl_pid_ns_shared(const struct nsl_plan *plan)
{
        return plan->join_ns[NSL_JOIN_PID] != NULL;
}

int nsl_stage_shared_pid(struct nsl_ctx *ctx, nsl_error *error)
{
        if (!nsl_pid_ns_shared(ctx->plan))
                return 0;
        ctx->host_proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (ctx->host_proc_fd < 0)
                return nsl_fail(error, errno, "shared-pid", "/proc", NULL);
        if (!nsl_fd_on_fs(ctx->host_proc_fd, PROC_SUPER_MAGIC))
                return nsl_fail(error, EPERM, "shared-pid", "/proc", "not procfs");
        if (faccessat(ctx->host_proc_fd, "thread-self/children", R_OK, 0) < 0)
                return nsl_fail(error, errno, "shared-pid", "/proc/thread-self/children",
                                "a shared pid namespace needs the kernel's children lists (CONFIG_PROC_CHILDREN)");
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                return nsl_fail(error, errno, "shared-pid", "subreaper", NULL);
        return 0;
}

static void signal_one_and_below(int proc_fd, long pid, int sig, int depth);

/* The children one thread of a process started (path: PID/task/TID), read
 * whole, off the stack: the walk recurses. */
static void signal_children_of_task(int proc_fd, const char *path, int sig, int depth)
{
        char file[sizeof "/children" + 48 + 256];
        snprintf(file, sizeof file, "%s/children", path);
        _cleanup_close_ int fd = openat(proc_fd, file, O_RDONLY | O_CLOEXEC);
        _cleanup_mapping_ struct nsl_mapping list = { 0 };
        size_t len;

        if (fd < 0 || nsl_read_fd_mapped(fd, MAX_CHILDREN_LIST, &list, &len) < 0)
                return;
        for (char *p = list.p, *end; *p; p = end) {
                long child = strtol(p, &end, 10);
                if (end == p)
                        break;
                signal_one_and_below(proc_fd, child, sig, depth + 1);
        }
}

struct walk {
        int proc_fd;
        char tasks[48];         /* PID/task */
        int sig;
        int depth;
};

static int signal_children_of(const char *task, void *data, nsl_error *error)
{
        const struct walk *walk = data;
        char path[sizeof walk->tasks + 256];       /* d_name's size */

        (void)error;
        snprintf(path, sizeof path, "%s/%s", walk->tasks, task);
        signal_children_of_task(walk->proc_fd, path, walk->sig, walk->depth);
        return 0;
}

/* Every process below PID (a name in the host procfs: "self" or a number).
 * The directory's buffer is mapped: on the stack it would be held at every
 * level of the recursion. */
static void signal_below(int proc_fd, const char *pid, int sig, int depth)
{
        struct walk walk = { .proc_fd = proc_fd, .sig = sig, .depth = depth };
        snprintf(walk.tasks, sizeof walk.tasks, "%s/task", pid);
        _cleanup_close_ int fd = depth < MAX_DEPTH ? openat(proc_fd, walk.tasks, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        _cleanup_mapping_ struct nsl_mapping buf = { 0 };

        if (fd < 0 || nsl_map_anonymous(&buf, NSL_DIR_BUFFER_SIZE) < 0)
                return;
        /* no error: signal_children_of makes none, and one is 870 bytes a level */
        (void)nsl_dir_each_in(fd, buf.p, buf.size, signal_children_of, &walk, NULL);
}

/* The signal first, so that a SIGKILLed process forks no more. */
static void signal_one_and_below(int proc_fd, long pid, int sig, int depth)
{
        char name[24];
        snprintf(name, sizeof name, "%ld", pid);
        _cleanup_close_ int pidfd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (pidfd < 0)
                return;
        (void)nsl_pidfd_send_signal(pidfd, sig);
        signal_below(proc_fd, name, sig, depth);
}

void nsl_descendants_signal(const struct nsl_ctx *ctx, int sig)
{
        signal_below(ctx->host_proc_fd, "self", sig, 0);
}

/* Until init has no child left: each round kills every process below it,
 * reaps those dead by then and waits for one more; the orphans of the dead
 * are init's children in the next round. */
void nsl_descendants_end(const struct nsl_ctx *ctx)
{
        for (;;) {
                pid_t pid;

                nsl_descendants_signal(ctx, SIGKILL);
                while ((pid = waitpid(-1, NULL, __WALL | WNOHANG)) > 0)
                        ;
                if (pid < 0 && errno == ECHILD)
                        return;
                if (waitpid(-1, NULL, __WALL) < 0 && errno == ECHILD)
                        return;
        }
}

/* The OCI console (--console-socket). A pty is opened in the sandbox's own
 * devpts, so the terminal is the sandbox's and no one else's: its master
 * goes to the engine over the socket, the payload makes the slave its
 * controlling terminal in the session it leads. Nothing of the host's
 * terminals is involved; the claim-tty stage still keeps the caller's own
 * (init's 0-2) out of the payload's reach, and the payload's 0-2 are the
 * slave anyway. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../sync.h"
#include "ctx.h"
#include "mount.h"

#define PTMX_MAJOR 5
#define PTMX_MINOR 2

/* The ptmx of the devpts the root holds, never a file the image put there:
 * resolved in the root, and checked to be the multiplexer device. */
static int open_ptmx(nsl_error *error)
{
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int ptmx = -1;
        struct stat st;

        if (root < 0)
                return nsl_fail(error, errno, "console", "/", NULL);
        ptmx = nsl_open_in_root(root, "/dev/ptmx", O_RDWR | O_NOCTTY, 0);
        if (ptmx == -ENOENT)    /* a devpts at /dev/pts without the /dev/ptmx link */
                ptmx = nsl_open_in_root(root, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, 0);
        if (ptmx < 0)
                return nsl_fail(error, -ptmx, "console", "/dev/ptmx", "the sandbox has no devpts to open a pty in");
        if (fstat(ptmx, &st) < 0)
                return nsl_fail(error, errno, "console", "/dev/ptmx", NULL);
        if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != PTMX_MAJOR || minor(st.st_rdev) != PTMX_MINOR)
                return nsl_fail(error, EPERM, "console", "/dev/ptmx", "not the pty multiplexer (5:2)");
        return TAKE_FD(ptmx);
}

/* One message, one fd, the pty's name as its data: what conmon and
 * containerd's shim read. */
static int send_master(int sock, int master, const char *name, nsl_error *error)
{
        int r = nsl_send_with_fds(sock, name, strlen(name), &master, 1);

        if (r < 0)
                return nsl_fail(error, -r, "console", "console-socket", "cannot send the pty's master");
        return 0;
}

/* Opens the pty, sends its master and closes the socket; the slave
 * (close-on-exec) is left in ctx->console_fd for the payload. */
int nsl_console_open(struct nsl_ctx *ctx, int sock, nsl_error *error)
{
        const struct nsl_plan *plan = ctx->plan;
        _cleanup_close_ int master = -1;
        _cleanup_close_ int slave = -1;
        int unlock = 0, number = -1, r;
        char name[32];

        master = open_ptmx(error);
        if (master < 0)
                return master;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &number) < 0)
                return nsl_fail(error, errno, "console", "/dev/ptmx", "cannot unlock the pty");
        /* by the master, not by a path the sandbox could have swapped */
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return nsl_fail(error, errno, "console", "/dev/ptmx", "cannot open the pty's slave");
        if (plan->console_rows || plan->console_cols) {
                struct winsize size = { .ws_row = plan->console_rows, .ws_col = plan->console_cols };
                if (ioctl(slave, TIOCSWINSZ, &size) < 0)
                        return nsl_fail(error, errno, "console", "console-size", NULL);
        }
        snprintf(name, sizeof name, "/dev/pts/%d", number);
        r = send_master(sock, master, name, error);
        if (r < 0)
                return r;
        /* above 2, or dup2 onto itself would leave it close-on-exec */
        if ((r = nsl_fd_above_stdio(&slave)) < 0)
                return nsl_fail(error, -r, "console", "", NULL);
        ctx->console_fd = TAKE_FD(slave);
        return 0;
}

int nsl_stage_console(struct nsl_ctx *ctx, nsl_error *error)
{
        int r;

        if (ctx->plan->console_socket < 0)
                return 0;
        r = nsl_console_open(ctx, ctx->plan->console_socket, error);
        close(ctx->plan->console_socket);       /* init's copy: the engine holds the master now */
        /* init's 0, 1 and 2 were its creator's (create's output, an
         * engine's pipe, which would not end while the container waits
         * for start): the container's are its terminal from here */
        for (int fd = 0; r == 0 && fd <= 2; fd++)
                if (dup2(ctx->console_fd, fd) < 0)
                        r = nsl_fail(error, errno, "console", "", "cannot take the console as fd %d", fd);
        return r;
}

/* The payload leads a session of its own by now (setsid): the slave
 * becomes its controlling terminal and its 0, 1 and 2. */
int nsl_stage_controlling_tty(struct nsl_ctx *ctx, nsl_error *error)
{
        if (ctx->console_fd < 0)
                return 0;
        if (ioctl(ctx->console_fd, TIOCSCTTY, 0) < 0)
                return nsl_fail(error, errno, "controlling-tty", "", "cannot make the console the controlling terminal");
        for (int fd = 0; fd <= 2; fd++)
                if (dup2(ctx->console_fd, fd) < 0)
                        return nsl_fail(error, errno, "controlling-tty", "", "cannot take the console as fd %d", fd);
        return 0;
}

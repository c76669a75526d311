/* The caller's terminal. The payload runs in a session of its own, so it
 * has no controlling terminal and cannot TIOCSTI into the caller's. But a
 * terminal on 0-2 that is nobody's controlling terminal (a pty a daemon
 * hands over, one whose session leader has gone) could be made the
 * payload's own with TIOCSCTTY, since after setsid the payload leads its
 * session; TIOCSTI would then work. So init, which nslaunch controls, takes
 * a new session and claims such a terminal first: a terminal can belong to
 * one session only, and the payload's is another. A terminal that already
 * is someone's controlling terminal is refused here (EPERM), which is fine:
 * the payload cannot take it either. */
#include <errno.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "../error.h"
#include "ctx.h"

int nsl_stage_claim_tty(struct nsl_ctx *ctx, nsl_error *error)
{
        /* The command will be init: a session of init's would be its own.
         * It gets one in setsid, as under runc, and could then claim such a
         * terminal; what an OCI engine hands over is a pipe or a console of
         * the sandbox's own devpts. */
        if (ctx->plan->command_as_init)
                return 0;
        if (!isatty(0) && !isatty(1) && !isatty(2))
                return 0;
        if (setsid() < 0)
                return nsl_fail(error, errno, "init", "setsid", NULL);
        for (int fd = 0; fd <= 2; fd++)
                if (isatty(fd) && ioctl(fd, TIOCSCTTY, 0) == 0)
                        break;
        return 0;
}

/* runc's own terminal: a foreground run or exec whose process has a
 * terminal but no --console-socket gets the pty's master here, on a socket
 * pair nslaunch-runc makes, and a small child copies between the master
 * and nslaunch-runc's own stdio until the container's side is gone. The
 * caller's terminal, if stdin is one, is raw meanwhile (the container's
 * pty does the line editing and turns ^C into its SIGINT) and sized like
 * the caller's; SIGWINCH resizes it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "runc.h"
#include "sync.h"

int nsl_runc_tty_socket(struct nsl_runc_tty *tty, int *theirs, nsl_error *error)
{
        int pair[2], r;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
                return nsl_fail(error, errno, "process.terminal", "", "cannot make the console socket");
        /* above 2: the library refuses a console socket where stdio goes */
        if ((r = nsl_fd_above_stdio(&pair[0])) < 0 || (r = nsl_fd_above_stdio(&pair[1])) < 0) {
                close(pair[0]);
                close(pair[1]);
                return nsl_fail(error, -r, "process.terminal", "", "cannot make the console socket");
        }
        tty->ours = pair[0];
        *theirs = pair[1];
        return 0;
}

static int take_master(int sock, nsl_error *error)
{
        int fds[NSL_MAX_PASSED_FDS];
        size_t n = 0;
        char name[64];
        ssize_t len = nsl_recv_with_fds(sock, name, sizeof name, 0, fds, &n);

        for (size_t i = 1; i < n; i++)
                close(fds[i]);
        if (len > 0 && n >= 1)
                return fds[0];
        if (n >= 1)
                close(fds[0]);
        return nsl_fail(error, len < 0 ? (int)-len : EPIPE, "process.terminal", "", "the container sent no terminal");
}

static bool sized(int fd, struct winsize *size)
{
        return ioctl(fd, TIOCGWINSZ, size) == 0 && size->ws_row && size->ws_col;
}

/* The caller's terminal size: of the first of stdin, stdout and stderr
 * that is a terminal (with stdin redirected, the output's terminal). */
static void copy_size(int to)
{
        struct winsize size;

        for (int fd = 0; fd < 3; fd++)
                if (sized(fd, &size)) {
                        (void)ioctl(to, TIOCSWINSZ, &size);
                        return;
                }
}

/* Copies what one read gives; false once from has nothing more to give.
 * A reader that went away (to: -1 after EPIPE) does not stop the copy:
 * the container must never block on a full pty. */
static bool pass(int from, int *to)
{
        char buf[8192];
        ssize_t n = read(from, buf, sizeof buf);

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false;
        if (*to >= 0 && nsl_write_all(*to, buf, (size_t)n) < 0)
                *to = -1;
        return true;
}

static _Noreturn void pump(int master)
{
        sigset_t winch;
        int out = STDOUT_FILENO, in_to = master;

        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&winch);
        sigaddset(&winch, SIGWINCH);
        sigprocmask(SIG_BLOCK, &winch, NULL);
        _cleanup_close_ int resized = signalfd(-1, &winch, SFD_CLOEXEC);
        struct pollfd p[3] = { { .fd = master, .events = POLLIN },
                               { .fd = STDIN_FILENO, .events = POLLIN },
                               { .fd = resized, .events = POLLIN } };

        for (;;) {
                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        _exit(1);
                }
                if (p[2].revents) {
                        struct signalfd_siginfo info;
                        (void)!read(resized, &info, sizeof info);
                        copy_size(master);
                }
                /* stdin's end (</dev/null) leaves the container's input open, as runc does */
                if (p[1].revents && (!pass(STDIN_FILENO, &in_to) || in_to < 0))
                        p[1].fd = -1;
                /* EIO or hang-up: no process of the container holds the terminal any more */
                if (p[0].revents && !pass(master, &out))
                        _exit(0);
        }
}

int nsl_runc_tty_attach(struct nsl_runc_tty *tty, nsl_error *error)
{
        int keep[1];

        tty->master = take_master(tty->ours, error);
        nsl_close_slot(&tty->ours);
        if (tty->master < 0)
                return tty->master;
        if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &tty->saved) == 0) {
                struct termios raw = tty->saved;
                cfmakeraw(&raw);
                tty->raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
        }
        /* a consoleSize of the process's is the pty's already, and stays
         * until the caller's terminal is resized */
        struct winsize given;
        if (!sized(tty->master, &given))
                copy_size(tty->master);
        tty->pump = fork();
        if (tty->pump == 0) {
                keep[0] = tty->master;
                if (nsl_close_all_except(keep, 1) < 0)
                        _exit(1);
                pump(tty->master);
        }
        if (tty->pump < 0) {
                nsl_runc_tty_end(tty);
                return nsl_fail(error, errno, "process.terminal", "", "cannot start copying the terminal");
        }
        nsl_close_slot(&tty->master);       /* the pump's now: its end is the container's end */
        return 0;
}

void nsl_runc_tty_end(struct nsl_runc_tty *tty)
{
        if (tty->pump > 0)
                while (waitpid(tty->pump, NULL, 0) < 0 && errno == EINTR)
                        ;
        tty->pump = -1;
        if (tty->raw)
                (void)tcsetattr(STDIN_FILENO, TCSANOW, &tty->saved);
        tty->raw = false;
        nsl_close_slot(&tty->ours);
        nsl_close_slot(&tty->master);
}

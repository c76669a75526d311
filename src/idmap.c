#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "syscalls.h"

static int verify_procfs(int fd, const char *what, nsl_error *error)
{
        if (!nsl_fd_on_fs(fd, PROC_SUPER_MAGIC))
                return nsl_fail(error, EPERM, "idmap", what, "not on procfs: refusing to write through it");
        return 0;
}

static int write_proc_file(int pid_dir, const char *name, const char *text, nsl_error *error)
{
        _cleanup_close_ int fd = nsl_openat2(pid_dir, name, O_WRONLY | O_CLOEXEC,
                                             RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
        size_t len = strlen(text);
        int r;

        if (fd < 0)
                return nsl_fail(error, errno, "idmap", name, NULL);
        r = verify_procfs(fd, name, error);
        if (r < 0)
                return r;
        if (write(fd, text, len) != (ssize_t)len)
                return nsl_fail(error, errno, "idmap", name, "cannot write '%.*s'", (int)strcspn(text, "\n"), text);
        return 0;
}

/* /proc/PID of the process pidfd names, verified to be on procfs and (the
 * process blocks until we are done, so a live pidfd means this /proc/PID is
 * still it and not a recycled pid) to be that process. */
static int open_pid_dir(pid_t pid, int pidfd, const char *who, int *out, nsl_error *error)
{
        _cleanup_close_ int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int pid_dir = -1;
        char name[16];
        int r;

        if (proc < 0)
                return nsl_fail(error, errno, "idmap", "/proc", NULL);
        if ((r = verify_procfs(proc, "/proc", error)) < 0)
                return r;
        snprintf(name, sizeof name, "%d", (int)pid);
        pid_dir = nsl_openat2(proc, name, O_PATH | O_DIRECTORY | O_CLOEXEC,
                              RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
        if (pid_dir < 0)
                return nsl_fail(error, errno, "idmap", name, NULL);
        if ((r = verify_procfs(pid_dir, name, error)) < 0)
                return r;
        if (nsl_pidfd_send_signal(pidfd, 0) < 0)
                return nsl_fail(error, errno, "idmap", name, "%s died before its ids were mapped", who);
        *out = TAKE_FD(pid_dir);
        return 0;
}

static int write_map(int pid_dir, const char *name, const struct nsl_id_range *maps, size_t n, nsl_error *error)
{
        char text[NSL_MAX_ID_MAPS * 36] = "";
        size_t len = 0;

        for (size_t i = 0; i < n && i < NSL_MAX_ID_MAPS; i++)
                len += (size_t)snprintf(text + len, sizeof text - len, "%u %u %u\n", maps[i].inside, maps[i].outside,
                                        maps[i].count);
        return write_proc_file(pid_dir, name, text, error);
}

/* setgroups stays allowed only when root writes the maps and the sandbox
 * needs supplementary groups of its own (an unprivileged writer must deny
 * it before gid_map). */
static int write_maps(int pid_dir, const struct nsl_id_range *uid_maps, size_t n_uid, const struct nsl_id_range *gid_maps,
                      size_t n_gid, bool setgroups_allowed, nsl_error *error)
{
        int r;

        if (!setgroups_allowed && (r = write_proc_file(pid_dir, "setgroups", "deny", error)) < 0)
                return r;
        if ((r = write_map(pid_dir, "gid_map", gid_maps, n_gid, error)) < 0)
                return r;
        return write_map(pid_dir, "uid_map", uid_maps, n_uid, error);
}

bool nsl_id_outside(const struct nsl_id_range *maps, size_t n, uint32_t inside, uint32_t *outside)
{
        for (size_t i = 0; i < n; i++)
                if (inside >= maps[i].inside && inside - maps[i].inside < maps[i].count) {
                        *outside = maps[i].outside + (inside - maps[i].inside);
                        return true;
                }
        return false;
}

int nsl_idmap_write(pid_t pid, int pidfd, const struct nsl_plan *plan, nsl_error *error)
{
        _cleanup_close_ int pid_dir = -1;
        int r = open_pid_dir(pid, pidfd, "the sandbox", &pid_dir, error);

        if (r < 0)
                return r;
        return write_maps(pid_dir, plan->uid_maps, plan->n_uid_maps, plan->gid_maps, plan->n_gid_maps,
                          plan->setgroups_allowed, error);
}

int nsl_oom_score_adj_write(pid_t pid, int pidfd, int adj, nsl_error *error)
{
        _cleanup_close_ int pid_dir = -1;
        char text[16];
        int r = open_pid_dir(pid, pidfd, "the sandbox", &pid_dir, error);

        if (r < 0)
                return r;
        snprintf(text, sizeof text, "%d", adj);
        r = write_proc_file(pid_dir, "oom_score_adj", text, error);
        if (r < 0)
                snprintf(error->what, sizeof error->what, "oom-score-adj");
        return r;
}

/* The helper only holds its new user namespace until its parent has the
 * maps written and the namespace open; then the pipe's end lets it go. It
 * makes raw syscalls only: it is a copy of a possibly multithreaded caller. */
static _Noreturn void hold_namespace(int release_read, int release_write)
{
        char byte;

        close(release_write);
        while (read(release_read, &byte, 1) < 0 && errno == EINTR)
                ;
        _exit(0);
}

static int userns_of(pid_t pid, int pidfd, uid_t uid, uid_t host_uid, gid_t gid, gid_t host_gid, int *userns_fd,
                     nsl_error *error)
{
        _cleanup_close_ int pid_dir = -1;
        int r = open_pid_dir(pid, pidfd, "the idmap helper", &pid_dir, error);

        const struct nsl_id_range uid_map = { uid, host_uid, 1 }, gid_map = { gid, host_gid, 1 };

        if (r < 0 || (r = write_maps(pid_dir, &uid_map, 1, &gid_map, 1, false, error)) < 0)
                return r;
        /* ns/user is a magic link into nsfs: no RESOLVE_* flag of the
         * others applies; the directory it hangs in was verified above. */
        int fd = openat(pid_dir, "ns/user", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return nsl_fail(error, errno, "idmap", "ns/user", NULL);
        if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWUSER) {
                close(fd);
                return nsl_fail(error, EPERM, "idmap", "ns/user", "not a user namespace");
        }
        *userns_fd = fd;
        return 0;
}

bool nsl_userns_helper_reap(int *pidfd, bool wait)
{
        siginfo_t info = { .si_pid = 0 };

        if (*pidfd < 0)
                return true;
        nsl_pidfd_wait(*pidfd, __WALL | (wait ? 0 : WNOHANG), &info);
        if (!wait && info.si_pid == 0)
                return false;
        close(*pidfd);
        *pidfd = -1;
        return true;
}

int nsl_userns_with_map(uid_t uid, uid_t host_uid, gid_t gid, gid_t host_gid, int *userns_fd, int *helper_pidfd,
                        nsl_error *error)
{
        int pidfd = -1;
        int release[2];

        if (pipe2(release, O_CLOEXEC) < 0)
                return nsl_fail(error, errno, "idmap", "pipe", NULL);
        /* exit_signal 0: no SIGCHLD reaches a caller that embeds the library */
        struct nsl_clone_args args = { .flags = CLONE_NEWUSER | CLONE_PIDFD, .pidfd = (uint64_t)(uintptr_t)&pidfd };
        pid_t pid = nsl_clone3(&args);
        if (pid == 0)
                hold_namespace(release[0], release[1]);
        int clone_errno = errno;
        close(release[0]);
        int r = pid < 0 ? nsl_fail(error, clone_errno, "idmap", "clone3", "cannot create a user namespace")
                        : userns_of(pid, pidfd, uid, host_uid, gid, host_gid, userns_fd, error);
        close(release[1]);      /* the helper exits now, while the launch goes on */
        *helper_pidfd = pidfd;
        if (r < 0)
                nsl_userns_helper_reap(helper_pidfd, true);
        return r;
}

#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "syscalls.h"

static int verify_procfs(int fd, const char *what, nsl_error *error)
{
        struct statfs sfs;

        if (fstatfs(fd, &sfs) < 0)
                return nsl_fail(error, errno, "idmap", what, NULL);
        if (sfs.f_type != PROC_SUPER_MAGIC)
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

int nsl_idmap_write(pid_t pid, int pidfd, const struct nsl_plan *plan, nsl_error *error)
{
        _cleanup_close_ int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int pid_dir = -1;
        char name[16], map[64];
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
        /* The child blocks until we are done, so a live pidfd means this
         * /proc/PID is still the child and not a recycled pid. */
        if (nsl_pidfd_send_signal(pidfd, 0) < 0)
                return nsl_fail(error, errno, "idmap", name, "the sandbox died before its ids were mapped");

        if ((r = write_proc_file(pid_dir, "setgroups", "deny", error)) < 0)
                return r;
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)plan->gid, (unsigned)plan->host_gid);
        if ((r = write_proc_file(pid_dir, "gid_map", map, error)) < 0)
                return r;
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)plan->uid, (unsigned)plan->host_uid);
        return write_proc_file(pid_dir, "uid_map", map, error);
}

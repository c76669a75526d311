#include "kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "error.h"
#include "fds.h"
#include "proc-status.h"

/* Each probe passes arguments the kernel rejects before doing anything
 * (a size or flag no version accepts), so it has no effect: a kernel that
 * has the call answers EINVAL or EBADF, one that lacks it ENOSYS, and a
 * seccomp filter whatever errno it was written with. */
struct probe {
        const char *name;
        int major, minor; /* the release that brought it */
        bool may_need_privilege; /* EPERM before argument checks when unprivileged */
        long (*call)(void);
};

static long probe_clone3(void) { return syscall(SYS_clone3, NULL, 0); }
static long probe_openat2(void) { return syscall(SYS_openat2, -1, NULL, NULL, 0); }
static long probe_close_range(void) { return syscall(SYS_close_range, 1U, 0U, ~0U); }
static long probe_pidfd_open(void) { return syscall(SYS_pidfd_open, 0, ~0U); }
static long probe_open_tree(void) { return syscall(SYS_open_tree, -1, NULL, ~0U); }
static long probe_move_mount(void) { return syscall(SYS_move_mount, -1, NULL, -1, NULL, ~0U); }
static long probe_fsopen(void) { return syscall(SYS_fsopen, NULL, ~0U); }
static long probe_fsconfig(void) { return syscall(SYS_fsconfig, -1, ~0U, NULL, NULL, 0); }
static long probe_fsmount(void) { return syscall(SYS_fsmount, -1, ~0U, ~0U); }
static long probe_mount_setattr(void) { return syscall(SYS_mount_setattr, -1, NULL, ~0U, NULL, 0); }

static const struct probe probes[] = {
        { "clone3", 5, 3, false, probe_clone3 },
        { "pidfd_open", 5, 3, false, probe_pidfd_open },
        { "openat2", 5, 6, false, probe_openat2 },
        { "close_range", 5, 9, false, probe_close_range },
        { "open_tree", 5, 2, false, probe_open_tree },
        { "move_mount", 5, 2, true, probe_move_mount },
        { "fsopen", 5, 2, true, probe_fsopen },
        { "fsconfig", 5, 2, false, probe_fsconfig },
        { "fsmount", 5, 2, true, probe_fsmount },
        { "mount_setattr", 5, 12, false, probe_mount_setattr },
};

/* "6.1.0-56-amd64" -> 6, 1; false when the release does not start so. */
static bool kernel_release(const char *release, int *major, int *minor)
{
        return sscanf(release, "%d.%d", major, minor) == 2;
}

/* Whether this process runs under a seccomp filter (the Seccomp: line of
 * /proc/self/status is 2); false when that cannot be told. */
static bool under_seccomp_filter(void)
{
        char status[16384];
        const char *mode;

        if (nsl_read_once(AT_FDCWD, "/proc/self/status", 0, status, sizeof status) < 0)
                return false;
        mode = nsl_proc_status_field(status, "Seccomp");
        return mode && atoi(mode) == 2;
}

static int refused(const struct probe *p, int errnum, nsl_error *error)
{
        struct utsname u;
        int major, minor;
        bool kernel_older;

        if (uname(&u) < 0)
                snprintf(u.release, sizeof u.release, "unknown");
        kernel_older = kernel_release(u.release, &major, &minor) &&
                       (major < p->major || (major == p->major && minor < p->minor));
        if (errnum == ENOSYS && (kernel_older || !under_seccomp_filter()))
                return nsl_fail(error, ENOSYS, "kernel", u.release,
                                "has no %s(2), which came in Linux %d.%d: nslaunch needs Linux %s or newer",
                                p->name, p->major, p->minor, NSL_MIN_KERNEL);
        /* the cause names the error itself */
        return nsl_fail_errno(error, errnum, false, "kernel", u.release,
                        "%s(2) is refused (%s) by the seccomp filter nslaunch itself runs under: "
                        "allow it there (see README, Requirements); the command never gets it",
                        p->name, strerrorname_np(errnum) ? strerrorname_np(errnum) : strerror(errnum));
}

/* 0 when the kernel has the call and lets nslaunch make it, else the errno
 * that says it does not (ENOSYS, or a seccomp filter's). */
static int probe_errno(const struct probe *p)
{
        int errnum;

        if (p->call() >= 0)
                return 0;
        errnum = errno;
        if (errnum == EINVAL || errnum == EBADF || errnum == EFAULT)
                return 0;
        if (errnum == EPERM && p->may_need_privilege)
                return 0;
        return errnum;
}

int nsl_kernel_check(nsl_error *error)
{
        for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
                int errnum = probe_errno(&probes[i]);

                if (errnum)
                        return refused(&probes[i], errnum, error);
        }
        return 0;
}

size_t nsl_kernel_interfaces(nsl_kernel_interface *out, size_t n)
{
        size_t count = sizeof probes / sizeof probes[0];

        for (size_t i = 0; i < count && i < n; i++)
                out[i] = (nsl_kernel_interface){ .name = probes[i].name, .major = probes[i].major,
                                                 .minor = probes[i].minor, .errnum = probe_errno(&probes[i]) };
        return count;
}

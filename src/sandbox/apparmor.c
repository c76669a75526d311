/* The command's AppArmor profile (OCI process.apparmorProfile), asked for
 * as runc asks: "exec PROFILE" in the task's attr, which the kernel applies
 * at its next execve, the command's. The request goes through the
 * sandbox's own procfs, each step checked to be procfs: a fake /proc (an
 * image's directory) would take the write and leave the command unconfined. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "ctx.h"

/* attr/apparmor/exec since Linux 5.8, beside other LSMs'; attr/exec before */
static int open_exec_attr(int proc)
{
        int fd = openat(proc, "thread-self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);

        if (fd < 0 && errno == ENOENT)
                fd = openat(proc, "thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
        return fd;
}

int nsl_stage_apparmor(struct nsl_ctx *ctx, nsl_error *error)
{
        const char *profile = ctx->plan->apparmor_profile;
        _cleanup_close_ int proc = -1, attr = -1;
        char request[NSL_APPARMOR_PROFILE_MAX + 8];
        int len;

        if (!profile)
                return 0;
        proc = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (proc < 0)
                return nsl_fail(error, errno, "apparmor", profile, "cannot open /proc");
        if (!nsl_fd_on_fs(proc, PROC_SUPER_MAGIC))
                return nsl_fail(error, EPERM, "apparmor", profile, "/proc is not procfs: the profile cannot be asked for");
        if ((attr = open_exec_attr(proc)) < 0)
                return nsl_fail(error, errno, "apparmor", profile, "cannot open the task's attr/exec");
        if (!nsl_fd_on_fs(attr, PROC_SUPER_MAGIC))
                return nsl_fail(error, EPERM, "apparmor", profile, "attr/exec is not procfs's");
        len = snprintf(request, sizeof request, "exec %s", profile);
        if (write(attr, request, (size_t)len) != len)
                return nsl_fail(error, errno, "apparmor", profile,
                                errno == ENOENT ? "no profile of that name is loaded" : "cannot ask for the profile");
        return 0;
}

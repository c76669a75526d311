/* /proc: a fresh procfs of the sandbox's pid namespace. By default only the
 * processes (subset=pid) and only those the payload may see
 * (hidepid=invisible); --proc full gives the whole tree with the sensitive
 * files masked and the kernel tunables read-only. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../syscalls.h"
#include "ctx.h"
#include "dev.h"
#include "mount.h"

static const char *const masked[] = {
        "kcore", "keys", "latency_stats", "timer_list", "timer_stats", "sched_debug", "kmsg",
        "acpi", "asound", "scsi", "sysrq-trigger",
};
static const char *const read_only[] = { "sys", "irq", "bus", "fs" };

static int mask_entry(int proc_fd, const char *name, nsl_error *error)
{
        static const struct nsl_device null_dev = { "null", 1, 3 };
        static const struct nsl_fs_option empty[] = { { "mode", "0555" }, { "size", "4k" } };
        _cleanup_close_ int target = openat(proc_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int cover = -1;
        struct stat st;
        int r;

        if (target < 0)
                return errno == ENOENT ? 0 : nsl_fail(error, errno, "proc", name, NULL);
        if (fstat(target, &st) < 0)
                return nsl_fail(error, errno, "proc", name, NULL);
        r = S_ISDIR(st.st_mode)
                ? nsl_fs_new("tmpfs", empty, ELEMENTSOF(empty),
                             MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, &cover, error)
                : nsl_device_clone(&null_dev, &cover, error);
        if (r < 0)
                return r;
        return nsl_mount_attach(cover, target, name, error);
}

static int make_read_only(int proc_fd, const char *name, nsl_error *error)
{
        _cleanup_close_ int target = openat(proc_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int clone = -1;
        int r;

        if (target < 0)
                return errno == ENOENT ? 0 : nsl_fail(error, errno, "proc", name, NULL);
        r = nsl_tree_clone(target, "", NSL_CLONE_RECURSIVE, &clone, error);
        if (r < 0)
                return r;
        r = nsl_mount_set(clone, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, true,
                          name, error);
        if (r < 0)
                return r;
        return nsl_mount_attach(clone, target, name, error);
}

int nsl_stage_proc(struct nsl_ctx *ctx, nsl_error *error)
{
        static const struct nsl_fs_option pid_only[] = { { "subset", "pid" }, { "hidepid", "invisible" } };
        bool full = ctx->plan->proc_full;
        _cleanup_close_ int proc_fd = -1;
        _cleanup_close_ int target = -1;
        int r;

        r = nsl_fs_new("proc", full ? NULL : pid_only, full ? 0 : ELEMENTSOF(pid_only),
                       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, &proc_fd, error);
        if (r < 0)
                return r;
        target = nsl_open_mount_target(ctx->root_fd, "/proc", true, RESOLVE_NO_SYMLINKS, NULL, 0, error);
        if (target < 0)
                return target;
        r = nsl_mount_attach(proc_fd, target, "/proc", error);
        if (r < 0 || !full)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(masked); i++)
                if ((r = mask_entry(proc_fd, masked[i], error)) < 0)
                        return r;
        for (size_t i = 0; i < ELEMENTSOF(read_only); i++)
                if ((r = make_read_only(proc_fd, read_only[i], error)) < 0)
                        return r;
        return 0;
}

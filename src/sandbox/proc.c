/* /proc: a fresh procfs of the sandbox's pid namespace. By default only the
 * processes (subset=pid) and only those the payload may see
 * (hidepid=invisible); --proc full gives the whole tree with the sensitive
 * files masked and the kernel tunables read-only. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../proc-status.h"
#include "../syscalls.h"
#include "ctx.h"
#include "mount.h"
#include "paths.h"

static const char *const masked[] = {
        "kcore", "keys", "latency_stats", "timer_list", "timer_stats", "sched_debug", "kmsg",
        "acpi", "asound", "scsi", "sysrq-trigger",
};
static const char *const read_only[] = { "sys", "irq", "bus", "fs" };

/* /proc/NAME is on one of the plan's own lists (an engine's config lists
 * nearly all of these): the masked-paths or readonly-paths stage covers it,
 * once, after every mount. */
static bool listed(char *const *paths, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (!strncmp(paths[i], "/proc/", 6) && !strcmp(paths[i] + 6, name))
                        return true;
        return false;
}

/* name: an entry of /proc, not a symlink followed; absent: nothing to do. */
static int cover_entry(int proc_fd, const char *name, int (*cover)(int target, const char *object, nsl_error *error),
                       nsl_error *error)
{
        _cleanup_close_ int target = openat(proc_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

        if (target < 0)
                return errno == ENOENT ? 0 : nsl_fail(error, errno, "proc", name, NULL);
        return cover(target, name, error);
}

int nsl_proc_arg_and_env_area(unsigned long area[4], nsl_error *error)
{
        _cleanup_close_ int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
        char text[1024];
        ssize_t n;
        const char *p;

        if (fd < 0)
                return nsl_fail(error, errno, "proc", "/proc/self/stat", NULL);
        if (!nsl_fd_on_fs(fd, PROC_SUPER_MAGIC))
                return nsl_fail(error, EPERM, "proc", "/proc/self/stat", "not procfs");
        n = nsl_read_to_end(fd, text, sizeof text - 1);
        if (n < 0)
                return nsl_fail(error, (int)-n, "proc", "/proc/self/stat", NULL);
        text[n] = '\0';
        p = nsl_proc_stat_field(text, 48);
        if (!p || sscanf(p, "%lu %lu %lu %lu", &area[0], &area[1], &area[2], &area[3]) != 4 ||
            area[1] < area[0] || area[3] < area[2])
                return nsl_fail(error, EPROTO, "proc", "/proc/self/stat", "no argument area");
        return 0;
}

/* With the whole /proc, /proc/1/cmdline (readable by every process that
 * sees /proc/1) would show nslaunch's command line: host paths, --env
 * values, the status file. init blanks the argv and environment it shares
 * with nslaunch, in its own copy-on-write pages (the plan holds copies of
 * everything it still needs), and leaves "nslaunch" there. The area's last
 * byte is not NUL: the kernel then reads it as a title set by the process
 * and shows it up to the first NUL, so not even the length of nslaunch's
 * command line shows. Where they lie, the creator read before the clone
 * (nsl_proc_arg_and_env_area): read in init, beside the network helper
 * making its namespace, the first read of init's stat waited 0.8 ms. */
static void blank_inherited_command_line(const unsigned long area[4])
{
        static const char title[] = "nslaunch";
        char *args = (char *)area[0];
        size_t size = area[1] - area[0];

        memset((void *)area[2], 0, area[3] - area[2]);
        memset(args, 0, size);
        if (size > sizeof title) {
                memcpy(args, title, sizeof title);
                args[size - 1] = ' ';
        }
}

int nsl_proc_new(const struct nsl_plan *plan, int *mount_fd, nsl_error *error)
{
        static const struct nsl_fs_option pid_only[] = { { "subset", "pid" }, { "hidepid", "invisible" } };
        bool full = plan->proc_full;

        return nsl_fs_new("proc", full ? NULL : pid_only, full ? 0 : ELEMENTSOF(pid_only),
                          MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, mount_fd, error);
}

int nsl_stage_proc(struct nsl_ctx *ctx, nsl_error *error)
{
        bool full = ctx->plan->proc_full;
        _cleanup_close_ int proc_fd = TAKE_FD(ctx->sources.fd[NSL_SOURCE_PROC]);
        _cleanup_close_ int target = -1;
        int r;

        if (!ctx->plan->mount_proc)
                return 0;
        /* a joined pid namespace's is the host's to make (joined.c) */
        if (proc_fd < 0 && (r = nsl_proc_new(ctx->plan, &proc_fd, error)) < 0)
                return r;
        target = nsl_open_mount_target(ctx->root_fd, "/proc", NSL_TARGET_DIR, RESOLVE_NO_SYMLINKS, NULL, 0, error);
        if (target < 0)
                return target;
        r = nsl_mount_attach(proc_fd, target, "/proc", error);
        if (r < 0 || !full)
                return r;
        blank_inherited_command_line(ctx->host->arg_env_area);

        const struct nsl_plan *plan = ctx->plan;
        for (size_t i = 0; i < ELEMENTSOF(masked); i++)
                if (!listed(plan->masked_paths, plan->n_masked_paths, masked[i]) &&
                    (r = cover_entry(proc_fd, masked[i], nsl_mask_at, error)) < 0)
                        return r;
        for (size_t i = 0; i < ELEMENTSOF(read_only); i++)
                if (!listed(plan->masked_paths, plan->n_masked_paths, read_only[i]) &&
                    !listed(plan->readonly_paths, plan->n_readonly_paths, read_only[i]) &&
                    (r = cover_entry(proc_fd, read_only[i], nsl_read_only_at, error)) < 0)
                        return r;
        return 0;
}

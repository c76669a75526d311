/* The built-in filter: until the profile engine lands, a deny list over an
 * allow default. Everything here is refused with EPERM except clone3, which
 * answers ENOSYS so that libc falls back to clone, whose flags the filter can
 * read. Other architectures' entry points (int 0x80, x32) kill the process:
 * only the native architecture is in the filter. */
#include "filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"

static const char *const denied[] = {
        /* the platform's old deny list */
        "reboot", "mount", "umount2", "ptrace", "kexec_load", "kexec_file_load", "init_module",
        "finit_module", "delete_module", "bpf", "swapon", "swapoff", "sethostname", "setdomainname",
        "chroot", "pivot_root", "settimeofday", "clock_settime", "capset", "iopl", "ioperm", "unshare",
        "setns", "userfaultfd", "process_vm_readv", "process_vm_writev",
        /* the new mount API: the launcher needed it, the plugin does not */
        "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
        /* kernel keyrings, perf, handles, io_uring */
        "keyctl", "add_key", "request_key", "perf_event_open", "open_by_handle_at", "name_to_handle_at",
        "io_uring_setup", "io_uring_enter", "io_uring_register",
        /* old or obscure */
        "umount", "acct", "quotactl", "lookup_dcookie", "vhangup", "nfsservctl", "uselib", "_sysctl",
};

static const unsigned long namespace_flags[] = {
        CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};

static void release_ctx(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}

static int add_rules(scmp_filter_ctx ctx)
{
        int r;

        for (size_t i = 0; i < ELEMENTSOF(denied); i++) {
                int nr = seccomp_syscall_resolve_name(denied[i]);
                if (nr == __NR_SCMP_ERROR)
                        continue;       /* not on this architecture; libseccomp translates the rest */
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
                if (r < 0)
                        return r;
        }
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(namespace_flags); i++) {
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                     SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i]));
                if (r < 0)
                        return r;
        }
        /* The kernel reads ioctl's request as 32 bits: compare only those, so
         * high bits set by the caller cannot slip past. */
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                             SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, TIOCSTI));
        if (r < 0)
                return r;
        return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                                SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, TIOCLINUX));
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **insns, unsigned short *len)
{
        _cleanup_close_ int fd = memfd_create("nslaunch-bpf", MFD_CLOEXEC);
        _cleanup_free_ struct sock_filter *buf = NULL;
        off_t size;
        int r;

        if (fd < 0)
                return -errno;
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t)sizeof(struct sock_filter) || size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
                return -EINVAL;
        buf = malloc((size_t)size);
        if (!buf)
                return -ENOMEM;
        if (pread(fd, buf, (size_t)size, 0) != size)
                return -EIO;
        *len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
        *insns = TAKE_PTR(buf);
        return 0;
}

int nsl_seccomp_builtin_compile(uint32_t arch, struct sock_filter **insns, unsigned short *len, nsl_error *error)
{
        __attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int r;

        if (!ctx)
                return nsl_fail(error, ENOMEM, "seccomp", "builtin", "cannot initialise libseccomp");
        if (arch != SCMP_ARCH_NATIVE && arch != seccomp_arch_native()) {
                if ((r = seccomp_arch_add(ctx, arch)) < 0 || (r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)) < 0)
                        return nsl_fail(error, -r, "seccomp", "builtin", "cannot select the architecture: %s",
                                        strerror(-r));
        }
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0 ||
            (r = add_rules(ctx)) < 0)
                return nsl_fail(error, -r, "seccomp", "builtin", "cannot build the filter: %s", strerror(-r));
        r = export_bpf(ctx, insns, len);
        if (r < 0)
                return nsl_fail(error, -r, "seccomp", "builtin", "cannot compile the filter: %s", strerror(-r));
        return 0;
}

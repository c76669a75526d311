#include <errno.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../error.h"
#include "filter.h"

int nsl_sc_load(const struct sock_filter *insns, unsigned short len, unsigned flags, nsl_error *error)
{
        struct sock_fprog prog = { .len = len, .filter = (struct sock_filter *)insns };

        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) < 0)
                return nsl_fail(error, errno, "seccomp", "", "cannot load the filter");
        return 0;
}

int nsl_sc_load_listener(const struct sock_filter *insns, unsigned short len, unsigned flags, nsl_error *error)
{
        struct sock_fprog prog = { .len = len, .filter = (struct sock_filter *)insns };
        int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags | SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);

        if (fd < 0)
                return nsl_fail(error, errno, "seccomp", "", "cannot load the filter with a listener");
        return fd;
}

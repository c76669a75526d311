/* refuse_syscall NAME ERRNO CMD [ARG...]: runs CMD under a seccomp filter
 * that answers the syscall NAME with ERRNO (a number) and allows the rest,
 * the way a container's profile around nslaunch would. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        scmp_filter_ctx ctx;
        int nr, r;

        if (argc < 4) {
                fprintf(stderr, "usage: refuse_syscall NAME ERRNO CMD [ARG...]\n");
                return 2;
        }
        nr = seccomp_syscall_resolve_name(argv[1]);
        if (nr == __NR_SCMP_ERROR) {
                fprintf(stderr, "refuse_syscall: unknown syscall %s\n", argv[1]);
                return 2;
        }
        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return 2;
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO((unsigned)atoi(argv[2])), nr, 0);
        if (r == 0)
                r = seccomp_load(ctx);
        seccomp_release(ctx);
        if (r < 0) {
                fprintf(stderr, "refuse_syscall: %s\n", strerror(-r));
                return 2;
        }
        execvp(argv[3], argv + 3);
        fprintf(stderr, "refuse_syscall: %s: %s\n", argv[3], strerror(errno));
        return 127;
}

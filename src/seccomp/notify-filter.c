#include "notify-filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"

#define PREFIX_LEN 5

static bool notified(uint32_t action, bool learn)
{
        switch (action & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_ERRNO:
        case SECCOMP_RET_KILL_PROCESS:
        case SECCOMP_RET_KILL_THREAD:
        case SECCOMP_RET_TRAP:
                return true;
        case SECCOMP_RET_ALLOW:
        case SECCOMP_RET_LOG:
                return learn;
        default:
                return false;
        }
}

int nsl_sc_notify_filter(const struct sock_filter *in, unsigned short len, uint32_t native_arch, bool learn,
                         struct sock_filter **out, unsigned short *out_len, nsl_error *error)
{
        const struct sock_filter prefix[PREFIX_LEN] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, native_arch, 0, 3),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NSL_NOTIFY_MARKER, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        };
        struct sock_filter *f;

        if ((size_t)len + PREFIX_LEN > BPF_MAXINSNS)
                return nsl_fail(error, E2BIG, "--seccomp-report", "", "the filter is too large to report on");
        f = malloc(((size_t)len + PREFIX_LEN) * sizeof *f);
        if (!f)
                return nsl_fail(error, ENOMEM, "--seccomp-report", "", NULL);
        memcpy(f, prefix, sizeof prefix);
        for (size_t i = 0; i < len; i++) {
                struct sock_filter insn = in[i];
                if (BPF_CLASS(insn.code) == BPF_RET && BPF_RVAL(insn.code) != BPF_K) {
                        free(f);
                        return nsl_fail(error, EINVAL, "--seccomp-report", "",
                                        "the filter computes its actions; nslaunch can only report on fixed ones");
                }
                if (BPF_CLASS(insn.code) == BPF_RET && (insn.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF) {
                        free(f);
                        return nsl_fail(error, EINVAL, "--seccomp-report", "", "the filter already notifies");
                }
                if (BPF_CLASS(insn.code) == BPF_RET && notified(insn.k, learn))
                        insn.k = SECCOMP_RET_USER_NOTIF;
                f[PREFIX_LEN + i] = insn;
        }
        *out = f;
        *out_len = (unsigned short)(len + PREFIX_LEN);
        return 0;
}

#include "caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../error.h"

/* Raw capset: the child of a multithreaded caller must not allocate (a lock
 * another thread held at clone time is held for ever in the copy), and
 * libcap's cap_t is allocated. */
static int set_caps(uint64_t held, uint64_t inheritable)
{
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2] = { { 0 } };

        for (int i = 0; i < 2; i++) {
                uint32_t word = (uint32_t)(held >> (32 * i));
                data[i] = (struct __user_cap_data_struct){ .effective = word, .permitted = word,
                                                           .inheritable = (uint32_t)(inheritable >> (32 * i)) };
        }
        return (int)syscall(SYS_capset, &header, data);
}

static uint64_t permitted_now(void)
{
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2] = { { 0 } };

        if (syscall(SYS_capget, &header, data) < 0)
                return 0;
        return (uint64_t)data[1].permitted << 32 | data[0].permitted;
}

int nsl_caps_drop(uint64_t keep, uint64_t until_exec, nsl_error *error)
{
        /* up to the kernel's last capability, where the bounding set ends:
         * libcap probed it as it was loaded (no allocation, no syscall) */
        int c, n = (int)cap_max_bits();

        for (c = 0; c < n && c < 64; c++)
                if (!(keep & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
                        return nsl_fail(error, errno, "caps", "bounding", "cannot drop capability %d", c);
        keep &= c == 64 ? ~0ULL : (1ULL << c) - 1;
        if (set_caps(keep | (until_exec ? until_exec & permitted_now() : 0), keep) < 0)
                return nsl_fail(error, errno, "caps", "", "cannot set capabilities");
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return nsl_fail(error, errno, "caps", "ambient", NULL);
        for (c = 0; c < 64; c++)
                if ((keep & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
                        return nsl_fail(error, errno, "caps", "ambient", "cannot raise capability %d", c);
        return 0;
}

int nsl_caps_clear(nsl_error *error)
{
        if (set_caps(0, 0) < 0)
                return nsl_fail(error, errno, "caps", "", "cannot clear capabilities");
        return 0;
}

int nsl_caps_effective_all(nsl_error *error)
{
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2] = { { 0 } };

        if (syscall(SYS_capget, &header, data) < 0)
                return nsl_fail(error, errno, "caps", "", "cannot read capabilities");
        for (int i = 0; i < 2; i++)
                data[i].effective = data[i].permitted;
        if (syscall(SYS_capset, &header, data) < 0)
                return nsl_fail(error, errno, "caps", "", "cannot set capabilities");
        return 0;
}

#include "caps.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../error.h"

int nsl_cap_from_name(const char *name)
{
        char buf[64] = "cap_";
        size_t off = 4;
        cap_value_t cap;

        if (!name || !*name)
                return -1;
        if (!strncasecmp(name, "cap_", 4))
                off = 0;
        if (strlen(name) + off >= sizeof buf)
                return -1;
        for (size_t i = 0; name[i]; i++)
                buf[off + i] = (char)tolower((unsigned char)name[i]);
        buf[off + strlen(name)] = '\0';
        for (const char *p = buf; *p; p++)
                if (!(islower((unsigned char)*p) || *p == '_'))
                        return -1;
        if (cap_from_name(buf, &cap) < 0 || cap < 0 || cap > 63)
                return -1;
        return cap;
}

/* Raw capset: the child of a multithreaded caller must not allocate (a lock
 * another thread held at clone time is held for ever in the copy), and
 * libcap's cap_t is allocated. */
static int set_caps(uint64_t caps)
{
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2] = { { 0 } };

        for (int i = 0; i < 2; i++) {
                uint32_t word = (uint32_t)(caps >> (32 * i));
                data[i] = (struct __user_cap_data_struct){ .effective = word, .permitted = word, .inheritable = word };
        }
        return (int)syscall(SYS_capset, &header, data);
}

int nsl_caps_drop(uint64_t keep, nsl_error *error)
{
        int c;

        /* up to the kernel's last capability, where the bounding set ends */
        for (c = 0; c < 64 && prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
                if (!(keep & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
                        return nsl_fail(error, errno, "caps", "bounding", "cannot drop capability %d: %s", c,
                                        strerror(errno));
        keep &= c == 64 ? ~0ULL : (1ULL << c) - 1;
        if (set_caps(keep) < 0)
                return nsl_fail(error, errno, "caps", "", "cannot set capabilities: %s", strerror(errno));
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return nsl_fail(error, errno, "caps", "ambient", NULL);
        for (c = 0; c < 64; c++)
                if ((keep & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
                        return nsl_fail(error, errno, "caps", "ambient", "cannot raise capability %d: %s", c,
                                        strerror(errno));
        return 0;
}

int nsl_caps_clear(nsl_error *error)
{
        if (set_caps(0) < 0)
                return nsl_fail(error, errno, "caps", "", "cannot clear capabilities: %s", strerror(errno));
        return 0;
}

int nsl_cap_number(const char *name)
{
        return nsl_cap_from_name(name);
}

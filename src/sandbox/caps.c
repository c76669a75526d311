#include "caps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "../error.h"

static void free_caps(cap_t *caps)
{
        if (*caps)
                cap_free(*caps);
}

int nsl_caps_drop(uint64_t keep, nsl_error *error)
{
        __attribute__((cleanup(free_caps))) cap_t caps = cap_init();
        int last = (int)cap_max_bits();

        if (!caps)
                return nsl_fail(error, ENOMEM, "caps", "", NULL);
        for (int c = 0; c < last; c++) {
                if (keep & (1ULL << c))
                        continue;
                if (cap_drop_bound((cap_value_t)c) < 0 && errno != EINVAL)
                        return nsl_fail(error, errno, "caps", "bounding", "cannot drop capability %d", c);
        }
        for (int c = 0; c < last; c++) {
                cap_value_t v = (cap_value_t)c;
                if (!(keep & (1ULL << c)))
                        continue;
                if (cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0 ||
                    cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET) < 0 ||
                    cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET) < 0)
                        return nsl_fail(error, errno, "caps", "", NULL);
        }
        if (cap_set_proc(caps) < 0)
                return nsl_fail(error, errno, "caps", "", "cannot set capabilities");
        /* one prctl; libcap's cap_reset_ambient() asks about every capability first */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return nsl_fail(error, errno, "caps", "ambient", NULL);
        for (int c = 0; c < last; c++)
                if ((keep & (1ULL << c)) && cap_set_ambient((cap_value_t)c, CAP_SET) < 0)
                        return nsl_fail(error, errno, "caps", "ambient", "cannot raise capability %d", c);
        return 0;
}

int nsl_caps_clear(nsl_error *error)
{
        __attribute__((cleanup(free_caps))) cap_t caps = cap_init();

        if (!caps)
                return nsl_fail(error, ENOMEM, "caps", "", NULL);
        if (cap_set_proc(caps) < 0)
                return nsl_fail(error, errno, "caps", "", "cannot clear capabilities");
        return 0;
}

#include "fds.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

int nsl_close_all_except(const int *keep, size_t n_keep)
{
        unsigned from = 3;

        for (size_t i = 0; i < n_keep; i++) {
                if (keep[i] < (int)from)
                        continue;
                if ((unsigned)keep[i] > from && close_range(from, (unsigned)keep[i] - 1, 0) < 0)
                        return -errno;
                from = (unsigned)keep[i] + 1;
        }
        if (close_range(from, UINT_MAX, 0) < 0)
                return -errno;
        return 0;
}

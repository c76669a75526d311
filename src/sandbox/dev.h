#ifndef NSL_DEV_H
#define NSL_DEV_H

#include "nslaunch.h"
#include "../parse/parse.h"

struct nsl_device {
        const char *name;
        unsigned major, minor;
};

/* A detached bind of the host's /dev/NAME, refused unless it is exactly the
 * expected character device. */
int nsl_device_clone(const struct nsl_device *dev, int *mount_fd, nsl_error *error);

/* Whether the node behind fd (a clone of the host's) is what want says, as
 * the sandbox sees it: else an error naming what and path. */
int nsl_device_check(int fd, const struct nsl_device_want *want, const char *what, const char *path,
                     nsl_error *error);

#endif

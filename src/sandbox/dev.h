#ifndef NSL_DEV_H
#define NSL_DEV_H

#include "nslaunch.h"

struct nsl_device {
        const char *name;
        unsigned major, minor;
};

/* A detached bind of the host's /dev/NAME, refused unless it is exactly the
 * expected character device. */
int nsl_device_clone(const struct nsl_device *dev, int *mount_fd, nsl_error *error);

#endif

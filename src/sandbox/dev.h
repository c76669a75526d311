#ifndef NSL_DEV_H
#define NSL_DEV_H

#include <stddef.h>

#include "nslaunch.h"

struct nsl_device {
        const char *name;
        unsigned major, minor;
};

/* The host's character devices bound into the sandbox's /dev. */
extern const struct nsl_device nsl_devices[];
extern const size_t nsl_n_devices;

/* A detached bind of the host's /dev/NAME, refused unless it is exactly the
 * expected character device. */
int nsl_device_clone(const struct nsl_device *dev, int *mount_fd, nsl_error *error);

#endif

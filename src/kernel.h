/* The kernel interfaces a launch cannot do without, checked before clone so
 * that a kernel too old for nslaunch (or a seccomp filter around nslaunch
 * that refuses them) gives one clear error instead of a failed stage. */
#ifndef NSL_KERNEL_H
#define NSL_KERNEL_H

#include "nslaunch.h"
#include "nslaunch-version.h"

/* The oldest kernel that has every interface nslaunch uses. */
#define NSL_MIN_KERNEL "5.12"

int nsl_kernel_check(nsl_error *error);

#endif

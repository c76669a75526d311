/* What nslaunch is and was built from, for `nslaunch --version` and for
 * programs that link the library. nsl_kernel_interfaces is in kernel.c,
 * beside the probes. */
#include <seccomp.h>

#include "nslaunch-commit.h"
#include "nslaunch-version.h"

const char *nsl_version(void)
{
        return NSL_VERSION;
}

const char *nsl_build_commit(void)
{
        return NSL_BUILD_COMMIT;
}

void nsl_libseccomp_version(unsigned *major, unsigned *minor, unsigned *micro)
{
        const struct scmp_version *v = seccomp_version();

        *major = v ? v->major : 0;
        *minor = v ? v->minor : 0;
        *micro = v ? v->micro : 0;
}

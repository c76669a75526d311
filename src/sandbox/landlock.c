/* The landlock stage: the payload restricts itself to the rules the plan
 * derived from its own mount tree (src/landlock.c), plus its standard
 * streams as it was given them. After no_new_privs (Landlock's condition)
 * and before seccomp, whose filter need not allow these calls. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../landlock.h"
#include "ctx.h"
#include "mount.h"

static int add_rule(int ruleset, int fd, uint64_t access)
{
        if (nsl_landlock_add_path_rule(ruleset, fd, access) == 0)
                return 0;
        /* a rule on a file takes only what a file can be granted */
        if (errno == EINVAL && (access & ~NSL_LANDLOCK_FILE_ACCESS) &&
            nsl_landlock_add_path_rule(ruleset, fd, access & NSL_LANDLOCK_FILE_ACCESS) == 0)
                return 0;
        return -errno;
}

static int add_planned(int ruleset, const struct nsl_landlock *ll, nsl_error *error)
{
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (root < 0)
                return nsl_fail(error, errno, "landlock", "/", NULL);
        for (size_t i = 0; i < ll->n_rules; i++) {
                const struct nsl_landlock_rule *rule = &ll->rules[i];
                _cleanup_close_ int fd = nsl_open_in_root(root, rule->path, O_PATH | O_NOFOLLOW, 0);
                /* gone since the plan (an image changed under it), or out of
                 * the command's reach anyway: nothing to grant there */
                if (fd == -ENOENT || fd == -EACCES)
                        continue;
                if (fd < 0)
                        return nsl_fail(error, -fd, "landlock", rule->path, NULL);
                int r = add_rule(ruleset, fd, rule->access);
                if (r < 0)
                        return nsl_fail(error, -r, "landlock", rule->path, "cannot add the rule");
        }
        return 0;
}

/* A file or terminal on 0-2 may be opened again (/dev/stdout is
 * /proc/self/fd/1) as it was given: read, write or both; a terminal's
 * ioctls too. Pipes and sockets need no rule. */
static int add_stdio(int ruleset, uint64_t handled, nsl_error *error)
{
        for (int fd = 0; fd <= 2; fd++) {
                int flags = fcntl(fd, F_GETFL);
                uint64_t access = 0;
                struct stat st;

                if (flags < 0 || fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)))
                        continue;
                if ((flags & O_ACCMODE) != O_WRONLY)
                        access |= LANDLOCK_ACCESS_FS_READ_FILE;
                if ((flags & O_ACCMODE) != O_RDONLY)
                        access |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
                if (isatty(fd))
                        access |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
                int r = add_rule(ruleset, fd, access & handled);
                if (r < 0) {
                        char name[16];
                        snprintf(name, sizeof name, "fd %d", fd);
                        return nsl_fail(error, -r, "landlock", name, "cannot add the rule");
                }
        }
        return 0;
}

int nsl_stage_landlock(struct nsl_ctx *ctx, nsl_error *error)
{
        const struct nsl_landlock *ll = &ctx->plan->landlock;
        _cleanup_close_ int ruleset = -1;
        int r;

        if (!ll->abi)
                return 0;
        ruleset = nsl_landlock_create_ruleset(&ll->handled, sizeof ll->handled, 0);
        if (ruleset < 0)
                return nsl_fail(error, errno, "landlock", "ruleset", NULL);
        if ((r = add_planned(ruleset, ll, error)) < 0 ||
            (r = add_stdio(ruleset, ll->handled.handled_access_fs, error)) < 0)
                return r;
        if (nsl_landlock_restrict_self(ruleset) < 0)
                return nsl_fail(error, errno, "landlock", "restrict_self", NULL);
        return 0;
}

/* Landlock, planned: the rules the payload restricts itself to, derived
 * before clone from the plan's own mount tree (docs/landlock.md). */
#ifndef NSL_LANDLOCK_H
#define NSL_LANDLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "landlock-abi.h"
#include "nslaunch.h"

struct nsl_plan;
struct nsl_spec;

/* The ABI whose features the plan uses (6: scoped signals and abstract
 * sockets); strict refuses a kernel below it. */
#define NSL_LANDLOCK_ABI_NEEDED 6

/* What a rule on a file (not a directory) may grant. */
#define NSL_LANDLOCK_FILE_ACCESS                                                                                  \
        (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |              \
         LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

struct nsl_landlock_rule {
        char *path;             /* absolute, inside the sandbox */
        uint64_t access;        /* LANDLOCK_ACCESS_FS_*, within what the ruleset handles */
};

struct nsl_landlock {
        int abi;                                /* the kernel's ABI; 0: Landlock is not applied */
        struct nsl_landlock_ruleset_attr handled;
        struct nsl_landlock_rule *rules;        /* in grant order, "/" first */
        size_t n_rules;
};

/* The kernel's Landlock ABI version; 0 without Landlock (or disabled). */
int nsl_landlock_kernel_abi(void);
/* Fills plan->landlock from the spec and the rest of the plan (its mounts). */
int nsl_landlock_plan(const struct nsl_spec *spec, struct nsl_plan *plan, nsl_error *error);
void nsl_landlock_free(struct nsl_landlock *ll);

#endif

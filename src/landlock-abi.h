/* Landlock's user-space interface, for headers older than the kernel.
 * Debian 12's linux-libc-dev (6.1) knows ABI 1 and 2 only: the constants of
 * later ABIs (3: truncate, 4: TCP ports, 5: device ioctls, 6: scopes) are
 * defined here, each guarded, with the values of the kernel's
 * include/uapi/linux/landlock.h, and the ruleset attribute is our own
 * struct because the old header's has only its first field. */
#ifndef NSL_LANDLOCK_ABI_H
#define NSL_LANDLOCK_ABI_H

#include <linux/landlock.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE                     /* ABI 3 */
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV                    /* ABI 5 */
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP                    /* ABI 4 */
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET             /* ABI 6 */
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* struct landlock_ruleset_attr as of ABI 6. The kernel takes a larger
 * struct than it knows as long as the fields it does not know are zero. */
struct nsl_landlock_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net;
        uint64_t scoped;
};

static inline int nsl_landlock_create_ruleset(const struct nsl_landlock_ruleset_attr *attr, size_t size,
                                              uint32_t flags)
{
        return (int)syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

static inline int nsl_landlock_add_path_rule(int ruleset_fd, int parent_fd, uint64_t access)
{
        struct landlock_path_beneath_attr rule = { .allowed_access = access, .parent_fd = parent_fd };
        return (int)syscall(SYS_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
}

static inline int nsl_landlock_restrict_self(int ruleset_fd)
{
        return (int)syscall(SYS_landlock_restrict_self, ruleset_fd, 0);
}

#endif

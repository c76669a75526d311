/* A small filter stacked under whatever profile a sandbox runs with when it
 * has a writable idmapped bind: there the plugin is the source's owner, and
 * a set-user-ID or set-group-ID file it made would be that owner's on the
 * host, where nosuid does not apply. */
#ifndef NSL_SETID_GUARD_H
#define NSL_SETID_GUARD_H

#include <linux/filter.h>
#include <stddef.h>

#define NSL_SETID_GUARD_MAX 64

/* Refuses (EPERM) chmod, fchmod, fchmodat, fchmodat2, open, openat, creat,
 * mknod and mknodat with S_ISUID or S_ISGID in the mode, openat2 (ENOSYS:
 * its mode is out of a filter's reach; callers fall back to openat),
 * io_uring_setup, and every call through another architecture's entry
 * point; allows the rest. Returns the program's length, or -ENOTSUP on an
 * architecture it does not know. */
int nsl_setid_guard(struct sock_filter out[NSL_SETID_GUARD_MAX]);

#endif

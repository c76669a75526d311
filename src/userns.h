/* Which of the host's settings keeps an unprivileged process from user
 * namespaces, read where the kernel keeps them, so that a refused launch
 * names the one in the way and what to do about it. */
#ifndef NSL_USERNS_H
#define NSL_USERNS_H

#include <stdbool.h>
#include <stddef.h>

/* The clause that explains errnum (from clone3 with CLONE_NEWUSER, or from
 * a stage that needed the namespace's capabilities) for a process that is
 * rootless or not, written to out; false when no setting explains it.
 * proc is "/proc" (the tests give a tree of their own). */
bool nsl_userns_refusal(const char *proc, int errnum, bool rootless, char *out, size_t size);

/* Ubuntu's restriction (23.10 and later) is in force for this process:
 * kernel.apparmor_restrict_unprivileged_userns is 1, not in complain mode,
 * and the process runs unconfined, under no profile that could allow
 * userns. Its user namespaces are then made without capabilities. */
bool nsl_userns_apparmor_restricted(const char *proc);

#endif

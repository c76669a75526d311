#ifndef NSL_INIT_H
#define NSL_INIT_H

#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"

/* The sandbox's pid 1: runs the init stages, forks the payload, then reaps,
 * forwards signals and reports the payload's status. Never returns. */
_Noreturn void nsl_init_main(struct nsl_ctx *ctx);
/* The payload: runs its stages and execs the command. Never returns. */
_Noreturn void nsl_payload_main(struct nsl_ctx *ctx);

/* The file a PATH search tries for cmd in the directory dir[0, dirlen): an
 * empty element is the current directory (POSIX), so "./cmd". false when
 * it does not fit in size. Pure. */
bool nsl_search_candidate(const char *dir, size_t dirlen, const char *cmd, char *out, size_t size);

/* The name init gives itself while it waits for start, its namespaces
 * finished: nsl_exec's proof that a created sandbox may be joined. Only a
 * process names itself (PR_SET_NAME, its own /proc/PID/comm), and no
 * execve gives it, as no file's name has a '/'. */
#define NSL_INIT_WAITING_COMM "nslaunch/init"

/* Signals nslaunch forwards to the payload. */
extern const int nsl_forwarded_signals[];
extern const size_t nsl_n_forwarded_signals;

#endif

/* One host uid and gid per sandbox that root starts: taken from a range kept
 * for nslaunch while the sandbox lives, so that the kernel's per-user
 * accounting (pipe buffers, inotify, mqueue bytes, RLIMIT_NPROC) and the
 * owner of what a sandbox leaves in a shared bind are its own. */
#ifndef NSL_HOST_IDS_H
#define NSL_HOST_IDS_H

#include <sys/types.h>

#include "nslaunch.h"

/* /etc/subuid and /etc/subgid's entry for this user name, when there is one */
#define NSL_HOST_IDS_USER "nslaunch"
/* the default range: above systemd's container ranges (524288-1879048191)
 * and below its foreign range (2147352576-), and not a login's */
#define NSL_HOST_IDS_DEFAULT_START 1879048192U
#define NSL_HOST_IDS_DEFAULT_COUNT 65536U
#define NSL_HOST_IDS_LOCK_DIR "/run/nslaunch"
#define NSL_HOST_IDS_LOCK "host-ids.lock"

struct nsl_id_span {
        uint32_t start, count;
};

/* A reservation: held by an open file description with a lock on the uid's
 * byte and on the gid's (2^32 + gid) of one lock file; a process's death,
 * a SIGKILLed nslaunch's included, gives it back. */
struct nsl_host_ids {
        int lock_fd;
        uid_t uid;
        gid_t gid;
};
#define NSL_HOST_IDS_INIT { .lock_fd = -1 }

/* The range from a subuid-style file's first NSL_HOST_IDS_USER line, or
 * the default when the file or the line is missing. 0 or -errno with
 * *error naming the file and the line. */
int nsl_host_ids_range(const char *path, struct nsl_id_span *span, nsl_error *error);

/* Takes the lowest free uid and gid of the ranges, locking them through
 * lock_dir/NSL_HOST_IDS_LOCK (lock_dir made 0755 when missing, and refused
 * unless root owns it and only root can write it). 0 or -errno; -EUSERS
 * when every id is taken. */
int nsl_host_ids_reserve(const char *lock_dir, const struct nsl_id_span *uids, const struct nsl_id_span *gids,
                         struct nsl_host_ids *ids, nsl_error *error);
/* The reservation with /etc/subuid, /etc/subgid and NSL_HOST_IDS_LOCK_DIR. */
int nsl_host_ids_reserve_default(struct nsl_host_ids *ids, nsl_error *error);
/* Gives the ids back (once every copy of the lock fd is closed). */
void nsl_host_ids_release(struct nsl_host_ids *ids);

#endif

/* Compiled filters kept between launches, so that a profile is parsed and
 * compiled once. An entry holds everything its filter was made from (the
 * profile's bytes, the architecture, the capabilities, the kernel and the
 * versions of nslaunch and libseccomp) and is used only when all of it
 * matches byte for byte and its checksum holds; anything else is rebuilt.
 * The directory and its entries must belong to the caller and be writable by
 * no one else, or the cache is not used at all. */
#ifndef NSL_SECCOMP_CACHE_H
#define NSL_SECCOMP_CACHE_H

#include <stddef.h>

#include "compile.h"

/* The default directory: /var/cache/nslaunch/seccomp for root, else
 * $XDG_CACHE_HOME (or ~/.cache)/nslaunch/seccomp. *dir is malloc'd; NULL
 * when there is none. */
int nsl_sc_cache_default_dir(char **dir);

/* 1 with *filter filled on a hit, 0 on a miss (or an unusable cache). */
int nsl_sc_cache_lookup(const char *dir, const char *profile_text, size_t len, const struct nsl_sc_target *target,
                        struct nsl_sc_filter *filter);
/* 0, or -errno when the entry could not be written (the directory is not
 * one, not ours, or writable by others: -EPERM); the launch goes on. */
int nsl_sc_cache_store(const char *dir, const char *profile_text, size_t len, const struct nsl_sc_target *target,
                        const struct nsl_sc_filter *filter);

#endif

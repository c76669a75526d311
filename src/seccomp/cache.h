/* Compiled filters kept between launches, so that a profile is parsed and
 * compiled once. An entry holds everything its filter was made from (the
 * profile's bytes, or the identity of a profile file that has not changed
 * for a while; the architecture, the capabilities, the kernel and the
 * versions of nslaunch and libseccomp) and is used only when all of it
 * matches byte for byte and its checksum holds; anything else is rebuilt.
 * A file's identity (device, inode, size, mtime and ctime in ns) is what a
 * hit can check without reading the profile at all.
 * The directory and its entries must belong to the caller and be writable by
 * no one else, or the cache is not used at all. */
#ifndef NSL_SECCOMP_CACHE_H
#define NSL_SECCOMP_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

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

/* The same, keyed by the profile file's identity instead of its bytes. A
 * file changed within the last seconds is not stored by identity (a second
 * change in the same clock tick could keep it): store_file does nothing. */
int nsl_sc_cache_lookup_file(const char *dir, const struct stat *profile, const struct nsl_sc_target *target,
                             struct nsl_sc_filter *filter);
int nsl_sc_cache_store_file(const char *dir, const struct stat *profile, const struct nsl_sc_target *target,
                            const struct nsl_sc_filter *filter);
bool nsl_sc_cache_file_settled(const struct stat *st);

#endif

#ifndef NSL_SECCOMP_FILTER_H
#define NSL_SECCOMP_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>

#include "nslaunch.h"

/* The built-in profile (profiles/plugin.json), compiled at build time by
 * gen-builtin for the architecture being built for. */
extern const struct sock_filter nsl_builtin_filter[];
extern const unsigned short nsl_builtin_filter_len;
extern const char nsl_builtin_profile_json[];

/* The filter a sandbox gets, chosen while its plan is built
 * (src/seccomp/select.c). */
struct nsl_sc_choice {
        const struct sock_filter *filter;       /* NULL: unconfined */
        struct sock_filter *owned;              /* filter, when it was allocated */
        unsigned short len;
        unsigned flags;                         /* SECCOMP_FILTER_FLAG_* */
        bool notify;                            /* report or learn: the payload loads notify_filter */
        struct sock_filter *notify_filter;      /* filter, its answers turned into notifications */
        unsigned short notify_len;
};

void nsl_sc_choice_free(struct nsl_sc_choice *choice);

/* Attaches a compiled filter to the calling thread; no_new_privs must be set. */
int nsl_sc_load(const struct sock_filter *insns, unsigned short len, unsigned flags, nsl_error *error);

/* The same, with SECCOMP_FILTER_FLAG_NEW_LISTENER: returns the listener fd
 * (close-on-exec). */
int nsl_sc_load_listener(const struct sock_filter *insns, unsigned short len, unsigned flags, nsl_error *error);

#endif

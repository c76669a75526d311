/* A seccomp profile in the Docker/moby JSON format or as the OCI
 * linux.seccomp object, read into a model. Parsing checks shape and values
 * and reports each problem with its JSON path; which rules apply to a given
 * sandbox (capabilities, architecture, kernel) is decided by compile.c. */
#ifndef NSL_SECCOMP_PROFILE_H
#define NSL_SECCOMP_PROFILE_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <stdint.h>

#include "nslaunch.h"

#define NSL_PROFILE_MAX_BYTES (1 << 20)

struct nsl_sc_arg {
        unsigned index;
        uint64_t value, value_two;
        enum scmp_compare op;
};

struct nsl_sc_condition {
        char **caps;            /* CAP_* names */
        size_t n_caps;
        char **arches;          /* Docker's names: amd64, arm64, x86, x32, arm, ... */
        size_t n_arches;
        int min_kernel[2];      /* major, minor; {0, 0} when absent */
        bool has_min_kernel;
};

struct nsl_sc_rule {
        char **names;
        size_t n_names;
        uint32_t action;        /* libseccomp's action value, errno included */
        struct nsl_sc_arg args[6];
        size_t n_args;
        struct nsl_sc_condition includes, excludes;
        char path[32];          /* "syscalls[4]", for messages */
};

struct nsl_sc_arch {
        uint32_t arch;          /* SCMP_ARCH_* */
        uint32_t subs[8];
        size_t n_subs;
};

struct nsl_sc_profile {
        uint32_t default_action;
        struct nsl_sc_arch arches[16];  /* "architectures" (no subs) or "archMap" */
        size_t n_arches;
        bool log_flag, spec_allow_flag;
        struct nsl_sc_rule *rules;
        size_t n_rules;
};

/* Parses text (len bytes) named name. 0, or a negative errno with *error
 * naming the JSON path at fault, e.g. "syscalls[4].args[0].op: ...". */
int nsl_sc_profile_parse(const char *text, size_t len, const char *name, struct nsl_sc_profile *profile,
                         nsl_error *error);
/* Reads a whole profile file (at most NSL_PROFILE_MAX_BYTES). *text is malloc'd. */
int nsl_sc_profile_read(const char *path, char **text, size_t *len, nsl_error *error);
/* The two halves of it: the open (a regular file, or -errno with *error
 * set; st filled), and the read from that fd. */
int nsl_sc_profile_open(const char *path, struct stat *st, nsl_error *error);
int nsl_sc_profile_read_fd(int fd, const char *path, char **text, size_t *len, nsl_error *error);
void nsl_sc_profile_free(struct nsl_sc_profile *profile);
/* The profile's name of an architecture ("SCMP_ARCH_X86_64"); false for
 * one libseccomp does not know. */
bool nsl_sc_arch_token(uint32_t arch, char *buf, size_t size);

#endif

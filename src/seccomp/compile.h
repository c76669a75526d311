/* A profile model, evaluated for one sandbox (architecture, capabilities,
 * kernel) the way Docker does, compiled with libseccomp into classic BPF
 * with nslaunch's ENOSYS stub in front. */
#ifndef NSL_SECCOMP_COMPILE_H
#define NSL_SECCOMP_COMPILE_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include "profile.h"

struct nsl_sc_target {
        uint32_t arch;          /* SCMP_ARCH_*; 0 = native */
        uint64_t caps;          /* the capabilities the sandbox will hold */
        int kernel[2];          /* the running kernel, for minKernel */
        bool strict;            /* unknown syscall names are errors, not warnings */
        bool linear;            /* no binary tree (for comparison only) */
        bool no_inversion;      /* never inverted (the unit tests compare both forms) */
        void (*warn)(const char *line, void *data);
        void *warn_data;
};

struct nsl_sc_filter {
        struct sock_filter *insns;      /* malloc'd */
        unsigned short len;
        unsigned flags;                 /* SECCOMP_FILTER_FLAG_* to load it with */
};

/* Fills target with the native architecture and the running kernel. */
int nsl_sc_target_native(struct nsl_sc_target *target, nsl_error *error);
/* "x86_64", "aarch64", ... to SCMP_ARCH_*; 0 when unknown. */
uint32_t nsl_sc_arch_from_name(const char *name);
/* SCMP_ARCH_* to "x86_64"..., or to Docker's "amd64"...; "unknown" otherwise. */
const char *nsl_sc_arch_label(uint32_t arch);
const char *nsl_sc_arch_docker_name(uint32_t arch);

int nsl_sc_compile(const struct nsl_sc_profile *profile, const char *name, const struct nsl_sc_target *target,
                   struct nsl_sc_filter *filter, nsl_error *error);
/* libseccomp's readable form (PFC) of the same filter, without the stub. */
int nsl_sc_export_pfc(const struct nsl_sc_profile *profile, const char *name, const struct nsl_sc_target *target,
                      int fd, nsl_error *error);

#endif

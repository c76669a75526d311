/* The public tools for profile authors: check, compile, export. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "diagnose.h"
#include "compile.h"
#include "filter.h"
#include "profile.h"

static int load(const char *path, const nsl_seccomp_options *o, struct nsl_sc_profile *profile,
                struct nsl_sc_target *target, nsl_error *error)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        if ((r = nsl_sc_target_native(target, error)) < 0)
                return r;
        if (o && o->arch) {
                target->arch = nsl_sc_arch_from_name(o->arch);
                if (!target->arch)
                        return nsl_fail(error, EINVAL, "--arch", o->arch,
                                        "unknown architecture (known: x86_64, aarch64, x86, x32, arm, ppc64le, s390x, riscv64)");
        }
        if (o) {
                target->caps = o->caps;
                target->strict = o->strict;
                target->linear = o->linear;
                target->warn = o->warn;
                target->warn_data = o->warn_data;
        }
        if ((r = nsl_sc_profile_read(path, &text, &len, error)) < 0)
                return r;
        return nsl_sc_profile_parse(text, len, path, profile, error);
}

static int compiled_for(const char *path, const nsl_seccomp_options *o, struct nsl_sc_filter *filter,
                        struct nsl_sc_target *target, nsl_error *error)
{
        struct nsl_sc_profile profile;
        int r = load(path, o, &profile, target, error);

        if (r < 0)
                return r;
        r = nsl_sc_compile(&profile, path, target, filter, error);
        nsl_sc_profile_free(&profile);
        return r;
}

static int compiled(const char *path, const nsl_seccomp_options *o, struct nsl_sc_filter *filter, nsl_error *error)
{
        struct nsl_sc_target target;
        return compiled_for(path, o, filter, &target, error);
}

/* A profile may allow vsock (Docker's did before 2022) and runs as written,
 * but no namespace encloses vsock: with --network none the payload could
 * still listen on the VM's vsock ports or reach the hypervisor's side. */
static void warn_if_vsock_allowed(const struct nsl_sc_filter *filter, const struct nsl_sc_target *target,
                                  const char *path, const nsl_seccomp_options *o)
{
        char line[PATH_MAX + 200];

        if (!o || !o->warn ||
            !nsl_sc_allows_vsock(filter->insns, filter->len, target->arch ? target->arch : seccomp_arch_native()))
                return;
        snprintf(line, sizeof line, "%s: allows AF_VSOCK sockets, which no namespace isolates: the command could "
                                    "reach the VM's host side even with --network none", path);
        o->warn(line, o->warn_data);
}

int nsl_seccomp_check(const char *path, const nsl_seccomp_options *o, size_t *n_insns, nsl_error *error)
{
        struct nsl_sc_filter filter = { 0 };
        struct nsl_sc_target target;
        int r = compiled_for(path, o, &filter, &target, error);

        if (r == 0)
                warn_if_vsock_allowed(&filter, &target, path, o);
        if (r == 0 && n_insns)
                *n_insns = filter.len;
        free(filter.insns);
        return r;
}

int nsl_seccomp_compile(const char *path, const nsl_seccomp_options *o, int fd, nsl_error *error)
{
        struct nsl_sc_filter filter = { 0 };
        int r = compiled(path, o, &filter, error);

        if (r == 0 && (r = nsl_write_all(fd, filter.insns, (size_t)filter.len * sizeof(struct sock_filter))) < 0)
                r = nsl_fail(error, -r, "compile", "", "cannot write the filter");
        free(filter.insns);
        return r;
}

int nsl_seccomp_compile_file(const char *path, const nsl_seccomp_options *o, const char *output, nsl_error *error)
{
        struct nsl_sc_filter filter = { 0 };
        int r = compiled(path, o, &filter, error);

        if (r == 0 && (r = nsl_replace_file_at(AT_FDCWD, output, filter.insns,
                                               (size_t)filter.len * sizeof(struct sock_filter), 0644,
                                               NSL_FILE_DURABLE)) < 0)
                r = nsl_fail(error, -r, "compile", output, NULL);
        free(filter.insns);
        return r;
}

int nsl_seccomp_export(const char *path, const nsl_seccomp_options *o, int fd, nsl_error *error)
{
        struct nsl_sc_profile profile;
        struct nsl_sc_target target;
        int r = load(path, o, &profile, &target, error);

        if (r < 0)
                return r;
        r = nsl_sc_export_pfc(&profile, path, &target, fd, error);
        nsl_sc_profile_free(&profile);
        return r;
}

const char *nsl_seccomp_default_profile(void)
{
        return nsl_builtin_profile_json;
}

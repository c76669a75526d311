/* Which filter a sandbox gets: the built-in one (compiled at build time), a
 * profile (from the cache, or parsed and compiled now), a precompiled BPF
 * file, or none. Runs in plan, before clone. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <seccomp.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "cache.h"
#include "compile.h"
#include "diagnose.h"
#include "filter.h"
#include "learn.h"
#include "notify-filter.h"
#include "select.h"

/* A compiled filter made for another architecture kills every call here:
 * said before the launch, not left to a silent SIGSYS. */
static int check_it_runs_here(const char *path, struct nsl_sc_filter *filter, nsl_error *error)
{
        enum nsl_sc_verdict verdict = nsl_sc_verdict(filter->insns, filter->len);

        if (verdict == NSL_SC_RUNS)
                return 0;
        free(filter->insns);
        filter->insns = NULL;
        if (verdict == NSL_SC_OTHER_ARCH)
                return nsl_fail(error, EINVAL, "--seccomp-bpf", path, "kills every call of this machine's architecture "
                                "(%s): compiled for another one (nslaunch seccomp compile --arch)",
                                nsl_sc_arch_label(seccomp_arch_native()));
        return nsl_fail(error, EINVAL, "--seccomp-bpf", path, "does not allow execve: the command could never start");
}

static int read_bpf_file(const char *path, struct nsl_sc_filter *filter, nsl_error *error)
{
        const size_t max = BPF_MAXINSNS * sizeof(struct sock_filter);
        _cleanup_free_ char *bytes = NULL;
        size_t len;
        int r = nsl_read_file(path, max, &bytes, &len);

        if (r == -EINVAL)
                return nsl_fail(error, EINVAL, "--seccomp-bpf", path, "not a regular file");
        if (r < 0 && r != -EFBIG)
                return nsl_fail(error, -r, "--seccomp-bpf", path, NULL);
        if (r == -EFBIG || len == 0 || len % sizeof(struct sock_filter))
                return nsl_fail(error, EINVAL, "--seccomp-bpf", path,
                                "not a compiled filter (size must be a multiple of 8 bytes, 1 to %d instructions)",
                                BPF_MAXINSNS);
        filter->len = (unsigned short)(len / sizeof(struct sock_filter));
        filter->insns = (struct sock_filter *)TAKE_PTR(bytes);
        filter->flags = 0;
        return check_it_runs_here(path, filter, error);
}

/* The caller's warning handler, counting: a profile that warned is not
 * cached, so that every launch with it says so again. */
struct counted_warnings {
        const struct nsl_spec *spec;
        unsigned n;
};

static void count_warning(const char *line, void *data)
{
        struct counted_warnings *c = data;

        c->n++;
        if (c->spec->warn)
                c->spec->warn(line, c->spec->warn_data);
}

static void warn_unusable_cache(const struct nsl_spec *spec, const char *dir, int r)
{
        char line[4400];

        if (!spec->warn)
                return;
        snprintf(line, sizeof line, "--seccomp-cache: %s: not used (%s): every launch compiles the profile again",
                 dir, r == -EPERM ? "not a private directory of this user" : strerror(-r));
        spec->warn(line, spec->warn_data);
}

static void store_quietly(const struct nsl_spec *spec, const char *cache, int r)
{
        if (r < 0 && spec->seccomp_cache)       /* asked for: say why it is not used */
                warn_unusable_cache(spec, cache, r);
}

/* A hit by the file's identity reads nothing of the profile; by its bytes,
 * the profile but no compile. Either way the entry is read with one pread. */
static int profile_filter(const struct nsl_spec *spec, struct nsl_sc_filter *filter, nsl_error *error)
{
        struct counted_warnings warnings = { spec, 0 };
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char *default_dir = NULL;
        struct nsl_sc_profile profile;
        struct nsl_sc_target target;
        const char *cache = NULL;
        struct stat st;
        size_t len;
        int r;

        _cleanup_close_ int fd = nsl_sc_profile_open(spec->seccomp_path, &st, error);
        if (fd < 0)
                return fd;
        if ((r = nsl_sc_target_native(&target, error)) < 0)
                return r;
        target.caps = spec->caps;
        target.strict = spec->seccomp_strict;
        target.warn = count_warning;
        target.warn_data = &warnings;
        if (!spec->seccomp_cache_off) {
                if (spec->seccomp_cache)
                        cache = spec->seccomp_cache;
                else if (nsl_sc_cache_default_dir(&default_dir) == 0)
                        cache = default_dir;
        }
        if (cache && nsl_sc_cache_lookup_file(cache, &st, &target, filter) == 1)
                return 0;
        if ((r = nsl_sc_profile_read_fd(fd, spec->seccomp_path, &text, &len, error)) < 0)
                return r;
        if (cache && nsl_sc_cache_lookup(cache, text, len, &target, filter) == 1) {
                store_quietly(spec, cache, nsl_sc_cache_store_file(cache, &st, &target, filter));
                return 0;
        }
        r = nsl_sc_profile_parse(text, len, spec->seccomp_path, &profile, error);
        if (r < 0)
                return r;
        r = nsl_sc_compile(&profile, spec->seccomp_path, &target, filter, error);
        nsl_sc_profile_free(&profile);
        if (r == 0 && cache && warnings.n == 0) {
                int stored = nsl_sc_cache_store(cache, text, len, &target, filter);
                if (stored == 0)
                        stored = nsl_sc_cache_store_file(cache, &st, &target, filter);
                store_quietly(spec, cache, stored);
        }
        return r;
}

/* Report or learn: the payload loads the filter with its answers turned
 * into notifications; the supervisor keeps the original to answer them. */
static int notify_filter(const struct nsl_spec *spec, struct nsl_sc_choice *choice, nsl_error *error)
{
        if (!choice->filter)
                return nsl_fail(error, EINVAL, "--seccomp-report", "", "there is no filter to report on "
                                                                      "(--seccomp unconfined)");
        choice->notify = true;
        return nsl_sc_notify_filter(choice->filter, choice->len, seccomp_arch_native(), spec->seccomp_learn,
                                    &choice->notify_filter, &choice->notify_len, error);
}

static int select_filter(const struct nsl_spec *spec, struct nsl_sc_choice *choice, nsl_error *error)
{
        struct nsl_sc_filter filter = { 0 };
        int r;

        if (spec->seccomp_learn) {
                if (spec->seccomp != NSL_SECCOMP_DEFAULT)
                        return nsl_fail(error, EINVAL, "learn", "", "a learning run uses its own filter; "
                                                                   "drop --seccomp and --seccomp-bpf");
                r = nsl_sc_learn_filter(&filter, error);
        } else {
                switch (spec->seccomp) {
                case NSL_SECCOMP_UNCONFINED:
                        return 0;
                case NSL_SECCOMP_DEFAULT:
                        choice->filter = nsl_builtin_filter;
                        choice->len = nsl_builtin_filter_len;
                        return 0;
                case NSL_SECCOMP_BPF:
                        r = read_bpf_file(spec->seccomp_path, &filter, error);
                        break;
                case NSL_SECCOMP_PROFILE:
                        r = profile_filter(spec, &filter, error);
                        break;
                default:
                        return nsl_fail(error, EINVAL, "--seccomp", "", "unknown mode");
                }
        }
        if (r < 0)
                return r;
        choice->filter = choice->owned = filter.insns;
        choice->len = filter.len;
        choice->flags = filter.flags;
        return 0;
}

int nsl_sc_select(const struct nsl_spec *spec, struct nsl_sc_choice *choice, nsl_error *error)
{
        int r;

        *choice = (struct nsl_sc_choice){ 0 };
        r = select_filter(spec, choice, error);
        if (r < 0 || !(spec->seccomp_report || spec->seccomp_learn))
                return r;
        return notify_filter(spec, choice, error);
}

void nsl_sc_choice_free(struct nsl_sc_choice *choice)
{
        free(choice->owned);
        free(choice->notify_filter);
        *choice = (struct nsl_sc_choice){ 0 };
}

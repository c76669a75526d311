#include "compile.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../capnames.h"
#include "stub.h"

static const struct { const char *name; uint32_t arch; const char *docker; } arch_names[] = {
        { "x86_64", SCMP_ARCH_X86_64, "amd64" }, { "aarch64", SCMP_ARCH_AARCH64, "arm64" },
        { "x86", SCMP_ARCH_X86, "x86" }, { "x32", SCMP_ARCH_X32, "x32" }, { "arm", SCMP_ARCH_ARM, "arm" },
        { "ppc64le", SCMP_ARCH_PPC64LE, "ppc64le" }, { "s390x", SCMP_ARCH_S390X, "s390x" },
        { "riscv64", SCMP_ARCH_RISCV64, "riscv64" },
};

uint32_t nsl_sc_arch_from_name(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(arch_names); i++)
                if (!strcmp(name, arch_names[i].name))
                        return arch_names[i].arch;
        return 0;
}

static const char *arch_label(uint32_t arch, bool docker);

const char *nsl_sc_arch_label(uint32_t arch)
{
        return arch_label(arch, false);
}

const char *nsl_sc_arch_docker_name(uint32_t arch)
{
        return arch_label(arch, true);
}

static const char *arch_label(uint32_t arch, bool docker)
{
        for (size_t i = 0; i < ELEMENTSOF(arch_names); i++)
                if (arch_names[i].arch == arch)
                        return docker ? arch_names[i].docker : arch_names[i].name;
        return "unknown";
}

int nsl_sc_target_native(struct nsl_sc_target *target, nsl_error *error)
{
        struct utsname u;

        *target = (struct nsl_sc_target){ .arch = seccomp_arch_native() };
        if (uname(&u) < 0)
                return nsl_fail(error, errno, "seccomp", "uname", NULL);
        if (sscanf(u.release, "%d.%d", &target->kernel[0], &target->kernel[1]) != 2)
                return nsl_fail(error, EINVAL, "seccomp", u.release, "cannot read the kernel version");
        return 0;
}

static bool kernel_at_least(const struct nsl_sc_target *t, const int v[2])
{
        return t->kernel[0] > v[0] || (t->kernel[0] == v[0] && t->kernel[1] >= v[1]);
}

static bool has_cap(const struct nsl_sc_target *t, const char *name)
{
        int cap = nsl_cap_number(name);
        return cap >= 0 && (t->caps & (1ULL << cap));
}

static bool listed(char **v, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(v[i], s))
                        return true;
        return false;
}

/* Docker's rule: excludes first (any match drops the rule), then includes
 * (every condition must hold). Capabilities are those the sandbox holds. */
static bool rule_applies(const struct nsl_sc_rule *rule, const struct nsl_sc_target *t)
{
        const char *arch = arch_label(t->arch, true);
        const struct nsl_sc_condition *ex = &rule->excludes, *in = &rule->includes;

        if (ex->n_arches && listed(ex->arches, ex->n_arches, arch))
                return false;
        for (size_t i = 0; i < ex->n_caps; i++)
                if (has_cap(t, ex->caps[i]))
                        return false;
        if (ex->has_min_kernel && kernel_at_least(t, ex->min_kernel))
                return false;
        if (in->n_arches && !listed(in->arches, in->n_arches, arch))
                return false;
        for (size_t i = 0; i < in->n_caps; i++)
                if (!has_cap(t, in->caps[i]))
                        return false;
        if (in->has_min_kernel && !kernel_at_least(t, in->min_kernel))
                return false;
        return true;
}

static bool covers_arch(const struct nsl_sc_profile *p, uint32_t arch)
{
        if (p->n_arches == 0)
                return arch == seccomp_arch_native();
        for (size_t i = 0; i < p->n_arches; i++)
                if (p->arches[i].arch == arch)
                        return true;
        return false;
}

static bool name_exists_anywhere(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(arch_names); i++)
                if (seccomp_syscall_resolve_name_arch(arch_names[i].arch, name) != __NR_SCMP_ERROR)
                        return true;
        return false;
}

/* The kernel reads these arguments as 32-bit ints: a rule that refuses a
 * value must compare only those bits, or high bits set by the caller would
 * slip past it. */
static bool argument_is_32_bit(const char *syscall, unsigned index)
{
        static const struct { const char *name; unsigned index; } narrow[] = {
                { "ioctl", 1 }, { "personality", 0 }, { "socket", 0 }, { "socket", 1 }, { "socket", 2 },
                { "prctl", 0 }, { "fcntl", 1 }, { "kill", 1 }, { "tkill", 1 }, { "tgkill", 2 },
        };
        for (size_t i = 0; i < ELEMENTSOF(narrow); i++)
                if (narrow[i].index == index && !strcmp(narrow[i].name, syscall))
                        return true;
        return false;
}

static bool refuses(uint32_t action)
{
        return action != SCMP_ACT_ALLOW && action != SCMP_ACT_LOG;
}

static struct scmp_arg_cmp make_cmp(const char *syscall, const struct nsl_sc_arg *a, bool refusal)
{
        if (refusal && a->op == SCMP_CMP_EQ && argument_is_32_bit(syscall, a->index))
                return (struct scmp_arg_cmp){ a->index, SCMP_CMP_MASKED_EQ, 0xffffffffULL, a->value & 0xffffffffULL };
        if (refusal && a->op == SCMP_CMP_MASKED_EQ && argument_is_32_bit(syscall, a->index))
                return (struct scmp_arg_cmp){ a->index, SCMP_CMP_MASKED_EQ, a->value & 0xffffffffULL,
                                              a->value_two & 0xffffffffULL };
        return (struct scmp_arg_cmp){ a->index, a->op, a->value, a->value_two };
}

static int add_syscall(scmp_filter_ctx ctx, const struct nsl_sc_rule *rule, const char *syscall, int nr)
{
        struct scmp_arg_cmp cmps[6];
        bool repeated = false;

        for (size_t i = 0; i < rule->n_args; i++) {
                cmps[i] = make_cmp(syscall, &rule->args[i], refuses(rule->action));
                for (size_t j = 0; j < i; j++)
                        repeated |= rule->args[j].index == rule->args[i].index;
        }
        if (!repeated)
                return seccomp_rule_add_array(ctx, rule->action, nr, (unsigned)rule->n_args, cmps);
        /* libseccomp takes one condition per argument: several on the same
         * argument become one rule each, as runc does. */
        for (size_t i = 0; i < rule->n_args; i++) {
                int r = seccomp_rule_add_array(ctx, rule->action, nr, 1, &cmps[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void warn(const struct nsl_sc_target *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(const struct nsl_sc_target *t, const char *fmt, ...)
{
        char line[512];
        va_list ap;

        if (!t->warn)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        t->warn(line, t->warn_data);
}

static void release_ctx(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}

#define MAX_STUB_RULES 64
#define MAX_RANGES 64
#define MAX_TRACKED_NR 1024     /* syscall numbers an inversion looks at, per architecture */

struct built {
        int max_nr;             /* largest syscall number the applied rules name, -1 if none */
        bool execve_allowed;
        bool inverted;          /* libseccomp's program allows by default; the refusals are listed */
        struct nsl_stub_rule rules[MAX_STUB_RULES];
        size_t n_rules;
        struct nsl_stub_range ranges[MAX_RANGES];
        size_t n_ranges;
};

/* Does an applied rule name this syscall without conditions? */
static bool unconditional(const struct nsl_sc_profile *p, const struct nsl_sc_target *t, const char *syscall)
{
        for (size_t i = 0; i < p->n_rules; i++)
                if (p->rules[i].n_args == 0 && rule_applies(&p->rules[i], t) &&
                    listed(p->rules[i].names, p->rules[i].n_names, syscall))
                        return true;
        return false;
}

/* A rule on some argument values that libseccomp cannot take: a refusal of
 * values of a syscall the profile also allows outright (libseccomp would
 * drop it), or, in an inverted profile, any argument rule. The stub applies
 * it instead. */
static int add_stub_rule(struct built *built, const struct nsl_sc_rule *rule, const char *syscall, int arch_nr,
                         const char *name, nsl_error *error)
{
        bool repeated = false;

        for (size_t i = 0; i < rule->n_args; i++) {
                if (rule->args[i].op != SCMP_CMP_EQ && rule->args[i].op != SCMP_CMP_MASKED_EQ)
                        return nsl_fail(error, EINVAL, "--seccomp", name,
                                        "%s.args[%zu]: '%s' is also allowed outright; only SCMP_CMP_EQ and "
                                        "SCMP_CMP_MASKED_EQ can refuse some of its values",
                                        rule->path, i, syscall);
                for (size_t j = 0; j < i; j++)
                        repeated |= rule->args[j].index == rule->args[i].index;
        }
        /* conditions on one argument are alternatives (as runc reads them):
         * one refusal each; otherwise all must hold */
        size_t groups = repeated ? rule->n_args : 1;
        for (size_t g = 0; g < groups; g++) {
                if (built->n_rules == MAX_STUB_RULES)
                        return nsl_fail(error, E2BIG, "--seccomp", name, "%s: too many argument rules", rule->path);
                struct nsl_stub_rule *rf = &built->rules[built->n_rules++];
                *rf = (struct nsl_stub_rule){ .nr = arch_nr, .action = rule->action };
                for (size_t i = repeated ? g : 0; i < (repeated ? g + 1 : rule->n_args); i++) {
                        const struct nsl_sc_arg *a = &rule->args[i];
                        bool eq = a->op == SCMP_CMP_EQ;
                        rf->conds[rf->n_conds++] = (struct nsl_stub_cond){
                                .index = a->index,
                                /* an allowance compares all 64 bits: stricter */
                                .narrow = refuses(rule->action) && argument_is_32_bit(syscall, a->index),
                                .mask = eq ? UINT64_MAX : a->value,
                                .value = eq ? a->value : a->value_two,
                        };
                }
        }
        return 0;
}

/* What the applied rules say of each syscall number of the target. */
struct survey {
        int max_nr;
        bool plain[MAX_TRACKED_NR];     /* named by a rule without arguments */
        bool allowed[MAX_TRACKED_NR];   /* ... whose action is SCMP_ACT_ALLOW */
        bool invertible;                /* every argument rule compares with EQ or MASKED_EQ */
};

static void survey_rules(const struct nsl_sc_profile *p, const struct nsl_sc_target *t, struct survey *s)
{
        *s = (struct survey){ .max_nr = -1, .invertible = true };
        for (size_t i = 0; i < p->n_rules; i++) {
                const struct nsl_sc_rule *rule = &p->rules[i];
                if (!rule_applies(rule, t))
                        continue;
                for (size_t a = 0; a < rule->n_args; a++)
                        s->invertible &= rule->args[a].op == SCMP_CMP_EQ || rule->args[a].op == SCMP_CMP_MASKED_EQ;
                for (size_t j = 0; j < rule->n_names; j++) {
                        int nr = seccomp_syscall_resolve_name_arch(t->arch, rule->names[j]);
                        if (nr < 0)
                                continue;
                        if (nr >= MAX_TRACKED_NR) {
                                s->invertible = false;
                                continue;
                        }
                        if (nr > s->max_nr)
                                s->max_nr = nr;
                        if (rule->n_args == 0) {
                                s->plain[nr] = true;
                                s->allowed[nr] |= rule->action == SCMP_ACT_ALLOW;
                        }
                }
        }
}

/* A profile that refuses by default and allows most calls compiles to a
 * long list of allowed numbers, and the kernel's cost of loading a filter
 * grows with every instruction. Inverted, libseccomp's program allows by
 * default and lists the refused calls; the stub takes the argument rules
 * and the numbers no syscall has. Both answer every call alike (the unit
 * tests compare them call by call). */
static bool worth_inverting(const struct nsl_sc_profile *p, const struct nsl_sc_target *t, const struct survey *s)
{
        size_t allowed = 0, refused = 0;

        if (!refuses(p->default_action) || !s->invertible || t->linear || t->no_inversion)
                return false;
        for (int nr = 0; nr <= s->max_nr; nr++) {
                char *known = seccomp_syscall_resolve_num_arch(t->arch, nr);
                if (known)
                        s->allowed[nr] ? allowed++ : refused++;
                free(known);
        }
        return refused < allowed;
}

static int add_range(struct built *built, int first, int last, uint32_t action, const char *name, nsl_error *error)
{
        if (built->n_ranges == MAX_RANGES)
                return nsl_fail(error, E2BIG, "--seccomp", name, "too many ranges of unused syscall numbers");
        built->ranges[built->n_ranges++] = (struct nsl_stub_range){ first, last, action };
        return 0;
}

/* The inverted program's refusals: every call of the target up to the
 * largest the profile names that no rule allows outright gets the default
 * answer (a call with argument rules too: the stub's allowances come
 * first), and so does every number no syscall has (as a range). */
static int add_default_refusals(scmp_filter_ctx ctx, const struct nsl_sc_profile *p, const struct nsl_sc_target *t,
                                const struct survey *s, struct built *built, const char *name, nsl_error *error)
{
        int hole = -1, r;

        for (int nr = 0; nr <= s->max_nr + 1; nr++) {
                _cleanup_free_ char *known = nr <= s->max_nr ? seccomp_syscall_resolve_num_arch(t->arch, nr) : NULL;
                bool unused = nr <= s->max_nr && !known;
                if (unused && hole < 0)
                        hole = nr;
                if (!unused && hole >= 0) {
                        if ((r = add_range(built, hole, nr - 1, p->default_action, name, error)) < 0)
                                return r;
                        hole = -1;
                }
                if (!known || s->plain[nr])
                        continue;
                if ((r = seccomp_rule_add(ctx, p->default_action, seccomp_syscall_resolve_name(known), 0)) < 0)
                        return nsl_fail(error, -r, "--seccomp", name, "cannot refuse '%s'", known);
        }
        return 0;
}

/* Refusals before allowances: where both could match, the refusal wins. */
static void refusals_first(struct built *built)
{
        struct nsl_stub_rule sorted[MAX_STUB_RULES];
        size_t n = 0;

        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < built->n_rules; i++)
                        if (refuses(built->rules[i].action) == (pass == 0))
                                sorted[n++] = built->rules[i];
        memcpy(built->rules, sorted, n * sizeof sorted[0]);
}

static int build_ctx(const struct nsl_sc_profile *p, const char *name, const struct nsl_sc_target *t,
                     scmp_filter_ctx *out, struct built *built, nsl_error *error)
{
        _cleanup_free_ struct survey *survey = malloc(sizeof *survey);
        uint32_t ctx_default;
        __attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = NULL;
        int r;

        *built = (struct built){ .max_nr = -1, .execve_allowed = p->default_action == SCMP_ACT_ALLOW ||
                                                                 p->default_action == SCMP_ACT_LOG };
        if (!survey)
                return nsl_fail(error, ENOMEM, "--seccomp", name, NULL);
        if (!covers_arch(p, t->arch))
                return nsl_fail(error, EINVAL, "--seccomp", name, "the profile does not cover %s",
                                arch_label(t->arch, false));
        survey_rules(p, t, survey);
        built->inverted = worth_inverting(p, t, survey);
        ctx_default = built->inverted ? SCMP_ACT_ALLOW : p->default_action;
        ctx = seccomp_init(ctx_default);
        if (!ctx)
                return nsl_fail(error, EINVAL, "--seccomp", name, "libseccomp refused the default action");
        if (t->arch != seccomp_arch_native() &&
            ((r = seccomp_arch_add(ctx, t->arch)) < 0 || (r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)) < 0))
                return nsl_fail(error, -r, "--seccomp", name, "cannot build for %s", arch_label(t->arch, false));
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, t->linear ? 1 : 2)) < 0)
                return nsl_fail(error, -r, "--seccomp", name, "libseccomp");

        for (size_t i = 0; i < p->n_rules; i++) {
                const struct nsl_sc_rule *rule = &p->rules[i];
                if (!rule_applies(rule, t))
                        continue;
                for (size_t j = 0; j < rule->n_names; j++) {
                        const char *syscall = rule->names[j];
                        int nr = seccomp_syscall_resolve_name(syscall);
                        int arch_nr = seccomp_syscall_resolve_name_arch(t->arch, syscall);

                        if (nr == __NR_SCMP_ERROR && !name_exists_anywhere(syscall)) {
                                if (t->strict)
                                        return nsl_fail(error, EINVAL, "--seccomp", name,
                                                        "%s.names[%zu]: unknown syscall '%s'", rule->path, j, syscall);
                                warn(t, "%s: %s.names[%zu]: unknown syscall '%s' (skipped)", name, rule->path, j,
                                     syscall);
                                continue;
                        }
                        if (arch_nr == __NR_SCMP_ERROR || arch_nr < 0)
                                continue;       /* not on this architecture */
                        if (!strcmp(syscall, "execve")) {
                                /* NOTIFY: the agent's to decide */
                                built->execve_allowed = (rule->action == SCMP_ACT_ALLOW ||
                                                         rule->action == SCMP_ACT_NOTIFY) && rule->n_args == 0;
                        }
                        if (arch_nr > built->max_nr)
                                built->max_nr = arch_nr;
                        if (rule->n_args && unconditional(p, t, syscall)) {
                                if (refuses(rule->action) &&
                                    (r = add_stub_rule(built, rule, syscall, arch_nr, name, error)) < 0)
                                        return r;
                                continue;
                        }
                        if (rule->n_args && built->inverted) {
                                if ((r = add_stub_rule(built, rule, syscall, arch_nr, name, error)) < 0)
                                        return r;
                                continue;
                        }
                        if (rule->action == ctx_default)
                                continue;       /* libseccomp refuses a rule that changes nothing */
                        r = add_syscall(ctx, rule, syscall, nr);
                        if (r < 0)
                                return nsl_fail(error, -r, "--seccomp", name, "%s: cannot add '%s'", rule->path,
                                                syscall);
                }
        }
        if (built->inverted && (r = add_default_refusals(ctx, p, t, survey, built, name, error)) < 0)
                return r;
        refusals_first(built);
        *out = TAKE_PTR(ctx);
        return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **insns, size_t *len)
{
        _cleanup_close_ int fd = memfd_create("nslaunch-bpf", MFD_CLOEXEC);
        _cleanup_free_ struct sock_filter *buf = NULL;
        off_t size;
        int r;

        if (fd < 0)
                return -errno;
        if ((r = seccomp_export_bpf(ctx, fd)) < 0)
                return r;
        size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t)sizeof(struct sock_filter))
                return -EINVAL;
        buf = malloc((size_t)size);
        if (!buf)
                return -ENOMEM;
        if (pread(fd, buf, (size_t)size, 0) != size)
                return -EIO;
        *len = (size_t)size / sizeof(struct sock_filter);
        *insns = TAKE_PTR(buf);
        return 0;
}

int nsl_sc_compile(const struct nsl_sc_profile *profile, const char *name, const struct nsl_sc_target *target,
                   struct nsl_sc_filter *filter, nsl_error *error)
{
        __attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = NULL;
        _cleanup_free_ struct sock_filter *body = NULL;
        _cleanup_free_ struct sock_filter *stub = NULL;
        struct built built;
        size_t body_len = 0, stub_len = 0;
        int r;

        r = build_ctx(profile, name, target, &ctx, &built, error);
        if (r < 0)
                return r;
        if (!built.execve_allowed)
                return nsl_fail(error, EPERM, "--seccomp", name,
                                "the profile does not allow execve: the plugin could never start");
        r = export_bpf(ctx, &body, &body_len);
        if (r < 0)
                return nsl_fail(error, -r, "--seccomp", name, "cannot compile");
        const struct nsl_stub_plan plan = {
                .rules = built.rules, .n_rules = built.n_rules, .ranges = built.ranges, .n_ranges = built.n_ranges,
                .max_nr = refuses(profile->default_action) ? built.max_nr : -1,
        };
        r = nsl_stub_build(target->arch, &plan, &stub, &stub_len);
        if (r < 0)
                return nsl_fail(error, -r, "--seccomp", name, "cannot build the stub");
        if (body_len + stub_len > BPF_MAXINSNS)
                return nsl_fail(error, E2BIG, "--seccomp", name, "the filter has %zu instructions, more than %d",
                                body_len + stub_len, BPF_MAXINSNS);

        filter->insns = malloc((body_len + stub_len) * sizeof(struct sock_filter));
        if (!filter->insns)
                return nsl_fail(error, ENOMEM, "--seccomp", name, NULL);
        if (stub_len)
                memcpy(filter->insns, stub, stub_len * sizeof(struct sock_filter));
        memcpy(filter->insns + stub_len, body, body_len * sizeof(struct sock_filter));
        filter->len = (unsigned short)(body_len + stub_len);
        filter->flags = (profile->log_flag ? SECCOMP_FILTER_FLAG_LOG : 0) |
                        (profile->spec_allow_flag ? SECCOMP_FILTER_FLAG_SPEC_ALLOW : 0);
        return 0;
}

int nsl_sc_export_pfc(const struct nsl_sc_profile *profile, const char *name, const struct nsl_sc_target *target,
                      int fd, nsl_error *error)
{
        __attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = NULL;
        struct built built;
        int r = build_ctx(profile, name, target, &ctx, &built, error);

        if (r < 0)
                return r;
        r = seccomp_export_pfc(ctx, fd);
        if (r < 0)
                return nsl_fail(error, -r, "seccomp", name, "cannot export");
        if (built.inverted)
                dprintf(fd, "# nslaunch inverts: the program above allows by default and lists the refusals\n");
        for (size_t i = 0; i < built.n_rules; i++)
                dprintf(fd, "# nslaunch prepends: %s syscall %d answered 0x%08x when its arguments match\n",
                        arch_label(target->arch, false), built.rules[i].nr, built.rules[i].action);
        for (size_t i = 0; i < built.n_ranges; i++)
                dprintf(fd, "# nslaunch prepends: %s syscall numbers %d to %d (no syscall) answered 0x%08x\n",
                        arch_label(target->arch, false), built.ranges[i].first, built.ranges[i].last,
                        built.ranges[i].action);
        if (refuses(profile->default_action) && built.max_nr >= 0)
                dprintf(fd, "# nslaunch prepends: %s system calls above %d return ENOSYS\n",
                        arch_label(target->arch, false), built.max_nr);
        return 0;
}

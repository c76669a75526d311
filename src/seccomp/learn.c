#include "learn.h"

#include <errno.h>
#include <sched.h>
#include <json-c/json.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../json.h"
#include "filter.h"
#include "profile.h"

/* The built-in profile allows clone only without namespace flags, and the
 * rest falls to its default. With the default turned to allow, that refusal
 * has to be written out: one rule per flag, since a rule can only compare a
 * masked argument for equality. */
static int refuse_namespace_clones(struct nsl_sc_profile *profile, nsl_error *error)
{
        static const uint64_t flags[] = {
                CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
        };
        size_t n = sizeof flags / sizeof flags[0];
        struct nsl_sc_rule *rules = realloc(profile->rules, (profile->n_rules + n) * sizeof *rules);

        if (!rules)
                return nsl_fail(error, ENOMEM, "seccomp", "learn", NULL);
        profile->rules = rules;
        for (size_t i = 0; i < n; i++) {
                struct nsl_sc_rule *rule = &rules[profile->n_rules];

                *rule = (struct nsl_sc_rule){
                        .action = SCMP_ACT_ERRNO(EPERM),
                        .args = { { .index = 0, .value = flags[i], .value_two = flags[i], .op = SCMP_CMP_MASKED_EQ } },
                        .n_args = 1,
                };
                snprintf(rule->path, sizeof rule->path, "learning: clone flags");
                rule->names = calloc(2, sizeof *rule->names); /* NULL-terminated, as nsl_strv_free wants */
                if (!rule->names || !(rule->names[0] = strdup("clone"))) {
                        free(rule->names);
                        return nsl_fail(error, ENOMEM, "seccomp", "learn", NULL);
                }
                rule->n_names = 1;
                profile->n_rules++;
        }
        return 0;
}

int nsl_sc_learn_filter(struct nsl_sc_filter *filter, nsl_error *error)
{
        struct nsl_sc_profile profile;
        struct nsl_sc_target target;
        int r;

        if ((r = nsl_sc_target_native(&target, error)) < 0)
                return r;
        r = nsl_sc_profile_parse(nsl_builtin_profile_json, strlen(nsl_builtin_profile_json), "built-in", &profile,
                                 error);
        if (r < 0)
                return r;
        /* Allow rules now equal the default: the compiler leaves them out,
         * and what remains are the refusals. */
        profile.default_action = SCMP_ACT_ALLOW;
        r = refuse_namespace_clones(&profile, error);
        if (r == 0)
                r = nsl_sc_compile(&profile, "built-in (learning)", &target, filter, error);
        nsl_sc_profile_free(&profile);
        return r;
}

/* --- writing the learned profile --- */

struct name_set {
        char **names;
        size_t n, cap;
};

static void name_set_free(struct name_set *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->names[i]);
        free(s->names);
}

static bool name_set_has(const struct name_set *s, const char *name)
{
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(s->names[i], name))
                        return true;
        return false;
}

static int name_set_add(struct name_set *s, const char *name)
{
        if (name_set_has(s, name))
                return 0;
        if (s->n == s->cap) {
                size_t cap = s->cap ? 2 * s->cap : 64;
                char **grown = realloc(s->names, cap * sizeof *grown);
                if (!grown)
                        return -ENOMEM;
                s->names = grown;
                s->cap = cap;
        }
        if (!(s->names[s->n] = strdup(name)))
                return -ENOMEM;
        s->n++;
        return 0;
}

static int compare_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_args(json_object *rule);

static bool is_plain_allow(json_object *rule)
{
        json_object *action = json_object_object_get(rule, "action");

        return action && !strcmp(json_object_get_string(action), "SCMP_ACT_ALLOW") && !has_args(rule);
}

static int add_rule_names(struct name_set *s, json_object *rule)
{
        json_object *names = json_object_object_get(rule, "names");
        size_t n = names && json_object_is_type(names, json_type_array) ? json_object_array_length(names) : 0;

        for (size_t i = 0; i < n; i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(names, i));
                if (name && name_set_add(s, name) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static bool has_args(json_object *rule)
{
        json_object *args = json_object_object_get(rule, "args");
        return args && json_object_array_length(args) > 0;
}

/* Names the built-in profile refuses outright or allows only for some
 * arguments (clone): kept as those rules say, never in the plain allow
 * list. A refusal of some arguments (ioctl's TIOCSTI) leaves the name
 * allowed. */
static int ruled_names(json_object *builtin_rules, struct name_set *ruled)
{
        for (size_t i = 0; i < json_object_array_length(builtin_rules); i++) {
                json_object *rule = json_object_array_get_idx(builtin_rules, i);
                bool allow = !strcmp(json_object_get_string(json_object_object_get(rule, "action")), "SCMP_ACT_ALLOW");
                if (allow == has_args(rule) && add_rule_names(ruled, rule) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int merged_names(const char *path, struct name_set *seen, nsl_error *error)
{
        _cleanup_free_ char *text = NULL;
        struct nsl_sc_profile check;
        _cleanup_json_ json_object *root = NULL;
        json_object *rules;
        size_t len;
        int r;

        if ((r = nsl_sc_profile_read(path, &text, &len, error)) < 0)
                return r;
        /* the same parser as --seccomp: a broken file is refused with its JSON path */
        if ((r = nsl_sc_profile_parse(text, len, path, &check, error)) < 0)
                return r;
        nsl_sc_profile_free(&check);
        root = json_tokener_parse(text);
        rules = root ? json_object_object_get(root, "syscalls") : NULL;
        for (size_t i = 0; rules && i < json_object_array_length(rules); i++) {
                json_object *rule = json_object_array_get_idx(rules, i);
                if (is_plain_allow(rule) && add_rule_names(seen, rule) < 0)
                        return nsl_fail(error, ENOMEM, "learn", path, NULL);
        }
        return 0;
}

/* The other architecture's names for calls x86_64 has and aarch64 lacks. */
static const struct { const char *name, *equivalent; } equivalents[] = {
        { "open", "openat" }, { "stat", "newfstatat" }, { "lstat", "newfstatat" }, { "access", "faccessat" },
        { "pipe", "pipe2" }, { "dup2", "dup3" }, { "mkdir", "mkdirat" }, { "rmdir", "unlinkat" },
        { "unlink", "unlinkat" }, { "rename", "renameat" }, { "readlink", "readlinkat" }, { "symlink", "symlinkat" },
        { "link", "linkat" }, { "chmod", "fchmodat" }, { "chown", "fchownat" }, { "lchown", "fchownat" },
        { "fork", "clone" }, { "vfork", "clone" }, { "poll", "ppoll" }, { "select", "pselect6" },
        { "epoll_wait", "epoll_pwait" }, { "epoll_create", "epoll_create1" }, { "eventfd", "eventfd2" },
        { "signalfd", "signalfd4" }, { "inotify_init", "inotify_init1" }, { "getdents", "getdents64" },
        { "creat", "openat" }, { "utimes", "utimensat" }, { "futimesat", "utimensat" }, { "time", "clock_gettime" },
        { "alarm", "setitimer" }, { "getpgrp", "getpgid" }, { "pause", "ppoll" },
};

static int add_equivalents(struct name_set *seen, uint32_t arch)
{
        size_t n = seen->n;

        for (size_t i = 0; i < n; i++)
                for (size_t e = 0; e < sizeof equivalents / sizeof equivalents[0]; e++)
                        if (!strcmp(seen->names[i], equivalents[e].name) &&
                            seccomp_syscall_resolve_name_arch(arch, equivalents[e].equivalent) >= 0 &&
                            name_set_add(seen, equivalents[e].equivalent) < 0)
                                return -ENOMEM;
        return 0;
}

static const char *scmp_arch_name(uint32_t arch)
{
        return arch == SCMP_ARCH_X86_64 ? "SCMP_ARCH_X86_64" : arch == SCMP_ARCH_AARCH64 ? "SCMP_ARCH_AARCH64" : NULL;
}

static int seen_names(const nsl_result *result, struct name_set *seen)
{
        uint32_t native = seccomp_arch_native();

        for (int nr = 0; nr < NSL_MAX_LEARNED_NR; nr++) {
                if (!(result->learned[nr / 64] & (1ULL << (nr % 64))))
                        continue;
                _cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(native, nr);
                if (name && name_set_add(seen, name) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Calls a run may never show but any process can need at a moment of its
 * own: the return from a signal handler (refused, the return fails and the
 * process spins in its handler: a shell under a profile learned from a
 * program that caught no signal, seen in the arm64 guests) and the kernel's
 * restart of a call a stop interrupted. */
static const char *const always_needed[] = { "rt_sigreturn", "restart_syscall" };

static int add_always_needed(struct name_set *seen)
{
        for (size_t i = 0; i < sizeof always_needed / sizeof always_needed[0]; i++)
                if (name_set_add(seen, always_needed[i]) < 0)
                        return -ENOMEM;
        return 0;
}

static json_object *allow_rule(struct name_set *seen, const struct name_set *ruled)
{
        json_object *rule = json_object_new_object(), *names = json_object_new_array();

        qsort(seen->names, seen->n, sizeof *seen->names, compare_names);
        for (size_t i = 0; i < seen->n; i++)
                if (!name_set_has(ruled, seen->names[i]))
                        json_object_array_add(names, json_object_new_string(seen->names[i]));
        json_object_object_add(rule, "names", names);
        json_object_object_add(rule, "action", json_object_new_string("SCMP_ACT_ALLOW"));
        return rule;
}

/* The built-in profile's conditional allows (clone without namespace
 * flags) are kept when the run used that syscall; its refusals always. */
static void add_kept_rules(json_object *out_rules, json_object *builtin_rules, const struct name_set *seen)
{
        for (size_t i = 0; i < json_object_array_length(builtin_rules); i++) {
                json_object *rule = json_object_array_get_idx(builtin_rules, i);
                json_object *action = json_object_object_get(rule, "action");
                bool allow = action && !strcmp(json_object_get_string(action), "SCMP_ACT_ALLOW");
                bool used = false;
                json_object *names = json_object_object_get(rule, "names");

                if (is_plain_allow(rule))
                        continue;
                for (size_t k = 0; allow && k < json_object_array_length(names); k++)
                        used |= name_set_has(seen, json_object_get_string(json_object_array_get_idx(names, k)));
                if (!allow || used)
                        json_object_array_add(out_rules, json_object_get(rule));
        }
}

static json_object *learned_profile(json_object *builtin, struct name_set *seen, const struct name_set *ruled,
                                    uint32_t extra_arch)
{
        json_object *out = json_object_new_object(), *arches = json_object_new_array();
        json_object *rules = json_object_new_array(), *builtin_rules = json_object_object_get(builtin, "syscalls");

        json_object_object_add(out, "defaultAction", json_object_get(json_object_object_get(builtin, "defaultAction")));
        json_object_object_add(out, "defaultErrnoRet",
                               json_object_get(json_object_object_get(builtin, "defaultErrnoRet")));
        json_object_array_add(arches, json_object_new_string(scmp_arch_name(seccomp_arch_native())));
        if (extra_arch)
                json_object_array_add(arches, json_object_new_string(scmp_arch_name(extra_arch)));
        json_object_object_add(out, "architectures", arches);
        json_object_array_add(rules, allow_rule(seen, ruled));
        add_kept_rules(rules, builtin_rules, seen);
        json_object_object_add(out, "syscalls", rules);
        return out;
}

static int write_learned(const nsl_result *result, const char *merge, uint32_t extra_arch, const char *output,
                         struct name_set *seen, struct name_set *ruled, nsl_error *error)
{
        _cleanup_json_ json_object *builtin = json_tokener_parse(nsl_builtin_profile_json), *out = NULL;
        const char *text;
        int r;

        if (!builtin)
                return nsl_fail(error, EINVAL, "learn", "built-in profile", "cannot parse");
        if (ruled_names(json_object_object_get(builtin, "syscalls"), ruled) < 0 || seen_names(result, seen) < 0 ||
            add_always_needed(seen) < 0 || (extra_arch && add_equivalents(seen, extra_arch) < 0))
                return nsl_fail(error, ENOMEM, "learn", "", NULL);
        if (merge && (r = merged_names(merge, seen, error)) < 0)
                return r;
        out = learned_profile(builtin, seen, ruled, extra_arch);
        text = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE);
        /* atomically: output may also be the --merge input */
        _cleanup_free_ char *file = NULL;
        r = asprintf(&file, "%s\n", text) < 0 ? -ENOMEM : nsl_replace_file(output, file, strlen(file), NSL_FILE_DURABLE);
        return r < 0 ? nsl_fail(error, -r, "learn", output, NULL) : 0;
}

int nsl_seccomp_write_learned(const nsl_result *result, const char *merge, const char *extra_arch,
                              const char *output, nsl_error *error)
{
        struct name_set seen = { 0 }, ruled = { 0 };
        uint32_t arch = 0;
        int r;

        if (extra_arch) {
                arch = nsl_sc_arch_from_name(extra_arch);
                if (!scmp_arch_name(arch))
                        return nsl_fail(error, EINVAL, "--arch", extra_arch, "expected x86_64 or aarch64");
                if (arch == seccomp_arch_native())
                        arch = 0;
        }
        if (!scmp_arch_name(seccomp_arch_native()))
                return nsl_fail(error, ENOTSUP, "learn", "", "learning is for x86_64 and aarch64 hosts");
        r = write_learned(result, merge, arch, output, &seen, &ruled, error);
        name_set_free(&seen);
        name_set_free(&ruled);
        return r;
}

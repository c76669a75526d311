#include "profile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../json.h"
#include "../strv.h"

struct parser {
        const char *name;
        nsl_error *error;
};

static int bad(struct parser *p, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(struct parser *p, const char *path, const char *fmt, ...)
{
        char cause[200];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cause, sizeof cause, fmt, ap);
        va_end(ap);
        return nsl_fail(p->error, EINVAL, "--seccomp", p->name, "%s: %s", path, cause);
}

static const struct { const char *name; uint32_t action; bool takes_errno; } actions[] = {
        { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
        { "SCMP_ACT_ERRNO", 0, true },
        { "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false },
        { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
        { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
        { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
        { "SCMP_ACT_TRACE", 0, true },
        { "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
        { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

/* The calls the process makes between loading its filter and handing the
 * listener to the seccomp agent (agent.c), or to report that it could not:
 * handed to the agent themselves, they would wait for it for ever. */
static const char *const calls_before_the_agent[] = { "sendmsg", "write", "exit", "exit_group" };

static const struct { const char *name; enum scmp_compare op; } operators[] = {
        { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
        { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
        { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const char *known_keys_top[] = { "defaultAction", "defaultErrnoRet", "defaultErrno", "architectures", "archMap",
                                        "flags", "syscalls", "listenerPath", "listenerMetadata", NULL };

static bool is_known(const char *key, const char *const *known)
{
        for (; *known; known++)
                if (!strcmp(key, *known))
                        return true;
        return false;
}

/* A JSON path for messages: base followed by a formatted suffix (cut short
 * if it ever had to be). */
static void subpath(char *out, size_t size, const char *base, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void subpath(char *out, size_t size, const char *base, const char *fmt, ...)
{
        size_t n = strlen(base) < size ? strlen(base) : size - 1;
        va_list ap;

        memcpy(out, base, n);
        out[n] = '\0';
        va_start(ap, fmt);
        vsnprintf(out + n, size - n, fmt, ap);
        va_end(ap);
}

/* Every key of obj must be in known; the first that is not is the error. */
static int check_keys(struct parser *p, json_object *obj, const char *path, const char *const *known,
                      const char *known_text)
{
        struct json_object_iter it;
        char sub[128];

        json_object_object_foreachC(obj, it) {
                if (is_known(it.key, known))
                        continue;
                if (path)
                        subpath(sub, sizeof sub, path, ".%s", it.key);
                else
                        snprintf(sub, sizeof sub, "%s", it.key);
                return bad(p, sub, "unknown key (known: %s)", known_text);
        }
        return 0;
}

static int get_string(struct parser *p, json_object *obj, const char *path, const char **out)
{
        if (!json_object_is_type(obj, json_type_string))
                return bad(p, path, "expected a string");
        *out = json_object_get_string(obj);
        return 0;
}

static int get_uint(struct parser *p, json_object *obj, const char *path, uint64_t max, uint64_t *out)
{
        if (!json_object_is_type(obj, json_type_int))
                return bad(p, path, "expected a whole number");
        if (json_object_get_int64(obj) < 0 && json_object_get_uint64(obj) <= INT64_MAX)
                return bad(p, path, "must not be negative");
        *out = json_object_get_uint64(obj);
        if (*out > max)
                return bad(p, path, "must be at most %llu", (unsigned long long)max);
        return 0;
}

/* podman's profiles name the errno too ("errno": "ENOSYS"); the number wins
 * where both are given. */
static int errno_from_name(struct parser *p, json_object *obj, const char *path, uint64_t *out)
{
        const char *name = NULL;
        int r = get_string(p, obj, path, &name);

        if (r < 0)
                return r;
        for (int e = 1; e < 4096; e++) {
                const char *known = strerrorname_np(e);
                if (known && !strcmp(known, name)) {
                        *out = (uint64_t)e;
                        return 0;
                }
        }
        return bad(p, path, "unknown errno name '%s'", name);
}

static int parse_action(struct parser *p, json_object *obj, const char *path, json_object *errno_obj,
                        const char *errno_path, uint32_t default_errno, uint32_t *out)
{
        const char *name = NULL;
        uint64_t err = default_errno;
        int r = get_string(p, obj, path, &name);

        if (r < 0)
                return r;
        if (errno_obj && json_object_is_type(errno_obj, json_type_string))
                r = errno_from_name(p, errno_obj, errno_path, &err);
        else if (errno_obj)
                r = get_uint(p, errno_obj, errno_path, 4095, &err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(actions); i++) {
                if (strcmp(name, actions[i].name))
                        continue;
                if (!strcmp(name, "SCMP_ACT_ERRNO"))
                        *out = SCMP_ACT_ERRNO((uint16_t)err);
                else if (!strcmp(name, "SCMP_ACT_TRACE"))
                        *out = SCMP_ACT_TRACE((uint16_t)err);
                else
                        *out = actions[i].action;
                return 0;
        }
        return bad(p, path, "unknown action '%s' (known: SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, "
                            "SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE, SCMP_ACT_LOG, "
                            "SCMP_ACT_NOTIFY)",
                   name);
}

static int parse_string_list(struct parser *p, json_object *obj, const char *path, char ***v, size_t *n)
{
        char item[96];

        if (!obj || json_object_is_type(obj, json_type_null))
                return 0;
        if (!json_object_is_type(obj, json_type_array))
                return bad(p, path, "expected a list of strings");
        for (size_t i = 0; i < json_object_array_length(obj); i++) {
                const char *s = NULL;
                subpath(item, sizeof item, path, "[%zu]", i);
                int r = get_string(p, json_object_array_get_idx(obj, i), item, &s);
                if (r < 0)
                        return r;
                if (nsl_strv_push(v, n, s) < 0)
                        return nsl_fail(p->error, ENOMEM, "--seccomp", p->name, NULL);
        }
        return 0;
}

static int parse_kernel_version(struct parser *p, json_object *obj, const char *path, int out[2])
{
        const char *s = NULL;
        int major, minor, used = 0;
        int r = get_string(p, obj, path, &s);

        if (r < 0)
                return r;
        if (sscanf(s, "%d.%d%n", &major, &minor, &used) != 2 || s[used] || major < 0 || minor < 0)
                return bad(p, path, "expected a kernel version like \"4.8\", not '%s'", s);
        out[0] = major;
        out[1] = minor;
        return 0;
}

static int parse_condition(struct parser *p, json_object *obj, const char *path, struct nsl_sc_condition *c)
{
        static const char *const known[] = { "caps", "arches", "minKernel", NULL };
        char sub[96];
        int r;

        if (!obj || json_object_is_type(obj, json_type_null))
                return 0;
        if (!json_object_is_type(obj, json_type_object))
                return bad(p, path, "expected an object");
        if ((r = check_keys(p, obj, path, known, "caps, arches, minKernel")) < 0)
                return r;
        subpath(sub, sizeof sub, path, ".caps");
        if ((r = parse_string_list(p, json_object_object_get(obj, "caps"), sub, &c->caps, &c->n_caps)) < 0)
                return r;
        subpath(sub, sizeof sub, path, ".arches");
        if ((r = parse_string_list(p, json_object_object_get(obj, "arches"), sub, &c->arches, &c->n_arches)) < 0)
                return r;
        json_object *mk = json_object_object_get(obj, "minKernel");
        if (mk && !json_object_is_type(mk, json_type_null)) {
                subpath(sub, sizeof sub, path, ".minKernel");
                if ((r = parse_kernel_version(p, mk, sub, c->min_kernel)) < 0)
                        return r;
                c->has_min_kernel = true;
        }
        return 0;
}

static int parse_arg(struct parser *p, json_object *obj, const char *path, struct nsl_sc_arg *arg)
{
        static const char *const known[] = { "index", "value", "valueTwo", "op", NULL };
        char sub[96];
        const char *op = NULL;
        uint64_t index;
        int r;

        if (!json_object_is_type(obj, json_type_object))
                return bad(p, path, "expected an object");
        if ((r = check_keys(p, obj, path, known, "index, value, valueTwo, op")) < 0)
                return r;
        subpath(sub, sizeof sub, path, ".index");
        json_object *idx = json_object_object_get(obj, "index");
        if (!idx)
                return bad(p, sub, "missing");
        if ((r = get_uint(p, idx, sub, 5, &index)) < 0)
                return r;
        arg->index = (unsigned)index;
        subpath(sub, sizeof sub, path, ".value");
        json_object *value = json_object_object_get(obj, "value");
        if (!value)
                return bad(p, sub, "missing");
        if ((r = get_uint(p, value, sub, UINT64_MAX, &arg->value)) < 0)
                return r;
        json_object *two = json_object_object_get(obj, "valueTwo");
        subpath(sub, sizeof sub, path, ".valueTwo");
        if (two && (r = get_uint(p, two, sub, UINT64_MAX, &arg->value_two)) < 0)
                return r;
        subpath(sub, sizeof sub, path, ".op");
        json_object *op_obj = json_object_object_get(obj, "op");
        if (!op_obj)
                return bad(p, sub, "missing");
        if ((r = get_string(p, op_obj, sub, &op)) < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(operators); i++)
                if (!strcmp(op, operators[i].name)) {
                        arg->op = operators[i].op;
                        return 0;
                }
        return bad(p, sub, "unknown operator '%s' (known: SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, "
                           "SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)", op);
}

static int check_notified_calls(struct parser *p, const struct nsl_sc_rule *rule)
{
        char sub[96];

        if (rule->action != SCMP_ACT_NOTIFY)
                return 0;
        for (size_t i = 0; i < rule->n_names; i++)
                for (size_t k = 0; k < ELEMENTSOF(calls_before_the_agent); k++)
                        if (!strcmp(rule->names[i], calls_before_the_agent[k])) {
                                subpath(sub, sizeof sub, rule->path, ".action");
                                return bad(p, sub, "SCMP_ACT_NOTIFY on %s: the process makes that call itself "
                                                   "before the seccomp agent holds its listener", rule->names[i]);
                        }
        return 0;
}

static int parse_rule(struct parser *p, json_object *obj, size_t i, uint32_t default_errno, struct nsl_sc_rule *rule)
{
        static const char *const known[] = { "names", "name", "action", "errnoRet", "errno", "args", "includes",
                                             "excludes", "comment", NULL };
        char sub[96];
        int r;

        snprintf(rule->path, sizeof rule->path, "syscalls[%zu]", i);
        if (!json_object_is_type(obj, json_type_object))
                return bad(p, rule->path, "expected an object");
        if ((r = check_keys(p, obj, rule->path, known, "names, name, action, errnoRet, args, includes, excludes, comment")) < 0)
                return r;
        json_object *names = json_object_object_get(obj, "names"), *name = json_object_object_get(obj, "name");
        if (names && name)
                return bad(p, rule->path, "has both 'name' and 'names'; use one");
        if (name) {
                const char *s = NULL;
                subpath(sub, sizeof sub, rule->path, ".name");
                if ((r = get_string(p, name, sub, &s)) < 0)
                        return r;
                if (nsl_strv_push(&rule->names, &rule->n_names, s) < 0)
                        return nsl_fail(p->error, ENOMEM, "--seccomp", p->name, NULL);
        } else {
                subpath(sub, sizeof sub, rule->path, ".names");
                if (!names)
                        return bad(p, sub, "missing");
                if ((r = parse_string_list(p, names, sub, &rule->names, &rule->n_names)) < 0)
                        return r;
        }
        subpath(sub, sizeof sub, rule->path, ".action");
        json_object *action = json_object_object_get(obj, "action");
        if (!action)
                return bad(p, sub, "missing");
        char errno_path[96];
        subpath(errno_path, sizeof errno_path, rule->path, ".errnoRet");
        json_object *errno_obj = json_object_object_get(obj, "errnoRet");
        if (!errno_obj && (errno_obj = json_object_object_get(obj, "errno")))
                subpath(errno_path, sizeof errno_path, rule->path, ".errno");
        if ((r = parse_action(p, action, sub, errno_obj, errno_path, default_errno, &rule->action)) < 0 ||
            (r = check_notified_calls(p, rule)) < 0)
                return r;

        json_object *args = json_object_object_get(obj, "args");
        if (args && !json_object_is_type(args, json_type_null)) {
                subpath(sub, sizeof sub, rule->path, ".args");
                if (!json_object_is_type(args, json_type_array))
                        return bad(p, sub, "expected a list");
                if (json_object_array_length(args) > 6)
                        return bad(p, sub, "at most 6 argument conditions");
                for (size_t a = 0; a < json_object_array_length(args); a++) {
                        subpath(sub, sizeof sub, rule->path, ".args[%zu]", a);
                        if ((r = parse_arg(p, json_object_array_get_idx(args, a), sub, &rule->args[a])) < 0)
                                return r;
                        rule->n_args++;
                }
        }
        subpath(sub, sizeof sub, rule->path, ".includes");
        if ((r = parse_condition(p, json_object_object_get(obj, "includes"), sub, &rule->includes)) < 0)
                return r;
        subpath(sub, sizeof sub, rule->path, ".excludes");
        return parse_condition(p, json_object_object_get(obj, "excludes"), sub, &rule->excludes);
}

static int arch_from_name(struct parser *p, json_object *obj, const char *path, uint32_t *out)
{
        const char *s = NULL;
        int r = get_string(p, obj, path, &s);

        if (r < 0)
                return r;
        char lower[32];
        size_t n = strlen(s);

        if (strncmp(s, "SCMP_ARCH_", 10) || n - 10 >= sizeof lower || !strcmp(s, "SCMP_ARCH_NATIVE"))
                return bad(p, path, "unknown architecture '%s'", s);
        for (size_t i = 10; i <= n; i++)
                lower[i - 10] = (char)tolower((unsigned char)s[i]);
        if (!(*out = seccomp_arch_resolve_name(lower)))
                return bad(p, path, "unknown architecture '%s'", s);
        return 0;
}

bool nsl_sc_arch_token(uint32_t arch, char *buf, size_t size)
{
        static const char *const names[] = { "x86_64", "x86", "x32", "aarch64", "arm", "riscv64", "ppc64le", "ppc64",
                                             "ppc", "s390x", "s390", "mips", "mipsel", "mips64", "mipsel64",
                                             "mips64n32", "mipsel64n32", "loongarch64" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                if (seccomp_arch_resolve_name(names[i]) != arch)
                        continue;
                int n = snprintf(buf, size, "SCMP_ARCH_%s", names[i]);
                for (int k = 10; k < n && (size_t)k < size; k++)
                        buf[k] = (char)toupper((unsigned char)buf[k]);
                return n > 0 && (size_t)n < size;
        }
        return false;
}

static int add_arch(struct parser *p, struct nsl_sc_profile *profile, uint32_t arch, const char *path)
{
        /* An architecture may be another's sub-architecture too (Docker's
         * MIPS entries are), but not listed twice as itself. */
        for (size_t i = 0; i < profile->n_arches; i++)
                if (profile->arches[i].arch == arch)
                        return bad(p, path, "architecture listed twice");
        if (profile->n_arches == ELEMENTSOF(profile->arches))
                return bad(p, path, "too many architectures");
        profile->arches[profile->n_arches++] = (struct nsl_sc_arch){ .arch = arch };
        return 0;
}

static int parse_arches(struct parser *p, json_object *root, struct nsl_sc_profile *profile)
{
        json_object *list = json_object_object_get(root, "architectures");
        json_object *map = json_object_object_get(root, "archMap");
        char path[96];
        uint32_t arch;
        int r;

        if (list && json_object_is_type(list, json_type_null))
                list = NULL;
        if (map && json_object_is_type(map, json_type_null))
                map = NULL;
        if (list && map)
                return bad(p, "archMap", "'architectures' and 'archMap' are both given; use one");
        if (list) {
                if (!json_object_is_type(list, json_type_array))
                        return bad(p, "architectures", "expected a list");
                for (size_t i = 0; i < json_object_array_length(list); i++) {
                        snprintf(path, sizeof path, "architectures[%zu]", i);
                        if ((r = arch_from_name(p, json_object_array_get_idx(list, i), path, &arch)) < 0 ||
                            (r = add_arch(p, profile, arch, path)) < 0)
                                return r;
                }
        }
        if (map) {
                if (!json_object_is_type(map, json_type_array))
                        return bad(p, "archMap", "expected a list");
                for (size_t i = 0; i < json_object_array_length(map); i++) {
                        json_object *entry = json_object_array_get_idx(map, i), *a, *subs;
                        snprintf(path, sizeof path, "archMap[%zu]", i);
                        if (!json_object_is_type(entry, json_type_object))
                                return bad(p, path, "expected an object");
                        snprintf(path, sizeof path, "archMap[%zu].architecture", i);
                        if (!(a = json_object_object_get(entry, "architecture")))
                                return bad(p, path, "missing");
                        if ((r = arch_from_name(p, a, path, &arch)) < 0 || (r = add_arch(p, profile, arch, path)) < 0)
                                return r;
                        struct nsl_sc_arch *slot = &profile->arches[profile->n_arches - 1];
                        subs = json_object_object_get(entry, "subArchitectures");
                        if (!subs || json_object_is_type(subs, json_type_null))
                                continue;
                        snprintf(path, sizeof path, "archMap[%zu].subArchitectures", i);
                        if (!json_object_is_type(subs, json_type_array))
                                return bad(p, path, "expected a list");
                        for (size_t j = 0; j < json_object_array_length(subs); j++) {
                                snprintf(path, sizeof path, "archMap[%zu].subArchitectures[%zu]", i, j);
                                if ((r = arch_from_name(p, json_object_array_get_idx(subs, j), path, &arch)) < 0)
                                        return r;
                                for (size_t k = 0; k < slot->n_subs; k++)
                                        if (slot->subs[k] == arch || arch == slot->arch)
                                                return bad(p, path, "architecture listed twice");
                                if (slot->n_subs == ELEMENTSOF(slot->subs))
                                        return bad(p, path, "too many sub-architectures");
                                slot->subs[slot->n_subs++] = arch;
                        }
                }
        }
        return 0;
}

static int parse_flags(struct parser *p, json_object *root, struct nsl_sc_profile *profile)
{
        json_object *flags = json_object_object_get(root, "flags");
        char path[64];
        const char *f = NULL;
        int r;

        if (!flags || json_object_is_type(flags, json_type_null))
                return 0;
        if (!json_object_is_type(flags, json_type_array))
                return bad(p, "flags", "expected a list");
        for (size_t i = 0; i < json_object_array_length(flags); i++) {
                snprintf(path, sizeof path, "flags[%zu]", i);
                if ((r = get_string(p, json_object_array_get_idx(flags, i), path, &f)) < 0)
                        return r;
                if (!strcmp(f, "SECCOMP_FILTER_FLAG_LOG"))
                        profile->log_flag = true;
                else if (!strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
                        profile->spec_allow_flag = true;
                else if (strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC"))   /* one thread when it loads: moot */
                        return bad(p, path, "unknown flag '%s'", f);
        }
        return 0;
}

static void line_and_column(const char *text, size_t offset, size_t *line, size_t *column)
{
        *line = 1;
        *column = 1;
        for (size_t i = 0; i < offset; i++) {
                if (text[i] == '\n') {
                        (*line)++;
                        *column = 1;
                } else {
                        (*column)++;
                }
        }
}

static int parse_json(struct parser *p, const char *text, size_t len, json_object **out)
{
        const char *why = NULL;
        size_t offset, line, column;
        int r;

        if (len == 0)
                return nsl_fail(p->error, EINVAL, "--seccomp", p->name, "empty profile");
        if (memchr(text, '\0', len))
                return nsl_fail(p->error, EINVAL, "--seccomp", p->name, "contains a NUL byte: not a JSON profile");
        r = nsl_json_parse_text(text, len, true, out, &why, &offset);
        if (r == -EINVAL) {
                line_and_column(text, offset, &line, &column);
                return nsl_fail(p->error, EINVAL, "--seccomp", p->name, "line %zu, column %zu: %s", line, column, why);
        }
        return r < 0 ? nsl_fail(p->error, -r, "--seccomp", p->name, NULL) : 0;
}

int nsl_sc_profile_parse(const char *text, size_t len, const char *name, struct nsl_sc_profile *profile,
                         nsl_error *error)
{
        struct parser p = { .name = name, .error = error };
        _cleanup_json_ json_object *root = NULL;
        uint64_t default_errno = 1;     /* EPERM, as runc */
        int r;

        *profile = (struct nsl_sc_profile){ 0 };
        if (len > NSL_PROFILE_MAX_BYTES)
                return nsl_fail(error, EFBIG, "--seccomp", name, "larger than %d bytes", NSL_PROFILE_MAX_BYTES);
        if ((r = parse_json(&p, text, len, &root)) < 0)
                return r;
        if (!json_object_is_type(root, json_type_object))
                return bad(&p, "(top)", "expected an object");
        if ((r = check_keys(&p, root, NULL, known_keys_top,
                            "defaultAction, defaultErrnoRet, defaultErrno, architectures, archMap, flags, syscalls")) < 0)
                return r;
        if (json_object_object_get(root, "listenerPath"))
                return bad(&p, "listenerPath", "a seccomp agent is an OCI config's (linux.seccomp), not a profile's");

        json_object *errno_ret = json_object_object_get(root, "defaultErrnoRet");
        json_object *errno_name = json_object_object_get(root, "defaultErrno");
        if (errno_ret && (r = get_uint(&p, errno_ret, "defaultErrnoRet", 4095, &default_errno)) < 0)
                return r;
        if (!errno_ret && errno_name && (r = errno_from_name(&p, errno_name, "defaultErrno", &default_errno)) < 0)
                return r;
        json_object *action = json_object_object_get(root, "defaultAction");
        if (!action)
                return bad(&p, "defaultAction", "missing");
        if ((r = parse_action(&p, action, "defaultAction", NULL, NULL, (uint32_t)default_errno,
                              &profile->default_action)) < 0 ||
            (profile->default_action == SCMP_ACT_NOTIFY &&
             (r = bad(&p, "defaultAction", "SCMP_ACT_NOTIFY hands every call to the seccomp agent, also those the "
                                           "process makes before the agent holds its listener")) < 0) ||
            (r = parse_arches(&p, root, profile)) < 0 ||
            (r = parse_flags(&p, root, profile)) < 0)
                goto fail;

        json_object *syscalls = json_object_object_get(root, "syscalls");
        if (syscalls && !json_object_is_type(syscalls, json_type_null)) {
                if (!json_object_is_type(syscalls, json_type_array)) {
                        r = bad(&p, "syscalls", "expected a list");
                        goto fail;
                }
                size_t n = json_object_array_length(syscalls);
                profile->rules = calloc(n ? n : 1, sizeof *profile->rules);
                if (!profile->rules) {
                        r = nsl_fail(error, ENOMEM, "--seccomp", name, NULL);
                        goto fail;
                }
                for (size_t i = 0; i < n; i++) {
                        profile->n_rules++;
                        r = parse_rule(&p, json_object_array_get_idx(syscalls, i), i, (uint32_t)default_errno,
                                       &profile->rules[i]);
                        if (r < 0)
                                goto fail;
                }
        }
        return 0;
fail:
        nsl_sc_profile_free(profile);
        return r;
}

int nsl_sc_profile_open(const char *path, struct stat *st, nsl_error *error)
{
        /* O_NONBLOCK: a FIFO must not block the open; it is refused below */
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

        if (fd < 0)
                return nsl_fail(error, errno, "--seccomp", path, NULL);
        if (fstat(fd, st) < 0) {
                int e = errno;
                close(fd);
                return nsl_fail(error, e, "--seccomp", path, NULL);
        }
        if (!S_ISREG(st->st_mode)) {
                close(fd);
                return nsl_fail(error, EINVAL, "--seccomp", path, "not a regular file");
        }
        return fd;
}

int nsl_sc_profile_read_fd(int fd, const char *path, char **text, size_t *len, nsl_error *error)
{
        int r = nsl_read_fd(fd, NSL_PROFILE_MAX_BYTES, text, len);

        if (r == -EINVAL)
                return nsl_fail(error, EINVAL, "--seccomp", path, "not a regular file");
        if (r == -EFBIG)
                return nsl_fail(error, EFBIG, "--seccomp", path, "larger than %d bytes", NSL_PROFILE_MAX_BYTES);
        if (r < 0)
                return nsl_fail(error, -r, "--seccomp", path, NULL);
        return 0;
}

int nsl_sc_profile_read(const char *path, char **text, size_t *len, nsl_error *error)
{
        struct stat st;
        _cleanup_close_ int fd = nsl_sc_profile_open(path, &st, error);

        return fd < 0 ? fd : nsl_sc_profile_read_fd(fd, path, text, len, error);
}

void nsl_sc_profile_free(struct nsl_sc_profile *profile)
{
        for (size_t i = 0; i < profile->n_rules; i++) {
                struct nsl_sc_rule *r = &profile->rules[i];
                nsl_strv_free(r->names);
                nsl_strv_free(r->includes.caps);
                nsl_strv_free(r->includes.arches);
                nsl_strv_free(r->excludes.caps);
                nsl_strv_free(r->excludes.arches);
        }
        free(profile->rules);
        *profile = (struct nsl_sc_profile){ 0 };
}

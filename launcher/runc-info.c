/* nslaunch-runc state, list, ps, features, spec: what the runtime reports. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "json.h"
#include "runc.h"

enum { I_FORMAT = 1, I_QUIET, I_ROOTLESS, I_BUNDLE };

#define PLAIN (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define PRETTY (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

static int parse_format(const struct nsl_runc *g, const char *value, bool *json)
{
        if (!strcmp(value, "json") || !strcmp(value, "table")) {
                *json = !strcmp(value, "json");
                return 0;
        }
        return nsl_runc_fail(g, "--format", value, "not table or json");
}

int nsl_runc_state_cmd(const struct nsl_runc *g, int argc, char **argv)
{
        static const struct nsl_option_def none[] = { { 0 } };
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1 };
        struct nsl_runc_state state = { 0 };
        _cleanup_close_ int dirfd = -1;
        _cleanup_free_ char *json = NULL;
        nsl_error error = { 0 };
        const char *id = NULL;
        int opt;

        if (nsl_runc_one_id(g, "state", &t, nsl_next_token(&t, none, &opt), &id))
                return 1;
        dirfd = nsl_runc_dir_open(g, id, false, &error);
        if (dirfd < 0 || nsl_runc_state_read(dirfd, id, &state, &error) < 0)
                return nsl_runc_fail_error(g, &error);
        json = nsl_runc_state_json(&state, nsl_runc_status(&state));
        nsl_runc_state_release(&state);
        if (!json)
                return nsl_runc_fail(g, "state", id, strerror(ENOMEM));
        _cleanup_json_ json_object *o = json_tokener_parse(json);
        printf("%s\n", json_object_to_json_string_ext(o, PRETTY));
        return 0;
}

static int list_one(const struct nsl_runc *g, const char *id, json_object *out)
{
        struct nsl_runc_state state = { 0 };
        _cleanup_close_ int dirfd = -1;
        nsl_error error;

        dirfd = nsl_runc_dir_open(g, id, false, &error);
        if (dirfd < 0 || nsl_runc_state_read(dirfd, id, &state, &error) < 0)
                return 0;       /* a create under way or one that crashed: not a container yet */
        json_object *o = json_object_new_object();
        enum nsl_runc_status status = nsl_runc_status(&state);
        json_object_object_add(o, "ociVersion", json_object_new_string("1.2.0"));
        json_object_object_add(o, "id", json_object_new_string(state.id));
        json_object_object_add(o, "pid", json_object_new_int(status == NSL_RUNC_STOPPED ? 0 : state.pid));
        json_object_object_add(o, "status", json_object_new_string(nsl_runc_status_name(status)));
        json_object_object_add(o, "bundle", json_object_new_string(state.bundle));
        json_object_object_add(o, "rootfs", json_object_new_string(state.rootfs));
        json_object_object_add(o, "created", json_object_new_string(state.created));
        json_object_object_add(o, "annotations",
                               state.annotations ? json_object_get(state.annotations) : json_object_new_object());
        json_object_object_add(o, "owner", json_object_new_string(""));
        json_object_array_add(out, o);
        nsl_runc_state_release(&state);
        return 0;
}

static int by_id(const void *a, const void *b)
{
        const char *x = nsl_json_string(*(json_object *const *)a, "id");
        const char *y = nsl_json_string(*(json_object *const *)b, "id");
        return strcmp(x, y);
}

int nsl_runc_list(const struct nsl_runc *g, int argc, char **argv)
{
        static const struct nsl_option_def defs[] = {
                { "format", 'f', true, I_FORMAT }, { "quiet", 'q', false, I_QUIET }, { 0 } };
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1 };
        _cleanup_json_ json_object *out = json_object_new_array();
        _cleanup_dir_ DIR *dir = NULL;
        enum nsl_token token;
        bool json = false, quiet = false;
        struct dirent *e;
        int id;

        while ((token = nsl_next_token(&t, defs, &id)) == NSL_TOKEN_OPTION) {
                if (id == I_QUIET)
                        quiet = true;
                else if (parse_format(g, t.value, &json))
                        return 1;
        }
        if (token != NSL_TOKEN_END || t.index != argc)
                return token != NSL_TOKEN_END ? nsl_runc_usage(g, "list", token, t.spelled)
                                              : nsl_runc_fail(g, "list", argv[t.index], "takes no operand");
        dir = opendir(g->root);
        while (dir && (e = readdir(dir)))
                if (e->d_name[0] != '.')
                        list_one(g, e->d_name, out);
        json_object_array_sort(out, by_id);
        if (json) {
                printf("%s\n", json_object_to_json_string_ext(out, PLAIN));
                return 0;
        }
        if (!quiet)
                printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
        for (size_t i = 0; i < json_object_array_length(out); i++) {
                json_object *o = json_object_array_get_idx(out, i);
                if (quiet)
                        printf("%s\n", nsl_json_string(o, "id"));
                else
                        printf("%-20s %-8d %-10s %-40s %-30s %s\n", nsl_json_string(o, "id"),
                               json_object_get_int(nsl_json_member(o, "pid", json_type_int)), nsl_json_string(o, "status"),
                               nsl_json_string(o, "bundle"), nsl_json_string(o, "created"), "root");
        }
        return 0;
}

int nsl_runc_ps(const struct nsl_runc *g, int argc, char **argv)
{
        static const struct nsl_option_def defs[] = { { "format", 'f', true, I_FORMAT }, { 0 } };
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1 };
        struct nsl_runc_state state = { 0 };
        _cleanup_close_ int dirfd = -1;
        _cleanup_free_ pid_t *pids = NULL;
        nsl_error error = { 0 };
        enum nsl_token token;
        const char *cid = NULL;
        bool json = false;
        size_t n = 0;
        int id;

        while ((token = nsl_next_token(&t, defs, &id)) == NSL_TOKEN_OPTION)
                if (parse_format(g, t.value, &json))
                        return 1;
        /* runc ps ID [ps ARGS]: the table is nslaunch's own (no ps(1) in the way) */
        if (token != NSL_TOKEN_END)
                return nsl_runc_usage(g, "ps", token, t.spelled);
        if (t.index >= argc)
                return nsl_runc_fail(g, "ps", "", "no container ID");
        cid = argv[t.index];
        dirfd = nsl_runc_dir_open(g, cid, false, &error);
        if (dirfd < 0 || nsl_runc_state_read(dirfd, cid, &state, &error) < 0 ||
            nsl_runc_pids(&state, &pids, &n, &error) < 0) {
                nsl_runc_state_release(&state);
                return nsl_runc_fail_error(g, &error);
        }
        nsl_runc_state_release(&state);
        if (json) {
                _cleanup_json_ json_object *out = json_object_new_array();
                for (size_t i = 0; i < n; i++)
                        json_object_array_add(out, json_object_new_int(pids[i]));
                printf("%s\n", json_object_to_json_string_ext(out, PLAIN));
                return 0;
        }
        printf("%-8s %s\n", "PID", "CMD");
        for (size_t i = 0; i < n; i++) {
                char path[64], comm[64] = "";
                _cleanup_close_ int fd = -1;
                snprintf(path, sizeof path, "/proc/%d/comm", pids[i]);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                ssize_t len = fd >= 0 ? read(fd, comm, sizeof comm - 1) : 0;
                comm[len > 0 ? len - 1 : 0] = '\0';
                printf("%-8d %s\n", pids[i], comm);
        }
        return 0;
}

static json_object *strings(const char *const *list)
{
        json_object *a = json_object_new_array();
        for (; *list; list++)
                json_object_array_add(a, json_object_new_string(*list));
        return a;
}

static json_object *capability_names(void)
{
        json_object *a = json_object_new_array();

        for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
                char *name = cap_to_name(c), upper[64];
                size_t i;
                if (!name)
                        continue;
                for (i = 0; name[i] && i < sizeof upper - 1; i++)
                        upper[i] = (char)toupper((unsigned char)name[i]);
                upper[i] = '\0';
                cap_free(name);
                if (!strncmp(upper, "CAP_", 4))
                        json_object_array_add(a, json_object_new_string(upper));
        }
        return a;
}

static json_object *seccomp_features(void)
{
        static const char *const actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD",
                "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG", NULL };
        static const char *const operators[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL };
        static const char *const archs[] = { "x86", "x86_64", "x32", "arm", "aarch64", "mips", "mips64", "mips64n32",
                "mipsel", "mipsel64", "mipsel64n32", "ppc", "ppc64", "ppc64le", "s390", "s390x", "riscv64", NULL };
        json_object *o = json_object_new_object(), *a = json_object_new_array();

        for (const char *const *arch = archs; *arch; arch++) {
                char name[32];
                if (!seccomp_arch_resolve_name(*arch))
                        continue;
                snprintf(name, sizeof name, "SCMP_ARCH_%s", *arch);
                for (char *c = name + 10; *c; c++)
                        *c = (char)toupper((unsigned char)*c);
                json_object_array_add(a, json_object_new_string(name));
        }
        json_object_object_add(o, "enabled", json_object_new_boolean(true));
        json_object_object_add(o, "actions", strings(actions));
        json_object_object_add(o, "operators", strings(operators));
        json_object_object_add(o, "archs", a);
        return o;
}

int nsl_runc_features(const struct nsl_runc *g, int argc, char **argv)
{
        static const char *const hooks[] = { "prestart", "createRuntime", "createContainer", "startContainer",
                "poststart", "poststop", NULL };
        /* what src/oci/mounts.c accepts; propagation and the atime family
         * change nothing in a private mount namespace whose mounts are all
         * nosuid and nodev */
        static const char *const mount_options[] = { "bind", "rbind", "ro", "rro", "rw", "noexec", "exec", "nosuid", "nodev",
                "defaults", "idmap", "ridmap", "tmpcopyup", "private", "rprivate", "slave", "rslave", "shared",
                "rshared", "unbindable", "runbindable", "atime", "noatime", "relatime", "norelatime", "strictatime",
                "nostrictatime", "diratime", "nodiratime", "lazytime", "nolazytime", NULL };
        static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "user", "uts", NULL };
        _cleanup_json_ json_object *o = json_object_new_object();
        json_object *linux_o = json_object_new_object(), *cgroup = json_object_new_object();
        json_object *off = json_object_new_object(), *on = json_object_new_object();
        json_object *annotations = json_object_new_object();

        if (argc > 1)
                return nsl_runc_fail(g, "features", argv[1], "takes no operand");
        json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
        json_object_object_add(o, "ociVersionMax", json_object_new_string("1.2.0"));
        json_object_object_add(o, "hooks", strings(hooks));
        json_object_object_add(o, "mountOptions", strings(mount_options));
        json_object_object_add(linux_o, "namespaces", strings(namespaces));
        json_object_object_add(linux_o, "capabilities", capability_names());
        json_object_object_add(cgroup, "v1", json_object_new_boolean(true));
        json_object_object_add(cgroup, "v2", json_object_new_boolean(true));
        json_object_object_add(cgroup, "systemd", json_object_new_boolean(true));
        json_object_object_add(cgroup, "systemdUser", json_object_new_boolean(true));
        json_object_object_add(linux_o, "cgroup", cgroup);
        json_object_object_add(linux_o, "seccomp", seccomp_features());
        json_object_object_add(off, "enabled", json_object_new_boolean(false));
        json_object_object_add(on, "enabled", json_object_new_boolean(true));
        /* as runc says it: applied where the host's kernel enforces AppArmor */
        json_object_object_add(linux_o, "apparmor", on);
        json_object_object_add(linux_o, "selinux", off);
        json_object_object_add(o, "linux", linux_o);
        json_object_object_add(annotations, "org.nslaunch.version", json_object_new_string(NSL_VERSION));
        json_object_object_add(o, "annotations", annotations);
        printf("%s\n", json_object_to_json_string_ext(o, PRETTY));
        return 0;
}

/* The spec's setters for what an OCI bundle asks of the sandbox beyond
 * `nslaunch run`: its layout (/dev, /proc, /sys, masked and read-only
 * paths), its ids, and the few kernel settings a container may own. Data
 * only, checked as it is set; the plan resolves it against the host. */
#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "error.h"

#define OOM_SCORE_ADJ_MIN (-1000)
#define OOM_SCORE_ADJ_MAX 1000

void nsl_spec_set_bundle_layout(nsl_spec *spec, bool on) { spec->bundle_layout = on; }
void nsl_spec_set_dev(nsl_spec *spec, bool on) { spec->dev = on; }
void nsl_spec_set_devpts_gid(nsl_spec *spec, gid_t gid)
{
        spec->devpts_gid = gid;
        spec->devpts_gid_set = true;
}
void nsl_spec_set_sysfs(nsl_spec *spec, bool on) { spec->sysfs = on; }
void nsl_spec_set_cgroupfs(nsl_spec *spec, bool on) { spec->cgroupfs = on; }

/* A path inside the sandbox, normalised; what names it in errors. */
static int add_sandbox_path(char ***v, size_t *n, const char *path, const char *what, nsl_error *error)
{
        _cleanup_free_ char *dest = NULL;
        int r = path ? nsl_normalize_dest(path, &dest) : -EINVAL;

        if (r == -ENOMEM)
                return nsl_fail(error, ENOMEM, what, path, NULL);
        if (r < 0)
                return nsl_fail(error, EINVAL, what, path ? path : "",
                                "expected an absolute path inside the sandbox, without '..'");
        if (nsl_strv_push(v, n, dest) < 0)
                return nsl_fail(error, ENOMEM, what, path, NULL);
        return 0;
}

int nsl_spec_add_masked_path(nsl_spec *spec, const char *path, nsl_error *error)
{
        return add_sandbox_path(&spec->masked_paths, &spec->n_masked_paths, path, "masked-path", error);
}

int nsl_spec_add_readonly_path(nsl_spec *spec, const char *path, nsl_error *error)
{
        return add_sandbox_path(&spec->readonly_paths, &spec->n_readonly_paths, path, "readonly-path", error);
}

int nsl_spec_add_id_map(nsl_spec *spec, char kind, uint32_t inside, uint32_t outside, uint32_t count,
                        nsl_error *error)
{
        const char *what = kind == 'u' ? "uid-map" : "gid-map";
        struct nsl_id_range *maps = kind == 'u' ? spec->uid_maps : spec->gid_maps;
        size_t *n = kind == 'u' ? &spec->n_uid_maps : &spec->n_gid_maps;
        char line[48];

        snprintf(line, sizeof line, "%u %u %u", inside, outside, count);
        if (kind != 'u' && kind != 'g')
                return nsl_fail(error, EINVAL, "id-map", line, "kind must be 'u' or 'g'");
        /* (uid_t)-1 is no id: a range may reach it but not include it */
        if (count == 0 || (uint64_t)inside + count > UINT32_MAX || (uint64_t)outside + count > UINT32_MAX)
                return nsl_fail(error, EINVAL, what, line, "empty, or past the last id 4294967294");
        for (size_t i = 0; i < *n; i++) {
                const struct nsl_id_range *m = &maps[i];
                bool in_overlap = inside < m->inside + m->count && m->inside < inside + count;
                bool out_overlap = outside < m->outside + m->count && m->outside < outside + count;
                if (in_overlap || out_overlap)
                        return nsl_fail(error, EINVAL, what, line, "overlaps an earlier line");
        }
        if (*n == NSL_MAX_ID_MAPS)
                return nsl_fail(error, E2BIG, what, line, "more than %d lines", NSL_MAX_ID_MAPS);
        maps[(*n)++] = (struct nsl_id_range){ inside, outside, count };
        return 0;
}

int nsl_spec_add_group(nsl_spec *spec, gid_t gid, nsl_error *error)
{
        char num[16];

        snprintf(num, sizeof num, "%u", (unsigned)gid);
        if (gid == (gid_t)-1)
                return nsl_fail(error, EINVAL, "group", num, "not a group id");
        for (size_t i = 0; i < spec->n_groups; i++)
                if (spec->groups[i] == gid)
                        return 0;
        if (spec->n_groups == NSL_MAX_GROUPS)
                return nsl_fail(error, E2BIG, "group", num, "more than %d supplementary groups", NSL_MAX_GROUPS);
        spec->groups[spec->n_groups++] = gid;
        return 0;
}

int nsl_spec_join_namespace(nsl_spec *spec, const char *type, const char *path, nsl_error *error)
{
        int kind = nsl_join_kind_of(type);
        char *copy;

        if (kind < 0)
                return nsl_fail(error, EINVAL, "join-ns", type ? type : "",
                                "only a network, ipc, uts or pid namespace can be joined");
        const char *option = nsl_join_kinds[kind].option;
        if (!path || path[0] != '/')
                return nsl_fail(error, EINVAL, option, path ? path : "", "expected an absolute path");
        if (!(copy = strdup(path)))
                return nsl_fail(error, ENOMEM, option, path, NULL);
        free(spec->join_ns[kind]);
        spec->join_ns[kind] = copy;
        return 0;
}

int nsl_spec_set_network_ns(nsl_spec *spec, const char *path, nsl_error *error)
{
        return nsl_spec_join_namespace(spec, "network", path, error);
}

/* What /proc/PID/attr/apparmor/exec takes after "exec ": a name, no line
 * breaks; the length is the bound nslaunch's stage writes from the stack. */
int nsl_spec_set_apparmor_profile(nsl_spec *spec, const char *profile, nsl_error *error)
{
        size_t len = profile ? strlen(profile) : 0;
        char *copy;

        if (len == 0 || len >= NSL_APPARMOR_PROFILE_MAX)
                return nsl_fail(error, EINVAL, "apparmor", profile ? profile : "", "must be 1 to %d characters",
                                NSL_APPARMOR_PROFILE_MAX - 1);
        if (strpbrk(profile, "\n\r"))
                return nsl_fail(error, EINVAL, "apparmor", "", "a profile name has no line breaks");
        if (!(copy = strdup(profile)))
                return nsl_fail(error, ENOMEM, "apparmor", profile, NULL);
        free(spec->apparmor_profile);
        spec->apparmor_profile = copy;
        return 0;
}

int nsl_spec_set_oom_score_adj(nsl_spec *spec, int adj, nsl_error *error)
{
        char num[16];

        snprintf(num, sizeof num, "%d", adj);
        if (adj < OOM_SCORE_ADJ_MIN || adj > OOM_SCORE_ADJ_MAX)
                return nsl_fail(error, EINVAL, "oom-score-adj", num, "must be from -1000 to 1000");
        spec->oom_score_adj = adj;
        spec->oom_score_adj_set = true;
        return 0;
}

void nsl_spec_set_no_new_privs(nsl_spec *spec, bool on)
{
        spec->new_privs_allowed = !on;
}

int nsl_spec_set_root_propagation(nsl_spec *spec, const char *propagation, nsl_error *error)
{
        static const struct { const char *name; uint64_t flag; } kinds[] = {
                { "private", 0 }, { "slave", 0 }, { "shared", MS_SHARED }, { "unbindable", MS_UNBINDABLE },
        };
        bool recursive = propagation && propagation[0] == 'r';
        const char *kind = propagation ? propagation + recursive : "";

        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (!strcmp(kind, kinds[i].name)) {
                        spec->root_propagation = kinds[i].flag;
                        spec->root_propagation_recursive = recursive;
                        return 0;
                }
        return nsl_fail(error, EINVAL, "root-propagation", propagation ? propagation : "",
                        "expected [r]private, [r]slave, [r]shared or [r]unbindable");
}

/* The sysctls that belong to a namespace the sandbox owns (its network,
 * IPC or mqueue namespace; user.*, limits on what its own user namespace
 * may hold, which can only narrow its parents'); every other one would
 * change the host. */
static bool sysctl_namespaced(const char *key, size_t len)
{
        static const char *const prefixes[] = { "net.", "kernel.shm", "kernel.msg", "fs.mqueue.", "user." };

        if (len == strlen("kernel.sem") && !strncmp(key, "kernel.sem", len))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (len > strlen(prefixes[i]) && !strncmp(key, prefixes[i], strlen(prefixes[i])))
                        return true;
        return false;
}

static bool sysctl_key_valid(const char *key, size_t len)
{
        if (len == 0 || key[0] == '.' || key[len - 1] == '.')
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = key[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                          c == '-' || (c == '.' && key[i + 1] != '.');
                if (!ok)
                        return false;
        }
        return true;
}

int nsl_spec_add_sysctl(nsl_spec *spec, const char *assignment, nsl_error *error)
{
        const char *eq = assignment ? strchr(assignment, '=') : NULL;
        size_t len = eq ? (size_t)(eq - assignment) : 0;

        if (!eq)
                return nsl_fail(error, EINVAL, "sysctl", assignment ? assignment : "", "expected KEY=VALUE");
        if (!sysctl_key_valid(assignment, len))
                return nsl_fail(error, EINVAL, "sysctl", assignment, "not a sysctl name");
        if (!sysctl_namespaced(assignment, len))
                return nsl_fail(error, EPERM, "sysctl", assignment,
                                "%.*s is not namespaced (only net.*, kernel.shm*, kernel.msg*, kernel.sem, "
                                "fs.mqueue.* and user.* belong to the sandbox)", (int)len, assignment);
        if (strchr(eq + 1, '\n'))
                return nsl_fail(error, EINVAL, "sysctl", assignment, "the value holds a newline");
        if (nsl_strv_push(&spec->sysctls, &spec->n_sysctls, assignment) < 0)
                return nsl_fail(error, ENOMEM, "sysctl", assignment, NULL);
        return 0;
}

static bool controller_name_valid(const char *name)
{
        if (!*name || strlen(name) > 64)
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '='))
                        return false;
        return true;
}

int nsl_spec_set_exec_cgroup(nsl_spec *spec, const char *controller, const char *path, nsl_error *error)
{
        _cleanup_free_ char *entry = NULL;
        const char *name = controller ? controller : "";
        size_t name_len = strlen(name);

        /* no component may climb out of init's cgroup; the others are the
         * kernel's to find or not */
        if (!path || nsl_cgroup_path_climbs(path) || strchr(path, '\n'))
                return nsl_fail(error, EINVAL, "--cgroup", path ? path : "", "not a path below the container's cgroup");
        if (controller && !controller_name_valid(controller))
                return nsl_fail(error, EINVAL, "--cgroup", controller, "not a controller name");
        for (size_t i = 0; i < spec->n_exec_cgroups; i++) {
                const char *other = spec->exec_cgroups[i];
                if (!controller || other[0] == ':')
                        return nsl_fail(error, EINVAL, "--cgroup", path, "a path for every controller is given alone");
                if (!strncmp(other, name, name_len) && other[name_len] == ':')
                        return nsl_fail(error, EINVAL, "--cgroup", controller, "the controller is named twice");
        }
        while (*path == '/')
                path++;
        if (asprintf(&entry, "%s:%s", name, path) < 0 ||
            nsl_strv_push(&spec->exec_cgroups, &spec->n_exec_cgroups, entry) < 0)
                return nsl_fail(error, ENOMEM, "--cgroup", path, NULL);
        return 0;
}

int nsl_spec_set_domainname(nsl_spec *spec, const char *name, nsl_error *error)
{
        size_t len = name ? strlen(name) : 0;
        char *copy;

        if (len == 0 || len > 64)
                return nsl_fail(error, EINVAL, "domainname", name ? name : "", "must be 1 to 64 characters");
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '-' || *p == '.' || *p == '_'))
                        return nsl_fail(error, EINVAL, "domainname", name,
                                        "only letters, digits, '-', '_' and '.' are allowed");
        if (!(copy = strdup(name)))
                return nsl_fail(error, ENOMEM, "domainname", name, NULL);
        free(spec->domainname);
        spec->domainname = copy;
        return 0;
}

int nsl_spec_set_umask(nsl_spec *spec, mode_t mask, nsl_error *error)
{
        char num[16];

        snprintf(num, sizeof num, "%o", (unsigned)mask);
        if (mask & ~(mode_t)0777)
                return nsl_fail(error, EINVAL, "umask", num, "only permission bits (0 to 0777)");
        spec->umask = mask;
        spec->umask_set = true;
        return 0;
}

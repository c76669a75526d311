/* config.json's linux object: namespaces, id mappings, devices, sysctl,
 * seccomp, masked and read-only paths, and the fields nslaunch refuses. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../parse/parse.h"
#include "../seccomp/profile.h"
#include "../strv.h"
#include "oci.h"

static const char *const ns_names[NSL_OCI_NS_KINDS] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup" };

static int parse_namespace(json_object *o, const char *path, struct nsl_oci *oci, nsl_error *error)
{
        static const char *const known[] = { "type", "path", NULL };
        _cleanup_free_ char *type = NULL, *ns_path = NULL;
        int r, kind = 0;

        if (!json_object_is_type(o, json_type_object))
                return nsl_oci_refuse(error, path, "expected an object");
        if ((r = nsl_oci_check_keys(o, path, known, error)) < 0 ||
            (r = nsl_oci_get_string(o, "type", path, &type, error)) < 0 ||
            (r = nsl_oci_get_string(o, "path", path, &ns_path, error)) < 0)
                return r;
        while (kind < NSL_OCI_NS_KINDS && (!type || strcmp(type, ns_names[kind])))
                kind++;
        if (kind == NSL_OCI_NS_KINDS)       /* "time" (1.2) among them */
                return nsl_fail(error, EINVAL, "config.json", path, "namespace type %s is not supported",
                                type ? type : "(none)");
        if (oci->has_ns[kind])
                return nsl_fail(error, EINVAL, "config.json", path, "%s is listed twice", type);
        oci->has_ns[kind] = true;
        if (ns_path && *ns_path) {
                int join = nsl_join_kind_of(type);
                if (join < 0)
                        return nsl_fail(error, EINVAL, "config.json", path,
                                        "joining an existing %s namespace is not supported (only network, ipc, uts and pid)",
                                        type);
                if (ns_path[0] != '/')
                        return nsl_fail(error, EINVAL, "config.json", path, "path must be absolute");
                oci->join_ns[join] = TAKE_PTR(ns_path);
        }
        return 0;
}

static int parse_namespaces(json_object *lin, struct nsl_oci *oci, nsl_error *error)
{
        /* the host's pid, IPC and UTS namespaces are joined like another's
         * (translate.c); nslaunch builds the root in a mount namespace of
         * its own, and never in the host's */
        static const int required[] = { NSL_OCI_NS_MOUNT };
        json_object *list;
        char path[64];
        int r = nsl_oci_get_array(lin, "namespaces", "linux", &list, error);

        if (r < 0)
                return r;
        for (size_t i = 0; r > 0 && i < json_object_array_length(list); i++) {
                snprintf(path, sizeof path, "linux.namespaces[%zu]", i);
                if ((r = parse_namespace(json_object_array_get_idx(list, i), path, oci, error)) < 0)
                        return r;
                r = 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(required); i++)
                if (!oci->has_ns[required[i]])
                        return nsl_fail(error, EINVAL, "config.json", "linux.namespaces",
                                        "no %s namespace: sharing the host's is not supported", ns_names[required[i]]);
        return 0;
}

static int parse_idmaps(json_object *lin, const char *key, struct nsl_oci_idmap **maps, size_t *n,
                        nsl_error *error)
{
        static const char *const known[] = { "containerID", "hostID", "size", NULL };
        json_object *list;
        char path[64];
        int r = nsl_oci_get_array(lin, key, "linux", &list, error);

        if (r <= 0)
                return r;
        *maps = calloc(json_object_array_length(list) + 1, sizeof **maps);
        if (!*maps)
                return nsl_fail(error, ENOMEM, "config.json", key, NULL);
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i);
                int64_t container = 0, host = 0, size = 0;

                snprintf(path, sizeof path, "linux.%s[%zu]", key, i);
                if (!json_object_is_type(o, json_type_object))
                        return nsl_oci_refuse(error, path, "expected an object");
                if ((r = nsl_oci_check_keys(o, path, known, error)) < 0 ||
                    (r = nsl_oci_get_int(o, "containerID", path, 0, UINT32_MAX, &container, NULL, error)) < 0 ||
                    (r = nsl_oci_get_int(o, "hostID", path, 0, UINT32_MAX, &host, NULL, error)) < 0 ||
                    (r = nsl_oci_get_int(o, "size", path, 1, UINT32_MAX, &size, NULL, error)) < 0)
                        return r;
                if (size == 0)
                        return nsl_oci_refuse(error, path, "size is required");
                (*maps)[(*n)++] = (struct nsl_oci_idmap){ (uint32_t)container, (uint32_t)host, (uint32_t)size };
        }
        return 0;
}

/* The nodes nslaunch's own /dev holds: a config may list them. */
static bool device_is_made(const char *path)
{
        static const char *const made[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
                                            "/dev/tty", "/dev/ptmx", "/dev/console" };
        for (size_t i = 0; i < ELEMENTSOF(made); i++)
                if (!strcmp(path, made[i]))
                        return true;
        return false;
}

/* One entry: the nodes nslaunch's /dev makes are there already; any other
 * is made (root) or bound from the host (nsl_spec_add_device_node). */
static int parse_device(json_object *o, const char *path, struct nsl_oci *oci, nsl_error *error)
{
        static const char *const known[] = { "type", "path", "major", "minor", "fileMode", "uid", "gid", NULL };
        _cleanup_free_ char *type = NULL;
        _cleanup_free_ char *dev = NULL;
        int64_t major = 0, minor = 0, mode = -1, uid = -1, gid = -1;
        bool has_major = false, has_minor = false;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return nsl_oci_refuse(error, path, "expected an object");
        if ((r = nsl_oci_check_keys(o, path, known, error)) < 0 ||
            (r = nsl_oci_get_string(o, "path", path, &dev, error)) < 0 ||
            (r = nsl_oci_get_string(o, "type", path, &type, error)) < 0)
                return r;
        if (!dev)
                return nsl_oci_refuse(error, path, "path is required");
        if (device_is_made(dev))
                return 0;
        if (!type || strlen(type) != 1 || !strchr("cubp", type[0]))
                return nsl_fail(error, EINVAL, "config.json", path, "device %s: type %s: expected c, u, b or p", dev,
                                type ? type : "missing");
        if ((r = nsl_oci_get_int(o, "major", path, 0, UINT32_MAX, &major, &has_major, error)) < 0 ||
            (r = nsl_oci_get_int(o, "minor", path, 0, UINT32_MAX, &minor, &has_minor, error)) < 0 ||
            (r = nsl_oci_get_int(o, "fileMode", path, 0, UINT32_MAX, &mode, NULL, error)) < 0 ||
            (r = nsl_oci_get_int(o, "uid", path, 0, UINT32_MAX, &uid, NULL, error)) < 0 ||
            (r = nsl_oci_get_int(o, "gid", path, 0, UINT32_MAX, &gid, NULL, error)) < 0)
                return r;
        if (type[0] != 'p' && (!has_major || !has_minor))
                return nsl_oci_refuse(error, path, "major and minor are required");
        /* engines give stat's st_mode (podman: 020666): its type, if
         * there, must be the device's */
        if (mode > 07777 && (mode_t)mode >> 12 != nsl_device_type(type[0]) >> 12)
                return nsl_fail(error, EINVAL, "config.json", path, "device %s: fileMode %o is not a %s's", dev,
                                (unsigned)mode, type[0] == 'b' ? "block device" : type[0] == 'p' ? "FIFO"
                                                                                  : "character device");
        oci->devices[oci->n_devices++] = (struct nsl_oci_device){
                .path = TAKE_PTR(dev), .type = type[0], .major = (unsigned)major, .minor = (unsigned)minor,
                .file_mode = mode < 0 ? -1 : (int)(mode & 07777), .uid = uid, .gid = gid,
        };
        return 0;
}

static int parse_devices(json_object *lin, struct nsl_oci *oci, nsl_error *error)
{
        json_object *list;
        char path[64];
        int r = nsl_oci_get_array(lin, "devices", "linux", &list, error);

        if (r <= 0)
                return r;
        oci->devices = calloc(json_object_array_length(list) + 1, sizeof *oci->devices);
        if (!oci->devices)
                return nsl_fail(error, ENOMEM, "config.json", "linux.devices", NULL);
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                snprintf(path, sizeof path, "linux.devices[%zu]", i);
                if ((r = parse_device(json_object_array_get_idx(list, i), path, oci, error)) < 0)
                        return r;
        }
        return 0;
}

static int parse_sysctl(json_object *lin, struct nsl_oci *oci, nsl_error *error)
{
        json_object *sysctl;
        int r = nsl_oci_get_object(lin, "sysctl", "linux", &sysctl, error);

        if (r <= 0)
                return r;
        json_object_object_foreach(sysctl, key, value) {
                _cleanup_free_ char *assignment = NULL;
                char path[256];

                nsl_oci_subpath(path, sizeof path, "linux.sysctl.", "%s", key);
                if (!json_object_is_type(value, json_type_string))
                        return nsl_oci_refuse(error, path, "expected a string");
                if (asprintf(&assignment, "%s=%s", key, json_object_get_string(value)) < 0) {
                        assignment = NULL;
                        return nsl_fail(error, ENOMEM, "config.json", path, NULL);
                }
                if (nsl_strv_push(&oci->sysctl, &oci->n_sysctl, assignment) < 0)
                        return nsl_fail(error, ENOMEM, "config.json", path, NULL);
        }
        return 0;
}

static bool is_notify(json_object *action)
{
        return action && json_object_is_type(action, json_type_string) &&
               !strcmp(json_object_get_string(action), "SCMP_ACT_NOTIFY");
}

/* Whether any rule, or the default, hands calls to the agent; the profile
 * parser checks the rest of their shape. */
static bool uses_notify(json_object *seccomp)
{
        json_object *rules = json_object_object_get(seccomp, "syscalls");

        if (is_notify(json_object_object_get(seccomp, "defaultAction")))
                return true;
        for (size_t i = 0; json_object_is_type(rules, json_type_array) && i < json_object_array_length(rules); i++)
                if (is_notify(json_object_object_get(json_object_array_get_idx(rules, i), "action")))
                        return true;
        return false;
}

/* The seccomp agent's socket and metadata, taken out of the object: the
 * runtime connects to it, the filter knows nothing of it. Kept only where
 * SCMP_ACT_NOTIFY is used (runc connects only then too), and then needed. */
static int parse_seccomp_agent(json_object *seccomp, struct nsl_oci *oci, nsl_error *error)
{
        _cleanup_free_ char *path = NULL, *metadata = NULL;
        int r;

        if ((r = nsl_oci_get_string(seccomp, "listenerPath", "linux.seccomp", &path, error)) < 0 ||
            (r = nsl_oci_get_string(seccomp, "listenerMetadata", "linux.seccomp", &metadata, error)) < 0)
                return r;
        json_object_object_del(seccomp, "listenerPath");
        json_object_object_del(seccomp, "listenerMetadata");
        if (!uses_notify(seccomp))
                return 0;
        if (!path || !path[0])
                return nsl_oci_refuse(error, "linux.seccomp.listenerPath", "SCMP_ACT_NOTIFY hands calls to a seccomp "
                                                                           "agent, whose socket this names: missing");
        if (path[0] != '/')
                return nsl_oci_refuse(error, "linux.seccomp.listenerPath", "expected an absolute path");
        oci->seccomp_listener = TAKE_PTR(path);
        oci->seccomp_listener_metadata = metadata ? TAKE_PTR(metadata) : strdup("");
        if (!oci->seccomp_listener_metadata)
                return nsl_fail(error, ENOMEM, "config.json", "linux.seccomp.listenerMetadata", NULL);
        return 0;
}

/* libseccomp, and so runc and crun, always cover the native architecture,
 * architectures adding others to it (runc's suite lists only x86 and x32);
 * the profile parser covers only what is listed: a list without the native
 * one gets it, as such a config means. */
static int add_native_arch(json_object *seccomp, nsl_error *error)
{
        json_object *list = json_object_object_get(seccomp, "architectures");
        char native[32];

        if (!json_object_is_type(list, json_type_array) || !json_object_array_length(list) ||
            !nsl_sc_arch_token(seccomp_arch_native(), native, sizeof native))
                return 0;       /* none listed (native only), or the parser's to refuse */
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(list, i));
                if (name && !strcmp(name, native))
                        return 0;
        }
        if (json_object_array_add(list, json_object_new_string(native)) < 0)
                return nsl_fail(error, ENOMEM, "config.json", "linux.seccomp.architectures", NULL);
        return 0;
}

/* linux.seccomp as it is but for nslaunch's floor (floor.c) and the agent,
 * for the profile parser (which reads the OCI object and checks it in
 * depth), in a memfd the spec names. */
static int parse_seccomp(json_object *lin, struct nsl_oci *oci, nsl_error *error)
{
        json_object *seccomp;
        const char *text;
        int r = nsl_oci_get_object(lin, "seccomp", "linux", &seccomp, error);

        if (r <= 0)
                return r;
        if ((r = parse_seccomp_agent(seccomp, oci, error)) < 0 ||
            (r = add_native_arch(seccomp, error)) < 0 ||
            (r = nsl_oci_floor_seccomp(seccomp, oci, error)) < 0)
                return r;
        text = json_object_to_json_string_ext(seccomp, JSON_C_TO_STRING_PLAIN);
        oci->seccomp_fd = memfd_create("config.json:linux.seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (oci->seccomp_fd < 0)
                return nsl_fail(error, errno, "config.json", "linux.seccomp", NULL);
        if ((r = nsl_write_all(oci->seccomp_fd, text, strlen(text))) < 0)
                return nsl_fail(error, -r, "config.json", "linux.seccomp", NULL);
        if (fcntl(oci->seccomp_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return nsl_fail(error, errno, "config.json", "linux.seccomp", NULL);
        return 0;
}

static int parse_personality(json_object *lin, nsl_error *error)
{
        json_object *personality;
        char *domain = NULL;
        int r = nsl_oci_get_object(lin, "personality", "linux", &personality, error);

        if (r <= 0)
                return r;
        if ((r = nsl_oci_check_keys(personality, "linux.personality", (const char *const[]){ "domain", "flags", NULL },
                                    error)) < 0 ||
            (r = nsl_oci_refuse_set(personality, "flags", "linux.personality", error)) < 0 ||
            (r = nsl_oci_get_string(personality, "domain", "linux.personality", &domain, error)) < 0)
                return r;
        r = domain && strcmp(domain, "LINUX") ? nsl_oci_refuse(error, "linux.personality.domain",
                                                               "only LINUX is supported") : 0;
        free(domain);
        return r;
}

int nsl_oci_parse_linux(json_object *lin, struct nsl_oci *oci, nsl_error *error)
{
        /* intelRdt, timeOffsets, memoryPolicy, netDevices... are refused as unknown keys */
        static const char *const known[] = { "namespaces", "uidMappings", "gidMappings", "devices", "cgroupsPath",
                                             "resources", "rootfsPropagation", "seccomp", "sysctl", "maskedPaths",
                                             "readonlyPaths", "mountLabel", "personality", NULL };
        json_object *resources;
        int r;

        if ((r = nsl_oci_check_keys(lin, "linux", known, error)) < 0 ||
            (r = nsl_oci_get_string(lin, "mountLabel", "linux", &oci->mount_label, error)) < 0 ||
            (r = parse_namespaces(lin, oci, error)) < 0 ||
            (r = parse_idmaps(lin, "uidMappings", &oci->uid_maps, &oci->n_uid_maps, error)) < 0 ||
            (r = parse_idmaps(lin, "gidMappings", &oci->gid_maps, &oci->n_gid_maps, error)) < 0 ||
            (r = parse_devices(lin, oci, error)) < 0 ||
            (r = nsl_oci_get_string(lin, "cgroupsPath", "linux", &oci->cgroups_path, error)) < 0 ||
            (r = nsl_oci_get_object(lin, "resources", "linux", &resources, error)) < 0 ||
            (resources && (r = nsl_oci_parse_resources(resources, "linux.resources", &oci->resources, error)) < 0) ||
            (r = nsl_oci_get_string(lin, "rootfsPropagation", "linux", &oci->root_propagation, error)) < 0 ||
            (r = parse_seccomp(lin, oci, error)) < 0 ||
            (r = parse_sysctl(lin, oci, error)) < 0 ||
            (r = nsl_oci_get_strv(lin, "maskedPaths", "linux", &oci->masked_paths, &oci->n_masked_paths, error)) < 0 ||
            (r = nsl_oci_get_strv(lin, "readonlyPaths", "linux", &oci->readonly_paths, &oci->n_readonly_paths,
                                  error)) < 0 ||
            (r = parse_personality(lin, error)) < 0)
                return r;
        if ((oci->n_uid_maps || oci->n_gid_maps) && !oci->has_ns[NSL_OCI_NS_USER])
                return nsl_oci_refuse(error, "linux.uidMappings", "given without a user namespace");
        return 0;
}

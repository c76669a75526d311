/* nsl_oci_load: BUNDLE/config.json read into a struct nsl_oci. The top
 * level, root, mounts, hooks and annotations are read here; process.c reads
 * the process, linux.c the linux object. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../json.h"
#include "../strv.h"
#include "oci.h"

const char *const nsl_oci_hook_kinds[NSL_OCI_HOOK_KINDS] = {
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

static int check_version(json_object *root, nsl_error *error)
{
        _cleanup_free_ char *version = NULL;
        int r = nsl_oci_get_string(root, "ociVersion", "", &version, error);

        if (r < 0)
                return r;
        if (r == 0)
                return nsl_oci_refuse(error, "ociVersion", "missing");
        if (strncmp(version, "1.0.", 4) && strncmp(version, "1.1.", 4) && strncmp(version, "1.2.", 4) &&
            strcmp(version, "1.0") && strcmp(version, "1.1") && strcmp(version, "1.2"))
                return nsl_fail(error, EINVAL, "config.json", "ociVersion", "%s is not supported (1.0.x to 1.2.x)",
                                version);
        return 0;
}

static int parse_root(json_object *top, struct nsl_oci *oci, nsl_error *error)
{
        static const char *const known[] = { "path", "readonly", NULL };
        _cleanup_free_ char *path = NULL;
        json_object *root;
        int r;

        if ((r = nsl_oci_get_object(top, "root", "", &root, error)) < 0)
                return r;
        if (r == 0)
                return nsl_oci_refuse(error, "root", "missing");
        if ((r = nsl_oci_check_keys(root, "root", known, error)) < 0 ||
            (r = nsl_oci_get_string(root, "path", "root", &path, error)) < 0 ||
            (r = nsl_oci_get_bool(root, "readonly", "root", &oci->root_readonly, error)) < 0)
                return r;
        if (!path || !*path)
                return nsl_oci_refuse(error, "root.path", "missing");
        if (path[0] == '/') {
                oci->root_path = TAKE_PTR(path);
                return 0;
        }
        if (asprintf(&oci->root_path, "%s/%s", oci->bundle, path) < 0) {
                oci->root_path = NULL;
                return nsl_fail(error, ENOMEM, "config.json", "root.path", NULL);
        }
        return 0;
}

static int parse_mount(json_object *o, const char *path, struct nsl_oci_mount *m, nsl_error *error)
{
        static const char *const known[] = { "destination", "type", "source", "options", NULL };
        int r;

        if (!json_object_is_type(o, json_type_object))
                return nsl_oci_refuse(error, path, "expected an object");
        /* uidMappings/gidMappings (idmapped mounts of 1.1) are refused as unknown keys */
        if ((r = nsl_oci_check_keys(o, path, known, error)) < 0 ||
            (r = nsl_oci_get_string(o, "destination", path, &m->destination, error)) < 0 ||
            (r = nsl_oci_get_string(o, "type", path, &m->type, error)) < 0 ||
            (r = nsl_oci_get_string(o, "source", path, &m->source, error)) < 0 ||
            (r = nsl_oci_get_strv(o, "options", path, &m->options, &m->n_options, error)) < 0)
                return r;
        if (!m->destination || m->destination[0] != '/')
                return nsl_oci_refuse(error, path, "destination must be an absolute path");
        if (!m->type) {
                /* "type" may be left out for a bind (runtime-spec 1.1) */
                for (size_t i = 0; i < m->n_options && !m->type; i++)
                        if (!strcmp(m->options[i], "bind") || !strcmp(m->options[i], "rbind"))
                                m->type = strdup("bind");
                if (!m->type)
                        return nsl_oci_refuse(error, path, "no type");
        }
        return 0;
}

static int parse_mounts(json_object *top, struct nsl_oci *oci, nsl_error *error)
{
        json_object *list;
        char path[64];
        int r = nsl_oci_get_array(top, "mounts", "", &list, error);

        if (r <= 0)
                return r;
        oci->mounts = calloc(json_object_array_length(list) + 1, sizeof *oci->mounts);
        if (!oci->mounts)
                return nsl_fail(error, ENOMEM, "config.json", "mounts", NULL);
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                snprintf(path, sizeof path, "mounts[%zu]", i);
                oci->n_mounts++;
                if ((r = parse_mount(json_object_array_get_idx(list, i), path, &oci->mounts[i], error)) < 0)
                        return r;
        }
        return 0;
}

static int parse_hook(json_object *o, const char *path, struct nsl_oci_hook *hook, nsl_error *error)
{
        static const char *const known[] = { "path", "args", "env", "timeout", NULL };
        int64_t timeout = 0;
        bool has_timeout;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return nsl_oci_refuse(error, path, "expected an object");
        if ((r = nsl_oci_check_keys(o, path, known, error)) < 0 ||
            (r = nsl_oci_get_string(o, "path", path, &hook->path, error)) < 0 ||
            (r = nsl_oci_get_strv(o, "args", path, &hook->args, &hook->n_args, error)) < 0 ||
            (r = nsl_oci_get_strv(o, "env", path, &hook->env, &hook->n_env, error)) < 0 ||
            (r = nsl_oci_get_int(o, "timeout", path, 1, 86400, &timeout, &has_timeout, error)) < 0)
                return r;
        if (!hook->path || hook->path[0] != '/')
                return nsl_oci_refuse(error, path, "path must be an absolute path");
        hook->timeout = (unsigned)timeout;
        return 0;
}

static int parse_hooks(json_object *top, struct nsl_oci *oci, nsl_error *error)
{
        json_object *hooks, *list;
        char path[64];
        int r = nsl_oci_get_object(top, "hooks", "", &hooks, error);

        if (r <= 0)
                return r;
        if ((r = nsl_oci_check_keys(hooks, "hooks", (const char *const[]){ "prestart", "createRuntime",
                "createContainer", "startContainer", "poststart", "poststop", NULL }, error)) < 0)
                return r;
        for (int k = 0; k < NSL_OCI_HOOK_KINDS; k++) {
                if ((r = nsl_oci_get_array(hooks, nsl_oci_hook_kinds[k], "hooks", &list, error)) < 0)
                        return r;
                if (r == 0)
                        continue;
                oci->hooks[k] = calloc(json_object_array_length(list) + 1, sizeof *oci->hooks[k]);
                if (!oci->hooks[k])
                        return nsl_fail(error, ENOMEM, "config.json", "hooks", NULL);
                for (size_t i = 0; i < json_object_array_length(list); i++) {
                        snprintf(path, sizeof path, "hooks.%s[%zu]", nsl_oci_hook_kinds[k], i);
                        oci->n_hooks[k]++;
                        if ((r = parse_hook(json_object_array_get_idx(list, i), path, &oci->hooks[k][i], error)) < 0)
                                return r;
                }
        }
        return 0;
}

static int parse_config(json_object *top, struct nsl_oci *oci, nsl_error *error)
{
        static const char *const known[] = { "ociVersion", "root", "mounts", "process", "hostname", "domainname",
                                             "linux", "hooks", "annotations", NULL };
        json_object *process, *linux_obj;
        int r;

        if (!json_object_is_type(top, json_type_object))
                return nsl_oci_refuse(error, "config.json", "expected an object");
        if ((r = check_version(top, error)) < 0 ||
            (r = nsl_oci_check_keys(top, "", known, error)) < 0 ||
            (r = parse_root(top, oci, error)) < 0 ||
            (r = parse_mounts(top, oci, error)) < 0 ||
            (r = nsl_oci_get_string(top, "hostname", "", &oci->hostname, error)) < 0 ||
            (r = nsl_oci_get_string(top, "domainname", "", &oci->domainname, error)) < 0 ||
            (r = parse_hooks(top, oci, error)) < 0 ||
            (r = nsl_oci_parse_annotations(top, oci, error)) < 0 ||
            (r = nsl_oci_get_object(top, "process", "", &process, error)) < 0)
                return r;
        if (process) {
                oci->has_process = true;
                if ((r = nsl_oci_parse_process(process, "process", &oci->process, error)) < 0)
                        return r;
        }
        if ((r = nsl_oci_get_object(top, "linux", "", &linux_obj, error)) < 0)
                return r;
        if (r == 0)
                return nsl_oci_refuse(error, "linux", "missing (nslaunch runs Linux containers only)");
        return nsl_oci_parse_linux(linux_obj, oci, error);
}

static int read_config(const char *bundle, char **text, nsl_error *error)
{
        _cleanup_free_ char *path = NULL;
        size_t len;
        int r;

        if (asprintf(&path, "%s/config.json", bundle) < 0)
                return nsl_fail(error, ENOMEM, "config.json", bundle, NULL);
        r = nsl_read_file(path, NSL_OCI_CONFIG_MAX_BYTES, text, &len);
        if (r == -EINVAL)
                return nsl_fail(error, EINVAL, "config.json", path, "not a regular file");
        if (r == -EFBIG)
                return nsl_fail(error, EFBIG, "config.json", path, "larger than %d bytes", NSL_OCI_CONFIG_MAX_BYTES);
        if (r < 0)
                return nsl_fail(error, -r, "config.json", path, NULL);
        if (strlen(*text) != len)
                return nsl_fail(error, EINVAL, "config.json", path, "holds a NUL byte");
        return 0;
}

int nsl_oci_load_text(const char *bundle, const char *text, nsl_oci **out, nsl_error *error)
{
        _cleanup_json_ json_object *top = NULL;
        nsl_oci *oci;
        int r;

        *out = NULL;
        if ((r = nsl_json_parse_doc(text, "config.json", "config.json", &top, error)) < 0)
                return r;
        oci = calloc(1, sizeof *oci);
        if (!oci)
                return nsl_fail(error, ENOMEM, "config.json", bundle, NULL);
        oci->seccomp_fd = -1;
        nsl_oci_resources_init(&oci->resources);
        oci->bundle = strdup(bundle);
        oci->text = strdup(text);
        if (!oci->bundle || !oci->text)
                r = nsl_fail(error, ENOMEM, "config.json", bundle, NULL);
        else
                r = parse_config(top, oci, error);
        if (r < 0) {
                nsl_oci_free(oci);
                return r;
        }
        *out = oci;
        return 0;
}

int nsl_oci_load(const char *bundle_dir, nsl_oci **oci, nsl_error *error)
{
        _cleanup_free_ char *bundle = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        *oci = NULL;
        if (!bundle_dir || !*bundle_dir)
                return nsl_fail(error, EINVAL, "--bundle", "", "expected a directory");
        bundle = realpath(bundle_dir, NULL);
        if (!bundle)
                return nsl_fail(error, errno, "--bundle", bundle_dir, NULL);
        if ((r = read_config(bundle, &text, error)) < 0)
                return r;
        return nsl_oci_load_text(bundle, text, oci, error);
}

static void hook_clear(struct nsl_oci_hook *hook)
{
        free(hook->path);
        nsl_strv_free(hook->args);
        nsl_strv_free(hook->env);
}

const char *nsl_oci_text(const nsl_oci *oci)
{
        return oci->text;
}

void nsl_oci_free(nsl_oci *oci)
{
        if (!oci)
                return;
        free(oci->text);
        for (size_t i = 0; i < oci->n_mounts; i++) {
                free(oci->mounts[i].destination);
                free(oci->mounts[i].type);
                free(oci->mounts[i].source);
                nsl_strv_free(oci->mounts[i].options);
        }
        free(oci->mounts);
        for (int k = 0; k < NSL_OCI_HOOK_KINDS; k++) {
                for (size_t i = 0; i < oci->n_hooks[k]; i++)
                        hook_clear(&oci->hooks[k][i]);
                free(oci->hooks[k]);
        }
        nsl_oci_process_clear(&oci->process);
        nsl_oci_resources_clear(&oci->resources);
        nsl_oci_network_clear(&oci->network);
        free(oci->bundle);
        free(oci->root_path);
        free(oci->hostname);
        free(oci->domainname);
        for (int k = 0; k < NSL_JOIN_N; k++)
                free(oci->join_ns[k]);
        for (size_t i = 0; i < oci->n_devices; i++)
                free(oci->devices[i].path);
        free(oci->devices);
        free(oci->uid_maps);
        free(oci->gid_maps);
        free(oci->cgroups_path);
        free(oci->mount_label);
        free(oci->root_propagation);
        nsl_strv_free(oci->sysctl);
        nsl_strv_free(oci->masked_paths);
        nsl_strv_free(oci->readonly_paths);
        if (oci->seccomp_fd >= 0)
                close(oci->seccomp_fd);
        free(oci->seccomp_listener);
        free(oci->seccomp_listener_metadata);
        free(oci);
}

const char *nsl_oci_seccomp_listener(const nsl_oci *oci, const char **metadata)
{
        *metadata = oci->seccomp_listener_metadata;
        return oci->seccomp_listener;
}

const char *nsl_oci_cgroups_path(const nsl_oci *oci) { return oci->cgroups_path; }
bool nsl_oci_terminal(const nsl_oci *oci) { return oci->has_process && oci->process.terminal; }
const char *nsl_oci_root_path(const nsl_oci *oci) { return oci->root_path; }

/* config.json's process object (also runc exec --process FILE): args, env,
 * cwd, user, capabilities, rlimits, and the fields nslaunch refuses. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../json.h"
#include "../strv.h"
#include "oci.h"

static const char *const cap_sets[NSL_OCI_CAP_SETS + 1] = { "bounding", "effective", "inheritable", "permitted",
                                                            "ambient", NULL };

static int parse_capabilities(json_object *process, const char *base, struct nsl_oci_process *p,
                              nsl_error *error)
{
        json_object *caps, *list;
        char path[96], item[128];
        int r;

        nsl_oci_subpath(path, sizeof path, base, ".capabilities");
        if ((r = nsl_oci_get_object(process, "capabilities", base, &caps, error)) <= 0)
                return r;
        p->has_caps = true;
        if ((r = nsl_oci_check_keys(caps, path, cap_sets, error)) < 0)
                return r;
        for (int s = 0; s < NSL_OCI_CAP_SETS; s++) {
                if ((r = nsl_oci_get_array(caps, cap_sets[s], path, &list, error)) < 0)
                        return r;
                for (size_t i = 0; r > 0 && i < json_object_array_length(list); i++) {
                        json_object *name = json_object_array_get_idx(list, i);
                        int cap = json_object_is_type(name, json_type_string) ?
                                nsl_cap_number(json_object_get_string(name)) : -1;

                        nsl_oci_subpath(item, sizeof item, path, ".%s[%zu]", cap_sets[s], i);
                        if (cap < 0)
                                return nsl_fail(error, EINVAL, "config.json", item, "unknown capability %s",
                                                json_object_to_json_string(name));
                        p->caps[s] |= 1ULL << cap;
                }
        }
        return 0;
}

static int parse_rlimits(json_object *process, const char *base, struct nsl_oci_process *p, nsl_error *error)
{
        static const char *const known[] = { "type", "soft", "hard", NULL };
        json_object *list;
        char path[96];
        int r = nsl_oci_get_array(process, "rlimits", base, &list, error);

        if (r <= 0)
                return r;
        p->rlimits = calloc(json_object_array_length(list) + 1, sizeof *p->rlimits);
        if (!p->rlimits)
                return nsl_fail(error, ENOMEM, "config.json", base, NULL);
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *o = json_object_array_get_idx(list, i);
                struct nsl_oci_rlimit *rl = &p->rlimits[p->n_rlimits++];
                bool soft, hard;

                nsl_oci_subpath(path, sizeof path, base, ".rlimits[%zu]", i);
                if (!json_object_is_type(o, json_type_object))
                        return nsl_oci_refuse(error, path, "expected an object");
                if ((r = nsl_oci_check_keys(o, path, known, error)) < 0 ||
                    (r = nsl_oci_get_string(o, "type", path, &rl->type, error)) < 0 ||
                    (r = nsl_oci_get_u64(o, "soft", path, &rl->soft, &soft, error)) < 0 ||
                    (r = nsl_oci_get_u64(o, "hard", path, &rl->hard, &hard, error)) < 0)
                        return r;
                if (!rl->type || !soft || !hard)
                        return nsl_oci_refuse(error, path, "type, soft and hard are required");
        }
        return 0;
}

static int parse_user(json_object *process, const char *base, struct nsl_oci_process *p, nsl_error *error)
{
        static const char *const known[] = { "uid", "gid", "umask", "additionalGids", NULL };
        json_object *user, *gids;
        int64_t v = 0;
        char path[96], item[128];
        int r;

        nsl_oci_subpath(path, sizeof path, base, ".user");
        if ((r = nsl_oci_get_object(process, "user", base, &user, error)) <= 0)
                return r;
        /* "username" is for Windows */
        if ((r = nsl_oci_check_keys(user, path, known, error)) < 0 ||
            (r = nsl_oci_get_int(user, "uid", path, 0, UINT32_MAX - 1, &v, NULL, error)) < 0)
                return r;
        p->uid = (uint32_t)v;
        v = 0;
        if ((r = nsl_oci_get_int(user, "gid", path, 0, UINT32_MAX - 1, &v, NULL, error)) < 0)
                return r;
        p->gid = (uint32_t)v;
        if ((r = nsl_oci_get_int(user, "umask", path, 0, 0777, &v, &p->has_umask, error)) < 0)
                return r;
        p->umask = (mode_t)v;
        if ((r = nsl_oci_get_array(user, "additionalGids", path, &gids, error)) <= 0)
                return r;
        p->additional_gids = calloc(json_object_array_length(gids) + 1, sizeof *p->additional_gids);
        if (!p->additional_gids)
                return nsl_fail(error, ENOMEM, "config.json", path, NULL);
        for (size_t i = 0; i < json_object_array_length(gids); i++) {
                json_object *g = json_object_array_get_idx(gids, i);

                nsl_oci_subpath(item, sizeof item, path, ".additionalGids[%zu]", i);
                if (!json_object_is_type(g, json_type_int) || json_object_get_int64(g) < 0 ||
                    json_object_get_int64(g) >= UINT32_MAX)
                        return nsl_oci_refuse(error, item, "expected a group id");
                p->additional_gids[p->n_additional_gids++] = (uint32_t)json_object_get_int64(g);
        }
        return 0;
}

static int parse_console_size(json_object *process, const char *base, struct nsl_oci_process *p, nsl_error *error)
{
        static const char *const known[] = { "height", "width", NULL };
        json_object *size;
        int64_t h = 0, w = 0;
        char path[96];
        int r;

        nsl_oci_subpath(path, sizeof path, base, ".consoleSize");
        if ((r = nsl_oci_get_object(process, "consoleSize", base, &size, error)) <= 0)
                return r;
        if ((r = nsl_oci_check_keys(size, path, known, error)) < 0 ||
            (r = nsl_oci_get_int(size, "height", path, 0, UINT16_MAX, &h, NULL, error)) < 0 ||
            (r = nsl_oci_get_int(size, "width", path, 0, UINT16_MAX, &w, NULL, error)) < 0)
                return r;
        p->console_height = (unsigned)h;
        p->console_width = (unsigned)w;
        return 0;
}

int nsl_oci_parse_process(json_object *o, const char *base, struct nsl_oci_process *p, nsl_error *error)
{
        /* commandLine and user.username are Windows'; scheduler, ioPriority
         * and execCPUAffinity (1.2) are refused as unknown keys */
        static const char *const known[] = { "terminal", "consoleSize", "user", "args", "env", "cwd",
                                             "capabilities", "rlimits", "noNewPrivileges", "oomScoreAdj",
                                             "apparmorProfile", "selinuxLabel", NULL };
        int64_t oom = 0;
        char path[96];
        int r;

        if ((r = nsl_oci_check_keys(o, base, known, error)) < 0 ||
            (r = nsl_oci_get_string(o, "apparmorProfile", base, &p->apparmor_profile, error)) < 0 ||
            (r = nsl_oci_refuse_set(o, "selinuxLabel", base, error)) < 0 ||
            (r = nsl_oci_get_bool(o, "terminal", base, &p->terminal, error)) < 0 ||
            (r = parse_console_size(o, base, p, error)) < 0 ||
            (r = parse_user(o, base, p, error)) < 0 ||
            (r = nsl_oci_get_strv(o, "args", base, &p->args, &p->n_args, error)) < 0 ||
            (r = nsl_oci_get_strv(o, "env", base, &p->env, &p->n_env, error)) < 0 ||
            (r = nsl_oci_get_string(o, "cwd", base, &p->cwd, error)) < 0 ||
            (r = parse_capabilities(o, base, p, error)) < 0 ||
            (r = parse_rlimits(o, base, p, error)) < 0 ||
            (r = nsl_oci_get_bool(o, "noNewPrivileges", base, &p->no_new_privileges, error)) < 0 ||
            (r = nsl_oci_get_int(o, "oomScoreAdj", base, -1000, 1000, &oom, &p->has_oom_score_adj, error)) < 0)
                return r;
        p->oom_score_adj = (int)oom;
        nsl_oci_subpath(path, sizeof path, base, ".args");
        if (p->n_args == 0 || !p->args[0][0])
                return nsl_oci_refuse(error, path, "missing (the command to run)");
        nsl_oci_subpath(path, sizeof path, base, ".cwd");
        if (!p->cwd || p->cwd[0] != '/')
                return nsl_oci_refuse(error, path, "must be an absolute path");
        return 0;
}

void nsl_oci_process_clear(struct nsl_oci_process *p)
{
        nsl_strv_free(p->args);
        nsl_strv_free(p->env);
        free(p->cwd);
        free(p->apparmor_profile);
        free(p->additional_gids);
        for (size_t i = 0; i < p->n_rlimits; i++)
                free(p->rlimits[i].type);
        free(p->rlimits);
        *p = (struct nsl_oci_process){ 0 };
}

int nsl_oci_process_load(const char *process_json_path, nsl_spec *spec, nsl_error *error)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_object *o = NULL;
        struct nsl_oci_process p = { 0 };
        size_t len;
        int r = nsl_read_file_or_pipe(process_json_path, NSL_OCI_CONFIG_MAX_BYTES, &text, &len);

        if (r < 0)
                return nsl_fail(error, -r, "--process", process_json_path, NULL);
        if ((r = nsl_json_parse_doc(text, "--process", process_json_path, &o, error)) < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return nsl_oci_refuse(error, "process", "expected an object");
        r = nsl_oci_parse_process(o, "process", &p, error);
        if (r == 0)
                r = nsl_oci_process_to_spec(&p, spec, error);
        nsl_oci_process_clear(&p);
        return r;
}

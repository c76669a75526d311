/* --image-defaults: the run defaults `nslaunch rootfs import` wrote next to
 * the rootfs (ROOTFS.image.json: Env, Entrypoint, Cmd, WorkingDir, User),
 * applied where the caller gave nothing. The file lives outside the rootfs,
 * so no image layer can have forged it; a user name is looked up in the
 * rootfs's own /etc/passwd, opened inside the root. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "json.h"
#include "spec.h"
#include "user.h"

#define OPT "--image-defaults"
#define MAX_DEFAULTS (1u << 20)

static int apply_user(nsl_spec *spec, const char *user, nsl_error *error)
{
        uid_t uid;
        gid_t gid;
        int r;

        if (!*user || spec->uid_set)
                return 0;
        r = nsl_user_resolve(spec->rootfs, user, OPT, &uid, &gid, error);
        if (r < 0)
                return r;
        spec->uid = uid;
        spec->uid_set = true;
        if (!spec->gid_set) {
                spec->gid = gid;
                spec->gid_set = true;
        }
        return 0;
}

static int push_strings(json_object *a, char ***v, size_t *n, nsl_error *error)
{
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *s = json_object_array_get_idx(a, i);
                if (!json_object_is_type(s, json_type_string))
                        return nsl_fail(error, EINVAL, OPT, "", "not a list of strings");
                if (nsl_strv_push(v, n, json_object_get_string(s)) < 0)
                        return nsl_fail(error, ENOMEM, OPT, "", NULL);
        }
        return 0;
}

/* Docker's rule: the caller's command replaces Cmd; Entrypoint stays. */
static int apply_command(nsl_spec *spec, json_object *defaults, nsl_error *error)
{
        json_object *entrypoint = nsl_json_member(defaults, "Entrypoint", json_type_array);
        json_object *cmd = nsl_json_member(defaults, "Cmd", json_type_array);
        char **argv = NULL;
        size_t n = 0;
        int r = push_strings(entrypoint, &argv, &n, error);

        if (r == 0 && spec->argv)
                for (char **a = spec->argv; *a && r == 0; a++)
                        if (nsl_strv_push(&argv, &n, *a) < 0)
                                r = nsl_fail(error, ENOMEM, OPT, "", NULL);
        if (r == 0 && !spec->argv)
                r = push_strings(cmd, &argv, &n, error);
        if (r == 0 && n == 0)
                r = nsl_fail(error, EINVAL, OPT, "", "the image names no command (no Entrypoint or Cmd): give one "
                             "after --");
        if (r == 0)
                r = nsl_spec_set_command(spec, argv, error);
        nsl_strv_free(argv);
        return r;
}

int nsl_spec_use_image_defaults(nsl_spec *spec, nsl_error *error)
{
        _cleanup_json_ json_object *defaults = NULL;
        _cleanup_free_ char *text = NULL, *path = NULL;
        json_object *dir, *user, *env;
        size_t len;
        int r;

        if (!spec->rootfs)
                return nsl_fail(error, EINVAL, OPT, "", "needs --rootfs (the defaults live next to the rootfs)");
        len = strlen(spec->rootfs);
        while (len > 1 && spec->rootfs[len - 1] == '/')
                len--;
        if (asprintf(&path, "%.*s.image.json", (int)len, spec->rootfs) < 0)
                return nsl_fail(error, ENOMEM, OPT, "", NULL);
        r = nsl_read_file(path, MAX_DEFAULTS, &text, &len);
        if (r < 0)
                return nsl_fail(error, -r, OPT, path, "cannot read the image defaults (written by nslaunch rootfs "
                                "import)");
        if (nsl_json_parse_text(text, len, false, &defaults, &(const char *){ NULL }, &(size_t){ 0 }) < 0 ||
            !json_object_is_type(defaults, json_type_object))
                return nsl_fail(error, EINVAL, OPT, path, "not a JSON object");
        env = nsl_json_member(defaults, "Env", json_type_array);
        for (size_t i = 0; env && i < json_object_array_length(env); i++) {
                json_object *e = json_object_array_get_idx(env, i);
                const char *a = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : NULL;
                if (!a || !nsl_env_assignment_valid(a))
                        return nsl_fail(error, EINVAL, OPT, path, "Env[%zu] is not KEY=VALUE", i);
                if (nsl_strv_push(&spec->image_env, &spec->n_image_env, a) < 0)
                        return nsl_fail(error, ENOMEM, OPT, path, NULL);
        }
        if ((r = apply_command(spec, defaults, error)) < 0)
                return r;
        dir = nsl_json_member(defaults, "WorkingDir", json_type_string);
        if (dir && json_object_get_string(dir)[0] && !spec->cwd_set &&
            (r = nsl_spec_set_cwd(spec, json_object_get_string(dir), error)) < 0)
                return r;
        user = nsl_json_member(defaults, "User", json_type_string);
        return user ? apply_user(spec, json_object_get_string(user), error) : 0;
}

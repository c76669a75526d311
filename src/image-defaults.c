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
#include "sandbox/mount.h"
#include "spec.h"

#define OPT "--image-defaults"
#define MAX_DEFAULTS (1u << 20)

static int read_in_root(const char *rootfs, const char *path, char **text, nsl_error *error)
{
        _cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = -1;
        char proc[64];
        size_t len;
        int r;

        if (root < 0)
                return nsl_fail(error, errno, OPT, rootfs, NULL);
        fd = nsl_open_in_root(root, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        if (fd < 0)
                return nsl_fail(error, -fd, OPT, path, "cannot open it in the rootfs");
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        r = nsl_read_file(proc, MAX_DEFAULTS, text, &len);
        return r < 0 ? nsl_fail(error, -r, OPT, path, "cannot read it in the rootfs") : 0;
}

/* name -> id from a passwd or group file's text (field 3). */
static int lookup_id(const char *text, const char *name, unsigned long *id, unsigned long *gid)
{
        size_t nlen = strlen(name);

        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                unsigned long a = 0, b = 0;
                if (strncmp(line, name, nlen) || line[nlen] != ':')
                        continue;
                const char *f = strchr(line + nlen + 1, ':');
                if (!f || sscanf(f + 1, "%lu:%lu", &a, &b) < 1)
                        return -EINVAL;
                *id = a;
                if (gid)
                        *gid = b;
                return 0;
        }
        return -ENOENT;
}

static int resolve_part(nsl_spec *spec, const char *part, bool group, unsigned long *id, unsigned long *gid,
                        nsl_error *error)
{
        _cleanup_free_ char *text = NULL;
        char *end;
        int r;

        errno = 0;
        *id = strtoul(part, &end, 10);
        if (*part && !*end && !errno)
                return 1;       /* numeric */
        r = read_in_root(spec->rootfs, group ? "/etc/group" : "/etc/passwd", &text, error);
        if (r < 0)
                return r;
        r = lookup_id(text, part, id, gid);
        if (r < 0)
                return nsl_fail(error, -r, OPT, part, "the image's User names a %s that %s does not hold",
                                group ? "group" : "user", group ? "/etc/group" : "/etc/passwd");
        return 0;
}

static int apply_user(nsl_spec *spec, const char *user, nsl_error *error)
{
        char buf[256], num[32];
        char *colon;
        unsigned long uid, gid = 0, group;
        int r;

        if (!*user || spec->uid_set)
                return 0;
        if (snprintf(buf, sizeof buf, "%s", user) >= (int)sizeof buf)
                return nsl_fail(error, EINVAL, OPT, user, "User too long");
        colon = strchr(buf, ':');
        if (colon)
                *colon++ = '\0';
        r = resolve_part(spec, buf, false, &uid, &gid, error);
        if (r < 0)
                return r;
        if (r == 1 && !colon) {
                /* A numeric uid takes its group from passwd when it is there. */
                _cleanup_free_ char *text = NULL;
                nsl_error ignored;
                snprintf(num, sizeof num, "%lu", uid);
                gid = 0;
                if (read_in_root(spec->rootfs, "/etc/passwd", &text, &ignored) == 0)
                        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                                unsigned long a, b;
                                const char *f = strchr(l, ':');
                                f = f ? strchr(f + 1, ':') : NULL;
                                if (f && sscanf(f + 1, "%lu:%lu", &a, &b) == 2 && a == uid) {
                                        gid = b;
                                        break;
                                }
                        }
        }
        if (colon && (r = resolve_part(spec, colon, true, &group, NULL, error)) < 0)
                return r;
        if (colon)
                gid = group;
        snprintf(num, sizeof num, "%lu", uid);
        if ((r = nsl_spec_set_uid(spec, num, error)) < 0)
                return r;
        if (spec->gid_set)
                return 0;
        snprintf(num, sizeof num, "%lu", gid);
        return nsl_spec_set_gid(spec, num, error);
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

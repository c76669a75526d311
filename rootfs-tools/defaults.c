/* The image's run defaults (Env, Entrypoint, Cmd, WorkingDir, User), taken
 * from its config and written as a small JSON file next to the rootfs, where
 * no layer can write. Pure: fuzzed by fuzz-rootfs-json. */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "tool.h"

static int copy_string_array(json_object *from, json_object *to, const char *key, nsl_error *error)
{
        json_object *a, *copy;

        if (!json_object_object_get_ex(from, key, &a) || json_object_is_type(a, json_type_null))
                return 0;
        if (!json_object_is_type(a, json_type_array))
                return nsl_fail(error, EINVAL, "import", "config", "%s is not an array", key);
        copy = json_object_new_array();
        if (!copy)
                return nsl_fail(error, ENOMEM, "import", "config", NULL);
        json_object_object_add(to, key, copy);
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *s = json_object_array_get_idx(a, i);
                if (!json_object_is_type(s, json_type_string))
                        return nsl_fail(error, EINVAL, "import", "config", "%s[%zu] is not a string", key, i);
                json_object_array_add(copy, json_object_new_string(json_object_get_string(s)));
        }
        return 0;
}

static int copy_string(json_object *from, json_object *to, const char *key, nsl_error *error)
{
        json_object *s;

        if (!json_object_object_get_ex(from, key, &s) || json_object_is_type(s, json_type_null))
                return 0;
        if (!json_object_is_type(s, json_type_string))
                return nsl_fail(error, EINVAL, "import", "config", "%s is not a string", key);
        json_object_object_add(to, key, json_object_new_string(json_object_get_string(s)));
        return 0;
}

int nsl_image_defaults_extract(const char *config_json, char **out, nsl_error *error)
{
        _cleanup_json_ json_object *root = NULL, *defaults = json_object_new_object();
        json_object *config;
        int r = nsl_json_parse_doc(config_json, "import", "config", &root, error);

        if (r < 0)
                return r;
        if (!defaults)
                return nsl_fail(error, ENOMEM, "import", "config", NULL);
        if (json_object_object_get_ex(root, "config", &config) && json_object_is_type(config, json_type_object)) {
                if ((r = copy_string_array(config, defaults, "Env", error)) < 0 ||
                    (r = copy_string_array(config, defaults, "Entrypoint", error)) < 0 ||
                    (r = copy_string_array(config, defaults, "Cmd", error)) < 0 ||
                    (r = copy_string(config, defaults, "WorkingDir", error)) < 0 ||
                    (r = copy_string(config, defaults, "User", error)) < 0)
                        return r;
        }
        *out = strdup(json_object_to_json_string_ext(defaults, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        if (!*out)
                return nsl_fail(error, ENOMEM, "import", "config", NULL);
        return 0;
}

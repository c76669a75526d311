#include "json.h"

#include <errno.h>
#include <string.h>

#include "error.h"

static void tokener_freep(json_tokener **tok) { if (*tok) json_tokener_free(*tok); }

int nsl_json_parse_text(const char *text, size_t len, bool strict, json_object **out, const char **why,
                        size_t *offset)
{
        __attribute__((cleanup(tokener_freep))) json_tokener *tok = json_tokener_new_ex(64);
        json_object *root;
        enum json_tokener_error err;

        if (!tok)
                return -ENOMEM;
        if (strict)
                json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        root = json_tokener_parse_ex(tok, text, (int)len);
        err = json_tokener_get_error(tok);
        if (err == json_tokener_continue || (err == json_tokener_success && !root)) {
                *why = "unexpected end of file";
                *offset = len;
                if (root)
                        json_object_put(root);
                return -EINVAL;
        }
        if (err != json_tokener_success) {
                *why = json_tokener_error_desc(err);
                *offset = json_tokener_get_parse_end(tok);
                return -EINVAL;
        }
        for (size_t end = json_tokener_get_parse_end(tok); end < len; end++)
                if (!strchr(" \t\r\n", text[end]) || !text[end]) {
                        json_object_put(root);
                        *why = "text after the end";
                        *offset = end;
                        return -EINVAL;
                }
        *out = root;
        return 0;
}

int nsl_json_parse_doc(const char *text, const char *stage, const char *object, json_object **out, nsl_error *error)
{
        const char *why = NULL;
        size_t offset;
        int r = nsl_json_parse_text(text, strlen(text), false, out, &why, &offset);

        if (r == -EINVAL)
                return nsl_fail(error, EINVAL, stage, object, "bad JSON: %s", why);
        return r < 0 ? nsl_fail(error, -r, stage, object, NULL) : 0;
}

json_object *nsl_json_member(json_object *o, const char *key, json_type type)
{
        json_object *v;

        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
            !json_object_is_type(v, type))
                return NULL;
        return v;
}

const char *nsl_json_string(json_object *o, const char *key)
{
        json_object *v = nsl_json_member(o, key, json_type_string);
        return v ? json_object_get_string(v) : NULL;
}

json_object *nsl_json_array(json_object *o, const char *key)
{
        return nsl_json_member(o, key, json_type_array);
}

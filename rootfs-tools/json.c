#include "json.h"

#include <errno.h>
#include <string.h>

#include "error.h"

int nsl_json_parse(const char *text, const char *what, json_object **out, nsl_error *error)
{
        json_tokener *tok = json_tokener_new_ex(64);
        json_object *o;
        enum json_tokener_error err;
        size_t len = strlen(text);

        if (!tok)
                return nsl_fail(error, ENOMEM, "import", what, NULL);
        o = json_tokener_parse_ex(tok, text, (int)len);
        err = json_tokener_get_error(tok);
        if (err == json_tokener_success && json_tokener_get_parse_end(tok) < len &&
            text[json_tokener_get_parse_end(tok) + strspn(text + json_tokener_get_parse_end(tok), " \t\r\n")])
                err = json_tokener_error_parse_unexpected;
        json_tokener_free(tok);
        if (err != json_tokener_success || !o) {
                if (o)
                        json_object_put(o);
                return nsl_fail(error, EINVAL, "import", what, "bad JSON: %s",
                                err != json_tokener_success ? json_tokener_error_desc(err) : "empty");
        }
        *out = o;
        return 0;
}

const char *nsl_json_string(json_object *o, const char *key)
{
        json_object *v;

        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

json_object *nsl_json_array(json_object *o, const char *key)
{
        json_object *v;

        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
            !json_object_is_type(v, json_type_array))
                return NULL;
        return v;
}

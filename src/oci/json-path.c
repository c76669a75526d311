/* Typed reads of config.json members that fail naming the member's JSON
 * path ("process.user.uid: expected ..."), so that every refusal of the
 * OCI parser is one line saying where. */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "../strv.h"
#include "oci.h"

#define WHAT "config.json"

int nsl_oci_refuse(nsl_error *error, const char *path, const char *cause)
{
        return nsl_fail(error, EINVAL, WHAT, path, "%s", cause);
}

int nsl_oci_as_field(nsl_error *error, const char *path, int r)
{
        char cause[sizeof error->cause];
        int n;

        /* the setter's object goes into the cause (cut short if it must) */
        if (error->object[0])
                n = snprintf(cause, sizeof cause, "%s: %s", error->object, error->cause);
        else
                n = snprintf(cause, sizeof cause, "%s", error->cause);
        if (n >= 0)
                memcpy(error->cause, cause, sizeof cause);
        snprintf(error->what, sizeof error->what, WHAT);
        snprintf(error->object, sizeof error->object, "%s", path);
        return r;
}

void nsl_oci_subpath(char *out, size_t size, const char *base, const char *fmt, ...)
{
        int n = snprintf(out, size, "%s", base);
        va_list ap;

        if (n < 0 || (size_t)n >= size)
                return;
        va_start(ap, fmt);
        vsnprintf(out + n, size - (size_t)n, fmt, ap);
        va_end(ap);
}

static void member_path(char *out, size_t size, const char *path, const char *key)
{
        if (*path)
                nsl_oci_subpath(out, size, path, ".%s", key);
        else
                snprintf(out, size, "%s", key);
}

int nsl_oci_check_keys(json_object *o, const char *path, const char *const *known, nsl_error *error)
{
        json_object_object_foreach(o, key, value) {
                const char *const *k = known;
                char where[256];

                (void)value;
                while (*k && strcmp(*k, key))
                        k++;
                if (!*k) {
                        member_path(where, sizeof where, path, key);
                        return nsl_oci_refuse(error, where, "not supported");
                }
        }
        return 0;
}

/* The member, or NULL when absent or null (the spec's default). */
static json_object *member(json_object *o, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return NULL;
        return v;
}

static int typed(json_object *o, const char *key, const char *path, json_type type, const char *expected,
                 json_object **out, nsl_error *error)
{
        json_object *v = member(o, key);
        char where[256];

        *out = NULL;
        if (!v)
                return 0;
        if (!json_object_is_type(v, type)) {
                member_path(where, sizeof where, path, key);
                return nsl_fail(error, EINVAL, WHAT, where, "expected %s", expected);
        }
        *out = v;
        return 1;
}

int nsl_oci_get_object(json_object *o, const char *key, const char *path, json_object **out, nsl_error *error)
{
        return typed(o, key, path, json_type_object, "an object", out, error);
}

int nsl_oci_get_array(json_object *o, const char *key, const char *path, json_object **out, nsl_error *error)
{
        return typed(o, key, path, json_type_array, "a list", out, error);
}

int nsl_oci_get_string(json_object *o, const char *key, const char *path, char **out, nsl_error *error)
{
        json_object *v;
        int r = typed(o, key, path, json_type_string, "a string", &v, error);
        char *copy;

        if (r <= 0)
                return r;
        copy = strdup(json_object_get_string(v));
        if (!copy)
                return nsl_fail(error, ENOMEM, WHAT, path, NULL);
        free(*out);
        *out = copy;
        return 1;
}

int nsl_oci_get_bool(json_object *o, const char *key, const char *path, bool *out, nsl_error *error)
{
        json_object *v;
        int r = typed(o, key, path, json_type_boolean, "true or false", &v, error);

        if (r > 0)
                *out = json_object_get_boolean(v);
        return r;
}

int nsl_oci_get_int(json_object *o, const char *key, const char *path, int64_t min, int64_t max, int64_t *out,
                    bool *present, nsl_error *error)
{
        json_object *v;
        char where[256];
        int r = typed(o, key, path, json_type_int, "an integer", &v, error);
        int64_t n;

        if (present)
                *present = r > 0;
        if (r <= 0)
                return r;
        errno = 0;
        n = json_object_get_int64(v);
        if (errno || n < min || n > max) {
                member_path(where, sizeof where, path, key);
                return nsl_fail(error, EINVAL, WHAT, where, "expected an integer from %lld to %lld", (long long)min,
                                (long long)max);
        }
        *out = n;
        return 1;
}

int nsl_oci_get_u64(json_object *o, const char *key, const char *path, uint64_t *out, bool *present,
                    nsl_error *error)
{
        json_object *v;
        char where[256];
        int r = typed(o, key, path, json_type_int, "an integer", &v, error);

        if (present)
                *present = r > 0;
        if (r <= 0)
                return r;
        /* json-c keeps integers above INT64_MAX as unsigned; a negative one is refused */
        if (json_object_get_int64(v) < 0) {
                member_path(where, sizeof where, path, key);
                return nsl_fail(error, EINVAL, WHAT, where, "expected an integer of at least 0");
        }
        *out = json_object_get_uint64(v);
        return 1;
}

int nsl_oci_get_strv(json_object *o, const char *key, const char *path, char ***out, size_t *n, nsl_error *error)
{
        json_object *list;
        char where[256];
        int r = nsl_oci_get_array(o, key, path, &list, error);

        if (r <= 0)
                return r;
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *item = json_object_array_get_idx(list, i);

                if (!json_object_is_type(item, json_type_string)) {
                        member_path(where, sizeof where, path, key);
                        nsl_oci_subpath(where + strlen(where), sizeof where - strlen(where), "", "[%zu]", i);
                        return nsl_fail(error, EINVAL, WHAT, where, "expected a string");
                }
                if (nsl_strv_push(out, n, json_object_get_string(item)) < 0)
                        return nsl_fail(error, ENOMEM, WHAT, path, NULL);
        }
        return 1;
}

int nsl_oci_refuse_set(json_object *o, const char *key, const char *path, nsl_error *error)
{
        json_object *v = member(o, key);
        char where[256];
        bool empty;

        if (!v)
                return 0;
        switch (json_object_get_type(v)) {
        case json_type_boolean: empty = !json_object_get_boolean(v); break;
        case json_type_int: empty = json_object_get_int64(v) == 0; break;
        case json_type_string: empty = json_object_get_string_len(v) == 0; break;
        case json_type_array: empty = json_object_array_length(v) == 0; break;
        case json_type_object: empty = json_object_object_length(v) == 0; break;
        default: empty = false;
        }
        if (empty)
                return 0;
        member_path(where, sizeof where, path, key);
        return nsl_oci_refuse(error, where, "not supported");
}

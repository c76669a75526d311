/* The json-c helpers shared by the library and rootfs-tools: ownership,
 * whole-document parsing, typed member access. */
#ifndef NSL_JSON_H
#define NSL_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "nslaunch.h"

static inline void nsl_json_putp(json_object **o) { if (*o) json_object_put(*o); }
#define _cleanup_json_ __attribute__((cleanup(nsl_json_putp)))

/* Parses text[0, len) as exactly one JSON value (whitespace may follow it),
 * nested at most 64 deep; strict: JSON_TOKENER_STRICT. 0 with *out set;
 * -ENOMEM; or -EINVAL with *why saying what is wrong ("unexpected end of
 * file", json-c's description, "text after the end") and *offset where. */
int nsl_json_parse_text(const char *text, size_t len, bool strict, json_object **out, const char **why,
                        size_t *offset);
/* nsl_json_parse_text of a NUL-terminated document, failing as
 * "STAGE: OBJECT: bad JSON: WHY". */
int nsl_json_parse_doc(const char *text, const char *stage, const char *object, json_object **out, nsl_error *error);

/* The member key of o when it has that type, else NULL (also when o is not
 * an object). */
json_object *nsl_json_member(json_object *o, const char *key, json_type type);
/* The string member key of o, or NULL when missing or not a string. */
const char *nsl_json_string(json_object *o, const char *key);
/* The array member key of o, or NULL. */
json_object *nsl_json_array(json_object *o, const char *key);

#endif

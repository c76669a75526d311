/* Small json-c helpers for image metadata. */
#ifndef NSL_ROOTFS_JSON_H
#define NSL_ROOTFS_JSON_H

#include <json-c/json.h>

#include "nslaunch.h"

static inline void nsl_json_putp(json_object **o) { if (*o) json_object_put(*o); }
#define _cleanup_json_ __attribute__((cleanup(nsl_json_putp)))

/* Parses text as one JSON value; what names the document in the error. */
int nsl_json_parse(const char *text, const char *what, json_object **out, nsl_error *error);
/* The string member key of o, or NULL when missing or not a string. */
const char *nsl_json_string(json_object *o, const char *key);
/* The array member key of o, or NULL. */
json_object *nsl_json_array(json_object *o, const char *key);

#endif

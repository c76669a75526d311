/* config.json fixtures for the OCI unit tests: a bundle directory written
 * by the test, and a small valid config that a test changes one field of. */
#ifndef NSL_TEST_OCI_FIXTURE_H
#define NSL_TEST_OCI_FIXTURE_H

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nslaunch.h"

#define MINIMAL_CONFIG \
        "{\"ociVersion\": \"1.0.2\"," \
        " \"root\": {\"path\": \"rootfs\", \"readonly\": true}," \
        " \"process\": {\"args\": [\"/bin/true\"], \"cwd\": \"/\", \"env\": [\"PATH=/usr/bin:/bin\"]," \
        "              \"user\": {\"uid\": 0, \"gid\": 0}}," \
        " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"}]," \
        " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"ipc\"}," \
        "                              {\"type\": \"uts\"}, {\"type\": \"network\"}]}}"

/* A fresh bundle directory holding config.json with text; the caller frees it. */
static inline char *write_bundle(const char *text)
{
        char *dir = strdup("/tmp/nsl-oci-test-XXXXXX");
        char path[256];
        FILE *f;

        if (!dir || !mkdtemp(dir))
                abort();
        snprintf(path, sizeof path, "%s/config.json", dir);
        f = fopen(path, "w");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                abort();
        return dir;
}

static inline void remove_bundle(char *dir)
{
        char path[256];

        snprintf(path, sizeof path, "%s/config.json", dir);
        unlink(path);
        rmdir(dir);
        free(dir);
}

/* The minimal config with the member at dotted path (objects made on the
 * way; "KEY+" appends to the list KEY) set to value_json; value_json NULL
 * deletes the member. Returns malloc'd text. */
static inline char *config_with(const char *path, const char *value_json)
{
        json_object *root = json_tokener_parse(MINIMAL_CONFIG), *o = root;
        char *copy = strdup(path), *key = copy, *dot;
        char *text;

        while ((dot = strchr(key, '.'))) {
                json_object *next;
                *dot = '\0';
                if (!json_object_object_get_ex(o, key, &next)) {
                        next = json_object_new_object();
                        json_object_object_add(o, key, next);
                }
                o = next;
                key = dot + 1;
        }
        if (key[strlen(key) - 1] == '+') {
                json_object *list;
                key[strlen(key) - 1] = '\0';
                if (!json_object_object_get_ex(o, key, &list)) {
                        list = json_object_new_array();
                        json_object_object_add(o, key, list);
                }
                json_object_array_add(list, json_tokener_parse(value_json));
        } else if (value_json) {
                json_object_object_add(o, key, json_tokener_parse(value_json));
        } else {
                json_object_object_del(o, key);
        }
        text = strdup(json_object_to_json_string(root));
        json_object_put(root);
        free(copy);
        return text;
}

/* Loads text as a bundle's config and translates it onto a fresh spec;
 * the error line (empty on success) goes to line. */
static inline int load_and_translate(const char *text, nsl_spec **spec_out, nsl_oci **oci_out, char *line,
                                     size_t size)
{
        char *bundle = write_bundle(text);
        nsl_spec *spec = nsl_spec_new();
        nsl_oci *oci = NULL;
        nsl_error e = { 0 };
        int r = nsl_oci_load(bundle, &oci, &e);

        if (r == 0)
                r = nsl_oci_to_spec(oci, spec, &e);
        line[0] = '\0';
        if (r < 0)
                nsl_error_format(&e, line, size);
        remove_bundle(bundle);
        if (spec_out)
                *spec_out = spec;
        else
                nsl_spec_free(spec);
        if (oci_out)
                *oci_out = oci;
        else
                nsl_oci_free(oci);
        return r;
}

#endif

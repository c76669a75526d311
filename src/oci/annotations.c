/* config.json's annotations: strings, counted for the state; those under
 * org.nslaunch. are nslaunch's own, the config's way to ask for what the
 * runtime spec has no field for (a private network with an egress
 * allow-list; what a confined container may do beyond nslaunch's floor,
 * docs/oci.md). An org.nslaunch. key or item nslaunch does not know is
 * refused: a misspelt allow-list must not give the container the network
 * the engine set up instead. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "../cleanup.h"
#include "../error.h"
#include "../strv.h"
#include "oci.h"

#define OWN_PREFIX "org.nslaunch."

/* "a, b,c" or "a b c" as its items (podman's --annotation cuts its
 * argument at commas: a list given through it needs blanks); an empty one
 * between commas is refused. */
static int split_list(const char *value, const char *path, char ***out, size_t *n, nsl_error *error)
{
        _cleanup_free_ char *copy = strdup(value);
        char *rest = copy, *field;

        if (!copy)
                return nsl_fail(error, ENOMEM, "config.json", path, NULL);
        if (strspn(value, " \t") == strlen(value))
                return nsl_oci_refuse(error, path, "an empty list");
        while ((field = strsep(&rest, ","))) {
                char *word;
                bool any = false;

                while ((word = strsep(&field, " \t")))
                        if (*word) {
                                any = true;
                                if (nsl_strv_push(out, n, word) < 0)
                                        return nsl_fail(error, ENOMEM, "config.json", path, NULL);
                        }
                if (!any)
                        return nsl_oci_refuse(error, path, "an empty item in the list");
        }
        return 0;
}

/* org.nslaunch.allow: a list of what floor.c would otherwise refuse. */
static int parse_allow(const char *value, const char *path, struct nsl_oci_allow *allow, nsl_error *error)
{
        _cleanup_strv_ char **items = NULL;
        size_t n = 0;
        int r = split_list(value, path, &items, &n, error);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (!strcmp(items[i], "nested-userns"))
                        allow->nested_userns = true;
                else if (!strcmp(items[i], "keyrings"))
                        allow->keyrings = true;
                else
                        return nsl_fail(error, EINVAL, "config.json", path, "%s: not something nslaunch refuses "
                                        "(nested-userns, keyrings)", items[i]);
        }
        return 0;
}

static int parse_own(const char *key, const char *value, struct nsl_oci *oci, nsl_error *error)
{
        struct nsl_oci_network *net = &oci->network;
        const char *name = key + strlen(OWN_PREFIX);
        char path[256];

        nsl_oci_subpath(path, sizeof path, "annotations.", "%s", key);
        if (!strcmp(name, "network")) {
                if (strcmp(value, "none") && strcmp(value, "private"))
                        return nsl_fail(error, EINVAL, "config.json", path, "%s: expected none or private", value);
                free(net->mode);
                return (net->mode = strdup(value)) ? 0 : nsl_fail(error, ENOMEM, "config.json", path, NULL);
        }
        if (!strcmp(name, "allow-egress"))
                return split_list(value, path, &net->allow_egress, &net->n_allow_egress, error);
        if (!strcmp(name, "dns"))
                return split_list(value, path, &net->dns, &net->n_dns, error);
        if (!strcmp(name, "allow"))
                return parse_allow(value, path, &oci->allow, error);
        return nsl_oci_refuse(error, path, "not an annotation nslaunch knows (network, allow-egress, dns, allow)");
}

int nsl_oci_parse_annotations(json_object *top, struct nsl_oci *oci, nsl_error *error)
{
        json_object *annotations;
        int r = nsl_oci_get_object(top, "annotations", "", &annotations, error);

        if (r <= 0)
                return r;
        json_object_object_foreach(annotations, key, value) {
                if (!json_object_is_type(value, json_type_string)) {
                        char path[256];
                        nsl_oci_subpath(path, sizeof path, "annotations.", "%s", key);
                        return nsl_oci_refuse(error, path, "expected a string");
                }
                if (!strncmp(key, OWN_PREFIX, strlen(OWN_PREFIX)) &&
                    (r = parse_own(key, json_object_get_string(value), oci, error)) < 0)
                        return r;
                oci->n_annotations++;
        }
        return 0;
}

void nsl_oci_network_clear(struct nsl_oci_network *net)
{
        free(net->mode);
        nsl_strv_free(net->allow_egress);
        nsl_strv_free(net->dns);
        *net = (struct nsl_oci_network){ 0 };
}

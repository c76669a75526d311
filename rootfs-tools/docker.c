/* docker save tarballs: manifest.json names the config and the layer tars;
 * the config's rootfs.diff_ids are the sha256 of each uncompressed layer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "tool.h"

/* "<hex>.json" (docker) or "blobs/sha256/<hex>" (docker 25 and later). */
static int config_hex_from_name(const char *name, char hex[NSL_SHA256_HEX + 1])
{
        char digest[8 + NSL_SHA256_HEX + 1];
        const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
        size_t len = strlen(base);

        if (len == NSL_SHA256_HEX + 5 && !strcmp(base + NSL_SHA256_HEX, ".json"))
                len = NSL_SHA256_HEX;
        if (len != NSL_SHA256_HEX)
                return -EINVAL;
        snprintf(digest, sizeof digest, "sha256:%.*s", (int)len, base);
        return nsl_digest_parse(digest, hex);
}

static bool has_tag(json_object *entry, const char *ref)
{
        json_object *tags = nsl_json_array(entry, "RepoTags");

        for (size_t i = 0; tags && i < json_object_array_length(tags); i++) {
                json_object *t = json_object_array_get_idx(tags, i);
                if (json_object_is_type(t, json_type_string) && !strcmp(json_object_get_string(t), ref))
                        return true;
        }
        return false;
}

/* Every RepoTags entry of the archive, for an error that must say which
 * there are. */
static void all_tags(json_object *root, char *list, size_t len)
{
        for (size_t i = 0; i < json_object_array_length(root); i++) {
                json_object *tags = nsl_json_array(json_object_array_get_idx(root, i), "RepoTags");
                size_t n = tags ? json_object_array_length(tags) : 0;

                for (size_t j = 0; j < n; j++) {
                        json_object *t = json_object_array_get_idx(tags, j);
                        if (json_object_is_type(t, json_type_string))
                                nsl_name_list_add(list, len, json_object_get_string(t));
                }
                if (!n)
                        nsl_name_list_add(list, len, "(untagged)");
        }
}

static json_object *pick_entry(json_object *root, const char *ref, nsl_error *error)
{
        size_t n = json_object_array_length(root);
        char list[160] = "";

        if (!ref) {
                if (n != 1) {
                        all_tags(root, list, sizeof list);
                        nsl_fail(error, ENOTUNIQ, "import", "manifest.json", "%zu images: choose one with --ref NAME:TAG%s%s%s",
                                 n, n ? " (" : "", list, n ? ")" : "");
                        return NULL;
                }
                return json_object_array_get_idx(root, 0);
        }
        for (size_t i = 0; i < n; i++)
                if (has_tag(json_object_array_get_idx(root, i), ref))
                        return json_object_array_get_idx(root, i);
        all_tags(root, list, sizeof list);
        nsl_fail(error, ENOENT, "import", "manifest.json", "no image tagged %s; it holds %s", ref, n ? list : "none");
        return NULL;
}

int nsl_docker_parse_manifest(const char *manifest_json, const char *ref, struct nsl_image *image, nsl_error *error)
{
        _cleanup_json_ json_object *root = NULL;
        json_object *entry, *layers;
        const char *config;
        int r = nsl_json_parse_doc(manifest_json, "import", "manifest.json", &root, error);

        if (r < 0)
                return r;
        if (!json_object_is_type(root, json_type_array))
                return nsl_fail(error, EINVAL, "import", "manifest.json", "expected an array");
        entry = pick_entry(root, ref, error);
        if (!entry)
                return error && error->errnum ? -error->errnum : -EINVAL;
        config = nsl_json_string(entry, "Config");
        if (!config || strlen(config) >= sizeof image->config_member || config_hex_from_name(config, image->config_hex) < 0)
                return nsl_fail(error, EINVAL, "import", "manifest.json",
                                "Config must name a file by its sha256 (HEX.json or blobs/sha256/HEX)");
        snprintf(image->config_member, sizeof image->config_member, "%s", config);
        layers = nsl_json_array(entry, "Layers");
        if (!layers)
                return nsl_fail(error, EINVAL, "import", "manifest.json", "no \"Layers\" array");
        if (json_object_array_length(layers) > NSL_MAX_LAYERS)
                return nsl_fail(error, E2BIG, "import", "manifest.json", "more than %d layers", NSL_MAX_LAYERS);
        image->n_layers = 0;
        for (size_t i = 0; i < json_object_array_length(layers); i++) {
                json_object *l = json_object_array_get_idx(layers, i);
                struct nsl_image_layer *layer = &image->layers[image->n_layers++];
                if (!json_object_is_type(l, json_type_string) ||
                    json_object_get_string_len(l) >= (int)sizeof layer->member)
                        return nsl_fail(error, EINVAL, "import", "manifest.json", "layer %zu: bad name", i);
                snprintf(layer->member, sizeof layer->member, "%s", json_object_get_string(l));
                layer->check = NSL_CHECK_DIFF_ID;
                layer->hex[0] = '\0';
        }
        return 0;
}

int nsl_docker_parse_diff_ids(const char *config_json, struct nsl_image *image, nsl_error *error)
{
        _cleanup_json_ json_object *root = NULL;
        json_object *rootfs, *ids;
        int r = nsl_json_parse_doc(config_json, "import", "config", &root, error);

        if (r < 0)
                return r;
        if (!json_object_object_get_ex(root, "rootfs", &rootfs) || !(ids = nsl_json_array(rootfs, "diff_ids")))
                return nsl_fail(error, EINVAL, "import", "config", "no rootfs.diff_ids");
        if (json_object_array_length(ids) != image->n_layers)
                return nsl_fail(error, EINVAL, "import", "config", "%zu diff_ids for %zu layers",
                                json_object_array_length(ids), image->n_layers);
        for (size_t i = 0; i < image->n_layers; i++) {
                json_object *id = json_object_array_get_idx(ids, i);
                if (!json_object_is_type(id, json_type_string) ||
                    nsl_digest_parse(json_object_get_string(id), image->layers[i].hex) < 0)
                        return nsl_fail(error, EINVAL, "import", "config", "diff_id %zu: not a sha256 digest", i);
        }
        return 0;
}

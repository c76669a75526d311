/* OCI image layouts: index.json (and nested image indexes) -> one image
 * manifest for the wanted platform -> config and layer blobs. Pure JSON
 * functions, fuzzed by fuzz-rootfs-json. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "error.h"
#include "json.h"
#include "tool.h"

#define REF_ANNOTATION "org.opencontainers.image.ref.name"

static const char *const manifest_types[] = {
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
};
static const char *const index_types[] = {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
};
static const char *const layer_types[] = {
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
        for (size_t i = 0; s && i < n; i++)
                if (!strcmp(s, list[i]))
                        return true;
        return false;
}

static void host_platform(struct nsl_platform *p)
{
        static const struct { const char *machine, *arch, *variant; } table[] = {
                { "x86_64", "amd64", "" }, { "aarch64", "arm64", "" }, { "armv7l", "arm", "v7" },
                { "armv6l", "arm", "v6" }, { "i686", "386", "" }, { "ppc64le", "ppc64le", "" },
                { "s390x", "s390x", "" }, { "riscv64", "riscv64", "" },
        };
        struct utsname u;

        snprintf(p->os, sizeof p->os, "linux");
        p->arch[0] = p->variant[0] = '\0';
        if (uname(&u) < 0)
                return;
        snprintf(p->arch, sizeof p->arch, "%.31s", u.machine);
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
                if (!strcmp(u.machine, table[i].machine)) {
                        snprintf(p->arch, sizeof p->arch, "%s", table[i].arch);
                        snprintf(p->variant, sizeof p->variant, "%s", table[i].variant);
                }
}

int nsl_platform_parse(const char *text, struct nsl_platform *p, nsl_error *error)
{
        char os[32], arch[32], variant[32] = "", rest;
        int n;

        if (!text || !*text) {
                host_platform(p);
                return 0;
        }
        n = sscanf(text, "%31[a-z0-9]/%31[a-z0-9_]/%31[a-z0-9]%c", os, arch, variant, &rest);
        if (n != 2 && n != 3)
                return nsl_fail(error, EINVAL, "--platform", text, "expected OS/ARCH[/VARIANT], e.g. linux/arm64");
        if (n == 2 && strlen(text) != strlen(os) + 1 + strlen(arch))
                return nsl_fail(error, EINVAL, "--platform", text, "expected OS/ARCH[/VARIANT], e.g. linux/arm64");
        snprintf(p->os, sizeof p->os, "%s", os);
        snprintf(p->arch, sizeof p->arch, "%s", arch);
        snprintf(p->variant, sizeof p->variant, "%s", variant);
        return 0;
}

void nsl_platform_format(const struct nsl_platform *p, char *buf, size_t len)
{
        snprintf(buf, len, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "", p->variant);
}

/* arm64's only variant is v8: "linux/arm64" and "linux/arm64/v8" are one. */
static const char *variant_of(const struct nsl_platform *p)
{
        return !p->variant[0] && !strcmp(p->arch, "arm64") ? "v8" : p->variant;
}

bool nsl_platform_match(const struct nsl_platform *want, const struct nsl_platform *have)
{
        if (strcmp(want->os, have->os) || strcmp(want->arch, have->arch))
                return false;
        /* A wanted variant must match; none wanted takes any. */
        return !want->variant[0] || !strcmp(variant_of(want), variant_of(have));
}

/* An index entry's "platform", or a config's own os/architecture/variant
 * (the same three names at the top level): false when os or architecture
 * is missing. */
static bool read_platform(json_object *o, struct nsl_platform *p)
{
        const char *os = nsl_json_string(o, "os"), *arch = nsl_json_string(o, "architecture");
        const char *variant = nsl_json_string(o, "variant");

        if (!os || !arch)
                return false;
        snprintf(p->os, sizeof p->os, "%s", os);
        snprintf(p->arch, sizeof p->arch, "%s", arch);
        snprintf(p->variant, sizeof p->variant, "%s", variant ? variant : "");
        return true;
}

static bool entry_platform(json_object *entry, struct nsl_platform *p)
{
        json_object *pf;
        return json_object_object_get_ex(entry, "platform", &pf) && read_platform(pf, p);
}

int nsl_image_config_platform(const char *config_json, struct nsl_platform *platform, nsl_error *error)
{
        _cleanup_json_ json_object *root = NULL;
        int r = nsl_json_parse_doc(config_json, "import", "config", &root, error);

        if (r < 0)
                return r;
        if (!read_platform(root, platform))
                return nsl_fail(error, EINVAL, "import", "config", "no \"os\" and \"architecture\"");
        return 0;
}

void nsl_name_list_add(char *list, size_t len, const char *name)
{
        static const char more[] = ", ...";
        size_t used, n;

        if (!*name)
                name = "\"\"";       /* shown; and strstr would find "" everywhere, for ever */
        used = strlen(list);
        n = strlen(name);

        for (const char *p = list; (p = strstr(p, name)); p += n)
                if ((p == list || p[-1] == ' ') && (p[n] == ',' || !p[n]))
                        return;         /* listed already */
        if (used >= sizeof more - 1 && !strcmp(list + used - (sizeof more - 1), more))
                return;                 /* full */
        if (used + 2 + n + sizeof more > len) {
                snprintf(list + used, len - used, "%s", used ? more : more + 2);
                return;
        }
        snprintf(list + used, len - used, "%s%s", used ? ", " : "", name);
}

static bool platform_matches(json_object *entry, const struct nsl_platform *want)
{
        struct nsl_platform have;
        return entry_platform(entry, &have) && nsl_platform_match(want, &have);
}

static bool ref_matches(json_object *entry, const char *ref)
{
        json_object *ann;
        const char *name;

        if (!ref)
                return true;
        if (!json_object_object_get_ex(entry, "annotations", &ann))
                return false;
        name = nsl_json_string(ann, REF_ANNOTATION);
        return name && !strcmp(name, ref);
}

static int take_entry(json_object *entry, char hex[NSL_SHA256_HEX + 1], bool *is_index, nsl_error *error)
{
        const char *type = nsl_json_string(entry, "mediaType");
        const char *digest = nsl_json_string(entry, "digest");

        if (nsl_digest_parse(digest, hex) < 0)
                return nsl_fail(error, EINVAL, "import", "index.json", "bad digest %s (only sha256 is accepted)",
                                digest ? digest : "(none)");
        *is_index = in_list(type, index_types, 2);
        if (!*is_index && !in_list(type, manifest_types, 2))
                return nsl_fail(error, EINVAL, "import", "index.json", "unsupported manifest type %s",
                                type ? type : "(none)");
        return 0;
}

/* The names of the index's images (their ref.name annotations), for an error
 * that must say which there are. */
static void ref_names(json_object *manifests, char *list, size_t len)
{
        for (size_t i = 0; i < json_object_array_length(manifests); i++) {
                json_object *ann, *e = json_object_array_get_idx(manifests, i);
                const char *name = json_object_object_get_ex(e, "annotations", &ann) ?
                                   nsl_json_string(ann, REF_ANNOTATION) : NULL;
                nsl_name_list_add(list, len, name ? name : "(unnamed)");
        }
}

/* What the entries named ref offer, e.g. "linux/amd64, linux/arm64/v8". */
static void offered_platforms(json_object *manifests, const char *ref, char *list, size_t len)
{
        for (size_t i = 0; i < json_object_array_length(manifests); i++) {
                json_object *e = json_object_array_get_idx(manifests, i);
                struct nsl_platform have;
                char text[100];
                bool known;

                if (!json_object_is_type(e, json_type_object) || !ref_matches(e, ref))
                        continue;
                known = entry_platform(e, &have);

                if (known)
                        nsl_platform_format(&have, text, sizeof text);
                nsl_name_list_add(list, len, known ? text : "(no platform)");
        }
}

int nsl_oci_pick_manifest(const char *index_json, const struct nsl_platform *want, const char *ref,
                          char hex[NSL_SHA256_HEX + 1], bool *is_index, nsl_error *error)
{
        _cleanup_json_ json_object *root = NULL;
        json_object *manifests, *only = NULL;
        size_t n_ref = 0;
        char list[160] = "", wanted[100];
        int r = nsl_json_parse_doc(index_json, "import", "index", &root, error);

        if (r < 0)
                return r;
        manifests = nsl_json_array(root, "manifests");
        if (!manifests)
                return nsl_fail(error, EINVAL, "import", "index", "no \"manifests\" array");
        for (size_t i = 0; i < json_object_array_length(manifests); i++) {
                json_object *e = json_object_array_get_idx(manifests, i);
                if (!json_object_is_type(e, json_type_object) || !ref_matches(e, ref))
                        continue;
                n_ref++;
                only = e;
                if (platform_matches(e, want))
                        return take_entry(e, hex, is_index, error);
        }
        if (n_ref == 1 && !json_object_object_get_ex(only, "platform", NULL))
                return take_entry(only, hex, is_index, error);
        if (n_ref == 0 && !json_object_array_length(manifests))
                return nsl_fail(error, ENOENT, "import", "index", "no images");
        if (n_ref == 0) {
                ref_names(manifests, list, sizeof list);
                return nsl_fail(error, ENOENT, "import", "index", "no image named %s; it holds %s", ref, list);
        }
        if (n_ref > 1 && !json_object_object_get_ex(only, "platform", NULL)) {
                ref_names(manifests, list, sizeof list);
                return nsl_fail(error, ENOTUNIQ, "import", "index", "%zu images: choose one with --ref NAME (%s)", n_ref,
                                list);
        }
        offered_platforms(manifests, ref, list, sizeof list);
        nsl_platform_format(want, wanted, sizeof wanted);
        return nsl_fail(error, ENOENT, "import", "index", "offers %s; none matches %s", list, wanted);
}

int nsl_oci_parse_manifest(const char *manifest_json, struct nsl_image *image, nsl_error *error)
{
        _cleanup_json_ json_object *root = NULL;
        json_object *config, *layers;
        int r = nsl_json_parse_doc(manifest_json, "import", "manifest", &root, error);

        if (r < 0)
                return r;
        if (!json_object_object_get_ex(root, "config", &config) ||
            nsl_digest_parse(nsl_json_string(config, "digest"), image->config_hex) < 0)
                return nsl_fail(error, EINVAL, "import", "manifest", "no sha256 config digest");
        memcpy(image->config_member, "blobs/sha256/", 13);
        memcpy(image->config_member + 13, image->config_hex, NSL_SHA256_HEX + 1);
        layers = nsl_json_array(root, "layers");
        if (!layers)
                return nsl_fail(error, EINVAL, "import", "manifest", "no \"layers\" array");
        if (json_object_array_length(layers) > NSL_MAX_LAYERS)
                return nsl_fail(error, E2BIG, "import", "manifest", "more than %d layers", NSL_MAX_LAYERS);
        image->n_layers = 0;
        for (size_t i = 0; i < json_object_array_length(layers); i++) {
                json_object *l = json_object_array_get_idx(layers, i);
                struct nsl_image_layer *layer = &image->layers[image->n_layers];
                const char *type = nsl_json_string(l, "mediaType");

                if (!in_list(type, layer_types, sizeof layer_types / sizeof layer_types[0]))
                        return nsl_fail(error, EINVAL, "import", "manifest", "layer %zu: unsupported media type %s", i,
                                        type ? type : "(none)");
                if (nsl_digest_parse(nsl_json_string(l, "digest"), layer->hex) < 0)
                        return nsl_fail(error, EINVAL, "import", "manifest", "layer %zu: no sha256 digest", i);
                memcpy(layer->member, "blobs/sha256/", 13);
                memcpy(layer->member + 13, layer->hex, NSL_SHA256_HEX + 1);
                layer->check = NSL_CHECK_BLOB;
                image->n_layers++;
        }
        return 0;
}

/* From a source to the list of blobs that make one image, every JSON blob
 * checked against its digest before it is parsed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "tool.h"

#define MAX_INDEX_DEPTH 4

/* Reads a member whose sha256 must be hex. */
static int read_verified(struct nsl_source *source, const char *member, const char *hex, char **text, nsl_error *error)
{
        _cleanup_close_ int fd = -1;
        char got[NSL_SHA256_HEX + 1];
        int r = nsl_source_open_member(source, member, &fd, error);

        if (r < 0 || (r = nsl_digest_fd(fd, got, NULL, error)) < 0)
                return r;
        if (strcmp(got, hex))
                return nsl_fail(error, EBADMSG, "import", member, "digest mismatch: expected sha256:%s, got sha256:%s",
                                hex, got);
        return nsl_source_read_member(source, member, text, error);
}

/* Which image to take is a question about the source as a whole: a choice
 * that matched nothing names it, not the index inside. */
static int about_source(int r, const char *label, nsl_error *error)
{
        if (r == -ENOENT || r == -ENOTUNIQ)
                snprintf(error->object, sizeof error->object, "%s", label);
        return r;
}

static int resolve_oci(struct nsl_source *source, const char *label, const struct nsl_platform *platform,
                       const char *ref, struct nsl_image *image, nsl_error *error)
{
        _cleanup_free_ char *text = NULL;
        char hex[NSL_SHA256_HEX + 1], member[128];
        bool is_index = true;
        int r = nsl_source_read_member(source, "index.json", &text, error);

        for (int depth = 0; r == 0 && is_index; depth++) {
                if (depth == MAX_INDEX_DEPTH)
                        return nsl_fail(error, ELOOP, "import", "index.json", "indexes nested too deep");
                /* A ref names an entry of the top index only. */
                r = nsl_oci_pick_manifest(text, platform, depth ? NULL : ref, hex, &is_index, error);
                if (r < 0)
                        return about_source(r, label, error);
                free(TAKE_PTR(text));
                snprintf(member, sizeof member, "blobs/sha256/%s", hex);
                r = read_verified(source, member, hex, &text, error);
        }
        if (r < 0)
                return r;
        r = nsl_oci_parse_manifest(text, image, error);
        if (r < 0)
                return r;
        memcpy(image->digest_hex, hex, sizeof image->digest_hex);
        free(TAKE_PTR(text));
        return read_verified(source, image->config_member, image->config_hex, &text, error);
}

static int resolve_docker(struct nsl_source *source, const char *label, const char *ref, struct nsl_image *image,
                          nsl_error *error)
{
        _cleanup_free_ char *manifest = NULL, *config = NULL;
        int r = nsl_source_read_member(source, "manifest.json", &manifest, error);

        if (r < 0)
                return r;
        if ((r = nsl_docker_parse_manifest(manifest, ref, image, error)) < 0)
                return about_source(r, label, error);
        if ((r = read_verified(source, image->config_member, image->config_hex, &config, error)) < 0)
                return r;
        memcpy(image->digest_hex, image->config_hex, sizeof image->digest_hex);
        return nsl_docker_parse_diff_ids(config, image, error);
}

int nsl_image_resolve(struct nsl_source *source, const char *label, const struct nsl_platform *platform,
                      const char *ref, struct nsl_image *image, nsl_error *error)
{
        if (nsl_source_has_member(source, "index.json"))
                return resolve_oci(source, label, platform, ref, image, error);
        if (nsl_source_has_member(source, "manifest.json"))
                return resolve_docker(source, label, ref, image, error);
        return nsl_fail(error, EINVAL, "import", "", "neither an OCI layout (index.json) nor a docker save archive "
                        "(manifest.json)");
}

/* libFuzzer: the JSON an image brings (OCI index and manifest, docker save
 * manifest.json, image config) and the tar entry name cleaner. The first
 * byte picks the parser. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "tool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A cleaned path is relative, with no empty, "." or ".." component. */
static void check_clean(const char *path)
{
        if (path[0] == '/')
                abort();
        for (const char *p = path; *p;) {
                size_t len = strcspn(p, "/");
                if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
                        abort();
                p += len;
                if (*p == '/' && !*++p)
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct nsl_image image;
        struct nsl_platform platform = { "linux", "amd64", "" };
        char hex[NSL_SHA256_HEX + 1], path[PATH_MAX], *out = NULL, *s;
        const char *why;
        nsl_error error;
        bool is_index;

        s = nsl_fuzz_text(data, size);
        if (!s)
                return 0;
        switch (data[0] % 6) {
        case 0: (void)nsl_oci_pick_manifest(s, &platform, (data[0] & 0x80) ? "t" : NULL, hex, &is_index, &error); break;
        case 1: (void)nsl_oci_parse_manifest(s, &image, &error); break;
        case 2: (void)nsl_docker_parse_manifest(s, (data[0] & 0x80) ? "a:b" : NULL, &image, &error); break;
        case 3:
                image.n_layers = data[0] >> 4;
                (void)nsl_docker_parse_diff_ids(s, &image, &error);
                break;
        case 4:         /* an image config */
                if (nsl_image_defaults_extract(s, &out, &error) == 0)
                        free(out);
                if (nsl_image_config_platform(s, &platform, &error) == 0)
                        nsl_platform_format(&platform, path, sizeof path);
                break;
        case 5:
                if (nsl_entry_path_clean(s, path, sizeof path, &why) == 0)
                        check_clean(path);
                break;
        }
        free(s);
        return 0;
}

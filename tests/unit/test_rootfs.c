/* rootfs-tools' pure parts: tar entry names, platforms, index choice,
 * docker save names, the image defaults, the per-layer path set. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tool.h"

static void clean(const char *in, const char *want)
{
        char out[PATH_MAX];
        const char *why;
        assert_int_equal(nsl_entry_path_clean(in, out, sizeof out, &why), 0);
        assert_string_equal(out, want);
}

static int refused(const char *in)
{
        char out[PATH_MAX];
        const char *why;
        return nsl_entry_path_clean(in, out, sizeof out, &why);
}

static void entry_names_are_cleaned(void **state)
{
        (void)state;
        clean("./usr/bin/sh", "usr/bin/sh");
        clean("usr//lib/./x/", "usr/lib/x");
        clean("./", "");
        clean(".", "");
        clean("..a/b..", "..a/b..");
        clean(".wh..wh..opq", ".wh..wh..opq");
}

static void escaping_names_are_refused(void **state)
{
        char longname[300], deep[PATH_MAX + 200];
        (void)state;
        assert_int_equal(refused("../etc/passwd"), -EINVAL);
        assert_int_equal(refused("a/../../b"), -EINVAL);
        assert_int_equal(refused("a/.."), -EINVAL);
        assert_int_equal(refused("/etc/passwd"), -EINVAL);
        memset(longname, 'x', sizeof longname - 1);
        longname[sizeof longname - 1] = '\0';
        assert_int_equal(refused(longname), -ENAMETOOLONG);
        for (size_t i = 0; i + 2 < sizeof deep; i += 2)
                memcpy(deep + i, "d/", 2);
        deep[sizeof deep - 1] = '\0';
        assert_int_equal(refused(deep), -ENAMETOOLONG);
}

static void platforms_parse(void **state)
{
        struct nsl_platform p;
        nsl_error e;
        (void)state;
        assert_int_equal(nsl_platform_parse("linux/arm64", &p, &e), 0);
        assert_string_equal(p.os, "linux");
        assert_string_equal(p.arch, "arm64");
        assert_string_equal(p.variant, "");
        assert_int_equal(nsl_platform_parse("linux/arm/v7", &p, &e), 0);
        assert_string_equal(p.variant, "v7");
        assert_int_equal(nsl_platform_parse("linux", &p, &e), -EINVAL);
        assert_int_equal(nsl_platform_parse("linux/arm64/v8/x", &p, &e), -EINVAL);
        assert_int_equal(nsl_platform_parse("linux/arm64 ", &p, &e), -EINVAL);
}

#define H(c) "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
                       c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define MANIFEST "application/vnd.oci.image.manifest.v1+json"

static void index_picks_the_platform(void **state)
{
        const char *index = "{\"manifests\":["
                "{\"mediaType\":\"" MANIFEST "\",\"digest\":\"" H("a") "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
                "{\"mediaType\":\"" MANIFEST "\",\"digest\":\"" H("b") "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}},"
                "{\"mediaType\":\"" MANIFEST "\",\"digest\":\"" H("c") "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}}]}";
        struct nsl_platform p;
        char hex[NSL_SHA256_HEX + 1];
        bool is_index;
        nsl_error e;
        (void)state;
        assert_int_equal(nsl_platform_parse("linux/arm/v7", &p, &e), 0);
        assert_int_equal(nsl_oci_pick_manifest(index, &p, NULL, hex, &is_index, &e), 0);
        assert_int_equal(hex[0], 'c');
        assert_false(is_index);
        assert_int_equal(nsl_platform_parse("linux/amd64", &p, &e), 0);
        assert_int_equal(nsl_oci_pick_manifest(index, &p, NULL, hex, &is_index, &e), 0);
        assert_int_equal(hex[0], 'a');
        assert_int_equal(nsl_platform_parse("linux/riscv64", &p, &e), 0);
        assert_int_equal(nsl_oci_pick_manifest(index, &p, NULL, hex, &is_index, &e), -ENOENT);
        assert_non_null(strstr(e.cause, "linux/riscv64"));
}

static void index_refuses_bad_digests(void **state)
{
        const char *index = "{\"manifests\":[{\"mediaType\":\"" MANIFEST "\",\"digest\":\"sha256:../../etc\"}]}";
        struct nsl_platform p;
        char hex[NSL_SHA256_HEX + 1];
        bool is_index;
        nsl_error e;
        (void)state;
        assert_int_equal(nsl_platform_parse(NULL, &p, &e), 0);
        assert_int_equal(nsl_oci_pick_manifest(index, &p, NULL, hex, &is_index, &e), -EINVAL);
        assert_int_equal(nsl_oci_pick_manifest("{\"manifests\":[]} x", &p, NULL, hex, &is_index, &e), -EINVAL);
}

static void docker_config_must_be_named_by_digest(void **state)
{
        static struct nsl_image image;
        nsl_error e;
        (void)state;
        assert_int_equal(nsl_docker_parse_manifest(
                "[{\"Config\":\"../config.json\",\"Layers\":[]}]", NULL, &image, &e), -EINVAL);
        char json[512], hex[NSL_SHA256_HEX + 1];
        memset(hex, 'd', NSL_SHA256_HEX);
        hex[NSL_SHA256_HEX] = '\0';
        snprintf(json, sizeof json, "[{\"Config\":\"%s.json\",\"Layers\":[\"x/layer.tar\"]}]", hex);
        assert_int_equal(nsl_docker_parse_manifest(json, NULL, &image, &e), 0);
        assert_string_equal(image.config_hex, hex);
        assert_int_equal(image.n_layers, 1);
        assert_int_equal(image.layers[0].check, NSL_CHECK_DIFF_ID);
        assert_int_equal(nsl_docker_parse_diff_ids("{\"rootfs\":{\"diff_ids\":[]}}", &image, &e), -EINVAL);
}

static void defaults_keep_only_the_run_fields(void **state)
{
        char *out = NULL;
        nsl_error e;
        (void)state;
        assert_int_equal(nsl_image_defaults_extract("{\"config\":{\"Env\":[\"A=1\"],\"Cmd\":[\"x\"],\"Volumes\":{},"
                                                    "\"User\":\"1:2\"},\"rootfs\":{}}", &out, &e), 0);
        assert_non_null(strstr(out, "\"A=1\""));
        assert_non_null(strstr(out, "\"User\""));
        assert_null(strstr(out, "Volumes"));
        free(out);
        assert_int_equal(nsl_image_defaults_extract("{\"config\":{\"Cmd\":[1]}}", &out, &e), -EINVAL);
        assert_int_equal(nsl_image_defaults_extract("{\"config\":{\"User\":[]}}", &out, &e), -EINVAL);
}

static void path_set_grows(void **state)
{
        struct nsl_path_set *set = nsl_path_set_new();
        char p[32];
        (void)state;
        for (int i = 0; i < 5000; i++) {
                snprintf(p, sizeof p, "d/%d", i);
                assert_int_equal(nsl_path_set_add(set, p), 0);
        }
        for (int i = 0; i < 5000; i++) {
                snprintf(p, sizeof p, "d/%d", i);
                assert_true(nsl_path_set_has(set, p));
        }
        assert_false(nsl_path_set_has(set, "d/5000"));
        nsl_path_set_free(set);
}

static void platforms_match(void **state)
{
        struct nsl_platform want, have;
        nsl_error e;
        (void)state;
        assert_int_equal(nsl_platform_parse("linux/arm64", &want, &e), 0);
        assert_int_equal(nsl_platform_parse("linux/arm64/v8", &have, &e), 0);
        assert_true(nsl_platform_match(&want, &have));
        assert_true(nsl_platform_match(&have, &want));  /* arm64 is arm64/v8 */
        assert_int_equal(nsl_platform_parse("linux/arm/v7", &want, &e), 0);
        assert_int_equal(nsl_platform_parse("linux/arm/v6", &have, &e), 0);
        assert_false(nsl_platform_match(&want, &have));
        assert_int_equal(nsl_platform_parse("linux/arm", &want, &e), 0);
        assert_true(nsl_platform_match(&want, &have));  /* no variant wanted: any */
        assert_int_equal(nsl_platform_parse("linux/amd64", &want, &e), 0);
        assert_false(nsl_platform_match(&want, &have));
        assert_int_equal(nsl_image_config_platform("{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}",
                                                   &have, &e), 0);
        char text[64];
        nsl_platform_format(&have, text, sizeof text);
        assert_string_equal(text, "linux/arm64/v8");
        assert_int_equal(nsl_image_config_platform("{\"os\":\"linux\"}", &have, &e), -EINVAL);
}

static void name_lists_are_deduplicated_and_cut(void **state)
{
        char list[32] = "";
        (void)state;
        nsl_name_list_add(list, sizeof list, "a:1");
        nsl_name_list_add(list, sizeof list, "a:10");
        nsl_name_list_add(list, sizeof list, "a:1");
        assert_string_equal(list, "a:1, a:10");
        nsl_name_list_add(list, sizeof list, "a-much-longer-name");
        assert_string_equal(list, "a:1, a:10, ...");
        nsl_name_list_add(list, sizeof list, "b");
        assert_string_equal(list, "a:1, a:10, ...");

        /* an empty tag (found by fuzzing: strstr finds "" everywhere, and the
         * duplicate check never ended) is shown as "" */
        char empty[32] = "";
        nsl_name_list_add(empty, sizeof empty, "");
        nsl_name_list_add(empty, sizeof empty, "x");
        nsl_name_list_add(empty, sizeof empty, "");
        assert_string_equal(empty, "\"\", x");
}

static void index_errors_say_what_there_is(void **state)
{
        const char *index = "{\"manifests\":["
                "{\"mediaType\":\"" MANIFEST "\",\"digest\":\"" H("a") "\",\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}},"
                "{\"mediaType\":\"" MANIFEST "\",\"digest\":\"" H("b") "\",\"annotations\":{\"org.opencontainers.image.ref.name\":\"v2\"}},"
                "{\"mediaType\":\"" MANIFEST "\",\"digest\":\"" H("c") "\"}]}";
        struct nsl_platform p;
        char hex[NSL_SHA256_HEX + 1];
        bool is_index;
        nsl_error e;
        (void)state;
        assert_int_equal(nsl_platform_parse("linux/amd64", &p, &e), 0);
        assert_int_equal(nsl_oci_pick_manifest(index, &p, "v3", hex, &is_index, &e), -ENOENT);
        assert_string_equal(e.cause, "no image named v3; it holds v1, v2, (unnamed)");
        assert_int_equal(nsl_oci_pick_manifest(index, &p, NULL, hex, &is_index, &e), -ENOTUNIQ);
        assert_string_equal(e.cause, "3 images: choose one with --ref NAME (v1, v2, (unnamed))");
        assert_int_equal(nsl_oci_pick_manifest(index, &p, "v2", hex, &is_index, &e), 0);
        assert_int_equal(hex[0], 'b');
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(entry_names_are_cleaned),
                cmocka_unit_test(escaping_names_are_refused),
                cmocka_unit_test(platforms_parse),
                cmocka_unit_test(index_picks_the_platform),
                cmocka_unit_test(index_refuses_bad_digests),
                cmocka_unit_test(docker_config_must_be_named_by_digest),
                cmocka_unit_test(defaults_keep_only_the_run_fields),
                cmocka_unit_test(path_set_grows),
                cmocka_unit_test(platforms_match),
                cmocka_unit_test(name_lists_are_deduplicated_and_cut),
                cmocka_unit_test(index_errors_say_what_there_is),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

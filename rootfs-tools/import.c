/* nslaunch rootfs import SOURCE DIR: resolve the image, check that it is
 * for the platform asked for, check every blob against its digest, unpack
 * the layers in order into a temporary directory beside DIR, and put it in
 * place (staging.c) only when everything worked. The image's run defaults
 * go to DIR.image.json, beside DIR and out of every layer's reach. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "tool.h"

static void source_freep(struct nsl_source **s) { nsl_source_free(*s); }

int nsl_dest_parent(const char *dest, int *parent_fd, char *name, size_t name_len, nsl_error *error)
{
        char parent[PATH_MAX];
        size_t len = strlen(dest);
        const char *slash;

        while (len > 1 && dest[len - 1] == '/')
                len--;
        if (len == 0 || len >= sizeof parent)
                return nsl_fail(error, EINVAL, "rootfs", dest, "bad destination");
        snprintf(parent, sizeof parent, "%.*s", (int)len, dest);
        slash = strrchr(parent, '/');
        if (snprintf(name, name_len, "%s", slash ? slash + 1 : parent) >= (int)name_len || !name[0] ||
            !strcmp(name, ".") || !strcmp(name, ".."))
                return nsl_fail(error, EINVAL, "rootfs", dest, "the destination must name a directory to make");
        if (slash)
                parent[slash == parent ? 1 : slash - parent] = '\0';
        else
                snprintf(parent, sizeof parent, ".");
        *parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (*parent_fd < 0)
                return nsl_fail(error, errno, "rootfs", parent, NULL);
        return 0;
}

static int verify_layer(struct nsl_source *source, struct nsl_image_layer *layer, struct nsl_progress *progress,
                        nsl_error *error)
{
        _cleanup_close_ int fd = -1;
        char got[NSL_SHA256_HEX + 1];
        int r = nsl_source_open_member(source, layer->member, &fd, error);

        if (r < 0 || (r = nsl_digest_fd(fd, layer->raw_hex, progress, error)) < 0)
                return r;
        if (layer->check == NSL_CHECK_BLOB) {
                memcpy(got, layer->raw_hex, sizeof got);
        } else if ((r = nsl_digest_uncompressed_fd(fd, got, progress, error)) < 0) {
                return r;
        }
        if (strcmp(got, layer->hex))
                return nsl_fail(error, EBADMSG, "import", layer->member,
                                "digest mismatch: expected sha256:%s, got sha256:%s (nothing was written)", layer->hex, got);
        return 0;
}

volatile sig_atomic_t nsl_stop_signal;

int nsl_check_stop(const char *what, const char *object, nsl_error *error)
{
        int sig = nsl_stop_signal;
        return sig ? nsl_fail(error, EINTR, what, object, "stopped by SIG%s", sigabbrev_np(sig))
                   : 0;
}

/* Written now, renamed into place by publish right after the rootfs. */
static int write_defaults(int parent, const char *name, const char *json, char *tmp, size_t tmp_len, nsl_error *error)
{
        _cleanup_free_ char *line = NULL;
        int r;

        if (snprintf(tmp, tmp_len, ".%s%s.tmp", name, NSL_DEFAULTS_SUFFIX) >= (int)tmp_len)
                return nsl_fail(error, ENAMETOOLONG, "import", name, NULL);
        if (asprintf(&line, "%s\n", json) < 0)
                return nsl_fail(error, ENOMEM, "import", tmp, NULL);
        (void)unlinkat(parent, tmp, 0);
        r = nsl_write_new_file_at(parent, tmp, line, strlen(line), 0644, NSL_FILE_DURABLE);
        return r < 0 ? nsl_fail(error, -r, "import", tmp, NULL) : 0;
}

static uint64_t layers_size(struct nsl_source *source, const struct nsl_image *image)
{
        uint64_t total = 0;

        for (size_t i = 0; i < image->n_layers; i++)
                total += nsl_source_member_size(source, image->layers[i].member);
        return total;
}

/* The image's config says which platform it is for: with --platform it must
 * be that one, whether an index chose it or it is the only image; without,
 * an image for another machine is imported with a warning (it may run
 * under emulation). */
static int check_platform(const char *config, const struct nsl_import_options *options,
                          const struct nsl_platform *want, const char *source, struct nsl_platform *have,
                          nsl_error *error)
{
        char offered[100], wanted[100], line[400];
        nsl_error unknown = { 0 };
        bool asked = options->platform && options->platform[0];

        nsl_platform_format(want, wanted, sizeof wanted);
        if (nsl_image_config_platform(config, have, &unknown) < 0) {
                memset(have, 0, sizeof *have);
                return asked ? nsl_fail(error, ENOENT, "import", source, "its image does not say which platform it "
                                        "is for (no os and architecture in its config); none matches %s", wanted)
                             : 0;
        }
        if (nsl_platform_match(want, have))
                return 0;
        nsl_platform_format(have, offered, sizeof offered);
        if (asked)
                return nsl_fail(error, ENOENT, "import", source, "offers %s; none matches %s", offered, wanted);
        if (options->warn) {
                snprintf(line, sizeof line, "%s: the image is for %s, not for this machine (%s); "
                         "--platform %s would refuse it", source, offered, wanted, wanted);
                options->warn(line);
        }
        return 0;
}

static int unpack_layers(struct nsl_source *source, const struct nsl_image *image, int parent, const char *tmp,
                         const struct nsl_import_options *options, nsl_error *error)
{
        struct nsl_unpack u = { .keep_setuid = options->keep_setuid, .can_chown = geteuid() == 0,
                                .max_size = options->max_size, .warn = options->warn,
                                .progress = options->progress };
        struct nsl_summary *summary = options->summary;
        _cleanup_close_ int root = openat(parent, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r = 0;

        if (root < 0)
                return nsl_fail(error, errno, "import", tmp, NULL);
        u.root_fd = root;
        nsl_progress_phase(options->progress, "unpacking", "layer", layers_size(source, image), image->n_layers);
        for (size_t i = 0; r == 0 && i < image->n_layers; i++) {
                _cleanup_close_ int fd = -1;
                nsl_progress_step(options->progress, i + 1);
                r = nsl_source_open_member(source, image->layers[i].member, &fd, error);
                if (r == 0)
                        r = nsl_layer_apply(&u, fd, image->layers[i].raw_hex, image->layers[i].member, error);
        }
        /* Counted before the directories get their own modes, which may shut
         * an unprivileged caller out. */
        if (r == 0 && summary && (r = nsl_tree_count(root, &summary->size, &summary->entries)) < 0)
                r = nsl_fail(error, -r, "import", tmp, "cannot count what was unpacked");
        if (r == 0)
                r = nsl_unpack_finish(&u, error);
        if (r == 0 && fchmod(root, 0755) < 0)
                r = nsl_fail(error, errno, "import", tmp, NULL);
        if (r == 0 && u.skipped_devices && options->warn) {
                char line[128];
                snprintf(line, sizeof line, "%zu device nodes or sockets in the image were not created",
                         u.skipped_devices);
                options->warn(line);
        }
        nsl_unpack_clear(&u);
        return r;
}

static double seconds_since(const struct timespec *start)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static int verify_layers(struct nsl_source *source, struct nsl_image *image, const char *source_path,
                         struct nsl_progress *progress, nsl_error *error)
{
        /* docker save's layers are read twice: as stored, and uncompressed. */
        uint64_t passes = image->n_layers && image->layers[0].check == NSL_CHECK_DIFF_ID ? 2 : 1;
        int r = 0;

        nsl_progress_phase(progress, "checking", "layer", passes * layers_size(source, image), image->n_layers);
        for (size_t i = 0; r == 0 && i < image->n_layers; i++) {
                nsl_progress_step(progress, i + 1);
                if ((r = nsl_check_stop("import", source_path, error)) == 0)
                        r = verify_layer(source, &image->layers[i], progress, error);
        }
        return r;
}

int nsl_import(const char *source_path, const char *dest, const struct nsl_import_options *options, nsl_error *error)
{
        __attribute__((cleanup(source_freep))) struct nsl_source *source = NULL;
        _cleanup_free_ char *config = NULL, *defaults = NULL;
        _cleanup_free_ struct nsl_image *image = calloc(1, sizeof *image);
        _cleanup_close_ int parent = -1;
        struct nsl_stage stage = { .lock_fd = -1 };
        char name[NAME_MAX + 1], defaults_tmp[NAME_MAX + 1] = "";
        struct nsl_platform platform, have;
        struct timespec start;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &start);
        if (!image)
                return nsl_fail(error, ENOMEM, "import", source_path, NULL);
        if ((r = nsl_platform_parse(options->platform, &platform, error)) < 0 ||
            (r = nsl_dest_parent(dest, &parent, name, sizeof name, error)) < 0 ||
            (r = nsl_stage_check(parent, name, dest, "import", options->replace, error)) < 0 ||
            (r = nsl_source_open(source_path, parent, options->max_size, options->progress, &source, error)) < 0 ||
            (r = nsl_image_resolve(source, source_path, &platform, options->ref, image, error)) < 0 ||
            (r = nsl_source_read_member(source, image->config_member, &config, error)) < 0 ||
            (r = check_platform(config, options, &platform, source_path, &have, error)) < 0 ||
            (r = verify_layers(source, image, source_path, options->progress, error)) < 0 ||
            (r = nsl_image_defaults_extract(config, &defaults, error)) < 0)
                return r;

        if ((r = nsl_stage_begin(&stage, parent, name, dest, "import", options->warn, error)) < 0)
                return r;
        r = unpack_layers(source, image, parent, stage.tmp, options, error);
        if (r == 0)
                r = write_defaults(parent, name, defaults, defaults_tmp, sizeof defaults_tmp, error);
        if (r == 0)
                r = nsl_stage_publish(&stage, options->replace, defaults_tmp, options->warn, error);
        if (r < 0) {
                nsl_stage_abort(&stage);
                if (defaults_tmp[0])
                        (void)unlinkat(parent, defaults_tmp, 0);
                return r;
        }
        if (options->summary) {
                snprintf(options->summary->digest, sizeof options->summary->digest, "sha256:%s", image->digest_hex);
                if (have.os[0])
                        nsl_platform_format(&have, options->summary->platform, sizeof options->summary->platform);
                options->summary->layers = image->n_layers;
                options->summary->seconds = seconds_since(&start);
        }
        return 0;
}

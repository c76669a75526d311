/* nslaunch rootfs import SOURCE DIR: resolve the image, check every blob
 * against its digest, unpack the layers in order into a temporary directory
 * beside DIR, and rename it to DIR only when everything worked. The image's
 * run defaults go to DIR.image.json, beside DIR and out of every layer's
 * reach. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "tool.h"

#define DEFAULTS_SUFFIX ".image.json"

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

static bool is_empty_dir(int parent, const char *name)
{
        _cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_dir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        bool empty = d != NULL;

        if (d)
                TAKE_FD(fd);    /* d owns it now */
        while (d && (de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        empty = false;
        return empty;
}

static int check_dest_free(int parent, const char *name, const char *dest, nsl_error *error)
{
        struct stat st;

        if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : nsl_fail(error, errno, "import", dest, NULL);
        if (!S_ISDIR(st.st_mode) || !is_empty_dir(parent, name))
                return nsl_fail(error, EEXIST, "import", dest, "exists (the destination must be new or an empty directory)");
        return 0;
}

static int verify_layer(struct nsl_source *source, struct nsl_image_layer *layer, nsl_error *error)
{
        _cleanup_close_ int fd = -1;
        char got[NSL_SHA256_HEX + 1];
        int r = nsl_source_open_member(source, layer->member, &fd, error);

        if (r < 0 || (r = nsl_digest_fd(fd, layer->raw_hex, error)) < 0)
                return r;
        if (layer->check == NSL_CHECK_BLOB) {
                memcpy(got, layer->raw_hex, sizeof got);
        } else if ((r = nsl_digest_uncompressed_fd(fd, got, error)) < 0) {
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

/* The temporary directory is ".NAME.import-RANDOM", locked (flock) for as
 * long as its import runs; it is made as ".NAME.importing-RANDOM" and renamed
 * only once locked, so that an unlocked ".NAME.import-*" is always the
 * remains of an import that was killed. *lock_fd holds the lock. */
static int make_temp_dir(int parent, const char *name, char *tmp, size_t tmp_len, int *lock_fd, nsl_error *error)
{
        char making[NAME_MAX + 1];

        for (int attempt = 0; attempt < 16; attempt++) {
                unsigned long long rnd = 0;
                _cleanup_close_ int fd = -1;

                if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
                        return nsl_fail(error, errno, "import", "", "getrandom");
                if (snprintf(tmp, tmp_len, ".%s.import-%016llx", name, rnd) >= (int)tmp_len ||
                    snprintf(making, sizeof making, ".%s.importing-%016llx", name, rnd) >= (int)sizeof making)
                        return nsl_fail(error, ENAMETOOLONG, "import", name, NULL);
                if (mkdirat(parent, making, 0700) < 0) {
                        if (errno == EEXIST)
                                continue;
                        return nsl_fail(error, errno, "import", making, "cannot make the temporary directory");
                }
                fd = openat(parent, making, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 ||
                    renameat2(parent, making, parent, tmp, RENAME_NOREPLACE) < 0) {
                        int errnum = errno;
                        (void)unlinkat(parent, making, AT_REMOVEDIR);
                        if (errnum == EEXIST)
                                continue;
                        return nsl_fail(error, errnum, "import", making, NULL);
                }
                *lock_fd = TAKE_FD(fd);
                return 0;
        }
        return nsl_fail(error, EEXIST, "import", tmp, "cannot make the temporary directory");
}

/* ".NAME.import-" and 16 hex digits */
static bool is_temp_of(const char *entry, const char *name)
{
        size_t n = strlen(name);

        if (entry[0] != '.' || strncmp(entry + 1, name, n) || strncmp(entry + 1 + n, ".import-", 8))
                return false;
        entry += 1 + n + 8;
        return strlen(entry) == 16 && strspn(entry, "0123456789abcdef") == 16;
}

/* Removes the temporary directories of earlier imports to the same
 * destination that were killed (SIGKILL, a crash, power loss): those of
 * this user that no running import holds locked. */
static void remove_killed_imports(int parent, const char *name, void (*warn)(const char *line))
{
        _cleanup_close_ int dfd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_dir_ DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
        struct dirent *de;

        if (!d)
                return;
        TAKE_FD(dfd);   /* d owns it now */
        while ((de = readdir(d))) {
                _cleanup_close_ int fd = -1;
                struct stat st;
                char line[NAME_MAX + 96];

                if (!is_temp_of(de->d_name, name))
                        continue;
                fd = openat(parent, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != geteuid() || flock(fd, LOCK_EX | LOCK_NB) < 0)
                        continue;
                if (nsl_remove_tree(parent, de->d_name) == 0 && warn) {
                        snprintf(line, sizeof line, "removed %s, left by an import that was killed", de->d_name);
                        warn(line);
                }
        }
}

/* Written now, renamed into place by publish right after the rootfs. */
static int write_defaults(int parent, const char *name, const char *json, char *tmp, size_t tmp_len, nsl_error *error)
{
        _cleanup_free_ char *line = NULL;
        int r;

        if (snprintf(tmp, tmp_len, ".%s%s.tmp", name, DEFAULTS_SUFFIX) >= (int)tmp_len)
                return nsl_fail(error, ENAMETOOLONG, "import", name, NULL);
        if (asprintf(&line, "%s\n", json) < 0)
                return nsl_fail(error, ENOMEM, "import", tmp, NULL);
        (void)unlinkat(parent, tmp, 0);
        r = nsl_write_new_file_at(parent, tmp, line, strlen(line), 0644);
        return r < 0 ? nsl_fail(error, -r, "import", tmp, NULL) : 0;
}

static int unpack_layers(struct nsl_source *source, const struct nsl_image *image, int parent, const char *tmp,
                         const struct nsl_import_options *options, nsl_error *error)
{
        struct nsl_unpack u = { .keep_setuid = options->keep_setuid, .can_chown = geteuid() == 0,
                                .max_size = options->max_size, .warn = options->warn };
        _cleanup_close_ int root = openat(parent, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r = 0;

        if (root < 0)
                return nsl_fail(error, errno, "import", tmp, NULL);
        u.root_fd = root;
        for (size_t i = 0; r == 0 && i < image->n_layers; i++) {
                _cleanup_close_ int fd = -1;
                r = nsl_source_open_member(source, image->layers[i].member, &fd, error);
                if (r == 0)
                        r = nsl_layer_apply(&u, fd, image->layers[i].raw_hex, image->layers[i].member, error);
        }
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

static int publish(int parent, const char *tmp, const char *name, const char *defaults_tmp, const char *dest,
                   nsl_error *error)
{
        char defaults[NAME_MAX + 1];

        /* An empty directory may stand where the rootfs goes. */
        if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return nsl_fail(error, errno, "import", dest, NULL);
        if (renameat2(parent, tmp, parent, name, RENAME_NOREPLACE) < 0)
                return nsl_fail(error, errno, "import", dest, "cannot move the rootfs into place");
        if (snprintf(defaults, sizeof defaults, "%s%s", name, DEFAULTS_SUFFIX) >= (int)sizeof defaults ||
            renameat(parent, defaults_tmp, parent, defaults) < 0)
                return nsl_fail(error, errno ? errno : ENAMETOOLONG, "import", dest,
                                "the rootfs is in place, but not its image defaults");
        return 0;
}

int nsl_import(const char *source_path, const char *dest, const struct nsl_import_options *options, nsl_error *error)
{
        __attribute__((cleanup(source_freep))) struct nsl_source *source = NULL;
        _cleanup_free_ char *config = NULL, *defaults = NULL;
        _cleanup_free_ struct nsl_image *image = calloc(1, sizeof *image);
        _cleanup_close_ int parent = -1;
        _cleanup_close_ int lock_fd = -1;
        char name[NAME_MAX + 1], tmp[NAME_MAX + 1], defaults_tmp[NAME_MAX + 1] = "";
        struct nsl_platform platform;
        int r;

        if (!image)
                return nsl_fail(error, ENOMEM, "import", source_path, NULL);
        if ((r = nsl_platform_parse(options->platform, &platform, error)) < 0 ||
            (r = nsl_dest_parent(dest, &parent, name, sizeof name, error)) < 0 ||
            (r = check_dest_free(parent, name, dest, error)) < 0 ||
            (r = nsl_source_open(source_path, parent, options->max_size, &source, error)) < 0 ||
            (r = nsl_image_resolve(source, &platform, options->ref, image, error)) < 0)
                return r;
        for (size_t i = 0; i < image->n_layers; i++)
                if ((r = nsl_check_stop("import", source_path, error)) < 0 ||
                    (r = verify_layer(source, &image->layers[i], error)) < 0)
                        return r;
        if ((r = nsl_source_read_member(source, image->config_member, &config, error)) < 0 ||
            (r = nsl_image_defaults_extract(config, &defaults, error)) < 0)
                return r;

        remove_killed_imports(parent, name, options->warn);
        if ((r = make_temp_dir(parent, name, tmp, sizeof tmp, &lock_fd, error)) < 0)
                return r;
        r = unpack_layers(source, image, parent, tmp, options, error);
        if (r == 0)
                r = write_defaults(parent, name, defaults, defaults_tmp, sizeof defaults_tmp, error);
        if (r == 0)
                r = publish(parent, tmp, name, defaults_tmp, dest, error);
        if (r < 0) {
                (void)nsl_remove_tree(parent, tmp);
                if (defaults_tmp[0])
                        (void)unlinkat(parent, defaults_tmp, 0);
        }
        return r;
}

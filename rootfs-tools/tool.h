/* nslaunch-rootfs: build (from-host) and import (docker save, OCI layouts)
 * root filesystems. Internal interfaces between its files. */
#ifndef NSL_ROOTFS_TOOL_H
#define NSL_ROOTFS_TOOL_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nslaunch.h"

struct archive;
struct archive_entry;

#define NSL_MAX_LAYERS 256
#define NSL_MAX_JSON (4u << 20)        /* manifests, indexes and configs */
#define NSL_SHA256_HEX 64

/* ---- archive.c: the one libarchive read loop ---- */

enum nsl_archive_format { NSL_ARCHIVE_TAR, NSL_ARCHIVE_RAW };
/* A reader of tar (or of one raw stream) under gzip, zstd or no
 * compression; NULL when out of memory. */
struct archive *nsl_archive_reader(enum nsl_archive_format format);
/* The next entry: 1 (a warning counts as read), 0 at the end, -1 when the
 * archive is broken (archive_error_string says why). */
int nsl_archive_next(struct archive *a, struct archive_entry **entry);
/* Calls fn on each data block of the current entry: 0 at the end of its
 * data, fn's result when it is negative (fn fills error), or
 * NSL_ARCHIVE_BROKEN when libarchive fails, for the caller to report with
 * archive_error_string. */
#define NSL_ARCHIVE_BROKEN 1
typedef int (*nsl_archive_block_fn)(void *data, const void *block, size_t len, int64_t offset, nsl_error *error);
int nsl_archive_each_block(struct archive *a, nsl_archive_block_fn fn, void *data, nsl_error *error);

/* ---- progress.c: bytes and layers on a terminal ---- */

enum nsl_progress_when { NSL_PROGRESS_AUTO, NSL_PROGRESS_ALWAYS, NSL_PROGRESS_NEVER };

struct nsl_progress {
        int fd;                 /* -1: silent */
        bool in_place;          /* a terminal: one line, redrawn */
        bool shown;
        const char *verb, *phase;
        char unit[16];          /* "layer", "file" */
        uint64_t done, total;   /* bytes; total 0 when unknown */
        size_t step, n_steps;   /* n_steps 0: step counts units */
        long long last_ns;
};

void nsl_progress_init(struct nsl_progress *p, enum nsl_progress_when when, const char *verb);
/* Every function below takes NULL and does nothing then. */
void nsl_progress_phase(struct nsl_progress *p, const char *phase, const char *unit, uint64_t total, size_t n_steps);
void nsl_progress_step(struct nsl_progress *p, size_t step);
void nsl_progress_add(struct nsl_progress *p, uint64_t bytes);
/* The last state and a newline; or, on failure, the line erased. */
void nsl_progress_end(struct nsl_progress *p, bool ok);

/* ---- digest.c: sha256 through OpenSSL's EVP interface ---- */

/* "sha256:<64 lowercase hex>" -> the hex part; -EINVAL for anything else. */
int nsl_digest_parse(const char *digest, char hex[NSL_SHA256_HEX + 1]);
/* sha256 of everything read from fd (from its start) as hex; the bytes
 * read are added to progress. */
int nsl_digest_fd(int fd, char hex[NSL_SHA256_HEX + 1], struct nsl_progress *progress, nsl_error *error);
/* sha256 of the decompressed stream of fd (gzip, zstd or plain). */
int nsl_digest_uncompressed_fd(int fd, char hex[NSL_SHA256_HEX + 1], struct nsl_progress *progress,
                               nsl_error *error);

/* Reads fd from its start for libarchive (archive_read_open), hashing
 * every byte, and draining the rest at the end. */
struct nsl_hashed_reader;
int nsl_hashed_reader_new(int fd, struct nsl_progress *progress, struct nsl_hashed_reader **reader,
                          nsl_error *error);
void nsl_hashed_reader_freep(struct nsl_hashed_reader **reader);
ssize_t nsl_hashed_reader_read(struct archive *a, void *reader, const void **buf);
int nsl_hashed_reader_finish(struct nsl_hashed_reader *reader, char hex[NSL_SHA256_HEX + 1], nsl_error *error);

/* ---- source.c: an image directory or an image tarball ---- */

struct nsl_source;
/* A tarball's members are spooled beside the destination, at most max_size
 * bytes of them. */
int nsl_source_open(const char *path, int spool_dir, uint64_t max_size, struct nsl_progress *progress,
                    struct nsl_source **source, nsl_error *error);
/* The size of a member, 0 when it cannot be told. */
uint64_t nsl_source_member_size(struct nsl_source *source, const char *member);
void nsl_source_free(struct nsl_source *source);
/* A member (a path inside the layout or tarball) as an fd at offset 0. The
 * fd belongs to the caller. */
int nsl_source_open_member(struct nsl_source *source, const char *member, int *fd, nsl_error *error);
/* A small member read whole (JSON), NUL-terminated. */
int nsl_source_read_member(struct nsl_source *source, const char *member, char **text, nsl_error *error);
bool nsl_source_has_member(struct nsl_source *source, const char *member);

/* ---- oci.c, docker.c: which blobs make the image ---- */

enum nsl_layer_check {
        NSL_CHECK_BLOB,         /* sha256 of the blob as stored (OCI) */
        NSL_CHECK_DIFF_ID,      /* sha256 of the uncompressed tar (docker save) */
};

struct nsl_image_layer {
        char member[128];       /* path inside the source */
        char hex[NSL_SHA256_HEX + 1];
        enum nsl_layer_check check;
        char raw_hex[NSL_SHA256_HEX + 1];       /* the blob as stored, found by the check */
};

struct nsl_image {
        char digest_hex[NSL_SHA256_HEX + 1];    /* the manifest's (OCI), the config's (docker save) */
        char config_member[128];
        char config_hex[NSL_SHA256_HEX + 1];
        struct nsl_image_layer layers[NSL_MAX_LAYERS];
        size_t n_layers;
};

struct nsl_platform {
        char os[32], arch[32], variant[32];     /* variant may be empty */
};

/* "linux/arm64[/v8]"; NULL or "" is this machine's. */
int nsl_platform_parse(const char *text, struct nsl_platform *platform, nsl_error *error);
void nsl_platform_format(const struct nsl_platform *platform, char *buf, size_t len);
/* Whether have is what want asks for: os and architecture equal, and the
 * variant too when want names one (arm64 without one is arm64/v8). */
bool nsl_platform_match(const struct nsl_platform *want, const struct nsl_platform *have);
/* An image config's own os, architecture and variant. */
int nsl_image_config_platform(const char *config_json, struct nsl_platform *platform, nsl_error *error);
/* Appends name to the comma-separated list (once), ending it with "..."
 * when it is full: the names an error offers instead. */
void nsl_name_list_add(char *list, size_t len, const char *name);

/* Pure JSON steps, fuzzed: an index.json or image index -> the digest of the
 * manifest (or nested index) chosen; *is_index tells which. */
int nsl_oci_pick_manifest(const char *index_json, const struct nsl_platform *platform, const char *ref,
                          char hex[NSL_SHA256_HEX + 1], bool *is_index, nsl_error *error);
int nsl_oci_parse_manifest(const char *manifest_json, struct nsl_image *image, nsl_error *error);
int nsl_docker_parse_manifest(const char *manifest_json, const char *ref, struct nsl_image *image, nsl_error *error);
/* docker save: the config's rootfs.diff_ids are the layers' digests. */
int nsl_docker_parse_diff_ids(const char *config_json, struct nsl_image *image, nsl_error *error);
/* The whole resolution from a source; label names it in the errors about
 * which image to take (none matches the platform or the ref). */
int nsl_image_resolve(struct nsl_source *source, const char *label, const struct nsl_platform *platform,
                      const char *ref, struct nsl_image *image, nsl_error *error);

/* ---- defaults.c: the image's run defaults, written next to the rootfs ---- */

/* The "config" object of an image config (Env, Entrypoint, Cmd, WorkingDir,
 * User), checked and re-serialised; *out is malloc'd JSON. */
int nsl_image_defaults_extract(const char *config_json, char **out, nsl_error *error);

/* ---- entry-path.c: tar entry names, pure and fuzzed ---- */

/* Normalises a tar entry name into out ("a/b/c": no leading "/" or "./",
 * no empty or "." components). An empty result is the root itself.
 * -EINVAL for ".." components, absolute paths, NUL-free but unusable names;
 * -ENAMETOOLONG past PATH_MAX or NAME_MAX. *why says which. */
int nsl_entry_path_clean(const char *name, char *out, size_t out_len, const char **why);

/* ---- layer.c, whiteout.c: applying a layer ---- */

struct nsl_unpack {
        int root_fd;                    /* the temporary root, O_PATH */
        struct nsl_progress *progress;
        bool keep_setuid;
        bool can_chown;                 /* root: owners from the archive */
        uint64_t max_size, used;        /* bytes, headers counted at 512 */
        size_t skipped_devices;
        struct nsl_path_set *layer_paths;       /* written by the current layer */
        struct nsl_dir_mode *deferred;  /* directory modes applied at the end */
        size_t n_deferred, cap_deferred;
        void (*warn)(const char *line);
};

int nsl_layer_apply(struct nsl_unpack *unpack, int blob_fd, const char *raw_hex, const char *name, nsl_error *error);
int nsl_unpack_finish(struct nsl_unpack *unpack, nsl_error *error);
void nsl_unpack_clear(struct nsl_unpack *unpack);

/* Opens (O_PATH) a directory inside the root, resolved there, making the
 * missing components (0755). -errno on failure. */
int nsl_open_dir_in_root(int root_fd, const char *path);

struct nsl_path_set *nsl_path_set_new(void);
void nsl_path_set_free(struct nsl_path_set *set);
int nsl_path_set_add(struct nsl_path_set *set, const char *path);
bool nsl_path_set_has(const struct nsl_path_set *set, const char *path);

/* Removes name (recursively when a directory) from dir_fd, never following a
 * symlink. 0 when it did not exist. */
int nsl_remove_tree(int dir_fd, const char *name);
/* Removes everything inside the directory open as fd (O_RDONLY). */
int nsl_empty_tree(int fd);
/* Handles a whiteout entry: parent_path is cleaned, base the entry's last
 * component (".wh.NAME" or ".wh..wh..opq"). */
int nsl_whiteout_apply(struct nsl_unpack *unpack, const char *parent_path, const char *base, nsl_error *error);

/* ---- import.c, from-host.c ---- */

/* Set by main's SIGINT/SIGTERM/SIGHUP handler: an import stops at the next
 * layer entry and removes what it wrote. */
extern volatile sig_atomic_t nsl_stop_signal;
/* 0, or -EINTR with *error naming the signal when one has arrived. */
int nsl_check_stop(const char *what, const char *object, nsl_error *error);

/* ---- staging.c: the temporary tree beside DIR, put in place at the end ---- */

#define NSL_DEFAULTS_SUFFIX ".image.json"

struct nsl_stage {
        int parent;                     /* DIR's parent (borrowed) */
        char name[NAME_MAX + 1];        /* DIR's last component */
        const char *dest, *verb;        /* for messages */
        char tmp[NAME_MAX + 1];         /* ".NAME.VERB-RANDOM", empty once gone */
        int lock_fd;                    /* holds the temporary's flock */
};

/* What stands at DIR may be replaced: nothing or an empty directory, and
 * with replace a directory of the caller's. */
int nsl_stage_check(int parent, const char *name, const char *dest, const char *verb, bool replace, nsl_error *error);
/* Removes what killed runs for DIR left, and makes the locked temporary. */
int nsl_stage_begin(struct nsl_stage *s, int parent, const char *name, const char *dest, const char *verb,
                    void (*warn)(const char *line), nsl_error *error);
/* Puts the finished temporary at DIR (with replace: exchanged with the old
 * DIR, which is removed afterwards), then defaults_tmp (a file in the
 * parent) at DIR.image.json; with no defaults_tmp, a replaced DIR's
 * DIR.image.json is removed. On failure DIR is as it was. */
int nsl_stage_publish(struct nsl_stage *s, bool replace, const char *defaults_tmp, void (*warn)(const char *line),
                      nsl_error *error);
/* Removes the temporary (after a failure). */
void nsl_stage_abort(struct nsl_stage *s);

/* ---- summary.c: --json ---- */

struct nsl_summary {
        char digest[8 + NSL_SHA256_HEX + 1];    /* "sha256:HEX"; empty for from-host */
        char platform[100];
        size_t layers;
        uint64_t size, entries;                 /* regular files' bytes (hardlinks once), entries below DIR */
        double seconds;
};
int nsl_tree_count(int dir_fd, uint64_t *size, uint64_t *entries);
int nsl_summary_print(const struct nsl_summary *summary, const char *dest);

struct nsl_import_options {
        const char *platform;
        const char *ref;
        bool keep_setuid;
        bool replace;
        uint64_t max_size;
        void (*warn)(const char *line);
        struct nsl_progress *progress;
        struct nsl_summary *summary;    /* filled when not NULL */
};
int nsl_import(const char *source, const char *dest, const struct nsl_import_options *options, nsl_error *error);

/* Opens (making it when missing) the parent of dest and splits off dest's
 * last component into name; shared by import and from-host. */
int nsl_dest_parent(const char *dest, int *parent_fd, char *name, size_t name_len, nsl_error *error);

/* ---- elf.c ---- */

struct nsl_elf_deps {
        char interp[4096];              /* PT_INTERP, empty when none */
        char **needed;                  /* DT_NEEDED names */
        size_t n_needed;
        char **runpath;                 /* DT_RUNPATH or DT_RPATH entries, $ORIGIN expanded */
        size_t n_runpath;
        int elf_class, machine;
};
/* -ENOEXEC when fd is not an ELF file. */
int nsl_elf_read_deps(int fd, const char *path, struct nsl_elf_deps *deps, nsl_error *error);
void nsl_elf_deps_clear(struct nsl_elf_deps *deps);

struct nsl_from_host_options {
        char **extra;                   /* --add PATH */
        size_t n_extra;
        bool replace;
        void (*warn)(const char *line);
        struct nsl_progress *progress;
        struct nsl_summary *summary;    /* filled when not NULL */
};
int nsl_from_host(const char *dest, char *const programs[], const struct nsl_from_host_options *options,
                  nsl_error *error);

#endif

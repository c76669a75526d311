/* Option values: pure functions over strings, no syscalls, fuzzable. */
#ifndef NSL_PARSE_H
#define NSL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nslaunch.h"

/* NSL_MOUNT_FILE: a read-only file holding content, on a tmpfs of its own,
 * mounted over whatever dest is (a symlink is not followed).
 * NSL_MOUNT_DEVICE: a bind of one of the host's device nodes, the only bind
 * without nodev (a user namespace cannot mknod). */
enum nsl_mount_kind { NSL_MOUNT_TMPFS, NSL_MOUNT_BIND, NSL_MOUNT_FILE, NSL_MOUNT_DEVICE };

/* What a device bind's node must be: checked on the clone, in the sandbox. */
struct nsl_device_want {
        mode_t type;            /* S_IFCHR or S_IFBLK; S_IFIFO only when made */
        dev_t rdev;
        int perm;               /* permission bits; -1: any */
        int64_t uid, gid;       /* owner, as the sandbox sees it; -1: any */
        bool made;              /* made by nslaunch as root (sources.c), not the host's node */
};
/* Whether a bind is an idmapped mount (root only): when the sandbox user
 * could not use the source, or always, or never. */
enum nsl_idmap_mode { NSL_IDMAP_AUTO, NSL_IDMAP_ON, NSL_IDMAP_OFF };

struct nsl_mount {
        enum nsl_mount_kind kind;
        char *source;           /* host path, binds only */
        char *dest;             /* normalised absolute path inside the sandbox */
        bool read_only;
        enum nsl_idmap_mode idmap;      /* binds only */
        uint64_t size;          /* tmpfs bytes, 0 = kernel default */
        mode_t mode;            /* tmpfs root mode */
        bool noexec;            /* nothing on it may be executed */
        const char *option;     /* a static name for errors when not the kind's own (--mount) */
        char *content;          /* NSL_MOUNT_FILE's */
        struct nsl_device_want device;  /* NSL_MOUNT_DEVICE's; a spec's without a source is made
                                         * by root, else found by its number (plan.c) */
};

void nsl_mount_clear(struct nsl_mount *m);
/* The option that asked for such a mount: --tmpfs, --bind, --ro-bind, --device or --mount. */
const char *nsl_mount_option(const struct nsl_mount *m);

/* Decimal integer in [0, max]; no sign, no spaces, no trailing garbage. */
int nsl_parse_uint(const char *s, uint64_t max, uint64_t *out);
/* Docker's memory units: 512, 64k, 64m, 1g, 1gb, 64MiB (case-insensitive, powers of 1024). */
int nsl_parse_size(const char *s, uint64_t *out);
/* Octal permission bits, at most 07777. */
int nsl_parse_mode(const char *s, mode_t *out);
/* Seconds with an optional fraction ("0.5", "10"), to milliseconds; at most a year. */
int nsl_parse_seconds(const char *s, uint64_t *ms);
/* Go's durations ("5s", "100ms", "1m30s", "1.5h"; units h, m, s, ms, us),
 * to whole milliseconds; at most a year. */
int nsl_parse_duration(const char *s, uint64_t *ms);
/* An absolute path inside the sandbox: collapses "//" and "/./", refuses "..",
 * relative paths and "/" itself. *out is malloc'd. */
int nsl_normalize_dest(const char *path, char **out);
/* KEY=VALUE with a POSIX-shell-like key. */
bool nsl_env_assignment_valid(const char *s);

/* A fraction of one CPU ("0.5", "2", ".25") to the quota in microseconds per
 * 100 ms period; at least 1 ms, at most 1024 CPUs. */
int nsl_parse_cpus(const char *s, uint64_t *quota_us);

struct nsl_rlimit {
        int resource;           /* RLIMIT_* */
        uint64_t soft, hard;    /* UINT64_MAX = unlimited */
};

/* NAME=SOFT[:HARD]: NAME as in prlimit(1) (nofile, nproc, core, as, ...),
 * values a number or "unlimited"; HARD defaults to SOFT. */
int nsl_parse_rlimit(const char *value, struct nsl_rlimit *out, nsl_error *error);
/* The RLIMIT_* name nslaunch uses for resource, e.g. "nofile". */
const char *nsl_rlimit_name(int resource);

/* The parsers below return 0 or a negative errno with *error naming the option. */
int nsl_parse_tmpfs(const char *value, struct nsl_mount *out, nsl_error *error);
/* SRC:DEST[:WORD[,WORD...]], WORD one of ro, rw (not for --ro-bind), idmap, noidmap. */
int nsl_parse_bind(const char *value, bool read_only, struct nsl_mount *out, nsl_error *error);
/* A bind from its parts, for a caller that split SRC:DEST itself (--mount):
 * flags NULL or the words after DEST's ':' (comma-separated, as docker -v);
 * opt and value name the option in errors. */
int nsl_parse_bind_parts(const char *source, const char *dest, const char *flags, bool read_only, const char *opt,
                         const char *value, struct nsl_mount *out, nsl_error *error);
/* One flag word of a bind (ro, rw) applied to *m; ro_option: asked for by
 * --ro-bind, which a word may not make writable. */
int nsl_parse_bind_flag(const char *word, bool ro_option, const char *opt, const char *value, struct nsl_mount *m,
                        nsl_error *error);
/* --device HOST[:CONTAINER]: a device bind of the host's node (what it
 * must be is read off the host at plan time). */
int nsl_parse_device(const char *value, struct nsl_mount *out, nsl_error *error);
/* An OCI device type ('c' or 'u', 'b', 'p') as a file type: S_IFCHR,
 * S_IFBLK or S_IFIFO. */
mode_t nsl_device_type(char type);

/* docker run --mount's value: one CSV record (Go's encoding/csv, as docker
 * reads it): fields split at ','; a field that starts with '"' runs to its
 * closing '"' ("" inside is one '"') and may hold ',' and ':'. A '"' inside
 * an unquoted field, text after a closing quote, or a newline outside quotes
 * is -EINVAL. *fields is a NULL-terminated malloc'd vector. */
int nsl_parse_csv_record(const char *value, char ***fields, size_t *n);
/* type=bind|tmpfs with source/src, target/destination/dst, readonly/ro[=BOOL],
 * tmpfs-size, tmpfs-mode (keys case-insensitive); other bare words of a bind
 * go to nsl_parse_bind_flag. */
int nsl_parse_mount_csv(const char *value, struct nsl_mount *out, nsl_error *error);

/* An env file's text: KEY=VALUE lines; blank lines and lines starting with '#'
 * skipped; "export " prefix allowed; no quoting (the value is taken as is).
 * Calls add(assignment, data) for each; reports the first bad line by number. */
int nsl_parse_env_text(const char *text, size_t len, const char *name,
                       int (*add)(const char *assignment, void *data, nsl_error *error), void *data,
                       nsl_error *error);

#endif

/* A bundle's config.json (OCI runtime-spec 1.0 to 1.2) as pure data: what
 * config.c read and checked, before translate.c turns it into a spec. Every
 * field nslaunch cannot honour is refused while reading, naming its JSON
 * path; what is left here is what the sandbox can do. */
#ifndef NSL_OCI_H
#define NSL_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../join.h"
#include "nslaunch.h"

enum { NSL_OCI_CAP_BOUNDING, NSL_OCI_CAP_EFFECTIVE, NSL_OCI_CAP_INHERITABLE, NSL_OCI_CAP_PERMITTED,
       NSL_OCI_CAP_AMBIENT, NSL_OCI_CAP_SETS };

enum { NSL_OCI_HOOK_PRESTART, NSL_OCI_HOOK_CREATE_RUNTIME, NSL_OCI_HOOK_CREATE_CONTAINER,
       NSL_OCI_HOOK_START_CONTAINER, NSL_OCI_HOOK_POSTSTART, NSL_OCI_HOOK_POSTSTOP, NSL_OCI_HOOK_KINDS };

extern const char *const nsl_oci_hook_kinds[NSL_OCI_HOOK_KINDS];

#define NSL_OCI_UNSET_I64 INT64_MIN

struct nsl_oci_mount {
        char *destination, *type, *source;
        char **options;
        size_t n_options;
};

struct nsl_oci_rlimit {
        char *type;             /* "RLIMIT_NOFILE" */
        uint64_t soft, hard;
};

struct nsl_oci_process {
        bool terminal;
        unsigned console_height, console_width;
        uint32_t uid, gid;
        bool has_umask;
        mode_t umask;
        uint32_t *additional_gids;
        size_t n_additional_gids;
        char **args, **env;
        size_t n_args, n_env;
        char *cwd;
        bool has_caps;                          /* the capabilities object was given */
        uint64_t caps[NSL_OCI_CAP_SETS];        /* bit per CAP_* */
        struct nsl_oci_rlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        bool has_oom_score_adj;
        int oom_score_adj;
        char *apparmor_profile;                 /* NULL or "": none */
};

struct nsl_oci_idmap {
        uint32_t container, host, size;
};

struct nsl_oci_hook {
        char *path;
        char **args, **env;
        size_t n_args, n_env;
        unsigned timeout;       /* seconds, 0: none */
};

/* linux.devices[]: one of the host's nodes to bind (a user namespace
 * cannot mknod); the nodes nslaunch's /dev has are not listed here. */
struct nsl_oci_device {
        char *path;
        char type;                      /* 'c', 'u' or 'b' */
        unsigned major, minor;
        int file_mode;                  /* -1: not given */
        int64_t uid, gid;               /* -1: not given */
};

/* linux.resources.devices[]: type 'a' when not given, major and minor -1
 * (any) when not given, access "rwm" when not given. */
struct nsl_oci_device_rule {
        bool allow;
        char type;
        int64_t major, minor;
        char access[4];
};

struct nsl_oci_hugepage_limit {
        char *page_size;        /* "2MB" */
        uint64_t limit;         /* bytes */
};

/* blockIO's throttle*Device entries, in the config's order. */
struct nsl_oci_io_throttle {
        enum nsl_io_throttle kind;
        uint32_t major, minor;
        uint64_t rate;
};

struct nsl_oci_resources {
        int64_t memory_limit, memory_swap, memory_reservation;   /* NSL_OCI_UNSET_I64: not given */
        int64_t memory_kernel_tcp;      /* > 0: a limit */
        uint64_t memory_swappiness;     /* when has_swappiness */
        bool has_swappiness, oom_kill_disable;
        uint64_t cpu_shares;    /* 0: not given */
        int64_t cpu_quota;      /* NSL_OCI_UNSET_I64: not given */
        uint64_t cpu_period;    /* 0: not given (100000) */
        int64_t cpu_rt_runtime; /* 0: not given; -1: none */
        uint64_t cpu_rt_period; /* 0: not given */
        char *cpu_cpus, *cpu_mems;
        int64_t pids_limit;     /* NSL_OCI_UNSET_I64: not given */
        unsigned blkio_weight;  /* 0: not given */
        struct nsl_oci_device_rule *device_rules;       /* in the config's order */
        size_t n_device_rules;
        char **unified_names, **unified_values;        /* the same index is one entry */
        size_t n_unified, n_unified_values;
        struct nsl_oci_hugepage_limit *hugepage_limits; /* in the config's order */
        size_t n_hugepage_limits;
        struct nsl_oci_io_throttle *io_throttles;
        size_t n_io_throttles;
};

enum { NSL_OCI_NS_PID, NSL_OCI_NS_NETWORK, NSL_OCI_NS_MOUNT, NSL_OCI_NS_IPC, NSL_OCI_NS_UTS, NSL_OCI_NS_USER,
       NSL_OCI_NS_CGROUP, NSL_OCI_NS_KINDS };

/* nslaunch's own annotations (annotations.c): a private network and its
 * allow-list, which the runtime spec has no field for. */
struct nsl_oci_network {
        char *mode;                     /* org.nslaunch.network: "none" or "private"; NULL: not given */
        char **allow_egress;            /* org.nslaunch.allow-egress, split at commas */
        size_t n_allow_egress;
        char **dns;                     /* org.nslaunch.dns */
        size_t n_dns;
};

/* org.nslaunch.allow: what nslaunch refuses a confined container beyond
 * its config (floor.c) that this one may do all the same. */
struct nsl_oci_allow {
        bool nested_userns;     /* "nested-userns" */
        bool keyrings;          /* "keyrings" */
};

struct nsl_oci {
        char *bundle;           /* absolute */
        char *text;             /* config.json as read */
        char *root_path;        /* absolute */
        bool root_readonly;
        struct nsl_oci_mount *mounts;
        size_t n_mounts;
        bool has_process;
        struct nsl_oci_process process;
        char *hostname, *domainname;
        bool has_ns[NSL_OCI_NS_KINDS];
        char *join_ns[NSL_JOIN_N];              /* namespaces[].path of a network, ipc or uts namespace */
        struct nsl_oci_idmap *uid_maps, *gid_maps;
        size_t n_uid_maps, n_gid_maps;
        struct nsl_oci_device *devices;
        size_t n_devices;
        struct nsl_oci_resources resources;
        char *cgroups_path;
        char *mount_label;      /* linux.mountLabel (refused where SELinux is enabled: translate.c) */
        char *root_propagation; /* linux.rootfsPropagation */
        char **sysctl;          /* "KEY=VALUE" */
        size_t n_sysctl;
        int seccomp_fd;         /* a memfd with linux.seccomp as JSON; -1: none (unconfined) */
        char *seccomp_listener; /* linux.seccomp.listenerPath, where SCMP_ACT_NOTIFY is used; else NULL */
        char *seccomp_listener_metadata;
        char **masked_paths, **readonly_paths;
        size_t n_masked_paths, n_readonly_paths;
        struct nsl_oci_hook *hooks[NSL_OCI_HOOK_KINDS];
        size_t n_hooks[NSL_OCI_HOOK_KINDS];
        size_t n_annotations;
        struct nsl_oci_network network;
        struct nsl_oci_allow allow;
};

/* Typed access to a JSON document that fails naming the JSON path: the
 * error is "config.json: PATH: CAUSE". */
struct json_object;
int nsl_oci_refuse(nsl_error *error, const char *path, const char *cause);
/* A spec setter's failure r, said as the config field path it came from. */
int nsl_oci_as_field(nsl_error *error, const char *path, int r);
int nsl_oci_check_keys(struct json_object *o, const char *path, const char *const *known, nsl_error *error);
int nsl_oci_get_object(struct json_object *o, const char *key, const char *path, struct json_object **out,
                       nsl_error *error);
int nsl_oci_get_array(struct json_object *o, const char *key, const char *path, struct json_object **out,
                      nsl_error *error);
int nsl_oci_get_string(struct json_object *o, const char *key, const char *path, char **out, nsl_error *error);
int nsl_oci_get_bool(struct json_object *o, const char *key, const char *path, bool *out, nsl_error *error);
int nsl_oci_get_int(struct json_object *o, const char *key, const char *path, int64_t min, int64_t max,
                    int64_t *out, bool *present, nsl_error *error);
int nsl_oci_get_u64(struct json_object *o, const char *key, const char *path, uint64_t *out, bool *present,
                    nsl_error *error);
int nsl_oci_get_strv(struct json_object *o, const char *key, const char *path, char ***out, size_t *n,
                     nsl_error *error);
/* Refuses key when it is present and not null, false, 0, "" or empty. */
int nsl_oci_refuse_set(struct json_object *o, const char *key, const char *path, nsl_error *error);
void nsl_oci_subpath(char *out, size_t size, const char *base, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* nsl_oci_load from the text of a config.json (tests, fuzzing). */
int nsl_oci_parse_process(struct json_object *o, const char *path, struct nsl_oci_process *process,
                          nsl_error *error);
void nsl_oci_process_clear(struct nsl_oci_process *process);
int nsl_oci_parse_annotations(struct json_object *top, struct nsl_oci *oci, nsl_error *error);
void nsl_oci_network_clear(struct nsl_oci_network *net);
int nsl_oci_parse_linux(struct json_object *o, struct nsl_oci *oci, nsl_error *error);
/* floor.c: what a confined container is refused beyond its config. The
 * config's linux.seccomp, edited in place to refuse the keyring calls (the
 * process and the annotations read already); and the sysctl that refuses
 * nested user namespaces, or NULL where it does not apply. */
int nsl_oci_floor_seccomp(struct json_object *seccomp, const struct nsl_oci *oci, nsl_error *error);
const char *nsl_oci_floor_sysctl(const struct nsl_oci *oci);
/* Every limit not given (nsl_oci_parse_resources fills in what is). */
void nsl_oci_resources_init(struct nsl_oci_resources *res);
int nsl_oci_parse_resources(struct json_object *o, const char *path, struct nsl_oci_resources *res,
                            nsl_error *error);
void nsl_oci_resources_clear(struct nsl_oci_resources *res);
/* The limits onto spec (memory, cpu, pids, blockIO, hugepageLimits,
 * unified): shared by nsl_oci_to_spec and nsl_oci_resources_to_spec. */
int nsl_oci_limits_to_spec(const struct nsl_oci_resources *res, nsl_spec *spec, nsl_error *error);

/* The process onto spec (args, env, cwd, user, capabilities, rlimits, oom,
 * umask): shared by nsl_oci_to_spec and nsl_oci_process_load. */
int nsl_oci_process_to_spec(const struct nsl_oci_process *process, nsl_spec *spec, nsl_error *error);
int nsl_oci_mounts_to_spec(const struct nsl_oci *oci, nsl_spec *spec, nsl_error *error);

#define NSL_OCI_CONFIG_MAX_BYTES (4 << 20)

#endif

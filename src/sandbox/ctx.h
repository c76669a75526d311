/* What the child's stages share. Owned by the child; fds are closed by the
 * stage that consumes them or when the child execs. */
#ifndef NSL_CTX_H
#define NSL_CTX_H

#include <sys/types.h>

#include "../host-ids.h"
#include "../plan.h"
#include "sources.h"

/* What the host made for this sandbox after the plan was built, handed to
 * the child beside it. */
struct nsl_host_setup {
        const int *cgroup_tasks;                /* cgroup v1: NSL_CG_N tasks fds init moves itself in
                                                 * through (-1: none), and then re-roots its cgroup
                                                 * namespace; NULL otherwise */
        bool cgroup_unified;                    /* with those, on a hybrid host: cloned into a cgroup
                                                 * of its own in the cgroup2 beside */
        const struct nsl_rlimits *rlimits;      /* the plan's, or its fallback without a cgroup */
        bool setid_guard;                       /* a writable idmapped bind: the payload stacks
                                                 * seccomp/setid-guard.h's filter under its own */
        const struct nsl_host_ids *ids;         /* the sandbox's reserved host ids, whose lock init
                                                 * holds until it ends; NULL: none */
        int agent_state_fd;                     /* a seccomp agent's: the pipe the container process
                                                 * state comes through (seccomp/agent.h); -1: none */
        unsigned long arg_env_area[4];          /* where the creator's argv and environment strings
                                                 * lie, start and end of each, which init shares
                                                 * (with the whole /proc, proc.c blanks them) */
};

struct nsl_ctx {
        const struct nsl_plan *plan;
        const struct nsl_host_setup *host;
        int sync_fd;
        int start_fd;                                   /* the start pipe's read end, -1: started at once */
        char *const *argv;                              /* the command: the plan's, or the one given */
        char *const *envp;                              /* at start (then in command_mem) */
        const char *search_path;
        bool detached;                                  /* runs on without its creator */
        int proxy_exit_fd;                              /* detached: a private network's proxy runs while
                                                         * this is open, i.e. as long as init */
        int egress_log_fd;                              /* detached: the refusals' log, which init reports */
        int report_fd;                                  /* ... on the container's stderr (the console's
                                                         * slave if it has one) */
        int root_fd;                                    /* the new root mount */
        bool root_is_readonly_image;                    /* root_fd is the --rootfs image's own mount,
                                                         * made read-only by mount-root (not spliced) */
        uint64_t root_mnt_id;                           /* its mount id, before any splice */
        struct nsl_sources sources;                     /* detached clones of what the root is built from */
        int seal_fds[NSL_MAX_MOUNTS + 8];               /* mounts made read-only once populated */
        size_t n_seal;
        int console_fd;                                 /* the console pty's slave, -1: none */
        pid_t payload_pid;
        /* where the payload received a command given at start: init's memory,
         * which it shares, and init unmaps once the payload has exec'd */
        void *command_mem;
        size_t command_mem_size;
        int net_helper_pidfd;                           /* the helper creating the network namespace */
        int net_report_fd, net_hold_fd;
        bool net_joined;                                /* joined early (sysfs, sysctl need it) */
        int host_proc_fd;                               /* a shared pid namespace: the host's /proc,
                                                         * where init finds its descendants */
};

void nsl_ctx_init(struct nsl_ctx *ctx, const struct nsl_plan *plan, const struct nsl_host_setup *host, int sync_fd);
/* Closes every mount fd the stages held (attached mounts stay). */
void nsl_ctx_release_mounts(struct nsl_ctx *ctx);

struct nsl_stage {
        const char *name;
        int (*run)(struct nsl_ctx *ctx, nsl_error *error);
};

/* The order of a launch, written down once. seccomp is always the payload's
 * last stage before execve. */
extern const struct nsl_stage nsl_init_stages[];
extern const size_t nsl_n_init_stages;
extern const struct nsl_stage nsl_payload_stages[];
extern const size_t nsl_n_payload_stages;

int nsl_stages_run(const struct nsl_stage *stages, size_t n, struct nsl_ctx *ctx, nsl_error *error);

#ifdef NSL_STAGE_TIMING
/* Profiling builds only (-Dstage_timing=true): a mark (start_us 0) or a span. */
void nsl_stage_timing(const char *name, double start_us);
double nsl_stage_clock(void);
#define NSL_TIMING_MARK(name) nsl_stage_timing(name, 0)
#else
#define NSL_TIMING_MARK(name) do { } while (0)
#endif

/* Stage functions, by file. */
int nsl_stage_stdio(struct nsl_ctx *ctx, nsl_error *error);                   /* init.c */
int nsl_stage_close_inherited_fds(struct nsl_ctx *ctx, nsl_error *error);     /* init.c */
int nsl_stage_wait_for_start(struct nsl_ctx *ctx, nsl_error *error);          /* init.c */
int nsl_stage_root_built(struct nsl_ctx *ctx, nsl_error *error);              /* init.c */
int nsl_stage_wait_for_command(struct nsl_ctx *ctx, nsl_error *error);        /* command.c */
/* init, once the payload has exec'd or died: unmaps what it received in. */
void nsl_command_release(struct nsl_ctx *ctx);                                /* command.c */
/* The command's 0, 1 and 2 from fds (-1: leave that one); init.c */
int nsl_stdio_take(const int fds[3], nsl_error *error);
int nsl_stage_wait_for_idmap(struct nsl_ctx *ctx, nsl_error *error);          /* init.c */
int nsl_stage_cgroup_enter(struct nsl_ctx *ctx, nsl_error *error);           /* init.c */
int nsl_stage_cgroup_namespace(struct nsl_ctx *ctx, nsl_error *error);       /* init.c */
int nsl_stage_hostname(struct nsl_ctx *ctx, nsl_error *error);                /* init.c */
int nsl_stage_network_start(struct nsl_ctx *ctx, nsl_error *error);          /* network.c */
/* may run early, from a stage that needs the sandbox's network namespace; then only once */
int nsl_stage_network_join(struct nsl_ctx *ctx, nsl_error *error);           /* network.c */
int nsl_stage_sysctl(struct nsl_ctx *ctx, nsl_error *error);                  /* sysctl.c */
int nsl_stage_sysfs(struct nsl_ctx *ctx, nsl_error *error);                   /* sysfs.c */
int nsl_stage_cgroupfs(struct nsl_ctx *ctx, nsl_error *error);                /* cgroupfs.c */
int nsl_stage_readonly_paths(struct nsl_ctx *ctx, nsl_error *error);          /* paths.c */
int nsl_stage_masked_paths(struct nsl_ctx *ctx, nsl_error *error);            /* paths.c */
int nsl_stage_groups(struct nsl_ctx *ctx, nsl_error *error);                  /* payload.c */
int nsl_stage_umask(struct nsl_ctx *ctx, nsl_error *error);                   /* payload.c */
int nsl_stage_open_sources(struct nsl_ctx *ctx, nsl_error *error);            /* rootfs.c */
int nsl_stage_mount_root(struct nsl_ctx *ctx, nsl_error *error);              /* rootfs.c */
int nsl_stage_mounts(struct nsl_ctx *ctx, nsl_error *error);                  /* rootfs.c */
int nsl_stage_seal(struct nsl_ctx *ctx, nsl_error *error);                    /* rootfs.c */
int nsl_stage_pivot(struct nsl_ctx *ctx, nsl_error *error);                   /* rootfs.c */
int nsl_stage_shared_pid(struct nsl_ctx *ctx, nsl_error *error);              /* descendants.c */
int nsl_stage_proc(struct nsl_ctx *ctx, nsl_error *error);                    /* proc.c */
/* A detached procfs as the plan has it, of the caller's own pid namespace. */
int nsl_proc_new(const struct nsl_plan *plan, int *mount_fd, nsl_error *error);
/* Where the calling process's argv and environment strings lie (fields 48
 * to 51 of its /proc/self/stat, which must be procfs's). */
int nsl_proc_arg_and_env_area(unsigned long area[4], nsl_error *error);
int nsl_stage_dev(struct nsl_ctx *ctx, nsl_error *error);                     /* dev.c */
int nsl_stage_claim_tty(struct nsl_ctx *ctx, nsl_error *error);               /* tty.c */
int nsl_stage_console(struct nsl_ctx *ctx, nsl_error *error);                 /* console.c */
int nsl_stage_controlling_tty(struct nsl_ctx *ctx, nsl_error *error);         /* console.c */
int nsl_stage_setsid(struct nsl_ctx *ctx, nsl_error *error);                  /* payload.c */
int nsl_stage_signals(struct nsl_ctx *ctx, nsl_error *error);                 /* payload.c */
int nsl_stage_cwd(struct nsl_ctx *ctx, nsl_error *error);                     /* payload.c */
int nsl_stage_rlimits(struct nsl_ctx *ctx, nsl_error *error);                 /* payload.c */
int nsl_stage_caps(struct nsl_ctx *ctx, nsl_error *error);                    /* payload.c */
int nsl_stage_no_new_privs(struct nsl_ctx *ctx, nsl_error *error);            /* payload.c */
int nsl_stage_apparmor(struct nsl_ctx *ctx, nsl_error *error);                 /* apparmor.c */
int nsl_stage_landlock(struct nsl_ctx *ctx, nsl_error *error);                /* landlock.c */
int nsl_stage_close_fds(struct nsl_ctx *ctx, nsl_error *error);               /* payload.c */
int nsl_stage_seccomp(struct nsl_ctx *ctx, nsl_error *error);                 /* payload.c */

/* descendants.c: the pid namespace is not the sandbox's own (a joined
 * one, or the host's), and init, its descendants' subreaper, signals them
 * itself: every one, or, once the command has ended, kills them until it
 * has no child left. */
bool nsl_pid_ns_shared(const struct nsl_plan *plan);
void nsl_descendants_signal(const struct nsl_ctx *ctx, int sig);
void nsl_descendants_end(const struct nsl_ctx *ctx);

/* Opens a pty in the root's devpts, sends its master over sock and keeps
 * the slave in ctx->console_fd (console.c). */
int nsl_console_open(struct nsl_ctx *ctx, int sock, nsl_error *error);

/* sysctl.c: KEY=VALUE written under proc_fd's sys/ (a procfs's root);
 * whether the host writes it instead (a net.* of a joined namespace). */
int nsl_sysctl_write(int proc_fd, const char *assignment, nsl_error *error);
bool nsl_sysctl_by_host(const struct nsl_plan *plan, const char *assignment);

/* Refuses a mount target that is the sandbox's root itself (an image's
 * symlink may lead there): "mount: DEST: target resolves to the sandbox's root". */
int nsl_refuse_root_target(struct nsl_ctx *ctx, int target, const char *dest, nsl_error *error);   /* rootfs.c */

/* Adds a mount to be made read-only by the seal stage. Takes the fd. */
int nsl_ctx_seal_later(struct nsl_ctx *ctx, int mount_fd, nsl_error *error);

#endif

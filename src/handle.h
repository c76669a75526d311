/* The sandbox handle's own state, shared by the files that make up the
 * handle: launch.c (create, wait, free) and start.c (the ways to start). */
#ifndef NSL_HANDLE_H
#define NSL_HANDLE_H

#include <stdbool.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "host-ids.h"
#include "network/proxy.h"
#include "nslaunch.h"
#include "plan.h"
#include "sandbox/ctx.h"
#include "sandbox/sources.h"
#include "seccomp/notify.h"
#include "supervise.h"

struct nsl_sandbox {
        struct nsl_plan plan;
        struct nsl_cgroup cg;
        struct nsl_sources sources;     /* held from open-sources to go */
        struct nsl_idmap_userns idmap_helpers;  /* exiting helpers of idmapped binds: reaped when they
                                                 * have ended at go, the rest at free, off the launch's path */
        struct nsl_host_setup host;
        struct nsl_net_proxy proxy;     /* a private network's, until the sandbox has ended */
        int egress_log;                 /* --allow-egress: the refusals' log socket, until free */
        struct nsl_host_ids ids;        /* root's default: host ids of its own, held until free */
        bool wait_for_start;
        int start_fd;                   /* the start pipe's write end (a socket's, for a command given
                                         * at start) */
        int start_read_fd;              /* its read end, until init has it */
        int agent_state_fd;             /* a seccomp agent's state pipe, its write end, until written */
        pid_t pid;
        int pidfd, sync_fd;
        struct nsl_notify notify;
        struct nsl_supervision s;
        struct timespec created, started;
        void (*on_free)(void *data);    /* its creator's (a pool's): told once the sandbox is gone */
        void *on_free_data;
        bool supervising, finished;
        bool reaped;                    /* init is: by the supervision, or killed and reaped */
        bool leave_init;                /* free leaves init's last teardown to the kernel (the caller
                                         * exits right after: nsl_run_before_exit) */
        bool leave_proxy;               /* free ends the network's proxy and leaves its end to the kernel
                                         * (likewise) */
        bool detached;                  /* runs on its own: free leaves it be */
        bool cgroup_exact;              /* its cgroup is at the spec's exact path: one a detached
                                         * sandbox leaves to the path's owner */
        bool keep_cgroup;               /* ... and so does this one (nsl_sandbox_keep_cgroup) */
        int anchor_pidfd;               /* systemd's driver: the scope's first process, until init is in */
        int rc;                         /* the outcome, once finished */
        nsl_result result;
        nsl_error error;
};

/* A start FIFO, either end: a FIFO, not whatever a path swapped in, and
 * non-blocking (the writer's open fails at once, ENXIO, when no sandbox
 * waits on it). The fd, or -errno with *error naming what. start.c */
int nsl_open_fifo(const char *path, int flags, const char *what, nsl_error *error);
/* The timeout counts from here; a sandbox another process started is
 * supervised from the first wait on. start.c */
int nsl_supervise_from_now(nsl_sandbox *sb, nsl_error *error);

static inline double nsl_ms_between(const struct timespec *a, const struct timespec *b)
{
        return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

#endif

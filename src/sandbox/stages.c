#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "ctx.h"

const struct nsl_stage nsl_init_stages[] = {
        { "cgroup-enter", nsl_stage_cgroup_enter },
        { "stdio", nsl_stage_stdio },
        { "close-inherited-fds", nsl_stage_close_inherited_fds },
        { "network-start", nsl_stage_network_start },
        { "wait-for-idmap", nsl_stage_wait_for_idmap },
        { "cgroup-namespace", nsl_stage_cgroup_namespace },
        /* before the pivot: it keeps the host's /proc */
        { "shared-pid", nsl_stage_shared_pid },
        { "open-sources", nsl_stage_open_sources },
        { "mount-root", nsl_stage_mount_root },
        { "proc", nsl_stage_proc },
        { "sysctl", nsl_stage_sysctl },
        /* /dev before /sys: the order of runc's default config.json */
        { "dev", nsl_stage_dev },
        { "sysfs", nsl_stage_sysfs },
        { "cgroupfs", nsl_stage_cgroupfs },
        { "mounts", nsl_stage_mounts },
        { "hostname", nsl_stage_hostname },
        /* where runc runs an OCI create's hooks: after the mounts, before
         * the masks, the seal and pivot_root */
        { "root-built", nsl_stage_root_built },
        { "readonly-paths", nsl_stage_readonly_paths },
        { "masked-paths", nsl_stage_masked_paths },
        { "seal", nsl_stage_seal },
        { "pivot", nsl_stage_pivot },
        { "network-join", nsl_stage_network_join },
        { "claim-tty", nsl_stage_claim_tty },
        { "console", nsl_stage_console },
        { "wait-for-start", nsl_stage_wait_for_start },
};
const size_t nsl_n_init_stages = sizeof nsl_init_stages / sizeof nsl_init_stages[0];

const struct nsl_stage nsl_payload_stages[] = {
        { "setsid", nsl_stage_setsid },
        { "controlling-tty", nsl_stage_controlling_tty },
        { "signals", nsl_stage_signals },
        { "cwd", nsl_stage_cwd },
        { "rlimits", nsl_stage_rlimits },
        { "umask", nsl_stage_umask },
        { "groups", nsl_stage_groups },
        { "caps", nsl_stage_caps },
        { "no-new-privs", nsl_stage_no_new_privs },
        { "apparmor", nsl_stage_apparmor },
        { "landlock", nsl_stage_landlock },
        /* a command given at start: everything above is done before it comes */
        { "wait-for-command", nsl_stage_wait_for_command },
        { "close-fds", nsl_stage_close_fds },
        { "seccomp", nsl_stage_seccomp },
};
const size_t nsl_n_payload_stages = sizeof nsl_payload_stages / sizeof nsl_payload_stages[0];

#ifdef NSL_STAGE_TIMING
#include <stdio.h>
#include <time.h>

void nsl_stage_timing(const char *name, double start_us)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        double now = (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
        if (start_us == 0)
                fprintf(stderr, "nslaunch-timing %.1f %s\n", now, name);
        else
                fprintf(stderr, "nslaunch-timing %.1f %s %.1f\n", start_us, name, now - start_us);
}

double nsl_stage_clock(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}
#endif

int nsl_stages_run(const struct nsl_stage *stages, size_t n, struct nsl_ctx *ctx, nsl_error *error)
{
        for (size_t i = 0; i < n; i++) {
#ifdef NSL_STAGE_TIMING
                double start = nsl_stage_clock();
                int r = stages[i].run(ctx, error);
                nsl_stage_timing(stages[i].name, start);
#else
                int r = stages[i].run(ctx, error);
#endif
                if (r < 0) {
                        if (!error->what[0])
                                nsl_fail(error, -r, stages[i].name, "", NULL);
                        nsl_error_set_stage(error, stages[i].name);
                        return r;
                }
        }
        return 0;
}

void nsl_ctx_init(struct nsl_ctx *ctx, const struct nsl_plan *plan, const struct nsl_host_setup *host, int sync_fd)
{
        *ctx = (struct nsl_ctx){
                .plan = plan, .host = host, .sync_fd = sync_fd, .start_fd = -1, .root_fd = -1,
                .argv = plan->argv, .envp = plan->envp, .search_path = plan->search_path,
                .net_helper_pidfd = -1, .net_report_fd = -1, .net_hold_fd = -1, .console_fd = -1,
                .proxy_exit_fd = -1, .egress_log_fd = -1, .report_fd = -1, .host_proc_fd = -1,
        };
        nsl_sources_init(&ctx->sources);
}

void nsl_ctx_release_mounts(struct nsl_ctx *ctx)
{
        nsl_close_slot(&ctx->root_fd);
        nsl_sources_close(&ctx->sources);
        for (size_t i = 0; i < ctx->n_seal; i++)
                nsl_close_slot(&ctx->seal_fds[i]);
        ctx->n_seal = 0;
}

int nsl_ctx_seal_later(struct nsl_ctx *ctx, int mount_fd, nsl_error *error)
{
        if (ctx->n_seal == sizeof ctx->seal_fds / sizeof ctx->seal_fds[0]) {
                close(mount_fd);
                return nsl_fail(error, E2BIG, "mount", "", "too many mounts");
        }
        ctx->seal_fds[ctx->n_seal++] = mount_fd;
        return 0;
}

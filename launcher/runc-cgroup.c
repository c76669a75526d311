/* nslaunch-runc pause, resume, update: the container's cgroup (oci-cgroup's
 * nsl_cgroup_freeze and nsl_cgroup_update on the path in its state); and
 * the state every command on the cgroup starts from (events too). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "json.h"
#include "parse/parse.h"
#include "runc.h"

int nsl_runc_cgroup_state(const struct nsl_runc *g, const char *command, int argc, char **argv, int first,
                          struct nsl_runc_state *state, nsl_error *error)
{
        _cleanup_close_ int dirfd = -1;
        int r;

        if (argc - first != 1)
                return nsl_fail(error, EINVAL, command, "", argc == first ? "no container ID" : "one container ID only");
        dirfd = nsl_runc_dir_open(g, argv[first], true, error);
        if (dirfd < 0)
                return dirfd;
        if ((r = nsl_runc_state_read(dirfd, argv[first], state, error)) < 0)
                return r;
        enum nsl_runc_status status = nsl_runc_status(state);
        if (status != NSL_RUNC_RUNNING && status != NSL_RUNC_PAUSED && status != NSL_RUNC_CREATED)
                return nsl_fail(error, EINVAL, command, argv[first], "the container is %s", nsl_runc_status_name(status));
        if (!state->cgroup[0])
                return nsl_fail(error, ENOTSUP, command, argv[first], "the container has no cgroup");
        return 0;
}

int nsl_runc_pause(const struct nsl_runc *g, int argc, char **argv)
{
        struct nsl_runc_state state = { 0 };
        nsl_error error = { 0 };
        bool pause = !strcmp(argv[0], "pause");
        int r = nsl_runc_cgroup_state(g, argv[0], argc, argv, 1, &state, &error);

        if (r == 0)
                r = nsl_cgroup_freeze(state.cgroup, pause, &error);
        nsl_runc_state_release(&state);
        return r < 0 ? nsl_runc_fail_error(g, &error) : 0;
}

enum { U_RESOURCES = 1, U_MEMORY, U_MEMORY_SWAP, U_MEMORY_RESERVATION, U_PIDS, U_CPU_QUOTA, U_CPU_PERIOD,
       U_CPU_SHARES, U_CPUSET_CPUS, U_CPUSET_MEMS, U_KERNEL, U_BLKIO, U_RT_PERIOD, U_RT_RUNTIME };

static const struct nsl_option_def update_options[] = {
        { "resources", 'r', true, U_RESOURCES },
        { "memory", 'm', true, U_MEMORY },
        { "memory-swap", 0, true, U_MEMORY_SWAP },
        { "memory-reservation", 0, true, U_MEMORY_RESERVATION },
        { "pids-limit", 0, true, U_PIDS },
        { "cpu-quota", 0, true, U_CPU_QUOTA },
        { "cpu-period", 0, true, U_CPU_PERIOD },
        { "cpu-share", 0, true, U_CPU_SHARES },
        { "cpu-rt-period", 0, true, U_RT_PERIOD },
        { "cpu-rt-runtime", 0, true, U_RT_RUNTIME },
        { "cpuset-cpus", 0, true, U_CPUSET_CPUS },
        { "cpuset-mems", 0, true, U_CPUSET_MEMS },
        { "kernel-memory", 0, true, U_KERNEL },
        { "blkio-weight", 0, true, U_BLKIO },
        { 0 },
};

/* The flags, which replace what --resources sets (as runc's do). */
struct update_flags {
        const char *memory, *swap, *reservation, *pids, *shares, *cpuset_cpus, *cpuset_mems, *blkio;
        const char *quota, *period, *rt_runtime, *rt_period;
};

/* --resources: a linux.resources object, checked as create checks the
 * config's. */
static int resources_to_spec(const char *path, nsl_spec *spec, nsl_error *error)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        /* "-": the standard input, which containerd's shim gives as a pipe */
        int r = strcmp(path, "-") ? nsl_read_file_or_pipe(path, 1 << 20, &text, &len)
                                  : nsl_read_stream(0, 1 << 20, &text, &len);

        if (r < 0)
                return nsl_fail(error, -r, "--resources", path, NULL);
        return nsl_oci_resources_to_spec(text, "--resources", spec, error);
}

static int number(const char *flag, const char *text, int64_t min, int64_t *out, nsl_error *error)
{
        char *end;

        errno = 0;
        *out = strtoll(text, &end, 10);
        if (!text[0] || *end || errno || *out < min)
                return nsl_fail(error, EINVAL, flag, text, "expected a whole number of at least %" PRId64, min);
        return 0;
}

/* A CPU budget per period (the CFS quota, the realtime runtime) from its
 * two flags, as runc's: either alone leaves the other as the cgroup has
 * it, and a budget of -1 is none. */
struct budget_flags {
        const char *budget_flag, *budget, *period_flag, *period;
        int (*set)(nsl_spec *spec, uint64_t budget_us, uint64_t period_us, nsl_error *error);
};

static int cpu_budget_to_spec(const struct budget_flags *b, nsl_spec *spec, nsl_error *error)
{
        int64_t budget = 0, period = 0;
        int r;

        if ((b->budget && (r = number(b->budget_flag, b->budget, -1, &budget, error)) < 0) ||
            (b->period && (r = number(b->period_flag, b->period, 1, &period, error)) < 0))
                return r;
        return b->set(spec, budget == -1 ? NSL_CPU_QUOTA_MAX : (uint64_t)budget, (uint64_t)period, error);
}

static int reservation_to_spec(const char *text, nsl_spec *spec, nsl_error *error)
{
        uint64_t bytes;

        if (nsl_parse_size(text, &bytes) < 0 || !bytes)
                return nsl_fail(error, EINVAL, "--memory-reservation", text, "expected a size, e.g. 32m");
        return nsl_spec_set_memory_reservation(spec, bytes, error);
}

static const char *or_max(const char *value)
{
        return strcmp(value, "-1") ? value : "max";
}

static int flags_to_spec(const struct update_flags *f, nsl_spec *spec, nsl_error *error)
{
        int64_t n;
        int r = 0;

        /* as runc's: -1 lifts a limit */
        if (!r && f->memory)
                r = nsl_spec_set_memory(spec, or_max(f->memory), error);
        if (!r && f->swap)
                r = nsl_spec_set_memory_swap(spec, or_max(f->swap), error);
        if (!r && f->reservation)
                r = reservation_to_spec(f->reservation, spec, error);
        if (!r && f->pids && (r = nsl_spec_set_pids(spec, or_max(f->pids), error)) < 0)
                snprintf(error->what, sizeof error->what, "--pids-limit");
        if (!r && f->shares && (r = number("--cpu-share", f->shares, 2, &n, error)) == 0)
                r = nsl_spec_set_cpu_shares(spec, (uint64_t)n, error);
        if (!r && (f->quota || f->period))
                r = cpu_budget_to_spec(&(struct budget_flags){ "--cpu-quota", f->quota, "--cpu-period", f->period,
                                                               nsl_spec_set_cpu_quota }, spec, error);
        if (!r && (f->rt_runtime || f->rt_period))
                r = cpu_budget_to_spec(&(struct budget_flags){ "--cpu-rt-runtime", f->rt_runtime, "--cpu-rt-period",
                                                               f->rt_period, nsl_spec_set_cpu_realtime }, spec, error);
        if (!r && (f->cpuset_cpus || f->cpuset_mems))
                r = nsl_spec_set_cpuset(spec, f->cpuset_cpus, f->cpuset_mems, error);
        if (!r && f->blkio && (r = number("--blkio-weight", f->blkio, 0, &n, error)) == 0)
                r = nsl_spec_set_blkio_weight(spec, (uint64_t)n, error);
        return r;
}

int nsl_runc_update(const struct nsl_runc *g, int argc, char **argv)
{
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1, .operands_anywhere = true };
        struct nsl_runc_state state = { 0 };
        struct update_flags f = { 0 };
        const char *resources = NULL;
        char *ids[2];
        int n_ids = 0;
        nsl_spec *spec = nsl_spec_new();
        nsl_error error = { 0 };
        enum nsl_token token = NSL_TOKEN_END;
        int id, r = spec ? 0 : nsl_fail(&error, ENOMEM, "update", "", NULL);

        /* runc's suite, and its users, put the flags after the ID too */
        while (r == 0 && ((token = nsl_next_token(&t, update_options, &id)) == NSL_TOKEN_OPTION ||
                          token == NSL_TOKEN_OPERAND)) {
                if (token == NSL_TOKEN_OPERAND) {
                        if (n_ids < (int)ELEMENTSOF(ids))
                                ids[n_ids++] = (char *)t.value;
                        continue;
                }
                switch (id) {
                case U_RESOURCES: resources = t.value; break;
                case U_MEMORY: f.memory = t.value; break;
                case U_MEMORY_SWAP: f.swap = t.value; break;
                case U_MEMORY_RESERVATION: f.reservation = t.value; break;
                case U_PIDS: f.pids = t.value; break;
                case U_CPU_SHARES: f.shares = t.value; break;
                case U_CPUSET_CPUS: f.cpuset_cpus = t.value; break;
                case U_CPUSET_MEMS: f.cpuset_mems = t.value; break;
                case U_CPU_QUOTA: f.quota = t.value; break;
                case U_CPU_PERIOD: f.period = t.value; break;
                case U_RT_RUNTIME: f.rt_runtime = t.value; break;
                case U_RT_PERIOD: f.rt_period = t.value; break;
                case U_BLKIO: f.blkio = t.value; break;
                case U_KERNEL:
                        r = nsl_fail(&error, ENOTSUP, t.spelled, t.value, "not supported by nslaunch");
                        break;
                }
        }
        if (r == 0 && token != NSL_TOKEN_END)
                r = nsl_fail(&error, EINVAL, "update", t.spelled, token == NSL_TOKEN_UNKNOWN ? "unknown option" : "missing value");
        if (r == 0 && resources)
                r = resources_to_spec(resources, spec, &error);
        if (r == 0)
                r = flags_to_spec(&f, spec, &error);
        if (r == 0)
                r = nsl_runc_cgroup_state(g, "update", n_ids, ids, 0, &state, &error);
        if (r == 0)
                r = state.systemd_scope ? nsl_cgroup_update_scope(state.cgroup, spec, &error)
                                        : nsl_cgroup_update(state.cgroup, spec, &error);
        nsl_runc_state_release(&state);
        nsl_spec_free(spec);
        return r < 0 ? nsl_runc_fail_error(g, &error) : 0;
}

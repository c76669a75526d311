/* nslaunch-runc pause, resume, update: the container's cgroup (oci-cgroup's
 * nsl_cgroup_freeze and nsl_cgroup_update on the path in its state). */
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
#include "runc.h"

static int open_state(const struct nsl_runc *g, const char *command, int argc, char **argv, int first,
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
        int r = open_state(g, argv[0], argc, argv, 1, &state, &error);

        if (r == 0)
                r = nsl_cgroup_freeze(state.cgroup, pause, &error);
        nsl_runc_state_release(&state);
        return r < 0 ? nsl_runc_fail_error(g, &error) : 0;
}

enum { U_RESOURCES = 1, U_MEMORY, U_MEMORY_SWAP, U_PIDS, U_CPU_QUOTA, U_CPU_PERIOD, U_CPU_SHARES, U_CPUSET_CPUS,
       U_CPUSET_MEMS, U_KERNEL, U_BLKIO };

static const struct nsl_option_def update_options[] = {
        { "resources", 'r', true, U_RESOURCES },
        { "memory", 'm', true, U_MEMORY },
        { "memory-swap", 0, true, U_MEMORY_SWAP },
        { "pids-limit", 0, true, U_PIDS },
        { "cpu-quota", 0, true, U_CPU_QUOTA },
        { "cpu-period", 0, true, U_CPU_PERIOD },
        { "cpu-share", 0, true, U_CPU_SHARES },
        { "cpuset-cpus", 0, true, U_CPUSET_CPUS },
        { "cpuset-mems", 0, true, U_CPUSET_MEMS },
        { "kernel-memory", 0, true, U_KERNEL },
        { "blkio-weight", 0, true, U_BLKIO },
        { 0 },
};

struct limits {
        char memory[32], swap[32], pids[32], cpus[32], shares[32];
        const char *cpuset_cpus, *cpuset_mems;
        int64_t quota, period;
        json_object *unified;   /* --resources' unified: cgroup v2 files */
        json_object *hugepages; /* --resources' hugepageLimits */
};

static void int_member(json_object *o, const char *key, char *buf, size_t len)
{
        json_object *v = nsl_json_member(o, key, json_type_int);
        if (v)
                snprintf(buf, len, "%" PRId64, json_object_get_int64(v));
}

/* "-": the standard input, which containerd's shim gives as a pipe. */
static int read_stdin(size_t max, char **text, size_t *len)
{
        _cleanup_free_ char *buf = malloc(max + 1);
        size_t n = 0;
        ssize_t got;

        if (!buf)
                return -ENOMEM;
        while (n < max && (got = read(0, buf + n, max - n)) != 0) {
                if (got < 0 && errno != EINTR)
                        return -errno;
                n += got > 0 ? (size_t)got : 0;
        }
        if (n == max)
                return -EFBIG;
        buf[n] = '\0';
        *len = n;
        *text = TAKE_PTR(buf);
        return 0;
}

/* --resources: linux.resources's memory, cpu, pids, hugepageLimits and unified. */
static int read_resources(const char *path, struct limits *l, json_object **doc, nsl_error *error)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = strcmp(path, "-") ? nsl_read_file(path, 1 << 20, &text, &len) : read_stdin(1 << 20, &text, &len);

        if (r < 0)
                return nsl_fail(error, -r, "--resources", path, NULL);
        if ((r = nsl_json_parse_doc(text, "--resources", path, doc, error)) < 0)
                return r;
        json_object *memory = nsl_json_member(*doc, "memory", json_type_object);
        json_object *cpu = nsl_json_member(*doc, "cpu", json_type_object);
        json_object *pids = nsl_json_member(*doc, "pids", json_type_object);
        int_member(memory, "limit", l->memory, sizeof l->memory);
        int_member(memory, "swap", l->swap, sizeof l->swap);
        int_member(pids, "limit", l->pids, sizeof l->pids);
        int_member(cpu, "shares", l->shares, sizeof l->shares);
        if (nsl_json_member(cpu, "quota", json_type_int))
                l->quota = json_object_get_int64(nsl_json_member(cpu, "quota", json_type_int));
        if (nsl_json_member(cpu, "period", json_type_int))
                l->period = json_object_get_int64(nsl_json_member(cpu, "period", json_type_int));
        l->cpuset_cpus = nsl_json_string(cpu, "cpus");
        l->cpuset_mems = nsl_json_string(cpu, "mems");
        l->unified = nsl_json_member(*doc, "unified", json_type_object);
        l->hugepages = nsl_json_member(*doc, "hugepageLimits", json_type_array);
        return 0;
}

static int hugepages_to_spec(json_object *list, nsl_spec *spec, nsl_error *error)
{
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *h = json_object_array_get_idx(list, i);
                json_object *limit = nsl_json_member(h, "limit", json_type_int);
                const char *size = nsl_json_string(h, "pageSize");
                int r = size && limit && json_object_get_int64(limit) >= 0
                                ? nsl_spec_set_hugepage_limit(spec, size, (uint64_t)json_object_get_int64(limit), error)
                                : nsl_fail(error, EINVAL, "--resources", "hugepageLimits",
                                           "expected objects with a pageSize and a limit");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int unified_to_spec(json_object *unified, nsl_spec *spec, nsl_error *error)
{
        json_object_object_foreach(unified, name, value) {
                int r = json_object_is_type(value, json_type_string)
                                ? nsl_spec_set_cgroup_v2_file(spec, name, json_object_get_string(value), error)
                                : nsl_fail(error, EINVAL, "--resources", name, "unified: expected a string");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int limits_to_spec(const struct limits *l, nsl_spec *spec, nsl_error *error)
{
        int r = 0;

        if (!r && l->memory[0])
                r = nsl_spec_set_memory(spec, l->memory, error);
        if (!r && l->swap[0])
                r = nsl_spec_set_memory_swap(spec, l->swap, error);
        if (!r && l->pids[0])
                r = nsl_spec_set_pids(spec, !strcmp(l->pids, "-1") || !strcmp(l->pids, "0") ? "max" : l->pids, error);
        if (!r && l->shares[0])
                r = nsl_spec_set_cpu_shares(spec, strtoull(l->shares, NULL, 10), error);
        if (!r && l->quota > 0)
                r = nsl_spec_set_cpu_quota(spec, (uint64_t)l->quota, l->period > 0 ? (uint64_t)l->period : 100000, error);
        if (!r && (l->cpuset_cpus || l->cpuset_mems))
                r = nsl_spec_set_cpuset(spec, l->cpuset_cpus, l->cpuset_mems, error);
        if (!r && l->hugepages)
                r = hugepages_to_spec(l->hugepages, spec, error);
        if (!r && l->unified)
                r = unified_to_spec(l->unified, spec, error);
        return r;
}

int nsl_runc_update(const struct nsl_runc *g, int argc, char **argv)
{
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1 };
        struct nsl_runc_state state = { 0 };
        _cleanup_json_ json_object *doc = NULL;
        struct limits l = { 0 };
        nsl_spec *spec = nsl_spec_new();
        nsl_error error = { 0 };
        enum nsl_token token;
        int id, r = spec ? 0 : nsl_fail(&error, ENOMEM, "update", "", NULL);

        while (r == 0 && (token = nsl_next_token(&t, update_options, &id)) == NSL_TOKEN_OPTION) {
                char *end;
                switch (id) {
                case U_RESOURCES: r = read_resources(t.value, &l, &doc, &error); break;
                case U_MEMORY: snprintf(l.memory, sizeof l.memory, "%s", t.value); break;
                case U_MEMORY_SWAP: snprintf(l.swap, sizeof l.swap, "%s", t.value); break;
                case U_PIDS: snprintf(l.pids, sizeof l.pids, "%s", t.value); break;
                case U_CPU_SHARES: snprintf(l.shares, sizeof l.shares, "%s", t.value); break;
                case U_CPUSET_CPUS: l.cpuset_cpus = t.value; break;
                case U_CPUSET_MEMS: l.cpuset_mems = t.value; break;
                case U_CPU_QUOTA: case U_CPU_PERIOD:
                        *(id == U_CPU_QUOTA ? &l.quota : &l.period) = strtoll(t.value, &end, 10);
                        if (*end || !t.value[0])
                                r = nsl_fail(&error, EINVAL, id == U_CPU_QUOTA ? "--cpu-quota" : "--cpu-period", t.value,
                                             "not a number of microseconds");
                        break;
                case U_KERNEL: case U_BLKIO:
                        r = nsl_fail(&error, ENOTSUP, t.spelled, t.value, "not supported by nslaunch");
                        break;
                }
        }
        if (r == 0 && token != NSL_TOKEN_END)
                r = nsl_fail(&error, EINVAL, "update", t.spelled, token == NSL_TOKEN_UNKNOWN ? "unknown option" : "missing value");
        if (r == 0)
                r = limits_to_spec(&l, spec, &error);
        if (r == 0)
                r = open_state(g, "update", argc, argv, t.index, &state, &error);
        if (r == 0)
                r = nsl_cgroup_update(state.cgroup, spec, &error);
        nsl_runc_state_release(&state);
        nsl_spec_free(spec);
        return r < 0 ? nsl_runc_fail_error(g, &error) : 0;
}

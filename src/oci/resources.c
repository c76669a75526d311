/* config.json's linux.resources: the cgroup limits nslaunch sets, checked;
 * a limit it has no way to set is refused naming it. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "../cleanup.h"
#include "../error.h"
#include "../json.h"
#include "../strv.h"
#include "oci.h"

static int parse_memory(json_object *res, const char *base, struct nsl_oci_resources *out, nsl_error *error)
{
        /* kernel is deprecated (runtime-spec 1.1) and obsolete in Linux since
         * 5.4, which charges kernel memory to the memory limit: accepted and
         * not written. checkBeforeUpdate refused when it asks for anything. */
        static const char *const known[] = { "limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness",
                                             "disableOOMKiller", "useHierarchy", "checkBeforeUpdate", NULL };
        json_object *memory;
        char path[96];
        int64_t ignored;
        int r;

        nsl_oci_subpath(path, sizeof path, base, ".memory");
        if ((r = nsl_oci_get_object(res, "memory", base, &memory, error)) <= 0)
                return r;
        if ((r = nsl_oci_check_keys(memory, path, known, error)) < 0 ||
            (r = nsl_oci_get_int(memory, "kernel", path, -1, INT64_MAX, &ignored, NULL, error)) < 0 ||
            (r = nsl_oci_get_int(memory, "kernelTCP", path, -1, INT64_MAX, &out->memory_kernel_tcp, NULL, error)) < 0 ||
            (r = nsl_oci_get_u64(memory, "swappiness", path, &out->memory_swappiness, &out->has_swappiness,
                                 error)) < 0 ||
            (r = nsl_oci_get_bool(memory, "disableOOMKiller", path, &out->oom_kill_disable, error)) < 0 ||
            (r = nsl_oci_refuse_set(memory, "checkBeforeUpdate", path, error)) < 0 ||
            (r = nsl_oci_get_int(memory, "limit", path, -1, INT64_MAX, &out->memory_limit, NULL, error)) < 0 ||
            (r = nsl_oci_get_int(memory, "reservation", path, -1, INT64_MAX, &out->memory_reservation, NULL,
                                 error)) < 0 ||
            (r = nsl_oci_get_int(memory, "swap", path, -1, INT64_MAX, &out->memory_swap, NULL, error)) < 0)
                return r;
        return 0;
}

static int parse_cpu(json_object *res, const char *base, struct nsl_oci_resources *out, nsl_error *error)
{
        static const char *const known[] = { "shares", "quota", "period", "realtimeRuntime", "realtimePeriod",
                                             "cpus", "mems", "idle", "burst", NULL };
        json_object *cpu;
        char path[96];
        int r;

        nsl_oci_subpath(path, sizeof path, base, ".cpu");
        if ((r = nsl_oci_get_object(res, "cpu", base, &cpu, error)) <= 0)
                return r;
        if ((r = nsl_oci_check_keys(cpu, path, known, error)) < 0 ||
            (r = nsl_oci_refuse_set(cpu, "idle", path, error)) < 0 ||
            (r = nsl_oci_refuse_set(cpu, "burst", path, error)) < 0 ||
            (r = nsl_oci_get_u64(cpu, "shares", path, &out->cpu_shares, NULL, error)) < 0 ||
            (r = nsl_oci_get_int(cpu, "quota", path, -1, INT64_MAX, &out->cpu_quota, NULL, error)) < 0 ||
            (r = nsl_oci_get_u64(cpu, "period", path, &out->cpu_period, NULL, error)) < 0 ||
            (r = nsl_oci_get_int(cpu, "realtimeRuntime", path, -1, INT64_MAX, &out->cpu_rt_runtime, NULL, error)) < 0 ||
            (r = nsl_oci_get_u64(cpu, "realtimePeriod", path, &out->cpu_rt_period, NULL, error)) < 0 ||
            (r = nsl_oci_get_string(cpu, "cpus", path, &out->cpu_cpus, error)) < 0 ||
            (r = nsl_oci_get_string(cpu, "mems", path, &out->cpu_mems, error)) < 0)
                return r;
        return 0;
}

static const char *const throttle_names[] = { [NSL_IO_READ_BPS] = "throttleReadBpsDevice",
                                              [NSL_IO_WRITE_BPS] = "throttleWriteBpsDevice",
                                              [NSL_IO_READ_IOPS] = "throttleReadIOPSDevice",
                                              [NSL_IO_WRITE_IOPS] = "throttleWriteIOPSDevice" };

static int parse_throttle(json_object *o, const char *path, struct nsl_oci_io_throttle *out, nsl_error *error)
{
        static const char *const known[] = { "major", "minor", "rate", NULL };
        bool has_major = false, has_minor = false, has_rate = false;
        int64_t major = 0, minor = 0;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return nsl_oci_refuse(error, path, "expected an object");
        if ((r = nsl_oci_check_keys(o, path, known, error)) < 0 ||
            (r = nsl_oci_get_int(o, "major", path, 0, UINT32_MAX, &major, &has_major, error)) < 0 ||
            (r = nsl_oci_get_int(o, "minor", path, 0, UINT32_MAX, &minor, &has_minor, error)) < 0 ||
            (r = nsl_oci_get_u64(o, "rate", path, &out->rate, &has_rate, error)) < 0)
                return r;
        if (!has_major || !has_minor || !has_rate)
                return nsl_oci_refuse(error, path, "expected major, minor and rate");
        out->major = (uint32_t)major;
        out->minor = (uint32_t)minor;
        return 0;
}

static int parse_throttles(json_object *blkio, const char *base, struct nsl_oci_resources *out, nsl_error *error)
{
        for (int kind = 0; kind < (int)ELEMENTSOF(throttle_names); kind++) {
                json_object *list;
                char path[128];
                int r = nsl_oci_get_array(blkio, throttle_names[kind], base, &list, error);
                size_t n = r > 0 ? json_object_array_length(list) : 0;
                if (r < 0)
                        return r;
                if (n == 0)
                        continue;
                struct nsl_oci_io_throttle *more = reallocarray(out->io_throttles, out->n_io_throttles + n,
                                                                sizeof *more);
                if (!more)
                        return nsl_fail(error, ENOMEM, "config.json", base, NULL);
                out->io_throttles = more;
                for (size_t i = 0; i < n; i++) {
                        struct nsl_oci_io_throttle *t = &out->io_throttles[out->n_io_throttles++];
                        *t = (struct nsl_oci_io_throttle){ .kind = (enum nsl_io_throttle)kind };
                        nsl_oci_subpath(path, sizeof path, base, ".%s[%zu]", throttle_names[kind], i);
                        if ((r = parse_throttle(json_object_array_get_idx(list, i), path, t, error)) < 0)
                                return r;
                }
        }
        return 0;
}

static int parse_pids_blkio(json_object *res, const char *base, struct nsl_oci_resources *out, nsl_error *error)
{
        static const char *const blkio_known[] = { "weight", "leafWeight", "weightDevice", "throttleReadBpsDevice",
                                                   "throttleWriteBpsDevice", "throttleReadIOPSDevice",
                                                   "throttleWriteIOPSDevice", NULL };
        static const char *const blkio_refused[] = { "leafWeight", "weightDevice", NULL };
        json_object *pids, *blkio;
        int64_t weight = 0;
        char path[96];
        int r;

        nsl_oci_subpath(path, sizeof path, base, ".pids");
        if ((r = nsl_oci_get_object(res, "pids", base, &pids, error)) < 0 ||
            (pids && (r = nsl_oci_check_keys(pids, path, (const char *const[]){ "limit", NULL }, error)) < 0) ||
            (pids && (r = nsl_oci_get_int(pids, "limit", path, -1, INT64_MAX, &out->pids_limit, NULL, error)) < 0))
                return r;
        nsl_oci_subpath(path, sizeof path, base, ".blockIO");
        if ((r = nsl_oci_get_object(res, "blockIO", base, &blkio, error)) <= 0)
                return r;
        if ((r = nsl_oci_check_keys(blkio, path, blkio_known, error)) < 0)
                return r;
        for (size_t i = 0; blkio_refused[i]; i++)
                if ((r = nsl_oci_refuse_set(blkio, blkio_refused[i], path, error)) < 0)
                        return r;
        if ((r = nsl_oci_get_int(blkio, "weight", path, 0, 1000, &weight, NULL, error)) < 0)
                return r;
        out->blkio_weight = (unsigned)weight;
        return parse_throttles(blkio, path, out, error);
}

static int parse_device_rule(json_object *o, const char *path, struct nsl_oci_device_rule *rule, nsl_error *error)
{
        static const char *const known[] = { "allow", "type", "major", "minor", "access", NULL };
        _cleanup_free_ char *type = NULL, *access = NULL;
        int r;

        *rule = (struct nsl_oci_device_rule){ .type = 'a', .major = -1, .minor = -1, .access = "rwm" };
        if (!json_object_is_type(o, json_type_object))
                return nsl_oci_refuse(error, path, "expected an object");
        if ((r = nsl_oci_check_keys(o, path, known, error)) < 0 ||
            (r = nsl_oci_get_bool(o, "allow", path, &rule->allow, error)) < 0 ||
            (r = nsl_oci_get_int(o, "major", path, -1, UINT32_MAX, &rule->major, NULL, error)) < 0 ||
            (r = nsl_oci_get_int(o, "minor", path, -1, UINT32_MAX, &rule->minor, NULL, error)) < 0 ||
            (r = nsl_oci_get_string(o, "type", path, &type, error)) < 0 ||
            (r = nsl_oci_get_string(o, "access", path, &access, error)) < 0)
                return r;
        if (type && strlen(type) != 1)
                return nsl_oci_refuse(error, path, "expected a type of a, c or b");
        if (access && strlen(access) >= sizeof rule->access)
                return nsl_oci_refuse(error, path, "expected an access of r, w and m, each once");
        if (type)
                rule->type = type[0];
        if (access)
                snprintf(rule->access, sizeof rule->access, "%s", access);
        return 0;
}

/* In force in the container's cgroup (v1 devices files, v2 device program),
 * in order, followed by the nodes every container has (translate.c);
 * docs/oci.md. */
static int parse_device_rules(json_object *res, const char *base, struct nsl_oci_resources *out, nsl_error *error)
{
        json_object *list;
        char path[96];
        int r = nsl_oci_get_array(res, "devices", base, &list, error);
        size_t n = r > 0 ? json_object_array_length(list) : 0;

        if (r <= 0 || n == 0)
                return r;
        out->device_rules = calloc(n, sizeof out->device_rules[0]);
        if (!out->device_rules)
                return nsl_fail(error, ENOMEM, "config.json", base, NULL);
        for (size_t i = 0; i < n; i++) {
                nsl_oci_subpath(path, sizeof path, base, ".devices[%zu]", i);
                if ((r = parse_device_rule(json_object_array_get_idx(list, i), path, &out->device_rules[i], error)) < 0)
                        return r;
                out->n_device_rules++;
        }
        return 0;
}

static int parse_hugepage_limit(json_object *o, const char *path, struct nsl_oci_hugepage_limit *out,
                                nsl_error *error)
{
        static const char *const known[] = { "pageSize", "limit", NULL };
        bool has_limit = false;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return nsl_oci_refuse(error, path, "expected an object");
        if ((r = nsl_oci_check_keys(o, path, known, error)) < 0 ||
            (r = nsl_oci_get_string(o, "pageSize", path, &out->page_size, error)) < 0 ||
            (r = nsl_oci_get_u64(o, "limit", path, &out->limit, &has_limit, error)) < 0)
                return r;
        if (!out->page_size || !has_limit)
                return nsl_oci_refuse(error, path, "expected pageSize and limit");
        return 0;
}

/* Kubernetes gives every container one for each size the node has, 0 when
 * it asked for none (kubelet's GetHugepageLimitsFromResources). */
static int parse_hugepage_limits(json_object *res, const char *base, struct nsl_oci_resources *out, nsl_error *error)
{
        json_object *list;
        char path[96];
        int r = nsl_oci_get_array(res, "hugepageLimits", base, &list, error);
        size_t n = r > 0 ? json_object_array_length(list) : 0;

        if (r <= 0 || n == 0)
                return r;
        out->hugepage_limits = calloc(n, sizeof out->hugepage_limits[0]);
        if (!out->hugepage_limits)
                return nsl_fail(error, ENOMEM, "config.json", base, NULL);
        for (size_t i = 0; i < n; i++) {
                nsl_oci_subpath(path, sizeof path, base, ".hugepageLimits[%zu]", i);
                out->n_hugepage_limits++;
                if ((r = parse_hugepage_limit(json_object_array_get_idx(list, i), path, &out->hugepage_limits[i],
                                              error)) < 0)
                        return r;
        }
        return 0;
}

/* Kept as names and values apart: a name is never split again, so that a
 * key holding '=' reaches the setter's check whole. */
static int parse_unified(json_object *res, const char *base, struct nsl_oci_resources *out, nsl_error *error)
{
        json_object *unified;
        int r = nsl_oci_get_object(res, "unified", base, &unified, error);

        if (r <= 0)
                return r;
        json_object_object_foreach(unified, key, value) {
                char path[256];

                nsl_oci_subpath(path, sizeof path, base, ".unified.%s", key);
                if (!json_object_is_type(value, json_type_string))
                        return nsl_oci_refuse(error, path, "expected a string");
                if (nsl_strv_push(&out->unified_names, &out->n_unified, key) < 0 ||
                    nsl_strv_push(&out->unified_values, &out->n_unified_values, json_object_get_string(value)) < 0)
                        return nsl_fail(error, ENOMEM, "config.json", path, NULL);
        }
        return 0;
}

void nsl_oci_resources_init(struct nsl_oci_resources *res)
{
        *res = (struct nsl_oci_resources){ .memory_limit = NSL_OCI_UNSET_I64, .memory_swap = NSL_OCI_UNSET_I64,
                                           .memory_reservation = NSL_OCI_UNSET_I64, .cpu_quota = NSL_OCI_UNSET_I64,
                                           .pids_limit = NSL_OCI_UNSET_I64 };
}

int nsl_oci_parse_resources(json_object *res, const char *base, struct nsl_oci_resources *out, nsl_error *error)
{
        /* network, rdma: refused when they ask for anything */
        static const char *const known[] = { "devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits",
                                             "network", "rdma", "unified", NULL };
        int r;

        if ((r = nsl_oci_check_keys(res, base, known, error)) < 0 ||
            (r = nsl_oci_refuse_set(res, "network", base, error)) < 0 ||
            (r = nsl_oci_refuse_set(res, "rdma", base, error)) < 0 ||
            (r = parse_device_rules(res, base, out, error)) < 0 ||
            (r = parse_memory(res, base, out, error)) < 0 ||
            (r = parse_cpu(res, base, out, error)) < 0 ||
            (r = parse_pids_blkio(res, base, out, error)) < 0 ||
            (r = parse_hugepage_limits(res, base, out, error)) < 0 ||
            (r = parse_unified(res, base, out, error)) < 0)
                return r;
        return 0;
}

void nsl_oci_resources_clear(struct nsl_oci_resources *res)
{
        free(res->cpu_cpus);
        free(res->cpu_mems);
        free(res->device_rules);
        nsl_strv_free(res->unified_names);
        nsl_strv_free(res->unified_values);
        for (size_t i = 0; i < res->n_hugepage_limits; i++)
                free(res->hugepage_limits[i].page_size);
        free(res->hugepage_limits);
        free(res->io_throttles);
}

int nsl_oci_resources_to_spec(const char *json, const char *what, nsl_spec *spec, nsl_error *error)
{
        _cleanup_json_ json_object *doc = NULL;
        struct nsl_oci_resources res;
        int r;

        *error = (nsl_error){ 0 };
        if ((r = nsl_json_parse_doc(json, what, "linux.resources", &doc, error)) < 0)
                return r;
        if (!json_object_is_type(doc, json_type_object))
                return nsl_fail(error, EINVAL, what, "linux.resources", "expected an object");
        nsl_oci_resources_init(&res);
        r = nsl_oci_parse_resources(doc, "linux.resources", &res, error);
        if (r == 0)
                r = nsl_oci_limits_to_spec(&res, spec, error);
        nsl_oci_resources_clear(&res);
        if (r < 0)
                snprintf(error->what, sizeof error->what, "%s", what);
        return r;
}

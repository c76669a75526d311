/* nsl_oci_to_spec: a read config onto a spec through the public setters,
 * so that an OCI container is checked and planned like any launch. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../host.h"
#include "oci.h"

/* The sandbox keeps one set of capabilities: those the process asked to
 * hold (effective or permitted) that its bounding set allows. Inheritable
 * and ambient grant nothing more. */
static int caps_to_spec(const struct nsl_oci_process *p, nsl_spec *spec, nsl_error *error)
{
        uint64_t keep = (p->caps[NSL_OCI_CAP_EFFECTIVE] | p->caps[NSL_OCI_CAP_PERMITTED]) &
                        p->caps[NSL_OCI_CAP_BOUNDING];

        for (int cap = 0; cap < 64; cap++) {
                char *name;
                int r;

                if (!(keep & (1ULL << cap)))
                        continue;
                name = cap_to_name((cap_value_t)cap);
                if (!name)
                        return nsl_fail(error, ENOMEM, "config.json", "process.capabilities", NULL);
                r = nsl_spec_add_cap(spec, name, error);
                cap_free(name);
                if (r < 0)
                        return nsl_oci_as_field(error, "process.capabilities", r);
        }
        return 0;
}

static void limit_word(uint64_t v, char *buf, size_t size)
{
        if (v == UINT64_MAX)
                snprintf(buf, size, "unlimited");
        else
                snprintf(buf, size, "%" PRIu64, v);
}

static int rlimits_to_spec(const struct nsl_oci_process *p, nsl_spec *spec, nsl_error *error)
{
        for (size_t i = 0; i < p->n_rlimits; i++) {
                char soft[24], hard[24], value[96], path[64];
                int r;

                limit_word(p->rlimits[i].soft, soft, sizeof soft);
                limit_word(p->rlimits[i].hard, hard, sizeof hard);
                snprintf(value, sizeof value, "%s=%s:%s", p->rlimits[i].type, soft, hard);
                snprintf(path, sizeof path, "process.rlimits[%zu]", i);
                if ((r = nsl_spec_add_rlimit(spec, value, error)) < 0)
                        return nsl_oci_as_field(error, path, r);
        }
        return 0;
}

static int user_to_spec(const struct nsl_oci_process *p, nsl_spec *spec, nsl_error *error)
{
        char id[16];
        int r;

        snprintf(id, sizeof id, "%" PRIu32, p->uid);
        if ((r = nsl_spec_set_uid(spec, id, error)) < 0)
                return nsl_oci_as_field(error, "process.user.uid", r);
        snprintf(id, sizeof id, "%" PRIu32, p->gid);
        if ((r = nsl_spec_set_gid(spec, id, error)) < 0)
                return nsl_oci_as_field(error, "process.user.gid", r);
        for (size_t i = 0; i < p->n_additional_gids; i++)
                if ((r = nsl_spec_add_group(spec, p->additional_gids[i], error)) < 0)
                        return nsl_oci_as_field(error, "process.user.additionalGids", r);
        if (p->has_umask && (r = nsl_spec_set_umask(spec, p->umask, error)) < 0)
                return nsl_oci_as_field(error, "process.user.umask", r);
        return 0;
}

/* Engines set a profile only where AppArmor is enabled (docker-default,
 * podman's containers-default); elsewhere it could not be applied, and a
 * container is never run less confined than its config asks. */
static int apparmor_to_spec(const struct nsl_oci_process *p, nsl_spec *spec, nsl_error *error)
{
        int r;

        if (!p->apparmor_profile || !*p->apparmor_profile)
                return 0;
        if ((r = nsl_spec_set_apparmor_profile(spec, p->apparmor_profile, error)) < 0)
                return nsl_oci_as_field(error, "process.apparmorProfile", r);
        if (!nsl_host_apparmor_enabled())
                return nsl_fail(error, EOPNOTSUPP, "config.json", "process.apparmorProfile",
                                "%s: AppArmor is not enabled on this host", p->apparmor_profile);
        return 0;
}

int nsl_oci_process_to_spec(const struct nsl_oci_process *p, nsl_spec *spec, nsl_error *error)
{
        char path[64];
        int r;

        if ((r = nsl_spec_set_command(spec, p->args, error)) < 0)
                return nsl_oci_as_field(error, "process.args", r);
        nsl_spec_set_keep_env(spec, false);
        for (size_t i = 0; i < p->n_env; i++) {
                snprintf(path, sizeof path, "process.env[%zu]", i);
                if ((r = nsl_spec_add_env(spec, p->env[i], error)) < 0)
                        return nsl_oci_as_field(error, path, r);
        }
        if ((r = nsl_spec_set_cwd(spec, p->cwd, error)) < 0)
                return nsl_oci_as_field(error, "process.cwd", r);
        if ((r = user_to_spec(p, spec, error)) < 0 ||
            (r = caps_to_spec(p, spec, error)) < 0 ||
            (r = rlimits_to_spec(p, spec, error)) < 0)
                return r;
        if ((r = apparmor_to_spec(p, spec, error)) < 0)
                return r;
        nsl_spec_set_no_new_privs(spec, p->no_new_privileges);
        if (p->has_oom_score_adj && (r = nsl_spec_set_oom_score_adj(spec, p->oom_score_adj, error)) < 0)
                return nsl_oci_as_field(error, "process.oomScoreAdj", r);
        if ((p->console_height || p->console_width) &&
            (r = nsl_spec_set_console_size(spec, p->console_height, p->console_width, error)) < 0)
                return nsl_oci_as_field(error, "process.consoleSize", r);
        return 0;
}

/* nslaunch always makes a user namespace; where the caller may map its ids
 * (the host's root, a rootless engine's namespace root) the identity map of
 * its own gives the container the same ids and file access as the caller's,
 * as runc's container without a user namespace has. */
static int identity_map_to_spec(nsl_spec *spec, nsl_error *error)
{
        struct nsl_id_range ranges[NSL_MAX_ID_MAPS];
        size_t n;
        int r;

        if (!nsl_host_maps_ids())
                return 0;
        for (const char *kind = "ug"; *kind; kind++) {
                if ((r = nsl_host_identity_map(*kind, ranges, NSL_MAX_ID_MAPS, &n, error)) < 0)
                        return r;
                for (size_t i = 0; i < n; i++)
                        if ((r = nsl_spec_add_id_map(spec, *kind, ranges[i].inside, ranges[i].outside, ranges[i].count,
                                                     error)) < 0)
                                return nsl_oci_as_field(error, "linux.namespaces", r);
        }
        return 0;
}

static int user_ns_to_spec(const struct nsl_oci *oci, nsl_spec *spec, nsl_error *error)
{
        int r;

        if (!oci->has_ns[NSL_OCI_NS_USER])
                return identity_map_to_spec(spec, error);
        for (size_t i = 0; i < oci->n_uid_maps; i++)
                if ((r = nsl_spec_add_id_map(spec, 'u', oci->uid_maps[i].container, oci->uid_maps[i].host,
                                             oci->uid_maps[i].size, error)) < 0)
                        return nsl_oci_as_field(error, "linux.uidMappings", r);
        for (size_t i = 0; i < oci->n_gid_maps; i++)
                if ((r = nsl_spec_add_id_map(spec, 'g', oci->gid_maps[i].container, oci->gid_maps[i].host,
                                             oci->gid_maps[i].size, error)) < 0)
                        return nsl_oci_as_field(error, "linux.gidMappings", r);
        return 0;
}

/* The network nslaunch's annotations ask for, in the container's own
 * network namespace: the engine's (one joined by path) or the host's is not
 * nslaunch's to give a proxy or rules. */
static int network_annotations_to_spec(const struct nsl_oci *oci, nsl_spec *spec, nsl_error *error)
{
        const struct nsl_oci_network *net = &oci->network;
        const char *field = net->mode ? "annotations.org.nslaunch.network"
                            : net->n_allow_egress ? "annotations.org.nslaunch.allow-egress"
                                                  : "annotations.org.nslaunch.dns";
        int r = 0;

        if (!net->mode && !net->n_allow_egress && !net->n_dns)
                return 0;
        if (oci->join_ns[NSL_JOIN_NET])
                return nsl_oci_refuse(error, field, "the container joins a network namespace (linux.namespaces): "
                                                    "its network is the engine's");
        if (!oci->has_ns[NSL_OCI_NS_NETWORK])
                return nsl_oci_refuse(error, field, "the container has the host's network: a network namespace "
                                                    "of its own is needed (linux.namespaces)");
        if (net->mode && !strcmp(net->mode, "none") && (net->n_allow_egress || net->n_dns))
                return nsl_oci_refuse(error, field, "none, but allow-egress and dns give a private network");
        if (net->mode && (r = nsl_spec_set_network(spec, net->mode, error)) < 0)
                return nsl_oci_as_field(error, "annotations.org.nslaunch.network", r);
        for (size_t i = 0; i < net->n_allow_egress; i++)
                if ((r = nsl_spec_add_allow_egress(spec, net->allow_egress[i], error)) < 0)
                        return nsl_oci_as_field(error, "annotations.org.nslaunch.allow-egress", r);
        for (size_t i = 0; i < net->n_dns; i++)
                if ((r = nsl_spec_add_dns(spec, net->dns[i], error)) < 0)
                        return nsl_oci_as_field(error, "annotations.org.nslaunch.dns", r);
        return 0;
}

static int namespaces_to_spec(const struct nsl_oci *oci, nsl_spec *spec, nsl_error *error)
{
        static const struct { int oci, join; const char *path; } hosts[] = {
                { NSL_OCI_NS_PID, NSL_JOIN_PID, "/proc/self/ns/pid" },
                { NSL_OCI_NS_IPC, NSL_JOIN_IPC, "/proc/self/ns/ipc" },
                { NSL_OCI_NS_UTS, NSL_JOIN_UTS, "/proc/self/ns/uts" },
        };
        int r = 0;

        if (!oci->join_ns[NSL_JOIN_NET])
                r = nsl_spec_set_network(spec, oci->has_ns[NSL_OCI_NS_NETWORK] ? "none" : "host", error);
        if (r == 0 && (r = network_annotations_to_spec(oci, spec, error)) < 0)
                return r;
        for (int k = 0; r == 0 && k < NSL_JOIN_N; k++)
                if (oci->join_ns[k])
                        r = nsl_spec_join_namespace(spec, nsl_join_kinds[k].type, oci->join_ns[k], error);
        /* not listed: the runtime's own, which the launch joins as it would another */
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(hosts); i++)
                if (!oci->has_ns[hosts[i].oci])
                        r = nsl_spec_join_namespace(spec, nsl_join_kinds[hosts[i].join].type, hosts[i].path, error);
        if (r < 0)
                return nsl_oci_as_field(error, "linux.namespaces", r);
        bool named = (oci->hostname && *oci->hostname) || (oci->domainname && *oci->domainname);
        if (named && !oci->has_ns[NSL_OCI_NS_UTS])
                return nsl_oci_refuse(error, oci->hostname && *oci->hostname ? "hostname" : "domainname",
                                      "the container has the host's UTS namespace (none in linux.namespaces): "
                                      "it would rename the host");
        if (oci->hostname && *oci->hostname && (r = nsl_spec_set_hostname(spec, oci->hostname, error)) < 0)
                return nsl_oci_as_field(error, "hostname", r);
        if (oci->domainname && *oci->domainname && (r = nsl_spec_set_domainname(spec, oci->domainname, error)) < 0)
                return nsl_oci_as_field(error, "domainname", r);
        return user_ns_to_spec(oci, spec, error);
}

/* A memory size as the setters take it: -1, no limit (what update lifts
 * one with), is "max". */
static const char *size_text(int64_t bytes, char *text, size_t size)
{
        if (bytes == -1)
                return "max";
        snprintf(text, size, "%" PRId64, bytes);
        return text;
}

/* A CPU budget (the CFS quota, the realtime runtime): -1 is none, 0 or
 * absent as the cgroup has it. */
static uint64_t budget_us(int64_t n)
{
        return n == -1 ? NSL_CPU_QUOTA_MAX : n > 0 ? (uint64_t)n : 0;
}

static int memory_to_spec(const struct nsl_oci_resources *res, nsl_spec *spec, nsl_error *error)
{
        char size[32];
        int r;

        if ((res->memory_limit > 0 || res->memory_limit == -1) &&
            (r = nsl_spec_set_memory(spec, size_text(res->memory_limit, size, sizeof size), error)) < 0)
                return nsl_oci_as_field(error, "linux.resources.memory.limit", r);
        if ((res->memory_swap > 0 || res->memory_swap == -1) &&
            (r = nsl_spec_set_memory_swap(spec, size_text(res->memory_swap, size, sizeof size), error)) < 0)
                return nsl_oci_as_field(error, "linux.resources.memory.swap", r);
        if (res->memory_reservation > 0 &&
            (r = nsl_spec_set_memory_reservation(spec, (uint64_t)res->memory_reservation, error)) < 0)
                return nsl_oci_as_field(error, "linux.resources.memory.reservation", r);
        if (res->memory_kernel_tcp > 0 &&
            (r = nsl_spec_set_memory_kernel_tcp(spec, (uint64_t)res->memory_kernel_tcp, error)) < 0)
                return nsl_oci_as_field(error, "linux.resources.memory.kernelTCP", r);
        if (res->has_swappiness && (r = nsl_spec_set_memory_swappiness(spec, res->memory_swappiness, error)) < 0)
                return nsl_oci_as_field(error, "linux.resources.memory.swappiness", r);
        nsl_spec_set_oom_kill_disable(spec, res->oom_kill_disable);
        return 0;
}

static int cpu_to_spec(const struct nsl_oci_resources *res, nsl_spec *spec, nsl_error *error)
{
        int r;

        if (res->cpu_shares && (r = nsl_spec_set_cpu_shares(spec, res->cpu_shares, error)) < 0)
                return nsl_oci_as_field(error, "linux.resources.cpu.shares", r);
        /* quota and period as given: the kernel's throttling depends on both,
         * not only on their ratio; -1, no quota; either absent (or a quota
         * of 0, as runc reads it), as the cgroup has it */
        uint64_t quota = budget_us(res->cpu_quota), rt_runtime = budget_us(res->cpu_rt_runtime);
        if ((quota || res->cpu_period) && (r = nsl_spec_set_cpu_quota(spec, quota, res->cpu_period, error)) < 0)
                return nsl_oci_as_field(error, "linux.resources.cpu.quota", r);
        if ((rt_runtime || res->cpu_rt_period) &&
            (r = nsl_spec_set_cpu_realtime(spec, rt_runtime, res->cpu_rt_period, error)) < 0)
                return nsl_oci_as_field(error, "linux.resources.cpu.realtimeRuntime", r);
        if (((res->cpu_cpus && *res->cpu_cpus) || (res->cpu_mems && *res->cpu_mems)) &&
            (r = nsl_spec_set_cpuset(spec, res->cpu_cpus, res->cpu_mems, error)) < 0)
                return nsl_oci_as_field(error, "linux.resources.cpu.cpus", r);
        return 0;
}

/* The config's rules, then the nodes nslaunch's /dev always has (null, zero,
 * full, random, urandom, tty, ptmx and the pty slaves), which the engines
 * leave to the runtime, as runc and crun add them. Unlike theirs, the list
 * has no "m" for every device (no container needs to make nodes) and no
 * tun: a config that wants it says so. */
static int device_rules_to_spec(const struct nsl_oci_resources *res, nsl_spec *spec, nsl_error *error)
{
        static const struct { int64_t major, minor; } always[] = {
                { 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 }, { 1, 9 }, { 5, 0 }, { 5, 2 }, { 136, -1 },
        };
        char path[64];
        int r;

        for (size_t i = 0; i < res->n_device_rules; i++) {
                const struct nsl_oci_device_rule *rule = &res->device_rules[i];
                snprintf(path, sizeof path, "linux.resources.devices[%zu]", i);
                if ((r = nsl_spec_add_device_rule(spec, rule->allow, rule->type, rule->major, rule->minor, rule->access,
                                                  error)) < 0)
                        return nsl_oci_as_field(error, path, r);
        }
        for (size_t i = 0; res->n_device_rules && i < ELEMENTSOF(always); i++)
                if ((r = nsl_spec_add_device_rule(spec, true, 'c', always[i].major, always[i].minor, "rwm", error)) < 0)
                        return nsl_oci_as_field(error, "linux.resources.devices", r);
        return 0;
}

int nsl_oci_limits_to_spec(const struct nsl_oci_resources *res, nsl_spec *spec, nsl_error *error)
{
        char n[32];
        int r;

        if ((r = memory_to_spec(res, spec, error)) < 0 || (r = cpu_to_spec(res, spec, error)) < 0)
                return r;
        /* as runc's: a negative limit is none, 0 leaves the cgroup's */
        if (res->pids_limit != NSL_OCI_UNSET_I64 && res->pids_limit != 0) {
                if (res->pids_limit < 0)
                        snprintf(n, sizeof n, "max");
                else
                        snprintf(n, sizeof n, "%" PRId64, res->pids_limit);
                if ((r = nsl_spec_set_pids(spec, n, error)) < 0)
                        return nsl_oci_as_field(error, "linux.resources.pids.limit", r);
        }
        if (res->blkio_weight && (r = nsl_spec_set_blkio_weight(spec, res->blkio_weight, error)) < 0)
                return nsl_oci_as_field(error, "linux.resources.blockIO.weight", r);
        for (size_t i = 0; i < res->n_io_throttles; i++) {
                const struct nsl_oci_io_throttle *t = &res->io_throttles[i];
                if ((r = nsl_spec_add_io_throttle(spec, t->kind, t->major, t->minor, t->rate, error)) < 0)
                        return nsl_oci_as_field(error, "linux.resources.blockIO", r);
        }
        for (size_t i = 0; i < res->n_hugepage_limits; i++) {
                const struct nsl_oci_hugepage_limit *h = &res->hugepage_limits[i];
                char path[64];

                snprintf(path, sizeof path, "linux.resources.hugepageLimits[%zu]", i);
                if ((r = nsl_spec_set_hugepage_limit(spec, h->page_size, h->limit, error)) < 0)
                        return nsl_oci_as_field(error, path, r);
        }
        for (size_t i = 0; i < res->n_unified; i++) {
                char path[256];

                nsl_oci_subpath(path, sizeof path, "linux.resources.unified.", "%s", res->unified_names[i]);
                if ((r = nsl_spec_set_cgroup_v2_file(spec, res->unified_names[i], res->unified_values[i], error)) < 0)
                        return nsl_oci_as_field(error, path, r);
        }
        return 0;
}

static int resources_to_spec(const struct nsl_oci *oci, nsl_spec *spec, nsl_error *error)
{
        struct nsl_oci_resources res = oci->resources;  /* a view: its lists stay oci's */
        int r;

        /* no quota (-1) alone is what a new cgroup has: it needs no cpu
         * controller (update's -1 takes a quota away); nor does no pids
         * limit (a negative one, update's "max") */
        if (res.cpu_quota == -1 && !res.cpu_period)
                res.cpu_quota = NSL_OCI_UNSET_I64;
        if (res.pids_limit < 0)
                res.pids_limit = NSL_OCI_UNSET_I64;
        if ((r = nsl_oci_limits_to_spec(&res, spec, error)) < 0 ||
            (r = device_rules_to_spec(&oci->resources, spec, error)) < 0)
                return r;
        /* a runtime that chose systemd's driver set the scope already */
        if (oci->cgroups_path && *oci->cgroups_path && !spec->systemd_scope &&
            (r = nsl_spec_set_cgroup_path(spec, oci->cgroups_path, error)) < 0)
                return nsl_oci_as_field(error, "linux.cgroupsPath", r);
        return 0;
}

static int paths_to_spec(const struct nsl_oci *oci, nsl_spec *spec, nsl_error *error)
{
        char path[64];
        int r;

        for (size_t i = 0; i < oci->n_sysctl; i++) {
                /* net.*: with the host's network, the plan refuses it */
                if (nsl_sysctl_join_kind(oci->sysctl[i]) == NSL_JOIN_IPC && !oci->has_ns[NSL_OCI_NS_IPC])
                        return nsl_fail(error, EINVAL, "config.json", "linux.sysctl",
                                        "%s: the container has the host's IPC namespace (none in linux.namespaces): "
                                        "it would change the host's", oci->sysctl[i]);
                if ((r = nsl_spec_add_sysctl(spec, oci->sysctl[i], error)) < 0)
                        return nsl_oci_as_field(error, "linux.sysctl", r);
        }
        const char *floor = nsl_oci_floor_sysctl(oci);
        if (floor && (r = nsl_spec_add_sysctl(spec, floor, error)) < 0)
                return r;
        for (size_t i = 0; i < oci->n_masked_paths; i++) {
                snprintf(path, sizeof path, "linux.maskedPaths[%zu]", i);
                if ((r = nsl_spec_add_masked_path(spec, oci->masked_paths[i], error)) < 0)
                        return nsl_oci_as_field(error, path, r);
        }
        for (size_t i = 0; i < oci->n_readonly_paths; i++) {
                snprintf(path, sizeof path, "linux.readonlyPaths[%zu]", i);
                if ((r = nsl_spec_add_readonly_path(spec, oci->readonly_paths[i], error)) < 0)
                        return nsl_oci_as_field(error, path, r);
        }
        return 0;
}

static int seccomp_to_spec(const struct nsl_oci *oci, nsl_spec *spec, nsl_error *error)
{
        char profile[64];
        int r;

        /* no linux.seccomp: the spec's default is no filter */
        if (oci->seccomp_fd < 0)
                r = nsl_spec_set_seccomp(spec, "unconfined", error);
        else {
                snprintf(profile, sizeof profile, "/proc/self/fd/%d", oci->seccomp_fd);
                r = nsl_spec_set_seccomp(spec, profile, error);
        }
        return r < 0 ? nsl_oci_as_field(error, "linux.seccomp", r) : 0;
}

/* nslaunch applies no SELinux label. Where SELinux is enabled a mount label
 * is refused: the container's files would go unlabelled. Where it is not,
 * there is nothing to label for, and the label has no effect, as with runc
 * and crun (which then leave the mount option out). */
static int mount_label_to_spec(const nsl_oci *oci, nsl_error *error)
{
        if (!oci->mount_label || !*oci->mount_label || !nsl_host_selinux_enabled())
                return 0;
        return nsl_fail(error, EOPNOTSUPP, "config.json", "linux.mountLabel",
                        "%s: nslaunch cannot apply SELinux labels, and SELinux is enabled on this host",
                        oci->mount_label);
}

/* The config says what is allowed; nslaunch's own Landlock rules would add
 * refusals it never asked for. */
static int confinement_to_spec(const struct nsl_oci *oci, nsl_spec *spec, nsl_error *error)
{
        int r = nsl_spec_set_landlock(spec, "off", error);

        return r < 0 ? r : seccomp_to_spec(oci, spec, error);
}

int nsl_oci_exec_defaults(const nsl_oci *oci, bool with_process, nsl_spec *spec, nsl_error *error)
{
        int r = confinement_to_spec(oci, spec, error);

        if (r == 0 && with_process && oci->has_process)
                r = nsl_oci_process_to_spec(&oci->process, spec, error);
        return r;
}

static int devices_to_spec(const nsl_oci *oci, nsl_spec *spec, nsl_error *error)
{
        for (size_t i = 0; i < oci->n_devices; i++) {
                const struct nsl_oci_device *d = &oci->devices[i];
                const nsl_device_node node = { .path = d->path, .type = d->type, .major = d->major,
                                               .minor = d->minor, .file_mode = d->file_mode, .uid = d->uid,
                                               .gid = d->gid };
                char path[64];
                int r = nsl_spec_add_device_node(spec, &node, error);

                snprintf(path, sizeof path, "linux.devices[%zu]", i);
                if (r < 0)
                        return nsl_oci_as_field(error, path, r);
        }
        return 0;
}

/* In a pid namespace of its own the config's process is the container's
 * pid 1, as under runc. Not in a shared one (the host's, a pod's), where
 * it is no pid 1 under runc either and nslaunch's init ends what it leaves
 * behind; nor with nslaunch's private network, whose proxy and egress
 * report init keeps for as long as the container runs. */
static void process_model_to_spec(const struct nsl_oci *oci, nsl_spec *spec)
{
        const struct nsl_oci_network *net = &oci->network;
        bool private = (net->mode && !strcmp(net->mode, "private")) || net->n_allow_egress || net->n_dns;
        bool own_pid_ns = oci->has_ns[NSL_OCI_NS_PID] && !oci->join_ns[NSL_JOIN_PID];

        if (own_pid_ns && !private)
                nsl_spec_set_command_as_init(spec);
}

int nsl_oci_to_spec(const nsl_oci *oci, nsl_spec *spec, nsl_error *error)
{
        int r;

        if (!oci->has_process)
                return nsl_oci_refuse(error, "process", "missing (the process to start)");
        nsl_spec_set_bundle_layout(spec, true);
        if ((r = nsl_spec_set_rootfs(spec, oci->root_path, error)) < 0)
                return nsl_oci_as_field(error, "root.path", r);
        nsl_spec_set_rw_root(spec, !oci->root_readonly);
        if (oci->root_propagation && *oci->root_propagation &&
            (r = nsl_spec_set_root_propagation(spec, oci->root_propagation, error)) < 0)
                return nsl_oci_as_field(error, "linux.rootfsPropagation", r);
        if ((r = nsl_oci_process_to_spec(&oci->process, spec, error)) < 0 ||
            (r = namespaces_to_spec(oci, spec, error)) < 0 ||
            (r = nsl_oci_mounts_to_spec(oci, spec, error)) < 0 ||
            (r = devices_to_spec(oci, spec, error)) < 0 ||
            (r = resources_to_spec(oci, spec, error)) < 0 ||
            (r = paths_to_spec(oci, spec, error)) < 0 ||
            (r = mount_label_to_spec(oci, error)) < 0 ||
            (r = confinement_to_spec(oci, spec, error)) < 0)
                return r;
        process_model_to_spec(oci, spec);
        return 0;
}

/* The OCI runtime's cgroup side through the public API alone, one step per
 * run, as runc's create, pause, resume, ps, update and delete are separate
 * processes (tests/integration/test_oci_cgroup.py drives it):
 *
 *   oci-cgroup-tool create PATH FIFO [--memory SIZE] [--pids N] [--memory-reservation BYTES]
 *        [--cpu-shares N] [--cpuset CPUS MEMS] [--device-rule allow|deny,TYPE,MAJOR,MINOR,ACCESS]... -- CMD...
 *        a sandbox in the cgroup at PATH ("-": a new one of nslaunch's), started through FIFO, detached;
 *        prints init's host pid and exits (init goes to the caller, a subreaper)
 *   oci-cgroup-tool start FIFO
 *   oci-cgroup-tool freeze PATH | thaw PATH | remove PATH
 *   oci-cgroup-tool pids PATH                one pid a line
 *   oci-cgroup-tool update PATH [--memory SIZE] [--memory-swap SIZE] [--pids N] [--cpus N] [--cpu-shares N]
 *                                  [--cpu-quota QUOTA_US PERIOD_US] [--memory-reservation BYTES] [--cpuset CPUS MEMS]
 *
 * A failure is nslaunch's one line on stderr and exit status 125. */
#include <fcntl.h>
#include <nslaunch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static int usage(void)
{
        fprintf(stderr, "usage: oci-cgroup-tool create|start|freeze|thaw|pids|update|remove ... (see its source)\n");
        return 2;
}

struct device_rule {
        char verdict[8], type, access[8];
        long long major, minor;
};

/* "deny,a,-1,-1,rwm" */
static bool parse_device_rule(const char *value, struct device_rule *rule)
{
        return sscanf(value, "%7[a-z],%c,%lld,%lld,%7s", rule->verdict, &rule->type, &rule->major, &rule->minor,
                      rule->access) == 5;
}

/* The limit options, from argv[*i] on, up to "--" or the end. */
static int set_limits(nsl_spec *spec, int argc, char **argv, int *i, nsl_error *error)
{
        int r = 0;

        for (; *i < argc && r == 0 && strcmp(argv[*i], "--"); (*i)++) {
                const char *opt = argv[*i];
                if (*i + 1 >= argc)
                        return -1;
                const char *value = argv[++*i];
                if (!strcmp(opt, "--memory"))
                        r = nsl_spec_set_memory(spec, value, error);
                else if (!strcmp(opt, "--memory-swap"))
                        r = nsl_spec_set_memory_swap(spec, value, error);
                else if (!strcmp(opt, "--pids"))
                        r = nsl_spec_set_pids(spec, value, error);
                else if (!strcmp(opt, "--cpus"))
                        r = nsl_spec_set_cpus(spec, value, error);
                else if (!strcmp(opt, "--memory-reservation"))
                        r = nsl_spec_set_memory_reservation(spec, strtoull(value, NULL, 10), error);
                else if (!strcmp(opt, "--cpu-shares"))
                        r = nsl_spec_set_cpu_shares(spec, strtoull(value, NULL, 10), error);
                else if (!strcmp(opt, "--cpu-quota") && *i + 1 < argc)
                        r = nsl_spec_set_cpu_quota(spec, strtoull(value, NULL, 10), strtoull(argv[++*i], NULL, 10),
                                                   error);
                else if (!strcmp(opt, "--cpuset") && *i + 1 < argc)
                        r = nsl_spec_set_cpuset(spec, value, argv[++*i], error);
                else if (!strcmp(opt, "--device-rule")) {
                        struct device_rule rule;
                        if (!parse_device_rule(value, &rule))
                                return -1;
                        r = nsl_spec_add_device_rule(spec, !strcmp(rule.verdict, "allow"), rule.type, rule.major,
                                                     rule.minor, rule.access, error);
                } else {
                        return -1;
                }
        }
        return r < 0 ? -2 : 0;
}

static int create_with(nsl_spec *spec, int argc, char **argv)
{
        nsl_sandbox *sb = NULL;
        nsl_error error = { 0 };
        int i = 4, r;

        if (argc < 4)
                return usage();
        r = set_limits(spec, argc, argv, &i, &error);
        if (r == -1 || i + 1 >= argc)
                return usage();
        /* the command's stdio: not this tool's, which its caller reads to the end */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (r < 0 || null < 0 || nsl_spec_set_stdio(spec, null, null, null, &error) < 0 ||
            (strcmp(argv[2], "-") && nsl_spec_set_cgroup_path(spec, argv[2], &error) < 0) ||
            nsl_spec_set_start_fifo(spec, argv[3], &error) < 0 || nsl_spec_set_command(spec, argv + i + 1, &error) < 0 ||
            nsl_sandbox_create(spec, &sb, &error) < 0)
                return tool_fail(&error);
        pid_t pid = nsl_sandbox_pid(sb);
        if (nsl_sandbox_detach(sb, &error) < 0) {
                nsl_sandbox_free(sb);
                return tool_fail(&error);
        }
        close(null);
        printf("%d\n", (int)pid);
        return 0;
}

static int update_with(nsl_spec *spec, int argc, char **argv)
{
        nsl_error error = { 0 };
        int i = 3, r;

        r = set_limits(spec, argc, argv, &i, &error);
        if (r == -1)
                return usage();
        if (r < 0 || nsl_cgroup_update(argv[2], spec, &error) < 0)
                return tool_fail(&error);
        return 0;
}

/* Runs step with a spec of its own, freed on every path (the sanitizer
 * build's leak check runs this tool too). */
static int with_spec(int (*step)(nsl_spec *, int, char **), int argc, char **argv)
{
        nsl_spec *spec = nsl_spec_new();
        int r;

        if (!spec)
                return usage();
        r = step(spec, argc, argv);
        nsl_spec_free(spec);
        return r;
}

static int list_pids(const char *path)
{
        nsl_error error;
        pid_t *pids;
        size_t n;

        if (nsl_cgroup_pids(path, &pids, &n, &error) < 0)
                return tool_fail(&error);
        for (size_t i = 0; i < n; i++)
                printf("%d\n", (int)pids[i]);
        free(pids);
        return 0;
}

int main(int argc, char **argv)
{
        nsl_error error;
        const char *cmd = argc > 2 ? argv[1] : "";
        int r;

        if (!strcmp(cmd, "create"))
                return with_spec(create_with, argc, argv);
        if (!strcmp(cmd, "update"))
                return with_spec(update_with, argc, argv);
        if (!strcmp(cmd, "pids"))
                return list_pids(argv[2]);
        if (!strcmp(cmd, "start"))
                r = nsl_sandbox_start_fifo(argv[2], &error);
        else if (!strcmp(cmd, "freeze") || !strcmp(cmd, "thaw"))
                r = nsl_cgroup_freeze(argv[2], !strcmp(cmd, "freeze"), &error);
        else if (!strcmp(cmd, "remove"))
                r = nsl_cgroup_remove_path(argv[2], &error);
        else
                return usage();
        return r < 0 ? tool_fail(&error) : 0;
}

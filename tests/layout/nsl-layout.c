/* A test driver of the library's OCI-bundle setters (nsl_spec_set_bundle_layout
 * and the rest, which `nslaunch run` has no options for): builds one spec
 * from its arguments, runs it with nsl_run and exits with the command's
 * exit code, or prints the error line and exits 125. Built beside the tests
 * (tests/meson.build), never installed; tests/integration/test_bundle_layout.py
 * runs it.
 *
 *   nsl-layout [OPTION...] -- CMD [ARG...]
 *   --rootfs DIR  --bundle  --dev  --proc pid|full  --sysfs  --cgroupfs
 *   --mask PATH  --ro-path PATH  --uid-map IN:OUT:N  --gid-map IN:OUT:N
 *   --group GID  --netns PATH  --join TYPE=PATH  --network none|host  --oom-score-adj N
 *   --sysctl KEY=VALUE  --hostname NAME  --domainname NAME  --umask OCTAL  --uid N  --gid N
 *   --bind SRC:DEST[:FLAGS]  --ro-bind SRC:DEST[:FLAGS]  --tmpfs DEST[:OPTS]
 *   --seccomp MODE
 * Afterwards it checks that its own network, IPC and UTS namespaces and
 * supplementary groups are what they were (exit 3 otherwise). */
#include <errno.h>
#include <nslaunch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../embed/tool.h"

#define USAGE (-1000)     /* a mistake in this program's own arguments: exit 2 */

static int id_map(nsl_spec *spec, char kind, const char *value, nsl_error *error)
{
        unsigned inside, outside, count;
        char end;

        if (sscanf(value, "%u:%u:%u%c", &inside, &outside, &count, &end) != 3) {
                fprintf(stderr, "nsl-layout: bad map %s (IN:OUT:N)\n", value);
                return USAGE;
        }
        return nsl_spec_add_id_map(spec, kind, inside, outside, count, error);
}

static bool number(const char *value, int *n)
{
        char *end;
        long v = strtol(value, &end, 0);
        if (*end || !*value) {
                fprintf(stderr, "nsl-layout: bad number %s\n", value);
                return false;
        }
        *n = (int)v;
        return true;
}

/* One option with its value (NULL for a flag); 0 or a negative errno. */
static int apply(nsl_spec *spec, const char *opt, const char *v, nsl_error *error)
{
        int n;

        if (!strcmp(opt, "--rootfs"))
                return nsl_spec_set_rootfs(spec, v, error);
        if (!strcmp(opt, "--proc"))
                return nsl_spec_set_proc(spec, v, error);
        if (!strcmp(opt, "--mask"))
                return nsl_spec_add_masked_path(spec, v, error);
        if (!strcmp(opt, "--ro-path"))
                return nsl_spec_add_readonly_path(spec, v, error);
        if (!strcmp(opt, "--uid-map"))
                return id_map(spec, 'u', v, error);
        if (!strcmp(opt, "--gid-map"))
                return id_map(spec, 'g', v, error);
        if (!strcmp(opt, "--group"))
                return number(v, &n) ? nsl_spec_add_group(spec, (gid_t)n, error) : USAGE;
        if (!strcmp(opt, "--netns"))
                return nsl_spec_set_network_ns(spec, v, error);
        if (!strcmp(opt, "--join")) {
                char type[16];
                const char *eq = strchr(v, '=');
                if (!eq || (size_t)(eq - v) >= sizeof type)
                        return USAGE;
                snprintf(type, sizeof type, "%.*s", (int)(eq - v), v);
                return nsl_spec_join_namespace(spec, type, eq + 1, error);
        }
        if (!strcmp(opt, "--network"))
                return nsl_spec_set_network(spec, v, error);
        if (!strcmp(opt, "--oom-score-adj"))
                return number(v, &n) ? nsl_spec_set_oom_score_adj(spec, n, error) : USAGE;
        if (!strcmp(opt, "--sysctl"))
                return nsl_spec_add_sysctl(spec, v, error);
        if (!strcmp(opt, "--hostname"))
                return nsl_spec_set_hostname(spec, v, error);
        if (!strcmp(opt, "--domainname"))
                return nsl_spec_set_domainname(spec, v, error);
        if (!strcmp(opt, "--umask"))
                return nsl_spec_set_umask(spec, (mode_t)strtoul(v, NULL, 8), error);
        if (!strcmp(opt, "--uid"))
                return nsl_spec_set_uid(spec, v, error);
        if (!strcmp(opt, "--gid"))
                return nsl_spec_set_gid(spec, v, error);
        if (!strcmp(opt, "--bind"))
                return nsl_spec_add_bind(spec, v, false, error);
        if (!strcmp(opt, "--ro-bind"))
                return nsl_spec_add_bind(spec, v, true, error);
        if (!strcmp(opt, "--tmpfs"))
                return nsl_spec_add_tmpfs(spec, v, error);
        if (!strcmp(opt, "--seccomp"))
                return nsl_spec_set_seccomp(spec, v, error);
        if (!strcmp(opt, "--pids"))
                return nsl_spec_set_pids(spec, v, error);
        if (!strcmp(opt, "--timeout"))
                return nsl_spec_set_timeout(spec, v, error);
        if (!strcmp(opt, "--kill-after"))
                return nsl_spec_set_kill_after(spec, v, error);
        fprintf(stderr, "nsl-layout: unknown option %s\n", opt);
        return USAGE;
}

static bool flag(nsl_spec *spec, const char *opt)
{
        if (!strcmp(opt, "--bundle"))
                nsl_spec_set_bundle_layout(spec, true);
        else if (!strcmp(opt, "--dev"))
                nsl_spec_set_dev(spec, true);
        else if (!strcmp(opt, "--sysfs"))
                nsl_spec_set_sysfs(spec, true);
        else if (!strcmp(opt, "--cgroupfs"))
                nsl_spec_set_cgroupfs(spec, true);
        else
                return false;
        return true;
}

/* What the launch must leave as it was in the caller. */
struct caller {
        char ns[4][64];         /* net, ipc, uts, pid_for_children */
        gid_t groups[64];
        int n_groups;
};

static void caller_now(struct caller *c)
{
        static const char *const links[4] = { "/proc/thread-self/ns/net", "/proc/thread-self/ns/ipc",
                                              "/proc/thread-self/ns/uts", "/proc/thread-self/ns/pid_for_children" };

        memset(c, 0, sizeof *c);
        for (int i = 0; i < 4; i++) {
                ssize_t n = readlink(links[i], c->ns[i], sizeof c->ns[i] - 1);
                c->ns[i][n < 0 ? 0 : n] = '\0';
        }
        c->n_groups = getgroups(64, c->groups);
}

/* The launch; the spec stays the caller's. */
static int launch(nsl_spec *spec, int argc, char **argv)
{
        struct caller before, after;
        nsl_error error = { 0 };
        nsl_result result;
        int i = 1, r;

        for (; i < argc && strcmp(argv[i], "--"); i++) {
                if (flag(spec, argv[i]))
                        continue;
                if (i + 1 >= argc) {
                        fprintf(stderr, "nsl-layout: %s needs a value\n", argv[i]);
                        return 2;
                }
                if ((r = apply(spec, argv[i], argv[i + 1], &error)) < 0)
                        return r == USAGE ? 2 : tool_fail(&error);
                i++;
        }
        if (i >= argc - 1) {
                fprintf(stderr, "usage: nsl-layout [OPTION...] -- CMD [ARG...]\n");
                return 2;
        }
        if (nsl_spec_set_command(spec, argv + i + 1, &error) < 0)
                return tool_fail(&error);
        caller_now(&before);
        r = nsl_run(spec, &result, &error);
        caller_now(&after);
        if (r >= 0) {
                r = result.exit_code;
                nsl_result_release(&result);
        }
        if (memcmp(before.ns, after.ns, sizeof before.ns) || before.n_groups != after.n_groups ||
            memcmp(before.groups, after.groups, sizeof(gid_t) * (size_t)(before.n_groups > 0 ? before.n_groups : 0))) {
                fprintf(stderr, "nsl-layout: the caller's namespaces or groups changed (%s %s %s %s -> %s %s %s %s)\n",
                        before.ns[0], before.ns[1], before.ns[2], before.ns[3], after.ns[0], after.ns[1], after.ns[2],
                        after.ns[3]);
                return 3;
        }
        return r < 0 ? tool_fail(&error) : r;
}

int main(int argc, char **argv)
{
        nsl_spec *spec = nsl_spec_new();
        int code;

        if (!spec)
                return NSL_EXIT_LAUNCHER;
        code = launch(spec, argc, argv);
        nsl_spec_free(spec);     /* every path: the ASan run counts leaks */
        return code;
}

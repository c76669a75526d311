/* libFuzzer: the whole run command line as the library takes it. The input
 * is a list of records, each a selector byte and a NUL-terminated value; the
 * selector picks one of the spec's setters (every option of `run`), applied
 * in order to one spec, which is then freed (repeated options, replacements
 * and failures in the middle included). Every error must format. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nslaunch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*setter)(nsl_spec *, const char *, nsl_error *);

static int add_ro_bind(nsl_spec *s, const char *v, nsl_error *e) { return nsl_spec_add_bind(s, v, true, e); }
static int add_rw_bind(nsl_spec *s, const char *v, nsl_error *e) { return nsl_spec_add_bind(s, v, false, e); }

static int set_command(nsl_spec *s, const char *v, nsl_error *e)
{
        char *argv[] = { (char *)v, (char *)v, NULL };
        return nsl_spec_set_command(s, *v ? argv : argv + 2, e);
}

static const setter setters[] = {
        set_command, nsl_spec_set_rootfs, nsl_spec_add_tmpfs, add_ro_bind, add_rw_bind,
        nsl_spec_set_network, nsl_spec_set_uid, nsl_spec_set_gid, nsl_spec_set_host_uid, nsl_spec_set_host_gid,
        nsl_spec_set_hostname, nsl_spec_set_proc, nsl_spec_add_env, nsl_spec_add_env_file, nsl_spec_set_cwd,
        nsl_spec_add_cap, nsl_spec_add_keep_fd, nsl_spec_set_timeout, nsl_spec_set_kill_after,
        nsl_spec_set_seccomp, nsl_spec_set_seccomp_bpf, nsl_spec_set_seccomp_cache, nsl_spec_set_memory,
        nsl_spec_set_memory_swap, nsl_spec_set_cpus, nsl_spec_set_pids, nsl_spec_set_cgroup_parent,
        nsl_spec_set_limits_mode, nsl_spec_add_rlimit, nsl_spec_set_status_json,
        /* the OCI bundle's that take a string */
        nsl_spec_add_masked_path, nsl_spec_add_readonly_path, nsl_spec_add_sysctl, nsl_spec_set_domainname,
        nsl_spec_set_network_ns,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        nsl_spec *spec = nsl_spec_new();
        char *copy = malloc(size + 1);
        size_t pos = 0;

        if (!spec || !copy) {
                nsl_spec_free(spec);
                free(copy);
                return 0;
        }
        memcpy(copy, data, size);
        copy[size] = '\0';
        while (pos < size) {
                unsigned sel = (unsigned char)copy[pos++];
                const char *value = copy + pos;
                nsl_error error = { 0 };
                char line[512];

                pos += strlen(value) + 1;
                if (sel % 2 == 1 && sel / 2 % 4 == 0) {         /* the flag options */
                        nsl_spec_set_rw_root(spec, sel & 8);
                        nsl_spec_set_keep_env(spec, sel & 16);
                        nsl_spec_set_stdio(spec, sel & 32 ? 0 : -1, -1, -1, &error);
                        continue;
                }
                if (setters[sel % (sizeof setters / sizeof setters[0])](spec, value, &error) < 0)
                        nsl_error_format(&error, line, sizeof line);
        }
        (void)nsl_spec_seccomp_unconfined(spec);
        nsl_spec_free(spec);
        free(copy);
        return 0;
}

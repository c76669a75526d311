/* libFuzzer: every option value parser (mount specs, sizes, durations,
 * cpus, rlimits, env files). The first byte picks the parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "parse/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ignore(const char *assignment, void *data, nsl_error *error)
{
        (void)assignment;
        (void)data;
        (void)error;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nsl_mount m;
        struct nsl_rlimit rl;
        nsl_error error;
        uint64_t v;
        mode_t mode;
        char *s, *out = NULL;

        s = nsl_fuzz_text(data, size);
        if (!s)
                return 0;
        switch (data[0] % 9) {
        case 0: if (nsl_parse_tmpfs(s, &m, &error) == 0) nsl_mount_clear(&m); break;
        case 1: if (nsl_parse_bind(s, data[0] & 0x10, &m, &error) == 0) nsl_mount_clear(&m); break;
        case 2: (void)nsl_parse_size(s, &v); break;
        case 3: (void)nsl_parse_seconds(s, &v); break;
        case 4: (void)nsl_parse_cpus(s, &v); break;
        case 5: (void)nsl_parse_rlimit(s, &rl, &error); break;
        case 6: (void)nsl_parse_mode(s, &mode); break;
        case 7: if (nsl_normalize_dest(s, &out) == 0) free(out); break;
        default: (void)nsl_parse_env_text((const char *)data + 1, size - 1, "fuzz", ignore, NULL, &error); break;
        }
        free(s);
        return 0;
}

/* libFuzzer: every option value parser (mount specs, docker's --mount CSV,
 * sizes, durations, cpus, rlimits, env files) and the command line's
 * tokenizer. The first byte picks the parser: 0xf8-0xfb --mount, 0xfc-0xff
 * the tokenizer (one argument a line), else by its value modulo 9. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "parse/parse.h"
#include "tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ignore(const char *assignment, void *data, nsl_error *error)
{
        (void)assignment;
        (void)data;
        (void)error;
        return 0;
}

static const struct nsl_option_def defs[] = {
        { "read-only", 0, false, 1 }, { "volume", 'v', true, 2 }, { "help", 'h', false, 3 },
        { "env", 'e', true, 4 }, { NULL, 'o', true, 5 }, { "i", 'i', false, 6 }, { 0 },
};

static void tokens(char *text, bool anywhere)
{
        char *argv[64];
        size_t chars = 0;
        int argc = 0, id;

        for (char *save = NULL, *a = strtok_r(text, "\n", &save); a && argc < 64; a = strtok_r(NULL, "\n", &save)) {
                argv[argc++] = a;
                chars += strlen(a);
        }
        struct nsl_tokens t = { .argc = argc, .argv = argv, .operands_anywhere = anywhere };
        /* every call consumes a letter at least: it must end */
        for (size_t steps = 0; steps <= chars + (size_t)argc; steps++) {
                enum nsl_token k = nsl_next_token(&t, defs, &id);
                if (t.index > argc || strlen(t.spelled) >= sizeof t.spelled)
                        abort();
                if (k != NSL_TOKEN_OPTION && k != NSL_TOKEN_OPERAND)
                        return;
        }
        abort();
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
        if (data[0] >= 0xfc) {
                tokens(s, data[0] & 1);
                free(s);
                return 0;
        }
        if (data[0] >= 0xf8) {
                if (nsl_parse_mount_csv(s, &m, &error) == 0)
                        nsl_mount_clear(&m);
                free(s);
                return 0;
        }
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

/* libFuzzer: seccomp profiles, parsed and (when they parse) compiled. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "seccomp/compile.h"
#include "seccomp/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nsl_sc_profile profile;
        struct nsl_sc_target target;
        struct nsl_sc_filter filter = { 0 };
        nsl_error error;

        if (nsl_sc_profile_parse((const char *)data, size, "fuzz.json", &profile, &error) < 0)
                return 0;
        if (nsl_sc_target_native(&target, &error) == 0 && nsl_sc_compile(&profile, "fuzz.json", &target, &filter, &error) == 0)
                free(filter.insns);
        nsl_sc_profile_free(&profile);
        return 0;
}

/* libFuzzer: a bundle's config.json, read and (when it reads) translated
 * onto a spec. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nslaunch.h"
#include "oci/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        nsl_oci *oci = NULL;
        nsl_spec *spec;
        nsl_error error;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        if (nsl_oci_load_text("/bundle", text, &oci, &error) == 0) {
                spec = nsl_spec_new();
                if (spec)
                        nsl_oci_to_spec(oci, spec, &error);
                nsl_spec_free(spec);
                nsl_oci_free(oci);
        }
        free(text);
        return 0;
}

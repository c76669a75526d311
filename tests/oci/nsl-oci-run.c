/* The OCI bundle path of the library without the runtime's command line,
 * for test_oci_bundle.py: nsl-oci-run BUNDLE loads BUNDLE/config.json
 * (nsl_oci_load), translates it (nsl_oci_to_spec) and runs it (nsl_run);
 * it exits with the command's exit code, or 125 with nslaunch's one line. */
#include <nslaunch.h>
#include <stdio.h>

int main(int argc, char **argv)
{
        nsl_oci *oci = NULL;
        nsl_spec *spec = nsl_spec_new();
        nsl_error error = { 0 };
        nsl_result result = { 0 };
        char line[1200];
        int r;

        if (argc != 2 || !spec) {
                fprintf(stderr, "usage: nsl-oci-run BUNDLE\n");
                return 2;
        }
        r = nsl_oci_load(argv[1], &oci, &error);
        if (r == 0)
                r = nsl_oci_to_spec(oci, spec, &error);
        if (r == 0)
                r = nsl_run(spec, &result, &error);
        nsl_oci_free(oci);
        nsl_spec_free(spec);
        if (r < 0) {
                nsl_error_format(&error, line, sizeof line);
                fprintf(stderr, "%s\n", line);
                return error.exit_code;
        }
        nsl_result_release(&result);
        return result.exit_code;
}

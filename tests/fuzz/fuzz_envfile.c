/* libFuzzer: env files (--env-file), with an oracle. Every assignment the
 * parser hands on must be a valid KEY=VALUE taken from one line of the
 * input (no newline, no NUL, the key an identifier), there can be no more
 * of them than lines, and a refusal must name the file and format. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nslaunch.h"
#include "parse/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
        const char *text;
        size_t len, count;
};

static int check(const char *assignment, void *data, nsl_error *error)
{
        struct seen *s = data;
        size_t n = strlen(assignment);

        (void)error;
        if (!nsl_env_assignment_valid(assignment) || strchr(assignment, '\n') || !strchr(assignment, '=') ||
            n > s->len || !memmem(s->text, s->len, assignment, n))
                abort();
        s->count++;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct seen s = { (const char *)data, size, 0 };
        nsl_error error = { 0 };
        size_t lines = 1;
        char line[512];

        for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
        if (nsl_parse_env_text((const char *)data, size, "fuzz.env", check, &s, &error) < 0) {
                nsl_error_format(&error, line, sizeof line);
                if (!strstr(line, "fuzz.env"))
                        abort();
        }
        if (s.count > lines)
                abort();
        return 0;
}

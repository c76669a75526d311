/* libFuzzer: the message of a command given at start, which the payload
 * takes from whoever holds the start socket, with an oracle. A message the
 * decoder accepts must index only words inside it, each NUL-terminated,
 * argv not empty and its first word not empty, every environment entry
 * NAME=VALUE, and encoding the result again must give back the very same
 * bytes; the fds that come beside it must match its mask or be refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *vec[NSL_COMMAND_MAX_WORDS + 2];
static char again[NSL_COMMAND_MAX_BYTES];

static void check_inside(const char *buf, size_t len, char *const *words)
{
        for (; *words; words++)
                if (*words < buf || *words >= buf + len || !memchr(*words, '\0', (size_t)(buf + len - *words)))
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nsl_command command;
        nsl_error error = { 0 };
        char *buf;
        int fds[3] = { 10, 11, 12 }, stdio[3];

        if (size > NSL_COMMAND_MAX_BYTES + 1)
                return 0;
        buf = malloc(size ? size : 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        if (nsl_command_decode(buf, size, vec, NSL_COMMAND_MAX_WORDS + 2, &command) == 0) {
                check_inside(buf, size, command.argv);
                check_inside(buf, size, command.env);
                if (!command.argv[0] || !command.argv[0][0])
                        abort();
                for (char **e = command.env; *e; e++)
                        if (!strchr(*e, '=') || **e == '=')
                                abort();
                int n = nsl_command_encode(command.argv, command.env, command.stdio_mask, again, sizeof again,
                                           &error);
                if (n < 0 || (size_t)n != size || memcmp(again, data, size))
                        abort();
                for (size_t k = 0; k <= 3; k++) {
                        int r = nsl_command_stdio(command.stdio_mask, fds, k, stdio);
                        if ((r == 0) != ((size_t)__builtin_popcount(command.stdio_mask) == k))
                                abort();
                }
        }
        free(buf);
        return 0;
}

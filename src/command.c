#include "command.h"

#include <errno.h>
#include <string.h>

#include "error.h"
#include "sync.h"

static size_t count(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

/* NAME=VALUE with a name: what the encoder takes and the decoder accepts */
static bool entry_valid(const char *entry)
{
        return entry[0] != '=' && strchr(entry, '=');
}

static int check_words(char *const argv[], char *const env[], nsl_error *error)
{
        if (!argv || !argv[0] || !argv[0][0])
                return nsl_fail(error, EINVAL, "start", "", "no command given");
        for (size_t i = 0; env && env[i]; i++)
                if (!entry_valid(env[i]))
                        return nsl_fail(error, EINVAL, "start", env[i], "not an environment entry (NAME=VALUE)");
        if (count(argv) + count(env) > NSL_COMMAND_MAX_WORDS)
                return nsl_fail(error, E2BIG, "start", "", "more than %d words and environment entries",
                                NSL_COMMAND_MAX_WORDS);
        return 0;
}

static int append_words(char *const *v, char *buf, size_t size, size_t *at, nsl_error *error)
{
        for (size_t i = 0; v && v[i]; i++) {
                size_t n = strlen(v[i]) + 1;
                if (n > size - *at)
                        return nsl_fail(error, E2BIG, "start", "", "the command and its environment exceed %d bytes",
                                        NSL_COMMAND_MAX_BYTES);
                memcpy(buf + *at, v[i], n);
                *at += n;
        }
        return 0;
}

int nsl_command_encode(char *const argv[], char *const env[], uint32_t stdio_mask, char *buf, size_t size,
                       nsl_error *error)
{
        struct nsl_command_header h = { .magic = { 'N', 'S', 'L', 'C' }, .stdio_mask = stdio_mask };
        size_t at = sizeof h;
        int r = check_words(argv, env, error);

        if (r < 0)
                return r;
        if (size > NSL_COMMAND_MAX_BYTES)
                size = NSL_COMMAND_MAX_BYTES;
        if (size < sizeof h)
                return nsl_fail(error, E2BIG, "start", "", NULL);
        h.argc = (uint32_t)count(argv);
        h.envc = (uint32_t)count(env);
        if ((r = append_words(argv, buf, size, &at, error)) < 0 || (r = append_words(env, buf, size, &at, error)) < 0)
                return r;
        memcpy(buf, &h, sizeof h);
        return (int)at;
}

int nsl_command_decode(char *buf, size_t len, char **vec, size_t n_vec, struct nsl_command *out)
{
        struct nsl_command_header h;
        size_t at = sizeof h, n = 0;

        if (len < sizeof h || len > NSL_COMMAND_MAX_BYTES)
                return -EBADMSG;
        memcpy(&h, buf, sizeof h);
        if (memcmp(h.magic, "NSLC", 4) || h.argc == 0 || h.stdio_mask > 7 ||
            (size_t)h.argc + h.envc > NSL_COMMAND_MAX_WORDS || (size_t)h.argc + h.envc + 2 > n_vec)
                return -EBADMSG;
        out->argv = vec;
        out->env = vec + h.argc + 1;
        out->stdio_mask = h.stdio_mask;
        for (uint32_t w = 0; w < h.argc + h.envc; w++) {
                char *end = memchr(buf + at, '\0', len - at);
                if (!end)
                        return -EBADMSG;
                if (w == h.argc)
                        vec[n++] = NULL;
                vec[n++] = buf + at;
                at = (size_t)(end - buf) + 1;
        }
        if (h.envc == 0)
                vec[n++] = NULL;
        vec[n] = NULL;
        if (at != len || !out->argv[0][0])
                return -EBADMSG;
        for (char **e = out->env; *e; e++)
                if (!entry_valid(*e))
                        return -EBADMSG;
        return 0;
}

int nsl_command_recv(int fd, char *buf, char **vec, size_t n_vec, struct nsl_command *out, int stdio[3],
                     int fds[NSL_MAX_PASSED_FDS], size_t *n_fds, size_t *len)
{
        ssize_t n = nsl_recv_with_fds(fd, buf, NSL_COMMAND_MAX_BYTES + 1, 0, fds, n_fds);

        *len = n > 0 ? (size_t)n : 0;
        if (n == -EBADMSG)
                return -EMSGSIZE;       /* truncated: the receiver's buffer holds any command */
        if (n < 0)
                return (int)n;
        if (n == 0)
                return -ECANCELED;
        if (nsl_command_decode(buf, (size_t)n, vec, n_vec, out) < 0 ||
            nsl_command_stdio(out->stdio_mask, fds, *n_fds, stdio) < 0)
                return -EBADMSG;
        return 0;
}

int nsl_command_stdio(uint32_t mask, const int *fds, size_t n_fds, int stdio[3])
{
        size_t used = 0;

        for (int i = 0; i < 3; i++)
                stdio[i] = mask & (1u << i) && used < n_fds ? fds[used++] : -1;
        return used == n_fds && mask == (mask & 7u) && (size_t)__builtin_popcount(mask) == n_fds ? 0 : -EBADMSG;
}

static size_t name_length(const char *entry)
{
        return (size_t)(strchrnul(entry, '=') - entry);
}

bool nsl_env_same_name(const char *a, const char *b)
{
        size_t n = name_length(a);

        return name_length(b) == n && !strncmp(a, b, n);
}

static bool sets(char *const *env, const char *entry)
{
        for (size_t i = 0; env && env[i]; i++)
                if (nsl_env_same_name(env[i], entry))
                        return true;
        return false;
}

size_t nsl_env_merge(char *const *base, char *const *extra, char **out)
{
        size_t n = 0;

        for (size_t i = 0; base && base[i]; i++)
                if (!sets(extra, base[i]))
                        out[n++] = base[i];
        for (size_t i = 0; extra && extra[i]; i++)
                if (!sets(extra + i + 1, extra[i]))     /* the last of a repeated name wins */
                        out[n++] = extra[i];
        out[n] = NULL;
        return n;
}

const char *nsl_env_path(char *const *envp, const char *fallback)
{
        for (size_t i = 0; envp && envp[i]; i++)
                if (!strncmp(envp[i], "PATH=", 5))
                        return envp[i] + 5;
        return fallback;
}

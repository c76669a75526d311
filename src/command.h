/* A command given when its sandbox starts (nsl_sandbox_start_command): one
 * message on the start socket, its words, the environment entries it adds,
 * and the fds for its 0, 1 and 2 beside them (SCM_RIGHTS). Encoded by the
 * caller's side; received, checked and indexed in place by the sandbox's
 * payload (which may not allocate: it is a copy of a possibly multithreaded
 * caller) and by nsl_sandbox_start_from. */
#ifndef NSL_COMMAND_H
#define NSL_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nslaunch.h"
#include "sync.h"

#define NSL_COMMAND_MAX_BYTES (64 * 1024)
#define NSL_COMMAND_MAX_WORDS 4096              /* its argv and env entries together */

/* The header of the message; the words follow, each NUL-terminated. */
struct nsl_command_header {
        char magic[4];                          /* "NSLC" */
        uint32_t argc, envc;
        uint32_t stdio_mask;                    /* bit i: an fd for the command's i came along */
};

/* A received command; every pointer is into the message. */
struct nsl_command {
        char **argv;
        char **env;
        uint32_t stdio_mask;
};

/* The message for argv (at least one word, the first not empty) and env
 * ("NAME=VALUE" entries, or NULL) into buf; its length, or -errno with
 * *error naming what is wrong. */
int nsl_command_encode(char *const argv[], char *const env[], uint32_t stdio_mask, char *buf, size_t size,
                       nsl_error *error);
/* Checks a message of len bytes and indexes it: vec (n_vec pointers) holds
 * both NULL-terminated vectors. 0, or -EBADMSG for anything malformed. */
int nsl_command_decode(char *buf, size_t len, char **vec, size_t n_vec, struct nsl_command *out);

/* One message taken from the socket fd into buf (NSL_COMMAND_MAX_BYTES + 1
 * bytes, so that a longer one shows), checked and indexed into vec (n_vec
 * pointers), its fds matched to the command's 0-2 in stdio. *len is what
 * came. 0; -ECANCELED at the end of the stream; -EMSGSIZE for a message
 * longer than any command; -EBADMSG for anything else malformed; another
 * -errno from recvmsg. The fds that came, in fds[0..
 * *n_fds), are the caller's to close, whatever the result. */
int nsl_command_recv(int fd, char *buf, char **vec, size_t n_vec, struct nsl_command *out, int stdio[3],
                     int fds[NSL_MAX_PASSED_FDS], size_t *n_fds, size_t *len);
/* The n_fds fds that came with a message as the command's 0, 1 and 2, by
 * the mask's bits, into stdio (-1: none); -EBADMSG when they do not match. */
int nsl_command_stdio(uint32_t mask, const int *fds, size_t n_fds, int stdio[3]);
/* The command's environment: base's entries that extra does not set, then
 * extra's, into out (room for both counts and a NULL). Returns how many. */
size_t nsl_env_merge(char *const *base, char *const *extra, char **out);
/* Whether two environment entries set the same name. */
bool nsl_env_same_name(const char *a, const char *b);
/* PATH's value in envp, or fallback. */
const char *nsl_env_path(char *const *envp, const char *fallback);

#endif

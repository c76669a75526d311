/* The command line's tokens: pure, no syscalls, fuzzable. */
#ifndef NSL_TOKENS_H
#define NSL_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

/* The command line's tokens, as docker's (pflag) grammar has them: "--name",
 * "--name=VALUE" or "--name VALUE", names matched exactly (no prefixes);
 * "-x", "-x VALUE", "-xVALUE" and "-x=VALUE"; booleans bundled ("-ab", and
 * the last one of a bundle may take the rest as its value); "--" ends the
 * options. */
struct nsl_option_def {
        const char *name;       /* long name without "--", NULL for none */
        char short_name;        /* 0 for none */
        bool takes_value;
        int id;                 /* > 0 */
};

enum nsl_token {
        NSL_TOKEN_END,          /* no more options; index is the first operand */
        NSL_TOKEN_OPTION,       /* *id and value (NULL for a boolean) */
        NSL_TOKEN_OPERAND,      /* value is an operand (only with operands_anywhere) */
        NSL_TOKEN_UNKNOWN,      /* spelled is the unknown option */
        NSL_TOKEN_MISSING_VALUE,
        NSL_TOKEN_UNEXPECTED_VALUE,     /* "--flag=VALUE" for a boolean */
};

struct nsl_tokens {
        int argc;
        char *const *argv;
        int index;              /* the next argv element; start at the first option */
        bool operands_anywhere; /* operands and options mixed (seccomp check); else the first operand ends them */
        bool operands_only;     /* after "--" */
        size_t pos;             /* inside a bundle of short options, 0 when not */
        const char *value;      /* the last token's value */
        char spelled[64];       /* the last option as typed, without its value */
};

enum nsl_token nsl_next_token(struct nsl_tokens *t, const struct nsl_option_def *defs, int *id);

#endif

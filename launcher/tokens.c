/* Command-line tokens with docker's (spf13/pflag) grammar. getopt_long is not
 * used: it matches any unambiguous prefix of a long name, so "--net" would
 * silently change meaning the day an option "--netns" is added. */
#include "tokens.h"

#include <stdio.h>
#include <string.h>

static const struct nsl_option_def *find_long(const struct nsl_option_def *defs, const char *name, size_t len)
{
        for (; defs->id; defs++)
                if (defs->name && strlen(defs->name) == len && !strncmp(defs->name, name, len))
                        return defs;
        return NULL;
}

static const struct nsl_option_def *find_short(const struct nsl_option_def *defs, char c)
{
        for (; defs->id; defs++)
                if (defs->short_name && defs->short_name == c)
                        return defs;
        return NULL;
}

/* The value after a value-taking option: the rest of its own argument, or
 * the next argument, whatever it looks like (as pflag and getopt do). */
static enum nsl_token take_value(struct nsl_tokens *t, const char *attached, const struct nsl_option_def *def, int *id)
{
        if (attached) {
                t->value = attached;
        } else if (t->index < t->argc) {
                t->value = t->argv[t->index++];
        } else {
                return NSL_TOKEN_MISSING_VALUE;
        }
        *id = def->id;
        return NSL_TOKEN_OPTION;
}

static enum nsl_token long_option(struct nsl_tokens *t, const char *arg, const struct nsl_option_def *defs, int *id)
{
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct nsl_option_def *def;

        snprintf(t->spelled, sizeof t->spelled, "--%.*s", (int)len, name);
        t->index++;
        def = len && name[0] != '-' ? find_long(defs, name, len) : NULL;
        if (!def)
                return NSL_TOKEN_UNKNOWN;
        if (!def->takes_value) {
                if (eq)
                        return NSL_TOKEN_UNEXPECTED_VALUE;
                *id = def->id;
                return NSL_TOKEN_OPTION;
        }
        return take_value(t, eq ? eq + 1 : NULL, def, id);
}

/* One letter of "-abc": a boolean leaves the rest of the bundle for the
 * next call; a value-taking letter takes the rest ("-vSRC:DST", pflag's
 * "-v=SRC:DST") or the next argument. */
static enum nsl_token short_option(struct nsl_tokens *t, const struct nsl_option_def *defs, int *id)
{
        const char *arg = t->argv[t->index];
        const char *rest = arg + t->pos + 1;
        const struct nsl_option_def *def = find_short(defs, arg[t->pos]);

        snprintf(t->spelled, sizeof t->spelled, "-%c", arg[t->pos]);
        if (*rest) {
                t->pos++;
        } else {
                t->pos = 0;
                t->index++;
        }
        if (!def) {
                if (t->pos) {   /* the rest of an unknown bundle means nothing */
                        t->pos = 0;
                        t->index++;
                }
                return NSL_TOKEN_UNKNOWN;
        }
        if (!def->takes_value) {
                *id = def->id;
                return NSL_TOKEN_OPTION;
        }
        if (t->pos) {
                t->pos = 0;
                t->index++;
                return take_value(t, *rest == '=' ? rest + 1 : rest, def, id);
        }
        return take_value(t, NULL, def, id);
}

enum nsl_token nsl_next_token(struct nsl_tokens *t, const struct nsl_option_def *defs, int *id)
{
        const char *arg;

        t->value = NULL;
        t->spelled[0] = '\0';
        *id = 0;
        if (t->pos)
                return short_option(t, defs, id);
        if (t->index >= t->argc)
                return NSL_TOKEN_END;
        arg = t->argv[t->index];
        if (!t->operands_only && !strcmp(arg, "--")) {
                t->index++;
                if (!t->operands_anywhere)
                        return NSL_TOKEN_END;
                t->operands_only = true;
                return nsl_next_token(t, defs, id);
        }
        if (t->operands_only || arg[0] != '-' || !arg[1]) {
                if (!t->operands_anywhere)
                        return NSL_TOKEN_END;
                t->value = arg;
                t->index++;
                return NSL_TOKEN_OPERAND;
        }
        if (arg[1] == '-')
                return long_option(t, arg, defs, id);
        t->pos = 1;
        return short_option(t, defs, id);
}

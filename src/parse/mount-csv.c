/* docker run --mount's value: type=bind|tmpfs and its keys, one CSV record. */
#include "parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../cleanup.h"
#include "../error.h"
#include "../strv.h"

#define OPT "--mount"

static int push_field(char ***fields, size_t *n, const char *start, size_t len)
{
        _cleanup_free_ char *field = strndup(start, len);
        return field ? nsl_strv_push(fields, n, field) : -ENOMEM;
}

/* A quoted field from *p (just past its opening quote) into buf; *p ends
 * past the closing quote. */
static int quoted_field(const char **p, char *buf, size_t *len)
{
        const char *s = *p;

        *len = 0;
        for (;; s++) {
                if (!*s)
                        return -EINVAL;         /* no closing quote */
                if (*s == '"') {
                        if (s[1] != '"')
                                break;
                        s++;                    /* "" is one quote */
                }
                buf[(*len)++] = *s;
        }
        *p = s + 1;
        return **p == ',' || !**p ? 0 : -EINVAL;
}

int nsl_parse_csv_record(const char *value, char ***fields, size_t *n)
{
        _cleanup_free_ char *buf = NULL;
        char **v = NULL;
        size_t count = 0;
        const char *p = value;
        int r = 0;

        if (!value || !*value)
                return -EINVAL;
        buf = malloc(strlen(value) + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                size_t len;
                if (*p == '"') {
                        p++;
                        r = quoted_field(&p, buf, &len);
                        if (r == 0)
                                r = push_field(&v, &count, buf, len);
                } else {
                        len = strcspn(p, ",\"\n");
                        r = p[len] == '"' || p[len] == '\n' ? -EINVAL : push_field(&v, &count, p, len);
                        p += len;
                }
                if (r < 0 || !*p)
                        break;
                p++;    /* the ',' */
        }
        if (r < 0) {
                nsl_strv_free(v);
                return r;
        }
        *fields = v;
        *n = count;
        return 0;
}

/* Go's strconv.ParseBool, which docker uses for readonly=. */
static int parse_bool(const char *s, bool *out)
{
        static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
        static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (!strcmp(s, yes[i]))
                        return *out = true, 0;
                if (!strcmp(s, no[i]))
                        return *out = false, 0;
        }
        return -EINVAL;
}

struct mount_fields {
        const char *type, *source, *target, *size, *mode;
        bool read_only, read_only_set;
        char **words;           /* bare words for the bind's own flags */
        size_t n_words;
};

static bool key_is(const char *field, size_t keylen, const char *key)
{
        return strlen(key) == keylen && !strncasecmp(field, key, keylen);
}

static int read_field(const char *field, struct mount_fields *f, const char *value, nsl_error *error)
{
        const char *eq = strchr(field, '=');
        size_t keylen = eq ? (size_t)(eq - field) : strlen(field);
        const char *v = eq ? eq + 1 : NULL;

        if (key_is(field, keylen, "readonly") || key_is(field, keylen, "ro")) {
                f->read_only_set = true;
                if (!v)
                        return f->read_only = true, 0;
                if (parse_bool(v, &f->read_only) < 0)
                        return nsl_fail(error, EINVAL, OPT, value, "bad value for readonly: '%s' (true or false)", v);
                return 0;
        }
        if (!v) {
                if (nsl_strv_push(&f->words, &f->n_words, field) < 0)
                        return nsl_fail(error, ENOMEM, OPT, value, NULL);
                return 0;
        }
        if (key_is(field, keylen, "type"))
                f->type = v;
        else if (key_is(field, keylen, "source") || key_is(field, keylen, "src"))
                f->source = v;
        else if (key_is(field, keylen, "target") || key_is(field, keylen, "destination") || key_is(field, keylen, "dst"))
                f->target = v;
        else if (key_is(field, keylen, "tmpfs-size"))
                f->size = v;
        else if (key_is(field, keylen, "tmpfs-mode"))
                f->mode = v;
        else
                return nsl_fail(error, EINVAL, OPT, value,
                                "unknown key '%.*s' (known: type, source/src, target/destination/dst, readonly/ro, "
                                "tmpfs-size, tmpfs-mode)", (int)keylen, field);
        return 0;
}

static int bind_from_fields(const struct mount_fields *f, const char *value, struct nsl_mount *out, nsl_error *error)
{
        struct nsl_mount m;
        int r;

        if (f->size || f->mode)
                return nsl_fail(error, EINVAL, OPT, value, "tmpfs-size and tmpfs-mode are for type=tmpfs");
        if (!f->source || !*f->source)
                return nsl_fail(error, EINVAL, OPT, value, "type=bind needs source= (src=)");
        r = nsl_parse_bind_parts(f->source, f->target, NULL, false, OPT, value, &m, error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < f->n_words; i++)
                if ((r = nsl_parse_bind_flag(f->words[i], false, OPT, value, &m, error)) < 0) {
                        nsl_mount_clear(&m);
                        return r;
                }
        if (f->read_only_set)
                m.read_only = f->read_only;
        m.option = OPT;
        *out = m;
        return 0;
}

static int tmpfs_from_fields(const struct mount_fields *f, const char *value, struct nsl_mount *out, nsl_error *error)
{
        struct nsl_mount m = { .kind = NSL_MOUNT_TMPFS, .mode = 01777, .option = OPT };
        int r;

        if (f->source)
                return nsl_fail(error, EINVAL, OPT, value, "type=tmpfs takes no source");
        if (f->n_words)
                return nsl_fail(error, EINVAL, OPT, value, "unknown word '%s' for type=tmpfs", f->words[0]);
        if (f->read_only_set && f->read_only)
                return nsl_fail(error, EINVAL, OPT, value, "nslaunch has no read-only tmpfs (a bind of an empty "
                                "directory with readonly does that)");
        if (f->size && (nsl_parse_size(f->size, &m.size) < 0 || m.size == 0))
                return nsl_fail(error, EINVAL, OPT, value, "bad tmpfs-size '%s' (use e.g. 64m, 1g)", f->size);
        if (f->mode && nsl_parse_mode(f->mode, &m.mode) < 0)
                return nsl_fail(error, EINVAL, OPT, value, "bad tmpfs-mode '%s' (use octal, e.g. 1777)", f->mode);
        r = nsl_normalize_dest(f->target, &m.dest);
        if (r < 0)
                return nsl_fail(error, -r, OPT, value, "destination must be an absolute path other than / without '..'");
        *out = m;
        return 0;
}

int nsl_parse_mount_csv(const char *value, struct nsl_mount *out, nsl_error *error)
{
        struct mount_fields f = { 0 };
        char **fields = NULL;
        size_t n = 0;
        int r;

        r = nsl_parse_csv_record(value, &fields, &n);
        if (r == -ENOMEM)
                return nsl_fail(error, ENOMEM, OPT, value ? value : "", NULL);
        if (r < 0)
                return nsl_fail(error, EINVAL, OPT, value ? value : "",
                                "expected type=bind|tmpfs,src=...,dst=...[,readonly] (quote a whole field that holds "
                                "',': \"src=/a,b\")");
        for (size_t i = 0; i < n && r == 0; i++)
                r = read_field(fields[i], &f, value, error);
        if (r < 0)
                ;
        else if (!f.target || !*f.target)
                r = nsl_fail(error, EINVAL, OPT, value, "needs target= (dst=, destination=)");
        else if (!f.type)
                r = nsl_fail(error, EINVAL, OPT, value, "needs type=bind or type=tmpfs (docker's default, volume, "
                             "does not exist in nslaunch)");
        else if (!strcmp(f.type, "bind"))
                r = bind_from_fields(&f, value, out, error);
        else if (!strcmp(f.type, "tmpfs"))
                r = tmpfs_from_fields(&f, value, out, error);
        else
                r = nsl_fail(error, EINVAL, OPT, value, "type=%s is not supported (bind or tmpfs)", f.type);
        nsl_strv_free(f.words);
        nsl_strv_free(fields);
        return r;
}

#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "../cleanup.h"
#include "../error.h"

const char *nsl_mount_option(const struct nsl_mount *m)
{
        if (m->option)
                return m->option;
        if (m->kind == NSL_MOUNT_DEVICE)
                return "--device";
        return m->kind == NSL_MOUNT_TMPFS ? "--tmpfs" : m->read_only ? "--ro-bind" : "--bind";
}

void nsl_mount_clear(struct nsl_mount *m)
{
        free(m->source);
        free(m->dest);
        free(m->content);
        *m = (struct nsl_mount){ 0 };
}

int nsl_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
        uint64_t v = 0;

        if (!s || !*s)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                unsigned d = (unsigned)(*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        if (v > max)
                return -ERANGE;
        *out = v;
        return 0;
}

int nsl_parse_size(const char *s, uint64_t *out)
{
        char digits[32];
        size_t n = 0;
        unsigned shift = 0;
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        while (s[n] >= '0' && s[n] <= '9')
                n++;
        if (n == 0 || n >= sizeof digits)
                return n == 0 ? -EINVAL : -ERANGE;
        memcpy(digits, s, n);
        digits[n] = '\0';
        r = nsl_parse_uint(digits, UINT64_MAX, &v);
        if (r < 0)
                return r;

        const char *unit = s + n;
        switch (tolower((unsigned char)unit[0])) {
        case '\0': break;
        case 'b': shift = 0; unit++; goto done;
        case 'k': shift = 10; unit++; break;
        case 'm': shift = 20; unit++; break;
        case 'g': shift = 30; unit++; break;
        case 't': shift = 40; unit++; break;
        default: return -EINVAL;
        }
        if (tolower((unsigned char)unit[0]) == 'i')
                unit++;
        if (tolower((unsigned char)unit[0]) == 'b')
                unit++;
done:
        if (*unit)
                return -EINVAL;
        if (shift && v > (UINT64_MAX >> shift))
                return -ERANGE;
        *out = v << shift;
        return 0;
}

int nsl_parse_mode(const char *s, mode_t *out)
{
        unsigned v = 0;

        if (!s || !*s || strlen(s) > 5)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '7')
                        return -EINVAL;
                v = v * 8 + (unsigned)(*s - '0');
        }
        if (v > 07777)
                return -ERANGE;
        *out = (mode_t)v;
        return 0;
}

/* digits[.digits] from *p on, times unit_us, in microseconds (digits past
 * a microsecond add nothing); *p moves past them. */
static int decimal_times(const char **p, uint64_t unit_us, uint64_t max_us, uint64_t *out)
{
        const char *s = *p;
        uint64_t whole = 0, frac = 0, scale = unit_us;
        bool digits = false;

        for (; *s >= '0' && *s <= '9'; s++, digits = true) {
                whole = whole * 10 + (uint64_t)(*s - '0');
                if (whole > max_us / unit_us)
                        return -ERANGE;
        }
        if (*s == '.') {
                s++;
                if (!(*s >= '0' && *s <= '9'))
                        return -EINVAL;
                for (; *s >= '0' && *s <= '9'; s++) {
                        scale /= 10;
                        frac += (uint64_t)(*s - '0') * scale;
                }
                digits = true;
        }
        if (!digits)
                return -EINVAL;
        *out = whole * unit_us + frac;
        *p = s;
        return 0;
}

#define YEAR_US (366ULL * 24 * 3600 * 1000000)

int nsl_parse_seconds(const char *s, uint64_t *ms)
{
        uint64_t us;
        int r;

        if (!s || !*s)
                return -EINVAL;
        if ((r = decimal_times(&s, 1000000, YEAR_US, &us)) < 0)
                return r;
        if (*s)
                return -EINVAL;
        *ms = us / 1000;
        return 0;
}

int nsl_parse_duration(const char *s, uint64_t *ms)
{
        static const struct {
                const char *name;
                uint64_t us;
        } units[] = { { "h", 3600000000ULL }, { "m", 60000000 }, { "s", 1000000 }, { "ms", 1000 }, { "us", 1 } };
        uint64_t total = 0;

        if (!s || !*s)
                return -EINVAL;
        while (*s) {
                const char *unit = s + strspn(s, "0123456789.");
                size_t len = strcspn(unit, "0123456789."), u = 0;
                uint64_t part;
                int r;

                while (u < ELEMENTSOF(units) && (strlen(units[u].name) != len || strncmp(unit, units[u].name, len)))
                        u++;
                if (u == ELEMENTSOF(units))
                        return -EINVAL;
                if ((r = decimal_times(&s, units[u].us, YEAR_US, &part)) < 0)
                        return r;
                if (s != unit)
                        return -EINVAL;
                total += part;
                if (total > YEAR_US)
                        return -ERANGE;
                s = unit + len;
        }
        *ms = total / 1000;
        return 0;
}

int nsl_normalize_dest(const char *path, char **out)
{
        _cleanup_free_ char *buf = NULL;
        size_t len, o = 0;

        if (!path || path[0] != '/')
                return -EINVAL;
        len = strlen(path);
        if (len >= 4096)
                return -ENAMETOOLONG;
        buf = malloc(len + 1);
        if (!buf)
                return -ENOMEM;

        for (const char *p = path; *p;) {
                while (*p == '/')
                        p++;
                const char *end = strchrnul(p, '/');
                size_t n = (size_t)(end - p);
                if (n == 0)
                        break;
                if (n == 1 && p[0] == '.') {
                        p = end;
                        continue;
                }
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return -EINVAL;
                buf[o++] = '/';
                memcpy(buf + o, p, n);
                o += n;
                p = end;
        }
        if (o == 0)
                return -EINVAL;    /* "/" itself is the root, never a mount target */
        buf[o] = '\0';
        *out = TAKE_PTR(buf);
        return 0;
}

bool nsl_env_assignment_valid(const char *s)
{
        if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
                return false;
        for (s++; *s && *s != '='; s++)
                if (!(isalnum((unsigned char)*s) || *s == '_'))
                        return false;
        return *s == '=';
}

/* The mount flag words binds and tmpfs share. Every bind and tmpfs of the
 * sandbox is nosuid and nodev whatever is asked (sources.c, rootfs.c), so
 * those two words are accepted as what happens anyway, and their opposites
 * refused; noexec is the one that changes something. 1: the word was one
 * of them, 0: it was not, or a negative errno. */
static int parse_mount_flag_word(const char *word, const char *opt, const char *value, struct nsl_mount *m,
                                 nsl_error *error)
{
        if (!strcmp(word, "noexec"))
                m->noexec = true;
        else if (!strcmp(word, "nosuid") || !strcmp(word, "nodev"))
                return 1;
        else if (!strcmp(word, "suid") || !strcmp(word, "dev"))
                return nsl_fail(error, EPERM, opt, value, "'%s' refused: nslaunch mounts everything nosuid,nodev",
                                word);
        else if (!strcmp(word, "exec"))
                return nsl_fail(error, EINVAL, opt, value,
                                "'exec' refused: executing is the default; only noexec may be asked for");
        else
                return 0;
        return 1;
}

static int parse_tmpfs_option(const char *opt, const char *value, struct nsl_mount *m, nsl_error *error)
{
        const char *eq = strchr(opt, '=');
        size_t keylen = eq ? (size_t)(eq - opt) : strlen(opt);
        int r;

        if (eq && keylen == 4 && !strncmp(opt, "size", 4)) {
                r = nsl_parse_size(eq + 1, &m->size);
                if (r < 0 || m->size == 0)
                        return nsl_fail(error, EINVAL, "--tmpfs", value, "bad size '%s' (use e.g. 64m, 1g)", eq + 1);
                return 0;
        }
        if (eq && keylen == 4 && !strncmp(opt, "mode", 4)) {
                r = nsl_parse_mode(eq + 1, &m->mode);
                if (r < 0)
                        return nsl_fail(error, EINVAL, "--tmpfs", value, "bad mode '%s' (use octal, e.g. 1777)", eq + 1);
                return 0;
        }
        if (!eq && !strcmp(opt, "ro")) {
                m->read_only = true;    /* empty for good: a mountpoint that must stay one */
                return 0;
        }
        if (!eq && (r = parse_mount_flag_word(opt, "--tmpfs", value, m, error)) != 0)
                return r < 0 ? r : 0;
        return nsl_fail(error, EINVAL, "--tmpfs", value,
                        "unknown option '%s' (known: size=, mode=, ro, noexec, nosuid, nodev)", opt);
}

int nsl_parse_tmpfs(const char *value, struct nsl_mount *out, nsl_error *error)
{
        _cleanup_free_ char *copy = NULL;
        struct nsl_mount m = { .kind = NSL_MOUNT_TMPFS, .size = 0, .mode = 01777 };
        char *opts, *save = NULL;
        int r;

        if (!value || !*value)
                return nsl_fail(error, EINVAL, "--tmpfs", "", "empty value, expected DEST[:size=64m,mode=1777]");
        copy = strdup(value);
        if (!copy)
                return nsl_fail(error, ENOMEM, "--tmpfs", value, NULL);
        opts = strchr(copy, ':');
        if (opts)
                *opts++ = '\0';
        r = nsl_normalize_dest(copy, &m.dest);
        if (r < 0)
                return nsl_fail(error, -r, "--tmpfs", value,
                                "destination must be an absolute path other than / without '..'");
        if (opts) {
                if (!*opts) {
                        nsl_mount_clear(&m);
                        return nsl_fail(error, EINVAL, "--tmpfs", value, "empty option list after ':'");
                }
                for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                        r = parse_tmpfs_option(o, value, &m, error);
                        if (r < 0) {
                                nsl_mount_clear(&m);
                                return r;
                        }
                }
        }
        *out = m;
        return 0;
}

int nsl_parse_bind_flag(const char *word, bool ro_option, const char *opt, const char *value, struct nsl_mount *m,
                        nsl_error *error)
{
        int r = parse_mount_flag_word(word, opt, value, m, error);

        if (r != 0)
                return r < 0 ? r : 0;
        if (!strcmp(word, "ro"))
                m->read_only = true;
        else if (!strcmp(word, "rw") && !ro_option)
                m->read_only = false;
        else if (!strcmp(word, "idmap"))
                m->idmap = NSL_IDMAP_ON;
        else if (!strcmp(word, "noidmap"))
                m->idmap = NSL_IDMAP_OFF;
        else
                return nsl_fail(error, EINVAL, opt, value, "unknown flag '%s' (%s)", word,
                                ro_option ? "--ro-bind takes idmap, noidmap, noexec, nosuid or nodev"
                                          : "use ro, rw, idmap, noidmap, noexec, nosuid or nodev, comma-separated");
        return 0;
}

int nsl_parse_bind_parts(const char *source, const char *dest, const char *flags, bool read_only, const char *opt,
                         const char *value, struct nsl_mount *out, nsl_error *error)
{
        _cleanup_free_ char *words = NULL;
        struct nsl_mount m = { .kind = NSL_MOUNT_BIND, .read_only = read_only };
        int r;

        if (flags) {
                /* docker -v: "ro,z"; each word on its own */
                words = strdup(flags);
                if (!words)
                        return nsl_fail(error, ENOMEM, opt, value, NULL);
                if (!*words)
                        return nsl_fail(error, EINVAL, opt, value, "empty flag after ':' (%s)",
                                        read_only ? "--ro-bind takes idmap, noidmap, noexec, nosuid or nodev"
                                                  : "use ro, rw, idmap, noidmap, noexec, nosuid or nodev, comma-separated");
                /* strsep, not strtok: an empty word ("ro,") is a mistake to report */
                for (char *rest = words, *w; (w = strsep(&rest, ","));)
                        if ((r = nsl_parse_bind_flag(w, read_only, opt, value, &m, error)) < 0)
                                return r;
        }
        if (source[0] != '/')
                return nsl_fail(error, EINVAL, opt, value, "source must be an absolute host path");
        r = nsl_normalize_dest(dest, &m.dest);
        if (r < 0)
                return nsl_fail(error, -r, opt, value,
                                "destination must be an absolute path other than / without '..'");
        m.source = strdup(source);
        if (!m.source) {
                nsl_mount_clear(&m);
                return nsl_fail(error, ENOMEM, opt, value, NULL);
        }
        *out = m;
        return 0;
}

int nsl_parse_bind(const char *value, bool read_only, struct nsl_mount *out, nsl_error *error)
{
        const char *opt = read_only ? "--ro-bind" : "--bind";
        _cleanup_free_ char *copy = NULL;
        char *dest, *flags;

        if (!value || !*value)
                return nsl_fail(error, EINVAL, opt, "", "empty value, expected SRC:DEST%s",
                                read_only ? "[:idmap|noidmap]" : "[:ro|rw][,idmap|noidmap]");
        copy = strdup(value);
        if (!copy)
                return nsl_fail(error, ENOMEM, opt, value, NULL);
        dest = strchr(copy, ':');
        if (!dest)
                return nsl_fail(error, EINVAL, opt, value, "expected SRC:DEST%s%s",
                                read_only ? "[:idmap|noidmap]" : "[:ro|rw][,idmap|noidmap]",
                                " (a path holding ':' is bound with --mount type=bind,src=...,dst=...)");
        *dest++ = '\0';
        flags = strchr(dest, ':');
        if (flags)
                *flags++ = '\0';
        return nsl_parse_bind_parts(copy, dest, flags, read_only, opt, value, out, error);
}

mode_t nsl_device_type(char type)
{
        return type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
}

int nsl_parse_device(const char *value, struct nsl_mount *out, nsl_error *error)
{
        _cleanup_free_ char *copy = value ? strdup(value) : NULL;
        struct nsl_mount m = { .kind = NSL_MOUNT_DEVICE, .device = { .perm = -1, .uid = -1, .gid = -1 } };
        char *dest;
        int r;

        if (!value || !*value)
                return nsl_fail(error, EINVAL, "--device", "", "empty value, expected HOST[:CONTAINER]");
        if (!copy)
                return nsl_fail(error, ENOMEM, "--device", value, NULL);
        dest = strchr(copy, ':');
        if (dest)
                *dest++ = '\0';
        if (dest && strchr(dest, ':'))
                return nsl_fail(error, EINVAL, "--device", value,
                                "expected HOST[:CONTAINER] (no permissions: the node is the host's, with its "
                                "owner and mode)");
        if (copy[0] != '/')
                return nsl_fail(error, EINVAL, "--device", value, "the host's node must be an absolute path");
        r = nsl_normalize_dest(dest ? dest : copy, &m.dest);
        if (r < 0)
                return nsl_fail(error, -r, "--device", value,
                                "destination must be an absolute path other than / without '..'");
        m.source = strdup(copy);
        if (!m.source) {
                nsl_mount_clear(&m);
                return nsl_fail(error, ENOMEM, "--device", value, NULL);
        }
        *out = m;
        return 0;
}

int nsl_parse_env_text(const char *text, size_t len, const char *name,
                       int (*add)(const char *assignment, void *data, nsl_error *error), void *data,
                       nsl_error *error)
{
        size_t lineno = 0;

        for (size_t start = 0; start < len;) {
                const char *nl = memchr(text + start, '\n', len - start);
                size_t end = nl ? (size_t)(nl - text) : len;
                size_t n = end - start;
                _cleanup_free_ char *line = NULL;
                const char *p;
                char where[64];
                int r;

                lineno++;
                if (memchr(text + start, '\0', n))
                        return nsl_fail(error, EINVAL, "--env-file", name, "line %zu: contains a NUL byte", lineno);
                line = strndup(text + start, n);
                if (!line)
                        return nsl_fail(error, ENOMEM, "--env-file", name, NULL);
                if (n && line[n - 1] == '\r')
                        line[n - 1] = '\0';
                start = end + 1;

                for (p = line; *p == ' ' || *p == '\t'; p++)
                        ;
                if (!*p || *p == '#')
                        continue;
                if (!strncmp(p, "export ", 7))
                        p += 7;
                if (!nsl_env_assignment_valid(p)) {
                        snprintf(where, sizeof where, "line %zu", lineno);
                        return nsl_fail(error, EINVAL, "--env-file", name, "%s: expected KEY=VALUE", where);
                }
                r = add(p, data, error);
                if (r < 0)
                        return r;
        }
        return 0;
}

int nsl_parse_cpus(const char *s, uint64_t *quota_us)
{
        uint64_t ms;
        int r = nsl_parse_seconds(s, &ms);      /* the same grammar: digits, an optional fraction */

        if (r < 0)
                return r;
        /* "seconds" in thousandths: 0.5 -> 500 -> 50000 us of every 100000 */
        if (ms == 0 || ms > 1024 * 1000)
                return -ERANGE;
        *quota_us = ms * 100;
        return *quota_us < 1000 ? -ERANGE : 0;
}

static const struct { const char *name; int resource; } rlimits[] = {
        { "as", RLIMIT_AS }, { "core", RLIMIT_CORE }, { "cpu", RLIMIT_CPU }, { "data", RLIMIT_DATA },
        { "fsize", RLIMIT_FSIZE }, { "locks", RLIMIT_LOCKS }, { "memlock", RLIMIT_MEMLOCK },
        { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE }, { "nofile", RLIMIT_NOFILE },
        { "nproc", RLIMIT_NPROC }, { "rss", RLIMIT_RSS }, { "rtprio", RLIMIT_RTPRIO }, { "rttime", RLIMIT_RTTIME },
        { "sigpending", RLIMIT_SIGPENDING }, { "stack", RLIMIT_STACK },
};

const char *nsl_rlimit_name(int resource)
{
        for (size_t i = 0; i < ELEMENTSOF(rlimits); i++)
                if (rlimits[i].resource == resource)
                        return rlimits[i].name;
        return "?";
}

static int parse_limit_value(const char *s, uint64_t *out)
{
        if (!strcmp(s, "unlimited") || !strcmp(s, "infinity")) {
                *out = UINT64_MAX;
                return 0;
        }
        return nsl_parse_uint(s, UINT64_MAX - 1, out);
}

int nsl_parse_rlimit(const char *value, struct nsl_rlimit *out, nsl_error *error)
{
        _cleanup_free_ char *copy = value ? strdup(value) : NULL;
        char *eq, *colon;
        size_t i;

        if (!value)
                return nsl_fail(error, EINVAL, "--rlimit", "", "expected NAME=SOFT[:HARD]");
        if (!copy)
                return nsl_fail(error, ENOMEM, "--rlimit", "", NULL);
        eq = strchr(copy, '=');
        if (!eq)
                return nsl_fail(error, EINVAL, "--rlimit", value, "expected NAME=SOFT[:HARD]");
        *eq++ = '\0';
        for (i = 0; i < ELEMENTSOF(rlimits); i++)
                if (!strcasecmp(copy, rlimits[i].name) ||
                    (!strncasecmp(copy, "RLIMIT_", 7) && !strcasecmp(copy + 7, rlimits[i].name)))
                        break;
        if (i == ELEMENTSOF(rlimits))
                return nsl_fail(error, EINVAL, "--rlimit", value,
                                "unknown limit '%s' (known: as, core, cpu, data, fsize, locks, memlock, msgqueue, "
                                "nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)", copy);
        out->resource = rlimits[i].resource;
        colon = strchr(eq, ':');
        if (colon)
                *colon++ = '\0';
        if (parse_limit_value(eq, &out->soft) < 0)
                return nsl_fail(error, EINVAL, "--rlimit", value, "bad soft limit '%s' (a number or unlimited)", eq);
        if (!colon)
                out->hard = out->soft;
        else if (parse_limit_value(colon, &out->hard) < 0)
                return nsl_fail(error, EINVAL, "--rlimit", value, "bad hard limit '%s' (a number or unlimited)", colon);
        if (out->soft > out->hard)
                return nsl_fail(error, EINVAL, "--rlimit", value, "the soft limit is above the hard limit");
        return 0;
}

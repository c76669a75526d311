#include "user.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "parse/parse.h"
#include "sandbox/mount.h"

#define MAX_ID 4294967294ULL    /* (uid_t)-1 is "no id" */
#define MAX_DB (4u << 20)

struct id_db {
        const char *rootfs;
        const char *path;       /* /etc/passwd or /etc/group */
        char *text;
};

static void id_db_clear(struct id_db *db)
{
        free(db->text);
        db->text = NULL;
}

static const char *db_place(const struct id_db *db)
{
        return db->rootfs ? "the rootfs's" : "the host's";
}

static int id_db_load(struct id_db *db, const char *opt, nsl_error *error)
{
        _cleanup_close_ int root = -1, fd = -1;
        char proc[64];
        size_t len;
        int r;

        if (db->text)
                return 0;
        if (!db->rootfs) {
                r = nsl_read_file(db->path, MAX_DB, &db->text, &len);
                return r < 0 ? nsl_fail(error, -r, opt, db->path, "cannot read the host's %s", db->path) : 0;
        }
        root = open(db->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return nsl_fail(error, errno, opt, db->rootfs, NULL);
        fd = nsl_open_in_root(root, db->path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        if (fd < 0)
                return nsl_fail(error, -fd, opt, db->path, "cannot open it in the rootfs %s", db->rootfs);
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        r = nsl_read_file(proc, MAX_DB, &db->text, &len);
        return r < 0 ? nsl_fail(error, -r, opt, db->path, "cannot read it in the rootfs %s", db->rootfs) : 0;
}

/* Field (0-based) of a colon-separated line, as a number. */
static bool line_id(const char *line, size_t len, unsigned field, uint64_t *out)
{
        char num[16];
        const char *p = line, *end = line + len;

        for (unsigned i = 0; i < field; i++) {
                p = memchr(p, ':', (size_t)(end - p));
                if (!p)
                        return false;
                p++;
        }
        const char *colon = memchr(p, ':', (size_t)(end - p));
        size_t n = (size_t)((colon ? colon : end) - p);
        if (n == 0 || n >= sizeof num)
                return false;
        memcpy(num, p, n);
        num[n] = '\0';
        return nsl_parse_uint(num, MAX_ID, out) == 0;
}

/* The first line whose name (field 0) is name, or, with name NULL, whose
 * field 2 is id; its field 2 and 3 (passwd: uid, gid; group: gid). */
static bool db_find(const struct id_db *db, const char *name, uint64_t id, uint64_t *f2, uint64_t *f3)
{
        size_t nlen = name ? strlen(name) : 0;

        for (const char *line = db->text; *line;) {
                const char *nl = strchrnul(line, '\n');
                size_t len = (size_t)(nl - line);
                uint64_t a, b = 0;
                bool match = name ? len > nlen && !strncmp(line, name, nlen) && line[nlen] == ':'
                                  : line_id(line, len, 2, &a) && a == id;
                if (match && line_id(line, len, 2, &a)) {
                        *f2 = a;
                        if (f3 && !line_id(line, len, 3, &b))
                                b = 0;
                        if (f3)
                                *f3 = b;
                        return true;
                }
                line = *nl ? nl + 1 : nl;
        }
        return false;
}

static bool numeric(const char *s, uint64_t *v)
{
        return nsl_parse_uint(s, MAX_ID, v) == 0;
}

int nsl_user_resolve(const char *rootfs, const char *user, const char *opt, uid_t *uid, gid_t *gid, nsl_error *error)
{
        struct id_db passwd = { .rootfs = rootfs, .path = "/etc/passwd" };
        struct id_db group = { .rootfs = rootfs, .path = "/etc/group" };
        _cleanup_free_ char *copy = user ? strdup(user) : NULL;
        uint64_t u, g = 0;
        char *gname;
        int r = 0;

        if (!user || !*user)
                return nsl_fail(error, EINVAL, opt, "", "expected NAME|UID[:GROUP|GID]");
        if (!copy)
                return nsl_fail(error, ENOMEM, opt, user, NULL);
        gname = strchr(copy, ':');
        if (gname)
                *gname++ = '\0';
        if (!*copy || (gname && !*gname))
                return nsl_fail(error, EINVAL, opt, user, "expected NAME|UID[:GROUP|GID]");
        if (numeric(copy, &u)) {
                /* a uid takes its group from passwd when passwd has it; no passwd is no error */
                nsl_error ignored;
                if (!gname && id_db_load(&passwd, opt, &ignored) == 0)
                        (void)db_find(&passwd, NULL, u, &u, &g);
        } else if ((r = id_db_load(&passwd, opt, error)) == 0 && !db_find(&passwd, copy, 0, &u, &g)) {
                r = nsl_fail(error, ENOENT, opt, copy, "no such user in %s /etc/passwd", db_place(&passwd));
        }
        if (r == 0 && gname && !numeric(gname, &g) && (r = id_db_load(&group, opt, error)) == 0 &&
            !db_find(&group, gname, 0, &g, NULL))
                r = nsl_fail(error, ENOENT, opt, gname, "no such group in %s /etc/group", db_place(&group));
        id_db_clear(&passwd);
        id_db_clear(&group);
        if (r < 0)
                return r;
        *uid = (uid_t)u;
        *gid = (gid_t)g;
        return 0;
}

/* Whiteouts (".wh.NAME" removes NAME of the layers below, ".wh..wh..opq"
 * empties a directory of them), and the removals they and type changes
 * need: all through directory fds, never following a symlink. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "sandbox/mount.h"
#include "tool.h"

#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"
#define MAX_PASSES 8

/* ---- the paths one layer wrote: an open-addressing hash set ---- */

struct nsl_path_set {
        char **slots;
        size_t cap, n;
};

static size_t hash(const char *s)
{
        size_t h = 1469598103934665603ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

struct nsl_path_set *nsl_path_set_new(void)
{
        struct nsl_path_set *set = calloc(1, sizeof *set);
        if (!set)
                return NULL;
        set->cap = 1024;
        set->slots = calloc(set->cap, sizeof *set->slots);
        if (!set->slots) {
                free(set);
                return NULL;
        }
        return set;
}

void nsl_path_set_free(struct nsl_path_set *set)
{
        if (!set)
                return;
        for (size_t i = 0; i < set->cap; i++)
                free(set->slots[i]);
        free(set->slots);
        free(set);
}

static char **slot_for(char **slots, size_t cap, const char *path)
{
        size_t i = hash(path) & (cap - 1);
        while (slots[i] && strcmp(slots[i], path))
                i = (i + 1) & (cap - 1);
        return &slots[i];
}

static int grow(struct nsl_path_set *set)
{
        size_t cap = set->cap * 2;
        char **slots = calloc(cap, sizeof *slots);

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < set->cap; i++)
                if (set->slots[i])
                        *slot_for(slots, cap, set->slots[i]) = set->slots[i];
        free(set->slots);
        set->slots = slots;
        set->cap = cap;
        return 0;
}

int nsl_path_set_add(struct nsl_path_set *set, const char *path)
{
        char **slot;

        if (2 * (set->n + 1) > set->cap && grow(set) < 0)
                return -ENOMEM;
        slot = slot_for(set->slots, set->cap, path);
        if (*slot)
                return 0;
        *slot = strdup(path);
        if (!*slot)
                return -ENOMEM;
        set->n++;
        return 0;
}

bool nsl_path_set_has(const struct nsl_path_set *set, const char *path)
{
        return *slot_for(set->slots, set->cap, path) != NULL;
}

/* ---- removal ---- */

typedef bool (*keep_fn)(const char *name, void *data);

/* Removes the entries of the directory open as fd, except those keep says to
 * keep. Entries removed while reading can hide others, so it reads again
 * until a pass removes nothing. */
static int empty_dir(int fd, keep_fn keep, void *data)
{
        for (int pass = 0; pass < MAX_PASSES; pass++) {
                int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                _cleanup_dir_ DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
                struct dirent *de;
                bool removed = false;

                if (!d) {
                        if (dup_fd >= 0)
                                close(dup_fd);
                        return -errno;
                }
                rewinddir(d);
                while ((errno = 0, de = readdir(d))) {
                        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || (keep && keep(de->d_name, data)))
                                continue;
                        int r = nsl_remove_tree(fd, de->d_name);
                        if (r < 0)
                                return r;
                        removed = true;
                }
                if (errno)
                        return -errno;
                if (!removed)
                        return 0;
        }
        return -ENOTEMPTY;
}

int nsl_empty_tree(int fd)
{
        return empty_dir(fd, NULL, NULL);
}

int nsl_remove_tree(int dir_fd, const char *name)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        if (unlinkat(dir_fd, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR && errno != EPERM)
                return -errno;
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* Unprivileged, a directory we cannot write must be opened up first. */
        if (fstat(fd, &st) == 0 && (st.st_mode & 0700) != 0700)
                (void)fchmod(fd, st.st_mode | 0700);
        r = empty_dir(fd, NULL, NULL);
        if (r < 0)
                return r;
        return unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

struct keep_current {
        const struct nsl_path_set *set;
        const char *parent;
};

static bool written_by_this_layer(const char *name, void *data)
{
        const struct keep_current *k = data;
        char path[PATH_MAX];

        if (snprintf(path, sizeof path, "%s%s%s", k->parent, k->parent[0] ? "/" : "", name) >= (int)sizeof path)
                return false;
        return nsl_path_set_has(k->set, path);
}

int nsl_whiteout_apply(struct nsl_unpack *unpack, const char *parent_path, const char *base, nsl_error *error)
{
        _cleanup_close_ int parent = nsl_open_in_root(unpack->root_fd, parent_path[0] ? parent_path : "/",
                                                      O_RDONLY | O_DIRECTORY, 0);
        struct keep_current keep = { unpack->layer_paths, parent_path };
        const char *victim = base + strlen(WHITEOUT);
        int r;

        if (parent == -ENOENT || parent == -ENOTDIR)
                return 0;       /* nothing below to hide */
        if (parent < 0)
                return nsl_fail(error, -parent, "import", parent_path, "whiteout");
        if (!strcmp(base, OPAQUE)) {
                r = empty_dir(parent, written_by_this_layer, &keep);
                return r < 0 ? nsl_fail(error, -r, "import", parent_path, "opaque whiteout") : 0;
        }
        if (!strncmp(victim, WHITEOUT, strlen(WHITEOUT)))
                return 0;       /* other aufs metadata (.wh..wh.plnk...) carries nothing to apply */
        if (!*victim || !strcmp(victim, ".") || !strcmp(victim, ".."))
                return nsl_fail(error, EINVAL, "import", base, "bad whiteout name");
        if (written_by_this_layer(victim, &keep))
                return 0;       /* a whiteout hides lower layers only */
        r = nsl_remove_tree(parent, victim);
        return r < 0 ? nsl_fail(error, -r, "import", victim, "whiteout") : 0;
}

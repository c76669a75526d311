/* A rootfs is made in a temporary directory beside its destination and only
 * then put in place: renamed to DIR, or, with --replace, exchanged with the
 * old DIR (renameat2 RENAME_EXCHANGE), so that DIR is at every moment either
 * the whole old tree or the whole new one; the old tree is removed after the
 * exchange. Everything is done relative to the destination's parent, opened
 * once, and no last component is ever followed: a parent that others may
 * write can swap names, but never make this remove or fill something else. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "tool.h"

static const char *const temp_kinds[] = { "import", "from-host" };

static bool is_empty_dir(int parent, const char *name)
{
        _cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_dir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        bool empty = d != NULL;

        if (d)
                TAKE_FD(fd);    /* d owns it now */
        while (d && (de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        empty = false;
        return empty;
}

/* What may stand at DIR: nothing or an empty directory; with --replace also
 * a directory of the caller's (a rootfs made earlier). */
static int check_old(int parent, const char *name, const char *dest, const char *verb, bool replace,
                     nsl_error *error)
{
        struct stat st;

        if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : nsl_fail(error, errno, verb, dest, NULL);
        if (S_ISDIR(st.st_mode) && is_empty_dir(parent, name))
                return 0;
        if (!replace)
                return nsl_fail(error, EEXIST, verb, dest, "exists (the destination must be new or an empty "
                                "directory; --replace swaps a rootfs for a new one)");
        if (!S_ISDIR(st.st_mode))
                return nsl_fail(error, ENOTDIR, verb, dest, "exists and is not a directory: --replace only replaces "
                                "a directory");
        if (st.st_uid != geteuid())
                return nsl_fail(error, EPERM, verb, dest, "is owned by uid %u, not by the caller: --replace only "
                                "replaces the caller's own directory", (unsigned)st.st_uid);
        return 0;
}

int nsl_stage_check(int parent, const char *name, const char *dest, const char *verb, bool replace, nsl_error *error)
{
        return check_old(parent, name, dest, verb, replace, error);
}

/* ".NAME.KIND-" and 16 hex digits */
static bool is_temp_of(const char *entry, const char *name, const char **kind)
{
        size_t n = strlen(name);

        if (entry[0] != '.' || strncmp(entry + 1, name, n) || entry[1 + n] != '.')
                return false;
        entry += 1 + n + 1;
        for (size_t i = 0; i < sizeof temp_kinds / sizeof temp_kinds[0]; i++) {
                size_t k = strlen(temp_kinds[i]);
                const char *hex = entry + k + 1;
                if (!strncmp(entry, temp_kinds[i], k) && entry[k] == '-' && strlen(hex) == 16 &&
                    strspn(hex, "0123456789abcdef") == 16) {
                        *kind = temp_kinds[i];
                        return true;
                }
        }
        return false;
}

/* Removes the temporary directories that earlier runs for the same
 * destination left when they were killed (SIGKILL, a crash, power loss) --
 * a new tree not yet in place, or an old one swapped out and not yet
 * removed: those of this user that no running process holds locked. */
static void remove_killed(int parent, const char *name, void (*warn)(const char *line))
{
        _cleanup_close_ int dfd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_dir_ DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
        struct dirent *de;

        if (!d)
                return;
        TAKE_FD(dfd);   /* d owns it now */
        while ((de = readdir(d))) {
                _cleanup_close_ int fd = -1;
                struct stat st;
                char line[NAME_MAX + 96];
                const char *kind;

                if (!is_temp_of(de->d_name, name, &kind))
                        continue;
                fd = openat(parent, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != geteuid() || flock(fd, LOCK_EX | LOCK_NB) < 0)
                        continue;
                if (nsl_remove_tree(parent, de->d_name) == 0 && warn) {
                        snprintf(line, sizeof line, "removed %s, left by %s %s that was killed", de->d_name,
                                 kind[0] == 'i' ? "an" : "a", kind);
                        warn(line);
                }
        }
}

/* The temporary directory is ".NAME.VERB-RANDOM", locked (flock) for as long
 * as its run lasts; it is made as ".NAME.VERBing-RANDOM" and renamed only once
 * locked, so that an unlocked ".NAME.VERB-*" is always the remains of a run
 * that was killed. */
static int make_temp_dir(struct nsl_stage *s, nsl_error *error)
{
        char making[NAME_MAX + 1];

        for (int attempt = 0; attempt < 16; attempt++) {
                unsigned long long rnd = 0;
                _cleanup_close_ int fd = -1;

                if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
                        return nsl_fail(error, errno, s->verb, "", "getrandom");
                if (snprintf(s->tmp, sizeof s->tmp, ".%s.%s-%016llx", s->name, s->verb, rnd) >= (int)sizeof s->tmp ||
                    snprintf(making, sizeof making, ".%s.%sing-%016llx", s->name, s->verb, rnd) >= (int)sizeof making)
                        return nsl_fail(error, ENAMETOOLONG, s->verb, s->name, NULL);
                if (mkdirat(s->parent, making, 0700) < 0) {
                        if (errno == EEXIST)
                                continue;
                        return nsl_fail(error, errno, s->verb, making, "cannot make the temporary directory");
                }
                fd = openat(s->parent, making, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 ||
                    renameat2(s->parent, making, s->parent, s->tmp, RENAME_NOREPLACE) < 0) {
                        int errnum = errno;
                        (void)unlinkat(s->parent, making, AT_REMOVEDIR);
                        if (errnum == EEXIST)
                                continue;
                        return nsl_fail(error, errnum, s->verb, making, NULL);
                }
                s->lock_fd = TAKE_FD(fd);
                return 0;
        }
        return nsl_fail(error, EEXIST, s->verb, s->tmp, "cannot make the temporary directory");
}

int nsl_stage_begin(struct nsl_stage *s, int parent, const char *name, const char *dest, const char *verb,
                    void (*warn)(const char *line), nsl_error *error)
{
        *s = (struct nsl_stage){ .parent = parent, .dest = dest, .verb = verb, .lock_fd = -1 };
        if (snprintf(s->name, sizeof s->name, "%s", name) >= (int)sizeof s->name)
                return nsl_fail(error, ENAMETOOLONG, verb, dest, NULL);
        remove_killed(parent, name, warn);
        return make_temp_dir(s, error);
}

void nsl_stage_abort(struct nsl_stage *s)
{
        if (s->tmp[0])
                (void)nsl_remove_tree(s->parent, s->tmp);
        if (s->lock_fd >= 0)
                close(s->lock_fd);
        s->tmp[0] = '\0';
        s->lock_fd = -1;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Exchanges the finished tree with the old DIR, which the caller has
 * opened (old) and locked: after it, DIR is the new tree and s->tmp the
 * old one. *swapped tells whether it was what was checked and locked
 * (someone who may write the parent could have put another in its place
 * since); only then is it removed later. */
static int exchange(struct nsl_stage *s, int old, bool *swapped, nsl_error *error)
{
        struct stat want, got;

        if (fstat(old, &want) < 0)
                return nsl_fail(error, errno, s->verb, s->dest, NULL);
        if (renameat2(s->parent, s->tmp, s->parent, s->name, RENAME_EXCHANGE) < 0)
                return nsl_fail(error, errno, s->verb, s->dest, "cannot swap the new rootfs in");
        *swapped = fstatat(s->parent, s->tmp, &got, AT_SYMLINK_NOFOLLOW) == 0 && same_file(&want, &got);
        return 0;
}

/* Puts the new tree at DIR: *old_fd is set (locked) when an old tree was
 * exchanged out to s->tmp, -1 when DIR was new (or an empty directory). */
static int put_in_place(struct nsl_stage *s, bool replace, int *old_fd, bool *swapped, nsl_error *error)
{
        _cleanup_close_ int old = -1;
        int r;

        *old_fd = -1;
        if ((r = check_old(s->parent, s->name, s->dest, s->verb, replace, error)) < 0)
                return r;
        /* An empty directory may stand where the rootfs goes: it is simply
         * removed (nothing in it to see half of). */
        if (replace && !is_empty_dir(s->parent, s->name))
                old = openat(s->parent, s->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (old < 0) {
                if (unlinkat(s->parent, s->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                        return nsl_fail(error, errno, s->verb, s->dest, NULL);
                if (renameat2(s->parent, s->tmp, s->parent, s->name, RENAME_NOREPLACE) < 0)
                        return nsl_fail(error, errno, s->verb, s->dest, "cannot move the rootfs into place");
                s->tmp[0] = '\0';
                return 0;
        }
        /* A second run replacing the same DIR waits for nothing: it fails. */
        if (flock(old, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return nsl_fail(error, EBUSY, s->verb, s->dest, "another run is replacing it");
                return nsl_fail(error, errno, s->verb, s->dest, "cannot lock it");
        }
        if ((r = exchange(s, old, swapped, error)) < 0)
                return r;
        *old_fd = TAKE_FD(old);
        return 0;
}

/* The old tree is emptied through the fd that was checked and locked, not by
 * name: whatever may have been put at the temporary's name since, only what
 * was DIR is removed. Its name goes last, and only as an empty directory. */
static int remove_old(const struct nsl_stage *s, int old)
{
        int r = nsl_empty_tree(old);

        if (r < 0)
                return r;
        return unlinkat(s->parent, s->tmp, AT_REMOVEDIR) < 0 ? -errno : 0;
}

int nsl_stage_publish(struct nsl_stage *s, bool replace, const char *defaults_tmp, void (*warn)(const char *line),
                      nsl_error *error)
{
        _cleanup_close_ int old = -1;
        char defaults[NAME_MAX + 1], line[NAME_MAX + 160];
        bool swapped = false;
        int r = put_in_place(s, replace, &old, &swapped, error);

        if (r < 0)
                return r;
        close(s->lock_fd);      /* the tree at DIR is finished */
        s->lock_fd = -1;
        if (snprintf(defaults, sizeof defaults, "%s%s", s->name, NSL_DEFAULTS_SUFFIX) >= (int)sizeof defaults)
                r = nsl_fail(error, ENAMETOOLONG, s->verb, s->dest, NULL);
        else if (defaults_tmp && renameat(s->parent, defaults_tmp, s->parent, defaults) < 0)
                r = nsl_fail(error, errno, s->verb, s->dest, "cannot move the image defaults into place");
        else if (!defaults_tmp && old >= 0 && unlinkat(s->parent, defaults, 0) < 0 && errno != ENOENT)
                r = nsl_fail(error, errno, s->verb, s->dest, "cannot remove the old rootfs's image defaults");
        if (r < 0 && old >= 0) {
                /* Back to the old tree: the run failed, DIR stays as it was. */
                if (renameat2(s->parent, s->tmp, s->parent, s->name, RENAME_EXCHANGE) < 0) {
                        snprintf(error->cause, sizeof error->cause, "the new rootfs is in place, but not its image "
                                 "defaults: %s", strerror(errno));
                        s->tmp[0] = '\0';
                }
                return r;
        }
        if (r < 0) {
                snprintf(error->cause, sizeof error->cause, "the rootfs is in place, but not its image defaults");
                return r;
        }
        if (old >= 0 && swapped && (r = remove_old(s, old)) < 0 && warn) {
                snprintf(line, sizeof line, "the old rootfs was replaced, but not removed (%s): %s is left",
                         strerror(-r), s->tmp);
                warn(line);
        } else if (old >= 0 && !swapped && warn) {
                snprintf(line, sizeof line, "%s changed during the swap: what was swapped out is left at %s",
                         s->dest, s->tmp);
                warn(line);
        }
        s->tmp[0] = '\0';
        return 0;
}

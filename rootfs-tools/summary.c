/* --json: what a finished import or from-host made, as one JSON object on
 * stdout, for the scripts that call it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "tool.h"

struct count {
        uint64_t size, entries;
        struct nsl_path_set *inodes;    /* files with several links, counted once */
};

static int count_dir(int fd, struct count *c)
{
        _cleanup_dir_ DIR *d = fdopendir(fd);
        struct dirent *de;

        if (!d) {
                close(fd);
                return -errno;
        }
        while ((errno = 0, de = readdir(d))) {
                struct stat st;
                char key[64];
                int r;

                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
                c->entries++;
                if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
                        snprintf(key, sizeof key, "%llu:%llu", (unsigned long long)st.st_dev,
                                 (unsigned long long)st.st_ino);
                        if (nsl_path_set_has(c->inodes, key))
                                continue;
                        if (nsl_path_set_add(c->inodes, key) < 0)
                                return -ENOMEM;
                }
                if (S_ISREG(st.st_mode))
                        c->size += (uint64_t)st.st_size;
                if (!S_ISDIR(st.st_mode))
                        continue;
                int child = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0)
                        return -errno;
                if ((r = count_dir(child, c)) < 0)
                        return r;
        }
        return -errno;
}

int nsl_tree_count(int dir_fd, uint64_t *size, uint64_t *entries)
{
        struct count c = { .inodes = nsl_path_set_new() };
        int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (!c.inodes || fd < 0) {
                r = fd < 0 ? -errno : -ENOMEM;
                if (fd >= 0)
                        close(fd);
                nsl_path_set_free(c.inodes);
                return r;
        }
        r = count_dir(fd, &c);
        nsl_path_set_free(c.inodes);
        *size = c.size;
        *entries = c.entries;
        return r;
}

int nsl_summary_print(const struct nsl_summary *s, const char *dest)
{
        _cleanup_json_ json_object *o = json_object_new_object();
        char seconds[32];

        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "path", json_object_new_string(dest));
        if (s->digest[0])
                json_object_object_add(o, "digest", json_object_new_string(s->digest));
        json_object_object_add(o, "platform", s->platform[0] ? json_object_new_string(s->platform) : NULL);
        if (s->digest[0])
                json_object_object_add(o, "layers", json_object_new_uint64(s->layers));
        json_object_object_add(o, "size", json_object_new_uint64(s->size));
        json_object_object_add(o, "entries", json_object_new_uint64(s->entries));
        snprintf(seconds, sizeof seconds, "%.3f", s->seconds);
        json_object_object_add(o, "seconds", json_object_new_double_s(s->seconds, seconds));
        if (printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 || fflush(stdout) != 0)
                return -errno;
        return 0;
}

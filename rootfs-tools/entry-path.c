/* Tar entry names to clean relative paths. Pure: fuzzed by fuzz-rootfs-json. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "tool.h"

int nsl_entry_path_clean(const char *name, char *out, size_t out_len, const char **why)
{
        size_t n = 0;
        const char *p = name;

        *why = "";
        if (!name || out_len == 0)
                return -EINVAL;
        if (name[0] == '/') {
                *why = "absolute path in the archive";
                return -EINVAL;
        }
        while (*p) {
                size_t len = strcspn(p, "/");
                if (len == 2 && p[0] == '.' && p[1] == '.') {
                        *why = "'..' in the path";
                        return -EINVAL;
                }
                if (len > NAME_MAX) {
                        *why = "a name longer than NAME_MAX";
                        return -ENAMETOOLONG;
                }
                if (len > 0 && !(len == 1 && p[0] == '.')) {
                        if (n + (n ? 1 : 0) + len + 1 > out_len || n + len + 1 > PATH_MAX) {
                                *why = "path longer than PATH_MAX";
                                return -ENAMETOOLONG;
                        }
                        if (n)
                                out[n++] = '/';
                        memcpy(out + n, p, len);
                        n += len;
                }
                p += len;
                while (*p == '/')
                        p++;
        }
        out[n] = '\0';
        return 0;
}

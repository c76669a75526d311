/* /proc/PID/cgroup's lines, and a v1 hierarchy as one names it: for an
 * exec's joins (src/exec.c) and the sandbox's view of its cgroups
 * (src/sandbox/cgroupfs.c). */
#include <errno.h>
#include <string.h>

#include "internal.h"

bool nsl_cgroup_line_parse(const char *line, struct nsl_cgroup_line *out)
{
        const char *end = strchrnul(line, '\n');
        const char *first = memchr(line, ':', (size_t)(end - line));
        const char *second = first ? memchr(first + 1, ':', (size_t)(end - first - 1)) : NULL;

        if (!second)
                return false;
        *out = (struct nsl_cgroup_line){
                .controllers = first + 1, .controllers_len = (size_t)(second - first - 1),
                .path = second + 1, .path_len = (size_t)(end - second - 1),
        };
        return true;
}

int nsl_cgroup_hierarchy_parse(const char *field, size_t len, struct nsl_cgroup_hierarchy *h)
{
        *h = (struct nsl_cgroup_hierarchy){ 0 };
        if (len >= sizeof h->storage)
                return -E2BIG;
        memcpy(h->storage, field, len);
        for (char *save = NULL, *tok = strtok_r(h->storage, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (!strncmp(tok, "name=", 5)) {
                        h->name = tok + 5;
                        continue;
                }
                if (h->n == NSL_CGROUP_HIERARCHY_MAX)
                        return -E2BIG;
                if (h->n)
                        strcat(h->dir, ",");
                strcat(h->dir, tok);
                h->controllers[h->n++] = tok;
        }
        if (!h->n && !h->name)
                return -EINVAL;
        if (!h->n)
                strcpy(h->dir, h->name);
        return 0;
}

bool nsl_cgroup_hierarchy_has(const struct nsl_cgroup_hierarchy *h, const char *controller, size_t len)
{
        if (h->name && len > 5 && !strncmp(controller, "name=", 5) && strlen(h->name) == len - 5 &&
            !strncmp(h->name, controller + 5, len - 5))
                return true;
        for (size_t i = 0; i < h->n; i++)
                if (strlen(h->controllers[i]) == len && !strncmp(h->controllers[i], controller, len))
                        return true;
        return false;
}

bool nsl_cgroup_hierarchy_is_own(const struct nsl_cgroup_hierarchy *h, const int tasks[NSL_CG_N])
{
        for (int c = 0; c < NSL_CG_N; c++) {
                const char *want = nsl_cgroup_controller_names[c];
                if (tasks[c] >= 0 && nsl_cgroup_hierarchy_has(h, want, strlen(want)))
                        return true;
        }
        return false;
}

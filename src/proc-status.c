#include "proc-status.h"

#include <string.h>

const char *nsl_proc_status_field(const char *status, const char *name)
{
        size_t len = strlen(name);

        for (const char *line = status; *line;) {
                const char *next = strchr(line, '\n');
                if (!strncmp(line, name, len) && line[len] == ':')
                        return line + len + 1 + strspn(line + len + 1, " \t");
                if (!next)
                        break;
                line = next + 1;
        }
        return NULL;
}

const char *nsl_proc_stat_field(const char *stat, int field)
{
        const char *p = strrchr(stat, ')');

        if (field < 3 || !p || p[1] != ' ')
                return NULL;
        p += 2;
        for (int at = 3; p && at < field; at++)
                if ((p = strchr(p, ' ')))
                        p++;
        return p;
}

#include "capnames.h"

#include <ctype.h>
#include <string.h>
#include <sys/capability.h>

/* "CAP_NET_ADMIN", "cap_net_admin" or "net_admin" to its number; -1 if unknown. */
int nsl_cap_number(const char *name)
{
        char buf[64] = "cap_";
        size_t off = 4;
        cap_value_t cap;

        if (!name || !*name)
                return -1;
        if (!strncasecmp(name, "cap_", 4))
                off = 0;
        if (strlen(name) + off >= sizeof buf)
                return -1;
        for (size_t i = 0; name[i]; i++)
                buf[off + i] = (char)tolower((unsigned char)name[i]);
        buf[off + strlen(name)] = '\0';
        for (const char *p = buf; *p; p++)
                if (!(islower((unsigned char)*p) || *p == '_'))
                        return -1;
        if (cap_from_name(buf, &cap) < 0 || cap < 0 || cap > 63)
                return -1;
        return cap;
}

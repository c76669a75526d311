#include "userns.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fds.h"

/* The first line of proc/NAME, without its newline; false when it cannot
 * be read (the setting does not exist on this kernel). */
static bool read_setting(const char *proc, const char *name, char *out, size_t size)
{
        char path[PATH_MAX];
        _cleanup_free_ char *text = NULL;
        size_t len;

        snprintf(path, sizeof path, "%s/%s", proc, name);
        if (nsl_read_file(path, 4096, &text, &len) < 0)
                return false;
        snprintf(out, size, "%.*s", (int)strcspn(text, "\n"), text);
        return true;
}

static bool setting_is(const char *proc, const char *name, const char *value)
{
        char text[256];

        return read_setting(proc, name, text, sizeof text) && !strcmp(text, value);
}

bool nsl_userns_apparmor_restricted(const char *proc)
{
        char label[256];

        if (!setting_is(proc, "sys/kernel/apparmor_restrict_unprivileged_userns", "1") ||
            setting_is(proc, "sys/kernel/apparmor_restrict_unprivileged_userns_complain", "1"))
                return false;
        /* the stacking interface first, then the one older kernels have */
        if (!read_setting(proc, "self/attr/apparmor/current", label, sizeof label) &&
            !read_setting(proc, "self/attr/current", label, sizeof label))
                return false;
        return !strcmp(label, "unconfined");
}

/* The kernel counts each kind of namespace against its own per-user
 * limit, and clone3 makes several kinds at once without saying which limit
 * it ran into: a limit of 0 is named, or else all of them. */
static bool too_many(const char *proc, char *out, size_t size)
{
        static const struct {
                const char *kind, *noun;
        } kinds[] = { { "user", "user" }, { "net", "network" }, { "mnt", "mount" }, { "pid", "pid" },
                      { "ipc", "IPC" },   { "uts", "UTS" },     { "cgroup", "cgroup" } };
        char name[64], limit[64];
        size_t len = 0;

        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                snprintf(name, sizeof name, "sys/user/max_%s_namespaces", kinds[i].kind);
                if (!read_setting(proc, name, limit, sizeof limit))
                        continue;
                if (!strcmp(limit, "0")) {
                        snprintf(out, size, "user.max_%s_namespaces is 0: %s namespaces are turned off here "
                                            "(sysctl -w user.max_%s_namespaces=15000 turns them on)",
                                 kinds[i].kind, kinds[i].noun, kinds[i].kind);
                        return true;
                }
                if (len < size)
                        len += (size_t)snprintf(out + len, size - len, "%s%s %s",
                                                len ? ", " : "this user has reached a per-user namespace limit here "
                                                             "(user.max_*_namespaces: ",
                                                kinds[i].kind, limit);
        }
        if (len && len < size)
                snprintf(out + len, size - len, ")");
        return len > 0;
}

bool nsl_userns_refusal(const char *proc, int errnum, bool rootless, char *out, size_t size)
{
        if (errnum == ENOSPC || errnum == EUSERS)
                return too_many(proc, out, size);
        if ((errnum != EPERM && errnum != EACCES) || !rootless)
                return false;
        /* Debian's and Ubuntu's older kernels: a switch of their own */
        if (setting_is(proc, "sys/kernel/unprivileged_userns_clone", "0")) {
                snprintf(out, size, "kernel.unprivileged_userns_clone is 0: unprivileged user namespaces are off "
                                    "(set it to 1, or run nslaunch as root)");
                return true;
        }
        if (nsl_userns_apparmor_restricted(proc)) {
                snprintf(out, size, "kernel.apparmor_restrict_unprivileged_userns is 1 and nslaunch runs without "
                                    "an AppArmor profile that allows user namespaces: install nslaunch's "
                                    "(/etc/apparmor.d/nslaunch, see README) or run nslaunch as root");
                return true;
        }
        return false;
}

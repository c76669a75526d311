#include "device-source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cleanup.h"

static bool is_device(const struct stat *st)
{
        return S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode);
}

static bool is_wanted(const char *path, const struct nsl_device_want *want)
{
        struct stat st;

        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == want->type && st.st_rdev == want->rdev;
}

/* The kernel's name for a device number (/sys/dev/{char,block}/M:N/uevent's
 * DEVNAME, "net/tun"), as a path under the host's /dev; NULL if none. */
static char *kernel_name(const struct nsl_device_want *want)
{
        char path[64], line[256];
        _cleanup_file_ FILE *f = NULL;

        snprintf(path, sizeof path, "/sys/dev/%s/%u:%u/uevent", want->type == S_IFBLK ? "block" : "char",
                 major(want->rdev), minor(want->rdev));
        if (!(f = fopen(path, "re")))
                return NULL;
        while (fgets(line, sizeof line, f)) {
                char *name = line + strlen("DEVNAME="), *dev;
                if (strncmp(line, "DEVNAME=", strlen("DEVNAME=")))
                        continue;
                name[strcspn(name, "\n")] = '\0';
                if (!*name || strstr(name, ".."))
                        return NULL;
                return asprintf(&dev, "/dev/%s", name) < 0 ? NULL : dev;
        }
        return NULL;
}

static int given_source(const struct nsl_mount *m, struct nsl_mount *resolved, nsl_error *error)
{
        struct stat st;

        if (stat(m->source, &st) < 0)
                return nsl_fail(error, errno, nsl_mount_option(m), m->source, NULL);
        if (!is_device(&st))
                return nsl_fail(error, ENODEV, nsl_mount_option(m), m->source, "not a character or block device");
        resolved->device = (struct nsl_device_want){ .type = st.st_mode & S_IFMT, .rdev = st.st_rdev, .perm = -1,
                                                     .uid = -1, .gid = -1 };
        return (resolved->source = strdup(m->source)) ? 0 : nsl_fail(error, ENOMEM, nsl_mount_option(m), "", NULL);
}

static int numbered_source(const struct nsl_mount *m, struct nsl_mount *resolved, nsl_error *error)
{
        const struct nsl_device_want *want = &m->device;
        _cleanup_free_ char *named = NULL;

        if (is_wanted(m->dest, want))
                resolved->source = strdup(m->dest);
        else if ((named = kernel_name(want)) && is_wanted(named, want))
                resolved->source = TAKE_PTR(named);
        else
                return nsl_fail(error, ENODEV, nsl_mount_option(m), m->dest, "the host has no %s device %u:%u",
                                want->type == S_IFBLK ? "block" : "character", major(want->rdev),
                                minor(want->rdev));
        return resolved->source ? 0 : nsl_fail(error, ENOMEM, nsl_mount_option(m), m->dest, NULL);
}

int nsl_device_source(const struct nsl_mount *m, struct nsl_mount *resolved, nsl_error *error)
{
        *resolved = *m;
        resolved->source = NULL;
        return m->source ? given_source(m, resolved, error) : numbered_source(m, resolved, error);
}
